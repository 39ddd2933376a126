// Package sheet reads and writes the spreadsheets bureaus keep their
// construction lists in: XLSX through excelize, and CSV in UTF-8 (with or
// without a byte-order mark) or GB18030, the encoding Chinese Excel writes
// CSV in. It turns files into catalog.Sheet rows and catalog.Table values
// into files; what the cells mean is catalog's business.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"dataportal/catalog"
)

// Limits bound what Read accepts, against oversized or hostile files.
type Limits struct {
	// Rows and Columns bound each sheet; Sheets the number of sheets read.
	Rows, Columns, Sheets int
	// Unzipped bounds the total unpacked size of an XLSX file (a zip bomb
	// stops there).
	Unzipped int64
}

// DefaultLimits are generous for construction lists.
var DefaultLimits = Limits{Rows: 20000, Columns: 200, Sheets: 20, Unzipped: 64 << 20}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
)

// Format names.
const (
	XLSX = "xlsx"
	CSV  = "csv"
)

// ContentType returns the media type of a format.
func ContentType(format string) string {
	if format == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

func invalid(zh, en string, err error) error {
	return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T(zh, en), Err: err,
		Fields: []catalog.FieldError{{Field: "file", Code: "format", Message: catalog.T(zh, en)}}}
}

// Read parses an uploaded spreadsheet: XLSX when the data is a zip
// archive, CSV otherwise. Dates in XLSX cells arrive as Excel serial
// numbers (the raw cell value), text as written. Invalid for anything it
// cannot read, with a message that says what to do.
func Read(data []byte, lim Limits) ([]catalog.Sheet, error) {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, invalid("文件为空", "the file is empty", nil)
	case bytes.HasPrefix(data, zipMagic):
		return readXLSX(data, lim)
	case bytes.HasPrefix(data, oleMagic):
		return nil, invalid("不支持旧版 Excel（.xls）或加密的工作簿，请另存为 .xlsx 或 CSV", "old Excel (.xls) and encrypted workbooks are not supported; save as .xlsx or CSV", nil)
	}
	return readCSV(data, lim)
}

func readXLSX(data []byte, lim Limits) ([]catalog.Sheet, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: lim.Unzipped, UnzipXMLSizeLimit: min(lim.Unzipped, 16<<20)})
	if err != nil {
		return nil, invalid("无法读取 XLSX 文件（文件损坏或过大）", "the XLSX file cannot be read (damaged or too large)", err)
	}
	defer f.Close()
	var out []catalog.Sheet
	for i, name := range f.GetSheetList() {
		if i >= lim.Sheets {
			break
		}
		if visible, err := f.GetSheetVisible(name); err == nil && !visible {
			continue // hidden sheets hold drop-down sources, not data
		}
		rows, err := f.Rows(name)
		if err != nil {
			return nil, invalid("无法读取工作表“"+name+"”", "cannot read sheet "+name, err)
		}
		sh := catalog.Sheet{Name: name}
		for rows.Next() {
			if len(sh.Rows) >= lim.Rows {
				_ = rows.Close()
				return nil, invalid(fmt.Sprintf("工作表“%s”超过 %d 行", name, lim.Rows), fmt.Sprintf("sheet %s has more than %d rows", name, lim.Rows), nil)
			}
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				_ = rows.Close()
				return nil, invalid("无法读取工作表“"+name+"”", "cannot read sheet "+name, err)
			}
			if len(cols) > lim.Columns {
				cols = cols[:lim.Columns]
			}
			sh.Rows = append(sh.Rows, cols)
		}
		if err := rows.Close(); err != nil {
			return nil, invalid("无法读取工作表“"+name+"”", "cannot read sheet "+name, err)
		}
		if err := rows.Error(); err != nil {
			return nil, invalid("无法读取工作表“"+name+"”", "cannot read sheet "+name, err)
		}
		out = append(out, sh)
	}
	return out, nil
}

// readCSV decodes UTF-8 (a BOM is dropped) or, when the bytes are not
// UTF-8, GB18030; the delimiter is a comma, or a semicolon or tab when the
// first line has more of those.
func readCSV(data []byte, lim Limits) ([]catalog.Sheet, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		dec, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), data)
		if err != nil || !utf8.Valid(dec) {
			return nil, invalid("CSV 文件编码无法识别，请使用 UTF-8 或 GB18030", "the CSV file's encoding is not recognised; use UTF-8 or GB18030", err)
		}
		data = dec
	}
	first := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		first = data[:i]
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	switch c, s, t := bytes.Count(first, []byte(",")), bytes.Count(first, []byte(";")), bytes.Count(first, []byte("\t")); {
	case t > c && t >= s:
		r.Comma = '\t'
	case s > c:
		r.Comma = ';'
	}
	sh := catalog.Sheet{Name: "CSV"}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, invalid(fmt.Sprintf("CSV 第 %d 行格式错误", pe.Line), fmt.Sprintf("CSV line %d is malformed", pe.Line), err)
			}
			return nil, invalid("无法读取 CSV 文件", "the CSV file cannot be read", err)
		}
		if len(sh.Rows) >= lim.Rows {
			return nil, invalid(fmt.Sprintf("CSV 超过 %d 行", lim.Rows), fmt.Sprintf("the CSV file has more than %d rows", lim.Rows), nil)
		}
		if len(rec) > lim.Columns {
			rec = rec[:lim.Columns]
		}
		sh.Rows = append(sh.Rows, rec)
	}
	return []catalog.Sheet{sh}, nil
}

