package catalog

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Bureaus keep construction lists in spreadsheets. This file reads a list
// from the rows of a sheet whose first rows hold a Chinese header (the
// columns real provincial lists use, with their synonyms) and writes lists
// and progress reports as tables. The file formats themselves (XLSX, CSV in
// UTF-8 or GB18030) are read and written by catalog/sheet; catalog only
// sees cells.

// Sheet is one worksheet as read from an upload: rows of cell texts, row i
// being the spreadsheet's row i+1. Dates stored as dates arrive as Excel
// serial numbers.
type Sheet struct {
	Name string
	Rows [][]string
}

// Table is one worksheet to write.
type Table struct {
	Name string
	// Title, when set, is a merged first row above the header (XLSX only).
	Title  string
	Header []string
	// Rows hold string, int, int64, float64 or time.Time (a date) values.
	Rows [][]any
	// Widths are column widths in characters (XLSX only).
	Widths []float64
	// Choices restricts columns (by index) to listed values: drop-down
	// lists in XLSX.
	Choices map[int][]string
}

// Import limits.
const (
	maxSheetRows    = 10000
	maxSheetColumns = 200
	maxImportIssues = 200
	headerScanRows  = 10
)

// column is a list item field a sheet column may fill.
type column struct {
	field string // the item's JSON field name
	label Text   // the canonical header (zh) and the field (en)
	// names are the headers that mean this field, best first; secondary
	// ones only count when no primary header is present.
	names     []string
	secondary []string
	required  bool
}

var listColumns = []column{
	{field: "code", label: T("序号", "code"), names: []string{"序号", "编号", "条目编号", "清单编号", "项目编号", "代码", "code", "no", "no."}},
	{field: "name", label: T("数据集名称", "name"), required: true, names: []string{"数据集名称", "名称", "数据名称", "数据资源名称", "数据集", "资源名称", "需求名称", "name", "title"}},
	{field: "name_en", label: T("英文名称", "English name"), names: []string{"英文名称", "数据集英文名称", "name_en", "englishname"}},
	{field: "domain", label: T("行业领域", "domain"), required: true, names: []string{"行业领域", "领域", "所属领域", "所属行业", "行业", "应用领域", "行业分类", "domain", "industry"},
		secondary: []string{"所属主题", "主题", "主题分类"}},
	{field: "modality", label: T("数据集模态", "modality"), names: []string{"数据集模态", "数据模态", "模态", "数据类型", "modality"}},
	{field: "requirements", label: T("建设要求", "requirements"), names: []string{"建设要求", "内容要求", "数据内容要求", "建设内容", "需求描述", "数据描述", "内容描述", "数据集描述", "描述", "简介", "requirements", "description"}},
	{field: "target_scale", label: T("目标规模", "target scale"), names: []string{"目标规模", "建设规模", "数据规模", "规模", "数据量", "数据规模要求", "scale", "targetscale"}},
	{field: "quality_requirements", label: T("质量要求", "quality requirements"), names: []string{"质量要求", "质量标准", "质量指标", "quality"}},
	{field: "deadline", label: T("截止日期", "deadline"), names: []string{"截止日期", "截止时间", "完成时间", "完成时限", "交付时间", "交付日期", "建设期限", "时间要求", "deadline"}},
	{field: "priority", label: T("优先级", "priority"), names: []string{"优先级", "重要程度", "优先程度", "priority"}},
	{field: "lead_units", label: T("牵头单位", "lead units"), names: []string{"牵头单位", "建议牵头单位", "责任单位", "申报单位", "建设单位", "承建单位", "leadunits", "leadunit"},
		secondary: []string{"来源部门", "数据来源部门", "数源部门", "提供单位"}},
	{field: "formats", label: T("数据格式", "formats"), names: []string{"数据格式", "格式", "文件格式", "formats", "format"}},
	{field: "notes", label: T("备注", "notes"), names: []string{"备注", "说明", "notes", "remarks"}},
	{field: "cancelled", label: T("条目状态", "item status"), names: []string{"条目状态", "状态", "status"}},
	{field: "cancel_reason", label: T("取消原因", "cancel reason"), names: []string{"取消原因", "取消说明", "cancelreason"}},
}

