package frontend

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
	"dataportal/catalog/sheet"
)

// The bureau's list editor: lists with their drafts, a new list, the
// list's fields and items, publishing and closing, spreadsheet imports
// (checked in a dry run first: a sheet with any problem stores nothing and
// comes back with every problem by row and column), and the progress
// dashboard. Every change is decided by the service; the pages only offer
// the forms the policy would accept.

func (f *Frontend) registerListEditor(w fiber.Router) {
	w.Get("/lists", f.wsLists)
	w.Post("/lists", f.createList)
	w.Get("/lists/import", f.importForm)
	w.Post("/lists/import", f.importList)
	w.Get("/lists/:id", f.listEditor)
	w.Post("/lists/:id/edit", f.editList)
	w.Post("/lists/:id/publish", f.publishList)
	w.Post("/lists/:id/close", f.closeList)
	w.Get("/lists/:id/import", f.importForm)
	w.Post("/lists/:id/import", f.importList)
	w.Get("/lists/:id/progress", f.progressDashboard)
	w.Post("/lists/:id/items", f.addItem)
	w.Get("/lists/:id/items/:code/edit", f.itemEditForm)
	w.Post("/lists/:id/items/:code/edit", f.editItem)
	w.Post("/lists/:id/items/:code/cancel", f.cancelItem)
	w.Post("/lists/:id/items/:code/restore", f.restoreItem)
	w.Post("/lists/:id/items/:code/delete", f.deleteItem)
}

func editorPath(id string) string { return "/workspace/lists/" + url.PathEscape(id) }

// listForm is the list fields form as typed.
type listForm struct {
	ID, Title, TitleEn, Year, Batch, Description, DescriptionEn, ChangeNote string
}

func listFormOf(c *fiber.Ctx) listForm {
	return listForm{ID: strings.TrimSpace(c.FormValue("id")), Title: c.FormValue("title"), TitleEn: c.FormValue("title_en"),
		Year: strings.TrimSpace(c.FormValue("year")), Batch: strings.TrimSpace(c.FormValue("batch")),
		Description: c.FormValue("description"), DescriptionEn: c.FormValue("description_en"), ChangeNote: c.FormValue("change_note")}
}

func listFormFrom(l catalog.ConstructionList) listForm {
	return listForm{ID: l.ID, Title: l.Title, TitleEn: l.TitleEn, Year: strconv.Itoa(l.Year), Batch: strconv.Itoa(l.Batch),
		Description: l.Description, DescriptionEn: l.DescriptionEn}
}

// numbers parses the year and batch; a field left empty is 0, one that
// is not a number is a field error.
func (lf listForm) numbers(v *catalog.Validation) (year, batch int) {
	for _, n := range []struct {
		field, s string
		dst      *int
	}{{"year", lf.Year, &year}, {"batch", lf.Batch, &batch}} {
		if n.s == "" {
			continue
		}
		x, err := strconv.Atoi(n.s)
		if err != nil {
			v.Add(n.field, "integer", "须为整数", "must be a whole number")
			continue
		}
		*n.dst = x
	}
	return year, batch
}

// itemForm is an item form as typed.
type itemForm struct {
	Code, Name, NameEn, Domain, Modality, Requirements, TargetScale, Quality, Deadline, Priority, LeadUnits, Formats, Notes, ChangeNote string
}

func itemFormOf(c *fiber.Ctx) itemForm {
	return itemForm{Code: strings.TrimSpace(c.FormValue("code")), Name: c.FormValue("name"), NameEn: c.FormValue("name_en"),
		Domain: c.FormValue("domain"), Modality: c.FormValue("modality"), Requirements: c.FormValue("requirements"),
		TargetScale: c.FormValue("target_scale"), Quality: c.FormValue("quality_requirements"), Deadline: strings.TrimSpace(c.FormValue("deadline")),
		Priority: c.FormValue("priority"), LeadUnits: c.FormValue("lead_units"), Formats: c.FormValue("formats"),
		Notes: c.FormValue("notes"), ChangeNote: c.FormValue("change_note")}
}

