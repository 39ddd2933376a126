// Package frontend renders the portal's HTML pages (html/template, embedded
// with go:embed): Chinese first, English by a switch, every string from the
// message catalogues, forms that work without JavaScript. It only
// translates HTTP; every decision is made by the catalogue service.
package frontend

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
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
// and language, and the session cookie policy.
type Deps struct {
	Principal    func(*fiber.Ctx) catalog.Principal
	Lang         func(*fiber.Ctx) string
	SetSession   func(c *fiber.Ctx, token string, expires time.Time)
	ClearSession func(c *fiber.Ctx)
	// Secure reports whether cookies must be Secure for this request.
	Secure func(c *fiber.Ctx) bool
}

// Frontend serves the pages.
type Frontend struct {
	svc   *catalog.Service
	deps  Deps
	cat   *catalogue
	pages map[string]*template.Template
}

// New loads the message catalogues and parses the templates once.
func New(svc *catalog.Service, deps Deps) (*Frontend, error) {
	cat, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	f := &Frontend{svc: svc, deps: deps, cat: cat, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", n)
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
	r.Get("/signin", f.signinForm)
	r.Post("/signin", f.signin)
	r.Post("/signout", f.signout)
	f.registerLists(r)
	f.registerWorkspace(r)
}

// Page is the base of every page's data.
type Page struct {
	Lang      string
	Title     string
	Principal catalog.Principal
	// CSRF is the token forms carry: the session's, or before sign-in the
	// pre-session token of a double-submit cookie.
	CSRF  string
	Flash *Flash
	Path  string
	Query string
	// Section marks the current part of the site in the navigation.
	Section string
	// Unread counts the signed-in user's unread notifications.
	Unread int64
	cat    *catalogue
}

// T returns message id in the page's language; args are key/value pairs
// for the message template.
func (p Page) T(id string, args ...any) string { return p.cat.translate(p.Lang, id, args...) }

// L picks the page's language from a bilingual text.
func (p Page) L(t catalog.Text) string { return t.In(p.Lang) }

// Pick returns en on English pages when it is not empty, else zh.
func (p Page) Pick(zh, en string) string {
	if p.Lang == "en" && en != "" {
		return en
	}
	return zh
}

// SignedIn reports whether a user is signed in.
func (p Page) SignedIn() bool { return p.Principal.SignedIn() }

// Has reports whether the signed-in user holds role.
func (p Page) Has(role string) bool { return p.Principal.User != nil && p.Principal.User.HasRole(role) }

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

// OtherLang is the code of the language the switch leads to.
func (p Page) OtherLang() string {
	if p.Lang == "en" {
		return "zh"
	}
	return "en"
}

// Flash is a one-time message shown after a redirect.
type Flash struct {
	Kind string   `json:"k"` // ok or error
	ID   string   `json:"id"`
	Args []string `json:"a,omitempty"`
}

const (
	flashCookie  = "flash"
	preCSRF      = "csrf_pre"
	langCookieNm = "lang"
)

// setFlash stores a message for the next page.
func (f *Frontend) setFlash(c *fiber.Ctx, kind, id string, args ...string) {
	b, _ := json.Marshal(Flash{Kind: kind, ID: id, Args: args})
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: f.deps.Secure(c), MaxAge: 60})
}

// takeFlash reads and clears the flash message.
func (f *Frontend) takeFlash(c *fiber.Ctx) *Flash {
	v := c.Cookies(flashCookie)
	if v == "" {
		return nil
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0)})
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	var fl Flash
	if json.Unmarshal(b, &fl) != nil || fl.ID == "" || len(fl.ID) > 80 {
		return nil
	}
	return &fl
}

// FlashText renders a flash message.
func (p Page) FlashText() string {
	if p.Flash == nil {
		return ""
	}
	args := make([]any, 0, 2*len(p.Flash.Args))
	for i, a := range p.Flash.Args {
		args = append(args, fmt.Sprintf("A%d", i), a)
	}
	return p.T(p.Flash.ID, args...)
}

