package frontend_test

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// The construction-list journeys: a developer files data needs; the bureau
// imports a list from XLSX (a rejected sheet first, with its problems by
// row and column), edits and publishes it; a provider answers an item with
// a conditional and an important dataset and delivers; the bureau accepts
// the delivery, turns the needs into an item and reads the dashboards; and
// an anonymous visitor reads the list and finds the important dataset
// nowhere.

// listTitle is the title row of the imported sheet; the list's id (2027-1)
// comes from it.
const listTitle = "2027年江苏省高质量数据集建设清单（第一批）"

// listHeader is the Chinese header real provincial lists use.
var listHeader = []any{"序号", "数据集名称", "行业领域", "数据集模态", "建设要求", "目标规模", "截止日期", "优先级", "牵头单位"}

// writeListSheet writes an XLSX list: the title row, the header, then the
// rows (spreadsheet row 3 onwards).
func writeListSheet(t *testing.T, name string, rows [][]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	if err := f.SetSheetRow(sh, "A1", &[]any{listTitle}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow(sh, "A2", &listHeader); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+3)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow(sh, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), name+".xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// setCSS sets the value of the element selector finds.
func (b *browser) setCSS(selector, value string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SetValue(chromedp.CSS(selector), value)); err != nil {
		b.t.Fatalf("set %s: %v", selector, err)
	}
}

func (b *browser) upload(id, path string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID(id), []string{path})); err != nil {
		b.t.Fatalf("upload into #%s: %v", id, err)
	}
}

// eval runs a script in the page (the DevTools protocol runs it even
// when the page's own scripts are disabled) and returns its string.
func (b *browser) eval(script string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](script))
	if err != nil {
		b.t.Fatalf("evaluate: %v", err)
	}
	return s
}