func itemFormFrom(it catalog.ListItem) itemForm {
	return itemForm{Code: it.Code, Name: it.Name, NameEn: it.NameEn, Domain: it.Domain, Modality: it.Modality,
		Requirements: it.Requirements, TargetScale: it.TargetScale, Quality: it.Quality, Deadline: it.Deadline,
		Priority: it.Priority, LeadUnits: strings.Join(it.LeadUnits, "、"), Formats: strings.Join(it.Formats, ", "), Notes: it.Notes}
}

// item is the list item the form describes.
func (in itemForm) item() catalog.ListItem {
	return catalog.ListItem{Code: in.Code, Name: in.Name, NameEn: in.NameEn, Domain: in.Domain, Modality: in.Modality,
		Requirements: in.Requirements, TargetScale: in.TargetScale, Quality: in.Quality, Deadline: in.Deadline,
		Priority: in.Priority, LeadUnits: splitList(in.LeadUnits), Formats: splitList(in.Formats), Notes: in.Notes}
}

// notAllowed is the error of a page whose forms the policy would refuse,
// with the decision that explains it.
func notAllowed(d catalog.Decision) error {
	return &catalog.Error{Kind: catalog.KindForbidden, Message: d.Reason, Detail: d}
}

// ---- the bureau's lists ----

type wsListsPage struct {
	Page
	Items     []catalog.ListSummary
	Total     int64
	CanManage bool
	In        listForm
	Errors    map[string][]catalog.Text
	Error     string
}

func (f *Frontend) wsListsView(c *fiber.Ctx, v wsListsPage, status int) error {
	ctx := c.UserContext()
	items, total, err := f.svc.Lists(ctx, v.Principal, "", 0, 100)
	if err != nil {
		return err
	}
	// What creating a list is decided on: a new draft.
	perms, err := f.svc.ListPermissions(ctx, v.Principal, &catalog.ConstructionList{Status: catalog.ListDraft})
	if err != nil {
		return err
	}
	v.Items, v.Total, v.CanManage = items, total, perms[catalog.ActManageLists].Allowed
	return f.render(c, status, "ws_lists", v)
}

func (f *Frontend) wsLists(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.lists")
	return f.wsListsView(c, wsListsPage{Page: pg}, http.StatusOK)
}

func (f *Frontend) createList(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.lists")
	lf := listFormOf(c)
	v := wsListsPage{Page: pg, In: lf}
	var val catalog.Validation
	year, batch := lf.numbers(&val)
	err := val.Err()
	var l catalog.ConstructionList
	if err == nil {
		l, err = f.svc.CreateList(c.UserContext(), pg.Principal, catalog.NewList{ID: lf.ID, ListFields: catalog.ListFields{
			Title: lf.Title, TitleEn: lf.TitleEn, Year: year, Batch: batch, Description: lf.Description, DescriptionEn: lf.DescriptionEn}})
	}
	if err != nil {
		de, ok := formProblem(err)
		if !ok {
			return err
		}
		v.Errors, _ = fieldErrors(err)
		v.Error = pg.L(de.Message)
		return f.wsListsView(c, v, http.StatusUnprocessableEntity)
	}
	f.setFlash(c, "ok", "flash.list_created", l.Title)
	return redirect(c, editorPath(l.ID))
}

// ---- the editor ----

type editorPage struct {
	Page
	List     catalog.ConstructionList
	F        listForm
	FErrors  map[string][]catalog.Text
	FError   string
	NI       itemForm
	NIErrors map[string][]catalog.Text
	NIError  string
}

// editorOption changes the editor before it renders (forms sent back).
type editorOption func(*editorPage)

func (f *Frontend) renderEditor(c *fiber.Ctx, status int, opts ...editorOption) error {
	pg := f.page(c, "workspace")
	ctx := c.UserContext()
	l, err := f.svc.List(ctx, pg.Principal, c.Params("id"))
	if err != nil {
		return err
	}
	perms, err := f.svc.ListPermissions(ctx, pg.Principal, &l)
	if err != nil {
		return err
	}
	if d := perms[catalog.ActManageLists]; !d.Allowed {
		return notAllowed(d)
	}
	v := editorPage{Page: pg, List: l, F: listFormFrom(l), NI: itemForm{Priority: "medium"}}
	for _, o := range opts {
		o(&v)
	}
	v.Title = pg.T("editor.title", "T", pg.Pick(l.Title, l.TitleEn))
	return f.render(c, status, "list_editor", v)
}

