package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"dataportal/catalog"
)

func TestAuditTrail(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	prov := p.as(acc["provider"].token)
	prov.want(t, 201, "POST", "/api/v1/datasets", newDataset("audited-set", catalog.TierConditional, "审计测试数据集", "Audited set", "medical", "text", "zh", "MIT"))
	prov.want(t, 200, "POST", "/api/v1/datasets/audited-set/publish", nil)
	p.as(acc["bureau"].token).want(t, 200, "POST", "/api/v1/datasets/audited-set/tier-confirmation", TierRequest{Tier: catalog.TierImportant})
	p.as(acc["provider2"].token).want(t, 403, "POST", "/api/v1/datasets/audited-set/publish", nil)
	p.anon().want(t, 401, "POST", "/api/v1/auth/login", LoginRequest{Email: acc["developer"].email, Password: "not the password"})

	var page catalog.AuditPage
	p.as(acc["bureau"].token).want(t, 200, "GET", "/api/v1/audit?object=dataset:audited-set", nil).json(t, &page)
	var actions []string
	for _, e := range page.Events {
		actions = append(actions, e.Action)
		if e.Object != "dataset:audited-set" || e.Hash == "" || e.Prev == "" || e.Reason.Zh == "" {
			t.Errorf("incomplete event %+v", e)
		}
	}
	if got := strings.Join(actions, ","); got != "dataset.create,dataset.publish,dataset.confirm-tier,denied.publish" {
		t.Fatalf("events of the dataset: %s", got)
	}
	if d := page.Events[2]; d.Detail["tier"] != "conditional→important" || !d.Allowed || !strings.Contains(d.Rule, "tier.confirm") {
		t.Fatalf("tier confirmation event: %+v", d)
	}
	if d := page.Events[3]; d.Allowed || d.Actor == "" || d.Reason.En == "" {
		t.Fatalf("denial event: %+v", d)
	}
	p.as(acc["developer"].token).want(t, 403, "GET", "/api/v1/audit", nil)
	p.as(acc["bureau"].token).want(t, 422, "GET", "/api/v1/audit?from=yesterday", nil)
	var all catalog.AuditPage
	p.as(acc["bureau"].token).want(t, 200, "GET", "/api/v1/audit?per_page=500", nil).json(t, &all)
	found := map[string]bool{}
	for _, e := range all.Events {
		found[e.Action] = true
	}
	for _, a := range []string{"login.success", "login.failure", "dataset.create", "denied.view-audit"} {
		if !found[a] {
			t.Errorf("no %s event in the trail", a)
		}
	}
	// Paging by sequence number covers the same events.
	var first, second catalog.AuditPage
	p.as(acc["bureau"].token).want(t, 200, "GET", "/api/v1/audit?per_page=3", nil).json(t, &first)
	p.as(acc["bureau"].token).want(t, 200, "GET", "/api/v1/audit?per_page=3&after="+strconv.FormatInt(first.Next, 10), nil).json(t, &second)
	if len(first.Events) != 3 || second.Events[0].Seq != first.Events[2].Seq+1 {
		t.Fatalf("pages: %d events, next page starts at %d", len(first.Events), second.Events[0].Seq)
	}

	ctx := context.Background()
	svc := p.app.svc
	n, problem, err := svc.VerifyAudit(ctx)
	if err != nil || problem != nil || n != int64(len(all.Events)) {
		t.Fatalf("verify: %d events, %+v, %v (want %d, intact)", n, problem, err, len(all.Events))
	}

	// Tampering with one stored event breaks the chain at that event.
	schema, _ := catalog.SchemaNamed("audit")
	coll, err := p.app.store.Collection(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	victim := all.Events[4]
	doc, err := coll.Get(ctx, auditID(victim.Seq))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(doc.Body, &raw)
	raw["allowed"] = !victim.Allowed
	b, _ := json.Marshal(raw)
	if _, err := coll.Replace(ctx, doc.ID, doc.Rev, b); err != nil {
		t.Fatal(err)
	}
	_, problem, err = svc.VerifyAudit(ctx)
	if err != nil || problem == nil || problem.Seq != victim.Seq || !strings.Contains(problem.Reason, "changed") {
		t.Fatalf("after changing event %d: %+v, %v", victim.Seq, problem, err)
	}
	// Restoring it and removing another one is found too.
	if _, err := coll.Replace(ctx, doc.ID, doc.Rev+1, doc.Body); err != nil {
		t.Fatal(err)
	}
	if _, problem, _ = svc.VerifyAudit(ctx); problem != nil {
		t.Fatalf("restored chain reported broken: %+v", problem)
	}
	if err := coll.Delete(ctx, auditID(victim.Seq+1), 0); err != nil {
		t.Fatal(err)
	}
	if _, problem, _ = svc.VerifyAudit(ctx); problem == nil || problem.Seq != victim.Seq+1 || !strings.Contains(problem.Reason, "missing") {
		t.Fatalf("after removing event %d: %+v", victim.Seq+1, problem)
	}
}

// auditID is the stored id of event seq (zero-padded to 19 digits).
func auditID(seq int64) string { return fmt.Sprintf("%019d", seq) }

// TestAuditOutboxSurvivesACrash leaves an event in a dataset's outbox, as a
// crash between the dataset write and the chain append would, and checks
// that the flush appends it exactly once.
func TestAuditOutboxSurvivesACrash(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	p.as(acc["provider"].token).want(t, 201, "POST", "/api/v1/datasets", newDataset("crashy", catalog.TierOpen, "崩溃测试", "Crash test", "other", "text", "zh", "MIT"))
	ctx := context.Background()
	schema, _ := catalog.SchemaNamed("datasets")
	coll, err := p.app.store.Collection(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := coll.Get(ctx, "crashy")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(doc.Body, &raw)
	if raw["audit_dirty"] != false {
		t.Fatalf("outbox not emptied after a normal write: %v", raw["audit_pending"])
	}
	raw["audit_pending"] = []any{map[string]any{"event_id": "ev-left-by-a-crash", "time": "2026-11-28T10:00:00Z", "actor": "u-x",
		"action": "dataset.publish", "object": "dataset:crashy", "allowed": true, "reason": map[string]string{"zh": "测试", "en": "test"}}}
	raw["audit_dirty"] = true
	b, _ := json.Marshal(raw)
	if _, err := coll.Replace(ctx, doc.ID, doc.Rev, b); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // twice: the second flush must not append again
		if err := p.app.svc.FlushAudit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var page catalog.AuditPage
	p.as(acc["bureau"].token).want(t, 200, "GET", "/api/v1/audit?object=dataset:crashy", nil).json(t, &page)
	n := 0
	for _, e := range page.Events {
		if e.EventID == "ev-left-by-a-crash" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the outbox event is in the chain %d times", n)
	}
	if _, problem, err := p.app.svc.VerifyAudit(ctx); err != nil || problem != nil {
		t.Fatalf("chain after the flush: %+v %v", problem, err)
	}
	doc, _ = coll.Get(ctx, "crashy")
	raw = nil
	_ = json.Unmarshal(doc.Body, &raw)
	if raw["audit_dirty"] != false || raw["audit_pending"] != nil {
		t.Fatalf("outbox still holds %v", raw["audit_pending"])
	}
}
