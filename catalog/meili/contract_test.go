package meili_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"dataportal/catalog"
	"dataportal/catalog/catalogtest"
	"dataportal/catalog/meili"
	"dataportal/catalog/meili/meilitest"
)

// Contract tests: the adapter against meilitest, which checks every
// request against Meilisearch's documented API (route, method, headers,
// strict body) and answers with documented shapes. A request outside the
// API fails the test from inside the server.

const testKey = "portal-test-master-key"

var (
	seeAll      = catalog.Visibility{Clauses: []catalog.Clause{{}}}
	allStatuses = []string{catalog.StatusDraft, catalog.StatusPublished, catalog.StatusWithdrawn}
)

func newServer(t *testing.T) *meilitest.Server {
	return meilitest.New(t, meilitest.Options{Key: testKey})
}

func newIndex(t *testing.T, srv *meilitest.Server, tweak ...func(*meili.Options)) *meili.Index {
	t.Helper()
	o := meili.Options{URL: srv.URL(), Key: testKey, Index: "datasets", PollInterval: 2 * time.Millisecond,
		TaskTimeout: 5 * time.Second, RequestTimeout: 5 * time.Second}
	for _, f := range tweak {
		f(&o)
	}
	x, err := meili.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

// requests returns the requests after the first n, as "METHOD path".
func lines(rs []meilitest.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Method + " " + r.Path
	}
	return out
}

// withoutTasks drops task polls, whose number depends on timing.
func withoutTasks(rs []meilitest.Request) []meilitest.Request {
	return slices.DeleteFunc(slices.Clone(rs), func(r meilitest.Request) bool { return strings.HasPrefix(r.Path, "/tasks/") })
}

func find(t *testing.T, rs []meilitest.Request, method, path string) meilitest.Request {
	t.Helper()
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Method == method && rs[i].Path == path {
			return rs[i]
		}
	}
	t.Fatalf("no %s %s among %v", method, path, lines(rs))
	return meilitest.Request{}
}

func wantKind(t *testing.T, err error, k catalog.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, k)
	}
	if got := catalog.ErrorKind(err); got != k {
		t.Fatalf("%s: kind %s (%v), want %s", what, got, err, k)
	}
	var de *catalog.Error
	if errors.As(err, &de) && k != catalog.KindInternal && (de.Message.Zh == "" || de.Message.En == "") {
		t.Errorf("%s: message not in both languages: %+v", what, de.Message)
	}
}

