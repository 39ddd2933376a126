package server

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"dataportal/catalog"
	"dataportal/catalog/mongo/mongotest"
)

const (
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	listID   = "2026-1"
)

// xlsxOf builds a workbook the way a bureau's office software would:
// cells of any type, dates as date cells.
func xlsxOf(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// provincialList is a 30-item list as a provincial bureau writes it: a
// title row, Chinese headers (some of them synonyms), Chinese labels for
// domains and modalities, real date cells and written-out dates, a column
// the portal ignores.
func provincialList(t *testing.T) []byte {
	t.Helper()
	rows := [][]any{
		{"2026年江苏省高质量数据集建设清单（第一批）"},
		{"序号", "数据集名称", "数据集模态", "行业领域", "建设要求", "目标规模", "质量要求", "截止日期", "优先级", "牵头单位", "开放状态"},
	}
	type spec struct{ name, modality, domain string }
	specs := []spec{
		{"胸部CT影像数据集", "图像", "医疗健康"},
		{"城市道路激光雷达点云数据集", "点云", "自动驾驶"},
	}
	domains := []string{"医疗卫生", "金融", "自动驾驶", "教育", "语音", "智能制造"}
	modalities := []string{"文本", "图像", "视频", "音频", "表格"}
	for i := len(specs); i < 30; i++ {
		specs = append(specs, spec{fmt.Sprintf("第%d号建设数据集", i+1), modalities[i%len(modalities)], domains[i%len(domains)]})
	}
	for i, s := range specs {
		var deadline any = time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC)
		if i >= 27 {
			deadline = "2024年6月30日" // long past: overdue unless covered
		}
		rows = append(rows, []any{i + 1, s.name, s.modality, s.domain, "覆盖全省三甲医院，含标注", "10万条", "标注准确率不低于95%", deadline,
			[]string{"高", "中", "低"}[i%3], "省数据局、南京大学", "有条件开放"})
	}
	return xlsxOf(t, rows)
}

// listFixture is a portal with two providers' datasets of every tier and
// the 30-item list imported and published.
type listFixture struct {
	p   *testPortal
	acc map[string]*account
}

func (f listFixture) c(name string) *client {
	if name == "anonymous" {
		return f.p.anon()
	}
	return f.p.as(f.acc[name].token)
}

func startListFixture(t *testing.T) listFixture {
	t.Helper()
	return startListFixtureWith(t, testConfig(t.TempDir()))
}

func startListFixtureWith(t *testing.T, cfg Config) listFixture {
	t.Helper()
	p := startPortal(t, cfg)
	f := listFixture{p: p, acc: seed(t, p)}
	tierSet(t, p, f.acc["provider"])
	prov2 := f.c("provider2")
	for _, d := range []catalog.NewDataset{
		newDataset("lidar-open", catalog.TierOpen, "城市道路激光雷达点云", "Urban lidar point clouds", "autonomous-driving", "point-cloud", "zh", "CC-BY-4.0"),
		newDataset("drive-core", catalog.TierCore, "自动驾驶路测视频", "Road test video", "autonomous-driving", "video", "zh", "proprietary"),
	} {
		prov2.want(t, 201, "POST", "/api/v1/datasets", d)
		prov2.want(t, 200, "POST", "/api/v1/datasets/"+d.ID+"/publish", nil)
	}
	return f
}

type importResult struct {
	catalog.ImportResult
	List *catalog.ConstructionList `json:"list"`
}

func (f listFixture) listCount(t *testing.T) int64 {
	var lp ListPage
	f.c("bureau").want(t, 200, "GET", "/api/v1/lists", nil).json(t, &lp)
	return lp.Total
}

// TestListJourney is the construction list from spreadsheet to accepted
// delivery: import, publish, two providers answer with datasets of every
// tier, the bureau accepts one; progress, search and item pages show each
// role only what it may see; export and import round-trip; a bad sheet
// stores nothing.
func TestListJourney(t *testing.T) {
	testListJourney(t, testConfig(t.TempDir()))
}

// TestListJourneyOnMongoDB runs the same journey on the MongoDB backend (an
// in-process FerretDB, or PORTAL_MONGODB_URI).
func TestListJourneyOnMongoDB(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MongoURI, cfg.MongoDB = mongotest.URI(t), mongotest.Database(t)
	testListJourney(t, cfg)
}

