package frontend

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

// homePage is the data of the home page.
type homePage struct {
	Page
	Newest catalog.SearchResponse
	// Featured are datasets that answer construction-list items.
	Featured catalog.SearchResponse
	// Lists are the newest published construction lists.
	Lists []catalog.ListSummary
	// Stats are the public headline figures (what anyone may know), the
	// same for every reader.
	Stats *catalog.Stats
}

func (f *Frontend) home(c *fiber.Ctx) error {
	pg := f.page(c, "home")
	res, err := f.svc.Search(c.UserContext(), pg.Principal, catalog.SearchRequest{Sort: catalog.SortNewest, PerPage: 6})
	if err != nil {
		return err
	}
	lists, _, err := f.svc.Lists(c.UserContext(), pg.Principal, catalog.ListPublished, 0, 5)
	if err != nil {
		return err
	}
	v := homePage{Page: pg, Newest: res, Lists: lists}
	// Featured: the datasets built for the province's construction lists,
	// the point of the portal, newest first (a search like any other, so
	// only what the reader may see).
	var codes []string
	for _, fv := range res.Facets[catalog.FacetList] {
		if len(codes) < 20 {
			codes = append(codes, fv.Value)
		}
	}
	if len(codes) > 0 {
		if v.Featured, err = f.svc.Search(c.UserContext(), pg.Principal, catalog.SearchRequest{Sort: catalog.SortNewest, PerPage: 4,
			Filters: map[string][]string{catalog.FacetList: codes}}); err != nil {
			return err
		}
	}
	if st, err := f.svc.Statistics(c.UserContext(), catalog.Anonymous); err == nil {
		v.Stats = &st
	} else if !catalog.IsKind(err, catalog.KindUnavailable) {
		return err
	}
	pg.Title = pg.T("site.name")
	v.Title = pg.Title
	return f.render(c, http.StatusOK, "home", v)
}

// searchPage is the data of the search page.
type searchPage struct {
	Page
	Req    catalog.SearchRequest
	Res    catalog.SearchResponse
	Facets []facetView
	Chips  []chip
	Pages  []int
	Last   int
}

type facetView struct {
	Name   string
	Values []facetValue
}

type facetValue struct {
	catalog.FacetValue
	Active bool
}

// chip is an active filter with the address that removes it.
type chip struct {
	Facet, Label, Remove string
}

// pageFacets are the facets the search page shows, in order.
var pageFacets = []string{catalog.FacetDomain, catalog.FacetModality, catalog.FacetTier, catalog.FacetLanguage,
	catalog.FacetLicense, catalog.FacetPublisher, catalog.FacetTask, catalog.FacetList}

func (f *Frontend) search(c *fiber.Ctx) error {
	pg := f.page(c, "search")
	r := catalog.SearchRequest{Q: c.Query("q"), Sort: c.Query("sort"), Filters: map[string][]string{}, PerPage: 20}
	if p, err := strconv.Atoi(c.Query("page", "1")); err == nil {
		r.Page = p
	}
	args := c.Context().QueryArgs()
	for _, name := range catalog.Facets {
		for _, v := range args.PeekMulti(name) {
			if s := strings.TrimSpace(string(v)); s != "" {
				r.Filters[name] = append(r.Filters[name], s)
			}
		}
	}
	res, err := f.svc.Search(c.UserContext(), pg.Principal, r)
	if err != nil {
		return err
	}
	v := searchPage{Page: pg, Req: r, Res: res}
	if v.Req.Page == 0 {
		v.Req.Page = 1
	}
	for _, name := range pageFacets {
		fv := facetView{Name: name}
		for _, val := range res.Facets[name] {
			active := contains(r.Filters[name], val.Value)
			fv.Values = append(fv.Values, facetValue{FacetValue: val, Active: active})
			if active {
				v.Chips = append(v.Chips, chip{Facet: name, Label: pg.L(val.Label), Remove: funcs["toggle"].(func(string, string, string) string)(pg.Query, name, val.Value)})
			}
		}
		v.Facets = append(v.Facets, fv)
	}
	v.Last = (res.Total + r.PerPage - 1) / r.PerPage
	for i := max(1, v.Req.Page-3); i <= min(v.Last, v.Req.Page+3); i++ {
		v.Pages = append(v.Pages, i)
	}
	v.Title = pg.T("search.title")
	if r.Q != "" {
		v.Title = pg.T("search.title_for", "Q", r.Q)
	}
	return f.render(c, http.StatusOK, "search", v)
}

// datasetPage is the data of a dataset's page.
type datasetPage struct {
	Page
	D catalog.Dataset
	// Actions are what the reader may do, each with the decision that
	// explains why it is offered or not.
	Actions []actionView
	// CanEdit and CanDownload come from the same decisions.
	CanEdit, CanDownload bool
	// Sample is the preview of the distribution marked as the sample.
	Sample *catalog.SamplePreview
	// Eligibility is what a reader outside the provider organisation needs
	// to ask for access, with an open request or a current grant.
	Eligibility *catalog.RequestEligibility
	// Request is a request form sent back with its errors.
	Request *requestForm
	// ManageErrors are the errors of a version, upload or link form.
	ManageErrors map[string][]catalog.Text
	ManageError  string
	UploadLimit  int64
}

