package frontend

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// The workspace pages around construction lists: a provider's responses
// and the suggestions of its own datasets for list items, the bureau's
// deliveries to review, developers' data needs and the bureau's grouping
// of them, and the statistics.

func (f *Frontend) registerListWork(w fiber.Router) {
	w.Get("/responses", f.myResponses)
	w.Get("/deliveries", f.deliveries)
	w.Get("/matches", f.matches)
	w.Get("/needs", f.needs)
	w.Post("/needs", f.fileNeed)
	w.Post("/needs/:id/withdraw", f.withdrawNeed)
	w.Get("/need-groups", f.needGroups)
	w.Post("/need-groups/merge", f.mergeNeeds)
	w.Post("/need-groups/to-item", f.needsToItem)
	w.Get("/stats", f.stats)
}

// ---- responses ----

// responsesPage lists responses: the organisation's own (providers), or
// every response for the bureau's review.
type responsesPage struct {
	Page
	Review bool
	State  string
	Items  []catalog.ResponseView
	Total  int64
}

func (f *Frontend) responsesView(c *fiber.Ctx, review bool) error {
	pg := f.page(c, "workspace")
	q := catalog.ResponseQuery{Scope: "mine", State: c.Query("state"), Limit: 100}
	pg.Title = pg.T("ws.responses")
	if review {
		q.Scope = "review"
		pg.Title = pg.T("ws.deliveries")
		if c.Query("state") == "" {
			q.State = catalog.RespDelivered
		}
	}
	if q.State == "all" || !catalog.ResponseStates.Has(q.State) {
		q.State = ""
	}
	items, total, err := f.svc.Responses(c.UserContext(), pg.Principal, q)
	if err != nil {
		return err
	}
	return f.render(c, http.StatusOK, "responses", responsesPage{Page: pg, Review: review, State: q.State, Items: items, Total: total})
}

func (f *Frontend) myResponses(c *fiber.Ctx) error { return f.responsesView(c, false) }

func (f *Frontend) deliveries(c *fiber.Ctx) error { return f.responsesView(c, true) }

// ---- matching suggestions ----

type matchesPage struct {
	Page
	Lists  []catalog.ListSummary
	ListID string
	List   *catalog.ConstructionList
	Rows   []matchRow
	Error  string
}

type matchRow struct {
	Item    catalog.ListItem
	Matches []catalog.ItemMatch
}

func (f *Frontend) matches(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.matches")
	ctx := c.UserContext()
	lists, _, err := f.svc.Lists(ctx, pg.Principal, catalog.ListPublished, 0, 100)
	if err != nil {
		return err
	}
	v := matchesPage{Page: pg, Lists: lists, ListID: c.Query("list")}
	if v.ListID == "" && len(lists) > 0 {
		v.ListID = lists[0].ID
	}
	if v.ListID == "" {
		return f.render(c, http.StatusOK, "matches", v)
	}
	l, err := f.svc.List(ctx, pg.Principal, v.ListID)
	if err != nil {
		return err
	}
	v.List = &l
	m, err := f.svc.MatchList(ctx, pg.Principal, l.ID, 3)
	if err != nil {
		// Suggestions come from the search index: the page says why there
		// are none when it is away or the reader may not see them.
		var de *catalog.Error
		if !errors.As(err, &de) || de.Kind == catalog.KindInternal {
			return err
		}
		v.Error = pg.L(de.Message)
		return f.render(c, http.StatusOK, "matches", v)
	}
	for _, it := range l.Items {
		if ms := m[it.Code]; len(ms) > 0 {
			v.Rows = append(v.Rows, matchRow{Item: it, Matches: ms})
		}
	}
	return f.render(c, http.StatusOK, "matches", v)
}

// ---- data needs ----

type needsPage struct {
	Page
	Items  []catalog.DataNeed
	Total  int64
	In     catalog.NeedFields
	Errors map[string][]catalog.Text
	Error  string
}

func (f *Frontend) needsView(c *fiber.Ctx, v needsPage, status int) error {
	items, total, err := f.svc.Needs(c.UserContext(), v.Principal, catalog.NeedQuery{Scope: "mine", Limit: 100})
	if err != nil {
		return err
	}
	v.Items, v.Total = items, total
	return f.render(c, status, "needs", v)
}

func (f *Frontend) needs(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.needs")
	return f.needsView(c, needsPage{Page: pg, In: catalog.NeedFields{Purpose: "training"}}, http.StatusOK)
}