func (f *Frontend) listEditor(c *fiber.Ctx) error { return f.renderEditor(c, http.StatusOK) }

// editorProblem renders the editor with a form's errors, or returns the
// error when it is not about the input.
func (f *Frontend) editorProblem(c *fiber.Ctx, err error, set func(v *editorPage, fe map[string][]catalog.Text, msg string)) error {
	de, ok := formProblem(err)
	if !ok {
		return err
	}
	fe, _ := fieldErrors(err)
	msg := de.Message.In(f.deps.Lang(c))
	status := http.StatusUnprocessableEntity
	if de.Kind != catalog.KindInvalid {
		status = http.StatusConflict
	}
	return f.renderEditor(c, status, func(v *editorPage) { set(v, fe, msg) })
}

func (f *Frontend) editList(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	lf := listFormOf(c)
	sendBack := func(v *editorPage, fe map[string][]catalog.Text, msg string) {
		lf.ID = v.List.ID
		v.F, v.FErrors, v.FError = lf, fe, msg
	}
	var val catalog.Validation
	year, batch := lf.numbers(&val)
	if err := val.Err(); err != nil {
		return f.editorProblem(c, err, sendBack)
	}
	patch, err := json.Marshal(map[string]any{"title": lf.Title, "title_en": lf.TitleEn, "year": year, "batch": batch,
		"description": lf.Description, "description_en": lf.DescriptionEn, "change_note": lf.ChangeNote})
	if err != nil {
		return catalog.Internal(err, "encode list patch")
	}
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	l, err := f.svc.PatchList(c.UserContext(), p, c.Params("id"), rev, patch)
	if err != nil {
		return f.editorProblem(c, err, sendBack)
	}
	f.setFlash(c, "ok", "flash.list_saved", l.Title)
	return redirect(c, editorPath(l.ID))
}

// flashBack answers a button of the editor: the flash of success, or the
// message of a refusal about the list's state.
func (f *Frontend) flashBack(c *fiber.Ctx, err error, okID string, args ...string) error {
	if err != nil {
		de, ok := formProblem(err)
		if !ok {
			return err
		}
		msg := de.Message.In(f.deps.Lang(c))
		for _, fe := range de.Fields {
			msg += " " + fe.Message.In(f.deps.Lang(c))
		}
		f.setFlash(c, "error", "flash.list_failed", msg)
		return redirect(c, editorPath(c.Params("id")))
	}
	f.setFlash(c, "ok", okID, args...)
	return redirect(c, editorPath(c.Params("id")))
}

func formRev(c *fiber.Ctx) int64 {
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	return rev
}

func (f *Frontend) publishList(c *fiber.Ctx) error {
	l, err := f.svc.PublishList(c.UserContext(), f.deps.Principal(c), c.Params("id"), formRev(c))
	return f.flashBack(c, err, "flash.list_published", l.Title)
}

func (f *Frontend) closeList(c *fiber.Ctx) error {
	l, err := f.svc.CloseList(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.FormValue("reason"), formRev(c))
	return f.flashBack(c, err, "flash.list_closed", l.Title)
}

func (f *Frontend) addItem(c *fiber.Ctx) error {
	in := itemFormOf(c)
	_, it, err := f.svc.AddItem(c.UserContext(), f.deps.Principal(c), c.Params("id"), catalog.ItemChange{ListItem: in.item(), ChangeNote: in.ChangeNote}, formRev(c))
	if err != nil {
		return f.editorProblem(c, err, func(v *editorPage, fe map[string][]catalog.Text, msg string) {
			v.NI, v.NIErrors, v.NIError = in, fe, msg
		})
	}
	f.setFlash(c, "ok", "flash.item_added", it.Code, it.Name)
	return redirect(c, editorPath(c.Params("id"))+"#items")
}

