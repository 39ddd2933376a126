package frontend

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// The public pages of construction lists: the published lists, a list with
// its items and progress, its revisions, and an item with its responses.
// Everyone reads published lists; what a reader sees of the datasets that
// answer an item is what the service shows that reader (a dataset the
// reader may not view is neither shown nor counted). The forms on an item
// page (a provider's answer, the bureau's review) post to the workspace.

func (f *Frontend) registerLists(r fiber.Router) {
	r.Get("/lists", f.lists)
	r.Get("/lists/:id", f.listView)
	r.Get("/lists/:id/revisions", f.listRevisions)
	r.Get("/lists/:id/revisions/:n", f.listRevision)
	r.Get("/lists/:id/items/:code", f.itemView)
}

// registerResponses adds the forms of an item page (signed in).
func (f *Frontend) registerResponses(w fiber.Router) {
	w.Post("/lists/:id/items/:code/respond", f.respond)
	w.Post("/lists/:id/items/:code/response", f.updateResponse)
	w.Post("/lists/:id/items/:code/response/state", f.moveResponse)
	w.Post("/lists/:id/items/:code/responses/:org/review", f.reviewResponse)
}

// listPath and itemPath are the public addresses of a list and an item.
func listPath(id string) string { return "/lists/" + url.PathEscape(id) }

func itemPath(id, code string) string { return listPath(id) + "/items/" + url.PathEscape(code) }

// formProblem returns the error when it is about the input (to show on the
// form), and false when it is not (the error page shows it).
func formProblem(err error) (*catalog.Error, bool) {
	var de *catalog.Error
	if !errors.As(err, &de) {
		return nil, false
	}
	if isFormKind(de.Kind) {
		return de, true
	}
	return nil, false
}

// isFormKind reports whether errors of kind k are about a form's input.
func isFormKind(k catalog.Kind) bool {
	return k == catalog.KindInvalid || k == catalog.KindConflict || k == catalog.KindPrecondition
}

// FieldLabel names a field of a list or an item (as changelogs and
// imports name them), or gives the name itself when it has no label.
func (p Page) FieldLabel(name string) string {
	key := "field." + name
	if s := p.T(key); !strings.HasPrefix(s, "[") {
		return s
	}
	return name
}

// ---- the published lists ----

type listsPage struct {
	Page
	Items   []catalog.ListSummary
	Total   int64
	Status  string
	PageNo  int
	HasNext bool
}

func (f *Frontend) lists(c *fiber.Ctx) error {
	pg := f.page(c, "lists")
	pg.Title = pg.T("lists.title")
	n, status := pageNumber(c), c.Query("status")
	if !catalog.ListStatuses.Has(status) {
		status = ""
	}
	items, total, err := f.svc.Lists(c.UserContext(), pg.Principal, status, (n-1)*20, 20)
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "lists", listsPage{Page: pg, Items: items, Total: total, Status: status, PageNo: n, HasNext: int64(n*20) < total})
}

// ---- one list ----

// listPage is a list with its items; the current revision shows its
// progress, an earlier one (Old) only its content.
type listPage struct {
	Page
	List  catalog.ConstructionList
	Items []itemRow
	P     catalog.ListProgress
	// Old is set on an earlier revision; Current is the list's current
	// revision number.
	Old       bool
	Current   int
	CanManage bool
	Coverage  chart
	States    chart
}

// itemRow is an item with its progress.
type itemRow struct {
	catalog.ListItem
	P catalog.ItemProgress
}

