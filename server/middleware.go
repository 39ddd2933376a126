package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dataportal/catalog"
)

const (
	sessionCookie = "portal_session"
	langCookie    = "lang"
	csrfHeader    = "X-CSRF-Token"

	localRequestID = "request_id"
	localPrincipal = "principal"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// withRequestID gives each request an id (the caller's X-Request-ID when it
// looks sane), echoes it in the response and keeps it for logs and problems.
func withRequestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if !requestIDPattern.MatchString(id) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	} else {
		id = strings.Clone(id)
	}
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// recoverPanics turns a panic into an internal error, logged with its stack
// by the error handler, so one bad request cannot take the process down.
func recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = catalog.Internal(fmt.Errorf("panic: %v", r), "handler")
		}
	}()
	return c.Next()
}

// withDeadline gives the request's work a context with a deadline.
func (a *App) withDeadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// logRequests writes one structured line per request and records metrics.
func (a *App) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		// Answer here, so the status is known for the log and the metrics.
		if herr := a.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	a.metrics.observe(c.Method(), route, status, time.Since(start))
	a.log.Info("request", "request_id", requestID(c), "method", c.Method(), "path", c.Path(), "route", route,
		"status", status, "duration_ms", time.Since(start).Milliseconds(), "ip", c.IP())
	return nil
}

// lang returns the language of the request: ?lang=, then the lang cookie,
// then Accept-Language; Chinese by default.
func lang(c *fiber.Ctx) string {
	for _, v := range []string{c.Query("lang"), c.Cookies(langCookie)} {
		if v == "en" || v == "zh" {
			return v
		}
	}
	if al := c.Get(fiber.HeaderAcceptLanguage); al != "" {
		first := strings.ToLower(strings.TrimSpace(strings.Split(al, ",")[0]))
		if strings.HasPrefix(first, "en") {
			return "en"
		}
	}
	return "zh"
}

// wantsHTML reports whether the client is a browser asking for a page.
func wantsHTML(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") {
		return false
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

// authenticate resolves the request's principal from a bearer token or the
// session cookie. A bad bearer token is refused (the client asked to be
// someone); a stale cookie is dropped and the request goes on anonymously.
func (a *App) authenticate(c *fiber.Ctx) error {
	p := catalog.Anonymous
	ctx := c.UserContext()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return &catalog.Error{Kind: catalog.KindUnauthenticated, Message: catalog.T("Authorization 须为 Bearer 令牌", "Authorization must be a Bearer token")}
		}
		var err error
		p, err = a.svc.Authenticate(ctx, strings.TrimSpace(token))
		if err != nil {
			return err
		}
		p.CSRF = "" // bearer requests are not exposed to cross-site forgery
	} else if token := c.Cookies(sessionCookie); token != "" {
		var err error
		p, err = a.svc.Authenticate(ctx, token)
		if catalog.IsKind(err, catalog.KindUnauthenticated) {
			a.clearSessionCookie(c)
			p = catalog.Anonymous
		} else if err != nil {
			return err
		}
		if p.SignedIn() && unsafeMethod(c.Method()) && !a.csrfOK(c, p) {
			return &catalog.Error{Kind: catalog.KindForbidden, Message: catalog.T("缺少或错误的 CSRF 令牌，请刷新页面后重试", "missing or wrong CSRF token; reload the page and retry")}
		}
	}
	p.IP = c.IP()
	c.Locals(localPrincipal, p)
	return c.Next()
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// csrfOK checks the synchroniser token of a cookie-authenticated change:
// the X-CSRF-Token header (API) or the csrf form field (pages).
func (a *App) csrfOK(c *fiber.Ctx, p catalog.Principal) bool {
	got := c.Get(csrfHeader)
	switch {
	case got != "":
	case isUpload(c.Method(), c.Path()):
		// A streamed upload form carries the token in its address: reading
		// a form field would read the file into memory first.
		got = c.Query("csrf")
	default:
		got = c.FormValue("csrf")
	}
	return p.CSRF != "" && subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) == 1
}

func principal(c *fiber.Ctx) catalog.Principal {
	p, _ := c.Locals(localPrincipal).(catalog.Principal)
	return p
}

// requireSignIn is the coarse check for routes that make no sense
// anonymously; the service still decides the rest.
func requireSignIn(c *fiber.Ctx) error {
	if !principal(c).SignedIn() {
		return &catalog.Error{Kind: catalog.KindUnauthenticated, Message: catalog.T("请先登录", "sign in first")}
	}
	return c.Next()
}

// secure reports whether the request reached us over HTTPS (directly, or
// through a trusted proxy that says so).
func (a *App) secure(c *fiber.Ctx) bool {
	switch a.cfg.SecureCookies {
	case "always":
		return true
	case "never":
		return false
	}
	return c.Protocol() == "https"
}

func (a *App) setSessionCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: a.secure(c)})
}

func (a *App) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: a.secure(c)})
}

// securityHeaders sets headers every response should carry.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
}