func (f *Frontend) changeItem(c *fiber.Ctx, patch map[string]any, okID string) error {
	b, err := json.Marshal(patch)
	if err != nil {
		return catalog.Internal(err, "encode item patch")
	}
	_, it, err := f.svc.PatchItem(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.Params("code"), formRev(c), b)
	return f.flashBack(c, err, okID, it.Code, it.Name)
}

func (f *Frontend) cancelItem(c *fiber.Ctx) error {
	return f.changeItem(c, map[string]any{"cancelled": true, "cancel_reason": c.FormValue("reason"), "change_note": c.FormValue("change_note")}, "flash.item_cancelled")
}

func (f *Frontend) restoreItem(c *fiber.Ctx) error {
	return f.changeItem(c, map[string]any{"cancelled": false, "cancel_reason": ""}, "flash.item_restored")
}

func (f *Frontend) deleteItem(c *fiber.Ctx) error {
	code := c.Params("code")
	_, err := f.svc.DeleteItem(c.UserContext(), f.deps.Principal(c), c.Params("id"), code, formRev(c))
	return f.flashBack(c, err, "flash.item_deleted", code)
}

// itemFormPage edits one item.
type itemFormPage struct {
	Page
	List   catalog.ConstructionList
	In     itemForm
	Errors map[string][]catalog.Text
	Error  string
}

func (f *Frontend) renderItemForm(c *fiber.Ctx, status int, in *itemForm, fe map[string][]catalog.Text, msg string) error {
	pg := f.page(c, "workspace")
	ctx := c.UserContext()
	l, err := f.svc.List(ctx, pg.Principal, c.Params("id"))
	if err != nil {
		return err
	}
	perms, err := f.svc.ListPermissions(ctx, pg.Principal, &l)
	if err != nil {
		return err
	}
	if d := perms[catalog.ActManageLists]; !d.Allowed {
		return notAllowed(d)
	}
	it, ok := l.Item(catalog.NormalizeItemCode(c.Params("code")))
	if !ok {
		return catalog.NotFound(catalog.T("清单条目", "list item"))
	}
	v := itemFormPage{Page: pg, List: l, In: itemFormFrom(*it), Errors: fe, Error: msg}
	if in != nil {
		in.Code = it.Code
		v.In = *in
	}
	v.Title = pg.T("item_form.title", "Code", it.Code, "Name", it.Name)
	return f.render(c, status, "item_form", v)
}

func (f *Frontend) itemEditForm(c *fiber.Ctx) error {
	return f.renderItemForm(c, http.StatusOK, nil, nil, "")
}

