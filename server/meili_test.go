package server

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"dataportal/catalog"
	"dataportal/catalog/meili/meilitest"
)

const meiliTestKey = "portal-test-master-key"

// withMeili points cfg at a stand-in Meilisearch (meilitest), which checks
// every request the adapter sends against the documented API.
func withMeili(t *testing.T, cfg Config) (Config, *meilitest.Server) {
	t.Helper()
	srv := meilitest.New(t, meilitest.Options{Key: meiliTestKey})
	cfg.MeiliURL, cfg.MeiliKey, cfg.MeiliIndex = srv.URL(), meiliTestKey, "datasets"
	return cfg, srv
}

// TestTiersOnMeilisearch runs the tier journey with the Meilisearch
// adapter: visibility filters, totals and facet counts through the engine.
func TestTiersOnMeilisearch(t *testing.T) {
	cfg, _ := withMeili(t, testConfig(t.TempDir()))
	testTiers(t, cfg)
}

// readyz returns the status code and body of /readyz.
func readyz(t *testing.T, p *testPortal) (int, struct {
	Status string         `json:"status"`
	Checks map[string]any `json:"checks"`
}) {
	t.Helper()
	r := p.anon().do(t, "GET", "/readyz", nil)
	var body struct {
		Status string         `json:"status"`
		Checks map[string]any `json:"checks"`
	}
	r.json(t, &body)
	return r.status, body
}

// metric reads one unlabelled gauge from /metrics.
func metric(t *testing.T, p *testPortal, name string) float64 {
	t.Helper()
	m := p.anon().want(t, 200, "GET", "/metrics", nil)
	re := regexp.MustCompile(`(?m)^` + name + ` ([0-9.e+-]+)$`)
	sm := re.FindSubmatch(m.body)
	if sm == nil {
		t.Fatalf("metric %s missing from\n%s", name, bytes.TrimSpace(m.body))
	}
	v, err := strconv.ParseFloat(string(sm[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestIndexOutage stops the search engine while datasets are written:
// the writes succeed, search answers 503, /readyz says degraded (200) and
// the backlog shows in the metrics; the indexer backs off instead of
// hammering the engine; when the engine is back every dataset becomes
// searchable exactly once, at its latest revision.
func TestIndexOutage(t *testing.T) {
	cfg, srv := withMeili(t, testConfig(t.TempDir()))
	p := startPortal(t, cfg)
	acc := seed(t, p)
	prov := p.as(acc["provider"].token)
	bureau := p.as(acc["bureau"].token)
	revs := map[string]int64{} // the latest revision of every dataset
	write := func(status int, method, path string, body any, hdr ...string) {
		t.Helper()
		var d DatasetResponse
		prov.want(t, status, method, path, body, hdr...).json(t, &d)
		revs[d.ID] = d.Rev
	}
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("before-%d", i)
		write(201, "POST", "/api/v1/datasets", newDataset(id, catalog.TierOpen, "停机前数据集"+id, "Before outage "+id, "medical", "text", "zh", "CC-BY-4.0"))
		write(200, "POST", "/api/v1/datasets/"+id+"/publish", nil)
	}
	p.waitIndexed()
	if code, r := readyz(t, p); code != 200 || r.Status != "ready" || r.Checks["index"] != "ok" || r.Checks["indexer"] != "leader" {
		t.Fatalf("readyz before the outage: %d %+v", code, r)
	}

	srv.Down(true)
	for i := 0; i < 4; i++ {
		id := fmt.Sprintf("during-%d", i)
		write(201, "POST", "/api/v1/datasets", newDataset(id, catalog.TierOpen, "停机期间数据集"+id, "During outage "+id, "finance", "tabular", "zh", "CC-BY-4.0"))
		if i%2 == 0 {
			write(200, "POST", "/api/v1/datasets/"+id+"/publish", nil)
		}
	}
	write(200, "PATCH", "/api/v1/datasets/before-1", map[string]any{"title": "停机期间改名的数据集"})
	write(200, "POST", "/api/v1/datasets/before-2/withdraw", map[string]any{"reason": "停机期间撤回"})

	pr := bureau.want(t, 503, "GET", "/api/v1/search?q=", nil).problem(t)
	if pr.Status != 503 {
		t.Fatalf("search while the engine is down: %+v", pr)
	}
	bureau.want(t, 200, "GET", "/api/v1/datasets/during-0", nil) // pages still work
	code, r := readyz(t, p)
	if code != 200 || r.Status != "degraded" || r.Checks["index"] != "unavailable" || r.Checks["store"] != "sqlite: ok" {
		t.Fatalf("readyz while the engine is down: %d %+v; want 200 degraded", code, r)
	}
	if n, _ := r.Checks["index_pending"].(float64); n != 6 {
		t.Fatalf("readyz index_pending %v, want 6", r.Checks["index_pending"])
	}
	if _, ok := r.Checks["index_pending_oldest_seconds"].(float64); !ok {
		t.Fatalf("readyz lacks index_pending_oldest_seconds: %+v", r.Checks)
	}
	if n := metric(t, p, "portal_index_pending"); n != 6 {
		t.Fatalf("portal_index_pending %v, want 6", n)
	}
	if metric(t, p, "portal_index_pending_oldest_seconds") < 0 || metric(t, p, "portal_indexer_leader") != 1 {
		t.Fatal("backlog age or leader gauge wrong")
	}

	// The indexer backs off (0.5 s, 1 s, 2 s, … with jitter): a handful
	// of attempts in three seconds; polling every 200 ms would make
	// fifteen, a busy loop thousands. (That it does retry shows below:
	// nothing kicks it when the engine comes back.)
	srv.ResetRequests()
	time.Sleep(3 * time.Second)
	if n := len(srv.Requests()); n > 8 {
		t.Fatalf("%d requests to the engine in 3 s of outage; want a few (backoff), not a busy loop", n)
	}

	srv.Down(false)
	p.waitIndexed()
	if code, r := readyz(t, p); code != 200 || r.Status != "ready" {
		t.Fatalf("readyz after the outage: %d %+v", code, r)
	}
	docs := srv.Documents("datasets")
	if len(docs) != len(revs) {
		t.Fatalf("the engine holds %d documents, the store %d datasets", len(docs), len(revs))
	}
	for id, rev := range revs {
		d, ok := docs[id]
		if !ok {
			t.Errorf("%s is not in the index", id)
			continue
		}
		if got := int64(d["rev"].(float64)); got != rev {
			t.Errorf("%s indexed at rev %d, latest is %d", id, got, rev)
		}
	}
	// Searchable exactly once (searchAll fails on a hit seen twice), with
	// the content of the latest revision.
	got := searchAll(t, bureau, "q=")
	want := []string{"before-0", "before-1", "during-0", "during-2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("published after the outage: %v, want %v", got, want)
	}
	if got := searchAll(t, prov, "status=draft"); fmt.Sprint(got) != "[during-1 during-3]" {
		t.Fatalf("drafts after the outage: %v", got)
	}
	if got := searchAll(t, prov, "q="+url.QueryEscape("改名")); fmt.Sprint(got) != "[before-1]" {
		t.Fatalf("the title changed during the outage finds %v", got)
	}
}
