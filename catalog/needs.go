package catalog

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Data needs: a developer tells the bureau what data is missing; the
// bureau sees similar needs together, merges them, and turns them into a
// list item. When a delivery for that item is accepted, each need behind
// it is marked fulfilled, which its author sees on the need.
//
// Grouping by similarity uses the search engine's own analysis (Chinese
// bigrams, synonyms, BM25) on a scratch in-memory index of the open needs,
// built per request: open needs are few (hundreds, at most a few thousand),
// so building the index costs milliseconds to a fraction of a second, and
// nothing derived has to be kept consistent with the store — a persistent
// needs index would need its own pending flags, reconciliation and rebuilds
// on both engines for a page only the bureau opens. Without a scratch index
// the needs are grouped by domain and modality alone.

// Need statuses.
const (
	NeedOpen      = "open"
	NeedMerged    = "merged"
	NeedPlanned   = "planned"
	NeedFulfilled = "fulfilled"
	NeedClosed    = "closed"
)

// NeedStatuses is the data need lifecycle vocabulary.
var NeedStatuses = Vocabulary{
	{NeedOpen, T("待处理", "Open")},
	{NeedMerged, T("已合并", "Merged")},
	{NeedPlanned, T("已列入清单", "In a construction list")},
	{NeedFulfilled, T("已满足", "Fulfilled")},
	{NeedClosed, T("已撤回", "Withdrawn")},
}

// Purposes is the vocabulary of what a needed dataset is for.
var Purposes = Vocabulary{
	{"training", T("模型训练", "Training")},
	{"fine-tuning", T("微调", "Fine-tuning")},
	{"evaluation", T("评测", "Evaluation")},
	{"research", T("科学研究", "Research")},
	{"other", T("其他", "Other")},
}