func (f *Frontend) fileNeed(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.needs")
	in := catalog.NeedFields{Title: c.FormValue("title"), Domain: c.FormValue("domain"), Modality: c.FormValue("modality"),
		Scale: c.FormValue("scale"), Purpose: c.FormValue("purpose"), Description: c.FormValue("description")}
	n, err := f.svc.FileNeed(c.UserContext(), pg.Principal, in)
	if err != nil {
		de, ok := formProblem(err)
		if !ok {
			return err
		}
		fe, _ := fieldErrors(err)
		return f.needsView(c, needsPage{Page: pg, In: in, Errors: fe, Error: pg.L(de.Message)}, http.StatusUnprocessableEntity)
	}
	f.setFlash(c, "ok", "flash.need_filed", n.Title)
	return redirect(c, "/workspace/needs")
}

func (f *Frontend) withdrawNeed(c *fiber.Ctx) error {
	n, err := f.svc.WithdrawNeed(c.UserContext(), f.deps.Principal(c), c.Params("id"))
	if err != nil {
		if de, ok := formProblem(err); ok {
			f.setFlash(c, "error", "flash.need_failed", de.Message.In(f.deps.Lang(c)))
			return redirect(c, "/workspace/needs")
		}
		return err
	}
	f.setFlash(c, "ok", "flash.need_withdrawn", n.Title)
	return redirect(c, "/workspace/needs")
}

// ---- the bureau's grouping of needs ----

type needGroupsPage struct {
	Page
	Domain string
	Groups []groupView
	// Lists are those a group can become an item of (drafts and
	// published lists).
	Lists []catalog.ListSummary
}

// groupView is a group of needs with its forms.
type groupView struct {
	catalog.NeedGroup
	// Key names the group in its forms: its first need.
	Key    string
	IDs    []string
	In     itemForm
	ListID string
	Errors map[string][]catalog.Text
	Error  string
}

// groupForm is a form of one group sent back with its errors.
type groupForm struct {
	Key    string
	In     itemForm
	ListID string
	Errors map[string][]catalog.Text
	Error  string
}

func (f *Frontend) renderNeedGroups(c *fiber.Ctx, status int, back *groupForm) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.need-groups")
	ctx := c.UserContext()
	domain := c.Query("domain")
	if !catalog.Domains.Has(domain) {
		domain = ""
	}
	groups, err := f.svc.NeedGroups(ctx, pg.Principal, domain)
	if err != nil {
		return err
	}
	lists, _, err := f.svc.Lists(ctx, pg.Principal, "", 0, 100)
	if err != nil {
		return err
	}
	v := needGroupsPage{Page: pg, Domain: domain}
	for _, l := range lists {
		if l.Status != catalog.ListClosed {
			v.Lists = append(v.Lists, l)
		}
	}
	for _, g := range groups {
		gv := groupView{NeedGroup: g, Key: g.Needs[0].ID, In: itemFormFrom(g.Suggested)}
		for _, n := range g.Needs {
			gv.IDs = append(gv.IDs, n.ID)
		}
		if len(v.Lists) > 0 {
			gv.ListID = v.Lists[0].ID
		}
		if back != nil && back.Key == gv.Key {
			gv.In, gv.ListID, gv.Errors, gv.Error = back.In, back.ListID, back.Errors, back.Error
		}
		v.Groups = append(v.Groups, gv)
	}
	return f.render(c, status, "need_groups", v)
}

func (f *Frontend) needGroups(c *fiber.Ctx) error { return f.renderNeedGroups(c, http.StatusOK, nil) }

func postValues(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Context().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}

func (f *Frontend) mergeNeeds(c *fiber.Ctx) error {
	n, err := f.svc.MergeNeeds(c.UserContext(), f.deps.Principal(c), c.FormValue("into"), postValues(c, "needs"))
	if err != nil {
		if de, ok := formProblem(err); ok {
			f.setFlash(c, "error", "flash.need_failed", de.Message.In(f.deps.Lang(c)))
			return redirect(c, "/workspace/need-groups")
		}
		return err
	}
	f.setFlash(c, "ok", "flash.needs_merged", n.Title)
	return redirect(c, "/workspace/need-groups")
}

