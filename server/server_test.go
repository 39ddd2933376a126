package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"dataportal/catalog"
	"dataportal/catalog/mongo/mongotest"
)

// testPortal is a portal serving on a loopback port from a data directory.
type testPortal struct {
	t      *testing.T
	app    *App
	url    string
	cancel context.CancelFunc
	done   chan error
}

func testConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.DataDir = dir
	cfg.IndexPoll = 200 * time.Millisecond
	cfg.LoginPerAccount = 5
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

func startPortal(t *testing.T, cfg Config) *testPortal {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	app, err := Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("open portal: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &testPortal{t: t, app: app, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- app.Serve(ctx, ln) }()
	t.Cleanup(p.stop)
	return p
}

// stop shuts the portal down and closes its store and index.
func (p *testPortal) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	var err error
	select {
	case err = <-p.done:
	case <-time.After(3 * time.Second):
		// Shutdown waits for connections in flight: show what still runs.
		buf := make([]byte, 1<<20)
		fmt.Fprintf(os.Stderr, "%s: shutdown is taking long; goroutines:\n%s\n", p.t.Name(), buf[:runtime.Stack(buf, true)])
		err = <-p.done
	}
	// A client connection the test's HTTP client keeps may outlast the
	// shutdown timeout; the portal then stops without it (as it would in
	// production). Anything else is a failure.
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		p.t.Errorf("serve: %v", err)
	}
	p.cancel = nil
	if err := p.app.Close(); err != nil {
		p.t.Errorf("close: %v", err)
	}
}

// waitIndexed waits until the indexer has caught up with the store.
func (p *testPortal) waitIndexed() {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		n, err := p.app.svc.PendingCount(context.Background())
		if err != nil {
			p.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatal("the indexer did not catch up")
}

// client makes API calls as one caller (a bearer token, or none).
type client struct {
	p     *testPortal
	token string
	hc    *http.Client
	csrf  string
}

func (p *testPortal) anon() *client { return &client{p: p, hc: http.DefaultClient} }

func (p *testPortal) as(token string) *client {
	return &client{p: p, token: token, hc: http.DefaultClient}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response is not JSON (%d): %v: %s", r.status, err, r.body)
	}
}

func (r response) problem(t *testing.T) Problem {
	t.Helper()
	var p Problem
	r.json(t, &p)
	if p.Type == "" || p.Status != r.status || p.Detail == "" || p.Messages.Zh == "" || p.Messages.En == "" {
		t.Fatalf("not a complete problem document: %s", r.body)
	}
	return p
}

func (c *client) do(t *testing.T, method, path string, body any, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.p.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *client) want(t *testing.T, status int, method, path string, body any, hdr ...string) response {
	t.Helper()
	r := c.do(t, method, path, body, hdr...)
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.body)
	}
	return r
}

// account is a seeded user with the personal API token the test made.
type account struct {
	email, password string
	token           string
	org             string
}