func doc(id string, rev int64) catalog.IndexDoc {
	return catalog.IndexDoc{ID: id, Rev: rev, Title: "江苏气象观测数据集", TitleEn: "Jiangsu weather observations",
		Description: "全省站点逐小时观测记录。", Domain: "scientific", Modality: "time-series", Keywords: []string{"气象", "weather"},
		Labels: catalogtest.VocabularyLabels("scientific", "time-series", nil), Tier: "open", License: "CC-BY-4.0",
		Publisher: "org-met", OwnerOrg: "org-met", Status: catalog.StatusPublished,
		PublishedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []meili.Options{{URL: ""}, {URL: "meili:7700"}, {URL: "ftp://meili"}, {URL: "http://meili:7700", Index: "no spaces"}} {
		if _, err := meili.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestContractFirstUseCreatesAndConfiguresTheIndex(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	if err := x.Upsert(ctx, doc("js-weather", 1)); err != nil {
		t.Fatal(err)
	}
	got := lines(withoutTasks(srv.Requests()))
	want := []string{
		"GET /indexes/datasets",                  // 404 index_not_found
		"POST /indexes",                          // create it with primary key id
		"PATCH /indexes/datasets/settings",       // the portal's settings
		"POST /indexes/datasets/documents/fetch", // stored revisions
		"POST /indexes/datasets/documents",       // the documents
	}
	if !slices.Equal(got, want) {
		t.Fatalf("requests:\n got %v\nwant %v", got, want)
	}
	rs := srv.Requests()
	for _, r := range rs {
		if r.Header.Get("Authorization") != "Bearer "+testKey {
			t.Errorf("%s %s without the bearer key: %q", r.Method, r.Path, r.Header.Get("Authorization"))
		}
	}
	var create struct{ UID, PrimaryKey string }
	find(t, rs, "POST", "/indexes").JSON(t, &create)
	if create.UID != "datasets" || create.PrimaryKey != "id" {
		t.Errorf("create index body %+v", create)
	}
	if pk := find(t, rs, "POST", "/indexes/datasets/documents").Query.Get("primaryKey"); pk != "id" {
		t.Errorf("documents sent with primaryKey %q", pk)
	}

	var st struct {
		RankingRules         []string            `json:"rankingRules"`
		SearchableAttributes []string            `json:"searchableAttributes"`
		FilterableAttributes []string            `json:"filterableAttributes"`
		SortableAttributes   []string            `json:"sortableAttributes"`
		Synonyms             map[string][]string `json:"synonyms"`
		LocalizedAttributes  []struct {
			AttributePatterns []string `json:"attributePatterns"`
			Locales           []string `json:"locales"`
		} `json:"localizedAttributes"`
		TypoTolerance struct {
			Enabled             bool `json:"enabled"`
			MinWordSizeForTypos struct{ OneTypo, TwoTypos int }
			DisableOnNumbers    bool `json:"disableOnNumbers"`
		} `json:"typoTolerance"`
		Pagination struct{ MaxTotalHits int }
		Faceting   struct {
			MaxValuesPerFacet int
			SortFacetValuesBy map[string]string
		}
	}
	find(t, rs, "PATCH", "/indexes/datasets/settings").JSON(t, &st)
	if st.SearchableAttributes[0] != "title" || st.SearchableAttributes[len(st.SearchableAttributes)-1] != "description_en" {
		t.Errorf("searchable attributes not in rank order (title first, description last): %v", st.SearchableAttributes)
	}
	for _, a := range []string{"id", "status", "tier", "owner_org", "awaiting_confirmation", "domain", "modality", "languages",
		"license", "publisher", "list_items", "tasks", "formats"} {
		if !slices.Contains(st.FilterableAttributes, a) {
			t.Errorf("%s is not filterable", a)
		}
	}
	for _, a := range []string{"published_at", "title_sort", "id"} {
		if !slices.Contains(st.SortableAttributes, a) {
			t.Errorf("%s is not sortable", a)
		}
	}
	if st.RankingRules[0] != "sort" {
		t.Errorf("ranking rules %v: an explicit sort must come first", st.RankingRules)
	}
	locale := map[string]string{}
	for _, r := range st.LocalizedAttributes {
		for _, p := range r.AttributePatterns {
			locale[p] = strings.Join(r.Locales, ",")
		}
	}
	for attr, want := range map[string]string{"title": "cmn", "description": "cmn", "keywords_zh": "cmn", "labels_zh": "cmn", "publisher_name": "cmn",
		"title_en": "eng", "description_en": "eng", "keywords_en": "eng", "labels_en": "eng", "publisher_name_en": "eng"} {
		if locale[attr] != want {
			t.Errorf("localizedAttributes: %s is %q, want %q", attr, locale[attr], want)
		}
	}
	if !st.TypoTolerance.Enabled || st.TypoTolerance.MinWordSizeForTypos.OneTypo != 5 || !st.TypoTolerance.DisableOnNumbers {
		t.Errorf("typo tolerance %+v", st.TypoTolerance)
	}
	if st.Pagination.MaxTotalHits != meili.DefaultMaxTotalHits {
		t.Errorf("maxTotalHits %d", st.Pagination.MaxTotalHits)
	}
	if st.Faceting.MaxValuesPerFacet < 100 || st.Faceting.SortFacetValuesBy["*"] != "count" {
		t.Errorf("faceting %+v", st.Faceting)
	}
	// The synonyms are the shared table, every word to every other of its group.
	for _, g := range catalog.Synonyms() {
		for _, w := range g {
			for _, o := range g {
				if o != w && !slices.Contains(st.Synonyms[w], o) {
					t.Errorf("synonym %q → %q missing", w, o)
				}
			}
		}
	}

	// Later writes do not configure the index again.
	srv.ResetRequests()
	if err := x.Upsert(ctx, doc("js-weather", 2)); err != nil {
		t.Fatal(err)
	}
	if got := lines(withoutTasks(srv.Requests())); !slices.Equal(got, want[3:]) {
		t.Fatalf("second upsert sends %v", got)
	}
	// Another adapter on the same index finds it and only applies the settings.
	srv.ResetRequests()
	y := newIndex(t, srv)
	if _, err := y.Search(ctx, catalog.SearchQuery{Visibility: seeAll}); err != nil {
		t.Fatal(err)
	}
	if got := lines(withoutTasks(srv.Requests())); !slices.Equal(got, []string{"GET /indexes/datasets", "PATCH /indexes/datasets/settings", "POST /indexes/datasets/search"}) {
		t.Fatalf("first search of a second adapter sends %v", got)
	}
}

func TestContractDocuments(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	d := doc("js-weather", 3)
	d.Keywords = []string{"气象", "weather", "CT"}
	d.AwaitingConfirmation = true
	d.TitleSort = "" // derived from the title
	d.PublishedAt = time.Time{}
	if err := x.Upsert(ctx, d); err != nil {
		t.Fatal(err)
	}
	var sent []map[string]any
	find(t, srv.Requests(), "POST", "/indexes/datasets/documents").JSON(t, &sent)
	if len(sent) != 1 {
		t.Fatalf("sent %d documents", len(sent))
	}
	s := sent[0]
	for k, want := range map[string]any{
		"id": "js-weather", "rev": 3.0, "title": d.Title, "title_en": d.TitleEn, "awaiting_confirmation": "true",
		"title_sort": catalog.TitleSortKey(d.Title), "published_at": 0.0, "updated_at": float64(d.UpdatedAt.UnixMilli()),
		"status": "published", "tier": "open", "owner_org": "org-met",
	} {
		if fmt.Sprint(s[k]) != fmt.Sprint(want) {
			t.Errorf("document %s = %v, want %v", k, s[k], want)
		}
	}
	if fmt.Sprint(s["keywords_zh"]) != "[气象]" || fmt.Sprint(s["keywords_en"]) != "[weather CT]" {
		t.Errorf("keywords split by script: zh %v en %v", s["keywords_zh"], s["keywords_en"])
	}
	if zh := fmt.Sprint(s["labels_zh"]); !strings.Contains(zh, "科学") || strings.Contains(zh, "Scientific") {
		t.Errorf("labels_zh %v", zh)
	}
}

func TestContractRevisions(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	rev := func() float64 { return srv.Documents("datasets")["js-weather"]["rev"].(float64) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(x.Upsert(ctx, doc("js-weather", 3)))
	srv.ResetRequests()
	must(x.Upsert(ctx, doc("js-weather", 2))) // a late retry of an older revision
	if rev() != 3 {
		t.Fatalf("rev 2 replaced rev 3")
	}
	rs := withoutTasks(srv.Requests())
	if got := lines(rs); !slices.Equal(got, []string{"POST /indexes/datasets/documents/fetch"}) {
		t.Fatalf("an older revision sends %v; want only the revision check", got)
	}
	var fetch struct {
		Filter string   `json:"filter"`
		Fields []string `json:"fields"`
		Limit  int      `json:"limit"`
	}
	rs[0].JSON(t, &fetch)
	if fetch.Filter != `id IN ["js-weather"]` || !slices.Equal(fetch.Fields, []string{"id", "rev"}) || fetch.Limit != 1 {
		t.Errorf("revision check %+v", fetch)
	}
	must(x.Upsert(ctx, doc("js-weather", 3))) // the same revision again
	must(x.Upsert(ctx, doc("js-weather", 5), doc("js-weather", 4)))
	if rev() != 5 {
		t.Fatalf("rev 5 then 4 in one call kept %v", rev())
	}
	must(x.Upsert(ctx, doc("js-weather", 6), doc("js-weather", 7)))
	if rev() != 7 {
		t.Fatalf("rev 6 then 7 in one call kept %v", rev())
	}
	must(x.Upsert(ctx))
	wantKind(t, x.Upsert(ctx, catalog.IndexDoc{Rev: 1}), catalog.KindInvalid, "no id")
	wantKind(t, x.Upsert(ctx, doc("bad id/with slash", 1)), catalog.KindInvalid, "bad id")
}

func TestContractDelete(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	if err := x.Upsert(ctx, doc("a-1", 1), doc("a-2", 1), doc("a-3", 1)); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	if err := x.Delete(ctx, "a-2", "no-such", "not valid!"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	find(t, srv.Requests(), "POST", "/indexes/datasets/documents/delete-batch").JSON(t, &ids)
	if !slices.Equal(ids, []string{"a-2", "no-such"}) {
		t.Errorf("delete-batch body %v (an id no document can have is not sent)", ids)
	}
	if n, err := x.Count(ctx); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	srv.ResetRequests()
	if err := x.Delete(ctx, "not valid!"); err != nil || len(srv.Requests()) != 0 {
		t.Fatalf("Delete of impossible ids: %v, %d requests", err, len(srv.Requests()))
	}
	if err := x.Delete(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestContractCountAndPing(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("New contacted the engine (%d requests): the portal must start while it is down", n)
	}
	if n, err := x.Count(ctx); err != nil || n != 0 {
		t.Fatalf("Count of a missing index = %d, %v; want 0", n, err)
	}
	if err := x.Upsert(ctx, doc("a-1", 1), doc("a-2", 1)); err != nil {
		t.Fatal(err)
	}
	if n, err := x.Count(ctx); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	find(t, srv.Requests(), "GET", "/indexes/datasets/stats")
	if err := x.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	find(t, srv.Requests(), "GET", "/health")
	// Drop deletes the index; a missing index is no error; the next write
	// creates it again.
	for i := 0; i < 2; i++ {
		if err := x.Drop(ctx); err != nil {
			t.Fatalf("Drop %d: %v", i, err)
		}
		if slices.Contains(srv.Indexes(), "datasets") {
			t.Fatal("Drop left the index")
		}
	}
	if err := x.Upsert(ctx, doc("a-3", 1)); err != nil {
		t.Fatal(err)
	}
	if n, err := x.Count(ctx); err != nil || n != 1 {
		t.Fatalf("Count after Drop and Upsert = %d, %v", n, err)
	}
}

// TestContractFilterEscaping feeds values with quotes, backslashes and
// Chinese through every place a value enters a filter, and checks with the
// server's parser that each still selects exactly the documents holding
// it.
func TestContractFilterEscaping(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	odd := []string{`say "hi"`, `C:\data\`, `\"`, `江苏省"数据局"\分局`, `a' OR 1=1`, `x] OR [y`, `tab	and
newline`}
	var docs []catalog.IndexDoc
	for i, v := range odd {
		d := doc(fmt.Sprintf("odd-%d", i), 1)
		d.OwnerOrg, d.Publisher, d.License, d.Formats, d.ListItems, d.Languages = v, v, v, []string{v}, []string{v, "plain"}, []string{v}
		docs = append(docs, d)
	}
	plain := doc("plain-doc", 1)
	plain.ListItems = []string{"plain"}
	docs = append(docs, plain)
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	for i, v := range odd {
		want := fmt.Sprintf("odd-%d", i)
		for name, q := range map[string]catalog.SearchQuery{
			"visibility owner_org": {Visibility: catalog.Visibility{Clauses: []catalog.Clause{{{Field: catalog.VisOwnerOrg, Values: []string{v}}}}}},
			"filter publisher":     {Visibility: seeAll, Filters: map[string][]string{catalog.FacetPublisher: {v}}},
			"filter license":       {Visibility: seeAll, Filters: map[string][]string{catalog.FacetLicense: {v}}},
			"filter format":        {Visibility: seeAll, Filters: map[string][]string{catalog.FacetFormat: {v, "none"}}},
			"filter language":      {Visibility: seeAll, Filters: map[string][]string{catalog.FacetLanguage: {v}}},
			"status":               {Visibility: seeAll, Status: []string{v}},
		} {
			q.Facets = []string{catalog.FacetPublisher}
			res, err := x.Search(ctx, q)
			if err != nil {
				t.Fatalf("%s %q: %v", name, v, err)
			}
			if name == "status" {
				if res.Total != 0 {
					t.Errorf("status %q finds %d", v, res.Total)
				}
				continue
			}
			if res.Total != 1 || len(res.Hits) != 1 || res.Hits[0].ID != want {
				t.Errorf("%s %q: found %v (total %d), want %s", name, v, res.Hits, res.Total, want)
			}
			if fc := res.Facets[catalog.FacetPublisher]; len(fc) != 1 || fc[0].Value != v || fc[0].Count != 1 {
				t.Errorf("%s %q: publisher facet %v", name, v, fc)
			}
		}
	}
	// The filter as sent: the server's parser reads back the values.
	srv.ResetRequests()
	v := `江苏省"数据局"\分局`
	if _, err := x.Search(ctx, catalog.SearchQuery{Visibility: catalog.Visibility{Clauses: []catalog.Clause{{{Field: catalog.VisOwnerOrg, Values: []string{v}}}}}}); err != nil {
		t.Fatal(err)
	}
	var body struct{ Filter string }
	find(t, srv.Requests(), "POST", "/indexes/datasets/search").JSON(t, &body)
	if wantF := `status IN ["published"] AND ((owner_org IN ["江苏省\"数据局\"\\分局"]))`; body.Filter != wantF {
		t.Errorf("filter\n got %s\nwant %s", body.Filter, wantF)
	}
}

// TestContractVisibilityFilters checks, for the subjects the ACL
// describes, that the filter sent selects exactly what Visibility.Matches
// admits, with totals and facet counts over the same set.
func TestContractVisibilityFilters(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	docs := catalogtest.IndexFixture()
	if err := x.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	anon := catalog.Clause{{Field: catalog.VisTier, Values: []string{"open", "conditional"}}, {Field: catalog.VisStatus, Values: []string{catalog.StatusPublished}}}
	cases := map[string]catalog.Visibility{
		"anonymous":      {Clauses: []catalog.Clause{anon}},
		"provider":       {Clauses: []catalog.Clause{anon, {{Field: catalog.VisOwnerOrg, Values: []string{"org-jsph"}}}}},
		"bureau":         {Clauses: []catalog.Clause{{{Field: catalog.VisStatus, Values: []string{"published"}}}, {{Field: catalog.VisAwaiting, Values: []string{"true"}}}}},
		"grants":         {Clauses: []catalog.Clause{anon, {{Field: catalog.VisDatasetID, Values: []string{"fin-risk", "fin-draft"}}, {Field: catalog.VisStatus, Values: []string{"published"}}}}},
		"nothing":        {},
		"term no values": {Clauses: []catalog.Clause{{{Field: catalog.VisTier}}}},
		"everything":     seeAll,
	}
	for name, vis := range cases {
		for _, st := range [][]string{nil, allStatuses} {
			for _, filters := range []map[string][]string{nil, {catalog.FacetDomain: {"medical", "finance"}}} {
				q := catalog.SearchQuery{Visibility: vis, Status: st, Filters: filters, Limit: 1000, Facets: catalog.Facets, FacetSize: 100}
				srv.ResetRequests()
				res, err := x.Search(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				var want []string
				counts := map[string]map[string]int{}
				for _, d := range docs {
					status := st
					if status == nil {
						status = []string{"published"}
					}
					if !slices.Contains(status, d.Status) || !vis.Matches(d.VisibilityFields()) {
						continue
					}
					if filters != nil && !slices.Contains(filters[catalog.FacetDomain], d.Domain) {
						continue
					}
					want = append(want, d.ID)
					for _, f := range catalog.Facets {
						if counts[f] == nil {
							counts[f] = map[string]int{}
						}
						for _, v := range d.FacetValues(f) {
							if v != "" {
								counts[f][v]++
							}
						}
					}
				}
				var got []string
				for _, h := range res.Hits {
					got = append(got, h.ID)
				}
				sort.Strings(got)
				sort.Strings(want)
				label := fmt.Sprintf("%s status %v filters %v", name, st, filters)
				if !slices.Equal(got, want) || res.Total != len(want) {
					t.Errorf("%s: found %v (total %d), want %v", label, got, res.Total, want)
				}
				for _, f := range catalog.Facets {
					fc := res.Facets[f]
					if fc == nil {
						t.Errorf("%s: facet %s missing", label, f)
					}
					m := map[string]int{}
					for i, c := range fc {
						m[c.Value] = c.Count
						if i > 0 && (c.Count > fc[i-1].Count || c.Count == fc[i-1].Count && c.Value < fc[i-1].Value) {
							t.Errorf("%s: facet %s not by count, then value: %v", label, f, fc)
						}
					}
					if fmt.Sprint(m) != fmt.Sprint(counts[f]) && !(len(m) == 0 && len(counts[f]) == 0) {
						t.Errorf("%s: facet %s = %v, want %v", label, f, m, counts[f])
					}
				}
				if name == "nothing" || name == "term no values" {
					if n := len(srv.Requests()); n != 0 {
						t.Errorf("%s: a filter that admits nothing still sent %d requests", label, n)
					}
				}
			}
		}
	}
}

func TestContractSearchRequest(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	if err := x.Upsert(ctx, catalogtest.IndexFixture()...); err != nil {
		t.Fatal(err)
	}
	type body struct {
		Q                     string   `json:"q"`
		Filter                string   `json:"filter"`
		Sort                  []string `json:"sort"`
		Facets                []string `json:"facets"`
		Page                  *int     `json:"page"`
		HitsPerPage           *int     `json:"hitsPerPage"`
		Offset                *int     `json:"offset"`
		Limit                 *int     `json:"limit"`
		AttributesToRetrieve  []string `json:"attributesToRetrieve"`
		AttributesToHighlight []string `json:"attributesToHighlight"`
		HighlightPreTag       string   `json:"highlightPreTag"`
		MatchingStrategy      string   `json:"matchingStrategy"`
		Locales               []string `json:"locales"`
		ShowRankingScore      bool     `json:"showRankingScore"`
	}
	sent := func(q catalog.SearchQuery) (body, catalog.SearchResult) {
		t.Helper()
		srv.ResetRequests()
		res, err := x.Search(ctx, q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		var b body
		find(t, srv.Requests(), "POST", "/indexes/datasets/search").JSON(t, &b)
		return b, res
	}
	b, _ := sent(catalog.SearchQuery{Visibility: seeAll})
	if b.Filter != `status IN ["published"]` || b.Page == nil || *b.Page != 1 || *b.HitsPerPage != 20 || b.Offset != nil || b.Limit != nil {
		t.Errorf("defaults: %+v", b)
	}
	if b.MatchingStrategy != "all" || !slices.Equal(b.Locales, []string{"cmn", "eng"}) || !b.ShowRankingScore || len(b.AttributesToHighlight) != 0 {
		t.Errorf("search options: %+v", b)
	}
	b, _ = sent(catalog.SearchQuery{Visibility: seeAll, Sort: catalog.SortNewest, Offset: 40, Limit: 20, Facets: []string{catalog.FacetLanguage, catalog.FacetList}})
	if !slices.Equal(b.Sort, []string{"published_at:desc", "id:asc"}) || *b.Page != 3 || *b.HitsPerPage != 20 || !slices.Equal(b.Facets, []string{"languages", "list_items"}) {
		t.Errorf("newest page 3: %+v", b)
	}
	b, _ = sent(catalog.SearchQuery{Visibility: seeAll, Sort: catalog.SortTitle})
	if !slices.Equal(b.Sort, []string{"title_sort:asc", "id:asc"}) {
		t.Errorf("title: %+v", b.Sort)
	}
	b, _ = sent(catalog.SearchQuery{Visibility: seeAll, Sort: catalog.SortRelevance, Text: " 舌象 "})
	if b.Q != "舌象" || len(b.Sort) != 0 || !slices.Equal(b.AttributesToHighlight, []string{"title", "title_en", "description", "description_en"}) ||
		!slices.Contains(b.AttributesToRetrieve, "title") || b.HighlightPreTag == "" {
		t.Errorf("text search: %+v", b)
	}
	b, _ = sent(catalog.SearchQuery{Visibility: seeAll, Status: allStatuses, Filters: map[string][]string{
		catalog.FacetTier: {"open"}, catalog.FacetDomain: {"medical", "legal"}, catalog.FacetTask: {}}})
	if want := `status IN ["draft", "published", "withdrawn"] AND domain IN ["medical", "legal"] AND tier IN ["open"]`; b.Filter != want {
		t.Errorf("filters:\n got %s\nwant %s", b.Filter, want)
	}

	// An offset that is not a page boundary: the page of offset+limit
	// hits, cut. The pages still tile the result.
	full, err := x.Search(ctx, catalog.SearchQuery{Visibility: seeAll, Status: allStatuses, Sort: catalog.SortTitle, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	b, res := sent(catalog.SearchQuery{Visibility: seeAll, Status: allStatuses, Sort: catalog.SortTitle, Offset: 5, Limit: 7})
	if *b.Page != 1 || *b.HitsPerPage != 12 {
		t.Errorf("offset 5 limit 7 asks for page %d of %d", *b.Page, *b.HitsPerPage)
	}
	if res.Total != full.Total || len(res.Hits) != 7 || res.Hits[0].ID != full.Hits[5].ID || res.Hits[6].ID != full.Hits[11].ID {
		t.Errorf("offset 5 limit 7: total %d, hits %v", res.Total, res.Hits)
	}
	for _, h := range full.Hits {
		if h.Rev == 0 || h.Score == 0 {
			t.Errorf("hit without revision or score: %+v", h)
		}
	}
	// Past the end.
	_, res = sent(catalog.SearchQuery{Visibility: seeAll, Status: allStatuses, Offset: 980, Limit: 20})
	if len(res.Hits) != 0 || res.Total != full.Total {
		t.Errorf("past the end: %d hits, total %d", len(res.Hits), res.Total)
	}
	// Facet size cuts the sorted values.
	_, res = sent(catalog.SearchQuery{Visibility: seeAll, Facets: []string{catalog.FacetDomain}, FacetSize: 2})
	if fc := res.Facets[catalog.FacetDomain]; len(fc) != 2 || fc[0].Value != "medical" {
		t.Errorf("two domain values: %v", fc)
	}
	_, res = sent(catalog.SearchQuery{Visibility: seeAll})
	if res.Facets != nil {
		t.Errorf("facets without asking: %v", res.Facets)
	}

	for name, q := range map[string]catalog.SearchQuery{
		"unknown filter":           {Filters: map[string][]string{"colour": {"red"}}, Visibility: seeAll},
		"unknown facet":            {Facets: []string{"colour"}, Visibility: seeAll},
		"unknown sort":             {Sort: "random", Visibility: seeAll},
		"unknown visibility field": {Visibility: catalog.Visibility{Clauses: []catalog.Clause{{{Field: "salary", Values: []string{"1"}}}}}},
		"unknown field, no values": {Visibility: catalog.Visibility{Clauses: []catalog.Clause{{{Field: "salary"}}}}},
		"negative offset":          {Offset: -1, Visibility: seeAll},
		"negative limit":           {Limit: -1, Visibility: seeAll},
		"negative facet size":      {FacetSize: -1, Visibility: seeAll},
	} {
		srv.ResetRequests()
		_, err := x.Search(ctx, q)
		wantKind(t, err, catalog.KindInvalid, name)
		if len(srv.Requests()) != 0 {
			t.Errorf("%s: an invalid query reached the engine", name)
		}
	}
}

func TestContractHighlights(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	if err := x.Upsert(ctx, catalogtest.IndexFixture()...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ q, id, field, want string }{
		{"舆情", "opinion-html", "title", "&lt;b&gt;重点&lt;/b&gt;网络<mark>舆情</mark>文本数据集"},
		{"舆情", "opinion-html", "description", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"public", "opinion-html", "title_en", "&lt;b&gt;Key&lt;/b&gt; online <mark>public</mark> opinion texts"},
		{"舌象", "med-tcm-tongue", "title", "中医<mark>舌象</mark>图像数据集"},
	} {
		res, err := x.Search(ctx, catalog.SearchQuery{Text: tc.q, Visibility: seeAll, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var hit *catalog.Hit
		for i := range res.Hits {
			if res.Hits[i].ID == tc.id {
				hit = &res.Hits[i]
			}
		}
		if hit == nil {
			t.Fatalf("%q does not find %s", tc.q, tc.id)
		}
		frags := hit.Highlights[tc.field]
		if len(frags) != 1 || !strings.Contains(frags[0], tc.want) {
			t.Errorf("%q: %s.%s = %q, want one containing %q", tc.q, tc.id, tc.field, frags, tc.want)
		}
		for _, h := range res.Hits {
			for field, frags := range h.Highlights {
				for _, f := range frags {
					if !strings.Contains(f, "<mark>") {
						t.Errorf("%q: %s.%s fragment %q marks nothing", tc.q, h.ID, field, f)
					}
					if bare := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(f); strings.ContainsAny(bare, "<>") || strings.Contains(bare, "\ue000") {
						t.Errorf("%q: %s.%s fragment %q is not clean HTML", tc.q, h.ID, field, f)
					}
				}
			}
		}
	}
	// Without text there is nothing to highlight.
	res, err := x.Search(ctx, catalog.SearchQuery{Visibility: seeAll, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.Highlights != nil {
			t.Errorf("highlights without text: %v", h.Highlights)
		}
	}
}

func TestContractRebuild(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	x := newIndex(t, srv)
	old := catalogtest.GenerateIndexDocs("old", 30, 1)
	if err := x.Upsert(ctx, old...); err != nil {
		t.Fatal(err)
	}
	// Leftovers of rebuilds that died: an old one is removed, a recent
	// one (perhaps still being filled by someone) is left alone.
	srv.CreateIndexWithCreatedAt("datasets__rebuild_20250101T000000_dead", time.Now().Add(-2*time.Hour))
	srv.CreateIndexWithCreatedAt("datasets__rebuild_20250101T000000_busy", time.Now().Add(-time.Minute))
	srv.ResetRequests()
	fresh := catalogtest.GenerateIndexDocs("new", 2500, 2) // three batches
	during := doc("written-during-rebuild", 1)
	err := x.Rebuild(ctx, func(add func(catalog.IndexDoc) error) error {
		for i, d := range fresh {
			if i == 1200 {
				// a write while the new index fills goes to both
				if err := x.Upsert(ctx, during); err != nil {
					return err
				}
				if _, ok := srv.Documents("datasets")[during.ID]; !ok {
					return errors.New("the write during the rebuild is not in the live index")
				}
			}
			if err := add(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	live := srv.Documents("datasets")
	if len(live) != len(fresh)+1 {
		t.Fatalf("after Rebuild the live index has %d documents, want %d", len(live), len(fresh)+1)
	}
	if _, ok := live[during.ID]; !ok {
		t.Fatal("the write made during the rebuild was lost by the swap")
	}
	if _, ok := live[old[0].ID]; ok {
		t.Fatal("an old document survived the rebuild")
	}
	if got := srv.Indexes(); !slices.Equal(got, []string{"datasets", "datasets__rebuild_20250101T000000_busy"}) {
		t.Fatalf("indexes after Rebuild: %v", got)
	}
	var swapped, created string
	for _, r := range srv.Requests() {
		switch {
		case r.Path == "/swap-indexes":
			var b []struct {
				Indexes []string `json:"indexes"`
			}
			r.JSON(t, &b)
			if len(b) != 1 || b[0].Indexes[0] != "datasets" {
				t.Errorf("swap body %s", r.Body)
			}
			swapped = b[0].Indexes[1]
		case r.Path == "/indexes" && r.Method == "POST":
			var b struct{ UID string }
			r.JSON(t, &b)
			created = b.UID
		}
	}
	if swapped == "" || swapped != created || !strings.HasPrefix(created, "datasets__rebuild_") {
		t.Fatalf("created %q, swapped %q", created, swapped)
	}
	find(t, srv.Requests(), "PATCH", "/indexes/"+created+"/settings")
	find(t, srv.Requests(), "DELETE", "/indexes/"+created)
	find(t, srv.Requests(), "DELETE", "/indexes/datasets__rebuild_20250101T000000_dead")
	if n, err := x.Count(ctx); err != nil || n != len(fresh)+1 {
		t.Fatalf("Count = %d, %v", n, err)
	}

	t.Run("failures keep the live index", func(t *testing.T) {
		before := srv.Documents("datasets")
		boom := errors.New("store unavailable")
		if err := x.Rebuild(ctx, func(add func(catalog.IndexDoc) error) error {
			_ = add(doc("partial", 1))
			return boom
		}); err == nil {
			t.Fatal("a failing fill returned nil")
		}
		cctx, cancel := context.WithCancel(ctx)
		err := x.Rebuild(cctx, func(add func(catalog.IndexDoc) error) error {
			cancel()
			return add(doc("cancelled", 1))
		})
		wantKind(t, err, catalog.KindUnavailable, "cancelled rebuild")
		srv.SetFault(func(r meilitest.Request) *meilitest.Fault {
			if r.Path == "/swap-indexes" {
				return &meilitest.Fault{FailTask: "internal"}
			}
			return nil
		})
		err = x.Rebuild(ctx, func(add func(catalog.IndexDoc) error) error { return add(doc("never-live", 1)) })
		srv.SetFault(nil)
		wantKind(t, err, catalog.KindUnavailable, "failed swap")
		after := srv.Documents("datasets")
		if len(after) != len(before) {
			t.Fatalf("a failed rebuild changed the live index: %d → %d documents", len(before), len(after))
		}
		for _, uid := range srv.Indexes() {
			if uid != "datasets" && uid != "datasets__rebuild_20250101T000000_busy" {
				t.Errorf("a failed rebuild left index %s", uid)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		if err := x.Rebuild(ctx, func(func(catalog.IndexDoc) error) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if n, err := x.Count(ctx); err != nil || n != 0 {
			t.Fatalf("Count after an empty Rebuild = %d, %v", n, err)
		}
	})
}

// TestContractFailures drives every method into the failures the engine
// can answer with, and checks the error kinds: Unavailable for what passes
// or what an operator fixes on the engine (unreachable, 5xx, overloaded,
// wrong key, timeouts, failed or stuck tasks for system reasons), Internal
// for a request the engine rejects (a bug of the adapter).
func TestContractFailures(t *testing.T) {
	ctx := context.Background()
	type op struct {
		name  string
		write bool
		run   func(x *meili.Index) error
	}
	ops := []op{
		{"Upsert", true, func(x *meili.Index) error { return x.Upsert(ctx, doc("js-weather", 9)) }},
		{"Delete", true, func(x *meili.Index) error { return x.Delete(ctx, "js-weather") }},
		{"Search", false, func(x *meili.Index) error {
			_, err := x.Search(ctx, catalog.SearchQuery{Text: "气象", Visibility: seeAll, Facets: catalog.Facets})
			return err
		}},
		{"Count", false, func(x *meili.Index) error { _, err := x.Count(ctx); return err }},
		{"Ping", false, func(x *meili.Index) error { return x.Ping(ctx) }},
		{"Rebuild", true, func(x *meili.Index) error {
			return x.Rebuild(ctx, func(add func(catalog.IndexDoc) error) error { return add(doc("js-weather", 10)) })
		}},
	}
	faults := []struct {
		name  string
		fault meilitest.Fault
		kind  catalog.Kind
		tasks bool // only for requests that enqueue tasks
		ping  bool // applies to /health too
	}{
		{"503", meilitest.Fault{Status: 503, Code: "internal", Type: "internal"}, catalog.KindUnavailable, false, true},
		{"500", meilitest.Fault{Status: 500, Code: "internal", Type: "internal"}, catalog.KindUnavailable, false, true},
		{"429", meilitest.Fault{Status: 429, Code: "too_many_search_requests", Type: "system"}, catalog.KindUnavailable, false, true},
		{"403 wrong key", meilitest.Fault{Status: 403, Code: "invalid_api_key", Type: "auth"}, catalog.KindUnavailable, false, false},
		{"400 rejected", meilitest.Fault{Status: 400, Code: "bad_request", Type: "invalid_request"}, catalog.KindInternal, false, false},
		{"connection dropped", meilitest.Fault{Drop: true}, catalog.KindUnavailable, false, true},
		{"hangs", meilitest.Fault{Hang: true}, catalog.KindUnavailable, false, true},
		{"task fails: disk full", meilitest.Fault{FailTask: "no_space_left_on_device"}, catalog.KindUnavailable, true, false},
		{"task fails: rejected", meilitest.Fault{FailTask: "invalid_document_fields"}, catalog.KindInternal, true, false},
		{"task never finishes", meilitest.Fault{StuckTask: true}, catalog.KindUnavailable, true, false},
	}
	for _, o := range ops {
		for _, f := range faults {
			if f.tasks && !o.write {
				continue
			}
			if o.name == "Ping" && !f.ping {
				continue
			}
			t.Run(o.name+"/"+f.name, func(t *testing.T) {
				srv := newServer(t)
				x := newIndex(t, srv, func(o *meili.Options) {
					o.RequestTimeout, o.TaskTimeout = 300*time.Millisecond, 300*time.Millisecond
				})
				if err := x.Upsert(ctx, doc("js-weather", 1)); err != nil { // index ready
					t.Fatal(err)
				}
				srv.SetFault(func(r meilitest.Request) *meilitest.Fault {
					if f.tasks && !(r.Method == http.MethodPost && (strings.HasSuffix(r.Path, "/documents") || strings.HasSuffix(r.Path, "/delete-batch") || r.Path == "/swap-indexes")) {
						return nil
					}
					fc := f.fault
					return &fc
				})
				start := time.Now()
				err := o.run(x)
				wantKind(t, err, f.kind, o.name+" with "+f.name)
				if d := time.Since(start); d > 4*time.Second {
					t.Errorf("%s with %s took %s: timeouts do not bound it", o.name, f.name, d)
				}
				// The index recovers once the engine does.
				if f.name != "task never finishes" { // its queue stays blocked, as the engine's would
					srv.SetFault(nil)
					if err := o.run(x); err != nil {
						t.Fatalf("after the fault: %v", err)
					}
				}
			})
		}
	}

	t.Run("index deleted behind the adapter", func(t *testing.T) {
		srv := newServer(t)
		x := newIndex(t, srv)
		if err := x.Upsert(ctx, doc("js-weather", 1)); err != nil {
			t.Fatal(err)
		}
		// Someone deletes the live index (an operator, a restore).
		req, _ := http.NewRequest(http.MethodDelete, srv.URL()+"/indexes/datasets", nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		deadline := time.Now().Add(5 * time.Second)
		for slices.Contains(srv.Indexes(), "datasets") && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n, err := x.Count(ctx); err != nil || n != 0 {
			t.Fatalf("Count of a deleted index = %d, %v", n, err)
		}
		if _, err := x.Search(ctx, catalog.SearchQuery{Visibility: seeAll}); err != nil {
			t.Fatalf("Search after the index was deleted: %v (the adapter recreates it)", err)
		}
		if err := x.Upsert(ctx, doc("js-weather", 2)); err != nil {
			t.Fatalf("Upsert after the index was deleted: %v", err)
		}
		if s := srv.Settings("datasets"); s["filterableAttributes"] == nil {
			t.Fatal("the recreated index has no settings")
		}
	})

	t.Run("index recreated without settings", func(t *testing.T) {
		srv := newServer(t)
		x := newIndex(t, srv)
		if err := x.Upsert(ctx, doc("js-weather", 1)); err != nil {
			t.Fatal(err)
		}
		raw := func(method, path, body string) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testKey)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		// Someone deletes the index and a stray client adds a document:
		// Meilisearch creates the index again, with default settings.
		raw(http.MethodDelete, "/indexes/datasets", "")
		raw(http.MethodPost, "/indexes/datasets/documents?primaryKey=id", `[{"id":"stray","rev":1,"status":"published"}]`)
		deadline := time.Now().Add(5 * time.Second)
		for srv.Documents("datasets")["stray"] == nil && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		srv.Tolerate("invalid_search_filter") // the engine's answer to a filter on an undeclared attribute
		srv.ResetRequests()
		res, err := x.Search(ctx, catalog.SearchQuery{Visibility: seeAll})
		if err != nil {
			t.Fatalf("Search on an index that lost its settings: %v (they are applied again)", err)
		}
		if res.Total != 1 || res.Hits[0].ID != "stray" {
			t.Fatalf("found %+v", res)
		}
		find(t, srv.Requests(), "PATCH", "/indexes/datasets/settings")
	})

	t.Run("wrong key", func(t *testing.T) {
		srv := newServer(t)
		x := newIndex(t, srv, func(o *meili.Options) { o.Key = "not-the-key" })
		err := x.Upsert(ctx, doc("js-weather", 1))
		wantKind(t, err, catalog.KindUnavailable, "wrong key")
		y := newIndex(t, srv, func(o *meili.Options) { o.Key = "" })
		_, err = y.Search(ctx, catalog.SearchQuery{Visibility: seeAll})
		wantKind(t, err, catalog.KindUnavailable, "no key")
	})

	t.Run("cancelled context", func(t *testing.T) {
		srv := newServer(t)
		x := newIndex(t, srv)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		wantKind(t, x.Upsert(cctx, doc("js-weather", 1)), catalog.KindUnavailable, "Upsert")
		_, err := x.Search(cctx, catalog.SearchQuery{Visibility: seeAll})
		wantKind(t, err, catalog.KindUnavailable, "Search")
	})
}

// The adapter's documents and the filter syntax agree: a value read back
// from the server's parser is the value sent.
func TestFilterParserRoundTrip(t *testing.T) {
	for _, v := range []string{`a"b`, `a\b`, `\`, `"`, `江苏"\`, `plain`} {
		expr := `owner_org IN ["` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"]`
		match, attrs, err := meilitest.Filter(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if !slices.Equal(attrs, []string{"owner_org"}) || !match(map[string]any{"owner_org": v}) || match(map[string]any{"owner_org": v + "x"}) {
			t.Errorf("%s does not select exactly %q", expr, v)
		}
	}
	for _, bad := range []string{`owner_org IN ["unterminated]`, `owner_org IN [a b]`, `AND tier = open`, `(tier = open`, `tier open`} {
		if _, _, err := meilitest.Filter(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}