// page builds the base page of a request.
func (f *Frontend) page(c *fiber.Ctx, section string) Page {
	l := f.deps.Lang(c)
	if v := c.Query("lang"); v == "en" || v == "zh" {
		c.Cookie(&fiber.Cookie{Name: langCookieNm, Value: v, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: fiber.CookieSameSiteLaxMode, Secure: f.deps.Secure(c)})
	}
	p := f.deps.Principal(c)
	pg := Page{Lang: l, Principal: p, Path: c.Path(), Query: string(c.Request().URI().QueryString()), Section: section, cat: f.cat, Flash: f.takeFlash(c)}
	pg.CSRF = p.CSRF
	if !p.SignedIn() {
		pg.CSRF = f.preSessionToken(c)
	} else if n, err := f.svc.UnreadCount(c.UserContext(), p); err == nil {
		pg.Unread = n
	}
	return pg
}

// preSessionToken returns the double-submit token of anonymous forms
// (sign-in), setting its cookie when there is none yet.
func (f *Frontend) preSessionToken(c *fiber.Ctx) string {
	if v := c.Cookies(preCSRF); len(v) >= 20 && len(v) <= 64 {
		return strings.Clone(v)
	}
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: preCSRF, Value: v, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: f.deps.Secure(c)})
	return v
}

// checkPreSession verifies the double-submit token of an anonymous form.
func (f *Frontend) checkPreSession(c *fiber.Ctx) error {
	if f.deps.Principal(c).SignedIn() {
		// A signed-in user's form carries the session's token, which the
		// server's middleware has already checked.
		return nil
	}
	cookie, form := c.Cookies(preCSRF), c.FormValue("csrf")
	if cookie == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(form)) != 1 {
		return &catalog.Error{Kind: catalog.KindForbidden, Message: catalog.T("表单已过期，请刷新页面后重试", "the form has expired; reload the page and try again")}
	}
	return nil
}

// render executes a template into a buffer first, so a template error is a
// clean error response, never half a page.
func (f *Frontend) render(c *fiber.Ctx, status int, name string, data any) error {
	t, ok := f.pages[name]
	if !ok {
		return catalog.Internal(fmt.Errorf("no template %q", name), "render")
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return catalog.Internal(err, "render %s", name)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	lang := "zh-CN"
	if pg, ok := data.(interface{ base() Page }); ok && pg.base().Lang == "en" {
		lang = "en"
	}
	c.Set("Content-Language", lang)
	return c.Status(status).Send(buf.Bytes())
}

func (p Page) base() Page { return p }

// redirect answers a form post with 303 See Other.
func redirect(c *fiber.Ctx, to string) error {
	return c.Redirect(to, http.StatusSeeOther)
}

// errorPage is the data of the error template.
type errorPage struct {
	Page
	Status   int
	Detail   string
	Decision *catalog.Decision
	ReqID    string
}

// ErrorPage renders an error as a page, with the access decision and its
// explanation when there is one.
func (f *Frontend) ErrorPage(c *fiber.Ctx, status int, title, detail string, d *catalog.Decision, reqID string) error {
	pg := f.page(c, "")
	pg.Title = title
	return f.render(c, status, "error", errorPage{Page: pg, Status: status, Detail: detail, Decision: d, ReqID: reqID})
}

// fieldErrors maps each field of an Invalid error to its messages, for
// forms that show errors next to their fields.
func fieldErrors(err error) (map[string][]catalog.Text, bool) {
	de, ok := err.(*catalog.Error)
	if !ok || (de.Kind != catalog.KindInvalid && de.Kind != catalog.KindConflict) || len(de.Fields) == 0 {
		return nil, false
	}
	out := map[string][]catalog.Text{}
	for _, fe := range de.Fields {
		out[fe.Field] = append(out[fe.Field], fe.Message)
	}
	return out, true
}
