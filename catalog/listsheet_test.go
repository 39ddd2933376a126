package catalog

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseSheetDate(t *testing.T) {
	cases := map[string]string{
		"2026-12-31":          "2026-12-31",
		"2026/1/5":            "2026-01-05",
		"2026.06.30":          "2026-06-30",
		"2026年6月30日":          "2026-06-30",
		"2026 年 6 月 30 日":     "2026-06-30",
		"2026-12-31 00:00:00": "2026-12-31",
		"2026-02":             "2026-02-28",
		"2026年2月":             "2026-02-28",
		"2028年2月底":            "2028-02-29",
		"2026年底":              "2026-12-31",
		"2026年第三季度":           "2026-09-30",
		"2026年Q":              "",
		"2026年上半年":            "2026-06-30",
		"2026年下半年":            "2026-12-31",
		"46387":               "2026-12-31", // Excel serial
		"46387.5":             "2026-12-31",
		"2026-02-30":          "",
		"明年":                  "",
		"12/31/2026":          "",
		"1999-12-31":          "",
		"123":                 "",
	}
	for in, want := range cases {
		got, ok := ParseSheetDate(in)
		if ok != (want != "") || got != want {
			t.Errorf("ParseSheetDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestVocabularyCells(t *testing.T) {
	domains := map[string]string{"医疗健康": "medical", "medical": "medical", "Medical & health": "medical", " 医疗卫生 ": "medical",
		"智能网联汽车": "autonomous-driving", "文旅": "culture-tourism", "E-commerce": "e-commerce", "天文": ""}
	for in, want := range domains {
		if got, ok := ParseDomain(in); got != want || ok != (want != "") {
			t.Errorf("ParseDomain(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	modalities := map[string]string{"图像": "image", "图片": "image", "文本、图像": "multimodal", "文本/文本": "text", "Point cloud": "point-cloud",
		"知识图谱": "graph", "全息": "", "文本、全息": ""}
	for in, want := range modalities {
		if got, ok := ParseModality(in); got != want || ok != (want != "") {
			t.Errorf("ParseModality(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{"高": "high", "重点": "high", "一般": "medium", "Low": "low", "紧急": ""} {
		if got, ok := ParsePriority(in); got != want || ok != (want != "") {
			t.Errorf("ParsePriority(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestParseListSheets(t *testing.T) {
	t.Run("a provincial sheet with synonyms, a title row and columns to ignore", func(t *testing.T) {
		sh := Sheet{Name: "Sheet1", Rows: [][]string{
			{"2026年江苏省高质量数据集建设清单（第二批）"},
			{},
			{"序号", "数据集名称（必填）", "数据集模态", "所属行业", "所属主题", "申报单位", "来源部门", "开放状态", "更新频率", "数据格式", "完成时间", "奇怪的列"},
			{"1", "胸部CT影像数据集", "图像", "医疗卫生", "卫生健康", "省人民医院、南京医科大学", "省卫健委", "有条件开放", "每年", "DICOM、JSON", "2026年底", "x"},
			{"", "", "", "", "", "", "", "", "", "", "", ""},
			{"2", "方言语音语料", "语音", "语音", "", "", "", "无条件开放", "", "", "", ""},
			{"3"}, // a numbered row with nothing in it
		}}
		ps := ParseListSheets([]Sheet{sh})
		if len(ps.Issues) != 0 {
			t.Fatalf("issues: %+v", ps.Issues)
		}
		if ps.Title != "2026年江苏省高质量数据集建设清单（第二批）" || ps.Rows != 2 || len(ps.Items) != 2 {
			t.Fatalf("title %q rows %d items %d", ps.Title, ps.Rows, len(ps.Items))
		}
		it := ps.Items[0]
		if it.Code != "01" || it.Domain != "medical" || it.Modality != "image" || it.Deadline != "2026-12-31" ||
			strings.Join(it.LeadUnits, "|") != "省人民医院|南京医科大学" || strings.Join(it.Formats, "|") != "DICOM|JSON" || it.Priority != "medium" {
			t.Fatalf("item %+v", it)
		}
		if ps.Items[1].Domain != "speech" || ps.Items[1].Modality != "audio" {
			t.Fatalf("item %+v", ps.Items[1])
		}
		notes := map[string]ImportColumn{}
		for _, c := range ps.Columns {
			notes[c.Header] = c
		}
		for h, field := range map[string]string{"数据集名称（必填）": "name", "所属行业": "domain", "申报单位": "lead_units", "完成时间": "deadline", "数据格式": "formats"} {
			if notes[h].Field != field {
				t.Errorf("column %s → %q, want %s", h, notes[h].Field, field)
			}
		}
		for _, h := range []string{"所属主题", "来源部门", "开放状态", "更新频率", "奇怪的列"} {
			if c := notes[h]; c.Field != "" || c.Note.Zh == "" || c.Note.En == "" {
				t.Errorf("column %s should be ignored with a reason: %+v", h, c)
			}
		}
	})
	t.Run("every problem is named by row and column", func(t *testing.T) {
		sh := Sheet{Rows: [][]string{
			{"序号", "数据集名称", "行业领域", "截止日期", "优先级", "数据集模态"},
			{"1", "甲", "医疗健康", "2026-12-31", "高", "文本"},
			{"1", "乙", "天文", "明年", "紧急", "全息"},
			{"A-3", "", "金融", "", "", ""},
		}}
		ps := ParseListSheets([]Sheet{sh})
		want := map[string]string{
			"3/序号": "duplicate", "3/行业领域": "vocabulary", "3/截止日期": "date", "3/优先级": "vocabulary", "3/数据集模态": "vocabulary",
			"4/序号": "code", "4/数据集名称": "required",
		}
		got := map[string]string{}
		for _, is := range ps.Issues {
			got[strconv.Itoa(is.Row)+"/"+is.Column] = is.Code
			if !strings.Contains(is.Message.Zh, "第 "+strconv.Itoa(is.Row)+" 行") || !strings.Contains(is.Message.En, "row "+strconv.Itoa(is.Row)) {
				t.Errorf("message does not name the row: %+v", is)
			}
		}
		for k, code := range want {
			if got[k] != code {
				t.Errorf("%s: got %q, want %q (all: %v)", k, got[k], code, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("issues %v, want %v", got, want)
		}
	})
	t.Run("a missing required column", func(t *testing.T) {
		ps := ParseListSheets([]Sheet{{Rows: [][]string{{"序号", "数据集名称", "截止日期"}, {"1", "甲", "2026-01-01"}}}})
		if len(ps.Issues) != 1 || ps.Issues[0].Code != "missing_column" || ps.Issues[0].Column != "行业领域" || ps.Issues[0].Row != 1 {
			t.Fatalf("issues %+v", ps.Issues)
		}
	})
	t.Run("no header at all", func(t *testing.T) {
		ps := ParseListSheets([]Sheet{{Rows: [][]string{{"a", "b"}, {"c", "d"}}}})
		if len(ps.Issues) != 1 || ps.Issues[0].Code != "no_header" {
			t.Fatalf("issues %+v", ps.Issues)
		}
	})
	t.Run("rows without codes are numbered around the given ones", func(t *testing.T) {
		ps := ParseListSheets([]Sheet{{Rows: [][]string{{"序号", "数据集名称", "行业领域"}, {"", "甲", "金融"}, {"1", "乙", "金融"}, {"", "丙", "金融"}}}})
		var codes []string
		for _, it := range ps.Items {
			codes = append(codes, it.Code)
		}
		if len(ps.Issues) != 0 || strings.Join(codes, ",") != "02,01,03" {
			t.Fatalf("codes %v issues %+v", codes, ps.Issues)
		}
	})
}

func TestDiffLists(t *testing.T) {
	a := &ConstructionList{ListFields: ListFields{Title: "甲", Items: []ListItem{
		{Code: "01", Name: "a", Domain: "medical", Priority: "medium"},
		{Code: "02", Name: "b", Domain: "finance", Priority: "medium"},
		{Code: "03", Name: "c", Domain: "legal", Priority: "medium"},
	}}}
	b := &ConstructionList{ListFields: ListFields{Title: "乙", Items: []ListItem{
		{Code: "01", Name: "a", Domain: "medical", Priority: "high", Needs: []string{"need-1"}},
		{Code: "02", Name: "b", Domain: "finance", Priority: "medium", Cancelled: true},
		{Code: "04", Name: "d", Domain: "energy", Priority: "low"},
	}}}
	got := diffLists(a, b)
	want := []ChangedEntry{{Op: "changed", Fields: []string{"title"}}, {Item: "01", Op: "changed", Fields: []string{"priority"}},
		{Item: "02", Op: "cancelled"}, {Item: "04", Op: "added"}, {Item: "03", Op: "removed"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Item != want[i].Item || got[i].Op != want[i].Op || strings.Join(got[i].Fields, ",") != strings.Join(want[i].Fields, ",") {
			t.Errorf("change %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