// WriteXLSX writes tables as the sheets of a workbook: a bold, frozen
// header (under a merged title row when the table has one), dates as
// date cells, drop-down lists for columns with choices (their values on a
// hidden sheet).
func WriteXLSX(w io.Writer, tables []catalog.Table) error {
	f := excelize.NewFile()
	defer f.Close()
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	if err != nil {
		return err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	if err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	choiceRow := 0
	for i, t := range tables {
		name := sheetName(t.Name, i)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		row := 1
		if t.Title != "" && len(t.Header) > 0 {
			last, _ := excelize.CoordinatesToCellName(len(t.Header), 1)
			if err := f.SetCellStr(name, "A1", t.Title); err != nil {
				return err
			}
			if err := f.MergeCell(name, "A1", last); err != nil {
				return err
			}
			if err := f.SetCellStyle(name, "A1", last, title); err != nil {
				return err
			}
			_ = f.SetRowHeight(name, 1, 28)
			row = 2
		}
		headerRow := row
		if err := f.SetSheetRow(name, cell(1, row), &t.Header); err != nil {
			return err
		}
		if len(t.Header) > 0 {
			if err := f.SetCellStyle(name, cell(1, row), cell(len(t.Header), row), head); err != nil {
				return err
			}
		}
		for _, r := range t.Rows {
			row++
			for c, v := range r {
				ref := cell(c+1, row)
				switch x := v.(type) {
				case time.Time:
					if err := f.SetCellValue(name, ref, x); err != nil {
						return err
					}
					if err := f.SetCellStyle(name, ref, ref, date); err != nil {
						return err
					}
				case string:
					if x == "" {
						continue
					}
					// Text stays text: "07" must not become the number 7.
					if err := f.SetCellStr(name, ref, x); err != nil {
						return err
					}
				default:
					if err := f.SetCellValue(name, ref, x); err != nil {
						return err
					}
				}
			}
		}
		for c, wd := range t.Widths {
			col, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(name, col, col, wd); err != nil {
				return err
			}
		}
		if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: cell(1, headerRow+1), ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if len(t.Choices) > 0 {
			if choiceRow == 0 {
				if _, err := f.NewSheet(choicesSheet); err != nil {
					return err
				}
				if err := f.SetSheetVisible(choicesSheet, false); err != nil {
					return err
				}
			}
			for c := 0; c < len(t.Header); c++ {
				values, ok := t.Choices[c]
				if !ok || len(values) == 0 {
					continue
				}
				choiceRow++
				if err := f.SetSheetRow(choicesSheet, cell(1, choiceRow), &values); err != nil {
					return err
				}
				dv := excelize.NewDataValidation(true)
				col, _ := excelize.ColumnNumberToName(c + 1)
				dv.Sqref = fmt.Sprintf("%s%d:%s%d", col, headerRow+1, col, headerRow+5000)
				last, _ := excelize.ColumnNumberToName(len(values))
				dv.SetSqrefDropList(fmt.Sprintf("'%s'!$A$%d:$%s$%d", choicesSheet, choiceRow, last, choiceRow))
				if err := f.AddDataValidation(name, dv); err != nil {
					return err
				}
			}
		}
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// choicesSheet holds the values of drop-down lists.
const choicesSheet = "_choices"

func cell(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row)
	return s
}

// sheetName makes a valid, distinct sheet name (at most 31 characters,
// none of : \ / ? * [ ]).
func sheetName(n string, i int) string {
	n = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, n)
	if n == "" {
		n = "Sheet" + strconv.Itoa(i+1)
	}
	if r := []rune(n); len(r) > 31 {
		n = string(r[:31])
	}
	return n
}

// WriteCSV writes one table as UTF-8 CSV with a byte-order mark (so that
// Excel opens it as UTF-8): the header and the rows, dates as YYYY-MM-DD.
// The title row is left out; CSV has one table per file.
func WriteCSV(w io.Writer, t catalog.Table) error {
	if _, err := w.Write(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	for _, r := range t.Rows {
		rec := make([]string, len(r))
		for i, v := range r {
			switch x := v.(type) {
			case time.Time:
				rec[i] = x.Format(time.DateOnly)
			case nil:
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Write writes tables in format: every table as a sheet of one XLSX
// workbook, or the first table as CSV.
func Write(w io.Writer, format string, tables []catalog.Table) error {
	switch format {
	case XLSX:
		return WriteXLSX(w, tables)
	case CSV:
		if len(tables) == 0 {
			return WriteCSV(w, catalog.Table{})
		}
		return WriteCSV(w, tables[0])
	}
	return &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("格式须为 xlsx 或 csv", "format must be xlsx or csv"),
		Fields: []catalog.FieldError{{Field: "format", Code: "vocabulary", Message: catalog.T("xlsx 或 csv", "xlsx or csv")}}}
}