// DataNeed is a developer's request for data the catalogue does not have.
type DataNeed struct {
	ID string `json:"id"`
	NeedFields
	Author    string `json:"author"`
	AuthorOrg string `json:"author_org,omitempty"`
	Status    string `json:"status"`
	// MergedInto is the need this one was merged into.
	MergedInto string `json:"merged_into,omitempty"`
	// ItemRef names the list item made from the need.
	ItemRef  string `json:"item_ref,omitempty"`
	ListID   string `json:"list_id,omitempty"`
	ItemCode string `json:"item_code,omitempty"`
	// FulfilledAt is when a delivery for the item was accepted;
	// FulfilledBy the response accepted.
	FulfilledAt *time.Time `json:"fulfilled_at,omitempty"`
	FulfilledBy string     `json:"fulfilled_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Rev         int64      `json:"rev"`
}

// NeedFields are what the author writes.
type NeedFields struct {
	Title       string `json:"title"`
	Domain      string `json:"domain"`
	Modality    string `json:"modality"`
	Scale       string `json:"scale"`
	Purpose     string `json:"purpose"`
	Description string `json:"description"`
}

func (f *NeedFields) normalize() {
	f.Title = strings.TrimSpace(f.Title)
	f.Domain = strings.TrimSpace(f.Domain)
	f.Modality = strings.TrimSpace(f.Modality)
	f.Scale = strings.TrimSpace(f.Scale)
	f.Purpose = strings.TrimSpace(f.Purpose)
	f.Description = strings.TrimSpace(f.Description)
}

func (f *NeedFields) validate() error {
	var v Validation
	checkText(&v, "title", f.Title, 1, 200, "需求名称", "Title")
	if !Domains.Has(f.Domain) {
		v.Add("domain", "vocabulary", "行业领域不在词表中", "domain is not in the vocabulary")
	}
	if f.Modality != "" && !Modalities.Has(f.Modality) {
		v.Add("modality", "vocabulary", "数据模态不在词表中", "modality is not in the vocabulary")
	}
	checkText(&v, "scale", f.Scale, 0, 200, "需求规模", "Scale")
	if !Purposes.Has(f.Purpose) {
		v.Add("purpose", "vocabulary", "用途须为 training、fine-tuning、evaluation、research 或 other", "purpose must be training, fine-tuning, evaluation, research or other")
	}
	checkText(&v, "description", f.Description, 1, 5000, "需求描述", "Description")
	return v.Err()
}

type needRecord struct {
	DataNeed
	auditOutbox
	noticeOutbox
}

func (r *needRecord) outbox() *auditOutbox   { return &r.auditOutbox }
func (r *needRecord) notices() *noticeOutbox { return &r.noticeOutbox }

var needSchema = Schema{Name: "needs", Fields: []Field{
	{Name: "author", Type: String},
	{Name: "status", Type: String},
	{Name: "domain", Type: String},
	{Name: "merged_into", Type: String},
	{Name: "item_ref", Type: String},
	{Name: "audit_dirty", Type: Bool},
	{Name: "notice_dirty", Type: Bool},
	{Name: "created_at", Type: Time},
	{Name: "updated_at", Type: Time},
}, Compound: [][]string{{"author", "created_at"}, {"status", "created_at"}}}

var needName = T("数据需求", "data need")

// FileNeed records a developer's data need.
func (s *Service) FileNeed(ctx context.Context, p Principal, in NeedFields) (DataNeed, error) {
	dec, err := s.decide(ctx, p, ActFileNeed, Resource{})
	if err != nil {
		return DataNeed{}, err
	}
	in.normalize()
	if err := in.validate(); err != nil {
		return DataNeed{}, err
	}
	now := s.now()
	n := DataNeed{ID: newID("need"), NeedFields: in, Author: p.User.ID, Status: NeedOpen, CreatedAt: now, UpdatedAt: now, Rev: 1}
	if p.Org != nil {
		n.AuthorOrg = p.Org.ID
	}
	rec := needRecord{DataNeed: n}
	rec.add(s.newAuditEvent(p, "need.file", "need:"+n.ID, dec, map[string]string{"domain": n.Domain}))
	if _, err := s.ls.needs.insert(ctx, n.ID, &rec); err != nil {
		return DataNeed{}, err
	}
	s.flushNeed(ctx, n.ID)
	return n, nil
}

func (s *Service) flushNeed(ctx context.Context, id string) {
	if err := flushOutbox(ctx, s, s.ls.needs, id); err != nil {
		s.log.Warn("audit flush deferred", "need", id, "err", err)
	}
}

// canManageNeeds reports, without auditing, whether p manages needs.
func (s *Service) canManageNeeds(ctx context.Context, p Principal) bool {
	d, err := s.authz.Decide(ctx, p.Subject(), ActManageNeeds, Resource{})
	return err == nil && d.Allowed
}

// Need returns a need to its author or to the bureau; NotFound to anyone else.
func (s *Service) Need(ctx context.Context, p Principal, id string) (DataNeed, error) {
	rec, _, err := s.ls.needs.get(ctx, id)
	if err != nil {
		return DataNeed{}, err
	}
	if !p.SignedIn() || (rec.Author != p.User.ID && !s.canManageNeeds(ctx, p)) {
		return DataNeed{}, NotFound(needName)
	}
	return rec.DataNeed, nil
}

// NeedQuery selects needs: the caller's own (Scope "mine"), or all of
// them for the bureau (Scope "all").
type NeedQuery struct {
	Scope  string
	Status string
	Domain string
	Offset int
	Limit  int
}

// Needs lists needs, newest first.
func (s *Service) Needs(ctx context.Context, p Principal, q NeedQuery) ([]DataNeed, int64, error) {
	if !p.SignedIn() {
		return nil, 0, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	var v Validation
	var f []Filter
	switch q.Scope {
	case "mine", "":
		f = append(f, Where("author", p.User.ID))
	case "all":
		if _, err := s.decide(ctx, p, ActManageNeeds, Resource{}); err != nil {
			return nil, 0, err
		}
	default:
		v.Add("scope", "vocabulary", "范围须为 mine 或 all", "scope must be mine or all")
	}
	if q.Status != "" {
		if !NeedStatuses.Has(q.Status) {
			v.Add("status", "vocabulary", "未知的需求状态", "unknown need status")
		}
		f = append(f, Where("status", q.Status))
	}
	if q.Domain != "" {
		if !Domains.Has(q.Domain) {
			v.Add("domain", "vocabulary", "行业领域不在词表中", "domain is not in the vocabulary")
		}
		f = append(f, Where("domain", q.Domain))
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	n, err := s.ls.needs.c.Count(ctx, f...)
	if err != nil {
		return nil, 0, err
	}
	page, _, err := s.ls.needs.find(ctx, Query{Filters: f, Sort: "created_at", Desc: true, Offset: q.Offset, Limit: q.Limit})
	if err != nil {
		return nil, 0, err
	}
	out := make([]DataNeed, len(page))
	for i, r := range page {
		out[i] = r.V.DataNeed
	}
	return out, n, nil
}

// changeNeed updates one need guarded by its revision, with its audit event.
func (s *Service) changeNeed(ctx context.Context, p Principal, id, action string, dec Decision, fn func(n *needRecord) (map[string]string, error)) (DataNeed, error) {
	var out DataNeed
	_, _, err := s.ls.needs.update(ctx, id, func(r *needRecord) error {
		detail, err := fn(r)
		if err != nil {
			return err
		}
		r.Rev++
		r.UpdatedAt = s.now()
		if detail == nil {
			detail = map[string]string{}
		}
		detail["rev"] = strconv.FormatInt(r.Rev, 10)
		r.add(s.newAuditEvent(p, action, "need:"+id, dec, detail))
		out = r.DataNeed
		return nil
	})
	if err != nil {
		if errors.Is(err, errUnchanged) {
			return out, nil
		}
		return out, err
	}
	s.flushNeed(ctx, id)
	if err := flushNotices(ctx, s, s.ls.needs, id, nil); err != nil {
		s.log.Warn("notice delivery deferred", "need", id, "err", err)
	}
	return out, nil
}

// WithdrawNeed closes an open need (its author).
func (s *Service) WithdrawNeed(ctx context.Context, p Principal, id string) (DataNeed, error) {
	n, err := s.Need(ctx, p, id)
	if err != nil {
		return n, err
	}
	if n.Author != p.User.ID {
		return n, &Error{Kind: KindForbidden, Message: T("只有提出者可以撤回需求", "only the author can withdraw a need")}
	}
	dec := Decision{Allowed: true, Action: ActFileNeed, Reason: T("提出者撤回自己的需求", "the author withdraws their own need")}
	return s.changeNeed(ctx, p, id, "need.withdraw", dec, func(n *needRecord) (map[string]string, error) {
		if n.Status != NeedOpen {
			return nil, &Error{Kind: KindConflict, Message: T("只能撤回待处理的需求", "only an open need can be withdrawn")}
		}
		n.Status = NeedClosed
		return nil, nil
	})
}

// MergeNeeds merges needs into one (bureau): each merged need points to
// the one it joined. Idempotent: merging again changes nothing.
func (s *Service) MergeNeeds(ctx context.Context, p Principal, into string, ids []string) (DataNeed, error) {
	dec, err := s.decide(ctx, p, ActManageNeeds, Resource{})
	if err != nil {
		return DataNeed{}, err
	}
	ids = dedupe(ids, strings.TrimSpace)
	var v Validation
	if into == "" {
		v.Add("into", "required", "请指定合并到的需求", "name the need to merge into")
	}
	if len(ids) == 0 || len(ids) > 500 {
		v.Add("needs", "range", "请指定 1–500 个要合并的需求", "name 1–500 needs to merge")
	}
	if err := v.Err(); err != nil {
		return DataNeed{}, err
	}
	target, _, err := s.ls.needs.get(ctx, into)
	if err != nil {
		return DataNeed{}, err
	}
	if target.Status != NeedOpen && target.Status != NeedPlanned {
		return DataNeed{}, &Error{Kind: KindConflict, Message: T("只能合并到待处理或已列入清单的需求", "needs can only be merged into an open or planned need")}
	}
	for _, id := range ids {
		if id == into {
			continue
		}
		if _, err := s.changeNeed(ctx, p, id, "need.merge", dec, func(n *needRecord) (map[string]string, error) {
			if n.MergedInto == into {
				return nil, errUnchanged
			}
			if n.Status != NeedOpen {
				return nil, &Error{Kind: KindConflict, Message: T("需求“"+n.Title+"”不是待处理状态，不能合并", "need “"+n.Title+"” is not open and cannot be merged")}
			}
			n.Status, n.MergedInto = NeedMerged, into
			if target.ItemRef != "" {
				n.Status, n.ItemRef, n.ListID, n.ItemCode = NeedPlanned, target.ItemRef, target.ListID, target.ItemCode
			}
			return map[string]string{"into": into}, nil
		}); err != nil {
			return DataNeed{}, err
		}
	}
	if target.ItemRef != "" {
		// The item the target became answers the merged needs too.
		all, err := s.needGroup(ctx, into)
		if err != nil {
			return DataNeed{}, err
		}
		if _, err := s.attachNeeds(ctx, p, target.ListID, target.ItemCode, all); err != nil {
			return DataNeed{}, err
		}
	}
	return s.Need(ctx, p, into)
}

// needGroup returns a need and every need merged into it.
func (s *Service) needGroup(ctx context.Context, id string) ([]string, error) {
	out := []string{id}
	err := s.ls.needs.each(ctx, []Filter{Where("merged_into", id)}, func(r needRecord, _ int64) error {
		out = append(out, r.ID)
		return nil
	})
	return out, err
}

// NeedsToItem is the body of turning needs into a list item: either a new
// item (Item) or an existing one (ExistingItem, its code).
type NeedsToItem struct {
	Needs        []string    `json:"needs"`
	ListID       string      `json:"list"`
	Item         *ItemChange `json:"item,omitempty"`
	ExistingItem string      `json:"existing_item,omitempty"`
}

// NeedsToListItem turns needs (and the needs merged into them) into an item
// of a draft or published list (bureau). The item records the needs; each
// need then records the item, and is marked fulfilled when a delivery for
// the item is accepted.
func (s *Service) NeedsToListItem(ctx context.Context, p Principal, in NeedsToItem) (ItemView, error) {
	if _, err := s.decide(ctx, p, ActManageNeeds, Resource{}); err != nil {
		return ItemView{}, err
	}
	var v Validation
	in.Needs = dedupe(in.Needs, strings.TrimSpace)
	if len(in.Needs) == 0 || len(in.Needs) > 500 {
		v.Add("needs", "range", "请指定 1–500 个需求", "name 1–500 needs")
	}
	if (in.Item == nil) == (in.ExistingItem == "") {
		v.Add("item", "required", "请给出新条目（item）或已有条目的编号（existing_item），二者选一", "give either a new item (item) or an existing item's code (existing_item)")
	}
	if err := v.Err(); err != nil {
		return ItemView{}, err
	}
	var all []string
	for _, id := range in.Needs {
		n, _, err := s.ls.needs.get(ctx, id)
		if err != nil {
			return ItemView{}, &Error{Kind: KindInvalid, Message: T("需求不存在", "a need does not exist"),
				Fields: []FieldError{{Field: "needs", Code: "not_found", Message: T("需求“"+id+"”不存在", "need “"+id+"” does not exist")}}}
		}
		if n.Status == NeedClosed {
			return ItemView{}, &Error{Kind: KindConflict, Message: T("需求“"+n.Title+"”已撤回", "need “"+n.Title+"” was withdrawn")}
		}
		group, err := s.needGroup(ctx, id)
		if err != nil {
			return ItemView{}, err
		}
		all = append(all, group...)
	}
	all = dedupe(all, strings.TrimSpace)
	code := in.ExistingItem
	if in.Item != nil {
		item := *in.Item
		item.Needs = all
		if _, _, err := s.addItem(ctx, p, in.ListID, item, 0, true); err != nil {
			return ItemView{}, err
		}
		code = NormalizeItemCode(item.Code)
	} else if _, err := s.attachNeeds(ctx, p, in.ListID, code, all); err != nil {
		return ItemView{}, err
	}
	return s.Item(ctx, p, in.ListID, code)
}

// attachNeeds adds needs to an item (bookkeeping: no new revision), then
// brings the needs in line.
func (s *Service) attachNeeds(ctx context.Context, p Principal, listID, code string, needs []string) (ConstructionList, error) {
	code = NormalizeItemCode(code)
	return s.changeList(ctx, p, listID, ActManageLists, 0, "list.item.needs", "", func(l *ConstructionList) (map[string]string, error) {
		if l.Status == ListClosed {
			return nil, errListClosed()
		}
		it, ok := l.Item(code)
		if !ok {
			return nil, NotFound(T("清单条目", "list item"))
		}
		it.Needs = dedupe(append(slices.Clone(it.Needs), needs...), strings.TrimSpace)
		return map[string]string{"item": code, "needs": strings.Join(needs, ",")}, nil
	})
}

// syncListNeeds records on each need the item made from it (and marks it
// fulfilled if a delivery for the item was accepted already), then clears
// the list's pending flag. Idempotent; the sweep retries it.
func (s *Service) syncListNeeds(ctx context.Context, listID string) error {
	rec, _, err := s.ls.lists.get(ctx, listID)
	if IsKind(err, KindNotFound) {
		return nil
	}
	if err != nil || !rec.SyncPending {
		return err
	}
	if rec.Status == ListDraft {
		// The authors learn of the item when the list is published
		// (publishing sets the flag again); a draft is the bureau's.
		_, _, err = s.ls.lists.update(ctx, listID, func(r *listRecord) error {
			if r.Rev != rec.Rev || !r.SyncPending {
				return errUnchanged
			}
			r.SyncPending = false
			return nil
		})
		return err
	}
	dec := Decision{Allowed: true, Action: ActManageNeeds, Reason: T("数据局将需求列入建设清单", "the bureau put the need into a construction list")}
	actor := system()
	for _, it := range rec.Items {
		if len(it.Needs) == 0 {
			continue
		}
		ref := ItemRef(rec.ID, it.Code)
		accepted, _, err := s.ls.responses.find(ctx, Query{Filters: []Filter{Where("item_ref", ref), Where("state", RespAccepted)}, Limit: 1})
		if err != nil {
			return err
		}
		for _, id := range it.Needs {
			if _, err := s.changeNeed(ctx, actor, id, "need.plan", dec, func(n *needRecord) (map[string]string, error) {
				changed := false
				if n.ItemRef != ref {
					n.ItemRef, n.ListID, n.ItemCode = ref, rec.ID, it.Code
					changed = true
				}
				if n.Status == NeedOpen || n.Status == NeedMerged {
					n.Status = NeedPlanned
					changed = true
					n.notify(needNotice(n, "need.planned", rec.ConstructionList.Title, &it, s.now()))
				}
				if len(accepted) > 0 && n.Status != NeedFulfilled {
					at := s.now()
					if d := accepted[0].V.DecidedAt; d != nil {
						at = *d
					}
					n.Status, n.FulfilledAt, n.FulfilledBy = NeedFulfilled, &at, accepted[0].V.ID
					changed = true
					n.notify(needNotice(n, "need.fulfilled", rec.ConstructionList.Title, &it, s.now()))
				}
				if !changed {
					return nil, errUnchanged
				}
				return map[string]string{"item": ref}, nil
			}); err != nil && !IsKind(err, KindNotFound) {
				return err
			}
		}
	}
	_, _, err = s.ls.lists.update(ctx, listID, func(r *listRecord) error {
		if r.Rev != rec.Rev || !r.SyncPending {
			return errUnchanged
		}
		r.SyncPending = false
		return nil
	})
	return err
}

// fulfilNeeds marks the needs behind an accepted response's item as
// fulfilled. Idempotent.
func (s *Service) fulfilNeeds(ctx context.Context, r *ListResponse) error {
	l, _, err := s.ls.lists.get(ctx, r.ListID)
	if err != nil {
		return err
	}
	it, ok := l.Item(r.Item)
	if !ok || len(it.Needs) == 0 {
		return nil
	}
	dec := Decision{Allowed: true, Action: ActReviewResponses, Reason: T("数据局验收了该需求对应的清单条目的交付", "the bureau accepted a delivery for the list item made from the need")}
	actor := system()
	for _, id := range it.Needs {
		_, err := s.changeNeed(ctx, actor, id, "need.fulfil", dec, func(n *needRecord) (map[string]string, error) {
			if n.Status == NeedFulfilled || n.Status == NeedClosed {
				return nil, errUnchanged
			}
			at := s.now()
			if r.DecidedAt != nil {
				at = *r.DecidedAt
			}
			n.Status, n.FulfilledAt, n.FulfilledBy = NeedFulfilled, &at, r.ID
			n.ItemRef, n.ListID, n.ItemCode = r.ItemRef, r.ListID, r.Item
			n.notify(needNotice(n, "need.fulfilled", l.Title, it, s.now()))
			return map[string]string{"response": r.ID}, nil
		})
		if err != nil && !IsKind(err, KindNotFound) {
			return err
		}
	}
	return nil
}

// needNotice tells a need's author that the need went into a list item
// (kind need.planned) or that a delivery for the item was accepted
// (need.fulfilled). Its id is derived from the need and the kind, so a
// repeated step never notifies twice.
func needNotice(n *needRecord, kind, listTitle string, it *ListItem, at time.Time) notice {
	nt := notice{ID: kind + ":" + n.ID, Kind: kind, To: []string{toUser(n.Author)}, Object: "need:" + n.ID,
		Link: "/lists/" + n.ListID + "/items/" + it.Code, At: at}
	if kind == "need.fulfilled" {
		nt.Title = T("您的数据需求已得到满足", "Your data need has been met")
		nt.Body = T("您提出的数据需求“"+n.Title+"”已列入《"+listTitle+"》条目“"+it.Name+"”，该条目的交付已通过数据局验收。",
			"Your data need \""+n.Title+"\" became item \""+it.Name+"\" of the list \""+listTitle+"\", and the bureau has accepted a delivery for it.")
	} else {
		nt.Title = T("您的数据需求已列入建设清单", "Your data need is in a construction list")
		nt.Body = T("您提出的数据需求“"+n.Title+"”已列入《"+listTitle+"》条目“"+it.Name+"”。交付通过验收时会再通知您。",
			"Your data need \""+n.Title+"\" became item \""+it.Name+"\" of the list \""+listTitle+"\". You will be told when a delivery for it is accepted.")
	}
	return nt
}

// NeedGroup is a set of similar open needs, with a suggested list item.
type NeedGroup struct {
	Needs []DataNeed `json:"needs"`
	// Similarity is the mean similarity of the needs to the group's first
	// one, from 0 to 1 (1 for a group of one).
	Similarity float64    `json:"similarity"`
	Reasons    []Text     `json:"reasons"`
	Suggested  ListItem   `json:"suggested_item"`
	Domain     string     `json:"domain"`
	Label      Text       `json:"domain_label"`
	Pairs      []NeedPair `json:"pairs,omitempty"`
}

// NeedPair is one similarity found between two needs.
type NeedPair struct {
	A     string  `json:"a"`
	B     string  `json:"b"`
	Score float64 `json:"score"`
}

// needSimilarity is the relative score (a hit's score over the need's own
// score for its title) from which two needs group. The engine only returns
// documents matching at least 60% of the title's terms; the self-score is
// inflated by the title phrase matching itself exactly, so related titles
// score 0.2–0.35 of it and noise stays well below (measured on sample
// needs in TestDataNeeds).
const needSimilarity = 0.15

// NeedGroups groups the open needs by similarity (bureau), largest group
// first. domain narrows to one domain.
func (s *Service) NeedGroups(ctx context.Context, p Principal, domain string) ([]NeedGroup, error) {
	if _, err := s.decide(ctx, p, ActManageNeeds, Resource{}); err != nil {
		return nil, err
	}
	f := []Filter{Where("status", NeedOpen)}
	if domain != "" {
		if !Domains.Has(domain) {
			return nil, &Error{Kind: KindInvalid, Message: T("行业领域不在词表中", "domain is not in the vocabulary"),
				Fields: []FieldError{{Field: "domain", Code: "vocabulary", Message: T("未知领域", "unknown domain")}}}
		}
		f = append(f, Where("domain", domain))
	}
	page, _, err := s.ls.needs.find(ctx, Query{Filters: f, Sort: "created_at", Limit: MaxLimit})
	if err != nil {
		return nil, err
	}
	needs := make([]DataNeed, len(page))
	byID := map[string]int{}
	for i, r := range page {
		needs[i] = r.V.DataNeed
		byID[needs[i].ID] = i
	}
	parent := make([]int, len(needs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	var pairs []NeedPair
	if s.opts.Scratch != nil && len(needs) > 1 {
		sims, err := s.needSimilarities(ctx, needs)
		if err != nil {
			return nil, err
		}
		for _, pr := range sims {
			i, j := byID[pr.A], byID[pr.B]
			parent[find(i)] = find(j)
			pairs = append(pairs, pr)
		}
	} else {
		key := map[string]int{}
		for i, n := range needs {
			k := n.Domain + "/" + n.Modality
			if j, ok := key[k]; ok {
				parent[find(i)] = find(j)
			} else {
				key[k] = i
			}
		}
	}
	groups := map[int][]int{}
	for i := range needs {
		r := find(i)
		groups[r] = append(groups[r], i)
	}
	var out []NeedGroup
	for _, members := range groups {
		g := NeedGroup{Similarity: 1}
		in := map[string]bool{}
		for _, i := range members {
			g.Needs = append(g.Needs, needs[i])
			in[needs[i].ID] = true
		}
		sort.Slice(g.Needs, func(a, b int) bool { return g.Needs[a].CreatedAt.Before(g.Needs[b].CreatedAt) })
		var sum float64
		var n int
		for _, pr := range pairs {
			if in[pr.A] && in[pr.B] {
				g.Pairs = append(g.Pairs, pr)
				sum += pr.Score
				n++
			}
		}
		if n > 0 {
			g.Similarity = sum / float64(n)
		}
		g.Domain = g.Needs[0].Domain
		g.Label, _ = Domains.Label(g.Domain)
		g.Suggested, g.Reasons = suggestItem(g.Needs, s.opts.Scratch != nil)
		out = append(out, g)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if len(out[a].Needs) != len(out[b].Needs) {
			return len(out[a].Needs) > len(out[b].Needs)
		}
		return out[a].Needs[0].CreatedAt.Before(out[b].Needs[0].CreatedAt)
	})
	if out == nil {
		out = []NeedGroup{}
	}
	return out, nil
}

// needSimilarities finds similar pairs of needs with the search engine:
// each need's title is searched in a scratch index of all of them (same
// domain only), and a hit scoring at least needSimilarity of the need's
// own score, in either direction, is similar.
func (s *Service) needSimilarities(ctx context.Context, needs []DataNeed) ([]NeedPair, error) {
	idx, err := s.opts.Scratch()
	if err != nil {
		return nil, err
	}
	defer idx.Close()
	docs := make([]IndexDoc, len(needs))
	for i, n := range needs {
		docs[i] = IndexDoc{ID: n.ID, Rev: 1, Title: n.Title, Description: n.Description, Domain: n.Domain, Modality: n.Modality,
			Status: StatusPublished, Tier: string(TierOpen), Keywords: splitCell(n.Scale, " ")}
		if l, ok := Domains.Label(n.Domain); ok {
			docs[i].Labels = append(docs[i].Labels, l.Zh, l.En)
		}
		if l, ok := Modalities.Label(n.Modality); ok {
			docs[i].Labels = append(docs[i].Labels, l.Zh, l.En)
		}
	}
	if err := idx.Upsert(ctx, docs...); err != nil {
		return nil, err
	}
	perDomain := map[string]int{}
	for _, n := range needs {
		perDomain[n.Domain]++
	}
	// The searches are independent: run them on a few workers.
	all := Visibility{Clauses: []Clause{{}}}
	best := map[[2]string]float64{}
	var mu sync.Mutex
	var firstErr error
	work := make(chan DataNeed)
	var wg sync.WaitGroup
	for w := 0; w < min(4, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				res, err := idx.Search(ctx, SearchQuery{Text: n.Title, Filters: map[string][]string{FacetDomain: {n.Domain}}, Visibility: all, Sort: SortRelevance, Limit: 50})
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				self := 0.0
				for _, h := range res.Hits {
					if h.ID == n.ID {
						self = h.Score
					}
				}
				for _, h := range res.Hits {
					if self <= 0 || h.ID == n.ID {
						continue
					}
					rel := min(h.Score/self, 1)
					if rel < needSimilarity {
						continue
					}
					k := [2]string{n.ID, h.ID}
					if h.ID < n.ID {
						k = [2]string{h.ID, n.ID}
					}
					best[k] = max(best[k], rel)
				}
				mu.Unlock()
			}
		}()
	}
	for _, n := range needs {
		if perDomain[n.Domain] > 1 { // a need alone in its domain has no peer
			work <- n
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	out := make([]NeedPair, 0, len(best))
	for k, v := range best {
		out = append(out, NeedPair{A: k[0], B: k[1], Score: float64(int(v*100+0.5)) / 100})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].A < out[j].A || (out[i].A == out[j].A && out[i].B < out[j].B) })
	return out, nil
}

// suggestItem drafts the list item a group of needs could become.
func suggestItem(needs []DataNeed, bySearch bool) (ListItem, []Text) {
	it := ListItem{Name: needs[0].Title, Domain: needs[0].Domain, Priority: "medium"}
	mods := map[string]int{}
	var req, scales []string
	for _, n := range needs {
		if n.Modality != "" {
			mods[n.Modality]++
		}
		req = append(req, n.Description)
		if n.Scale != "" {
			scales = append(scales, n.Scale)
		}
	}
	bestN := 0
	for m, c := range mods {
		if c > bestN || (c == bestN && m < it.Modality) {
			it.Modality, bestN = m, c
		}
	}
	if len(mods) > 1 {
		it.Modality = "multimodal"
	}
	it.Requirements = truncateRunes(strings.Join(req, "\n"), 5000)
	it.TargetScale = truncateRunes(strings.Join(dedupe(scales, strings.TrimSpace), "；"), 200)
	if len(needs) >= 5 {
		it.Priority = "high"
	}
	dl, _ := Domains.Label(it.Domain)
	reasons := []Text{T(fmt.Sprintf("%d 个开发者需求", len(needs)), fmt.Sprintf("%d developer needs", len(needs))),
		T("行业领域："+dl.Zh, "domain: "+dl.En)}
	if bySearch && len(needs) > 1 {
		reasons = append(reasons, T("需求名称经搜索引擎比对相似", "the needs' titles are similar by the search engine's scoring"))
	} else if len(needs) > 1 {
		reasons = append(reasons, T("领域与模态相同", "same domain and modality"))
	}
	return it, reasons
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