func testListJourney(t *testing.T, cfg Config) {
	f := startListFixtureWith(t, cfg)
	bureau := f.c("bureau")

	var imp importResult
	bureau.want(t, 201, "POST", "/api/v1/lists/import", provincialList(t), "Content-Type", xlsxType).json(t, &imp)
	l := imp.List
	if !imp.Stored || l.ID != listID || l.Year != 2026 || l.Batch != 1 || len(l.Items) != 30 || l.Status != catalog.ListDraft {
		t.Fatalf("imported %+v", imp)
	}
	if it := l.Items[0]; it.Code != "01" || it.Domain != "medical" || it.Modality != "image" || it.Deadline != "2030-12-31" || it.Priority != "high" ||
		strings.Join(it.LeadUnits, "|") != "省数据局|南京大学" || it.TargetScale != "10万条" {
		t.Fatalf("first item %+v", it)
	}
	if l.Items[29].Deadline != "2024-06-30" || l.Items[2].Domain != "autonomous-driving" {
		t.Fatalf("items %+v / %+v", l.Items[29], l.Items[2])
	}
	ignored := false
	for _, c := range imp.Columns {
		ignored = ignored || (c.Header == "开放状态" && c.Field == "" && c.Note.En != "")
	}
	if !ignored {
		t.Fatalf("开放状态 not reported as ignored: %+v", imp.Columns)
	}

	t.Run("a draft is the bureau's alone", func(t *testing.T) {
		f.c("developer").want(t, 403, "POST", "/api/v1/lists", catalog.NewList{ListFields: catalog.ListFields{Title: "x", Year: 2026, Batch: 5}})
		f.c("anonymous").want(t, 401, "POST", "/api/v1/lists/import", provincialList(t), "Content-Type", xlsxType)
		f.c("provider").want(t, 403, "POST", "/api/v1/lists/import", provincialList(t), "Content-Type", xlsxType)
		for _, who := range []string{"anonymous", "developer", "provider"} {
			f.c(who).want(t, 404, "GET", "/api/v1/lists/"+listID, nil)
			var lp ListPage
			f.c(who).want(t, 200, "GET", "/api/v1/lists", nil).json(t, &lp)
			if lp.Total != 0 {
				t.Errorf("%s lists %d lists", who, lp.Total)
			}
		}
		f.c("provider").want(t, 404, "POST", "/api/v1/lists/"+listID+"/items/01/responses", catalog.NewResponse{Plan: "x"})
		f.c("developer").want(t, 404, "POST", "/api/v1/lists/"+listID+"/publish", nil)
	})

	bureau.want(t, 200, "POST", "/api/v1/lists/"+listID+"/publish", nil).json(t, &l)
	if l.Status != catalog.ListPublished || l.Revision != 1 {
		t.Fatalf("published %+v", l)
	}
	f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/"+listID, nil)

	base := "/api/v1/lists/" + listID + "/items/"
	t.Run("providers answer with their own datasets only", func(t *testing.T) {
		r := f.c("provider").want(t, 422, "POST", base+"01/responses", catalog.NewResponse{Plan: "在建", Datasets: []string{"ct-open", "lidar-open"}})
		if pr := r.problem(t); len(pr.Errors) != 1 || pr.Errors[0].Field != "datasets" || !strings.Contains(pr.Errors[0].Message.En, "lidar-open") {
			t.Fatalf("another organisation's dataset: %s", r.body)
		}
		f.c("developer").want(t, 403, "POST", base+"01/responses", catalog.NewResponse{Plan: "x"})
		f.c("anonymous").want(t, 401, "POST", base+"01/responses", catalog.NewResponse{Plan: "x"})
		f.c("provider").want(t, 201, "POST", base+"01/responses", catalog.NewResponse{Plan: "依托医院影像科建设", ExpectedDate: "2026-10-31",
			Datasets: []string{"ct-open", "emr-important", "genome-core"}})
		f.c("provider").want(t, 409, "POST", base+"01/responses", catalog.NewResponse{Plan: "again"})
		f.c("provider2").want(t, 201, "POST", base+"02/responses", catalog.NewResponse{Plan: "路测车队采集", Datasets: []string{"lidar-open"}})
		// Linking later goes through the same checks.
		f.c("provider2").want(t, 200, "PATCH", base+"02/responses/org-carco", map[string]any{"datasets": []string{"lidar-open", "drive-core"}})
		f.c("provider").want(t, 404, "PATCH", base+"02/responses/org-hospital", map[string]any{"plan": "x"})
		f.c("provider").want(t, 403, "PATCH", base+"02/responses/org-carco", map[string]any{"plan": "hijack"})
	})

	t.Run("deliver, accept, and the states in between", func(t *testing.T) {
		f.c("provider2").want(t, 200, "POST", base+"02/responses/org-carco/state", StateRequest{State: catalog.RespBuilding})
		bureau.want(t, 409, "POST", base+"02/responses/org-carco/review", map[string]any{"accept": true})
		f.c("provider").want(t, 200, "POST", base+"01/responses/org-hospital/state", StateRequest{State: catalog.RespDelivered, Comment: "已上线"})
		f.c("provider").want(t, 403, "POST", base+"01/responses/org-hospital/review", map[string]any{"accept": true})
		bureau.want(t, 422, "POST", base+"01/responses/org-hospital/review", map[string]any{"accept": false})
		var rv catalog.ResponseView
		bureau.want(t, 200, "POST", base+"01/responses/org-hospital/review", map[string]any{"accept": true, "comment": "符合要求"}).json(t, &rv)
		if rv.State != catalog.RespAccepted || rv.Review == nil || !rv.Review.Accepted || len(rv.History) != 3 {
			t.Fatalf("accepted %+v", rv)
		}
		f.c("provider").want(t, 409, "PATCH", base+"01/responses/org-hospital", map[string]any{"datasets": []string{"ct-open"}})
	})

	t.Run("the datasets carry the items they answer", func(t *testing.T) {
		var d DatasetResponse
		f.c("provider").want(t, 200, "GET", "/api/v1/datasets/genome-core", nil).json(t, &d)
		if strings.Join(d.ListItems, ",") != listID+"-01" {
			t.Fatalf("list_items %v", d.ListItems)
		}
		r := f.c("provider").want(t, 422, "PATCH", "/api/v1/datasets/genome-core", map[string]any{"list_items": []string{}})
		if pr := r.problem(t); len(pr.Errors) != 1 || pr.Errors[0].Field != "list_items" {
			t.Fatalf("list_items edited by hand: %s", r.body)
		}
		f.p.waitIndexed()
		for who, want := range map[string][]string{
			"anonymous": {"ct-open"}, "developer": {"ct-open", "emr-important"}, "unverified": {"ct-open"},
			"provider2": {"ct-open", "emr-important"}, "provider": {"ct-open", "emr-important", "genome-core"}, "bureau": {"ct-open", "emr-important", "genome-core"},
		} {
			got := searchAll(t, f.c(who), "list="+listID+"-01")
			if !cmp.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
				t.Errorf("%s: search list=%s-01 finds %v, want %v", who, listID, got, want)
			}
		}
	})

	// linked datasets each role may see: provider's ct-open (open),
	// emr-important, genome-core (core); provider2's lidar-open (open), drive-core (core)
	visible := map[string][]string{
		"anonymous":  {"ct-open", "lidar-open"},
		"unverified": {"ct-open", "lidar-open"},
		"developer":  {"ct-open", "emr-important", "lidar-open"},
		"provider":   {"ct-open", "emr-important", "genome-core", "lidar-open"},
		"provider2":  {"ct-open", "drive-core", "emr-important", "lidar-open"},
		"bureau":     {"ct-open", "drive-core", "emr-important", "genome-core", "lidar-open"},
	}
	all := []string{"ct-open", "ct-conditional", "emr-important", "genome-core", "lidar-open", "drive-core"}

	t.Run("progress", func(t *testing.T) {
		for who, seen := range visible {
			var pr catalog.ListProgress
			r := f.c(who).want(t, 200, "GET", "/api/v1/lists/"+listID+"/progress", nil)
			r.json(t, &pr)
			if pr.Items != 30 || pr.Covered != 1 || pr.Coverage != 0.0333 || pr.Overdue != 3 || pr.Responses != 2 || pr.Answered != 2 {
				t.Fatalf("%s: progress %+v", who, pr)
			}
			wantState := map[string]int{"proposed": 0, "building": 1, "delivered": 0, "accepted": 1, "rejected": 0}
			if !cmp.Equal(pr.ByState, wantState) {
				t.Errorf("%s: by state %v", who, pr.ByState)
			}
			if pr.Datasets != len(seen) {
				t.Errorf("%s: counts %d linked datasets, may see %d", who, pr.Datasets, len(seen))
			}
			assertHidden(t, who, r.body, all, seen)
			med := pr.ByDomain[0]
			if med.Domain != "medical" || med.Items != 5 || med.Covered != 1 || med.Coverage != 0.2 {
				t.Errorf("%s: medical %+v", who, med)
			}
			if it := pr.ByItem[0]; !it.Covered || it.ByState["accepted"] != 1 || it.Overdue {
				t.Errorf("%s: item 01 %+v", who, it)
			}
			if it := pr.ByItem[29]; !it.Overdue || it.Covered {
				t.Errorf("%s: item 30 %+v", who, it)
			}
		}
	})

	t.Run("item pages show each role only what it may see", func(t *testing.T) {
		for who, seen := range visible {
			for _, code := range []string{"01", "02"} {
				var iv catalog.ItemView
				r := f.c(who).want(t, 200, "GET", base+code, nil)
				r.json(t, &iv)
				assertHidden(t, who+"/"+code, r.body, all, seen)
				n := 0
				for _, rv := range iv.Responses {
					if len(rv.Datasets) != len(rv.LinkedDatasets) {
						t.Errorf("%s: ids and linked datasets disagree: %+v", who, rv)
					}
					for _, id := range rv.Datasets {
						n++
						if !slices.Contains(seen, id) {
							t.Errorf("%s sees %s on item %s", who, id, code)
						}
					}
				}
				if n != iv.DatasetsSeen {
					t.Errorf("%s: item %s counts %d datasets, shows %d", who, code, iv.DatasetsSeen, n)
				}
			}
		}
	})

	t.Run("matching", func(t *testing.T) {
		var ms []catalog.ItemMatch
		bureau.want(t, 200, "GET", base+"01/matches", nil).json(t, &ms)
		found := map[string]catalog.ItemMatch{}
		for _, m := range ms {
			found[m.Dataset.ID] = m
			if len(m.Reasons) == 0 || m.Reasons[0].Zh == "" || m.Reasons[0].En == "" || m.Score <= 0 || m.Score > 1 {
				t.Errorf("match without reasons or score: %+v", m)
			}
		}
		if m, ok := found["ct-open"]; !ok || !m.Linked || found["ct-conditional"].Score == 0 {
			t.Fatalf("bureau matches %+v", ms)
		}
		if ms[0].Dataset.Domain != "medical" {
			t.Errorf("best match %+v", ms[0])
		}
		f.c("provider2").want(t, 200, "GET", base+"02/matches", nil).json(t, &ms)
		if len(ms) == 0 {
			t.Fatal("provider2 gets no suggestion for its own lidar data")
		}
		for _, m := range ms {
			if m.Dataset.Publisher != "org-carco" {
				t.Errorf("provider2 is shown %s of %s", m.Dataset.ID, m.Dataset.Publisher)
			}
		}
		f.c("developer").want(t, 403, "GET", base+"01/matches", nil)
		f.c("anonymous").want(t, 401, "GET", base+"01/matches", nil)
		var byItem map[string][]catalog.ItemMatch
		bureau.want(t, 200, "GET", "/api/v1/lists/"+listID+"/matches?per_item=2", nil).json(t, &byItem)
		if len(byItem) != 30 || len(byItem["01"]) == 0 || len(byItem["01"]) > 2 {
			t.Fatalf("list matches: %d items, item 01: %+v", len(byItem), byItem["01"])
		}
	})

	t.Run("later edits make revisions; earlier ones stay readable", func(t *testing.T) {
		bureau.want(t, 200, "PATCH", base+"03", map[string]any{"priority": "high", "target_scale": "20万条", "change_note": "提高优先级"})
		bureau.want(t, 409, "DELETE", base+"04", nil)
		bureau.want(t, 200, "PATCH", base+"30", map[string]any{"cancelled": true, "cancel_reason": "已由国家平台覆盖"})
		var revs []catalog.ListChange
		f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/"+listID+"/revisions", nil).json(t, &revs)
		if len(revs) != 3 || revs[0].Revision != 3 || revs[1].Note != "提高优先级" || revs[2].Revision != 1 ||
			revs[1].Changes[0].Item != "03" || strings.Join(revs[1].Changes[0].Fields, ",") != "priority,target_scale" || revs[0].Changes[0].Op != "cancelled" {
			t.Fatalf("revisions %+v", revs)
		}
		var old catalog.ConstructionList
		f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/"+listID+"/revisions/1", nil).json(t, &old)
		if old.Revision != 1 || old.Items[2].Priority != "low" || old.Items[2].TargetScale != "10万条" || old.Items[29].Cancelled {
			t.Fatalf("revision 1 %+v", old.Items[2])
		}
		f.c("anonymous").want(t, 404, "GET", "/api/v1/lists/"+listID+"/revisions/9", nil)
		var pr catalog.ListProgress
		f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/"+listID+"/progress", nil).json(t, &pr)
		if pr.Items != 29 || pr.Cancelled != 1 || pr.Overdue != 2 || pr.Coverage != 0.0345 {
			t.Fatalf("after cancelling: %+v", pr)
		}
		f.c("provider2").want(t, 409, "POST", base+"30/responses", catalog.NewResponse{Plan: "x"})
	})

	t.Run("export and import round-trip", func(t *testing.T) {
		var cur catalog.ConstructionList
		bureau.want(t, 200, "GET", "/api/v1/lists/"+listID, nil).json(t, &cur)
		for _, format := range []string{"xlsx", "csv"} {
			r := f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/"+listID+"/export?format="+format, nil)
			if !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("%s: disposition %q", format, r.header.Get("Content-Disposition"))
			}
			ct := xlsxType
			if format == "csv" {
				ct = "text/csv"
			}
			var back importResult
			bureau.want(t, 201, "POST", "/api/v1/lists/import?id=copy-"+format+"&title="+url.QueryEscape(cur.Title)+"&year=2026&batch=9", r.body, "Content-Type", ct).json(t, &back)
			if diff := cmp.Diff(cur.Items, back.List.Items); diff != "" {
				t.Errorf("%s round trip (-exported +imported):\n%s", format, diff)
			}
		}
		// The progress report exports too.
		r := bureau.want(t, 200, "GET", "/api/v1/lists/"+listID+"/progress/export?format=xlsx", nil)
		x, err := excelize.OpenReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("条目进度")
		if len(rows) != 32 || rows[2][0] != "01" || rows[2][6] != "是" {
			t.Fatalf("progress sheet: %d rows, %q", len(rows), rows[:3])
		}
		f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/"+listID+"/progress/export?format=csv", nil)
		f.c("anonymous").want(t, 422, "GET", "/api/v1/lists/"+listID+"/export?format=pdf", nil)
		r = f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/template", nil)
		tpl, err := excelize.OpenReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		if dvs, _ := tpl.GetDataValidations("清单"); len(dvs) < 3 {
			t.Errorf("the template has %d drop-down lists", len(dvs))
		}
	})

	t.Run("a malformed file is refused with row and column, and nothing is stored", func(t *testing.T) {
		before := f.listCount(t)
		noDomain := xlsxOf(t, [][]any{{"序号", "数据集名称", "截止日期"}, {1, "甲", "2026-12-31"}})
		r := bureau.want(t, 422, "POST", "/api/v1/lists/import?title=bad&year=2027&batch=1", noDomain, "Content-Type", xlsxType)
		if pr := r.problem(t); len(pr.Errors) != 1 || pr.Errors[0].Field != "columns.行业领域" || pr.Errors[0].Code != "missing_column" {
			t.Fatalf("missing column: %s", r.body)
		}
		bad := xlsxOf(t, [][]any{
			{"序号", "数据集名称", "行业领域", "截止日期"},
			{1, "甲", "金融", "2026-12-31"},
			{2, "乙", "金融", "2026-12-31"},
			{3, "丙", "金融", "2026-12-31"},
			{4, "丁", "金融", "下个月"},
			{5, "戊", "金融", "2026-12-31"},
			{6, "己", "天文学", "2026-12-31"},
		})
		r = bureau.want(t, 422, "POST", "/api/v1/lists/import?title=bad&year=2027&batch=1", bad, "Content-Type", xlsxType)
		got := map[string]string{}
		for _, e := range r.problem(t).Errors {
			got[e.Field] = e.Code
			if e.Message.Zh == "" || e.Message.En == "" {
				t.Errorf("message not bilingual: %+v", e)
			}
		}
		if !cmp.Equal(got, map[string]string{"rows[5].截止日期": "date", "rows[7].行业领域": "vocabulary"}) {
			t.Fatalf("errors %v", got)
		}
		var dry importResult
		bureau.want(t, 200, "POST", "/api/v1/lists/import?title=bad&year=2027&batch=1&dry_run=true", bad, "Content-Type", xlsxType).json(t, &dry)
		if dry.Stored || len(dry.Issues) != 2 || dry.Issues[0].Row != 5 || dry.Issues[0].Column != "截止日期" {
			t.Fatalf("dry run %+v", dry.Issues)
		}
		bureau.want(t, 422, "POST", "/api/v1/lists/import?title=bad&year=2027&batch=1", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel"), "Content-Type", xlsxType)
		if after := f.listCount(t); after != before {
			t.Fatalf("%d lists before, %d after refused imports", before, after)
		}
		bureau.want(t, 404, "GET", "/api/v1/lists/2027-1", nil)
		// A re-import into the published list may not drop items.
		partial := xlsxOf(t, [][]any{{"序号", "数据集名称", "行业领域"}, {1, "胸部CT影像数据集", "医疗健康"}})
		bureau.want(t, 422, "POST", "/api/v1/lists/"+listID+"/import", partial, "Content-Type", xlsxType)
		var still catalog.ConstructionList
		bureau.want(t, 200, "GET", "/api/v1/lists/"+listID, nil).json(t, &still)
		if len(still.Items) != 30 || still.Revision != 3 {
			t.Fatalf("the refused re-import changed the list: %d items, revision %d", len(still.Items), still.Revision)
		}
	})

	t.Run("a multipart upload works like a body", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("file", "清单.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(provincialList(t))
		mw.Close()
		var dry importResult
		bureau.want(t, 200, "POST", "/api/v1/lists/import?dry_run=true&id=form-2026", body.Bytes(), "Content-Type", mw.FormDataContentType()).json(t, &dry)
		if dry.Stored || len(dry.Items) != 30 || len(dry.Issues) != 0 {
			t.Fatalf("multipart dry run: stored=%v items=%d issues=%+v", dry.Stored, len(dry.Items), dry.Issues)
		}
		var empty bytes.Buffer
		mw = multipart.NewWriter(&empty)
		mw.WriteField("other", "x")
		mw.Close()
		bureau.want(t, 422, "POST", "/api/v1/lists/import", empty.Bytes(), "Content-Type", mw.FormDataContentType())
	})

	t.Run("bad input never fails 500", func(t *testing.T) {
		cases := []struct {
			method, path string
			body         any
			status       int
		}{
			{"GET", "/api/v1/lists?status=bogus", nil, 422},
			{"GET", "/api/v1/lists/" + listID + "/revisions/abc", nil, 422},
			{"GET", "/api/v1/lists/" + listID + "/items/01/matches?limit=abc", nil, 422},
			{"GET", "/api/v1/lists/nope/items/01", nil, 404},
			{"GET", "/api/v1/lists/" + listID + "/items/99", nil, 404},
			{"POST", "/api/v1/lists", `{"title":`, 400},
			{"POST", "/api/v1/lists", map[string]any{"title": "", "year": 1900, "batch": 0, "items": []map[string]any{{"code": "a-b", "domain": "x"}}}, 422},
			{"PATCH", "/api/v1/lists/" + listID, `"str"`, 400},
			{"PATCH", "/api/v1/lists/" + listID, map[string]any{"colour": "red"}, 422},
			{"POST", "/api/v1/lists/" + listID + "/items/01/responses/org-hospital/review", map[string]any{}, 422},
			{"POST", "/api/v1/needs/to-item", map[string]any{"needs": []string{"x"}, "list": listID}, 422},
			{"GET", "/api/v1/responses?scope=weird", nil, 422},
			{"GET", "/api/v1/needs?scope=weird", nil, 422},
			{"POST", "/api/v1/lists/import?year=abc", []byte("a,b"), 422},
			{"POST", "/api/v1/lists/import?title=x&year=2028", []byte("\x00\x01garbage\xff\xfe"), 422},
		}
		for _, tc := range cases {
			r := bureau.do(t, tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Errorf("%s %s: %d, want %d: %.300s", tc.method, tc.path, r.status, tc.status, r.body)
				continue
			}
			r.problem(t)
		}
	})

	t.Run("a closed list stays public and takes no responses", func(t *testing.T) {
		bureau.want(t, 200, "POST", "/api/v1/lists/"+listID+"/close", CloseRequest{Reason: "申报期结束"})
		r := f.c("provider2").want(t, 403, "POST", base+"05/responses", catalog.NewResponse{Plan: "late"})
		if pr := r.problem(t); pr.Decision == nil || !strings.Contains(pr.Decision.Reason.En, "still open") {
			t.Fatalf("closed list: %s", r.body)
		}
		f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/"+listID, nil)
		bureau.want(t, 409, "PATCH", base+"03", map[string]any{"priority": "low"})
	})
}