// seed creates organisations and users through the service, as the
// command line does, then signs each in over the API and creates a
// personal API token for it.
func seed(t *testing.T, p *testPortal) map[string]*account {
	t.Helper()
	ctx := context.Background()
	svc := p.app.svc
	console := catalog.Console()
	orgs := []catalog.NewOrganization{
		{ID: "org-hospital", Name: "苏州示范医院", NameEn: "Suzhou Demo Hospital", Kind: "provider", Verified: true},
		{ID: "org-carco", Name: "南京示范汽车科技", NameEn: "Nanjing Demo Auto", Kind: "provider", Verified: true},
		{ID: "org-lab", Name: "无锡示范智能实验室", NameEn: "Wuxi Demo AI Lab", Kind: "developer", Verified: true},
		{ID: "org-startup", Name: "常州示范初创公司", NameEn: "Changzhou Demo Startup", Kind: "developer", Verified: false},
		{ID: "org-bureau", Name: "示范数据局", NameEn: "Demo Data Bureau", Kind: "bureau", Verified: true},
	}
	for i, o := range orgs {
		o.CreditCode = creditCode(t, fmt.Sprintf("91320100MA%07d", i+1))
		if _, err := svc.CreateOrganization(ctx, console, o); err != nil {
			t.Fatalf("org %s: %v", o.ID, err)
		}
	}
	users := map[string]struct {
		role, org string
	}{
		"provider": {"provider", "org-hospital"}, "provider2": {"provider", "org-carco"},
		"developer": {"developer", "org-lab"}, "unverified": {"developer", "org-startup"},
		"bureau": {"bureau", "org-bureau"},
	}
	out := map[string]*account{}
	for name, u := range users {
		a := &account{email: name + "@example.cn", password: "correct horse " + name, org: u.org}
		if _, err := svc.CreateUser(ctx, console, catalog.NewUser{Email: a.email, Name: name, Password: a.password, Roles: []string{u.role}, OrgID: u.org}); err != nil {
			t.Fatalf("user %s: %v", name, err)
		}
		var login LoginResponse
		p.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: a.email, Password: a.password}).json(t, &login)
		var tok catalog.NewToken
		p.as(login.Token).want(t, 201, "POST", "/api/v1/tokens", TokenRequest{Name: "test"}).json(t, &tok)
		if !strings.HasPrefix(tok.Secret, "dpt_") {
			t.Fatalf("token %q lacks its prefix", tok.Secret)
		}
		a.token = tok.Secret
		out[name] = a
	}
	return out
}

// creditCode completes 17 characters with the GB 32100 check character.
func creditCode(t *testing.T, first17 string) string {
	t.Helper()
	c, ok := catalog.CreditCodeCheck(first17)
	if !ok {
		t.Fatalf("bad credit code stem %q", first17)
	}
	return first17 + string(c)
}

func newDataset(id string, tier catalog.Tier, title, titleEn string, domain, modality, lang, license string) catalog.NewDataset {
	return catalog.NewDataset{ID: id, DatasetFields: catalog.DatasetFields{
		Title: title, TitleEn: titleEn, Description: title + "，用于模型训练与评测。", DescriptionEn: titleEn + " for training and evaluation.",
		Domain: domain, Modality: modality, Tasks: []string{"classification"}, Languages: []string{lang}, Keywords: []string{"测试"},
		Tier: tier, License: license, Size: catalog.Size{Records: 1000, Bytes: 1 << 20}, Formats: []string{"jsonl"},
	}}
}

// tierSet creates and publishes one dataset of each tier for provider.
func tierSet(t *testing.T, p *testPortal, prov *account) map[catalog.Tier]string {
	t.Helper()
	c := p.as(prov.token)
	specs := []catalog.NewDataset{
		newDataset("ct-open", catalog.TierOpen, "胸部CT影像公开数据集", "Chest CT open set", "medical", "image", "zh", "CC-BY-4.0"),
		newDataset("ct-conditional", catalog.TierConditional, "医学影像标注数据集", "Annotated medical imaging", "medical", "image", "en", "CC-BY-NC-4.0"),
		newDataset("emr-important", catalog.TierImportant, "电子病历文本语料", "EMR text corpus", "medical", "text", "zh", "proprietary"),
		newDataset("genome-core", catalog.TierCore, "人类遗传资源基因组数据", "Human genome data", "scientific", "tabular", "en", "proprietary"),
	}
	ids := map[catalog.Tier]string{}
	for _, s := range specs {
		var d DatasetResponse
		r := c.want(t, 201, "POST", "/api/v1/datasets", s)
		r.json(t, &d)
		if d.Status != catalog.StatusDraft || d.Publisher != prov.org || r.header.Get("ETag") != `"1"` {
			t.Fatalf("created %+v with ETag %q", d.Dataset, r.header.Get("ETag"))
		}
		c.want(t, 200, "POST", "/api/v1/datasets/"+s.ID+"/publish", nil, "If-Match", `"1"`).json(t, &d)
		if d.Status != catalog.StatusPublished || d.Rev != 2 {
			t.Fatalf("published %s: status %s rev %d", s.ID, d.Status, d.Rev)
		}
		ids[s.Tier] = s.ID
	}
	return ids
}

