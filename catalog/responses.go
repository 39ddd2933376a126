package catalog

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Responses: a provider organisation answers a list item with a plan and
// its datasets, and moves proposed → building → delivered; the bureau
// accepts or rejects a delivery.
//
// Each organisation answers an item at most once: the response's id is
// "<list>/<item>/<org>", so two concurrent first answers cannot both be
// stored. A response names the datasets that answer the item, and each of
// those datasets names the item in its list_items (searchable as the
// "list" facet). The two are different documents, so the response is the
// truth and the datasets follow it: a change of the linked datasets writes
// the response with sync_pending set (and the datasets to unlink), then
// updates each dataset through the dataset write path (saveDataset: index
// and audit stay right), then clears the flag guarded by the content
// revision it synchronised. Every step is idempotent; the periodic sweep
// finishes what a crash interrupted. The same flag carries the news of an
// accepted delivery to the data needs behind the item.

// Response states.
const (
	RespProposed  = "proposed"
	RespBuilding  = "building"
	RespDelivered = "delivered"
	RespAccepted  = "accepted"
	RespRejected  = "rejected"
)

// ResponseStates is the response lifecycle vocabulary.
var ResponseStates = Vocabulary{
	{RespProposed, T("拟建设", "Proposed")},
	{RespBuilding, T("建设中", "Building")},
	{RespDelivered, T("已交付", "Delivered")},
	{RespAccepted, T("已验收", "Accepted")},
	{RespRejected, T("未通过", "Rejected")},
}

// ListResponse is an organisation's answer to a list item.
type ListResponse struct {
	ID           string          `json:"id"`
	ListID       string          `json:"list_id"`
	Item         string          `json:"item"`
	ItemRef      string          `json:"item_ref"`
	Org          string          `json:"org"`
	OrgName      string          `json:"org_name"`
	OrgNameEn    string          `json:"org_name_en"`
	Plan         string          `json:"plan"`
	ExpectedDate string          `json:"expected_date,omitempty"`
	Datasets     []string        `json:"datasets"`
	State        string          `json:"state"`
	History      []ResponseEvent `json:"history"`
	Review       *ResponseReview `json:"review,omitempty"`
	CreatedBy    string          `json:"created_by"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	DeliveredAt  *time.Time      `json:"delivered_at,omitempty"`
	DecidedAt    *time.Time      `json:"decided_at,omitempty"`
	Rev          int64           `json:"rev"`
}

// ResponseEvent is one state change of a response.
type ResponseEvent struct {
	State   string    `json:"state"`
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	Comment string    `json:"comment,omitempty"`
}

// ResponseReview is the bureau's decision on a delivery.
type ResponseReview struct {
	Accepted bool      `json:"accepted"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Comment  string    `json:"comment,omitempty"`
}

// DatasetRef is a linked dataset as a response shows it.
type DatasetRef struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	TitleEn       string `json:"title_en"`
	Tier          Tier   `json:"tier"`
	Status        string `json:"status"`
	Domain        string `json:"domain"`
	Modality      string `json:"modality"`
	Publisher     string `json:"publisher"`
	PublisherName string `json:"publisher_name"`
}

func refOf(d *Dataset) DatasetRef {
	return DatasetRef{ID: d.ID, Title: d.Title, TitleEn: d.TitleEn, Tier: d.Tier, Status: d.Status, Domain: d.Domain,
		Modality: d.Modality, Publisher: d.Publisher, PublisherName: d.PublisherName}
}

// ResponseView is a response as one reader sees it: Datasets and
// LinkedDatasets hold only the datasets the reader may view.
type ResponseView struct {
	ListResponse
	LinkedDatasets []DatasetRef `json:"linked_datasets"`
}

// responseRecord is a response as stored.
type responseRecord struct {
	ListResponse
	SyncPending bool          `json:"sync_pending"`
	Sync        *responseSync `json:"sync,omitempty"`
	auditOutbox
}

func (r *responseRecord) outbox() *auditOutbox { return &r.auditOutbox }