func (f *Frontend) listView(c *fiber.Ctx) error {
	pg := f.page(c, "lists")
	ctx := c.UserContext()
	l, err := f.svc.List(ctx, pg.Principal, c.Params("id"))
	if err != nil {
		return err
	}
	pr, err := f.svc.Progress(ctx, pg.Principal, l.ID)
	if err != nil {
		return err
	}
	perms, err := f.svc.ListPermissions(ctx, pg.Principal, &l)
	if err != nil {
		return err
	}
	v := listPage{Page: pg, List: l, P: pr, Current: l.Revision, CanManage: perms[catalog.ActManageLists].Allowed}
	byCode := map[string]catalog.ItemProgress{}
	for _, ip := range pr.ByItem {
		byCode[ip.Code] = ip
	}
	for _, it := range l.Items {
		v.Items = append(v.Items, itemRow{ListItem: it, P: byCode[it.Code]})
	}
	v.Coverage = barChart(pg, "coverage", pg.T("chart.coverage_by_domain"), coverageRows(pg, pr.ByDomain))
	v.Coverage.Legend = coverageLegend(pg)
	v.States = barChart(pg, "states", pg.T("chart.responses_by_state"), stateRows(pg, catalog.ResponseStates, pr.ByState, "state-"))
	v.Title = pg.Pick(l.Title, l.TitleEn)
	return f.render(c, http.StatusOK, "list", v)
}

// revisionsPage is a list's changelog.
type revisionsPage struct {
	Page
	List    catalog.ConstructionList
	Changes []catalog.ListChange
}

func (f *Frontend) listRevisions(c *fiber.Ctx) error {
	pg := f.page(c, "lists")
	ctx := c.UserContext()
	l, err := f.svc.List(ctx, pg.Principal, c.Params("id"))
	if err != nil {
		return err
	}
	ch, err := f.svc.Revisions(ctx, pg.Principal, l.ID)
	if err != nil {
		return err
	}
	pg.Title = pg.T("revisions.title", "T", pg.Pick(l.Title, l.TitleEn))
	return f.render(c, http.StatusOK, "list_revisions", revisionsPage{Page: pg, List: l, Changes: ch})
}

func (f *Frontend) listRevision(c *fiber.Ctx) error {
	pg := f.page(c, "lists")
	ctx := c.UserContext()
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		return catalog.NotFound(catalog.T("清单版本", "list revision"))
	}
	cur, err := f.svc.List(ctx, pg.Principal, c.Params("id"))
	if err != nil {
		return err
	}
	if n == cur.Revision {
		return c.Redirect(listPath(cur.ID), http.StatusFound)
	}
	l, err := f.svc.ListRevision(ctx, pg.Principal, cur.ID, n)
	if err != nil {
		return err
	}
	v := listPage{Page: pg, List: l, Old: true, Current: cur.Revision}
	for _, it := range l.Items {
		v.Items = append(v.Items, itemRow{ListItem: it})
	}
	v.Title = pg.T("revision.title", "T", pg.Pick(l.Title, l.TitleEn), "N", n)
	return f.render(c, http.StatusOK, "list", v)
}

// ---- one item ----

// itemPage is an item with its responses and, for those who may, the
// forms to answer it, to review deliveries and the suggested datasets.
type itemPage struct {
	Page
	V           catalog.ItemView
	List        catalog.ConstructionList
	CanRespond  bool
	CanReview   bool
	CanManage   bool
	CanMatch    bool
	RespondWhy  catalog.Decision
	Own         *catalog.ResponseView
	Moves       []string
	MyDatasets  []catalog.Dataset
	Matches     []catalog.ItemMatch
	MatchErr    string
	States      chart
	Form        *responseForm
	ReviewOrg   string
	ReviewError string
}

// responseForm is a response form sent back with its errors.
type responseForm struct {
	Plan, Expected string
	Datasets       []string
	Errors         map[string][]catalog.Text
	Error          string
}

// Checked reports whether dataset id is ticked on the response form: as
// typed when the form came back, else as the response links it.
func (v itemPage) Checked(id string) bool {
	if v.Form != nil {
		return contains(v.Form.Datasets, id)
	}
	return v.Own != nil && contains(v.Own.Datasets, id)
}

// FormPlan and FormExpected are the response form's texts.
func (v itemPage) FormPlan() string {
	if v.Form != nil {
		return v.Form.Plan
	}
	if v.Own != nil {
		return v.Own.Plan
	}
	return ""
}