// assertHidden fails when a body names a dataset the reader may not see.
func assertHidden(t *testing.T, who string, body []byte, all, seen []string) {
	t.Helper()
	for _, id := range all {
		if !slices.Contains(seen, id) && bytes.Contains(body, []byte(`"`+id+`"`)) {
			t.Errorf("%s: the response names %s, which it may not see", who, id)
		}
	}
}

// TestDataNeeds: developers file needs, the bureau groups them by
// similarity, merges, turns the group into an item, and the authors learn
// when a delivery for it is accepted.
func TestDataNeeds(t *testing.T) {
	f := startListFixture(t)
	bureau, dev := f.c("bureau"), f.c("developer")
	bureau.want(t, 201, "POST", "/api/v1/lists", catalog.NewList{ListFields: catalog.ListFields{Title: "2026年需求清单", Year: 2026, Batch: 2,
		Items: []catalog.ListItem{{Code: "01", Name: "金融研报问答数据集", Domain: "finance", Modality: "text"}}}})
	bureau.want(t, 200, "POST", "/api/v1/lists/2026-2/publish", nil)

	file := func(c *client, title, domain, modality, desc string) catalog.DataNeed {
		var n catalog.DataNeed
		c.want(t, 201, "POST", "/api/v1/needs", catalog.NeedFields{Title: title, Domain: domain, Modality: modality, Scale: "1000小时",
			Purpose: "training", Description: desc}).json(t, &n)
		return n
	}
	a := file(dev, "苏州方言语音识别语料", "speech", "audio", "用于吴语方言语音识别模型训练")
	b := file(dev, "吴语苏州方言语音识别数据集", "speech", "audio", "方言客服场景")
	c := file(dev, "金融研报摘要语料", "finance", "text", "券商研报")
	f.c("provider").want(t, 403, "POST", "/api/v1/needs", catalog.NeedFields{Title: "x", Domain: "speech", Purpose: "training", Description: "x"})
	r := dev.want(t, 422, "POST", "/api/v1/needs", catalog.NeedFields{Title: "x", Domain: "astrology", Purpose: "fun", Description: "x"})
	if len(r.problem(t).Errors) != 2 {
		t.Fatalf("bad need: %s", r.body)
	}

	t.Run("needs are private to their authors and the bureau", func(t *testing.T) {
		f.c("unverified").want(t, 404, "GET", "/api/v1/needs/"+a.ID, nil)
		f.c("provider").want(t, 403, "GET", "/api/v1/needs?scope=all", nil)
		var np NeedPage
		f.c("unverified").want(t, 200, "GET", "/api/v1/needs", nil).json(t, &np)
		if np.Total != 0 {
			t.Fatalf("another developer lists %d needs", np.Total)
		}
		bureau.want(t, 200, "GET", "/api/v1/needs?scope=all", nil).json(t, &np)
		if np.Total != 3 {
			t.Fatalf("bureau lists %d needs", np.Total)
		}
	})

	var groups []catalog.NeedGroup
	bureau.want(t, 200, "GET", "/api/v1/needs/groups", nil).json(t, &groups)
	if len(groups) != 2 || len(groups[0].Needs) != 2 || len(groups[1].Needs) != 1 || groups[1].Needs[0].ID != c.ID {
		t.Fatalf("groups %+v", groups)
	}
	if g := groups[0]; g.Domain != "speech" || g.Suggested.Modality != "audio" || g.Similarity <= 0 || len(g.Reasons) < 3 {
		t.Fatalf("speech group %+v", g)
	}
	dev.want(t, 403, "GET", "/api/v1/needs/groups", nil)

	var merged catalog.DataNeed
	bureau.want(t, 200, "POST", "/api/v1/needs/merge", MergeRequest{Into: a.ID, Needs: []string{b.ID}}).json(t, &merged)
	var nb catalog.DataNeed
	dev.want(t, 200, "GET", "/api/v1/needs/"+b.ID, nil).json(t, &nb)
	if nb.Status != catalog.NeedMerged || nb.MergedInto != a.ID {
		t.Fatalf("merged need %+v", nb)
	}
	item := groups[0].Suggested
	item.Code = "02"
	var iv catalog.ItemView
	bureau.want(t, 201, "POST", "/api/v1/needs/to-item", catalog.NeedsToItem{Needs: []string{a.ID}, ListID: "2026-2", Item: &catalog.ItemChange{ListItem: item}}).json(t, &iv)
	if iv.Item.Code != "02" || len(iv.Item.Needs) != 2 {
		t.Fatalf("item from needs %+v", iv.Item)
	}
	var pub catalog.ItemView
	f.c("anonymous").want(t, 200, "GET", "/api/v1/lists/2026-2/items/02", nil).json(t, &pub)
	if len(pub.Item.Needs) != 0 {
		t.Fatal("the public sees which needs are behind an item")
	}
	for _, id := range []string{a.ID, b.ID} {
		var n catalog.DataNeed
		dev.want(t, 200, "GET", "/api/v1/needs/"+id, nil).json(t, &n)
		if n.Status != catalog.NeedPlanned || n.ItemRef != "2026-2-02" {
			t.Fatalf("need after conversion %+v", n)
		}
	}

	// A provider answers the item, delivers, the bureau accepts.
	prov := f.c("provider2")
	prov.want(t, 201, "POST", "/api/v1/datasets", newDataset("dialect-speech", catalog.TierOpen, "苏州方言语音语料", "Suzhou dialect speech", "speech", "audio", "zh", "CC-BY-4.0"))
	prov.want(t, 200, "POST", "/api/v1/datasets/dialect-speech/publish", nil)
	prov.want(t, 201, "POST", "/api/v1/lists/2026-2/items/02/responses", catalog.NewResponse{Plan: "已有语料", Datasets: []string{"dialect-speech"}})
	prov.want(t, 200, "POST", "/api/v1/lists/2026-2/items/02/responses/org-carco/state", StateRequest{State: catalog.RespDelivered})
	bureau.want(t, 200, "POST", "/api/v1/lists/2026-2/items/02/responses/org-carco/review", map[string]any{"accept": true, "comment": "通过"})

	for _, id := range []string{a.ID, b.ID} {
		var n catalog.DataNeed
		dev.want(t, 200, "GET", "/api/v1/needs/"+id, nil).json(t, &n)
		if n.Status != catalog.NeedFulfilled || n.FulfilledBy != "2026-2/02/org-carco" || n.FulfilledAt == nil {
			t.Fatalf("need after acceptance %+v", n)
		}
	}
	var nc catalog.DataNeed
	dev.want(t, 200, "GET", "/api/v1/needs/"+c.ID, nil).json(t, &nc)
	if nc.Status != catalog.NeedOpen {
		t.Fatalf("an unrelated need moved: %+v", nc)
	}
	var notes struct {
		Items []catalog.Notification `json:"items"`
	}
	dev.want(t, 200, "GET", "/api/v1/notifications", nil).json(t, &notes)
	kinds := map[string]int{}
	for _, n := range notes.Items {
		kinds[n.Kind]++
	}
	if kinds["need.fulfilled"] != 2 || kinds["need.planned"] != 2 {
		t.Fatalf("notifications %v", kinds)
	}
	dev.want(t, 409, "POST", "/api/v1/needs/"+a.ID+"/withdraw", nil)
	dev.want(t, 200, "POST", "/api/v1/needs/"+c.ID+"/withdraw", nil)
}

