package frontend

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"dataportal/catalog"
)

// funcs are the template helpers. None produces user-visible words of its
// own: labels come from the vocabularies, messages from the catalogues.
var funcs = template.FuncMap{
	"vocab": func(name string) catalog.Vocabulary {
		switch name {
		case "domain":
			return catalog.Domains
		case "modality":
			return catalog.Modalities
		case "tier":
			return catalog.Tiers
		case "task":
			return catalog.Tasks
		case "status":
			return catalog.Statuses
		case "role":
			return catalog.Roles
		case "orgkind":
			return catalog.OrgKinds
		case "use":
			return catalog.IntendedUses
		case "reqstate":
			return catalog.RequestStates
		case "grantstate":
			return catalog.GrantStates
		}
		return nil
	},
	// label is the label of value in vocabulary name, in lang.
	"label": func(name, value, lang string) string {
		var v catalog.Vocabulary
		switch name {
		case "domain":
			v = catalog.Domains
		case "modality":
			v = catalog.Modalities
		case "tier":
			v = catalog.Tiers
		case "task":
			v = catalog.Tasks
		case "status":
			v = catalog.Statuses
		case "role":
			v = catalog.Roles
		case "orgkind":
			v = catalog.OrgKinds
		case "use":
			v = catalog.IntendedUses
		case "reqstate":
			v = catalog.RequestStates
		case "grantstate":
			v = catalog.GrantStates
		}
		if l, ok := v.Label(value); ok {
			return l.In(lang)
		}
		return value
	},
	"date": func(t any) string {
		switch v := t.(type) {
		case *time.Time:
			if v == nil {
				return ""
			}
			return v.In(shanghai).Format("2006-01-02")
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.In(shanghai).Format("2006-01-02")
		}
		return ""
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(shanghai).Format("2006-01-02 15:04")
	},
	"bytes": func(n int64) string {
		units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
		f, i := float64(n), 0
		for f >= 1024 && i < len(units)-1 {
			f /= 1024
			i++
		}
		if i == 0 {
			return strconv.FormatInt(n, 10) + " B"
		}
		return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[i]
	},
	"num": func(n any) string {
		var v int64
		switch x := n.(type) {
		case int:
			v = int64(x)
		case int64:
			v = x
		}
		s := strconv.FormatInt(v, 10)
		for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	},
	// mark lets the search index's highlight fragments through: the index
	// escapes everything but its own <mark> tags (a test checks that).
	"mark": func(s string) template.HTML { return template.HTML(s) },
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	// dict builds the data of a partial template from key/value pairs.
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"list":  func(v ...string) []string { return v },
	"has":   func(list []string, v string) bool { return contains(list, v) },
	"first": func(m map[string][]catalog.Text, k string) []catalog.Text { return m[k] },
	// toggle returns the search address with value of facet added or
	// removed, and the page reset.
	"toggle": func(query, facet, value string) string {
		q, _ := url.ParseQuery(query)
		var out []string
		found := false
		for _, v := range q[facet] {
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
	"withParam": func(path, query, key, value string) string {
		q, _ := url.ParseQuery(query)
		q.Set(key, value)
		if key != "page" {
			q.Del("page")
		}
		return path + "?" + q.Encode()
	},
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// shanghai is the portal's display time zone (UTC+8, no daylight saving).
var shanghai = time.FixedZone("CST", 8*3600)