// mark gives the id target to the first element matching selector whose
// text contains text, so that later selectors can name it.
func (b *browser) mark(selector, text string) {
	b.t.Helper()
	ok := b.eval(`(function(){var old=document.getElementById("target"); if(old){old.removeAttribute("id")}
		var el=Array.prototype.find.call(document.querySelectorAll(` + jsString(selector) + `), function(e){return e.textContent.indexOf(` + jsString(text) + `)>=0});
		if(!el){return "no"} el.id="target"; return "yes"})()`)
	if ok != "yes" {
		b.t.Fatalf("no %s shows %q:\n%.1500s", selector, text, b.page())
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func listJourneys(t *testing.T, b *browser, p *portal) {
	const (
		needA  = "病理切片图像与诊断报告数据"
		needB  = "病理切片图像诊断标注数据"
		brain  = "脑部MRI医学影像分割数据集"
		hidden = "胃癌病理切片图像数据集" // important data: verified organisations only
	)

	t.Run("developer files data needs", func(t *testing.T) {
		b.t = t
		b.signIn("developer@demo.dataportal.cn", "Developer-2026!demo")
		b.visit("/workspace")
		mustContain(t, "workspace", b.page(), "我的数据需求")
		b.follow(`a[href="/workspace/needs"]`)
		// No title: the form comes back with the error next to the field.
		b.set("nd-domain", "medical")
		b.set("nd-description", "用于训练病理辅助诊断模型，需要全视野切片与对应诊断报告。")
		if st := b.submit(`form[action="/workspace/needs"] button[type=submit]`); st != 422 {
			t.Fatalf("need without a title: %d", st)
		}
		if b.count(`#nd-title[aria-invalid=true]`) != 1 || b.text("#nd-title-error") == "" {
			t.Fatalf("no field error next to the title: %s", b.page())
		}
		for _, n := range []string{needA, needB} {
			b.set("nd-title", n)
			b.set("nd-domain", "medical")
			b.set("nd-modality", "image")
			b.set("nd-scale", "1万例")
			b.set("nd-purpose", "training")
			b.set("nd-description", "用于训练病理辅助诊断模型，需要全视野切片与对应诊断报告。")
			if st := b.submit(`form[action="/workspace/needs"] button[type=submit]`); st != 200 {
				t.Fatalf("file need: %d %s", st, b.page())
			}
		}
		mustContain(t, "my needs", b.page(), needA, needB, "待处理", "已提交数据需求")
		b.screenshot("developer-needs")
		b.signOut()
	})

	t.Run("bureau imports a list from XLSX and publishes it", func(t *testing.T) {
		b.t = t
		b.signIn("bureau@demo.dataportal.cn", "Bureau-2026!demo")
		b.visit("/workspace/lists")
		mustContain(t, "bureau lists", b.page(), "2026年江苏省高质量数据集建设清单（第一批）", "新建清单")
		b.screenshot("bureau-lists")
		b.follow(`a[href="/workspace/lists/import"]`)

		// A sheet with an unknown domain in row 4 and a bad date in row 5
		// is rejected whole, each problem named by row and column.
		bad := writeListSheet(t, "有误的清单", [][]any{
			{"01", "病理切片与医学影像标注数据集", "医疗卫生", "图像", "全视野病理切片与影像标注", "2万例", "2027-06-30", "高", "省卫生健康委"},
			{"02", "星际航行日志语料", "星际航行", "文本", "航行日志", "1万条", "2027-06-30", "中", "省数据局"},
			{"03", "医疗问答指令语料", "医疗卫生", "文本", "医患问答", "10万条", "明年春天", "中", "省卫生健康委"},
		})
		b.upload("im-file", bad)
		b.click("#im-check") // untick "check only": import at once
		if st := b.submit(`form[enctype="multipart/form-data"] button[type=submit]`); st != 422 {
			t.Fatalf("bad sheet: status %d: %s", st, b.page())
		}
		cells := strings.Split(b.eval(`Array.prototype.map.call(document.querySelectorAll("#import-issues tbody tr"), function(r){
			return r.querySelector(".row").textContent.trim()+"|"+r.querySelector(".column").textContent.trim()}).join(";")`), ";")
		for _, want := range []string{"4|行业领域", "5|截止日期"} {
			if !slices.Contains(cells, want) {
				t.Fatalf("the error table does not name row and column %s: %v", want, cells)
			}
		}
		mustContain(t, "rejected import", b.page(), "未导入任何内容", "星际航行", "明年春天")
		b.screenshot("bureau-import-errors")
		b.visit("/workspace/lists")
		mustNotContain(t, "lists after a rejected import", b.page(), listTitle)

		// The right sheet: checked first, then imported.
		good := writeListSheet(t, "建设清单", [][]any{
			{"01", "病理切片与医学影像标注数据集", "医疗卫生", "图像", "全视野病理切片、医学影像与标注", "2万例", "2027-06-30", "高", "省卫生健康委、苏州市第一人民医院"},
			{"02", "医疗问答指令语料", "医疗卫生", "文本", "医患问答与医学知识问答", "10万条", "2027年底", "中", "省卫生健康委"},
		})
		b.visit("/workspace/lists/import")
		b.upload("im-file", good)
		if st := b.submit(`form[enctype="multipart/form-data"] button[type=submit]`); st != 200 {
			t.Fatalf("check: %d %s", st, b.page())
		}
		mustContain(t, "checked sheet", b.page(), "检查通过：2 个条目可以导入", "病理切片与医学影像标注数据集", "2027-12-31")
		b.screenshot("bureau-import-check")
		b.upload("im-file", good)
		b.click("#im-check")
		if st := b.submit(`form[enctype="multipart/form-data"] button[type=submit]`); st != 200 {
			t.Fatalf("import: %d %s", st, b.page())
		}
		if !strings.HasSuffix(b.location(), "/workspace/lists/2027-1") {
			t.Fatalf("after the import: %s", b.location())
		}
		mustContain(t, "editor", b.page(), "已导入", "共 2 个条目", "草稿")

		// An item without a name comes back with the error next to it.
		b.set("ni-code", "03")
		b.set("ni-domain", "medical")
		if st := b.submit(`form[action$="/items"] button[type=submit]`); st != 422 {
			t.Fatalf("item without a name: %d", st)
		}
		if b.count(`#ni-name[aria-invalid=true]`) != 1 || b.text("#ni-name-error") == "" {
			t.Fatalf("no field error next to the name: %s", b.page())
		}
		b.set("ni-name", "医学影像报告生成数据集")
		b.set("ni-modality", "multimodal")
		b.set("ni-deadline", "2027-09-30")
		if st := b.submit(`form[action$="/items"] button[type=submit]`); st != 200 {
			t.Fatalf("add item: %d %s", st, b.page())
		}
		mustContain(t, "editor after adding", b.page(), "已添加条目 03", "医学影像报告生成数据集")
		b.screenshot("bureau-list-editor")
		b.submit(`form[action$="/publish"] button`)
		mustContain(t, "published list", b.page(), "已发布“"+listTitle+"”")
		b.signOut()
	})

	t.Run("provider answers an item with its datasets and delivers", func(t *testing.T) {
		b.t = t
		b.signIn("provider@demo.dataportal.cn", "Provider-2026!demo")
		b.visit("/lists/2027-1/items/01")
		// The suggestions are the organisation's own datasets, the
		// important one included (its own).
		matches := b.text("#matches")
		mustContain(t, "suggestions", matches, brain, hidden)
		// No plan: the form comes back, the ticked datasets still ticked.
		b.click(`input[name=datasets][value="js-brain-mri-segmentation"]`)
		b.click(`input[name=datasets][value="sz-gastric-pathology-slides"]`)
		b.set("r-expected", "2027-05-31")
		if st := b.submit(`form[action$="/respond"] button[type=submit]`); st != 422 {
			t.Fatalf("response without a plan: %d", st)
		}
		if b.count(`#r-plan[aria-invalid=true]`) != 1 || b.count(`input[name=datasets]:checked`) != 2 {
			t.Fatalf("the response form did not come back as typed: %s", b.page())
		}
		b.set("r-plan", "以本院登记的脑部MRI分割与胃癌病理切片数据集响应，2027年5月完成标注复核。")
		if st := b.submit(`form[action$="/respond"] button[type=submit]`); st != 200 {
			t.Fatalf("respond: %d %s", st, b.page())
		}
		mustContain(t, "after responding", b.page(), "已提交响应", "拟建设", brain, hidden)
		for _, st := range []struct{ value, label string }{{"building", "建设中"}, {"delivered", "已交付"}} {
			b.set("m-state", st.value)
			if code := b.submit(`form[action$="/response/state"] button[type=submit]`); code != 200 {
				t.Fatalf("move to %s: %d %s", st.value, code, b.page())
			}
			mustContain(t, "after moving", b.page(), "响应状态已改为“"+st.label+"”")
		}
		b.screenshot("provider-item-response")
		b.visit("/workspace/responses")
		mustContain(t, "my responses", b.page(), "2027-1-01", "已交付")
		b.screenshot("provider-responses")
		b.visit("/workspace/matches?list=2027-1")
		mustContain(t, "suggestions page", b.page(), "病理切片与医学影像标注数据集", brain)
		b.screenshot("provider-matches")
		b.signOut()
	})

	t.Run("bureau accepts the delivery, turns needs into an item and reads the dashboards", func(t *testing.T) {
		b.t = t
		b.signIn("bureau@demo.dataportal.cn", "Bureau-2026!demo")
		b.visit("/workspace/deliveries")
		mustContain(t, "deliveries", b.page(), "2027-1-01", brain)
		b.screenshot("bureau-deliveries")
		b.submit(`form[action="/workspace/lists/2027-1/items/01/responses/org-szfh/review"] button[value=true]`)
		mustContain(t, "after accepting", b.page(), "已验收")

		b.visit("/workspace/need-groups")
		mustContain(t, "need groups", b.page(), needA, needB)
		b.mark("article.group", needA)
		b.click(`#target details.to-item summary`)
		b.setCSS(`#target form.to-item select[name=list]`, "2027-1")
		b.setCSS(`#target form.to-item input[name=code]`, "04")
		b.screenshot("bureau-need-groups")
		if st := b.submit(`#target form.to-item button[type=submit]`); st != 200 {
			t.Fatalf("needs to item: %d %s", st, b.page())
		}
		mustContain(t, "the new item", b.page(), "已将需求转为清单条目 04", needA)

		// The statistics are recomputed in the background; do it now.
		if err := p.app.Service().RefreshStats(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		b.visit("/workspace/lists/2027-1/progress")
		page := b.page()
		mustContain(t, "dashboard", page, "各领域条目覆盖情况", "响应（按状态）", "访问申请（按状态）", "医疗健康")
		if n := b.count("figure.chart svg"); n < 3 {
			t.Fatalf("the dashboard has %d charts", n)
		}
		b.screenshot("bureau-list-progress")
		b.visit("/workspace/stats")
		mustContain(t, "statistics", b.page(), "数据集（按行业领域）", "访问申请（按状态）", "各清单覆盖情况", listTitle)
		b.screenshot("bureau-stats")
		b.signOut()
	})

	t.Run("anonymous visitor sees the list and cannot see an important dataset anywhere", func(t *testing.T) {
		b.t = t
		waitIndexed(t, p)
		b.visit("/")
		mustContain(t, "home", b.page(), "高质量数据集建设清单", listTitle, "数据概览")
		b.screenshot("home-lists")
		b.follow(`a[href="/lists"]`)
		mustContain(t, "lists", b.page(), listTitle, "2026年江苏省高质量数据集建设清单（第一批）")
		b.screenshot("lists")
		b.visit("/lists/2027-1")
		page := b.page()
		mustContain(t, "list page", page, "病理切片与医学影像标注数据集", "医学影像报告生成数据集", "建设进度", "已验收", "第 2 版")
		mustNotContain(t, "list page", page, hidden)
		b.screenshot("list")

		b.visit("/lists/2027-1/items/01")
		page = b.page()
		mustContain(t, "item page", page, brain, "验收通过", "您可查看的 1 个")
		mustNotContain(t, "item page", page, hidden)
		b.screenshot("list-item")

		// Not in search, its facet or its suggestions either.
		b.visit("/search?list=2027-1-01")
		page = b.page()
		mustContain(t, "search by list item", page, brain)
		mustNotContain(t, "search by list item", page, hidden)
		b.visit("/search?q=" + url.QueryEscape("胃癌病理"))
		mustNotContain(t, "search", b.page(), hidden)
		if body, st := b.fetch("/api/v1/suggest?q=" + url.QueryEscape("脑部MRI")); st != 200 || !strings.Contains(body, brain) {
			t.Fatalf("suggestions do not work: %d %s", st, body)
		}
		if body, _ := b.fetch("/api/v1/suggest?q=" + url.QueryEscape("胃癌")); strings.Contains(body, hidden) {
			t.Fatalf("suggestions show the important dataset: %s", body)
		}
		if st := b.visit("/datasets/sz-gastric-pathology-slides"); st != 404 {
			t.Fatalf("the important dataset's page: %d", st)
		}
		mustNotContain(t, "404 page", b.page(), hidden)

		// The history: revision 1 is readable, without the later items.
		b.visit("/lists/2027-1/revisions")
		mustContain(t, "revisions", b.page(), "第 2 版", "第 1 版", "新增")
		b.screenshot("list-revisions")
		b.follow(`a[href="/lists/2027-1/revisions/1"]`)
		page = b.page()
		mustContain(t, "revision 1", page, "这是第 1 版", "病理切片与医学影像标注数据集", "医学影像报告生成数据集")
		mustNotContain(t, "revision 1", page, needA)
		body, st := b.fetch("/api/v1/lists/2027-1/export?format=csv")
		if st != 200 || !strings.Contains(body, "病理切片与医学影像标注数据集") || strings.Contains(body, hidden) {
			t.Fatalf("export: %d %q", st, body)
		}
	})
}