type searchPage struct {
	Total int `json:"total"`
	Hits  []struct {
		catalog.Dataset
		Highlight map[string][]string `json:"highlight"`
	} `json:"hits"`
	Facets map[string][]catalog.FacetValue `json:"facets"`
}

// searchAll pages through every hit of a query (two per page) and checks
// that the total and every facet count agree with the hits seen.
func searchAll(t *testing.T, c *client, query string) []string {
	t.Helper()
	var ids []string
	var first searchPage
	seen := map[string]bool{}
	counts := map[string]map[string]int{}
	for page := 1; page < 100; page++ {
		var sp searchPage
		c.want(t, 200, "GET", fmt.Sprintf("/api/v1/search?%s&per_page=2&page=%d", query, page), nil).json(t, &sp)
		if page == 1 {
			first = sp
		}
		if sp.Total != first.Total {
			t.Fatalf("total moved from %d to %d between pages", first.Total, sp.Total)
		}
		for _, h := range sp.Hits {
			if seen[h.ID] {
				t.Fatalf("hit %s on two pages", h.ID)
			}
			seen[h.ID] = true
			ids = append(ids, h.ID)
			d := h.Dataset
			idx := catalog.IndexDocOf(&d)
			for _, f := range catalog.Facets {
				if counts[f] == nil {
					counts[f] = map[string]int{}
				}
				for _, v := range idx.FacetValues(f) {
					counts[f][v]++
				}
			}
		}
		if len(sp.Hits) < 2 {
			break
		}
	}
	if len(ids) != first.Total {
		t.Fatalf("total %d but %d hits could be paged through", first.Total, len(ids))
	}
	for _, f := range catalog.Facets {
		got := map[string]int{}
		for _, fv := range first.Facets[f] {
			got[fv.Value] = fv.Count
			if fv.Label.Zh == "" || fv.Label.En == "" {
				t.Errorf("facet %s value %s has no labels", f, fv.Value)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(counts[f]) {
			t.Errorf("facet %s counts %v, but the hits have %v", f, got, counts[f])
		}
	}
	sort.Strings(ids)
	return ids
}

func TestMain(m *testing.M) { os.Exit(mongotest.Main(m)) }

func TestTiersThroughTheAPI(t *testing.T) {
	testTiers(t, testConfig(t.TempDir()))
}

// TestTiersOnMongoDB runs the same journey on the MongoDB backend (an
// in-process FerretDB, or PORTAL_MONGODB_URI), with the Bleve index.
func TestTiersOnMongoDB(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MongoURI, cfg.MongoDB = mongotest.URI(t), mongotest.Database(t)
	testTiers(t, cfg)
}

func testTiers(t *testing.T, cfg Config) {
	p := startPortal(t, cfg)
	acc := seed(t, p)
	ids := tierSet(t, p, acc["provider"])
	// The second provider publishes an open dataset of its own.
	c2 := p.as(acc["provider2"].token)
	c2.want(t, 201, "POST", "/api/v1/datasets", newDataset("lidar-open", catalog.TierOpen, "自动驾驶激光雷达点云", "Driving lidar point clouds", "autonomous-driving", "point-cloud", "zh", "CC-BY-4.0"))
	c2.want(t, 200, "POST", "/api/v1/datasets/lidar-open/publish", nil)
	// And keeps a draft.
	c2.want(t, 201, "POST", "/api/v1/datasets", newDataset("lidar-draft", catalog.TierOpen, "车路协同数据草稿", "V2X draft", "transport", "multimodal", "zh", "CC-BY-4.0"))
	p.waitIndexed()

	open, cond, imp, core := ids[catalog.TierOpen], ids[catalog.TierConditional], ids[catalog.TierImportant], ids[catalog.TierCore]
	cases := []struct {
		who     string
		c       *client
		visible []string
	}{
		{"anonymous", p.anon(), []string{open, cond, "lidar-open"}},
		{"developer of a verified organisation", p.as(acc["developer"].token), []string{open, cond, imp, "lidar-open"}},
		{"developer of an unverified organisation", p.as(acc["unverified"].token), []string{open, cond, "lidar-open"}},
		{"bureau", p.as(acc["bureau"].token), []string{open, cond, imp, core, "lidar-open"}},
		{"owning provider", p.as(acc["provider"].token), []string{open, cond, imp, core, "lidar-open"}},
		{"other provider", c2, []string{open, cond, imp, "lidar-open"}},
	}
	all := []string{open, cond, imp, core, "lidar-open", "lidar-draft"}
	for _, tc := range cases {
		t.Run(tc.who, func(t *testing.T) {
			want := append([]string(nil), tc.visible...)
			sort.Strings(want)
			if got := searchAll(t, tc.c, "q="); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("search shows %v, want %v", got, want)
			}
			// A text query and a facet filter obey the same filter.
			searchAll(t, tc.c, "q="+url.QueryEscape("医学影像"))
			searchAll(t, tc.c, "domain=medical&tier=important,core")
			visible := map[string]bool{}
			for _, id := range tc.visible {
				visible[id] = true
			}
			for _, id := range all {
				r := tc.c.do(t, "GET", "/api/v1/datasets/"+id, nil)
				switch {
				case visible[id] && r.status != 200:
					t.Errorf("GET %s: %d, want 200", id, r.status)
				case id == "lidar-draft" && tc.c == c2 && r.status != 200:
					t.Errorf("GET own draft: %d", r.status)
				case !visible[id] && !(id == "lidar-draft" && tc.c == c2) && r.status != 404:
					t.Errorf("GET hidden %s: %d, want 404", id, r.status)
				}
				if r.status == 404 {
					pr := r.problem(t)
					missing := tc.c.do(t, "GET", "/api/v1/datasets/no-such-dataset", nil).problem(t)
					if pr.Detail != missing.Detail || pr.Type != missing.Type {
						t.Errorf("a hidden dataset answers differently from a missing one: %q vs %q", pr.Detail, missing.Detail)
					}
				}
			}
		})
	}

	t.Run("drafts are searchable by their organisation only", func(t *testing.T) {
		if got := searchAll(t, c2, "status=draft"); fmt.Sprint(got) != "[lidar-draft]" {
			t.Fatalf("own drafts: %v", got)
		}
		if got := searchAll(t, p.as(acc["bureau"].token), "status=draft"); len(got) != 0 {
			t.Fatalf("bureau sees drafts not awaiting it: %v", got)
		}
		if got := searchAll(t, p.anon(), "status=draft"); len(got) != 0 {
			t.Fatalf("anonymous sees drafts: %v", got)
		}
	})

	t.Run("explain", func(t *testing.T) {
		var d catalog.Decision
		p.as(acc["developer"].token).want(t, 200, "GET", "/api/v1/datasets/"+cond+"/explain?action=download", nil).json(t, &d)
		if d.Allowed || len(d.Missing) == 0 || d.Reason.Zh == "" || len(d.Next) == 0 {
			t.Fatalf("explain: %+v", d)
		}
		p.anon().want(t, 404, "GET", "/api/v1/datasets/"+core+"/explain?action=download", nil)
		p.anon().want(t, 422, "GET", "/api/v1/datasets/"+open+"/explain?action=fly", nil)
	})

	t.Run("forbidden carries the explanation", func(t *testing.T) {
		r := p.as(acc["developer"].token).want(t, 403, "PATCH", "/api/v1/datasets/"+open, map[string]any{"title": "改名"})
		if pr := r.problem(t); pr.Decision == nil || pr.Decision.Allowed || pr.Decision.Reason.En == "" {
			t.Fatalf("403 without a decision: %s", r.body)
		}
		// Someone who may not see the dataset learns nothing, not even 403.
		p.as(acc["provider2"].token).want(t, 404, "PATCH", "/api/v1/datasets/"+core, map[string]any{"title": "改名"})
	})
}

func TestDatasetEditing(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	prov := p.as(acc["provider"].token)
	prov.want(t, 201, "POST", "/api/v1/datasets", newDataset("emr-2026", catalog.TierImportant, "电子病历语料", "EMR corpus", "medical", "text", "zh", "proprietary"))

	var d DatasetResponse
	prov.want(t, 200, "PATCH", "/api/v1/datasets/emr-2026", map[string]any{"keywords": []string{"病历", "EMR"}, "title_en": nil}, "If-Match", `"1"`).json(t, &d)
	if d.Rev != 2 || d.TitleEn != "" || len(d.Keywords) != 2 || d.Title != "电子病历语料" {
		t.Fatalf("merge patch result: %+v", d.Dataset)
	}
	// A stale If-Match is refused and changes nothing.
	prov.want(t, 412, "PATCH", "/api/v1/datasets/emr-2026", map[string]any{"title": "x"}, "If-Match", `"1"`).problem(t)
	// Read-only and unknown fields are named.
	r := prov.want(t, 422, "PATCH", "/api/v1/datasets/emr-2026", map[string]any{"status": "published"})
	if pr := r.problem(t); len(pr.Errors) != 1 || pr.Errors[0].Field != "status" {
		t.Fatalf("read-only field: %s", r.body)
	}
	// Validation lists every bad field.
	r = prov.want(t, 422, "PATCH", "/api/v1/datasets/emr-2026", map[string]any{"domain": "astrology", "languages": []string{"not a tag!"}, "license": "WTFPL-9"})
	fields := map[string]bool{}
	for _, f := range r.problem(t).Errors {
		fields[f.Field] = true
	}
	for _, f := range []string{"domain", "languages", "license"} {
		if !fields[f] {
			t.Errorf("no error for %s in %s", f, r.body)
		}
	}
	// Personal information may not be open without de-identification.
	r = prov.want(t, 422, "PATCH", "/api/v1/datasets/emr-2026", map[string]any{"personal_info": true, "tier": "open"})
	if pr := r.problem(t); len(pr.Errors) == 0 || pr.Errors[0].Code != "personal_info" {
		t.Fatalf("personal information rule: %s", r.body)
	}
	prov.want(t, 200, "PATCH", "/api/v1/datasets/emr-2026", map[string]any{"personal_info": true, "tier": "conditional",
		"deidentification": map[string]any{"method": "k-anonymity k=5", "attested_by": "医院数据合规办", "attested_at": "2026-10-01"}})

	// The bureau confirms a raise to important; the provider may not lower it again.
	bureau := p.as(acc["bureau"].token)
	prov.want(t, 200, "POST", "/api/v1/datasets/emr-2026/publish", nil)
	bureau.want(t, 200, "POST", "/api/v1/datasets/emr-2026/tier-confirmation", TierRequest{Tier: catalog.TierImportant, Reason: "含大量病历"}).json(t, &d)
	if d.Tier != catalog.TierImportant || !d.TierConfirmed || d.TierConfirmation.Previous != catalog.TierConditional {
		t.Fatalf("confirmation: %+v", d.Dataset)
	}
	r = prov.want(t, 403, "PATCH", "/api/v1/datasets/emr-2026", map[string]any{"tier": "conditional"})
	if pr := r.problem(t); pr.Decision == nil || !strings.Contains(pr.Decision.Rule, "tier_unconfirmed") {
		t.Fatalf("lowering a confirmed tier: %s", r.body)
	}
	// Raising stays possible and goes back to the bureau's queue.
	prov.want(t, 200, "PATCH", "/api/v1/datasets/emr-2026", map[string]any{"tier": "core"}).json(t, &d)
	if d.TierConfirmed {
		t.Fatal("a raised tier should await the bureau again")
	}
	var queue DatasetList
	bureau.want(t, 200, "GET", "/api/v1/datasets?scope=awaiting", nil).json(t, &queue)
	if queue.Total != 1 || queue.Items[0].ID != "emr-2026" {
		t.Fatalf("bureau queue: %+v", queue)
	}
	p.as(acc["developer"].token).want(t, 403, "GET", "/api/v1/datasets?scope=awaiting", nil)

	// Versions, withdrawal, and my organisation's list.
	prov.want(t, 201, "POST", "/api/v1/datasets/emr-2026/versions", catalog.NewVersion{Number: "1.0", Changelog: "首次发布"})
	prov.want(t, 409, "POST", "/api/v1/datasets/emr-2026/versions", catalog.NewVersion{Number: "1.0"})
	prov.want(t, 422, "POST", "/api/v1/datasets/emr-2026/withdraw", WithdrawRequest{})
	prov.want(t, 200, "POST", "/api/v1/datasets/emr-2026/withdraw", WithdrawRequest{Reason: "数据更正"}).json(t, &d)
	if d.Status != catalog.StatusWithdrawn || len(d.Versions) != 1 {
		t.Fatalf("after withdrawal: %+v", d.Dataset)
	}
	var mine DatasetList
	prov.want(t, 200, "GET", "/api/v1/datasets?scope=mine", nil).json(t, &mine)
	if mine.Total != 1 {
		t.Fatalf("my datasets: %+v", mine)
	}
	p.as(acc["provider2"].token).want(t, 200, "GET", "/api/v1/datasets", nil).json(t, &mine)
	if mine.Total != 0 {
		t.Fatalf("another provider lists %d datasets", mine.Total)
	}
	// Ids are unique across organisations, without saying who holds one.
	r = p.as(acc["provider2"].token).want(t, 409, "POST", "/api/v1/datasets", newDataset("emr-2026", catalog.TierOpen, "同名", "same", "medical", "text", "zh", "MIT"))
	if strings.Contains(string(r.body), "苏州示范医院") {
		t.Fatal("the conflict names the other organisation")
	}
}

func TestBadInputNeverFails500(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	prov := p.as(acc["provider"].token)
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"malformed JSON", "POST", "/api/v1/datasets", `{"id": "a",`, 400},
		{"not an object", "POST", "/api/v1/datasets", `[1,2,3]`, 400},
		{"wrong type", "POST", "/api/v1/datasets", `{"id":"abc","title":5}`, 422},
		{"unknown field", "POST", "/api/v1/datasets", `{"id":"abc","colour":"red"}`, 422},
		{"trailing data", "POST", "/api/v1/datasets", `{"id":"abc"} {"id":"def"}`, 400},
		{"empty body", "POST", "/api/v1/datasets", ``, 400},
		{"invalid fields", "POST", "/api/v1/datasets", `{"id":"A B","title":"","tier":"secret"}`, 422},
		{"merge patch not an object", "PATCH", "/api/v1/datasets/nope", `"x"`, 400},
		{"bad page", "GET", "/api/v1/search?page=-1", ``, 422},
		{"bad per_page", "GET", "/api/v1/search?per_page=1000", ``, 422},
		{"deep page", "GET", "/api/v1/search?page=5000&per_page=100", ``, 422},
		{"bad sort", "GET", "/api/v1/search?sort=random", ``, 422},
		{"long query", "GET", "/api/v1/search?q=" + strings.Repeat("数", 300), ``, 422},
		{"bad If-Match", "PATCH", "/api/v1/datasets/nope", `{}`, 400},
		{"unknown route", "GET", "/api/v1/nothing-here", ``, 404},
		{"bad token", "GET", "/api/v1/me", ``, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := prov
			hdr := []string{}
			if tc.name == "bad If-Match" {
				hdr = []string{"If-Match", "yesterday"}
			}
			if tc.name == "bad token" {
				c = p.as("dpt_not-a-token")
			}
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := c.do(t, tc.method, tc.path, body, hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.status, r.body)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("content type %q", r.header.Get("Content-Type"))
			}
			pr := r.problem(t)
			if pr.RequestID == "" || r.header.Get("X-Request-ID") != pr.RequestID {
				t.Fatalf("request id %q vs header %q", pr.RequestID, r.header.Get("X-Request-ID"))
			}
		})
	}
	t.Run("body too large", func(t *testing.T) {
		// Announce a body over the limit and send none: the server must
		// answer 413 from the headers alone (a client still writing a
		// large body may see the connection closed under it).
		conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/v1/datasets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", acc["provider"].token, 4<<20)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		r := response{status: resp.StatusCode, header: resp.Header, body: b}
		if r.status != 413 {
			t.Fatalf("status %d: %s", r.status, b)
		}
		r.problem(t)
	})
	t.Run("English problems", func(t *testing.T) {
		r := p.anon().want(t, 404, "GET", "/api/v1/datasets/nope", nil, "Accept-Language", "en-GB,en;q=0.9")
		if pr := r.problem(t); pr.Detail != "dataset not found" {
			t.Fatalf("detail %q", pr.Detail)
		}
	})
}

