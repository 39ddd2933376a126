package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"dataportal/catalog"
	"dataportal/catalog/mongo/mongotest"
	"dataportal/catalog/smtpmail/smtptest"
)

// xClock is a clock the test moves; the portal reads it through Config.Now.
// Each reading moves it on by a millisecond (the stored precision), so
// that events keep their order as they would on a real clock.
type xClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *xClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *xClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// xPortal is a portal with a controlled clock, seeded accounts and the
// four-tier dataset set of the provider (org-hospital).
type xPortal struct {
	*testPortal
	clock *xClock
	acc   map[string]*account
	ids   map[catalog.Tier]string
	smtp  *smtptest.Server
}

func startExchange(t *testing.T, withSMTP bool) *xPortal {
	t.Helper()
	return startExchangeWith(t, testConfig(t.TempDir()), withSMTP)
}

func startExchangeWith(t *testing.T, cfg Config, withSMTP bool) *xPortal {
	t.Helper()
	clock := &xClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	cfg.Now = clock.Now
	x := &xPortal{clock: clock}
	if withSMTP {
		srv, err := smtptest.Start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		cfg.SMTPURL = srv.URL("portal", "secret", "portal@example.cn")
		x.smtp = srv
	}
	x.testPortal = startPortal(t, cfg)
	x.acc = seed(t, x.testPortal)
	x.ids = tierSet(t, x.testPortal, x.acc["provider"])
	return x
}

func (x *xPortal) c(name string) *client { return x.as(x.acc[name].token) }

func (x *xPortal) sweep(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := x.app.svc.ExchangeSweep(ctx); err != nil {
		t.Fatalf("exchange sweep: %v", err)
	}
	if err := x.app.svc.FlushAudit(ctx); err != nil {
		t.Fatalf("audit flush: %v", err)
	}
}

func xAccessBody(days int) catalog.NewAccessRequest {
	return catalog.NewAccessRequest{Purpose: "训练肺结节分割模型，用于医学影像辅助诊断研究。", IntendedUse: "training", DurationDays: days,
		AcceptTerms: true, AcceptCommitment: true, CommitmentVersion: catalog.SecurityCommitment().Version}
}

func xDecision(approve bool, reason string) map[string]any {
	return map[string]any{"approve": approve, "reason": reason}
}

func xRequest(t *testing.T, c *client, dataset string, days int) catalog.AccessRequest {
	t.Helper()
	var r catalog.AccessRequest
	c.want(t, 201, "POST", "/api/v1/datasets/"+dataset+"/access-requests", xAccessBody(days)).json(t, &r)
	return r
}

func xDecide(t *testing.T, c *client, status int, id string, approve bool) catalog.AccessRequest {
	t.Helper()
	var r catalog.AccessRequest
	resp := c.want(t, status, "POST", "/api/v1/access-requests/"+id+"/decision", xDecision(approve, "审核意见 review note"))
	if status == 200 {
		resp.json(t, &r)
	}
	return r
}

// xData is a deterministic pseudo-random content of n bytes.
func xData(seed byte, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

func xSHA(r io.Reader) string {
	h := sha256.New()
	_, _ = io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil))
}

// xUpload streams a body to the upload endpoint.
func xUpload(t *testing.T, c *client, dataset, version, name string, body io.Reader, size int64, sample bool) catalog.Distribution {
	t.Helper()
	u := fmt.Sprintf("%s/api/v1/datasets/%s/versions/%s/files?filename=%s&sample=%v", c.p.url, dataset, version, url.QueryEscape(name), sample)
	req, err := http.NewRequest("POST", u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		t.Fatalf("upload %s: %d %s", name, resp.StatusCode, b)
	}
	var d catalog.Distribution
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// xDownload fetches a file and returns the status, the SHA-256 of the body
// and the response headers (the body is hashed while it streams).
func xDownload(t *testing.T, c *client, dataset, file string, hdr ...string) (int, string, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", c.p.url+"/api/v1/datasets/"+dataset+"/files/"+file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, "", resp.Header, b
	}
	return resp.StatusCode, xSHA(resp.Body), resp.Header, nil
}

// xRefused checks a refused download: 403 with the explanation, whose
// first next step contains next.
func xRefused(t *testing.T, c *client, dataset, file, next string) Problem {
	t.Helper()
	status, _, _, body := xDownload(t, c, dataset, file)
	if status != 403 {
		t.Fatalf("download of %s: status %d, want 403: %s", dataset, status, body)
	}
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Decision == nil {
		t.Fatalf("403 without a decision: %s", body)
	}
	if len(p.Decision.Next) == 0 || !strings.Contains(p.Decision.Next[0].En, next) || p.Decision.Next[0].Zh == "" {
		t.Fatalf("next steps %+v, want %q first", p.Decision.Next, next)
	}
	return p
}

func xKeys(rs []catalog.Requirement) string {
	var k []string
	for _, r := range rs {
		k = append(k, r.Key)
	}
	return strings.Join(k, ",")
}

// xAuditActions pages through the whole trail as the bureau.
func xAuditTrail(t *testing.T, x *xPortal) []catalog.AuditEvent {
	t.Helper()
	var all []catalog.AuditEvent
	after := int64(0)
	for {
		var page catalog.AuditPage
		x.c("bureau").want(t, 200, "GET", fmt.Sprintf("/api/v1/audit?per_page=500&after=%d", after), nil).json(t, &page)
		all = append(all, page.Events...)
		if page.Next == 0 {
			return all
		}
		after = page.Next
	}
}

