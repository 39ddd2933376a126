package frontend

import (
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"dataportal/catalog"
)

// TestCataloguesAgree checks that Chinese and English have the same
// messages and that every message a template or handler asks for exists.
func TestCataloguesAgree(t *testing.T) {
	zh, err := messageIDs("zh")
	if err != nil {
		t.Fatal(err)
	}
	en, err := messageIDs("en")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range zh {
		if strings.TrimSpace(en[k]) == "" {
			t.Errorf("message %s has no English", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("message %s has no Chinese", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("message %s has no Chinese", k)
		}
	}
	// Literal keys in templates and Go code.
	used := map[string]bool{}
	literal := regexp.MustCompile(`\bT "([a-z_.-]+)"`)
	goLiteral := regexp.MustCompile(`(?:\.T\(|setFlash\(c, "[a-z]+", )"([a-z_.-]+)"`)
	_ = fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, path)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	for _, src := range goSources(t) {
		for _, m := range goLiteral.FindAllStringSubmatch(src, -1) {
			used[m[1]] = true
		}
	}
	// Keys built from a prefix and a value.
	for _, tv := range catalog.Tiers {
		used["tier."+tv.Value+".means"] = true
	}
	for _, a := range datasetActions {
		used["action."+string(a)] = true
	}
	for _, f := range pageFacets {
		used["facet."+f] = true
	}
	for _, s := range []string{catalog.SortRelevance, catalog.SortNewest, catalog.SortTitle} {
		used["sort."+s] = true
	}
	for _, s := range []string{"datasets", "tiers", "audit", "orgs", "users", "tokens", "requests", "reviews", "grants", "lineage", "notifications",
		"lists", "responses", "deliveries", "matches", "needs", "need-groups", "stats"} {
		used["ws."+s], used["ws."+s+".about"] = true, true
	}
	for _, st := range []string{"provider", "bureau"} {
		used["requests.stage."+st] = true
	}
	// Changelog operations, and the fields changelogs and imports name.
	for _, op := range []string{"published", "added", "changed", "cancelled", "restored", "removed"} {
		used["revision.op."+op] = true
	}
	for _, fld := range []string{"code", "name", "name_en", "domain", "modality", "requirements", "target_scale", "quality_requirements",
		"deadline", "priority", "lead_units", "formats", "notes", "cancelled", "cancel_reason", "title", "title_en", "year", "batch",
		"description", "description_en"} {
		used["field."+fld] = true
	}
	// Messages handed to helpers that set the flash.
	for _, id := range []string{"flash.response_created", "flash.response_saved", "flash.delivery_accepted", "flash.delivery_rejected",
		"flash.list_published", "flash.list_closed", "flash.item_cancelled", "flash.item_restored", "flash.item_deleted"} {
		used[id] = true
	}
	var missing []string
	for k := range used {
		if _, ok := zh[k]; !ok {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("messages used but not in the catalogues: %v", missing)
	}
	if len(used) < 100 {
		t.Fatalf("found only %d used messages: the scan is broken", len(used))
	}
}

func goSources(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, name := range []string{"pages.go", "workspace.go", "frontend.go", "exchange.go", "lists.go", "listedit.go", "listwork.go", "charts.go"} {
		b, err := fs.ReadFile(osFS, name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestTemplatesHoldNoText checks that templates have no words of their own:
// text between tags and the attributes people read (placeholder, title,
// alt, aria-label) must come from the catalogues or from data.
func TestTemplatesHoldNoText(t *testing.T) {
	action := regexp.MustCompile(`\{\{.*?\}\}`)
	letters := regexp.MustCompile(`\p{L}{2,}`)
	readable := map[string]bool{"placeholder": true, "title": true, "alt": true, "aria-label": true, "value": false}
	checked := 0
	_ = fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, path)
		src := action.ReplaceAllString(string(b), " ")
		z := html.NewTokenizer(strings.NewReader(src))
		inScript := false
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			tok := z.Token()
			switch tt {
			case html.StartTagToken, html.SelfClosingTagToken:
				inScript = tok.Data == "script" || tok.Data == "style"
				for _, a := range tok.Attr {
					if readable[a.Key] && letters.MatchString(a.Val) && !strings.Contains(a.Val, ":") {
						t.Errorf("%s: <%s %s=%q> is hard-coded text", path, tok.Data, a.Key, a.Val)
					}
				}
				checked++
			case html.EndTagToken:
				inScript = false
			case html.TextToken:
				if !inScript && letters.MatchString(tok.Data) {
					t.Errorf("%s: text %q is hard-coded", path, strings.TrimSpace(tok.Data))
				}
			}
		}
		return nil
	})
	if checked < 50 {
		t.Fatalf("checked only %d tags: the scan is broken", checked)
	}
}

// osFS reads this package's Go sources for the message scan.
var osFS = os.DirFS(".")