// FormExpected is the expected date on the response form.
func (v itemPage) FormExpected() string {
	if v.Form != nil {
		return v.Form.Expected
	}
	if v.Own != nil {
		return v.Own.ExpectedDate
	}
	return ""
}

// FormErrors are the response form's field errors.
func (v itemPage) FormErrors() map[string][]catalog.Text {
	if v.Form == nil {
		return nil
	}
	return v.Form.Errors
}

func (f *Frontend) itemView(c *fiber.Ctx) error {
	return f.renderItem(c, nil, "", "", http.StatusOK)
}

// renderItem renders an item's page, with a response form or a review
// error sent back when there is one.
func (f *Frontend) renderItem(c *fiber.Ctx, form *responseForm, reviewOrg, reviewErr string, status int) error {
	pg := f.page(c, "lists")
	ctx := c.UserContext()
	l, err := f.svc.List(ctx, pg.Principal, c.Params("id"))
	if err != nil {
		return err
	}
	iv, err := f.svc.Item(ctx, pg.Principal, l.ID, c.Params("code"))
	if err != nil {
		return err
	}
	perms, err := f.svc.ListPermissions(ctx, pg.Principal, &l)
	if err != nil {
		return err
	}
	v := itemPage{Page: pg, V: iv, List: l, Form: form, ReviewOrg: reviewOrg, ReviewError: reviewErr,
		CanRespond: perms[catalog.ActRespond].Allowed && !iv.Item.Cancelled, CanReview: perms[catalog.ActReviewResponses].Allowed,
		CanManage: perms[catalog.ActManageLists].Allowed, CanMatch: perms[catalog.ActMatchItems].Allowed && !iv.Item.Cancelled,
		RespondWhy: perms[catalog.ActRespond]}
	if pg.Principal.Org != nil {
		for i := range iv.Responses {
			if iv.Responses[i].Org == pg.Principal.Org.ID {
				v.Own = &iv.Responses[i]
				v.Moves = catalog.ProviderMoves(v.Own.State)
			}
		}
	}
	if v.CanRespond || v.Own != nil {
		if v.MyDatasets, _, err = f.svc.ListDatasets(ctx, pg.Principal, catalog.DatasetListQuery{Scope: "mine", Limit: 100}); err != nil {
			return err
		}
	}
	if v.CanMatch {
		m, err := f.svc.MatchItem(ctx, pg.Principal, l.ID, iv.Item.Code, 5)
		if err != nil {
			// Suggestions come from the search index: the page still
			// serves while it is away.
			var de *catalog.Error
			if !errors.As(err, &de) || de.Kind != catalog.KindUnavailable {
				return err
			}
			v.MatchErr = pg.L(de.Message)
		}
		v.Matches = m
	}
	v.States = barChart(pg, "item-states", pg.T("chart.responses_by_state"), stateRows(pg, catalog.ResponseStates, iv.ByState, "state-"))
	v.Title = iv.Item.Name
	if pg.Lang == "en" && iv.Item.NameEn != "" {
		v.Title = iv.Item.NameEn
	}
	return f.render(c, status, "item", v)
}

// responseFormOf reads the response form.
func responseFormOf(c *fiber.Ctx) *responseForm {
	rf := &responseForm{Plan: c.FormValue("plan"), Expected: strings.TrimSpace(c.FormValue("expected_date"))}
	for _, d := range c.Context().PostArgs().PeekMulti("datasets") {
		rf.Datasets = append(rf.Datasets, string(d))
	}
	return rf
}