type actionView struct {
	Action   catalog.Action
	Decision catalog.Decision
}

// datasetActions are the actions a dataset page explains, in order.
var datasetActions = []catalog.Action{catalog.ActDownload, catalog.ActRequest, catalog.ActEdit, catalog.ActPublish, catalog.ActWithdraw, catalog.ActConfirmTier}

func (f *Frontend) dataset(c *fiber.Ctx) error {
	return f.renderDataset(c, c.Params("id"), nil, http.StatusOK)
}

type datasetOption func(*datasetPage)

func withManageErrors(fe map[string][]catalog.Text, msg string) datasetOption {
	return func(v *datasetPage) { v.ManageErrors, v.ManageError = fe, msg }
}

// renderDataset renders a dataset's page, with a request form sent back
// or the errors of a management form when there are.
func (f *Frontend) renderDataset(c *fiber.Ctx, id string, req *requestForm, status int, opts ...datasetOption) error {
	pg := f.page(c, "search")
	d, err := f.svc.Dataset(c.UserContext(), pg.Principal, id)
	if err != nil {
		return err
	}
	perms, err := f.svc.Permissions(c.UserContext(), pg.Principal, &d)
	if err != nil {
		return err
	}
	v := datasetPage{Page: pg, D: d, Request: req, UploadLimit: f.svc.UploadLimit()}
	for _, a := range datasetActions {
		dec, ok := perms[a]
		// Readers always learn whether and why they may download or ask
		// for access; the managing actions show only to those who have them.
		own := pg.Principal.Org != nil && pg.Principal.Org.ID == d.Publisher
		switch {
		case !ok:
		case a == catalog.ActRequest && own: // one's own organisation does not ask
		case a == catalog.ActPublish && d.Status == catalog.StatusPublished:
		case a == catalog.ActWithdraw && d.Status != catalog.StatusPublished:
		case dec.Allowed || a == catalog.ActDownload || a == catalog.ActRequest:
			v.Actions = append(v.Actions, actionView{Action: a, Decision: dec})
		}
	}
	v.CanEdit, v.CanDownload = perms[catalog.ActEdit].Allowed, perms[catalog.ActDownload].Allowed
	for _, o := range opts {
		o(&v)
	}
	if err := f.datasetExtras(c, &v); err != nil {
		return err
	}
	v.Title = pg.Pick(d.Title, d.TitleEn)
	return f.render(c, status, "dataset", v)
}

// signinPage is the data of the sign-in form.
type signinPage struct {
	Page
	Email string
	Error string
	Next  string
}

// safeNext keeps post-sign-in redirects on this site.
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || len(s) > 500 {
		return "/"
	}
	return s
}

func (f *Frontend) signinForm(c *fiber.Ctx) error {
	pg := f.page(c, "signin")
	pg.Title = pg.T("signin.title")
	return f.render(c, http.StatusOK, "signin", signinPage{Page: pg, Next: safeNext(c.Query("next"))})
}

func (f *Frontend) signin(c *fiber.Ctx) error {
	pg := f.page(c, "signin")
	pg.Title = pg.T("signin.title")
	if err := f.checkPreSession(c); err != nil {
		return err
	}
	email, next := strings.TrimSpace(c.FormValue("email")), safeNext(c.FormValue("next"))
	res, err := f.svc.Login(c.UserContext(), email, c.FormValue("password"), c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		var de *catalog.Error
		if e, ok := err.(*catalog.Error); ok && e.Kind != catalog.KindInternal && e.Kind != catalog.KindUnavailable {
			de = e
		}
		if de == nil {
			return err
		}
		status := http.StatusUnauthorized
		if de.Kind == catalog.KindTooMany {
			status = http.StatusTooManyRequests
		}
		return f.render(c, status, "signin", signinPage{Page: pg, Email: email, Error: pg.L(de.Message), Next: next})
	}
	f.deps.SetSession(c, res.Token, res.Session.ExpiresAt)
	f.setFlash(c, "ok", "flash.signed_in", res.User.Name)
	return redirect(c, next)
}

func (f *Frontend) signout(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	if err := f.svc.Logout(c.UserContext(), p); err != nil {
		return err
	}
	f.deps.ClearSession(c)
	f.setFlash(c, "ok", "flash.signed_out")
	return redirect(c, "/")
}

// RequestInput is the request form as typed (empty on a first visit).
func (v datasetPage) RequestInput() catalog.NewAccessRequest {
	if v.Request == nil {
		return catalog.NewAccessRequest{}
	}
	return v.Request.In
}

// RequestErrors are the request form's field errors.
func (v datasetPage) RequestErrors() map[string][]catalog.Text {
	if v.Request == nil {
		return nil
	}
	return v.Request.Errors
}