func (f *Frontend) needsToItem(c *fiber.Ctx) error {
	in := itemFormOf(c)
	req := catalog.NeedsToItem{Needs: postValues(c, "needs"), ListID: c.FormValue("list")}
	if existing := strings.TrimSpace(c.FormValue("existing_item")); c.FormValue("mode") == "existing" {
		req.ExistingItem = existing
	} else {
		it := catalog.ItemChange{ListItem: in.item(), ChangeNote: in.ChangeNote}
		req.Item = &it
	}
	iv, err := f.svc.NeedsToListItem(c.UserContext(), f.deps.Principal(c), req)
	if err != nil {
		// An unknown list or item is a problem of this form too.
		var de *catalog.Error
		if !errors.As(err, &de) || (de.Kind != catalog.KindNotFound && !isFormKind(de.Kind)) {
			return err
		}
		fe, _ := fieldErrors(err)
		key := ""
		if len(req.Needs) > 0 {
			key = req.Needs[0]
		}
		status := http.StatusUnprocessableEntity
		if de.Kind != catalog.KindInvalid {
			status = http.StatusConflict
		}
		return f.renderNeedGroups(c, status, &groupForm{Key: key, In: in, ListID: req.ListID, Errors: fe, Error: de.Message.In(f.deps.Lang(c))})
	}
	f.setFlash(c, "ok", "flash.needs_to_item", iv.Item.Code, iv.Item.Name)
	return redirect(c, itemPath(iv.ListID, iv.Item.Code))
}

// ---- statistics ----

type statsPage struct {
	Page
	S           catalog.Stats
	Domains     chart
	Tiers       chart
	Modalities  chart
	Months      chart
	ListCov     chart
	Responses   chart
	Requests    chart
	Downloads   chart
	Needs       chart
	OwnDatasets chart
}

func (f *Frontend) stats(c *fiber.Ctx) error {
	pg := f.page(c, "workspace")
	pg.Title = pg.T("ws.stats")
	st, err := f.svc.Statistics(c.UserContext(), pg.Principal)
	if err != nil {
		return err
	}
	v := statsPage{Page: pg, S: st}
	v.Domains = barChart(pg, "by-domain", pg.T("chart.datasets_by_domain"), facetRows(pg, st.Datasets.ByDomain, "domain"))
	v.Tiers = barChart(pg, "by-tier", pg.T("chart.datasets_by_tier"), tierRows(pg, st.Datasets.ByTier))
	v.Modalities = barChart(pg, "by-modality", pg.T("chart.datasets_by_modality"), facetRows(pg, st.Datasets.ByModality, "modality"))
	v.Months = columnChart(pg, "by-month", pg.T("chart.datasets_by_month"), monthRows(st.Datasets.ByMonth, "month"))
	var cov []barRow
	for _, l := range st.Lists.PerList {
		cov = append(cov, barRow{Label: pg.Pick(l.Title, l.TitleEn), Value: float64(l.Items), Part: float64(l.Covered), Class: "items",
			Text: pg.T("chart.covered_of", "C", l.Covered, "N", l.Items, "P", pct(l.Coverage))})
	}
	v.ListCov = barChart(pg, "list-coverage", pg.T("chart.coverage_by_list"), cov)
	v.ListCov.Legend = coverageLegend(pg)
	v.Responses = barChart(pg, "responses", pg.T("chart.responses_by_state"), stateRows(pg, catalog.ResponseStates, st.Lists.ByState, "state-"))
	if st.AccessRequests != nil {
		v.Requests = barChart(pg, "requests", pg.T("chart.requests_by_state"), stateRows(pg, catalog.RequestStates, st.AccessRequests.ByState, "req-"))
	}
	if st.Downloads != nil {
		v.Downloads = columnChart(pg, "downloads", pg.T("chart.downloads_by_month"), monthRows(st.Downloads.ByMonth, "month"))
	}
	if st.Needs != nil {
		v.Needs = barChart(pg, "needs", pg.T("chart.needs_by_status"), stateRows(pg, catalog.NeedStatuses, st.Needs, "need-"))
	}
	if st.Own != nil {
		v.OwnDatasets = barChart(pg, "own", pg.T("chart.own_datasets"), stateRows(pg, catalog.Statuses, st.Own.Datasets, "status-"))
	}
	return f.render(c, http.StatusOK, "stats", v)
}

// tierRows are dataset counts by tier, each tier in its colour.
func tierRows(p Page, vals []catalog.FacetValue) []barRow {
	rows := facetRows(p, vals, "")
	for i := range rows {
		rows[i].Class = "tier-" + vals[i].Value
	}
	return rows
}

// needItemHref is the list item a need became, if any.
func needItemHref(n catalog.DataNeed) string {
	if n.ListID == "" || n.ItemCode == "" {
		return ""
	}
	return "/lists/" + url.PathEscape(n.ListID) + "/items/" + url.PathEscape(n.ItemCode)
}