// ignoredColumns are headers of real lists and public-data catalogues that
// have no place on a list item, with the reason the import gives.
var ignoredColumns = map[string]Text{
	"开放状态": T("开放属性在数据集登记时按分级确定，不属于清单条目", "the open class is set by the tier when a dataset is registered, not by a list item"),
	"开放类型": T("开放属性在数据集登记时按分级确定，不属于清单条目", "the open class is set by the tier when a dataset is registered, not by a list item"),
	"开放属性": T("开放属性在数据集登记时按分级确定，不属于清单条目", "the open class is set by the tier when a dataset is registered, not by a list item"),
	"开放条件": T("开放条件在数据集登记时按分级确定，不属于清单条目", "access conditions follow the tier of the registered dataset"),
	"更新频率": T("更新频率属于数据集而非清单条目", "the update frequency belongs to a dataset, not a list item"),
	"更新周期": T("更新频率属于数据集而非清单条目", "the update frequency belongs to a dataset, not a list item"),
	"联系人":  T("联系方式不导入（个人信息）", "contact details are not imported (personal information)"),
	"联系电话": T("联系方式不导入（个人信息）", "contact details are not imported (personal information)"),
	"联系方式": T("联系方式不导入（个人信息）", "contact details are not imported (personal information)"),
	"发布日期": T("清单的发布日期由门户记录", "the portal records when the list is published"),
	"发布时间": T("清单的发布日期由门户记录", "the portal records when the list is published"),
}

// normHeader reduces a header to the form the synonym table uses: no
// spaces or line breaks, no required-field stars, no parenthesised hint
// ("截止日期（YYYY-MM-DD）"), lower case.
func normHeader(h string) string {
	h = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '*' || r == '＊' || r == '\u00a0' || r == '\ufeff' {
			return -1
		}
		return r
	}, h)
	for _, open := range []string{"（", "("} {
		if i := strings.Index(h, open); i > 0 {
			h = h[:i]
		}
	}
	return strings.ToLower(h)
}

// ImportColumn says what the import made of one column of the sheet.
type ImportColumn struct {
	Header string `json:"header"`
	// Field is the item field the column fills; empty when ignored.
	Field string `json:"field,omitempty"`
	Note  Text   `json:"note,omitzero"`
}

