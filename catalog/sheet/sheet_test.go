package sheet

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"dataportal/catalog"
)

func TestXLSXRoundTrip(t *testing.T) {
	deadline := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	tables := []catalog.Table{
		{Name: "清单", Title: "2026年高质量数据集建设清单（第一批）", Header: []string{"序号", "数据集名称", "截止日期", "规模"},
			Rows:    [][]any{{"07", "胸部CT影像", deadline, 12000}, {"08", "病历文本", "", 3.5}},
			Choices: map[int][]string{1: {"甲", "乙"}}, Widths: []float64{8, 30}},
		{Name: "说明", Header: []string{"项目", "内容"}, Rows: [][]any{{"年度", 2026}}},
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, tables); err != nil {
		t.Fatal(err)
	}
	sheets, err := Read(buf.Bytes(), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(sheets) != 2 || sheets[0].Name != "清单" || sheets[1].Name != "说明" {
		t.Fatalf("sheets %+v (the hidden choices sheet must not be read)", sheets)
	}
	rows := sheets[0].Rows
	if rows[0][0] != tables[0].Title || !cmp.Equal(rows[1], tables[0].Header) {
		t.Fatalf("title and header: %q", rows[:2])
	}
	if rows[2][0] != "07" {
		t.Errorf("a text code came back as %q", rows[2][0])
	}
	if got, ok := catalog.ParseSheetDate(rows[2][2]); !ok || got != "2026-12-31" {
		t.Errorf("the date cell reads %q → %q, %v", rows[2][2], got, ok)
	}
	if rows[2][3] != "12000" || rows[3][3] != "3.5" {
		t.Errorf("numbers: %q %q", rows[2][3], rows[3][3])
	}
	// The drop-down list is there, fed from the hidden sheet.
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	dvs, err := f.GetDataValidations("清单")
	if err != nil || len(dvs) != 1 || dvs[0].Sqref != "B3:B5002" {
		t.Fatalf("data validations %+v, %v", dvs, err)
	}
	if visible, _ := f.GetSheetVisible(choicesSheet); visible {
		t.Error("the choices sheet is visible")
	}
}

func TestCSVEncodings(t *testing.T) {
	want := [][]string{{"序号", "数据集名称", "行业领域"}, {"1", "方言语音语料", "语音"}}
	text := "序号,数据集名称,行业领域\r\n1,方言语音语料,语音\r\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"UTF-8":          []byte(text),
		"UTF-8 with BOM": append([]byte{0xEF, 0xBB, 0xBF}, text...),
		"GB18030":        []byte(gb),
		"semicolons":     []byte("序号;数据集名称;行业领域\n1;方言语音语料;语音\n"),
		"tabs":           []byte("序号\t数据集名称\t行业领域\n1\t方言语音语料\t语音\n"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			sheets, err := Read(data, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, sheets[0].Rows); diff != "" {
				t.Fatalf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVWriteReadsBack(t *testing.T) {
	var buf bytes.Buffer
	tab := catalog.Table{Header: []string{"序号", "名称, 含逗号", "日期"}, Rows: [][]any{{"07", "“引号”\"x\"", time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}}}
	if err := WriteCSV(&buf, tab); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), utf8BOM) {
		t.Fatal("no byte-order mark for Excel")
	}
	sheets, err := Read(buf.Bytes(), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"序号", "名称, 含逗号", "日期"}, {"07", "“引号”\"x\"", "2026-06-30"}}
	if diff := cmp.Diff(want, sheets[0].Rows); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestReadRefusesWhatItCannotRead(t *testing.T) {
	cases := map[string][]byte{
		"empty":       nil,
		"blank":       []byte(" \n "),
		"old xls":     append(append([]byte{}, oleMagic...), make([]byte, 100)...),
		"broken xlsx": append(append([]byte{}, zipMagic...), []byte("not really a zip")...),
		"bad quotes":  []byte("a,b\n\"x\"y\"z,1\n"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Read(data, DefaultLimits)
			if name == "bad quotes" {
				// LazyQuotes reads it; what matters is no panic and no 500.
				if err != nil && !catalog.IsKind(err, catalog.KindInvalid) {
					t.Fatalf("%v", err)
				}
				return
			}
			if !catalog.IsKind(err, catalog.KindInvalid) {
				t.Fatalf("got %v, want Invalid", err)
			}
			var de *catalog.Error
			if e, ok := err.(*catalog.Error); ok {
				de = e
			}
			if de == nil || de.Message.Zh == "" || de.Message.En == "" {
				t.Fatalf("message not bilingual: %v", err)
			}
		})
	}
	t.Run("too many rows", func(t *testing.T) {
		var b bytes.Buffer
		for i := 0; i < 30; i++ {
			b.WriteString("a,b\n")
		}
		if _, err := Read(b.Bytes(), Limits{Rows: 10, Columns: 10, Sheets: 1, Unzipped: 1 << 20}); !catalog.IsKind(err, catalog.KindInvalid) {
			t.Fatalf("got %v", err)
		}
	})
}
