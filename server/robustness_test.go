package server

import (
	"net/url"
	"strings"
	"testing"
)

// TestNoRouteFailsOnBadInput sends malformed bodies, odd path values and
// bad query parameters to every API route, anonymously and as users of
// each role, and requires a 2xx–4xx answer (never a 500) with a problem
// document for every error.
func TestNoRouteFailsOnBadInput(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	tierSet(t, p, acc["provider"])
	callers := map[string]*client{"anonymous": p.anon(), "provider": p.as(acc["provider"].token),
		"developer": p.as(acc["developer"].token), "bureau": p.as(acc["bureau"].token)}
	pathValues := []string{"ct-open", "no-such-thing", url.PathEscape("中文标识"), strings.Repeat("x", 300), "..%2F..%2Fetc", "1"}
	bodies := []string{"", "{", "[]", "null", `"text"`, `{"unknown":1}`, `{"title":5,"tier":["x"],"page":-1}`,
		`{"approve":"yes","reason":7,"duration_days":1e99}`, `{"id":"` + strings.Repeat("a", 5000) + `"}`}
	queries := []string{"", "?page=-1&per_page=abc", "?q=" + url.QueryEscape(strings.Repeat("医", 500)), "?role=god&state=%00&format=exe&dry_run=maybe",
		"?after=!!!&from=yesterday&action=fly", "?domain=" + url.QueryEscape("<script>") + "&sort=random"}
	n := 0
	for _, r := range p.app.routes() {
		for name, c := range callers {
			for i, pv := range pathValues {
				path := fiberParam.ReplaceAllString(r.path, pv)
				for j, q := range queries {
					body := bodies[(i+j)%len(bodies)]
					var b any
					if r.method != "GET" && r.method != "DELETE" {
						b = body
					}
					res := c.do(t, r.method, "/api/v1"+path+q, b)
					n++
					if res.status >= 500 {
						t.Errorf("%s %s%s as %s with %q: %d %s", r.method, path, q, name, body, res.status, res.body)
						continue
					}
					if res.status >= 400 && !strings.HasPrefix(res.header.Get("Content-Type"), "application/problem+json") &&
						!strings.HasPrefix(r.path, "/api/3") {
						t.Errorf("%s %s as %s: %d without a problem document", r.method, path, name, res.status)
					}
				}
			}
		}
	}
	t.Logf("%d requests", n)
}

// TestNoPageFailsOnBadInput does the same for the pages: every page route,
// odd path values, bad query parameters and garbage forms, anonymously and
// per role: never a 500.
func TestNoPageFailsOnBadInput(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	tierSet(t, p, acc["provider"])
	callers := map[string]*client{"anonymous": p.anon(), "provider": p.as(acc["provider"].token),
		"developer": p.as(acc["developer"].token), "bureau": p.as(acc["bureau"].token)}
	forms := []string{"", "a=b&c", "title=" + strings.Repeat("长", 3000) + "&tier=secret&records=many&days=-5&approve=maybe&version=..%2F..",
		"id=ct-open&number=1.0&file=x&rev=abc&duration_days=1e9&accept_terms=on&state=nonsense"}
	n := 0
	for _, rt := range p.app.fiber.GetRoutes(true) {
		if strings.HasPrefix(rt.Path, "/api/") || rt.Method == "HEAD" || rt.Method == "USE" || strings.Contains(rt.Path, "*") {
			continue
		}
		for name, c := range callers {
			for i, pv := range []string{"ct-open", "no-such", url.PathEscape("中文"), "2026-1", "01"} {
				path := fiberParam.ReplaceAllString(rt.Path, pv) + []string{"", "?page=-3&state=%00&lang=xx", "?q=" + url.QueryEscape("<b>"), "?after=zz&from=bad&role=x"}[i%4]
				var body any
				hdr := []string{"Accept", "text/html"}
				if rt.Method == "POST" {
					body = forms[(i+n)%len(forms)]
					hdr = append(hdr, "Content-Type", "application/x-www-form-urlencoded")
				}
				res := c.do(t, rt.Method, path, body, hdr...)
				n++
				if res.status >= 500 {
					t.Errorf("%s %s as %s: %d %.300s", rt.Method, path, name, res.status, res.body)
				}
			}
		}
	}
	t.Logf("%d requests", n)
}