// backToItem answers a form of an item page: on success a redirect with
// the flash, on a problem with the input the page with the form's errors.
func (f *Frontend) backToItem(c *fiber.Ctx, rf *responseForm, err error, flash string, args ...string) error {
	if err != nil {
		de, ok := formProblem(err)
		if !ok {
			return err
		}
		rf.Errors, _ = fieldErrors(err)
		rf.Error = de.Message.In(f.deps.Lang(c))
		status := http.StatusUnprocessableEntity
		if de.Kind != catalog.KindInvalid {
			status = http.StatusConflict
		}
		return f.renderItem(c, rf, "", "", status)
	}
	f.setFlash(c, "ok", flash, args...)
	return redirect(c, itemPath(c.Params("id"), c.Params("code"))+"#responses")
}

func (f *Frontend) respond(c *fiber.Ctx) error {
	rf := responseFormOf(c)
	_, err := f.svc.RespondToItem(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.Params("code"),
		catalog.NewResponse{Plan: rf.Plan, ExpectedDate: rf.Expected, Datasets: rf.Datasets})
	return f.backToItem(c, rf, err, "flash.response_created")
}

func (f *Frontend) updateResponse(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	if p.Org == nil {
		return catalog.NotFound(catalog.T("响应", "response"))
	}
	rf := responseFormOf(c)
	in := catalog.ResponsePatch{Plan: &rf.Plan, ExpectedDate: &rf.Expected}
	// The linked datasets are on the form only while they may change.
	if c.FormValue("with_datasets") == "1" {
		ds := append([]string{}, rf.Datasets...)
		in.Datasets = &ds
	}
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	_, err := f.svc.UpdateResponse(c.UserContext(), p, c.Params("id"), c.Params("code"), p.Org.ID, in, rev)
	return f.backToItem(c, rf, err, "flash.response_saved")
}

func (f *Frontend) moveResponse(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	if p.Org == nil {
		return catalog.NotFound(catalog.T("响应", "response"))
	}
	state := c.FormValue("state")
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	_, err := f.svc.MoveResponse(c.UserContext(), p, c.Params("id"), c.Params("code"), p.Org.ID, state, c.FormValue("comment"), rev)
	if err != nil {
		if de, ok := formProblem(err); ok {
			f.setFlash(c, "error", "flash.response_failed", de.Message.In(f.deps.Lang(c)))
			return redirect(c, itemPath(c.Params("id"), c.Params("code"))+"#responses")
		}
		return err
	}
	label, _ := catalog.ResponseStates.Label(state)
	f.setFlash(c, "ok", "flash.response_moved", label.In(f.deps.Lang(c)))
	return redirect(c, itemPath(c.Params("id"), c.Params("code"))+"#responses")
}

func (f *Frontend) reviewResponse(c *fiber.Ctx) error {
	accept := c.FormValue("accept") == "true"
	rev, _ := strconv.ParseInt(c.FormValue("rev"), 10, 64)
	org := c.Params("org")
	r, err := f.svc.ReviewResponse(c.UserContext(), f.deps.Principal(c), c.Params("id"), c.Params("code"), org, accept, c.FormValue("comment"), rev)
	back := c.FormValue("back")
	if err != nil {
		de, ok := formProblem(err)
		if !ok {
			return err
		}
		if back == "responses" {
			f.setFlash(c, "error", "flash.response_failed", de.Message.In(f.deps.Lang(c)))
			return redirect(c, "/workspace/responses?scope=review")
		}
		return f.renderItem(c, nil, org, de.Message.In(f.deps.Lang(c)), http.StatusUnprocessableEntity)
	}
	id := "flash.delivery_rejected"
	if accept {
		id = "flash.delivery_accepted"
	}
	f.setFlash(c, "ok", id, f.pick(c, r.OrgName, r.OrgNameEn))
	if back == "responses" {
		return redirect(c, "/workspace/responses?scope=review")
	}
	return redirect(c, itemPath(c.Params("id"), c.Params("code"))+"#responses")
}

// pick chooses the English text on English pages when there is one.
func (f *Frontend) pick(c *fiber.Ctx, zh, en string) string {
	if f.deps.Lang(c) == "en" && en != "" {
		return en
	}
	return zh
}
