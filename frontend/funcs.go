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
	"vocab": func(name string) catalog.Vocabulary { return vocabularies[name] },
	// label is the label of value in vocabulary name, in lang.
	"label": func(name, value, lang string) string {
		if l, ok := vocabularies[name].Label(value); ok {
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
	// pct writes a ratio (0–1) as a percentage.
	"pct": pct,
	// decimal writes a number with one decimal.
	"decimal": func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	// itemHref is the page of a list item from its reference
	// ("2026-1-07": list 2026-1, item 07; item codes have no hyphen).
	"itemHref": itemHref,
	// needHref is the page of the list item a data need became.
	"needHref": needItemHref,
	// lookup reads a count from a map by key (0 when absent).
	"lookup": func(m map[string]int, k string) int { return m[k] },
	"withParam": func(path, query, key, value string) string {
		q, _ := url.ParseQuery(query)
		q.Set(key, value)
		if key != "page" {
			q.Del("page")
		}
		return path + "?" + q.Encode()
	},
}

// vocabularies are the vocabularies templates label values from.
var vocabularies = map[string]catalog.Vocabulary{
	"domain":     catalog.Domains,
	"modality":   catalog.Modalities,
	"tier":       catalog.Tiers,
	"task":       catalog.Tasks,
	"status":     catalog.Statuses,
	"role":       catalog.Roles,
	"orgkind":    catalog.OrgKinds,
	"use":        catalog.IntendedUses,
	"reqstate":   catalog.RequestStates,
	"grantstate": catalog.GrantStates,
	"liststatus": catalog.ListStatuses,
	"priority":   catalog.Priorities,
	"respstate":  catalog.ResponseStates,
	"needstatus": catalog.NeedStatuses,
	"purpose":    catalog.Purposes,
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// pct writes a ratio (0–1) as a percentage with one decimal.
func pct(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + "%" }

// itemHref is the address of the page of the list item ref names.
func itemHref(ref string) string {
	i := strings.LastIndex(ref, "-")
	if i <= 0 || i == len(ref)-1 {
		return "/search?list=" + url.QueryEscape(ref)
	}
	return "/lists/" + url.PathEscape(ref[:i]) + "/items/" + url.PathEscape(ref[i+1:])
}

// shanghai is the portal's display time zone (UTC+8, no daylight saving).
var shanghai = time.FixedZone("CST", 8*3600)