// responseSync is the cross-document work a response change left to do,
// with who asked for it (the datasets' audit events name them).
type responseSync struct {
	Actor    string   `json:"actor"`
	Roles    []string `json:"roles,omitempty"`
	Org      string   `json:"org,omitempty"`
	Decision Decision `json:"decision"`
	// Unlink are datasets that no longer answer the item.
	Unlink []string `json:"unlink,omitempty"`
	// Notify is set by an acceptance: the needs behind the item are told.
	Notify bool `json:"notify,omitempty"`
}

var responseSchema = Schema{Name: "list_responses", Fields: []Field{
	{Name: "list_id", Type: String},
	{Name: "item_ref", Type: String},
	{Name: "org", Type: String},
	{Name: "state", Type: String},
	{Name: "sync_pending", Type: Bool},
	{Name: "audit_dirty", Type: Bool},
	{Name: "created_at", Type: Time},
	{Name: "updated_at", Type: Time},
}, Compound: [][]string{{"list_id", "created_at"}, {"item_ref", "created_at"}, {"org", "updated_at"}, {"state", "updated_at"}}}

var responseName = T("响应", "response")

func responseKey(listID, code, org string) string { return listID + "/" + code + "/" + org }

// NewResponse is the body of an answer to an item.
type NewResponse struct {
	Plan         string   `json:"plan"`
	ExpectedDate string   `json:"expected_date"`
	Datasets     []string `json:"datasets"`
}

// ResponsePatch changes a response; absent fields stay.
type ResponsePatch struct {
	Plan         *string   `json:"plan,omitempty"`
	ExpectedDate *string   `json:"expected_date,omitempty"`
	Datasets     *[]string `json:"datasets,omitempty"`
}

func checkResponseText(v *Validation, plan, expected string) {
	checkText(v, "plan", plan, 1, 5000, "建设方案", "Plan")
	if expected != "" && !validDate(expected) {
		v.Add("expected_date", "date", "预计完成日期须为 YYYY-MM-DD", "the expected date must be YYYY-MM-DD")
	}
}

// listItemsReadOnly refuses a dataset write that changes list_items: the
// items a dataset answers follow its organisation's responses to them.
func listItemsReadOnly(next, cur []string) error {
	if slices.Equal(dedupe(next, strings.TrimSpace), dedupe(cur, strings.TrimSpace)) {
		return nil
	}
	return &Error{Kind: KindInvalid, Message: T("数据集响应的清单条目由清单响应维护", "the list items a dataset answers are kept by list responses"),
		Fields: []FieldError{{Field: "list_items", Code: "read_only",
			Message: T("请在清单条目的响应中关联数据集（POST /api/v1/lists/{id}/items/{item}/responses）", "link the dataset in a response to the list item (POST /api/v1/lists/{id}/items/{item}/responses)")}}}
}

// listItem loads a readable list and one of its items.
func (s *Service) listItem(ctx context.Context, p Principal, listID, code string) (listRecord, *ListItem, error) {
	rec, _, err := s.readableList(ctx, p, listID)
	if err != nil {
		return rec, nil, err
	}
	it, ok := rec.Item(NormalizeItemCode(code))
	if !ok {
		return rec, nil, NotFound(T("清单条目", "list item"))
	}
	return rec, it, nil
}