func TestSessionsTokensAndLimits(t *testing.T) {
	cfg := testConfig(t.TempDir())
	p := startPortal(t, cfg)
	acc := seed(t, p)
	dev := acc["developer"]

	t.Run("cookie session needs the CSRF token for changes", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		c := &client{p: p, hc: &http.Client{Jar: jar}}
		var login LoginResponse
		r := c.want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password})
		r.json(t, &login)
		ck := r.header.Get("Set-Cookie")
		for _, want := range []string{"portal_session=", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(ck, want) {
				t.Fatalf("cookie %q lacks %s", ck, want)
			}
		}
		if strings.Contains(ck, "Secure") {
			t.Fatal("Secure cookie over plain HTTP in auto mode")
		}
		c.want(t, 200, "GET", "/api/v1/me", nil)
		c.want(t, 403, "POST", "/api/v1/tokens", TokenRequest{Name: "no csrf"})
		c.csrf = login.CSRFToken
		c.want(t, 201, "POST", "/api/v1/tokens", TokenRequest{Name: "with csrf"})
		c.want(t, 204, "POST", "/api/v1/auth/logout", nil)
		c.csrf = ""
		c.want(t, 401, "GET", "/api/v1/me", nil)
		// The old token is dead on the API too.
		p.as(login.Token).want(t, 401, "GET", "/api/v1/me", nil)
	})

	t.Run("each login gets a new session", func(t *testing.T) {
		var a, b LoginResponse
		p.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password}).json(t, &a)
		p.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password}).json(t, &b)
		if a.Token == b.Token || a.CSRFToken == b.CSRFToken {
			t.Fatal("two logins share a token")
		}
	})

	t.Run("tokens are listed without secrets and can be revoked", func(t *testing.T) {
		c := p.as(dev.token)
		var list []catalog.APIToken
		c.want(t, 200, "GET", "/api/v1/tokens", nil).json(t, &list)
		if len(list) == 0 {
			t.Fatal("no tokens listed")
		}
		for _, tk := range list {
			if tk.Hash != "" || strings.Contains(string(mustJSON(t, tk)), dev.token) {
				t.Fatal("a token listing reveals a secret")
			}
		}
		var nt catalog.NewToken
		c.want(t, 201, "POST", "/api/v1/tokens", TokenRequest{Name: "short-lived", ExpiresInDays: 1}).json(t, &nt)
		p.as(nt.Secret).want(t, 200, "GET", "/api/v1/me", nil)
		// Someone else cannot revoke it.
		p.as(acc["provider"].token).want(t, 404, "DELETE", "/api/v1/tokens/"+nt.Token.ID, nil)
		c.want(t, 204, "DELETE", "/api/v1/tokens/"+nt.Token.ID, nil)
		p.as(nt.Secret).want(t, 401, "GET", "/api/v1/me", nil)
	})

	t.Run("failed logins are limited per account, with Retry-After", func(t *testing.T) {
		u := acc["unverified"]
		for i := 0; i < cfg.LoginPerAccount; i++ {
			p.anon().want(t, 401, "POST", "/api/v1/auth/login", LoginRequest{Email: u.email, Password: "wrong password!"})
		}
		r := p.anon().want(t, 429, "POST", "/api/v1/auth/login", LoginRequest{Email: u.email, Password: u.password})
		if r.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		// Other accounts are not affected.
		p.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password})
	})

	t.Run("unknown and wrong passwords answer alike", func(t *testing.T) {
		a := p.anon().want(t, 401, "POST", "/api/v1/auth/login", LoginRequest{Email: "nobody@example.cn", Password: "whatever123"}).problem(t)
		b := p.anon().want(t, 401, "POST", "/api/v1/auth/login", LoginRequest{Email: acc["bureau"].email, Password: "whatever123"}).problem(t)
		if a.Detail != b.Detail {
			t.Fatalf("%q vs %q", a.Detail, b.Detail)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRestartReindexAndIndexLoss(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	p := startPortal(t, cfg)
	acc := seed(t, p)
	tierSet(t, p, acc["provider"])
	p.waitIndexed()
	before := searchAll(t, p.as(acc["bureau"].token), "q=")

	t.Run("reindex while serving", func(t *testing.T) {
		// What `portal reindex` does when a server holds the index.
		svc := p.app.svc
		if err := svc.RequestReindex(context.Background()); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, err := svc.ReindexState(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st == "done" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("rebuild state %q", st)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got := searchAll(t, p.as(acc["bureau"].token), "q="); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("after reindex %v, want %v", got, before)
		}
	})

	p.stop()
	t.Run("restart keeps everything", func(t *testing.T) {
		p2 := startPortal(t, cfg)
		if got := searchAll(t, p2.as(acc["bureau"].token), "q="); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("after restart %v, want %v", got, before)
		}
		p2.as(acc["provider"].token).want(t, 200, "GET", "/api/v1/me", nil)
		p2.stop()
	})
	t.Run("a deleted index is rebuilt at start", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
			t.Fatal(err)
		}
		p3 := startPortal(t, cfg)
		if got := searchAll(t, p3.as(acc["bureau"].token), "q="); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("after losing the index %v, want %v", got, before)
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	c := p.anon()
	c.want(t, 200, "GET", "/healthz", nil)
	var ready struct {
		Status string         `json:"status"`
		Checks map[string]any `json:"checks"`
	}
	c.want(t, 200, "GET", "/readyz", nil).json(t, &ready)
	if ready.Status != "ready" || ready.Checks["store"] != "sqlite: ok" {
		t.Fatalf("readyz: %+v", ready)
	}
	c.want(t, 200, "GET", "/api/v1/vocabularies", nil)
	m := c.want(t, 200, "GET", "/metrics", nil)
	for _, want := range []string{"portal_http_requests_total", "portal_index_pending", "go_goroutines"} {
		if !bytes.Contains(m.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	page := c.want(t, 200, "GET", "/", nil, "Accept", "text/html")
	if !bytes.Contains(page.body, []byte("江苏省高质量数据集门户")) {
		t.Fatalf("home page: %.300s", page.body)
	}
	notFound := c.want(t, 404, "GET", "/datasets/nope", nil, "Accept", "text/html")
	if !bytes.Contains(notFound.body, []byte("<html")) {
		t.Fatalf("HTML 404 is not a page: %.200s", notFound.body)
	}
}