func (f *Frontend) editItem(c *fiber.Ctx) error {
	in := itemFormOf(c)
	it := in.item()
	patch, err := json.Marshal(map[string]any{"name": it.Name, "name_en": it.NameEn, "domain": it.Domain, "modality": it.Modality,
		"requirements": it.Requirements, "target_scale": it.TargetScale, "quality_requirements": it.Quality, "deadline": it.Deadline,
		"priority": it.Priority, "lead_units": nonNil(it.LeadUnits), "formats": nonNil(it.Formats), "notes": it.Notes, "change_note": in.ChangeNote})
	if err != nil {
		return catalog.Internal(err, "encode item patch")
	}
	_, saved, err := f.svc.PatchItem(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.Params("code"), formRev(c), patch)
	if err != nil {
		de, ok := formProblem(err)
		if !ok {
			return err
		}
		fe, _ := fieldErrors(err)
		status := http.StatusUnprocessableEntity
		if de.Kind != catalog.KindInvalid {
			status = http.StatusConflict
		}
		return f.renderItemForm(c, status, &in, fe, de.Message.In(f.deps.Lang(c)))
	}
	f.setFlash(c, "ok", "flash.item_saved", saved.Code, saved.Name)
	return redirect(c, editorPath(c.Params("id"))+"#items")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ---- spreadsheet import ----

// importPage is the upload form and what became of the last upload: the
// problems by row and column (nothing stored), or a checked preview.
type importPage struct {
	Page
	// L is the list whose items the sheet replaces; nil for a new list.
	List     *catalog.ConstructionList
	In       importForm
	Res      *catalog.ImportResult
	Rejected bool
	Checked  bool
	Errors   map[string][]catalog.Text
	Error    string
}

type importForm struct {
	ID, Title, TitleEn, Year, Batch, Description, ChangeNote string
	CheckOnly                                                bool
}

// Action is the address the import form posts to.
func (v importPage) Action() string {
	if v.List != nil {
		return editorPath(v.List.ID) + "/import"
	}
	return "/workspace/lists/import"
}

func (f *Frontend) importPageOf(c *fiber.Ctx) (importPage, error) {
	pg := f.page(c, "workspace")
	v := importPage{Page: pg}
	ctx := c.UserContext()
	target := &catalog.ConstructionList{Status: catalog.ListDraft}
	if id := c.Params("id"); id != "" {
		l, err := f.svc.List(ctx, pg.Principal, id)
		if err != nil {
			return v, err
		}
		v.List, target = &l, &l
		v.Title = pg.T("import.title_into", "T", pg.Pick(l.Title, l.TitleEn))
	} else {
		v.Title = pg.T("import.title")
	}
	perms, err := f.svc.ListPermissions(ctx, pg.Principal, target)
	if err != nil {
		return v, err
	}
	if d := perms[catalog.ActManageLists]; !d.Allowed {
		return v, notAllowed(d)
	}
	return v, nil
}

func (f *Frontend) importForm(c *fiber.Ctx) error {
	v, err := f.importPageOf(c)
	if err != nil {
		return err
	}
	v.In.CheckOnly = true
	return f.render(c, http.StatusOK, "list_import", v)
}

// importList reads the uploaded sheet, checks it in a dry run, and stores
// it only when it has no problem and the bureau did not ask for a check
// alone.
func (f *Frontend) importList(c *fiber.Ctx) error {
	v, err := f.importPageOf(c)
	if err != nil {
		return err
	}
	v.In = importForm{ID: strings.TrimSpace(c.FormValue("id")), Title: c.FormValue("title"), TitleEn: c.FormValue("title_en"),
		Year: strings.TrimSpace(c.FormValue("year")), Batch: strings.TrimSpace(c.FormValue("batch")), Description: c.FormValue("description"),
		ChangeNote: c.FormValue("change_note"), CheckOnly: c.FormValue("check_only") == "on"}
	back := func(status int, err error) error {
		de, ok := formProblem(err)
		if !ok {
			return err
		}
		v.Errors, _ = fieldErrors(err)
		v.Error = v.Page.L(de.Message)
		return f.render(c, status, "list_import", v)
	}
	var val catalog.Validation
	year, batch := listForm{Year: v.In.Year, Batch: v.In.Batch}.numbers(&val)
	data, err := uploadedFile(c)
	if err != nil {
		var de *catalog.Error
		if !errors.As(err, &de) || de.Kind != catalog.KindInvalid {
			return err
		}
		val.Fields = append(val.Fields, de.Fields...)
	}
	if err := val.Err(); err != nil {
		return back(http.StatusUnprocessableEntity, err)
	}
	sheets, err := sheet.Read(data, sheet.DefaultLimits)
	if err != nil {
		return back(http.StatusUnprocessableEntity, err)
	}
	in := catalog.ListImport{ID: v.In.ID, Title: v.In.Title, TitleEn: v.In.TitleEn, Description: v.In.Description, Year: year, Batch: batch,
		ChangeNote: v.In.ChangeNote, DryRun: true, Sheets: sheets}
	if v.List != nil {
		in.ID, in.Replace = v.List.ID, true
	}
	res, err := f.svc.ImportList(c.UserContext(), v.Principal, in)
	if err != nil {
		return back(http.StatusConflict, err)
	}
	v.Res = &res
	if len(res.Issues) > 0 {
		v.Rejected = true
		return f.render(c, http.StatusUnprocessableEntity, "list_import", v)
	}
	if v.In.CheckOnly {
		v.Checked = true
		return f.render(c, http.StatusOK, "list_import", v)
	}
	in.DryRun = false
	res, err = f.svc.ImportList(c.UserContext(), v.Principal, in)
	if err != nil {
		// Whatever changed since the dry run is reported the same way.
		if len(res.Issues) > 0 {
			v.Res, v.Rejected = &res, true
			return f.render(c, http.StatusUnprocessableEntity, "list_import", v)
		}
		return back(http.StatusConflict, err)
	}
	f.setFlash(c, "ok", "flash.list_imported", res.List.Title, strconv.Itoa(len(res.List.Items)))
	return redirect(c, editorPath(res.List.ID))
}

// Problem is an issue's message without the row and column it begins
// with: the table shows them in columns of their own.
func (v importPage) Problem(is catalog.ImportIssue) string {
	msg := v.Page.L(is.Message)
	var where []string
	switch {
	case is.Row > 0 && is.Column != "":
		where = []string{fmt.Sprintf("第 %d 行“%s”列：", is.Row, is.Column), fmt.Sprintf("row %d, column “%s”: ", is.Row, is.Column)}
	case is.Row > 0:
		where = []string{fmt.Sprintf("第 %d 行：", is.Row), fmt.Sprintf("row %d: ", is.Row)}
	case is.Column != "":
		where = []string{fmt.Sprintf("“%s”列：", is.Column), fmt.Sprintf("column “%s”: ", is.Column)}
	}
	for _, w := range where {
		if s, ok := strings.CutPrefix(msg, w); ok && s != "" {
			return s
		}
	}
	return msg
}

// uploadedFile reads the file field of a multipart form. The server bounds
// the body (PORTAL_BODY_LIMIT), so the file is whole in memory already.
func uploadedFile(c *fiber.Ctx) ([]byte, error) {
	required := &catalog.Error{Kind: catalog.KindInvalid, Message: catalog.T("请选择要导入的文件", "choose a file to import"),
		Fields: []catalog.FieldError{{Field: "file", Code: "required", Message: catalog.T("请选择 XLSX 或 CSV 文件", "choose an XLSX or CSV file")}}}
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 && fh.Filename == "" {
		return nil, required
	}
	fl, err := fh.Open()
	if err != nil {
		return nil, catalog.Internal(err, "open the uploaded sheet")
	}
	defer fl.Close()
	data, err := io.ReadAll(fl)
	if err != nil {
		return nil, catalog.Internal(err, "read the uploaded sheet")
	}
	return data, nil
}

// ---- the progress dashboard ----

type progressPage struct {
	Page
	P        catalog.ListProgress
	Coverage chart
	States   chart
	Timeline chart
	Requests chart
	Req      *catalog.RequestStats
	Overdue  []catalog.ItemProgress
}

func (f *Frontend) progressDashboard(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	ctx := c.UserContext()
	pr, err := f.svc.Progress(ctx, pg.Principal, c.Params("id"))
	if err != nil {
		return err
	}
	st, err := f.svc.Statistics(ctx, pg.Principal)
	if err != nil {
		return err
	}
	v := progressPage{Page: pg, P: pr, Req: st.AccessRequests}
	v.Coverage = barChart(pg, "coverage", pg.T("chart.coverage_by_domain"), coverageRows(pg, pr.ByDomain))
	v.Coverage.Legend = coverageLegend(pg)
	v.States = barChart(pg, "states", pg.T("chart.responses_by_state"), stateRows(pg, catalog.ResponseStates, pr.ByState, "state-"))
	months := make([]catalog.MonthCount, 0, len(pr.Timeline))
	for _, m := range pr.Timeline {
		months = append(months, catalog.MonthCount{Month: m.Month, Count: m.Responses})
	}
	v.Timeline = columnChart(pg, "timeline", pg.T("chart.responses_by_month"), monthRows(months, "month"))
	if st.AccessRequests != nil {
		v.Requests = barChart(pg, "requests", pg.T("chart.requests_by_state"), stateRows(pg, catalog.RequestStates, st.AccessRequests.ByState, "req-"))
	}
	for _, ip := range pr.ByItem {
		if ip.Overdue {
			v.Overdue = append(v.Overdue, ip)
		}
	}
	v.Title = pg.T("progress.title", "T", pg.Pick(pr.Title, pr.TitleEn))
	return f.render(c, http.StatusOK, "list_progress", v)
}