// checkLinkable checks that every dataset may answer an item for p: it
// exists, belongs to p's organisation, p may edit it (the dataset write
// path is how the link is stored) and it has room for one more item. A
// dataset of another organisation gets the same message as a missing one.
func (s *Service) checkLinkable(ctx context.Context, p Principal, ref string, ids []string) ([]string, error) {
	ids = dedupe(ids, strings.TrimSpace)
	var v Validation
	if len(ids) > 50 {
		v.Add("datasets", "too_many", "最多关联 50 个数据集", "at most 50 datasets")
		return nil, v.Err()
	}
	for _, id := range ids {
		rec, _, err := s.datasets.get(ctx, id)
		if err != nil && !IsKind(err, KindNotFound) {
			return nil, err
		}
		if err != nil || p.Org == nil || rec.Publisher != p.Org.ID {
			v.Add("datasets", "not_found", "数据集“"+id+"”不存在或不属于您的机构", "dataset “"+id+"” does not exist or does not belong to your organisation")
			continue
		}
		d, err := s.authz.Decide(ctx, p.Subject(), ActEdit, s.resource(ctx, p, &rec.Dataset))
		if err != nil {
			return nil, err
		}
		if !d.Allowed {
			v.Add("datasets", "forbidden", "您无权修改数据集“"+id+"”："+d.Reason.Zh, "you may not change dataset “"+id+"”: "+d.Reason.En)
			continue
		}
		if len(rec.ListItems) >= 50 && !slices.Contains(rec.ListItems, ref) {
			v.Add("datasets", "too_many", "数据集“"+id+"”已关联 50 个清单条目", "dataset “"+id+"” already answers 50 list items")
		}
	}
	return ids, v.Err()
}

func syncOf(p Principal, dec Decision) *responseSync {
	sy := &responseSync{Decision: dec}
	if p.User != nil {
		sy.Actor, sy.Roles = p.User.ID, slices.Clone(p.User.Roles)
	}
	if p.Org != nil {
		sy.Org = p.Org.ID
	}
	return sy
}

