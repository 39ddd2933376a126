package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The audit trail is an append-only hash chain in the store: each event
// carries the hash of the one before it, and its own hash is SHA-256 over
// a canonical encoding of everything else. Changing, removing or
// reordering a stored event breaks the chain at that event, which
// VerifyAudit reports.
//
// How an event and the action it records stay together without
// multi-document transactions:
//   - An action that changes a document (publishing, a tier change, a
//     request or grant changing state) writes its events into that
//     document's audit outbox in the same single-document write. They are
//     then appended to the chain (idempotent by event id) and removed from
//     the outbox. A crash in between leaves them in the outbox, and the
//     next flush (at start-up and periodically) appends them: nothing is
//     lost, nothing is appended twice.
//   - An action with no document of its own (a download, a denied
//     attempt, a sign-in) is appended before it takes effect; if the
//     append fails, the action is refused. A crash after the append leaves
//     an event for an action that may not have completed (a download that
//     was cut short), never an action without its event.

// AuditEvent is one entry of the audit trail.
type AuditEvent struct {
	Seq     int64     `json:"seq"`
	EventID string    `json:"event_id"` // stable id, so an outbox flush is idempotent
	Time    time.Time `json:"time"`
	// Actor is the user id ("" for anonymous, "console" for the command
	// line); ActorRoles and ActorOrg describe them at the time.
	Actor      string   `json:"actor"`
	ActorRoles []string `json:"actor_roles,omitempty"`
	ActorOrg   string   `json:"actor_org,omitempty"`
	IP         string   `json:"ip,omitempty"`
	// Action is what happened ("dataset.publish", "download", "login.failure", ...).
	Action string `json:"action"`
	// Object names what it happened to ("dataset:js-ct-2026", "user:u-…").
	Object string `json:"object"`
	// Allowed and Rule record the access decision behind the action, with
	// its explanation.
	Allowed bool              `json:"allowed"`
	Rule    string            `json:"rule,omitempty"`
	Reason  Text              `json:"reason"`
	Detail  map[string]string `json:"detail,omitempty"`
	Prev    string            `json:"prev"`
	Hash    string            `json:"hash"`
}

var auditSchema = Schema{Name: "audit", Fields: []Field{
	{Name: "seq", Type: Int},
	{Name: "event_id", Type: String, Unique: true},
	{Name: "time", Type: Time},
	{Name: "actor", Type: String},
	{Name: "object", Type: String},
	{Name: "action", Type: String},
}, Compound: [][]string{{"object", "seq"}, {"actor", "seq"}}}

// auditGenesis is the previous hash of the first event.
const auditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// auditKey is the document id of event seq: zero-padded so ids sort in
// chain order, and unique so two writers cannot both append seq.
func auditKey(seq int64) string { return fmt.Sprintf("%019d", seq) }