// TestExchangeEndToEnd is the exchange's "done when": upload, preview,
// request, refusal with an explanation, approval, downloads with and
// without Range, the two-stage important path, expiry and revocation, and
// every step in an intact audit trail.
func TestExchangeEndToEnd(t *testing.T) {
	x := startExchange(t, false)
	prov, dev, bureau := x.c("provider"), x.c("developer"), x.c("bureau")
	cond, imp := x.ids[catalog.TierConditional], x.ids[catalog.TierImportant]

	// The provider uploads a 50 MB file and a CSV sample.
	prov.want(t, 201, "POST", "/api/v1/datasets/"+cond+"/versions", catalog.NewVersion{Number: "1.0", Changelog: "首个版本"})
	const bigSize = 50 << 20
	big := xUpload(t, prov, cond, "1.0", "胸部CT影像.bin", xData(1, bigSize), bigSize, false)
	wantSHA := xSHA(xData(1, bigSize))
	if big.SHA256 != wantSHA || big.Bytes != bigSize {
		t.Fatalf("stored %d bytes with sha256 %s, want %d and %s", big.Bytes, big.SHA256, bigSize, wantSHA)
	}
	sampleCSV := "患者编号,年龄,诊断\n001,45,肺结节\n002,61,正常\n"
	xUpload(t, prov, cond, "1.0", "样例.csv", strings.NewReader(sampleCSV), int64(len(sampleCSV)), true)

	// A developer previews the sample without any grant.
	var preview SampleResponse
	dev.want(t, 200, "GET", "/api/v1/datasets/"+cond+"/sample", nil).json(t, &preview)
	if preview.Kind != "table" || len(preview.Rows) != 2 || preview.Rows[0][2] != "肺结节" {
		t.Fatalf("sample preview %+v", preview.SamplePreview)
	}

	// Before applying they see what they meet; a download is refused with
	// the explanation and the next step "request access".
	var elig catalog.RequestEligibility
	dev.want(t, 200, "GET", "/api/v1/datasets/"+cond+"/access-requests/eligibility", nil).json(t, &elig)
	if !elig.CanSubmit || xKeys(elig.Decision.Met) != "published,not_own_org" || elig.MaxDurationDays != 365 ||
		elig.Commitment.Version == "" || elig.Commitment.Text.Zh == "" || elig.License != "CC-BY-NC-4.0" {
		t.Fatalf("eligibility %+v", elig)
	}
	p := xRefused(t, dev, cond, big.ID, "request access")
	if !strings.Contains(xKeys(p.Decision.Missing), "has_grant") || !strings.Contains(p.Decision.Rule, "has_grant") {
		t.Fatalf("refusal explains %+v", p.Decision)
	}

	// The developer asks; until the provider decides, they are told to wait.
	ar := xRequest(t, dev, cond, 365)
	if ar.State != catalog.RequestAwaitingProvider || ar.Terms.CommitmentVersion != catalog.SecurityCommitment().Version || ar.Terms.License != "CC-BY-NC-4.0" {
		t.Fatalf("request %+v", ar)
	}
	xRefused(t, dev, cond, big.ID, "provider organisation's decision")
	var explained catalog.Decision
	dev.want(t, 200, "GET", "/api/v1/datasets/"+cond+"/explain?action=download", nil).json(t, &explained)
	if explained.Allowed || len(explained.Next) == 0 || !strings.Contains(explained.Next[0].En, "provider organisation's decision") {
		t.Fatalf("explain: %+v", explained)
	}

	// The provider approves: the grant exists and the download works, whole
	// and by range, with the stored checksum.
	approved := xDecide(t, prov, 200, ar.ID, true)
	if approved.State != catalog.RequestApproved || approved.GrantID == "" || len(approved.Decisions) != 1 || approved.Decisions[0].Stage != "provider" {
		t.Fatalf("approved %+v", approved)
	}
	var g catalog.Grant
	g = xJSON[catalog.Grant](t, dev.want(t, 200, "GET", "/api/v1/grants/"+approved.GrantID, nil))
	if g.State != catalog.GrantActive || !g.ExpiresAt.Equal(approved.Decisions[0].At.Add(365*24*time.Hour)) || g.User == "" {
		t.Fatalf("grant %+v", g)
	}
	status, sum, hdr, body := xDownload(t, dev, cond, big.ID)
	if status != 200 || sum != wantSHA || hdr.Get("Content-Length") != fmt.Sprint(bigSize) {
		t.Fatalf("download: %d sha %s length %s %s", status, sum, hdr.Get("Content-Length"), body)
	}
	status, sum, hdr, _ = xDownload(t, dev, cond, big.ID, "Range", "bytes=1000000-1999999")
	part := io.NewSectionReader(xDataAt{1, bigSize}, 1000000, 1000000)
	if status != 206 || sum != xSHA(part) || hdr.Get("Content-Range") != fmt.Sprintf("bytes 1000000-1999999/%d", bigSize) {
		t.Fatalf("range download: %d %s %q", status, sum, hdr.Get("Content-Range"))
	}

	// Important data: the provider, then the bureau.
	prov.want(t, 201, "POST", "/api/v1/datasets/"+imp+"/versions", catalog.NewVersion{Number: "2026.1"})
	record := `{"id":1,"text":"主诉：咳嗽三天"}` + "\n"
	small := xUpload(t, prov, imp, "2026.1", "病历.jsonl", strings.NewReader(record), int64(len(record)), false)
	dev.want(t, 422, "POST", "/api/v1/datasets/"+imp+"/access-requests", xAccessBody(181))
	impReq := xRequest(t, dev, imp, 180)
	bp := bureau.want(t, 403, "POST", "/api/v1/access-requests/"+impReq.ID+"/decision", xDecision(true, "先审")).problem(t)
	if bp.Decision == nil || !strings.Contains(xKeys(bp.Decision.Missing), "bureau_stage") || !strings.Contains(bp.Decision.Next[0].En, "provider organisation to decide first") {
		t.Fatalf("the bureau deciding first: %+v", bp)
	}
	if r := xDecide(t, prov, 200, impReq.ID, true); r.State != catalog.RequestAwaitingBureau {
		t.Fatalf("after the provider: %s", r.State)
	}
	prov.want(t, 409, "POST", "/api/v1/access-requests/"+impReq.ID+"/decision", xDecision(false, "改变主意"))
	xRefused(t, dev, imp, small.ID, "bureau's decision")
	var queue RequestList
	bureau.want(t, 200, "GET", "/api/v1/access-requests?role=bureau&state=awaiting-bureau", nil).json(t, &queue)
	if queue.Total != 1 || queue.Items[0].ID != impReq.ID {
		t.Fatalf("bureau queue %+v", queue)
	}
	impDone := xDecide(t, bureau, 200, impReq.ID, true)
	if impDone.State != catalog.RequestApproved || len(impDone.Decisions) != 2 || impDone.Decisions[1].Stage != "bureau" {
		t.Fatalf("after the bureau: %+v", impDone)
	}
	if status, sum, _, body := xDownload(t, dev, imp, small.ID); status != 200 || sum != small.SHA256 {
		t.Fatalf("important download: %d %s", status, body)
	}

	// Expiry stops downloads at once, without waiting for any sweep.
	x.clock.Advance(181 * 24 * time.Hour)
	xRefused(t, dev, imp, small.ID, "expired")
	if status, _, _, _ := xDownload(t, dev, cond, big.ID, "Range", "bytes=0-99"); status != 206 {
		t.Fatalf("the 365-day grant stopped after 181 days: %d", status)
	}
	x.sweep(t)
	var ended catalog.Grant
	dev.want(t, 200, "GET", "/api/v1/grants/"+impDone.GrantID, nil).json(t, &ended)
	if ended.State != catalog.GrantExpired || ended.ReportState != catalog.ReportDue || ended.UseReport == nil || ended.EndedAt == nil {
		t.Fatalf("expired grant %+v", ended)
	}
	prov.want(t, 403, "POST", "/api/v1/grants/"+impDone.GrantID+"/use-report", catalog.NewUseReport{Results: "x"})
	dev.want(t, 200, "POST", "/api/v1/grants/"+impDone.GrantID+"/use-report", catalog.NewUseReport{
		Models: []catalog.ModelRef{{Name: "病历问答模型", Version: "v1"}}, PurposeMet: true, Results: "问答准确率提升 8%"}).json(t, &ended)
	dev.want(t, 409, "POST", "/api/v1/grants/"+impDone.GrantID+"/use-report", catalog.NewUseReport{Results: "again"})
	for _, reader := range []*client{prov, bureau} {
		var seen catalog.Grant
		reader.want(t, 200, "GET", "/api/v1/grants/"+impDone.GrantID, nil).json(t, &seen)
		if seen.ReportState != catalog.ReportFiled || seen.UseReport.Results != "问答准确率提升 8%" {
			t.Fatalf("report as read: %+v", seen.UseReport)
		}
	}

	// Revocation stops downloads at once.
	prov.want(t, 422, "POST", "/api/v1/grants/"+approved.GrantID+"/revoke", ReasonRequest{})
	x.c("provider2").want(t, 404, "POST", "/api/v1/grants/"+approved.GrantID+"/revoke", ReasonRequest{Reason: "not mine"})
	prov.want(t, 200, "POST", "/api/v1/grants/"+approved.GrantID+"/revoke", ReasonRequest{Reason: "发现违规转授"})
	xRefused(t, dev, cond, big.ID, "revoked")
	prov.want(t, 409, "POST", "/api/v1/grants/"+approved.GrantID+"/revoke", ReasonRequest{Reason: "again"})

	// Every step is in the trail, which verifies.
	x.sweep(t)
	trail := xAuditTrail(t, x)
	count := map[string]int{}
	for _, e := range trail {
		count[e.Action]++
	}
	for action, atLeast := range map[string]int{
		"login.success": 5, "dataset.publish": 4, "access-request.create": 2, "access-request.decide": 3, "grant.create": 2,
		"download": 4, "denied.download": 5, "denied.decide": 1, "denied.use-report": 1, "grant.expire": 1, "use-report.file": 1, "grant.revoke": 1,
	} {
		if count[action] < atLeast {
			t.Errorf("%d %s events in the trail, want at least %d (all: %v)", count[action], action, atLeast, count)
		}
	}
	ctx := context.Background()
	n, problem, err := x.app.svc.VerifyAudit(ctx)
	if err != nil || problem != nil || n != int64(len(trail)) {
		t.Fatalf("verify: %d events, %+v, %v", n, problem, err)
	}

	// Editing one stored event (the revocation's reason) makes verify fail
	// and name it.
	var victim catalog.AuditEvent
	for _, e := range trail {
		if e.Action == "grant.revoke" {
			victim = e
		}
	}
	schema, _ := catalog.SchemaNamed("audit")
	coll, err := x.app.store.Collection(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := coll.Get(ctx, auditID(victim.Seq))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(doc.Body, &raw)
	raw["detail"].(map[string]any)["reason"] = "按计划到期"
	b, _ := json.Marshal(raw)
	if _, err := coll.Replace(ctx, doc.ID, doc.Rev, b); err != nil {
		t.Fatal(err)
	}
	_, problem, err = x.app.svc.VerifyAudit(ctx)
	if err != nil || problem == nil || problem.Seq != victim.Seq || problem.Key != auditID(victim.Seq) || !strings.Contains(problem.Reason, "changed") {
		t.Fatalf("after editing event %d: %+v, %v", victim.Seq, problem, err)
	}
}

// xDataAt reads xData(seed, size) at an offset by re-creating the stream
// and skipping to it (nothing is held in memory).
type xDataAt struct {
	seed byte
	size int64
}

func (s xDataAt) ReadAt(p []byte, off int64) (int, error) {
	r := xData(s.seed, s.size)
	if _, err := io.CopyN(io.Discard, r, off); err != nil {
		return 0, err
	}
	return io.ReadFull(r, p)
}

// TestAccessRequestRules covers the request's input, the one open request
// per user and dataset (also under concurrent submission), withdrawal and
// the reviewers' lists.
func TestAccessRequestRules(t *testing.T) {
	testAccessRequestRules(t, testConfig(t.TempDir()))
}

// TestAccessRequestRulesOnMongoDB runs the same on the MongoDB backend,
// whose unique index keeps concurrent submissions to one open request.
func TestAccessRequestRulesOnMongoDB(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MongoURI, cfg.MongoDB = mongotest.URI(t), mongotest.Database(t)
	testAccessRequestRules(t, cfg)
}

func testAccessRequestRules(t *testing.T, cfg Config) {
	x := startExchangeWith(t, cfg, false)
	dev, prov, prov2 := x.c("developer"), x.c("provider"), x.c("provider2")
	cond, imp, open, core := x.ids[catalog.TierConditional], x.ids[catalog.TierImportant], x.ids[catalog.TierOpen], x.ids[catalog.TierCore]
	path := "/api/v1/datasets/" + cond + "/access-requests"

	bad := map[string]func(b *catalog.NewAccessRequest){
		"duration over the tier's cap": func(b *catalog.NewAccessRequest) { b.DurationDays = 366 },
		"no duration":                  func(b *catalog.NewAccessRequest) { b.DurationDays = 0 },
		"unknown use":                  func(b *catalog.NewAccessRequest) { b.IntendedUse = "resale" },
		"short purpose":                func(b *catalog.NewAccessRequest) { b.Purpose = "训练" },
		"terms not accepted":           func(b *catalog.NewAccessRequest) { b.AcceptTerms = false },
		"commitment not accepted":      func(b *catalog.NewAccessRequest) { b.AcceptCommitment = false },
		"outdated commitment":          func(b *catalog.NewAccessRequest) { b.CommitmentVersion = "2020-1" },
	}
	for name, mutate := range bad {
		b := xAccessBody(30)
		mutate(&b)
		if p := dev.want(t, 422, "POST", path, b).problem(t); len(p.Errors) == 0 {
			t.Errorf("%s: no field errors", name)
		}
	}
	dev.want(t, 422, "POST", path, `{"purpose": 1}`)
	x.anon().want(t, 401, "POST", path, xAccessBody(30))
	prov.want(t, 403, "POST", path, xAccessBody(30))                                       // own organisation
	dev.want(t, 403, "POST", "/api/v1/datasets/"+open+"/access-requests", xAccessBody(30)) // open data needs none
	dev.want(t, 404, "POST", "/api/v1/datasets/"+core+"/access-requests", xAccessBody(30)) // hidden
	x.c("unverified").want(t, 404, "POST", "/api/v1/datasets/"+imp+"/access-requests", xAccessBody(30))
	dev.want(t, 404, "POST", "/api/v1/datasets/no-such-set/access-requests", xAccessBody(30))

	// One open request per user and dataset, even when submitted at once.
	statuses := xConcurrently(t, 6, func(int) (string, string, any) { return "POST", path, xAccessBody(30) }, dev.token, x.url)
	sort.Ints(statuses)
	if fmt.Sprint(statuses) != "[201 409 409 409 409 409]" {
		t.Fatalf("concurrent submissions answered %v", statuses)
	}
	var mine RequestList
	dev.want(t, 200, "GET", "/api/v1/access-requests?state=open", nil).json(t, &mine)
	if mine.Total != 1 {
		t.Fatalf("%d open requests", mine.Total)
	}
	first := mine.Items[0]
	conflict := dev.want(t, 409, "POST", path, xAccessBody(30)).problem(t)
	if !strings.Contains(conflict.Detail, first.ID) {
		t.Fatalf("the conflict does not name the open request: %s", conflict.Detail)
	}

	// Only the requester withdraws; then a new request may be made.
	prov.want(t, 403, "POST", "/api/v1/access-requests/"+first.ID+"/withdraw", ReasonRequest{})
	prov2.want(t, 404, "POST", "/api/v1/access-requests/"+first.ID+"/withdraw", ReasonRequest{})
	var w catalog.AccessRequest
	dev.want(t, 200, "POST", "/api/v1/access-requests/"+first.ID+"/withdraw", ReasonRequest{Reason: "用途变更"}).json(t, &w)
	if w.State != catalog.RequestWithdrawn || w.ClosedAt == nil {
		t.Fatalf("withdrawn %+v", w)
	}
	dev.want(t, 409, "POST", "/api/v1/access-requests/"+first.ID+"/withdraw", ReasonRequest{})
	xDecide(t, prov, 409, first.ID, true)
	second := xRequest(t, dev, cond, 60)

	// Reviewers' lists: the provider's organisation sees its requests,
	// another provider sees none of them; states filter.
	var list RequestList
	list = xJSON[RequestList](t, prov.want(t, 200, "GET", "/api/v1/access-requests?role=reviewer&state=awaiting-provider", nil))
	if list.Total != 1 || list.Items[0].ID != second.ID {
		t.Fatalf("reviewer list %+v", list)
	}
	list = xJSON[RequestList](t, prov.want(t, 200, "GET", "/api/v1/access-requests?role=reviewer", nil))
	if list.Total != 2 {
		t.Fatalf("reviewer list of all states has %d", list.Total)
	}
	list = xJSON[RequestList](t, prov.want(t, 200, "GET", "/api/v1/access-requests?role=reviewer&per_page=1&page=2", nil))
	if list.Total != 2 || len(list.Items) != 1 || list.Items[0].ID != first.ID {
		t.Fatalf("second page %+v", list)
	}
	list = xJSON[RequestList](t, prov2.want(t, 200, "GET", "/api/v1/access-requests?role=reviewer", nil))
	if list.Total != 0 {
		t.Fatalf("another provider sees %d requests", list.Total)
	}
	dev.want(t, 403, "GET", "/api/v1/access-requests?role=reviewer", nil)
	dev.want(t, 403, "GET", "/api/v1/access-requests?role=bureau", nil)
	dev.want(t, 422, "GET", "/api/v1/access-requests?state=pending", nil)
	dev.want(t, 422, "GET", "/api/v1/access-requests?role=owner", nil)

	// A decision needs a verdict, and a rejection a reason.
	prov.want(t, 422, "POST", "/api/v1/access-requests/"+second.ID+"/decision", map[string]any{"reason": "?"})
	prov.want(t, 422, "POST", "/api/v1/access-requests/"+second.ID+"/decision", map[string]any{"approve": false})
	prov.want(t, 412, "POST", "/api/v1/access-requests/"+second.ID+"/decision", xDecision(true, ""), "If-Match", `"7"`)
	dev.want(t, 403, "POST", "/api/v1/access-requests/"+second.ID+"/decision", xDecision(true, "自己批准"))
	var rejected catalog.AccessRequest
	prov.want(t, 200, "POST", "/api/v1/access-requests/"+second.ID+"/decision", xDecision(false, "用途说明不充分"), "If-Match", `"1"`).json(t, &rejected)
	if rejected.State != catalog.RequestRejected || rejected.GrantID != "" || rejected.Decisions[0].Reason != "用途说明不充分" {
		t.Fatalf("rejected %+v", rejected)
	}
	var grants GrantList
	dev.want(t, 200, "GET", "/api/v1/grants", nil).json(t, &grants)
	if grants.Total != 0 {
		t.Fatalf("a rejection created %d grants", grants.Total)
	}
}

// xConcurrently sends n requests at once as the holder of token and
// returns their statuses.
func xConcurrently(t *testing.T, n int, req func(i int) (string, string, any), token, base string) []int {
	t.Helper()
	out := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		method, path, body := req(i)
		b, _ := json.Marshal(body)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := http.NewRequest(method, base+path, strings.NewReader(string(b)))
			if err != nil {
				errs[i] = err
				return
			}
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+token)
			<-start
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				errs[i] = err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			out[i] = resp.StatusCode
		}(i)
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestConcurrentDecisions: of two decisions sent at once on one request,
// exactly one wins and the other gets 409, whichever way they go.
func TestConcurrentDecisions(t *testing.T) {
	testConcurrentDecisions(t, testConfig(t.TempDir()))
}

