// Package frontend renders the portal's HTML pages (html/template, embedded
// with go:embed): Chinese first, English by a switch, forms that work
// without JavaScript. It only translates HTTP; every decision is made by
// the catalogue service.
package frontend

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"dataportal/catalog"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are what the pages need from the server: the request's principal
// and language.
type Deps struct {
	Principal func(*fiber.Ctx) catalog.Principal
	Lang      func(*fiber.Ctx) string
}

// Frontend serves the pages.
type Frontend struct {
	svc   *catalog.Service
	deps  Deps
	pages map[string]*template.Template
}

// New parses the templates once.
func New(svc *catalog.Service, deps Deps) (*Frontend, error) {
	f := &Frontend{svc: svc, deps: deps, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		f.pages[base] = t
	}
	return f, nil
}

// Register adds the page routes.
func (f *Frontend) Register(r fiber.Router) {
	sub, _ := fs.Sub(staticFS, "static")
	r.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(sub), MaxAge: 3600}))
	r.Get("/", f.home)
	r.Get("/search", f.search)
	r.Get("/datasets/:id", f.dataset)
}

// Page is the data every template gets.
type Page struct {
	Lang      string
	Title     string
	Principal catalog.Principal
	Path      string
	Query     string
	Data      any
}

// L picks the language of the page from a Text.
func (p Page) L(t catalog.Text) string { return t.In(p.Lang) }

// T looks up a message of the page's language.
func (p Page) T(key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	return m.In(p.Lang)
}

// SwitchLang is the current address in the other language.
func (p Page) SwitchLang() string {
	q, _ := url.ParseQuery(p.Query)
	if p.Lang == "en" {
		q.Set("lang", "zh")
	} else {
		q.Set("lang", "en")
	}
	return p.Path + "?" + q.Encode()
}

func (f *Frontend) page(c *fiber.Ctx, title string, data any) Page {
	l := f.deps.Lang(c)
	if v := c.Query("lang"); v == "en" || v == "zh" {
		c.Cookie(&fiber.Cookie{Name: "lang", Value: v, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: fiber.CookieSameSiteLaxMode})
	}
	return Page{Lang: l, Title: title, Principal: f.deps.Principal(c), Path: c.Path(), Query: string(c.Request().URI().QueryString()), Data: data}
}

// render executes a template into a buffer first, so a template error is a
// clean error response, never half a page.
func (f *Frontend) render(c *fiber.Ctx, status int, name string, p Page) error {
	t, ok := f.pages[name]
	if !ok {
		return catalog.Internal(fmt.Errorf("no template %q", name), "render")
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return catalog.Internal(err, "render %s", name)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Language", map[string]string{"en": "en", "zh": "zh-CN"}[p.Lang])
	return c.Status(status).Send(buf.Bytes())
}

func (f *Frontend) home(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	res, err := f.svc.Search(c.UserContext(), p, catalog.SearchRequest{Sort: catalog.SortNewest, PerPage: 8})
	if err != nil {
		return err
	}
	pg := f.page(c, "", res)
	pg.Title = pg.T("site.name")
	return f.render(c, http.StatusOK, "home", pg)
}

// searchView is the data of the search page.
type searchView struct {
	Req    catalog.SearchRequest
	Res    catalog.SearchResponse
	Facets []facetView
	Pages  []int
	Last   int
}

type facetView struct {
	Name   string
	Values []catalog.FacetValue
	Active map[string]bool
}

func (f *Frontend) search(c *fiber.Ctx) error {
	r := catalog.SearchRequest{Q: c.Query("q"), Sort: c.Query("sort"), Filters: map[string][]string{}}
	r.Page, _ = strconv.Atoi(c.Query("page", "1"))
	r.PerPage = 20
	args := c.Context().QueryArgs()
	for _, name := range catalog.Facets {
		for _, v := range args.PeekMulti(name) {
			r.Filters[name] = append(r.Filters[name], string(v))
		}
	}
	res, err := f.svc.Search(c.UserContext(), f.deps.Principal(c), r)
	if err != nil {
		return err
	}
	v := searchView{Req: r, Res: res}
	for _, name := range []string{catalog.FacetDomain, catalog.FacetModality, catalog.FacetTier, catalog.FacetLanguage, catalog.FacetLicense, catalog.FacetPublisher} {
		fv := facetView{Name: name, Values: res.Facets[name], Active: map[string]bool{}}
		for _, a := range r.Filters[name] {
			fv.Active[a] = true
		}
		v.Facets = append(v.Facets, fv)
	}
	v.Last = (res.Total + r.PerPage - 1) / r.PerPage
	for i := max(1, r.Page-3); i <= min(v.Last, r.Page+3); i++ {
		v.Pages = append(v.Pages, i)
	}
	pg := f.page(c, "", v)
	pg.Title = pg.T("search.title")
	return f.render(c, http.StatusOK, "search", pg)
}

func (f *Frontend) dataset(c *fiber.Ctx) error {
	p := f.deps.Principal(c)
	d, err := f.svc.Dataset(c.UserContext(), p, c.Params("id"))
	if err != nil {
		return err
	}
	perms, err := f.svc.Permissions(c.UserContext(), p, &d)
	if err != nil {
		return err
	}
	pg := f.page(c, "", struct {
		D     catalog.Dataset
		Perms map[catalog.Action]catalog.Decision
	}{d, perms})
	pg.Title = d.Title
	if pg.Lang == "en" && d.TitleEn != "" {
		pg.Title = d.TitleEn
	}
	return f.render(c, http.StatusOK, "dataset", pg)
}

// ErrorPage renders an error as a page, with the access decision when there
// is one.
func (f *Frontend) ErrorPage(c *fiber.Ctx, status int, title, detail string, d *catalog.Decision, reqID string) error {
	pg := f.page(c, title, struct {
		Status   int
		Detail   string
		Decision *catalog.Decision
		ReqID    string
	}{status, detail, d, reqID})
	return f.render(c, status, "error", pg)
}

var funcs = template.FuncMap{
	"label": func(v catalog.Vocabulary, value, lang string) string {
		if l, ok := v.Label(value); ok {
			return l.In(lang)
		}
		return value
	},
	"domains":    func() catalog.Vocabulary { return catalog.Domains },
	"modalities": func() catalog.Vocabulary { return catalog.Modalities },
	"tiers":      func() catalog.Vocabulary { return catalog.Tiers },
	"date": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format("2006-01-02")
	},
	"bytes": func(n int64) string {
		units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
		f, i := float64(n), 0
		for f >= 1024 && i < len(units)-1 {
			f /= 1024
			i++
		}
		return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[i]
	},
	// mark lets the highlighter's fragments through: the index escapes
	// everything but its own <mark> tags.
	"mark": func(s string) template.HTML { return template.HTML(s) },
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"facetURL": func(query, facet, value string) string {
		q, _ := url.ParseQuery(query)
		vals := q[facet]
		found := false
		var out []string
		for _, v := range vals {
			if v == value {
				found = true
				continue
			}
			out = append(out, v)
		}
		if !found {
			out = append(out, value)
		}
		q[facet] = out
		q.Del("page")
		return "/search?" + q.Encode()
	},
	"pageURL": func(query string, page int) string {
		q, _ := url.ParseQuery(query)
		q.Set("page", strconv.Itoa(page))
		return "/search?" + q.Encode()
	},
}