// hashEvent computes an event's hash: SHA-256 over its canonical JSON
// encoding (struct field order, UTC times, sorted detail keys) without the
// hash itself.
func hashEvent(e AuditEvent) string {
	e.Hash = ""
	e.Time = e.Time.UTC()
	b, _ := json.Marshal(e) // cannot fail: plain types; map keys are sorted by encoding/json
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// newAuditEvent describes an action by p with its decision.
func (s *Service) newAuditEvent(p Principal, action, object string, d Decision, detail map[string]string) AuditEvent {
	e := AuditEvent{EventID: newID("ev"), Time: s.now(), Action: action, Object: object,
		Allowed: d.Allowed, Rule: d.Rule, Reason: d.Reason, Detail: detail, IP: p.IP}
	if p.User != nil {
		e.Actor, e.ActorRoles = p.User.ID, append([]string(nil), p.User.Roles...)
		if p.Org != nil {
			e.ActorOrg = p.Org.ID
		}
	}
	return e
}

// appendAudit adds events to the chain in order. An event whose id is
// already in the chain is skipped, which makes outbox flushes idempotent.
func (s *Service) appendAudit(ctx context.Context, events ...AuditEvent) error {
	for _, e := range events {
		if err := s.appendOne(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) appendOne(ctx context.Context, e AuditEvent) error {
	for attempt := 0; attempt < 50; attempt++ {
		head, _, err := s.auditLog.find(ctx, Query{Sort: "seq", Desc: true, Limit: 1})
		if err != nil {
			return err
		}
		e.Seq, e.Prev = 1, auditGenesis
		if len(head) == 1 {
			e.Seq, e.Prev = head[0].V.Seq+1, head[0].V.Hash
		}
		e.Hash = hashEvent(e)
		_, err = s.auditLog.insert(ctx, auditKey(e.Seq), &e)
		if err == nil {
			return nil
		}
		var de *Error
		if errors.As(err, &de) && len(de.Fields) == 1 && de.Fields[0].Field == "event_id" {
			return nil // appended before (a flush that was interrupted)
		}
		if !IsKind(err, KindConflict) {
			return err
		}
		// Another writer took this sequence number; append after it.
		staleWait(attempt)
	}
	return &Error{Kind: KindUnavailable, Message: T("审计日志繁忙，请稍后再试", "the audit log is busy; try again")}
}

// audit appends one event for an action that has no document of its own;
// callers refuse the action when it fails.
func (s *Service) audit(ctx context.Context, p Principal, action, object string, d Decision, detail map[string]string) error {
	if err := s.appendAudit(ctx, s.newAuditEvent(p, action, object, d, detail)); err != nil {
		s.log.Error("audit append failed", "action", action, "object", object, "err", err)
		return &Error{Kind: KindUnavailable, Message: T("审计日志暂不可用，操作未执行", "the audit log is unavailable; the action was not carried out"), Err: err}
	}
	return nil
}

// AuditQuery selects audit events for the bureau's viewer.
type AuditQuery struct {
	Object string
	Actor  string
	From   time.Time
	To     time.Time
	// After is the sequence number to continue after (0: from the start).
	After int64
	Limit int
}

// AuditPage is a page of events in chain order.
type AuditPage struct {
	Events []AuditEvent `json:"events"`
	// Next is the sequence number to continue after; 0 on the last page.
	Next int64 `json:"next"`
}

// AuditLog pages through the trail by object, actor and time range
// (bureau and administrators).
func (s *Service) AuditLog(ctx context.Context, p Principal, q AuditQuery) (AuditPage, error) {
	if _, err := s.decide(ctx, p, ActViewAudit, Resource{}); err != nil {
		return AuditPage{}, err
	}
	if q.Limit <= 0 || q.Limit > 500 {
		return AuditPage{}, &Error{Kind: KindInvalid, Message: T("每页条数须在 1–500 之间", "per_page must be 1–500"),
			Fields: []FieldError{{Field: "per_page", Code: "range", Message: T("1–500", "1–500")}}}
	}
	f := []Filter{{Field: "seq", Op: Gt, Value: q.After}}
	if q.Object != "" {
		f = append(f, Where("object", q.Object))
	}
	if q.Actor != "" {
		f = append(f, Where("actor", q.Actor))
	}
	if !q.From.IsZero() {
		f = append(f, Filter{Field: "time", Op: Gte, Value: q.From})
	}
	if !q.To.IsZero() {
		f = append(f, Filter{Field: "time", Op: Lt, Value: q.To})
	}
	page, _, err := s.auditLog.find(ctx, Query{Filters: f, Sort: "seq", Limit: q.Limit + 1})
	if err != nil {
		return AuditPage{}, err
	}
	out := AuditPage{Events: []AuditEvent{}}
	for i, e := range page {
		if i == q.Limit {
			out.Next = out.Events[len(out.Events)-1].Seq
			break
		}
		out.Events = append(out.Events, e.V)
	}
	return out, nil
}

// AuditProblem is the first place the chain is broken.
type AuditProblem struct {
	Seq    int64  `json:"seq"`
	Key    string `json:"key"` // the stored document id
	Reason string `json:"reason"`
}

// VerifyAudit walks the whole chain and returns how many events it checked
// and the first problem: an event whose content no longer matches its hash
// (changed), a sequence gap (removed), or a link to the wrong predecessor
// (reordered or removed). A nil problem means the chain is intact.
func (s *Service) VerifyAudit(ctx context.Context) (int64, *AuditProblem, error) {
	prev, want := auditGenesis, int64(1)
	var n int64
	after := ""
	for {
		page, err := s.auditLog.c.Find(ctx, Query{Limit: 500, After: after})
		if err != nil {
			return n, nil, err
		}
		for _, d := range page.Docs {
			var e AuditEvent
			if err := json.Unmarshal(d.Body, &e); err != nil {
				return n, &AuditProblem{Key: d.ID, Reason: "the stored event cannot be read"}, nil
			}
			n++
			switch {
			case d.ID != auditKey(e.Seq):
				return n, &AuditProblem{Seq: e.Seq, Key: d.ID, Reason: "the event's sequence number was changed (stored under " + d.ID + ")"}, nil
			case e.Seq != want:
				return n, &AuditProblem{Seq: want, Key: auditKey(want), Reason: "event " + strconv.FormatInt(want, 10) + " is missing (removed); the next stored event is " + strconv.FormatInt(e.Seq, 10)}, nil
			case hashEvent(e) != e.Hash:
				return n, &AuditProblem{Seq: e.Seq, Key: d.ID, Reason: "the event's content does not match its hash (changed)"}, nil
			case e.Prev != prev:
				return n, &AuditProblem{Seq: e.Seq, Key: d.ID, Reason: "the event does not link to the event before it (reordered, or its predecessor was replaced)"}, nil
			}
			prev, want = e.Hash, want+1
		}
		if page.Next == "" {
			return n, nil, nil
		}
		after = page.Next
	}
}

// auditOutbox is embedded in documents whose changes are audited: events
// written with the change, then moved into the chain by flushOutbox.
type auditOutbox struct {
	AuditPending []AuditEvent `json:"audit_pending,omitempty"`
	// AuditDirty mirrors len(AuditPending) > 0 as an indexed field, so the
	// flusher finds documents with events to move.
	AuditDirty bool `json:"audit_dirty"`
}

func (o *auditOutbox) add(e AuditEvent) {
	o.AuditPending = append(o.AuditPending, e)
	o.AuditDirty = true
}

// outboxed is a stored type that carries an audit outbox.
type outboxed[T any] interface {
	*T
	outbox() *auditOutbox
}

// flushOutbox moves the pending events of one document into the chain,
// then removes them from the document (guarded by its revision).
func flushOutbox[T any, PT outboxed[T]](ctx context.Context, s *Service, r record[T], id string) error {
	v, _, err := r.get(ctx, id)
	if err != nil {
		if IsKind(err, KindNotFound) {
			return nil
		}
		return err
	}
	pending := PT(&v).outbox().AuditPending
	if len(pending) == 0 {
		return nil
	}
	if err := s.appendAudit(ctx, pending...); err != nil {
		return err
	}
	done := map[string]bool{}
	for _, e := range pending {
		done[e.EventID] = true
	}
	_, _, err = r.update(ctx, id, func(x *T) error {
		ob := PT(x).outbox()
		kept := ob.AuditPending[:0]
		for _, e := range ob.AuditPending {
			if !done[e.EventID] {
				kept = append(kept, e)
			}
		}
		if len(kept) == len(ob.AuditPending) {
			return errUnchanged
		}
		ob.AuditPending = kept
		ob.AuditDirty = len(kept) > 0
		return nil
	})
	if IsKind(err, KindNotFound) {
		return nil
	}
	return err
}

// flushDirty flushes every document of r whose outbox is not empty.
func flushDirty[T any, PT outboxed[T]](ctx context.Context, s *Service, r record[T]) error {
	page, err := r.c.Find(ctx, Query{Filters: []Filter{Where("audit_dirty", true)}, Limit: 500})
	if err != nil {
		return err
	}
	for _, d := range page.Docs {
		if err := flushOutbox[T, PT](ctx, s, r, d.ID); err != nil {
			return err
		}
	}
	return nil
}

// FlushAudit moves every pending audit event into the chain: what a crash
// left in outboxes. The portal runs it at start-up and periodically.
func (s *Service) FlushAudit(ctx context.Context) error {
	for _, f := range s.outboxes {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}