func TestConcurrentDecisionsOnMongoDB(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MongoURI, cfg.MongoDB = mongotest.URI(t), mongotest.Database(t)
	testConcurrentDecisions(t, cfg)
}

func testConcurrentDecisions(t *testing.T, cfg Config) {
	x := startExchangeWith(t, cfg, false)
	// A second reviewer in the provider's organisation.
	ctx := context.Background()
	if _, err := x.app.svc.CreateUser(ctx, catalog.Console(), catalog.NewUser{Email: "reviewer2@example.cn", Name: "reviewer2",
		Password: "correct horse reviewer2", Roles: []string{"provider"}, OrgID: "org-hospital"}); err != nil {
		t.Fatal(err)
	}
	var login LoginResponse
	x.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: "reviewer2@example.cn", Password: "correct horse reviewer2"}).json(t, &login)
	reviewers := []string{x.acc["provider"].token, login.Token}
	cond := x.ids[catalog.TierConditional]
	for round := 0; round < 6; round++ {
		ar := xRequest(t, x.c("developer"), cond, 30)
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"approve": %v, "reason": "reviewer %d"}`, i == 0, i)
				r, _ := http.NewRequest("POST", x.url+"/api/v1/access-requests/"+ar.ID+"/decision", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+reviewers[i])
				<-start
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		sort.Ints(statuses)
		if fmt.Sprint(statuses) != "[200 409]" {
			t.Fatalf("round %d: concurrent decisions answered %v", round, statuses)
		}
		var got catalog.AccessRequest
		got = xJSON[catalog.AccessRequest](t, x.c("developer").want(t, 200, "GET", "/api/v1/access-requests/"+ar.ID, nil))
		if len(got.Decisions) != 1 || got.Rev != 2 {
			t.Fatalf("round %d: %d decisions recorded, rev %d", round, len(got.Decisions), got.Rev)
		}
		if got.State == catalog.RequestApproved {
			// Revoke, so that the next round starts from no grant.
			x.c("provider").want(t, 200, "POST", "/api/v1/grants/"+got.GrantID+"/revoke", ReasonRequest{Reason: "next round"})
		}
	}
}

// xExplain returns the download decision of dataset for c.
func xExplain(t *testing.T, c *client, dataset string) catalog.Decision {
	t.Helper()
	var d catalog.Decision
	c.want(t, 200, "GET", "/api/v1/datasets/"+dataset+"/explain?action=download", nil).json(t, &d)
	return d
}

// xGrant gives the developer a grant to dataset: provider approval, and
// the bureau's for important data.
func xGrant(t *testing.T, x *xPortal, who, dataset string, days int) catalog.AccessRequest {
	t.Helper()
	ar := xRequest(t, x.c(who), dataset, days)
	r := xDecide(t, x.c("provider"), 200, ar.ID, true)
	if r.State == catalog.RequestAwaitingBureau {
		r = xDecide(t, x.c("bureau"), 200, ar.ID, true)
	}
	if r.State != catalog.RequestApproved {
		t.Fatalf("request %s ended %s", ar.ID, r.State)
	}
	return r
}

func xNotifications(t *testing.T, c *client) catalog.NotificationPage {
	t.Helper()
	var p catalog.NotificationPage
	c.want(t, 200, "GET", "/api/v1/notifications?per_page=100", nil).json(t, &p)
	return p
}

func xKinds(p catalog.NotificationPage) map[string]int {
	k := map[string]int{}
	for _, n := range p.Items {
		k[n.Kind]++
	}
	return k
}

func xConfirmTier(t *testing.T, x *xPortal, dataset string, tier catalog.Tier) {
	t.Helper()
	x.c("bureau").want(t, 200, "POST", "/api/v1/datasets/"+dataset+"/tier-confirmation", TierRequest{Tier: tier, Reason: "分级复核"})
}

// TestRegradeSuspendsGrants raises and lowers tiers and checks that grants
// and open requests follow, that the people concerned are told, and that
// the step resumes after a crash without doing anything twice.
func TestRegradeSuspendsGrants(t *testing.T) {
	x := startExchange(t, false)
	dev := x.c("developer")
	cond, imp := x.ids[catalog.TierConditional], x.ids[catalog.TierImportant]
	condReq := xGrant(t, x, "developer", cond, 90)
	impReq := xGrant(t, x, "developer", imp, 90)
	pending := xRequest(t, x.c("unverified"), cond, 30)
	if d := xExplain(t, dev, cond); !d.Allowed || !strings.Contains(d.Rule, "has_grant") {
		t.Fatalf("conditional download with a grant: %+v", d)
	}

	// conditional → important: the grant without the bureau's approval is
	// suspended, at once and visibly; the important grant stands.
	xConfirmTier(t, x, cond, catalog.TierImportant)
	if d := xExplain(t, dev, cond); d.Allowed || len(d.Next) == 0 || !strings.Contains(d.Next[0].En, "re-graded") {
		t.Fatalf("after raising to important: %+v", d)
	}
	var g catalog.Grant
	g = xJSON[catalog.Grant](t, dev.want(t, 200, "GET", "/api/v1/grants/"+condReq.GrantID, nil))
	if g.State != catalog.GrantSuspended || g.Suspension == nil || !strings.Contains(g.Suspension.Reason.En, "Important") {
		t.Fatalf("grant after raising: %+v", g)
	}
	if d := xExplain(t, dev, imp); !d.Allowed {
		t.Fatalf("the bureau-approved grant was affected: %+v", d)
	}
	if k := xKinds(xNotifications(t, dev)); k["grant.suspended"] != 1 || k["dataset.regraded"] != 1 {
		t.Fatalf("developer's notifications: %v", k)
	}
	// The unverified developer's open request went on to need the bureau
	// too, and the dataset is hidden from them now: so is the request.
	x.c("unverified").want(t, 404, "GET", "/api/v1/access-requests/"+pending.ID, nil)
	var got catalog.AccessRequest
	got = xJSON[catalog.AccessRequest](t, x.c("provider").want(t, 200, "GET", "/api/v1/access-requests/"+pending.ID, nil))
	if !got.BureauStage || got.State != catalog.RequestAwaitingProvider {
		t.Fatalf("open request after raising: %+v", got)
	}

	// important → core: every grant is suspended, open requests cancelled.
	xConfirmTier(t, x, cond, catalog.TierCore)
	xConfirmTier(t, x, imp, catalog.TierCore)
	got = xJSON[catalog.AccessRequest](t, x.c("provider").want(t, 200, "GET", "/api/v1/access-requests/"+pending.ID, nil))
	if got.State != catalog.RequestCancelled || got.Note.En == "" {
		t.Fatalf("open request after core: %+v", got)
	}
	var impGrant catalog.Grant
	x.c("provider").want(t, 200, "GET", "/api/v1/grants/"+impReq.GrantID, nil).json(t, &impGrant)
	if impGrant.State != catalog.GrantSuspended {
		t.Fatalf("important grant after core: %s", impGrant.State)
	}
	dev.want(t, 404, "GET", "/api/v1/grants/"+impReq.GrantID, nil) // core data is hidden from the grantee
	dev.want(t, 404, "GET", "/api/v1/datasets/"+imp+"/explain?action=download", nil)

	// Back to conditional: the suspended grants satisfy it and resume.
	xConfirmTier(t, x, cond, catalog.TierConditional)
	if d := xExplain(t, dev, cond); !d.Allowed {
		t.Fatalf("after lowering to conditional: %+v", d)
	}
	var resumed catalog.Grant
	dev.want(t, 200, "GET", "/api/v1/grants/"+condReq.GrantID, nil).json(t, &resumed)
	if resumed.State != catalog.GrantActive || resumed.Suspension != nil {
		t.Fatalf("grant after lowering: %+v", resumed)
	}

	// A request awaiting the bureau when the data becomes conditional is
	// approved by the provider's approval alone.
	xConfirmTier(t, x, imp, catalog.TierImportant)
	ar := xRequest(t, dev, imp, 60)
	xDecide(t, x.c("provider"), 200, ar.ID, true)
	xConfirmTier(t, x, imp, catalog.TierConditional)
	got = xJSON[catalog.AccessRequest](t, dev.want(t, 200, "GET", "/api/v1/access-requests/"+ar.ID, nil))
	if got.State != catalog.RequestApproved || got.GrantID == "" {
		t.Fatalf("bureau-stage request after lowering: %+v", got)
	}

	// A crash right after the dataset write: the tier changed and the
	// notice is in the dataset's outbox, nothing else happened. The sweep
	// carries it out, once.
	ctx := context.Background()
	schema, _ := catalog.SchemaNamed("datasets")
	coll, err := x.app.store.Collection(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := coll.Get(ctx, cond)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(doc.Body, &raw)
	raw["tier"] = "core"
	raw["notice_dirty"] = true
	raw["notice_pending"] = []any{map[string]any{"id": "ev-crash-regraded", "kind": "dataset.regraded", "to": []string{"users-of:" + cond},
		"object": "dataset:" + cond, "title": map[string]string{"zh": "数据集分级已调整", "en": "Dataset re-graded"},
		"body": map[string]string{"zh": "崩溃测试", "en": "crash test"}, "at": x.clock.Now().Format(time.RFC3339Nano)}}
	b, _ := json.Marshal(raw)
	if _, err := coll.Replace(ctx, doc.ID, doc.Rev, b); err != nil {
		t.Fatal(err)
	}
	g = xJSON[catalog.Grant](t, x.c("provider").want(t, 200, "GET", "/api/v1/grants/"+condReq.GrantID, nil))
	if g.State != catalog.GrantActive {
		t.Fatalf("the simulated crash already suspended the grant: %s", g.State)
	}
	for i := 0; i < 2; i++ {
		x.sweep(t)
	}
	g = xJSON[catalog.Grant](t, x.c("provider").want(t, 200, "GET", "/api/v1/grants/"+condReq.GrantID, nil))
	if g.State != catalog.GrantSuspended {
		t.Fatalf("after the sweep: %s", g.State)
	}
	crashNotes := 0
	for _, n := range xNotifications(t, x.c("developer")).Items {
		if n.Body.En == "crash test" {
			crashNotes++
		}
	}
	if crashNotes != 1 {
		t.Fatalf("the resumed notice was delivered %d times", crashNotes)
	}
	suspensions := 0
	for _, e := range xAuditTrail(t, x) {
		if e.Action == "grant.suspend" && e.Object == "grant:"+condReq.GrantID {
			suspensions++
		}
	}
	if suspensions != 2 { // to important (core found it suspended already), and after the crash
		t.Fatalf("%d suspension events for the grant", suspensions)
	}
	if _, problem, err := x.app.svc.VerifyAudit(ctx); err != nil || problem != nil {
		t.Fatalf("verify: %+v %v", problem, err)
	}
}

// TestGrantCreationResumes leaves a request approved with its grant not
// yet created, as a crash between the two writes would, and checks that
// the sweep creates exactly one grant, with the expiry the approval set.
func TestGrantCreationResumes(t *testing.T) {
	x := startExchange(t, false)
	cond := x.ids[catalog.TierConditional]
	ar := xRequest(t, x.c("developer"), cond, 45)
	ctx := context.Background()
	schema, _ := catalog.SchemaNamed("access_requests")
	coll, err := x.app.store.Collection(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := coll.Get(ctx, ar.ID)
	if err != nil {
		t.Fatal(err)
	}
	approvedAt := x.clock.Now().Add(-time.Hour)
	var raw map[string]any
	_ = json.Unmarshal(doc.Body, &raw)
	grantID := "g-" + strings.TrimPrefix(ar.ID, "ar-")
	raw["state"], raw["open_key"], raw["grant_pending"], raw["grant_id"], raw["rev"] = "approved", "closed|"+ar.ID, true, grantID, 2
	raw["decisions"] = []any{map[string]any{"stage": "provider", "by": "u-someone", "by_name": "reviewer", "approve": true, "reason": "ok",
		"at": approvedAt.Format(time.RFC3339Nano)}}
	b, _ := json.Marshal(raw)
	if _, err := coll.Replace(ctx, doc.ID, doc.Rev, b); err != nil {
		t.Fatal(err)
	}
	dev := x.c("developer")
	dev.want(t, 404, "GET", "/api/v1/grants/"+grantID, nil)
	if d := xExplain(t, dev, cond); d.Allowed {
		t.Fatal("allowed before the grant exists")
	}
	for i := 0; i < 2; i++ {
		x.sweep(t)
	}
	var g catalog.Grant
	g = xJSON[catalog.Grant](t, dev.want(t, 200, "GET", "/api/v1/grants/"+grantID, nil))
	if g.Request != ar.ID || !g.ExpiresAt.Equal(approvedAt.Add(45*24*time.Hour)) || g.State != catalog.GrantActive {
		t.Fatalf("resumed grant %+v", g)
	}
	if d := xExplain(t, dev, cond); !d.Allowed {
		t.Fatalf("not allowed with the resumed grant: %+v", d)
	}
	var list GrantList
	list = xJSON[GrantList](t, dev.want(t, 200, "GET", "/api/v1/grants", nil))
	creations := 0
	for _, e := range xAuditTrail(t, x) {
		if e.Action == "grant.create" {
			creations++
		}
	}
	if list.Total != 1 || creations != 1 {
		t.Fatalf("%d grants, %d creation events", list.Total, creations)
	}
}

// TestNotificationsAndEmail follows the notifications of a request's life
// in the portal and through a fake SMTP server on loopback.
func TestNotificationsAndEmail(t *testing.T) {
	x := startExchange(t, true)
	dev, prov, bureau := x.c("developer"), x.c("provider"), x.c("bureau")
	cond, imp := x.ids[catalog.TierConditional], x.ids[catalog.TierImportant]

	ar := xRequest(t, dev, cond, 365)
	pn := xNotifications(t, prov)
	if pn.Unread != 1 || len(pn.Items) != 1 || pn.Items[0].Kind != "access-request.received" || pn.Items[0].Object != "access-request:"+ar.ID ||
		!strings.Contains(pn.Items[0].Body.Zh, "developer") || pn.Items[0].Title.En == "" {
		t.Fatalf("provider's notifications %+v", pn)
	}
	if n := xNotifications(t, x.c("provider2")); n.Total != 0 {
		t.Fatalf("another provider was notified: %+v", n)
	}
	var uc UnreadCount
	prov.want(t, 200, "GET", "/api/v1/notifications/unread-count", nil).json(t, &uc)
	if uc.Unread != 1 {
		t.Fatalf("unread count %d", uc.Unread)
	}

	// E-mail goes out with the sweep, once.
	x.sweep(t)
	x.sweep(t)
	msgs := x.smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "provider@example.cn" || msgs[0].From != "portal@example.cn" || msgs[0].Auth != "portal" ||
		!strings.Contains(msgs[0].Subject, "新的访问申请") || !strings.Contains(msgs[0].Subject, "New access request") ||
		!strings.Contains(msgs[0].Body, "developer 申请访问数据集") {
		t.Fatalf("mail %+v", msgs)
	}

	// A failing server is retried at the next sweep.
	x.smtp.SetReject(true)
	xDecide(t, prov, 200, ar.ID, true)
	x.sweep(t)
	if n := len(x.smtp.Messages()); n != 1 {
		t.Fatalf("%d messages while the server refuses", n)
	}
	x.smtp.SetReject(false)
	x.sweep(t)
	msgs = x.smtp.Messages()
	if len(msgs) != 2 || msgs[1].To[0] != "developer@example.cn" || !strings.Contains(msgs[1].Subject, "访问申请已批准") {
		t.Fatalf("after the retry: %+v", msgs)
	}

	// Important data: the bureau hears of the request at its stage.
	impReq := xRequest(t, dev, imp, 100)
	if n := xNotifications(t, bureau); n.Total != 0 {
		t.Fatalf("the bureau was told before the provider decided: %+v", n)
	}
	xDecide(t, prov, 200, impReq.ID, true)
	if k := xKinds(xNotifications(t, bureau)); k["access-request.awaiting-bureau"] != 1 {
		t.Fatalf("bureau's notifications: %v", k)
	}
	xDecide(t, bureau, 200, impReq.ID, true)

	// A week before expiry the grantee is told, once.
	x.clock.Advance(94 * 24 * time.Hour) // the 100-day grant has 6 days left
	x.sweep(t)
	x.sweep(t)
	dn := xNotifications(t, dev)
	if k := xKinds(dn); k["grant.expiring"] != 1 || k["access-request.approved"] != 2 || k["access-request.awaiting-bureau"] != 1 {
		t.Fatalf("developer's notifications: %v", k)
	}

	// Reading: one, someone else's (not found), all.
	before := dn.Unread
	var read catalog.Notification
	dev.want(t, 200, "POST", "/api/v1/notifications/"+dn.Items[0].ID+"/read", nil).json(t, &read)
	if !read.Read || read.ReadAt == nil {
		t.Fatalf("marked %+v", read)
	}
	if n := xNotifications(t, dev); n.Unread != before-1 {
		t.Fatalf("unread %d after reading one of %d", n.Unread, before)
	}
	prov.want(t, 404, "POST", "/api/v1/notifications/"+dn.Items[1].ID+"/read", nil)
	var unread catalog.NotificationPage
	dev.want(t, 200, "GET", "/api/v1/notifications?unread=true", nil).json(t, &unread)
	if unread.Total != before-1 {
		t.Fatalf("unread listing has %d", unread.Total)
	}
	var marked MarkedRead
	dev.want(t, 200, "POST", "/api/v1/notifications/read-all", nil).json(t, &marked)
	if int64(marked.Marked) != before-1 || xNotifications(t, dev).Unread != 0 {
		t.Fatalf("read-all marked %d", marked.Marked)
	}
	x.anon().want(t, 401, "GET", "/api/v1/notifications", nil)
	dev.want(t, 422, "GET", "/api/v1/notifications?unread=maybe", nil)
}

// TestExchangeNothingLeaks checks, role by role, that requests and grants
// of datasets a caller may not see do not exist for them: 404 on reads,
// absent from lists and totals.
func TestExchangeNothingLeaks(t *testing.T) {
	x := startExchange(t, false)
	cond, imp := x.ids[catalog.TierConditional], x.ids[catalog.TierImportant]
	condReq := xGrant(t, x, "developer", cond, 90)
	impReq := xRequest(t, x.c("developer"), imp, 90)
	x.c("developer").want(t, 201, "POST", "/api/v1/lineage", catalog.NewLineage{Dataset: cond, Model: "影像分割模型", ModelVersion: "v1"})

	type seen struct{ request, grant, impRequest, lineage int }
	cases := []struct {
		who  string
		want seen
	}{
		{"developer", seen{200, 200, 200, 403}},
		{"provider", seen{200, 200, 200, 200}},
		{"bureau", seen{200, 200, 200, 200}},
		{"provider2", seen{404, 404, 404, 403}},
		{"unverified", seen{404, 404, 404, 403}},
	}
	for _, c := range cases {
		t.Run(c.who, func(t *testing.T) {
			cl := x.c(c.who)
			got := seen{
				cl.do(t, "GET", "/api/v1/access-requests/"+condReq.ID, nil).status,
				cl.do(t, "GET", "/api/v1/grants/"+condReq.GrantID, nil).status,
				cl.do(t, "GET", "/api/v1/access-requests/"+impReq.ID, nil).status,
				cl.do(t, "GET", "/api/v1/lineage?dataset="+cond, nil).status,
			}
			if got != c.want {
				t.Fatalf("statuses %+v, want %+v", got, c.want)
			}
		})
	}
	// The unverified developer may not see important data at all.
	x.c("unverified").want(t, 404, "GET", "/api/v1/datasets/"+imp+"/access-requests/eligibility", nil)
	x.c("unverified").want(t, 404, "GET", "/api/v1/lineage?dataset="+imp, nil)
	for _, path := range []string{"/api/v1/access-requests", "/api/v1/grants", "/api/v1/notifications", "/api/v1/lineage", "/api/v1/access-requests/" + condReq.ID} {
		x.anon().want(t, 401, "GET", path, nil)
	}
	var rl RequestList
	var gl GrantList
	rl = xJSON[RequestList](t, x.c("provider2").want(t, 200, "GET", "/api/v1/access-requests?role=reviewer", nil))
	gl = xJSON[GrantList](t, x.c("provider2").want(t, 200, "GET", "/api/v1/grants?role=provider", nil))
	if rl.Total != 0 || gl.Total != 0 {
		t.Fatalf("another provider lists %d requests and %d grants", rl.Total, gl.Total)
	}
	x.c("provider2").want(t, 403, "GET", "/api/v1/grants?role=bureau", nil)

	// When the important dataset becomes core, the developer's request to
	// it (now cancelled) disappears for them, from reads, lists and totals.
	xConfirmTier(t, x, imp, catalog.TierCore)
	x.c("developer").want(t, 404, "GET", "/api/v1/access-requests/"+impReq.ID, nil)
	rl = xJSON[RequestList](t, x.c("developer").want(t, 200, "GET", "/api/v1/access-requests", nil))
	if rl.Total != 1 || len(rl.Items) != 1 || rl.Items[0].ID != condReq.ID {
		t.Fatalf("developer's list after core: %+v", rl)
	}
	rl = xJSON[RequestList](t, x.c("bureau").want(t, 200, "GET", "/api/v1/access-requests?role=bureau", nil))
	if rl.Total != 1 || rl.Items[0].State != catalog.RequestCancelled {
		t.Fatalf("bureau's list after core: %+v", rl)
	}
	gl = xJSON[GrantList](t, x.c("bureau").want(t, 200, "GET", "/api/v1/grants?role=bureau", nil))
	if gl.Total != 1 {
		t.Fatalf("bureau sees %d grants", gl.Total)
	}
	// Withdrawn: the dataset, its requests and grants vanish for the
	// developer; the provider still sees them.
	x.c("provider").want(t, 200, "POST", "/api/v1/datasets/"+cond+"/withdraw", WithdrawRequest{Reason: "数据质量问题"})
	x.c("developer").want(t, 404, "GET", "/api/v1/grants/"+condReq.GrantID, nil)
	gl = xJSON[GrantList](t, x.c("developer").want(t, 200, "GET", "/api/v1/grants", nil))
	if gl.Total != 0 {
		t.Fatalf("developer lists %d grants of a withdrawn dataset", gl.Total)
	}
	x.c("provider").want(t, 200, "GET", "/api/v1/grants/"+condReq.GrantID, nil)
	if k := xKinds(xNotifications(t, x.c("developer"))); k["dataset.withdrawn"] != 1 {
		t.Fatalf("the grantee was not told of the withdrawal: %v", k)
	}
}

// TestLineageDeclarations: who may declare, what is checked, who reads
// them, and that declarers hear of a re-grading.
func TestLineageDeclarations(t *testing.T) {
	x := startExchange(t, false)
	open, cond := x.ids[catalog.TierOpen], x.ids[catalog.TierConditional]
	unv := x.c("unverified")
	x.c("provider").want(t, 201, "POST", "/api/v1/datasets/"+open+"/versions", catalog.NewVersion{Number: "1.0"})

	unv.want(t, 422, "POST", "/api/v1/lineage", catalog.NewLineage{Dataset: open, Model: "m"})                                           // no model version
	unv.want(t, 422, "POST", "/api/v1/lineage", catalog.NewLineage{Dataset: open, Model: "m", ModelVersion: "1"})                        // the dataset has versions
	unv.want(t, 422, "POST", "/api/v1/lineage", catalog.NewLineage{Dataset: open, DatasetVersion: "9.9", Model: "m", ModelVersion: "1"}) // unknown version
	unv.want(t, 403, "POST", "/api/v1/lineage", catalog.NewLineage{Dataset: cond, Model: "m", ModelVersion: "1"})                        // no grant
	unv.want(t, 404, "POST", "/api/v1/lineage", catalog.NewLineage{Dataset: x.ids[catalog.TierCore], Model: "m", ModelVersion: "1"})     // hidden
	var l catalog.LineageDeclaration
	unv.want(t, 201, "POST", "/api/v1/lineage", catalog.NewLineage{Dataset: open, DatasetVersion: "1.0", Model: "通用视觉模型", ModelVersion: "v2"}).json(t, &l)
	if l.User == "" || l.DatasetVersion != "1.0" || l.Model != "通用视觉模型" {
		t.Fatalf("declared %+v", l)
	}
	var mine, theirs LineageList
	unv.want(t, 200, "GET", "/api/v1/lineage", nil).json(t, &mine)
	x.c("provider").want(t, 200, "GET", "/api/v1/lineage?dataset="+open, nil).json(t, &theirs)
	if mine.Total != 1 || theirs.Total != 1 || theirs.Items[0].ID != l.ID {
		t.Fatalf("mine %+v, the provider's %+v", mine, theirs)
	}
	unv.want(t, 403, "GET", "/api/v1/lineage?dataset="+open, nil)

	// Re-grading reaches the declarer, who holds no grant.
	xConfirmTier(t, x, open, catalog.TierConditional)
	if k := xKinds(xNotifications(t, unv)); k["dataset.regraded"] != 1 {
		t.Fatalf("declarer's notifications: %v", k)
	}
	found := false
	for _, e := range xAuditTrail(t, x) {
		found = found || (e.Action == "lineage.declare" && e.Object == "lineage:"+l.ID && e.Allowed)
	}
	if !found {
		t.Fatal("no lineage.declare event in the trail")
	}
}

// xJSON decodes a response into a fresh value (decoding into a reused one
// would keep the fields an earlier response set and this one omits).
func xJSON[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	r.json(t, &v)
	return v
}