// TestStatistics: the public sees counts of public data only, derived
// from the same visibility filter as search; the bureau sees everything.
func TestStatistics(t *testing.T) {
	f := startListFixture(t)
	bureau := f.c("bureau")
	bureau.want(t, 201, "POST", "/api/v1/lists/import", provincialList(t), "Content-Type", xlsxType)
	bureau.want(t, 200, "POST", "/api/v1/lists/"+listID+"/publish", nil)
	f.c("provider").want(t, 201, "POST", "/api/v1/lists/"+listID+"/items/01/responses", catalog.NewResponse{Plan: "x", Datasets: []string{"ct-open"}})
	f.c("provider").want(t, 200, "POST", "/api/v1/lists/"+listID+"/items/01/responses/org-hospital/state", StateRequest{State: catalog.RespDelivered})
	bureau.want(t, 200, "POST", "/api/v1/lists/"+listID+"/items/01/responses/org-hospital/review", map[string]any{"accept": true})
	f.c("developer").want(t, 201, "POST", "/api/v1/needs", catalog.NeedFields{Title: "x", Domain: "speech", Purpose: "training", Description: "y"})
	// Two access requests: one decided, one open.
	for _, ds := range []string{"ct-conditional", "emr-important"} {
		var req catalog.AccessRequest
		f.c("developer").want(t, 201, "POST", "/api/v1/datasets/"+ds+"/access-requests", catalog.NewAccessRequest{Purpose: "训练医学影像模型，用于科研。",
			IntendedUse: "training", DurationDays: 30, AcceptTerms: true, AcceptCommitment: true, CommitmentVersion: catalog.SecurityCommitment().Version}).json(t, &req)
		if ds == "ct-conditional" {
			f.c("provider").want(t, 200, "POST", "/api/v1/access-requests/"+req.ID+"/decision", map[string]any{"approve": true, "reason": "同意"})
		}
	}
	if err := f.p.app.svc.RefreshStats(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	f.p.waitIndexed()

	var pub catalog.Stats
	r := f.c("anonymous").want(t, 200, "GET", "/api/v1/stats", nil)
	r.json(t, &pub)
	// Published: ct-open, ct-conditional, emr-important, genome-core, lidar-open, drive-core.
	if pub.Audience != catalog.StatsPublic || pub.Datasets.Total != 3 || pub.Providers.Publishing != 2 || pub.AccessRequests != nil || pub.Downloads != nil || pub.Needs != nil {
		t.Fatalf("public stats %+v", pub)
	}
	// The same numbers as an anonymous search's facets.
	var sp searchPage
	f.c("anonymous").want(t, 200, "GET", "/api/v1/search?per_page=1", nil).json(t, &sp)
	if sp.Total != pub.Datasets.Total || !cmp.Equal(listFacetMap(sp.Facets["tier"]), listFacetMap(pub.Datasets.ByTier)) ||
		!cmp.Equal(listFacetMap(sp.Facets["domain"]), listFacetMap(pub.Datasets.ByDomain)) {
		t.Fatalf("stats %+v disagree with search facets %+v", pub.Datasets, sp.Facets)
	}
	if pub.Lists.Published != 1 || pub.Lists.Items != 30 || pub.Lists.Covered != 1 || pub.Lists.ByState["accepted"] != 1 {
		t.Fatalf("list stats %+v", pub.Lists)
	}
	for _, bad := range []string{"genome-core", "drive-core", "core"} {
		if bytes.Contains(r.body, []byte(`"`+bad+`"`)) {
			t.Errorf("public statistics mention %s", bad)
		}
	}
	var dev catalog.Stats
	f.c("developer").want(t, 200, "GET", "/api/v1/stats", nil).json(t, &dev)
	if dev.Audience != catalog.StatsPublic || dev.Datasets.Total != 3 || dev.Own == nil {
		t.Fatalf("developer stats %+v", dev)
	}
	var full catalog.Stats
	bureau.want(t, 200, "GET", "/api/v1/stats", nil).json(t, &full)
	if full.Audience != catalog.StatsFull || full.Datasets.Total != 6 || full.AccessRequests == nil || full.Downloads == nil || full.Needs["open"] != 1 {
		t.Fatalf("bureau stats %+v", full)
	}
	if ar := full.AccessRequests; ar.Total != 2 || ar.ByState[catalog.RequestApproved] != 1 || ar.ByState[catalog.RequestAwaitingProvider] != 1 ||
		ar.Decided != 1 || ar.MedianDecisionHours < 0 {
		t.Fatalf("access request stats %+v", ar)
	}
	if tiers := listFacetMap(full.Datasets.ByTier); tiers["core"] != 2 || tiers["important"] != 1 {
		t.Fatalf("bureau tiers %v", tiers)
	}
	var prov catalog.Stats
	f.c("provider").want(t, 200, "GET", "/api/v1/stats", nil).json(t, &prov)
	if prov.Own == nil || prov.Own.Datasets["published"] != 4 || prov.Own.Responses["accepted"] != 1 {
		t.Fatalf("provider's own figures %+v", prov.Own)
	}
}

func listFacetMap(vs []catalog.FacetValue) map[string]int {
	m := map[string]int{}
	for _, v := range vs {
		m[v.Value] = v.Count
	}
	return m
}