// ImportIssue is one problem with the sheet: a cell (Row and Column set),
// a missing column (Column set), or the list as a whole.
type ImportIssue struct {
	Row     int    `json:"row,omitempty"` // spreadsheet row number, from 1
	Column  string `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message Text   `json:"message"`
}

// ParsedSheet is the result of reading a list from sheets.
type ParsedSheet struct {
	Sheet   string         `json:"sheet"`
	Title   string         `json:"title,omitempty"` // the title row above the header, if any
	Columns []ImportColumn `json:"columns"`
	Rows    int            `json:"rows"` // data rows read
	Items   []ListItem     `json:"items"`
	Issues  []ImportIssue  `json:"issues"`
}

func (ps *ParsedSheet) issue(row int, col, field, code, zh, en string) {
	if len(ps.Issues) >= maxImportIssues {
		return
	}
	where := T("", "")
	switch {
	case row > 0 && col != "":
		where = T(fmt.Sprintf("第 %d 行“%s”列：", row, col), fmt.Sprintf("row %d, column “%s”: ", row, col))
	case row > 0:
		where = T(fmt.Sprintf("第 %d 行：", row), fmt.Sprintf("row %d: ", row))
	case col != "":
		where = T(fmt.Sprintf("“%s”列：", col), fmt.Sprintf("column “%s”: ", col))
	}
	ps.Issues = append(ps.Issues, ImportIssue{Row: row, Column: col, Field: field, Code: code, Message: T(where.Zh+zh, where.En+en)})
}

// ParseListSheets reads list items from the first sheet that has a
// recognisable header within its first rows. Every problem is reported
// with its row and column; nothing is dropped silently.
func ParseListSheets(sheets []Sheet) ParsedSheet {
	for _, sh := range sheets {
		if hr, ok := findHeader(sh.Rows); ok {
			return parseSheet(sh, hr)
		}
	}
	ps := ParsedSheet{Columns: []ImportColumn{}, Items: []ListItem{}}
	if len(sheets) > 0 {
		ps.Sheet = sheets[0].Name
	}
	ps.issue(0, "", "", "no_header", "在前 10 行中找不到表头（至少需要“数据集名称”和“行业领域”等列名）",
		"no header row in the first 10 rows (columns such as “数据集名称” and “行业领域” are needed)")
	return ps
}

// findHeader returns the index of the first row among the first ones
// that names at least two known columns.
func findHeader(rows [][]string) (int, bool) {
	for i := 0; i < len(rows) && i < headerScanRows; i++ {
		n := 0
		for _, cell := range rows[i] {
			if _, _, ok := columnFor(normHeader(cell)); ok {
				n++
			}
		}
		if n >= 2 {
			return i, true
		}
	}
	return 0, false
}

// columnFor finds the column a normalised header names and its rank
// (lower is better; secondary names rank after every primary one).
func columnFor(h string) (int, int, bool) {
	if h == "" {
		return 0, 0, false
	}
	for ci, c := range listColumns {
		for rank, n := range c.names {
			if n == h {
				return ci, rank, true
			}
		}
		for rank, n := range c.secondary {
			if n == h {
				return ci, 1000 + rank, true
			}
		}
	}
	return 0, 0, false
}

func parseSheet(sh Sheet, hr int) ParsedSheet {
	ps := ParsedSheet{Sheet: sh.Name, Columns: []ImportColumn{}, Items: []ListItem{}}
	// A single text above the header is the list's title.
	for i := 0; i < hr; i++ {
		var texts []string
		for _, c := range sh.Rows[i] {
			if c = strings.TrimSpace(c); c != "" {
				texts = append(texts, c)
			}
		}
		if len(texts) == 1 && ps.Title == "" {
			ps.Title = texts[0]
		}
	}
	header := sh.Rows[hr]
	if len(header) > maxSheetColumns {
		ps.issue(hr+1, "", "", "too_many_columns", fmt.Sprintf("列数过多（最多 %d 列）", maxSheetColumns), fmt.Sprintf("too many columns (at most %d)", maxSheetColumns))
		return ps
	}
	// Choose, for each field, the best-ranked column naming it.
	best := map[int]struct{ col, rank int }{}
	for i, h := range header {
		ci, rank, ok := columnFor(normHeader(h))
		if !ok {
			continue
		}
		if b, seen := best[ci]; !seen || rank < b.rank {
			best[ci] = struct{ col, rank int }{i, rank}
		}
	}
	colOf := map[string]int{} // field → column index
	for ci, b := range best {
		colOf[listColumns[ci].field] = b.col
	}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		ic := ImportColumn{Header: h}
		ci, _, ok := columnFor(normHeader(h))
		switch {
		case ok && best[ci].col == i:
			ic.Field = listColumns[ci].field
		case ok:
			other := strings.TrimSpace(header[best[ci].col])
			ic.Note = T("已由“"+other+"”列提供，本列忽略", "already given by column “"+other+"”; this column is ignored")
		default:
			if why, known := ignoredColumns[normHeader(h)]; known {
				ic.Note = why
			} else {
				ic.Note = T("无法识别的列，已忽略", "unrecognised column; ignored")
			}
		}
		ps.Columns = append(ps.Columns, ic)
	}
	for _, c := range listColumns {
		if _, ok := colOf[c.field]; !ok && c.required {
			ps.issue(hr+1, c.label.Zh, c.field, "missing_column", "缺少必需的列（可用列名："+strings.Join(c.names[:3], "、")+"）",
				"a required column is missing (header names: "+strings.Join(c.names[:3], ", ")+")")
		}
	}
	if len(ps.Issues) > 0 {
		return ps
	}
	data := sh.Rows[hr+1:]
	if len(data) > maxSheetRows {
		ps.issue(0, "", "", "too_many_rows", fmt.Sprintf("行数过多（最多 %d 行）", maxSheetRows), fmt.Sprintf("too many rows (at most %d)", maxSheetRows))
		return ps
	}
	codeRow := map[string]int{}
	var autoCode []int // indexes of items without a code
	for i, row := range data {
		rowNo := hr + 2 + i
		cell := func(field string) (string, string, bool) {
			ci, ok := colOf[field]
			if !ok || ci >= len(row) {
				return "", strings.TrimSpace(headerAt(header, ci)), ok
			}
			return cleanCell(row[ci]), strings.TrimSpace(header[ci]), true
		}
		if rowEmpty(row, colOf) {
			continue
		}
		ps.Rows++
		it := ListItem{}
		var v string
		var h string
		if v, h, _ = cell("code"); v != "" {
			it.Code = NormalizeItemCode(v)
			if !itemCodeRE.MatchString(it.Code) {
				ps.issue(rowNo, h, "code", "code", "编号“"+v+"”无效：须为 1–20 位字母、数字、点或下划线（不含连字符）",
					"code “"+v+"” is invalid: use 1–20 letters, digits, dots or underscores (no hyphens)")
			} else if first, dup := codeRow[it.Code]; dup {
				ps.issue(rowNo, h, "code", "duplicate", fmt.Sprintf("编号“%s”与第 %d 行重复", it.Code, first),
					fmt.Sprintf("code “%s” repeats row %d", it.Code, first))
			} else {
				codeRow[it.Code] = rowNo
			}
		} else {
			autoCode = append(autoCode, len(ps.Items))
		}
		it.Name, h, _ = cell("name")
		if it.Name == "" {
			ps.issue(rowNo, h, "name", "required", "数据集名称不能为空", "the name is empty")
		}
		it.NameEn, _, _ = cell("name_en")
		v, h, _ = cell("domain")
		if v == "" {
			ps.issue(rowNo, h, "domain", "required", "行业领域不能为空", "the domain is empty")
		} else if d, ok := ParseDomain(v); ok {
			it.Domain = d
		} else {
			ps.issue(rowNo, h, "domain", "vocabulary", "无法识别的行业领域“"+v+"”，可填："+labelList(Domains, "zh"),
				"unknown domain “"+v+"”; use one of: "+labelList(Domains, "en"))
		}
		if v, h, _ = cell("modality"); v != "" {
			if m, ok := ParseModality(v); ok {
				it.Modality = m
			} else {
				ps.issue(rowNo, h, "modality", "vocabulary", "无法识别的数据模态“"+v+"”，可填："+labelList(Modalities, "zh"),
					"unknown modality “"+v+"”; use one of: "+labelList(Modalities, "en"))
			}
		}
		it.Requirements, _, _ = cell("requirements")
		it.TargetScale, _, _ = cell("target_scale")
		it.Quality, _, _ = cell("quality_requirements")
		if v, h, _ = cell("deadline"); v != "" {
			if d, ok := ParseSheetDate(v); ok {
				it.Deadline = d
			} else {
				ps.issue(rowNo, h, "deadline", "date", "无法识别的日期“"+v+"”，请填写如 2026-12-31 或 2026年12月31日",
					"cannot read the date “"+v+"”; write it like 2026-12-31 or 2026年12月31日")
			}
		}
		if v, h, _ = cell("priority"); v != "" {
			if pr, ok := ParsePriority(v); ok {
				it.Priority = pr
			} else {
				ps.issue(rowNo, h, "priority", "vocabulary", "无法识别的优先级“"+v+"”，可填：高、中、低", "unknown priority “"+v+"”; use 高, 中 or 低 (high, medium, low)")
			}
		}
		v, _, _ = cell("lead_units")
		it.LeadUnits = splitCell(v, "、，,;；/\n")
		v, _, _ = cell("formats")
		it.Formats = splitCell(v, "、，,;；/ \n")
		it.Notes, _, _ = cell("notes")
		it.CancelReason, _, _ = cell("cancel_reason")
		if v, h, _ = cell("cancelled"); v != "" {
			switch normHeader(v) {
			case "已取消", "取消", "cancelled", "canceled":
				it.Cancelled = true
			case "有效", "正常", "active", "进行中":
			default:
				ps.issue(rowNo, h, "cancelled", "vocabulary", "条目状态须为“有效”或“已取消”", "item status must be 有效 (active) or 已取消 (cancelled)")
			}
		}
		it.Normalize()
		// Length and shape checks of the item itself, reported on the
		// column that holds the field.
		for _, fe := range it.validate() {
			if fe.Field == "code" || fe.Field == "domain" || fe.Field == "modality" || fe.Field == "priority" || fe.Field == "deadline" {
				continue // reported above with the cell's value
			}
			if fe.Field == "name" && it.Name == "" {
				continue
			}
			_, h, _ := cell(fe.Field)
			ps.issue(rowNo, h, fe.Field, fe.Code, fe.Message.Zh, fe.Message.En)
		}
		ps.Items = append(ps.Items, it)
	}
	// Rows without a code are numbered in order, skipping codes in use.
	next := 1
	for _, i := range autoCode {
		for {
			c := fmt.Sprintf("%02d", next)
			next++
			if _, used := codeRow[c]; !used {
				ps.Items[i].Code = c
				codeRow[c] = -1
				break
			}
		}
	}
	if ps.Rows == 0 && len(ps.Issues) == 0 {
		ps.issue(hr+1, "", "", "empty", "表头下没有数据行", "there are no rows under the header")
	}
	if ps.Rows > MaxListItems {
		ps.issue(0, "", "", "too_many", fmt.Sprintf("一个清单最多 %d 个条目", MaxListItems), fmt.Sprintf("a list has at most %d items", MaxListItems))
	}
	return ps
}

func headerAt(h []string, i int) string {
	if i >= 0 && i < len(h) {
		return h[i]
	}
	return ""
}

// cleanCell trims a cell, including the full-width and no-break spaces
// spreadsheets carry.
func cleanCell(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\ufeff' })
}

// rowEmpty reports whether a row has nothing in the mapped columns other
// than a code (trailing numbered rows of a template).
func rowEmpty(row []string, colOf map[string]int) bool {
	for f, ci := range colOf {
		if f == "code" || ci >= len(row) {
			continue
		}
		if cleanCell(row[ci]) != "" {
			return false
		}
	}
	return true
}

func splitCell(s, seps string) []string {
	out := []string{}
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if p = cleanCell(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func labelList(v Vocabulary, lang string) string {
	var out []string
	for _, t := range v {
		if lang == "en" {
			out = append(out, t.Value)
		} else {
			out = append(out, t.Label.Zh)
		}
	}
	sep := "、"
	if lang == "en" {
		sep = ", "
	}
	return strings.Join(out, sep)
}

// vocabulary synonyms found in real sheets, beyond each term's value and
// its Chinese and English labels.
var (
	domainSynonyms = map[string]string{
		"医疗": "medical", "医疗卫生": "medical", "卫生健康": "medical", "医学": "medical", "健康": "medical", "医药": "medical",
		"司法": "legal", "法律服务": "legal", "政法": "legal",
		"教育教学": "education", "教育培训": "education",
		"智能网联汽车": "autonomous-driving", "车联网": "autonomous-driving", "智能驾驶": "autonomous-driving",
		"制造": "manufacturing", "工业": "manufacturing", "工业制造": "manufacturing", "先进制造": "manufacturing", "工业互联网": "manufacturing",
		"农业农村": "agriculture", "农林牧渔": "agriculture",
		"政务服务": "government", "政府": "government", "公共管理": "government",
		"电商": "e-commerce", "商贸": "e-commerce", "商贸流通": "e-commerce",
		"通用": "general-nlp", "自然语言": "general-nlp", "通用语料": "general-nlp",
		"语音识别": "speech",
		"测绘":   "remote-sensing", "卫星遥感": "remote-sensing", "自然资源": "remote-sensing",
		"机器人": "robotics", "具身智能": "robotics",
		"科研": "scientific", "科技": "scientific", "科学": "scientific",
		"交通": "transport", "交通出行": "transport", "物流": "transport",
		"电力": "energy", "能源电力": "energy",
		"文旅": "culture-tourism", "文化": "culture-tourism", "旅游": "culture-tourism", "文化和旅游": "culture-tourism",
	}
	modalitySynonyms = map[string]string{
		"图片": "image", "影像": "image", "图像数据": "image",
		"文字": "text", "语料": "text", "文本数据": "text", "文本语料": "text",
		"语音": "audio", "声音": "audio", "音频数据": "audio",
		"视频数据": "video",
		"图文":   "multimodal", "多模态数据": "multimodal",
		"结构化": "tabular", "结构化数据": "tabular", "表格数据": "tabular",
		"激光点云": "point-cloud", "点云数据": "point-cloud",
		"时序": "time-series", "时序数据": "time-series",
		"图": "graph", "图谱": "graph", "知识图谱": "graph",
	}
	prioritySynonyms = map[string]string{
		"高": "high", "高优先级": "high", "重点": "high", "一级": "high", "1": "high", "h": "high",
		"中": "medium", "一般": "medium", "普通": "medium", "二级": "medium", "2": "medium", "normal": "medium", "m": "medium",
		"低": "low", "三级": "low", "3": "low", "l": "low",
	}
)

func vocabLookup(v Vocabulary, syn map[string]string, s string) (string, bool) {
	k := normHeader(s)
	for _, t := range v {
		if k == t.Value || k == normHeader(t.Label.Zh) || k == normHeader(t.Label.En) {
			return t.Value, true
		}
	}
	if val, ok := syn[k]; ok {
		return val, true
	}
	return "", false
}

// ParseDomain reads a domain written as its value, its Chinese or English
// label, or a common synonym ("医疗卫生" → medical).
func ParseDomain(s string) (string, bool) { return vocabLookup(Domains, domainSynonyms, s) }

// ParseModality reads a modality like ParseDomain; several modalities in
// one cell ("文本、图像") make a multimodal item.
func ParseModality(s string) (string, bool) {
	if m, ok := vocabLookup(Modalities, modalitySynonyms, s); ok {
		return m, true
	}
	parts := splitCell(s, "、，,;；/+和及&")
	if len(parts) < 2 {
		return "", false
	}
	seen := map[string]bool{}
	for _, p := range parts {
		m, ok := vocabLookup(Modalities, modalitySynonyms, p)
		if !ok {
			return "", false
		}
		seen[m] = true
	}
	if len(seen) == 1 {
		for m := range seen {
			return m, true
		}
	}
	return "multimodal", true
}

// ParsePriority reads 高/中/低, high/medium/low and their synonyms.
func ParsePriority(s string) (string, bool) { return vocabLookup(Priorities, prioritySynonyms, s) }

var (
	dateYMD     = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$`)
	dateYM      = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:底|末)?$`)
	dateYearEnd = regexp.MustCompile(`^(\d{4})\s*年?\s*(?:底|末|年底|年末)$`)
	dateQuarter = regexp.MustCompile(`^(\d{4})\s*年?\s*第?\s*([一二三四1-4])\s*季度(?:末|底)?$`)
	dateHalf    = regexp.MustCompile(`^(\d{4})\s*年?\s*(上|下)半年(?:末|底)?$`)
	excelSerial = regexp.MustCompile(`^\d{5}(\.\d+)?$`)
)

// ParseSheetDate reads a deadline as sheets write it: 2026-12-31,
// 2026/12/31, 2026.12.31, 2026年12月31日, a month (2026-12, 2026年12月: its
// last day), 2026年底, 2026年第三季度, 2026年上半年, or an Excel date
// serial. It returns YYYY-MM-DD.
func ParseSheetDate(s string) (string, bool) {
	s = cleanCell(s)
	ymd := func(y, m, d int) (string, bool) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if m < 1 || m > 12 || d < 1 || t.Day() != d || y < 2000 || y > 2100 {
			return "", false
		}
		return t.Format(time.DateOnly), true
	}
	endOfMonth := func(y, m int) (string, bool) {
		if m < 1 || m > 12 {
			return "", false
		}
		return ymd(y, m, time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day())
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	if m := dateYMD.FindStringSubmatch(s); m != nil {
		return ymd(atoi(m[1]), atoi(m[2]), atoi(m[3]))
	}
	if m := dateYM.FindStringSubmatch(s); m != nil {
		return endOfMonth(atoi(m[1]), atoi(m[2]))
	}
	if m := dateYearEnd.FindStringSubmatch(s); m != nil {
		return ymd(atoi(m[1]), 12, 31)
	}
	if m := dateQuarter.FindStringSubmatch(s); m != nil {
		q := strings.Index("一二三四", m[2])/len("一") + 1
		if q <= 0 {
			q = atoi(m[2])
		}
		return endOfMonth(atoi(m[1]), 3*q)
	}
	if m := dateHalf.FindStringSubmatch(s); m != nil {
		if m[2] == "上" {
			return ymd(atoi(m[1]), 6, 30)
		}
		return ymd(atoi(m[1]), 12, 31)
	}
	if excelSerial.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 36526 || f > 73415 { // 2000-01-01 … 2100-12-31
			return "", false
		}
		// Excel's 1900 date system counts days from 1899-12-30 for every
		// date after February 1900.
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(f)))
		return t.Format(time.DateOnly), true
	}
	return "", false
}

// listTitleYear and listTitleBatch find the year and batch in a title
// such as "2026年江苏省高质量数据集建设清单（第一批）".
var (
	listTitleYear  = regexp.MustCompile(`(20\d\d)\s*年`)
	listTitleBatch = regexp.MustCompile(`第\s*([一二三四五六七八九十]+|\d{1,2})\s*批`)
)

func chineseNumber(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	digits := map[rune]int{'一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	n, cur := 0, 0
	for _, r := range s {
		if r == '十' {
			if cur == 0 {
				cur = 1
			}
			n += cur * 10
			cur = 0
			continue
		}
		cur = digits[r]
	}
	return n + cur
}

// ListImport is an import of a sheet into a list.
type ListImport struct {
	// ID of a new list ("<year>-<batch>" when empty), or the existing list
	// whose items the sheet replaces (Replace).
	ID      string
	Replace bool
	// Title, Year and Batch of a new list; taken from the sheet's title
	// row ("2026年…清单（第一批）") when not given.
	Title, TitleEn, Description string
	Year, Batch                 int
	// ChangeNote goes into the changelog of a published list.
	ChangeNote string
	// DryRun reads and checks the sheet and writes nothing.
	DryRun bool
	Sheets []Sheet
}

// ImportResult is what an import made of a sheet: the list (stored, or as
// it would be stored in a dry run) and every problem found.
type ImportResult struct {
	ParsedSheet
	List   *ConstructionList `json:"list,omitempty"`
	Stored bool              `json:"stored"`
}

// ImportList reads a construction list from a spreadsheet (bureau):
// either a new draft list or, with Replace, a new set of items for an
// existing list (a new revision when it is published; published items may
// not disappear, mark them 已取消 instead). Everything is checked before
// anything is written, and the list with all its items is one document
// write: a sheet with any problem stores nothing. The problems are listed
// in the Invalid error's fields as rows[<row>].<column header>.
func (s *Service) ImportList(ctx context.Context, p Principal, in ListImport) (ImportResult, error) {
	if !p.SignedIn() {
		return ImportResult{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	var existing *ConstructionList
	var dec Decision
	var err error
	if in.Replace {
		rec, _, err := s.readableList(ctx, p, in.ID)
		if err != nil {
			return ImportResult{}, err
		}
		if dec, err = s.decideList(ctx, p, ActManageLists, &rec.ConstructionList, ""); err != nil {
			return ImportResult{}, err
		}
		if rec.Status == ListClosed {
			return ImportResult{}, errListClosed()
		}
		existing = &rec.ConstructionList
	} else if dec, err = s.decide(ctx, p, ActManageLists, Resource{Status: ListDraft}); err != nil {
		return ImportResult{}, err
	}

	res := ImportResult{ParsedSheet: ParseListSheets(in.Sheets)}
	var list ConstructionList
	if existing != nil {
		list = *existing
		items := res.Items
		if err := keepPublishedItems(existing, items); err != nil {
			for _, fe := range err.(*Error).Fields {
				res.Issues = append(res.Issues, ImportIssue{Code: fe.Code, Message: fe.Message})
			}
		}
		list.Items = items
	} else {
		list = ConstructionList{ID: strings.TrimSpace(in.ID), Status: ListDraft, ListFields: ListFields{
			Title: in.Title, TitleEn: in.TitleEn, Description: in.Description, Year: in.Year, Batch: in.Batch, Items: res.Items}}
		if list.Title == "" {
			list.Title = res.Title
		}
		if list.Year == 0 {
			if m := listTitleYear.FindStringSubmatch(list.Title); m != nil {
				list.Year, _ = strconv.Atoi(m[1])
			}
		}
		if list.Batch == 0 {
			if m := listTitleBatch.FindStringSubmatch(list.Title); m != nil {
				list.Batch = chineseNumber(m[1])
			} else if list.Year != 0 {
				list.Batch = 1
			}
		}
		if list.ID == "" && list.Year != 0 {
			list.ID = fmt.Sprintf("%d-%d", list.Year, list.Batch)
		}
		var v Validation
		checkListID(&v, list.ID)
		lf := list.ListFields
		lf.Items = nil
		lf.Normalize()
		if err := lf.Validate(); err != nil {
			v.Fields = append(v.Fields, err.(*Error).Fields...)
		}
		for _, fe := range v.Fields {
			msg := fe.Message
			if fe.Field == "title" && fe.Code == "required" {
				msg = T("清单标题必填：在表头上方写一行标题，或在请求中给出 title", "the list needs a title: put it in a row above the header, or pass title")
			}
			if fe.Field == "year" {
				msg = T("年度须在 2000–2100 之间：在标题中写明“2026年”，或在请求中给出 year", "year must be 2000–2100: write “2026年” in the title, or pass year")
			}
			res.Issues = append(res.Issues, ImportIssue{Field: fe.Field, Code: fe.Code, Message: msg})
		}
	}
	list.Normalize()
	res.List = &list
	if in.DryRun {
		return res, nil
	}
	if len(res.Issues) > 0 {
		return res, importError(res.Issues)
	}
	detail := map[string]string{"sheet": res.Sheet, "rows": strconv.Itoa(res.Rows)}
	if existing == nil {
		l, err := s.insertList(ctx, p, dec, NewList{ID: list.ID, ListFields: list.ListFields}, "list.import", detail)
		if err != nil {
			return res, err
		}
		res.List, res.Stored = &l, true
		return res, nil
	}
	l, err := s.changeList(ctx, p, existing.ID, ActManageLists, 0, "list.import", in.ChangeNote, func(l *ConstructionList) (map[string]string, error) {
		if l.Status == ListClosed {
			return nil, errListClosed()
		}
		items := append([]ListItem(nil), res.Items...)
		if err := keepPublishedItems(l, items); err != nil {
			return nil, err
		}
		f := l.ListFields
		f.Items = items
		if err := f.Validate(); err != nil {
			return nil, err
		}
		l.Items = items
		return detail, nil
	})
	if err != nil {
		return res, err
	}
	res.List, res.Stored = &l, true
	return res, nil
}

// importError lists the problems of a sheet as one Invalid error.
func importError(issues []ImportIssue) error {
	e := &Error{Kind: KindInvalid,
		Message: T(fmt.Sprintf("表格有 %d 处问题，未导入任何内容", len(issues)), fmt.Sprintf("the sheet has %d problems; nothing was imported", len(issues)))}
	for _, is := range issues {
		field := is.Field
		switch {
		case is.Code == "missing_column":
			field = "columns." + is.Column
		case is.Row > 0 && is.Column != "":
			field = fmt.Sprintf("rows[%d].%s", is.Row, is.Column)
		case is.Row > 0:
			field = fmt.Sprintf("rows[%d]", is.Row)
		case is.Column != "":
			field = "columns." + is.Column
		case field == "":
			field = "sheet"
		}
		e.Fields = append(e.Fields, FieldError{Field: field, Code: is.Code, Message: is.Message})
	}
	e.Detail = issues
	return e
}

// The columns an export writes, in order: the canonical header of each
// import column, so an exported list imports again unchanged.
var exportFields = []string{"code", "name", "name_en", "domain", "modality", "requirements", "target_scale", "quality_requirements",
	"deadline", "priority", "lead_units", "formats", "notes", "cancelled", "cancel_reason"}

func exportHeader() []string {
	out := make([]string, len(exportFields))
	for i, f := range exportFields {
		for _, c := range listColumns {
			if c.field == f {
				out[i] = c.label.Zh
			}
		}
	}
	return out
}

func zhLabel(v Vocabulary, value string) string {
	if l, ok := v.Label(value); ok {
		return l.Zh
	}
	return value
}

// dateCell turns a YYYY-MM-DD deadline into a date cell.
func dateCell(s string) any {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t
}

// ListTable is the items sheet of a list, in the import format.
func ListTable(l *ConstructionList) Table {
	t := Table{Name: "清单", Title: l.Title, Header: exportHeader(),
		Widths: []float64{8, 30, 30, 14, 12, 50, 16, 30, 14, 8, 24, 14, 24, 10, 24}}
	for _, it := range l.Items {
		status := "有效"
		if it.Cancelled {
			status = "已取消"
		}
		var deadline any = ""
		if it.Deadline != "" {
			deadline = dateCell(it.Deadline)
		}
		t.Rows = append(t.Rows, []any{it.Code, it.Name, it.NameEn, zhLabel(Domains, it.Domain), zhLabel(Modalities, it.Modality),
			it.Requirements, it.TargetScale, it.Quality, deadline, zhLabel(Priorities, it.Priority),
			strings.Join(it.LeadUnits, "、"), strings.Join(it.Formats, "、"), it.Notes, status, it.CancelReason})
	}
	return t
}

// ListInfoTable describes the list itself: the second sheet of an export.
func ListInfoTable(l *ConstructionList) Table {
	status, _ := ListStatuses.Label(l.Status)
	t := Table{Name: "清单信息", Header: []string{"项目", "内容"}, Widths: []float64{16, 80}}
	t.Rows = [][]any{{"清单标识", l.ID}, {"标题", l.Title}, {"英文标题", l.TitleEn}, {"年度", l.Year}, {"批次", l.Batch},
		{"状态", status.Zh}, {"版本", l.Revision}, {"说明", l.Description}, {"英文说明", l.DescriptionEn}}
	if l.PublishedAt != nil {
		t.Rows = append(t.Rows, []any{"发布时间", l.PublishedAt.In(chinaTime).Format("2006-01-02 15:04")})
	}
	return t
}

// TemplateTables are the sheets of the downloadable import template: the
// empty list sheet with drop-down lists, and the instructions with the
// vocabularies and accepted column names.
func TemplateTables() []Table {
	h := exportHeader()
	list := Table{Name: "清单", Title: "2026年高质量数据集建设清单（第一批）", Header: h,
		Widths: []float64{8, 30, 30, 14, 12, 50, 16, 30, 14, 8, 24, 14, 24, 10, 24}, Choices: map[int][]string{}}
	for i, f := range exportFields {
		switch f {
		case "domain":
			list.Choices[i] = labels(Domains)
		case "modality":
			list.Choices[i] = labels(Modalities)
		case "priority":
			list.Choices[i] = labels(Priorities)
		case "cancelled":
			list.Choices[i] = []string{"有效", "已取消"}
		}
	}
	help := Table{Name: "填写说明", Header: []string{"列名", "是否必填", "说明", "可用的其他列名"}, Widths: []float64{14, 10, 60, 60}}
	notes := map[string]string{
		"code":                 "条目编号，清单内唯一；可留空，导入时按行顺序编号。纯数字写作两位（7 → 07）。",
		"name":                 "希望建设的数据集名称。",
		"name_en":              "英文名称，可选。",
		"domain":               "行业领域，填下列之一：" + labelList(Domains, "zh"),
		"modality":             "数据模态，可选，填下列之一：" + labelList(Modalities, "zh") + "；填多个（如“文本、图像”）视为多模态。",
		"requirements":         "建设内容与要求。",
		"target_scale":         "目标规模，如“10万条”“50TB”。",
		"quality_requirements": "质量要求，如标注准确率。",
		"deadline":             "截止日期，如 2026-12-31、2026年12月31日、2026年底。",
		"priority":             "高、中、低；留空为“中”。",
		"lead_units":           "建议牵头单位，多个用顿号分隔。",
		"formats":              "期望的数据格式，多个用顿号分隔，如 JSONL、DICOM。",
		"notes":                "备注。",
		"cancelled":            "已发布清单中取消的条目填“已取消”，其余留空或填“有效”。",
		"cancel_reason":        "取消条目的原因。",
	}
	for _, f := range exportFields {
		for _, c := range listColumns {
			if c.field != f {
				continue
			}
			req := "否"
			if c.required {
				req = "是"
			}
			help.Rows = append(help.Rows, []any{c.label.Zh, req, notes[f], strings.Join(append(append([]string{}, c.names[1:]...), c.secondary...), "、")})
		}
	}
	ignored := make([]string, 0, len(ignoredColumns))
	for h := range ignoredColumns {
		ignored = append(ignored, h)
	}
	slices.Sort(ignored)
	for _, h := range ignored {
		help.Rows = append(help.Rows, []any{h, "忽略", ignoredColumns[h].Zh, ""})
	}
	return []Table{list, help}
}

func labels(v Vocabulary) []string {
	out := make([]string, len(v))
	for i, t := range v {
		out[i] = t.Label.Zh
	}
	return out
}

// chinaTime is the time zone of deadlines and report dates.
var chinaTime = time.FixedZone("CST", 8*3600)

// today is the current date in China.
func (s *Service) today() string { return s.now().In(chinaTime).Format(time.DateOnly) }