// RespondToItem records the caller's organisation's answer to an item of a
// published list (providers of verified organisations). Conflict if the
// organisation answered it already, or the item is cancelled.
func (s *Service) RespondToItem(ctx context.Context, p Principal, listID, code string, in NewResponse) (ResponseView, error) {
	if !p.SignedIn() {
		return ResponseView{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	l, it, err := s.listItem(ctx, p, listID, code)
	if err != nil {
		return ResponseView{}, err
	}
	org := ""
	if p.Org != nil {
		org = p.Org.ID
	}
	dec, err := s.decideList(ctx, p, ActRespond, &l.ConstructionList, org)
	if err != nil {
		return ResponseView{}, err
	}
	if it.Cancelled {
		return ResponseView{}, &Error{Kind: KindConflict, Message: T("该条目已取消，不再接受响应", "the item is cancelled and takes no responses")}
	}
	in.Plan, in.ExpectedDate = strings.TrimSpace(in.Plan), strings.TrimSpace(in.ExpectedDate)
	var v Validation
	checkResponseText(&v, in.Plan, in.ExpectedDate)
	if err := v.Err(); err != nil {
		return ResponseView{}, err
	}
	ref := ItemRef(l.ID, it.Code)
	ids, err := s.checkLinkable(ctx, p, ref, in.Datasets)
	if err != nil {
		return ResponseView{}, err
	}
	now := s.now()
	r := ListResponse{ID: responseKey(l.ID, it.Code, org), ListID: l.ID, Item: it.Code, ItemRef: ref, Org: org,
		OrgName: p.Org.Name, OrgNameEn: p.Org.NameEn, Plan: in.Plan, ExpectedDate: in.ExpectedDate, Datasets: ids,
		State: RespProposed, History: []ResponseEvent{{State: RespProposed, At: now, By: p.User.ID}},
		CreatedBy: p.User.ID, CreatedAt: now, UpdatedAt: now, Rev: 1}
	rec := responseRecord{ListResponse: r}
	if len(ids) > 0 {
		rec.SyncPending, rec.Sync = true, syncOf(p, dec)
	}
	rec.add(s.newAuditEvent(p, "response.create", "response:"+r.ID, dec, map[string]string{"item": ref, "datasets": strings.Join(ids, ",")}))
	if _, err := s.ls.responses.insert(ctx, r.ID, &rec); err != nil {
		if IsKind(err, KindConflict) {
			return ResponseView{}, &Error{Kind: KindConflict, Message: T("您的机构已响应过该条目，请修改已有的响应", "your organisation has answered this item; change that response instead")}
		}
		return ResponseView{}, err
	}
	s.afterResponseWrite(ctx, r.ID)
	return s.responseView(ctx, p, r)
}

// afterResponseWrite moves the audit events into the chain and links the
// datasets; what fails is retried by the sweep.
func (s *Service) afterResponseWrite(ctx context.Context, id string) {
	if err := flushOutbox(ctx, s, s.ls.responses, id); err != nil {
		s.log.Warn("audit flush deferred", "response", id, "err", err)
	}
	if s.ls.skipSync {
		return
	}
	if err := s.syncResponse(ctx, id); err != nil {
		s.log.Warn("response sync deferred", "response", id, "err", err)
	}
}

// changeResponse is the read-check-modify-write cycle of a response change.
func (s *Service) changeResponse(ctx context.Context, p Principal, listID, code, org string, act Action, ifMatch int64, action string,
	fn func(l *ConstructionList, r *responseRecord, dec Decision) (map[string]string, error)) (ResponseView, error) {
	l, it, err := s.listItem(ctx, p, listID, code)
	if err != nil {
		return ResponseView{}, err
	}
	id := responseKey(l.ID, it.Code, org)
	for attempt := 0; ; attempt++ {
		rec, storeRev, err := s.ls.responses.get(ctx, id)
		if err != nil {
			return ResponseView{}, err
		}
		dec, err := s.decideList(ctx, p, act, &l.ConstructionList, rec.Org)
		if err != nil {
			return ResponseView{}, err
		}
		if ifMatch != 0 && ifMatch != rec.Rev {
			return ResponseView{}, &Error{Kind: KindPrecondition, Message: T("响应已被他人修改，请刷新后重试", "the response was changed since you loaded it; reload and retry")}
		}
		detail, err := fn(&l.ConstructionList, &rec, dec)
		if errors.Is(err, errUnchanged) {
			return s.responseView(ctx, p, rec.ListResponse)
		}
		if err != nil {
			return ResponseView{}, err
		}
		rec.Rev++
		rec.UpdatedAt = s.now()
		if detail == nil {
			detail = map[string]string{}
		}
		detail["rev"] = strconv.FormatInt(rec.Rev, 10)
		rec.add(s.newAuditEvent(p, action, "response:"+rec.ID, dec, detail))
		_, err = s.ls.responses.replace(ctx, id, storeRev, &rec)
		if err == nil {
			s.afterResponseWrite(ctx, id)
			return s.responseView(ctx, p, rec.ListResponse)
		}
		if !errors.Is(err, ErrStale) || attempt >= maxStaleRetries {
			return ResponseView{}, err
		}
		staleWait(attempt)
	}
}

// pendSync records cross-document work on a response, keeping what an
// unfinished earlier change left.
func pendSync(rec *responseRecord, p Principal, dec Decision, unlink []string, notify bool) {
	sy := syncOf(p, dec)
	if rec.Sync != nil {
		sy.Unlink = rec.Sync.Unlink
		sy.Notify = rec.Sync.Notify
	}
	sy.Unlink = dedupe(append(sy.Unlink, unlink...), strings.TrimSpace)
	sy.Notify = sy.Notify || notify
	rec.Sync, rec.SyncPending = sy, true
}

// UpdateResponse changes the plan, the expected date or the linked
// datasets of the caller's organisation's response. Datasets are frozen
// once delivered (the bureau reviews what was delivered) and after
// acceptance.
func (s *Service) UpdateResponse(ctx context.Context, p Principal, listID, code, org string, in ResponsePatch, ifMatch int64) (ResponseView, error) {
	return s.changeResponse(ctx, p, listID, code, org, ActRespond, ifMatch, "response.update", func(l *ConstructionList, r *responseRecord, dec Decision) (map[string]string, error) {
		plan, expected := r.Plan, r.ExpectedDate
		if in.Plan != nil {
			plan = strings.TrimSpace(*in.Plan)
		}
		if in.ExpectedDate != nil {
			expected = strings.TrimSpace(*in.ExpectedDate)
		}
		var v Validation
		checkResponseText(&v, plan, expected)
		if err := v.Err(); err != nil {
			return nil, err
		}
		if r.State == RespAccepted {
			return nil, &Error{Kind: KindConflict, Message: T("已验收的响应不能修改", "an accepted response cannot change")}
		}
		detail := map[string]string{}
		if in.Datasets != nil {
			if r.State == RespDelivered {
				return nil, &Error{Kind: KindConflict, Message: T("交付待审期间不能更改关联的数据集", "the linked datasets cannot change while the delivery awaits review")}
			}
			ids, err := s.checkLinkable(ctx, p, r.ItemRef, *in.Datasets)
			if err != nil {
				return nil, err
			}
			var removed []string
			for _, d := range r.Datasets {
				if !slices.Contains(ids, d) {
					removed = append(removed, d)
				}
			}
			if !slices.Equal(ids, r.Datasets) {
				pendSync(r, p, dec, removed, false)
				r.Datasets = ids
				detail["datasets"] = strings.Join(ids, ",")
			}
		}
		if plan == r.Plan && expected == r.ExpectedDate && len(detail) == 0 {
			return nil, errUnchanged
		}
		r.Plan, r.ExpectedDate = plan, expected
		return detail, nil
	})
}

// providerMoves are the state changes a provider makes.
var providerMoves = map[string][]string{
	RespProposed: {RespBuilding, RespDelivered},
	RespBuilding: {RespDelivered},
	RespRejected: {RespBuilding, RespDelivered},
}

// ProviderMoves returns the states a provider may move a response in state
// to (pages offer these; MoveResponse enforces them).
func ProviderMoves(state string) []string { return slices.Clone(providerMoves[state]) }

// MoveResponse moves the caller's organisation's response to building or
// delivered. A delivery needs at least one linked, published dataset.
func (s *Service) MoveResponse(ctx context.Context, p Principal, listID, code, org, state, comment string, ifMatch int64) (ResponseView, error) {
	comment = strings.TrimSpace(comment)
	var v Validation
	checkText(&v, "comment", comment, 0, 2000, "说明", "Comment")
	if state != RespBuilding && state != RespDelivered {
		v.Add("state", "vocabulary", "状态须为 building 或 delivered", "state must be building or delivered")
	}
	if err := v.Err(); err != nil {
		return ResponseView{}, err
	}
	return s.changeResponse(ctx, p, listID, code, org, ActRespond, ifMatch, "response."+state, func(l *ConstructionList, r *responseRecord, dec Decision) (map[string]string, error) {
		if !slices.Contains(providerMoves[r.State], state) {
			from, _ := ResponseStates.Label(r.State)
			to, _ := ResponseStates.Label(state)
			return nil, &Error{Kind: KindConflict, Message: T("响应不能从“"+from.Zh+"”变为“"+to.Zh+"”", "a response cannot move from "+from.En+" to "+to.En)}
		}
		if state == RespDelivered {
			published := false
			if len(r.Datasets) > 0 {
				page, _, err := s.datasets.find(ctx, Query{Filters: []Filter{WhereIn("id", r.Datasets...), Where("status", StatusPublished)}, Limit: 1})
				if err != nil {
					return nil, err
				}
				published = len(page) > 0
			}
			if !published {
				return nil, &Error{Kind: KindInvalid, Message: T("交付前请至少关联一个已发布的数据集", "link at least one published dataset before delivering"),
					Fields: []FieldError{{Field: "datasets", Code: "required", Message: T("需要已发布的数据集", "a published dataset is required")}}}
			}
			now := s.now()
			r.DeliveredAt = &now
		}
		from := r.State
		r.State = state
		r.Review = nil
		r.History = append(r.History, ResponseEvent{State: state, At: s.now(), By: p.User.ID, Comment: comment})
		return map[string]string{"state": from + "→" + state}, nil
	})
}

// ReviewResponse records the bureau's decision on a delivery. Rejecting
// needs a comment. Accepting tells the authors of the needs behind the item.
func (s *Service) ReviewResponse(ctx context.Context, p Principal, listID, code, org string, accept bool, comment string, ifMatch int64) (ResponseView, error) {
	comment = strings.TrimSpace(comment)
	var v Validation
	min := 0
	if !accept {
		min = 1
	}
	checkText(&v, "comment", comment, min, 2000, "审核意见", "Comment")
	if err := v.Err(); err != nil {
		return ResponseView{}, err
	}
	return s.changeResponse(ctx, p, listID, code, org, ActReviewResponses, ifMatch, "response.review", func(l *ConstructionList, r *responseRecord, dec Decision) (map[string]string, error) {
		if r.State != RespDelivered {
			return nil, &Error{Kind: KindConflict, Message: T("只能审核已交付的响应", "only a delivered response can be reviewed")}
		}
		now := s.now()
		state := RespRejected
		if accept {
			state = RespAccepted
			pendSync(r, p, dec, nil, true)
		}
		r.State, r.DecidedAt = state, &now
		r.Review = &ResponseReview{Accepted: accept, By: p.User.ID, At: now, Comment: comment}
		r.History = append(r.History, ResponseEvent{State: state, At: now, By: p.User.ID, Comment: comment})
		return map[string]string{"state": RespDelivered + "→" + state}, nil
	})
}

// syncResponse does the cross-document work a response change left: the
// linked datasets carry the item, unlinked ones no longer do, and an
// acceptance reaches the needs behind the item. Idempotent.
func (s *Service) syncResponse(ctx context.Context, id string) error {
	rec, _, err := s.ls.responses.get(ctx, id)
	if IsKind(err, KindNotFound) {
		return nil
	}
	if err != nil || !rec.SyncPending {
		return err
	}
	sy := rec.Sync
	if sy == nil {
		sy = &responseSync{Actor: "system"}
	}
	actor := Principal{User: &User{ID: sy.Actor, Roles: sy.Roles}}
	if sy.Org != "" {
		actor.Org = &Organization{ID: sy.Org}
	}
	for _, d := range rec.Datasets {
		if err := s.setDatasetItem(ctx, actor, sy.Decision, d, rec.ItemRef, rec.ID, true); err != nil {
			return err
		}
	}
	for _, d := range sy.Unlink {
		if slices.Contains(rec.Datasets, d) {
			continue
		}
		if err := s.setDatasetItem(ctx, actor, sy.Decision, d, rec.ItemRef, rec.ID, false); err != nil {
			return err
		}
	}
	if sy.Notify && rec.State == RespAccepted {
		if err := s.fulfilNeeds(ctx, &rec.ListResponse); err != nil {
			return err
		}
	}
	_, _, err = s.ls.responses.update(ctx, id, func(r *responseRecord) error {
		if r.Rev != rec.Rev || !r.SyncPending {
			return errUnchanged // changed since: its own sync is pending
		}
		r.SyncPending, r.Sync = false, nil
		return nil
	})
	return err
}

// setDatasetItem adds ref to (or removes it from) a dataset's list_items
// through the dataset write path, guarded by the revision it read.
func (s *Service) setDatasetItem(ctx context.Context, actor Principal, dec Decision, id, ref, responseID string, linked bool) error {
	for attempt := 0; ; attempt++ {
		rec, rev, err := s.datasets.get(ctx, id)
		if IsKind(err, KindNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if slices.Contains(rec.ListItems, ref) == linked {
			return nil
		}
		action := "dataset.list-link"
		if linked {
			rec.ListItems = append(slices.Clone(rec.ListItems), ref)
		} else {
			action = "dataset.list-unlink"
			rec.ListItems = slices.DeleteFunc(slices.Clone(rec.ListItems), func(x string) bool { return x == ref })
		}
		rec.Rev++
		rec.UpdatedAt = s.now()
		ev := s.newAuditEvent(actor, action, "dataset:"+id, dec, map[string]string{"item": ref, "response": responseID, "rev": strconv.FormatInt(rec.Rev, 10)})
		_, err = s.saveDataset(ctx, &rec, rev, ev)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrStale) || attempt >= maxStaleRetries {
			return err
		}
		staleWait(attempt)
	}
}

// responseViews shows responses to one reader: each linked dataset only
// if the reader may view it (checked one by one against the policy), so a
// hidden dataset is neither shown nor counted.
func (s *Service) responseViews(ctx context.Context, p Principal, rs []ListResponse) ([]ResponseView, error) {
	visible, err := s.visibleDatasets(ctx, p, responseDatasetIDs(rs))
	if err != nil {
		return nil, err
	}
	out := make([]ResponseView, 0, len(rs))
	for _, r := range rs {
		v := ResponseView{ListResponse: r, LinkedDatasets: []DatasetRef{}}
		v.Datasets = []string{}
		for _, id := range r.Datasets {
			if d, ok := visible[id]; ok {
				v.Datasets = append(v.Datasets, id)
				v.LinkedDatasets = append(v.LinkedDatasets, refOf(&d))
			}
		}
		v.History = slices.Clone(r.History)
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) responseView(ctx context.Context, p Principal, r ListResponse) (ResponseView, error) {
	vs, err := s.responseViews(ctx, p, []ListResponse{r})
	if err != nil || len(vs) == 0 {
		return ResponseView{}, err
	}
	return vs[0], nil
}

func responseDatasetIDs(rs []ListResponse) []string {
	var ids []string
	seen := map[string]bool{}
	for _, r := range rs {
		for _, id := range r.Datasets {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// visibleDatasets loads the datasets with ids that p may view.
func (s *Service) visibleDatasets(ctx context.Context, p Principal, ids []string) (map[string]Dataset, error) {
	out := map[string]Dataset{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		page, _, err := s.datasets.find(ctx, Query{Filters: []Filter{WhereIn("id", chunk...)}, Limit: len(chunk)})
		if err != nil {
			return nil, err
		}
		for _, f := range page {
			d := f.V.Dataset
			// View rules never depend on grants (their conditions must
			// have a search filter form), so no grant lookup is needed.
			dec, err := s.authz.Decide(ctx, p.Subject(), ActView, ResourceOf(&d))
			if err != nil {
				return nil, err
			}
			if dec.Allowed {
				out[d.ID] = d
			}
		}
	}
	return out, nil
}

// listResponses loads every response to a list, oldest first.
func (s *Service) listResponses(ctx context.Context, listID string) ([]ListResponse, error) {
	var out []ListResponse
	after := ""
	for {
		page, next, err := s.ls.responses.find(ctx, Query{Filters: []Filter{Where("list_id", listID)}, Sort: "created_at", Limit: 500, After: after})
		if err != nil {
			return nil, err
		}
		for _, f := range page {
			out = append(out, f.V.ListResponse)
		}
		if next == "" {
			return out, nil
		}
		after = next
	}
}

// ItemView is a list item with its responses, as one reader sees it.
type ItemView struct {
	ListID       string         `json:"list_id"`
	ListTitle    string         `json:"list_title"`
	ListStatus   string         `json:"list_status"`
	Revision     int            `json:"revision"`
	Ref          string         `json:"ref"`
	Item         ListItem       `json:"item"`
	Overdue      bool           `json:"overdue"`
	Covered      bool           `json:"covered"`
	Responses    []ResponseView `json:"responses"`
	ByState      map[string]int `json:"by_state"`
	DatasetsSeen int            `json:"datasets"` // linked datasets the reader may view
}

// Item returns one item of a readable list with its responses; linked
// datasets the reader may not view are left out everywhere.
func (s *Service) Item(ctx context.Context, p Principal, listID, code string) (ItemView, error) {
	l, it, err := s.listItem(ctx, p, listID, code)
	if err != nil {
		return ItemView{}, err
	}
	ref := ItemRef(l.ID, it.Code)
	var rs []ListResponse
	if err := s.ls.responses.each(ctx, []Filter{Where("item_ref", ref)}, func(r responseRecord, _ int64) error {
		rs = append(rs, r.ListResponse)
		return nil
	}); err != nil {
		return ItemView{}, err
	}
	slices.SortFunc(rs, func(a, b ListResponse) int { return a.CreatedAt.Compare(b.CreatedAt) })
	views, err := s.responseViews(ctx, p, rs)
	if err != nil {
		return ItemView{}, err
	}
	item := *it
	if !s.canManageLists(ctx, p) {
		item.Needs = nil
	}
	v := ItemView{ListID: l.ID, ListTitle: l.Title, ListStatus: l.Status, Revision: l.Revision, Ref: ref, Item: item, Responses: views, ByState: map[string]int{}}
	for _, r := range views {
		v.ByState[r.State]++
		v.DatasetsSeen += len(r.Datasets)
		v.Covered = v.Covered || r.State == RespAccepted
	}
	v.Overdue = !v.Covered && !it.Cancelled && it.Deadline != "" && it.Deadline < s.today()
	return v, nil
}

// ResponseQuery selects responses for a workspace list.
type ResponseQuery struct {
	// Scope is "mine" (the caller's organisation's responses) or "review"
	// (every response, for the bureau).
	Scope  string
	State  string
	Offset int
	Limit  int
}

// Responses lists the caller's organisation's responses, or every response
// for the bureau's review, most recently changed first.
func (s *Service) Responses(ctx context.Context, p Principal, q ResponseQuery) ([]ResponseView, int64, error) {
	if !p.SignedIn() {
		return nil, 0, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	var v Validation
	if q.State != "" && !ResponseStates.Has(q.State) {
		v.Add("state", "vocabulary", "状态须为 proposed、building、delivered、accepted 或 rejected", "state must be proposed, building, delivered, accepted or rejected")
	}
	var f []Filter
	sort := "updated_at"
	switch q.Scope {
	case "mine", "":
		if p.Org == nil {
			return []ResponseView{}, 0, nil
		}
		f = append(f, Where("org", p.Org.ID))
	case "review":
		if _, err := s.decide(ctx, p, ActReviewResponses, Resource{Status: ListPublished}); err != nil {
			return nil, 0, err
		}
	default:
		v.Add("scope", "vocabulary", "范围须为 mine 或 review", "scope must be mine or review")
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	if q.State != "" {
		f = append(f, Where("state", q.State))
	}
	n, err := s.ls.responses.c.Count(ctx, f...)
	if err != nil {
		return nil, 0, err
	}
	page, _, err := s.ls.responses.find(ctx, Query{Filters: f, Sort: sort, Desc: true, Offset: q.Offset, Limit: q.Limit})
	if err != nil {
		return nil, 0, err
	}
	rs := make([]ListResponse, len(page))
	for i, r := range page {
		rs[i] = r.V.ListResponse
	}
	views, err := s.responseViews(ctx, p, rs)
	return views, n, err
}

// ItemResponses lists the responses to one item.
func (s *Service) ItemResponses(ctx context.Context, p Principal, listID, code string) ([]ResponseView, error) {
	v, err := s.Item(ctx, p, listID, code)
	return v.Responses, err
}

// ResumeListWork finishes the cross-document work that writes left
// pending (dataset links, need updates): the sweep runs it periodically.
func (s *Service) ResumeListWork(ctx context.Context) error {
	var errs []error
	if err := s.ls.responses.each(ctx, []Filter{Where("sync_pending", true)}, func(r responseRecord, _ int64) error {
		if err := s.syncResponse(ctx, r.ID); err != nil {
			errs = append(errs, err)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := s.ls.lists.each(ctx, []Filter{Where("sync_pending", true)}, func(l listRecord, _ int64) error {
		if err := s.syncListNeeds(ctx, l.ID); err != nil {
			errs = append(errs, err)
		}
		return nil
	}); err != nil {
		return err
	}
	return errors.Join(errs...)
}
