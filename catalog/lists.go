package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Construction lists (高质量数据集建设清单): the bureau publishes the
// datasets the province wants built; providers answer items with datasets.
//
// Storage. A list and its items are one document (a list has at most
// MaxListItems items, far below either backend's document limit), so every
// change of a list — an item added, a whole sheet imported — is one atomic
// write guarded by the revision it read. A published list keeps its
// history: Revision counts published versions, and before a change moves
// the list from revision N to N+1, the content of revision N is inserted
// into list_revisions under "<list>@<N>". That insert is idempotent (the
// content of revision N never changes: every content change of a published
// list makes a new revision) and happens before the list write, so a crash
// in between leaves a snapshot that the retry finds in place, and the
// latest revision is always the list document itself.

// List statuses.
const (
	ListDraft     = "draft"
	ListPublished = "published"
	ListClosed    = "closed"
)

// ListStatuses is the list lifecycle vocabulary.
var ListStatuses = Vocabulary{
	{ListDraft, T("草稿", "Draft")},
	{ListPublished, T("已发布", "Published")},
	{ListClosed, T("已截止", "Closed")},
}

// Priorities is the item priority vocabulary.
var Priorities = Vocabulary{
	{"high", T("高", "High")},
	{"medium", T("中", "Medium")},
	{"low", T("低", "Low")},
}

// MaxListItems bounds the items of one list.
const MaxListItems = 2000

// ConstructionList is a construction list with its items. It is the API's
// shape too.
type ConstructionList struct {
	ID string `json:"id"`
	ListFields
	Status string `json:"status"`
	// Revision counts published versions: 0 while a draft, 1 once
	// published, and one more for every later change.
	Revision int `json:"revision"`
	// Changelog has one entry per revision after the first.
	Changelog   []ListChange `json:"changelog"`
	CreatedBy   string       `json:"created_by"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	PublishedAt *time.Time   `json:"published_at,omitempty"`
	ClosedAt    *time.Time   `json:"closed_at,omitempty"`
	CloseReason string       `json:"close_reason,omitempty"`
	// Rev is the content revision of the document, its ETag.
	Rev int64 `json:"rev"`
}

// ListFields are what the bureau writes: the body of a create request and
// what a PATCH may change.
type ListFields struct {
	Title         string     `json:"title"`
	TitleEn       string     `json:"title_en"`
	Year          int        `json:"year"`
	Batch         int        `json:"batch"`
	Description   string     `json:"description"`
	DescriptionEn string     `json:"description_en"`
	Items         []ListItem `json:"items"`
}

// ListItem is one dataset the province wants built.
type ListItem struct {
	// Code identifies the item within its list ("07"); Ref (list id + "-"
	// + code, "2026-1-07") identifies it everywhere, and is what datasets
	// carry in list_items.
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	NameEn       string   `json:"name_en,omitempty"`
	Domain       string   `json:"domain"`
	Modality     string   `json:"modality,omitempty"`
	Requirements string   `json:"requirements,omitempty"`
	TargetScale  string   `json:"target_scale,omitempty"`
	Quality      string   `json:"quality_requirements,omitempty"`
	Deadline     string   `json:"deadline,omitempty"` // YYYY-MM-DD
	Priority     string   `json:"priority"`
	LeadUnits    []string `json:"lead_units"`
	Formats      []string `json:"formats,omitempty"`
	Notes        string   `json:"notes,omitempty"`
	// Cancelled items of a published list stay in it (providers may have
	// answered them) but take no more responses.
	Cancelled    bool   `json:"cancelled,omitempty"`
	CancelReason string `json:"cancel_reason,omitempty"`
	// Needs are the data needs this item was made from; their authors
	// learn when a delivery is accepted. Shown to the bureau only.
	Needs []string `json:"needs,omitempty"`
}

// ListChange describes one revision of a published list.
type ListChange struct {
	Revision int            `json:"revision"`
	At       time.Time      `json:"at"`
	By       string         `json:"by"`
	Note     string         `json:"note,omitempty"`
	Changes  []ChangedEntry `json:"changes"`
}

// ChangedEntry is one change within a revision: an item added, changed,
// cancelled or removed (Item set), or list fields changed (Item empty).
type ChangedEntry struct {
	Item   string   `json:"item,omitempty"`
	Op     string   `json:"op"` // added, changed, cancelled, restored, removed
	Fields []string `json:"fields,omitempty"`
}

// ItemRef is the global reference of item code in list id.
func ItemRef(listID, code string) string { return listID + "-" + code }

// Item returns the item with code.
func (l *ConstructionList) Item(code string) (*ListItem, bool) {
	for i := range l.Items {
		if l.Items[i].Code == code {
			return &l.Items[i], true
		}
	}
	return nil, false
}

// Public reports whether everyone may read the list.
func (l *ConstructionList) Public() bool {
	return l.Status == ListPublished || l.Status == ListClosed
}

var itemCodeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._]{0,19}$`)

// listIDMax keeps item references ("<list>-<code>") within the 64
// characters a dataset's list_items entry may have.
const listIDMax = 40

// NormalizeItemCode canonicalises an item code: a plain number is written
// with at least two digits ("7" → "07"), so codes sort and read alike
// whether a spreadsheet stored them as numbers or as text.
func NormalizeItemCode(code string) string {
	code = strings.TrimSpace(code)
	if n, err := strconv.Atoi(code); err == nil && n >= 0 && !strings.HasPrefix(code, "+") {
		return fmt.Sprintf("%02d", n)
	}
	return code
}

// Normalize canonicalises the list's fields before validation.
func (f *ListFields) Normalize() {
	f.Title = strings.TrimSpace(f.Title)
	f.TitleEn = strings.TrimSpace(f.TitleEn)
	f.Description = strings.TrimSpace(f.Description)
	f.DescriptionEn = strings.TrimSpace(f.DescriptionEn)
	if f.Items == nil {
		f.Items = []ListItem{}
	}
	for i := range f.Items {
		f.Items[i].Normalize()
	}
}

// Normalize canonicalises an item's fields.
func (it *ListItem) Normalize() {
	it.Code = NormalizeItemCode(it.Code)
	it.Name = strings.TrimSpace(it.Name)
	it.NameEn = strings.TrimSpace(it.NameEn)
	it.Domain = strings.TrimSpace(it.Domain)
	it.Modality = strings.TrimSpace(it.Modality)
	it.Requirements = strings.TrimSpace(it.Requirements)
	it.TargetScale = strings.TrimSpace(it.TargetScale)
	it.Quality = strings.TrimSpace(it.Quality)
	it.Deadline = strings.TrimSpace(it.Deadline)
	it.Notes = strings.TrimSpace(it.Notes)
	it.CancelReason = strings.TrimSpace(it.CancelReason)
	if it.Priority == "" {
		it.Priority = "medium"
	}
	it.LeadUnits = dedupe(it.LeadUnits, strings.TrimSpace)
	it.Formats = dedupe(it.Formats, func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) })
	it.Needs = dedupe(it.Needs, strings.TrimSpace)
}

// Validate checks the list fields and every item; field names of items are
// "items[i].field".
func (f *ListFields) Validate() error {
	var v Validation
	checkText(&v, "title", f.Title, 1, 200, "清单标题", "Title")
	checkText(&v, "title_en", f.TitleEn, 0, 300, "英文标题", "English title")
	checkText(&v, "description", f.Description, 0, 20000, "清单说明", "Description")
	checkText(&v, "description_en", f.DescriptionEn, 0, 30000, "英文说明", "English description")
	if f.Year < 2000 || f.Year > 2100 {
		v.Add("year", "range", "年度须在 2000–2100 之间", "year must be 2000–2100")
	}
	if f.Batch < 1 || f.Batch > 99 {
		v.Add("batch", "range", "批次须在 1–99 之间", "batch must be 1–99")
	}
	if len(f.Items) > MaxListItems {
		v.Add("items", "too_many", fmt.Sprintf("一个清单最多 %d 个条目", MaxListItems), fmt.Sprintf("a list has at most %d items", MaxListItems))
	}
	seen := map[string]int{}
	for i := range f.Items {
		prefix := fmt.Sprintf("items[%d].", i)
		for _, fe := range f.Items[i].validate() {
			fe.Field = prefix + fe.Field
			v.Fields = append(v.Fields, fe)
		}
		if j, dup := seen[f.Items[i].Code]; dup && f.Items[i].Code != "" {
			v.Add(prefix+"code", "duplicate", fmt.Sprintf("编号“%s”与第 %d 个条目重复", f.Items[i].Code, j+1),
				fmt.Sprintf("code %q repeats item %d", f.Items[i].Code, j+1))
		}
		seen[f.Items[i].Code] = i
	}
	return v.Err()
}

// validate returns the problems of one item, with plain field names.
func (it *ListItem) validate() []FieldError {
	var v Validation
	if !itemCodeRE.MatchString(it.Code) {
		v.Add("code", "code", "编号须为 1–20 位字母、数字、点或下划线（不含连字符）", "code must be 1–20 letters, digits, dots or underscores (no hyphens)")
	}
	checkText(&v, "name", it.Name, 1, 200, "数据集名称", "Name")
	checkText(&v, "name_en", it.NameEn, 0, 300, "英文名称", "English name")
	if !Domains.Has(it.Domain) {
		v.Add("domain", "vocabulary", "行业领域不在词表中", "domain is not in the vocabulary")
	}
	if it.Modality != "" && !Modalities.Has(it.Modality) {
		v.Add("modality", "vocabulary", "数据模态不在词表中", "modality is not in the vocabulary")
	}
	checkText(&v, "requirements", it.Requirements, 0, 5000, "建设要求", "Requirements")
	checkText(&v, "target_scale", it.TargetScale, 0, 200, "目标规模", "Target scale")
	checkText(&v, "quality_requirements", it.Quality, 0, 2000, "质量要求", "Quality requirements")
	checkText(&v, "notes", it.Notes, 0, 2000, "备注", "Notes")
	checkText(&v, "cancel_reason", it.CancelReason, 0, 1000, "取消原因", "Cancel reason")
	if it.Deadline != "" && !validDate(it.Deadline) {
		v.Add("deadline", "date", "截止日期须为 YYYY-MM-DD", "deadline must be YYYY-MM-DD")
	}
	if !Priorities.Has(it.Priority) {
		v.Add("priority", "vocabulary", "优先级须为 high、medium 或 low", "priority must be high, medium or low")
	}
	if len(it.LeadUnits) > 20 {
		v.Add("lead_units", "too_many", "牵头单位最多 20 个", "at most 20 lead units")
	}
	for _, u := range it.LeadUnits {
		checkText(&v, "lead_units", u, 1, 100, "牵头单位", "Lead unit")
	}
	if len(it.Formats) > 20 {
		v.Add("formats", "too_many", "数据格式最多 20 个", "at most 20 formats")
	}
	for _, f := range it.Formats {
		checkText(&v, "formats", f, 1, 30, "数据格式", "Format")
	}
	if len(it.Needs) > 500 {
		v.Add("needs", "too_many", "关联需求过多", "too many needs")
	}
	return v.Fields
}

// listRecord is a list as stored.
type listRecord struct {
	ConstructionList
	// SyncPending is set when items name data needs that may not yet know
	// it; the sweep brings the needs in line and clears it.
	SyncPending bool `json:"sync_pending"`
	auditOutbox
}

func (r *listRecord) outbox() *auditOutbox { return &r.auditOutbox }

// listRevision is the content of a published list at one revision.
type listRevision struct {
	ListID   string           `json:"list_id"`
	Revision int              `json:"revision"`
	List     ConstructionList `json:"list"`
}

var (
	listSchema = Schema{Name: "lists", Fields: []Field{
		{Name: "status", Type: String},
		{Name: "year", Type: Int},
		{Name: "sync_pending", Type: Bool},
		{Name: "audit_dirty", Type: Bool},
		{Name: "updated_at", Type: Time},
	}, Compound: [][]string{{"status", "updated_at"}}}
	listRevisionSchema = Schema{Name: "list_revisions", Fields: []Field{
		{Name: "list_id", Type: String},
		{Name: "revision", Type: Int},
	}, Compound: [][]string{{"list_id", "revision"}}}
)

var listName = T("建设清单", "construction list")

// listStore holds the collections of construction lists, responses, data
// needs and statistics.
type listStore struct {
	lists     record[listRecord]
	revisions record[listRevision]
	responses record[responseRecord]
	needs     record[needRecord]
	stats     record[statsRecord]
	// skipSync leaves the cross-document work of a write to the sweep, as
	// a crash right after the write would (tests only).
	skipSync bool
}

// listSchemas are the schemas of the construction-list collections.
func listSchemas() []Schema {
	return []Schema{listSchema, listRevisionSchema, responseSchema, needSchema, statsSchema}
}

// openLists opens the construction-list collections and registers their
// audit outboxes.
func (s *Service) openLists(ctx context.Context) error {
	var err error
	if s.ls.lists, err = openRecord[listRecord](ctx, s.store, listSchema, listName); err != nil {
		return err
	}
	if s.ls.revisions, err = openRecord[listRevision](ctx, s.store, listRevisionSchema, T("清单版本", "list revision")); err != nil {
		return err
	}
	if s.ls.responses, err = openRecord[responseRecord](ctx, s.store, responseSchema, T("响应", "response")); err != nil {
		return err
	}
	if s.ls.needs, err = openRecord[needRecord](ctx, s.store, needSchema, T("数据需求", "data need")); err != nil {
		return err
	}
	if s.ls.stats, err = openRecord[statsRecord](ctx, s.store, statsSchema, T("统计", "statistics")); err != nil {
		return err
	}
	s.outboxes = append(s.outboxes,
		func(ctx context.Context) error { return flushDirty(ctx, s, s.ls.lists) },
		func(ctx context.Context) error { return flushDirty(ctx, s, s.ls.responses) },
		func(ctx context.Context) error { return flushDirty(ctx, s, s.ls.needs) },
	)
	s.noticeBoxes = append(s.noticeBoxes, func(ctx context.Context) error { return flushNoticesDirty(ctx, s, s.ls.needs, nil) })
	return nil
}

// listResource describes a list for the ACL: its status, and the
// organisation acting on it (responses).
func listResource(l *ConstructionList, org string) Resource {
	return Resource{Status: l.Status, OwnerOrg: org}
}

// decideList asks the ACL about act on list l (org: the organisation a
// response belongs to). A caller who may not even read the list gets
// NotFound, whatever it asked; other denials are audited and answer
// Unauthenticated or Forbidden with the decision.
func (s *Service) decideList(ctx context.Context, p Principal, act Action, l *ConstructionList, org string) (Decision, error) {
	d, err := s.authz.Decide(ctx, p.Subject(), act, listResource(l, org))
	if err != nil || d.Allowed {
		return d, err
	}
	if act == ActViewList {
		return d, NotFound(listName)
	}
	if err := s.audit(ctx, p, "denied."+string(act), "list:"+l.ID, d, nil); err != nil {
		s.log.Warn("could not audit a denial", "err", err)
	}
	v, err := s.authz.Decide(ctx, p.Subject(), ActViewList, listResource(l, ""))
	if err != nil {
		return d, err
	}
	if !v.Allowed {
		return d, NotFound(listName)
	}
	if !p.SignedIn() {
		return d, &Error{Kind: KindUnauthenticated, Message: d.Reason, Detail: d}
	}
	return d, &Error{Kind: KindForbidden, Message: d.Reason, Detail: d}
}

// readableList loads a list the principal may read; NotFound otherwise.
func (s *Service) readableList(ctx context.Context, p Principal, id string) (listRecord, int64, error) {
	rec, rev, err := s.ls.lists.get(ctx, id)
	if err != nil {
		return rec, 0, err
	}
	if _, err := s.decideList(ctx, p, ActViewList, &rec.ConstructionList, ""); err != nil {
		return listRecord{}, 0, err
	}
	return rec, rev, nil
}

// canManageLists reports whether p manages lists (sees drafts and the
// needs behind items), without auditing anything.
func (s *Service) canManageLists(ctx context.Context, p Principal) bool {
	d, err := s.authz.Decide(ctx, p.Subject(), ActManageLists, Resource{})
	return err == nil && d.Allowed
}

// forReader strips what only list managers see.
func (s *Service) forReader(ctx context.Context, p Principal, l ConstructionList) ConstructionList {
	if s.canManageLists(ctx, p) {
		return l
	}
	items := make([]ListItem, len(l.Items))
	for i, it := range l.Items {
		it.Needs = nil
		items[i] = it
	}
	l.Items = items
	return l
}

// NewList is the body of a list creation.
type NewList struct {
	// ID is the list's code; "<year>-<batch>" when empty.
	ID string `json:"id"`
	ListFields
}

func checkListID(v *Validation, id string) {
	if !ValidSlug(id) || len(id) > listIDMax {
		v.Add("id", "slug", "清单标识须为 3–40 位小写字母、数字和连字符", "the list id must be 3–40 lower-case letters, digits and hyphens")
	}
}

// CreateList creates a draft list (bureau). Invalid for bad fields;
// Conflict when the id is taken.
func (s *Service) CreateList(ctx context.Context, p Principal, in NewList) (ConstructionList, error) {
	if !p.SignedIn() {
		return ConstructionList{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	// A new list is not yet an object anyone could be hidden from: a
	// denial is a plain 403.
	dec, err := s.decide(ctx, p, ActManageLists, Resource{Status: ListDraft})
	if err != nil {
		return ConstructionList{}, err
	}
	return s.insertList(ctx, p, dec, in, "list.create", nil)
}

func (s *Service) insertList(ctx context.Context, p Principal, dec Decision, in NewList, action string, detail map[string]string) (ConstructionList, error) {
	in.ID = strings.TrimSpace(in.ID)
	if in.ID == "" && in.Year != 0 && in.Batch != 0 {
		in.ID = fmt.Sprintf("%d-%d", in.Year, in.Batch)
	}
	in.Normalize()
	var v Validation
	checkListID(&v, in.ID)
	if err := in.ListFields.Validate(); err != nil {
		v.Fields = append(v.Fields, err.(*Error).Fields...)
	}
	for i, it := range in.Items {
		if len(it.Needs) > 0 {
			v.Add(fmt.Sprintf("items[%d].needs", i), "read_only", "新清单的条目不能预设关联需求", "items of a new list cannot carry needs")
		}
	}
	if err := v.Err(); err != nil {
		return ConstructionList{}, err
	}
	now := s.now()
	l := ConstructionList{ID: in.ID, ListFields: in.ListFields, Status: ListDraft, Changelog: []ListChange{},
		CreatedBy: p.User.ID, CreatedAt: now, UpdatedAt: now, Rev: 1}
	rec := listRecord{ConstructionList: l}
	if detail == nil {
		detail = map[string]string{}
	}
	detail["items"] = strconv.Itoa(len(l.Items))
	rec.add(s.newAuditEvent(p, action, "list:"+l.ID, dec, detail))
	if _, err := s.ls.lists.insert(ctx, l.ID, &rec); err != nil {
		if IsKind(err, KindConflict) {
			return l, &Error{Kind: KindConflict, Message: T("清单标识已被使用，请换一个", "this list id is taken; choose another"),
				Fields: []FieldError{{Field: "id", Code: "duplicate", Message: T("已被使用", "taken")}}}
		}
		return l, err
	}
	s.flushList(ctx, l.ID)
	return l, nil
}

// flushList moves a list's audit events into the chain; the periodic
// flush retries what fails here.
func (s *Service) flushList(ctx context.Context, id string) {
	if err := flushOutbox(ctx, s, s.ls.lists, id); err != nil {
		s.log.Warn("audit flush deferred", "list", id, "err", err)
	}
}

// List returns a list the principal may read: published and closed lists
// for everyone, drafts for the bureau. NotFound otherwise.
func (s *Service) List(ctx context.Context, p Principal, id string) (ConstructionList, error) {
	rec, _, err := s.readableList(ctx, p, id)
	if err != nil {
		return ConstructionList{}, err
	}
	return s.forReader(ctx, p, rec.ConstructionList), nil
}

// ListSummary is a list without its items, for listings.
type ListSummary struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	TitleEn     string     `json:"title_en"`
	Year        int        `json:"year"`
	Batch       int        `json:"batch"`
	Status      string     `json:"status"`
	Revision    int        `json:"revision"`
	Items       int        `json:"items"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Rev         int64      `json:"rev"`
}

func summarize(l *ConstructionList) ListSummary {
	return ListSummary{ID: l.ID, Title: l.Title, TitleEn: l.TitleEn, Year: l.Year, Batch: l.Batch, Status: l.Status,
		Revision: l.Revision, Items: len(l.Items), UpdatedAt: l.UpdatedAt, PublishedAt: l.PublishedAt, Rev: l.Rev}
}

// Lists pages through the lists the principal may read, newest change
// first. status narrows to one status.
func (s *Service) Lists(ctx context.Context, p Principal, status string, offset, limit int) ([]ListSummary, int64, error) {
	var statuses []string
	for _, st := range ListStatuses.Values() {
		if status != "" && st != status {
			continue
		}
		// Which statuses the caller may read comes from the policy.
		d, err := s.authz.Decide(ctx, p.Subject(), ActViewList, Resource{Status: st})
		if err != nil {
			return nil, 0, err
		}
		if d.Allowed {
			statuses = append(statuses, st)
		}
	}
	if status != "" && !ListStatuses.Has(status) {
		return nil, 0, &Error{Kind: KindInvalid, Message: T("状态须为 draft、published 或 closed", "status must be draft, published or closed"),
			Fields: []FieldError{{Field: "status", Code: "vocabulary", Message: T("未知状态", "unknown status")}}}
	}
	if len(statuses) == 0 {
		return []ListSummary{}, 0, nil
	}
	f := []Filter{WhereIn("status", statuses...)}
	n, err := s.ls.lists.c.Count(ctx, f...)
	if err != nil {
		return nil, 0, err
	}
	page, _, err := s.ls.lists.find(ctx, Query{Filters: f, Sort: "updated_at", Desc: true, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	out := make([]ListSummary, 0, len(page))
	for _, r := range page {
		out = append(out, summarize(&r.V.ConstructionList))
	}
	return out, n, nil
}

// changeList is the read-check-modify-write cycle of every list change:
// it loads the list, checks act, applies fn (which returns the audit
// detail), snapshots the published revision about to be replaced, counts
// the new revision with its changelog when the content of a published list
// changed, and writes the list back guarded by the revision it read,
// retrying from the start when another writer got in between.
func (s *Service) changeList(ctx context.Context, p Principal, id string, act Action, ifMatch int64, action, note string,
	fn func(l *ConstructionList) (map[string]string, error)) (ConstructionList, error) {
	for attempt := 0; ; attempt++ {
		rec, storeRev, err := s.readableList(ctx, p, id)
		if err != nil {
			return ConstructionList{}, err
		}
		l := &rec.ConstructionList
		dec, err := s.decideList(ctx, p, act, l, "")
		if err != nil {
			return ConstructionList{}, err
		}
		if ifMatch != 0 && ifMatch != l.Rev {
			return *l, &Error{Kind: KindPrecondition, Message: T("清单已被他人修改，请刷新后重试", "the list was changed since you loaded it; reload and retry")}
		}
		before := *l
		before.Items = slices.Clone(l.Items)
		detail, err := fn(l)
		if err != nil {
			return before, err
		}
		if detail == nil {
			detail = map[string]string{}
		}
		changes := diffLists(&before, l)
		if before.Revision > 0 && len(changes) > 0 && before.Status != ListDraft {
			if err := s.snapshotList(ctx, &before); err != nil {
				return before, err
			}
			l.Revision = before.Revision + 1
			l.Changelog = append(slices.Clone(before.Changelog), ListChange{Revision: l.Revision, At: s.now(), By: p.User.ID, Note: strings.TrimSpace(note), Changes: changes})
			detail["revision"] = strconv.Itoa(l.Revision)
		}
		if sameList(&before, l) {
			return before, nil // nothing changed
		}
		if needsChanged(&before, l) || (before.Status == ListDraft && l.Status == ListPublished && hasNeeds(l)) {
			rec.SyncPending = true
		}
		l.Rev++
		l.UpdatedAt = s.now()
		detail["rev"] = strconv.FormatInt(l.Rev, 10)
		rec.add(s.newAuditEvent(p, action, "list:"+l.ID, dec, detail))
		_, err = s.ls.lists.replace(ctx, l.ID, storeRev, &rec)
		if err == nil {
			s.flushList(ctx, l.ID)
			if rec.SyncPending && !s.ls.skipSync {
				if err := s.syncListNeeds(ctx, l.ID); err != nil {
					s.log.Warn("need sync deferred", "list", l.ID, "err", err)
				}
			}
			return *l, nil
		}
		if !errors.Is(err, ErrStale) || attempt >= maxStaleRetries {
			return *l, err
		}
		staleWait(attempt)
	}
}

// revisionKey is the document id of revision n of list id.
func revisionKey(id string, n int) string { return fmt.Sprintf("%s@%06d", id, n) }

// snapshotList stores the content of l's current revision, once.
func (s *Service) snapshotList(ctx context.Context, l *ConstructionList) error {
	snap := listRevision{ListID: l.ID, Revision: l.Revision, List: *l}
	_, err := s.ls.revisions.insert(ctx, revisionKey(l.ID, l.Revision), &snap)
	if IsKind(err, KindConflict) {
		return nil // stored by an earlier attempt
	}
	return err
}

// diffLists lists what changed between two versions of a list's content.
func diffLists(a, b *ConstructionList) []ChangedEntry {
	var out []ChangedEntry
	var fields []string
	for _, f := range []struct {
		name string
		x, y any
	}{{"title", a.Title, b.Title}, {"title_en", a.TitleEn, b.TitleEn}, {"year", a.Year, b.Year}, {"batch", a.Batch, b.Batch},
		{"description", a.Description, b.Description}, {"description_en", a.DescriptionEn, b.DescriptionEn}} {
		if f.x != f.y {
			fields = append(fields, f.name)
		}
	}
	if len(fields) > 0 {
		out = append(out, ChangedEntry{Op: "changed", Fields: fields})
	}
	old := map[string]ListItem{}
	for _, it := range a.Items {
		old[it.Code] = it
	}
	now := map[string]bool{}
	for _, it := range b.Items {
		now[it.Code] = true
		o, ok := old[it.Code]
		switch {
		case !ok:
			out = append(out, ChangedEntry{Item: it.Code, Op: "added"})
		case !o.Cancelled && it.Cancelled:
			out = append(out, ChangedEntry{Item: it.Code, Op: "cancelled"})
		case o.Cancelled && !it.Cancelled:
			out = append(out, ChangedEntry{Item: it.Code, Op: "restored"})
		default:
			if f := itemFieldsChanged(o, it); len(f) > 0 {
				out = append(out, ChangedEntry{Item: it.Code, Op: "changed", Fields: f})
			}
		}
	}
	for _, it := range a.Items {
		if !now[it.Code] {
			out = append(out, ChangedEntry{Item: it.Code, Op: "removed"})
		}
	}
	return out
}

// needsChanged reports whether an item gained or lost a need.
func needsChanged(a, b *ConstructionList) bool {
	old := map[string]string{}
	for _, it := range a.Items {
		old[it.Code] = strings.Join(it.Needs, ",")
	}
	for _, it := range b.Items {
		if len(it.Needs) > 0 && old[it.Code] != strings.Join(it.Needs, ",") {
			return true
		}
	}
	return false
}

func hasNeeds(l *ConstructionList) bool {
	for _, it := range l.Items {
		if len(it.Needs) > 0 {
			return true
		}
	}
	return false
}

// sameList reports whether two versions of a list are equal in everything
// a change may touch.
func sameList(a, b *ConstructionList) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// itemFieldsChanged names the public fields that differ between two
// versions of an item. The needs behind an item are the bureau's
// bookkeeping, not content: linking one makes no new revision.
func itemFieldsChanged(a, b ListItem) []string {
	a.Needs, b.Needs = nil, nil
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) == string(jb) {
		return nil
	}
	var ma, mb map[string]any
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	var out []string
	for k := range mb {
		if fmt.Sprint(ma[k]) != fmt.Sprint(mb[k]) {
			out = append(out, k)
		}
	}
	for k := range ma {
		if _, ok := mb[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func errListClosed() error {
	return &Error{Kind: KindConflict, Message: T("清单已截止，不能再修改", "the list is closed and cannot change")}
}

// listPatchNote is the member of a list merge patch that carries the note
// for the changelog of a published list.
const listPatchNote = "change_note"

// PatchList applies a JSON merge patch (RFC 7396) to the list fields
// (bureau). A change of a published list makes a new revision; the patch
// may carry "change_note" for its changelog. Items removed from a
// published list are refused (cancel them instead).
func (s *Service) PatchList(ctx context.Context, p Principal, id string, ifMatch int64, patch []byte) (ConstructionList, error) {
	var pm any
	if err := DecodeStrict(patch, &pm); err != nil {
		return ConstructionList{}, err
	}
	obj, ok := pm.(map[string]any)
	if !ok {
		return ConstructionList{}, &Error{Kind: KindInvalid, Message: T("合并补丁须为 JSON 对象", "a merge patch must be a JSON object")}
	}
	note, _ := obj[listPatchNote].(string)
	delete(obj, listPatchNote)
	return s.changeList(ctx, p, id, ActManageLists, ifMatch, "list.edit", note, func(l *ConstructionList) (map[string]string, error) {
		if l.Status == ListClosed {
			return nil, errListClosed()
		}
		cur, err := json.Marshal(l.ListFields)
		if err != nil {
			return nil, Internal(err, "encode list")
		}
		var target any
		if err := json.Unmarshal(cur, &target); err != nil {
			return nil, Internal(err, "decode list")
		}
		merged, err := json.Marshal(mergePatch(target, obj))
		if err != nil {
			return nil, Internal(err, "encode merged list")
		}
		var f ListFields
		if err := DecodeStrict(merged, &f); err != nil {
			return nil, err
		}
		f.Normalize()
		if err := f.Validate(); err != nil {
			return nil, err
		}
		if err := keepPublishedItems(l, f.Items); err != nil {
			return nil, err
		}
		l.ListFields = f
		return nil, nil
	})
}

// keepPublishedItems refuses a new item set that drops items of a
// published list, and keeps the needs of items the new set still has.
func keepPublishedItems(l *ConstructionList, items []ListItem) error {
	have := map[string]bool{}
	for i := range items {
		have[items[i].Code] = true
		if old, ok := l.Item(items[i].Code); ok && items[i].Needs == nil {
			items[i].Needs = old.Needs
		}
	}
	if l.Status == ListDraft {
		return nil
	}
	var v Validation
	for _, it := range l.Items {
		if !have[it.Code] {
			v.Add("items", "removed", "已发布清单的条目“"+it.Code+"”不能删除，可将其标记为取消（cancelled）",
				"item "+it.Code+" of a published list cannot be removed; mark it cancelled instead")
		}
	}
	if err := v.Err(); err != nil {
		e := err.(*Error)
		e.Kind = KindConflict
		return e
	}
	return nil
}

// PublishList publishes a draft list: it becomes public as revision 1.
func (s *Service) PublishList(ctx context.Context, p Principal, id string, ifMatch int64) (ConstructionList, error) {
	return s.changeList(ctx, p, id, ActManageLists, ifMatch, "list.publish", "", func(l *ConstructionList) (map[string]string, error) {
		if l.Status != ListDraft {
			return nil, &Error{Kind: KindConflict, Message: T("只能发布草稿清单", "only a draft list can be published")}
		}
		if len(l.Items) == 0 {
			return nil, &Error{Kind: KindInvalid, Message: T("清单没有条目，不能发布", "a list without items cannot be published"),
				Fields: []FieldError{{Field: "items", Code: "required", Message: T("至少需要一个条目", "at least one item is required")}}}
		}
		if err := l.ListFields.Validate(); err != nil {
			return nil, err
		}
		now := s.now()
		l.Status, l.PublishedAt, l.Revision = ListPublished, &now, 1
		return map[string]string{"status": "draft→published"}, nil
	})
}

// CloseList closes a published list: it stays public and readable, takes
// no new responses, and the bureau may still review deliveries.
func (s *Service) CloseList(ctx context.Context, p Principal, id, reason string, ifMatch int64) (ConstructionList, error) {
	reason = strings.TrimSpace(reason)
	var v Validation
	checkText(&v, "reason", reason, 0, 1000, "截止说明", "Reason")
	if err := v.Err(); err != nil {
		return ConstructionList{}, err
	}
	return s.changeList(ctx, p, id, ActManageLists, ifMatch, "list.close", "", func(l *ConstructionList) (map[string]string, error) {
		if l.Status != ListPublished {
			return nil, &Error{Kind: KindConflict, Message: T("只能截止已发布的清单", "only a published list can be closed")}
		}
		now := s.now()
		l.Status, l.ClosedAt, l.CloseReason = ListClosed, &now, reason
		return map[string]string{"status": "published→closed"}, nil
	})
}

// ItemChange is the body of an item edit: the item, and a note for the
// changelog of a published list.
type ItemChange struct {
	ListItem
	ChangeNote string `json:"change_note,omitempty"`
}

// AddItem adds an item to a draft or published list (bureau).
func (s *Service) AddItem(ctx context.Context, p Principal, id string, in ItemChange, ifMatch int64) (ConstructionList, ListItem, error) {
	return s.addItem(ctx, p, id, in, ifMatch, false)
}

// addItem adds an item; withNeeds lets the needs it was made from come
// with it, in the same write.
func (s *Service) addItem(ctx context.Context, p Principal, id string, in ItemChange, ifMatch int64, withNeeds bool) (ConstructionList, ListItem, error) {
	in.Normalize()
	if fe := in.validate(); len(fe) > 0 {
		return ConstructionList{}, ListItem{}, (&Validation{Fields: fe}).Err()
	}
	if len(in.Needs) > 0 && !withNeeds {
		return ConstructionList{}, ListItem{}, &Error{Kind: KindInvalid, Message: T("新条目不能预设关联需求", "a new item cannot carry needs"),
			Fields: []FieldError{{Field: "needs", Code: "read_only", Message: T("由数据需求转入时设置", "set when needs are turned into the item")}}}
	}
	l, err := s.changeList(ctx, p, id, ActManageLists, ifMatch, "list.item.add", in.ChangeNote, func(l *ConstructionList) (map[string]string, error) {
		if l.Status == ListClosed {
			return nil, errListClosed()
		}
		if _, ok := l.Item(in.Code); ok {
			return nil, &Error{Kind: KindConflict, Message: T("条目编号已存在", "an item with this code exists"),
				Fields: []FieldError{{Field: "code", Code: "duplicate", Message: T("已存在", "exists")}}}
		}
		if len(l.Items) >= MaxListItems {
			return nil, &Error{Kind: KindInvalid, Message: T("清单条目已达上限", "the list has the maximum number of items")}
		}
		l.Items = append(l.Items, in.ListItem)
		return map[string]string{"item": in.Code}, nil
	})
	return l, in.ListItem, err
}

// PatchItem applies a JSON merge patch to an item (bureau); the patch may
// carry "change_note" for the changelog of a published list. The code
// cannot change, and the needs behind an item are not edited this way.
// Cancelling an item of a published list is {"cancelled": true}.
func (s *Service) PatchItem(ctx context.Context, p Principal, id, code string, ifMatch int64, patch []byte) (ConstructionList, ListItem, error) {
	var pm any
	if err := DecodeStrict(patch, &pm); err != nil {
		return ConstructionList{}, ListItem{}, err
	}
	obj, ok := pm.(map[string]any)
	if !ok {
		return ConstructionList{}, ListItem{}, &Error{Kind: KindInvalid, Message: T("合并补丁须为 JSON 对象", "a merge patch must be a JSON object")}
	}
	note, _ := obj[listPatchNote].(string)
	delete(obj, listPatchNote)
	code = NormalizeItemCode(code)
	var out ListItem
	l, err := s.changeList(ctx, p, id, ActManageLists, ifMatch, "list.item.edit", note, func(l *ConstructionList) (map[string]string, error) {
		if l.Status == ListClosed {
			return nil, errListClosed()
		}
		it, ok := l.Item(code)
		if !ok {
			return nil, NotFound(T("清单条目", "list item"))
		}
		cur, err := json.Marshal(it)
		if err != nil {
			return nil, Internal(err, "encode item")
		}
		var target any
		if err := json.Unmarshal(cur, &target); err != nil {
			return nil, Internal(err, "decode item")
		}
		merged, err := json.Marshal(mergePatch(target, obj))
		if err != nil {
			return nil, Internal(err, "encode merged item")
		}
		var next ListItem
		if err := DecodeStrict(merged, &next); err != nil {
			return nil, err
		}
		next.Needs = it.Needs
		next.Normalize()
		if next.Code != code {
			return nil, &Error{Kind: KindInvalid, Message: T("条目编号不能修改", "an item's code cannot change"),
				Fields: []FieldError{{Field: "code", Code: "read_only", Message: T("不能修改", "cannot change")}}}
		}
		if fe := next.validate(); len(fe) > 0 {
			return nil, (&Validation{Fields: fe}).Err()
		}
		*it = next
		out = next
		return map[string]string{"item": code}, nil
	})
	return l, out, err
}

// DeleteItem removes an item from a draft list. Items of a published list
// are cancelled instead (Conflict).
func (s *Service) DeleteItem(ctx context.Context, p Principal, id, code string, ifMatch int64) (ConstructionList, error) {
	code = NormalizeItemCode(code)
	return s.changeList(ctx, p, id, ActManageLists, ifMatch, "list.item.remove", "", func(l *ConstructionList) (map[string]string, error) {
		if l.Status != ListDraft {
			return nil, &Error{Kind: KindConflict, Message: T("已发布清单的条目不能删除，可将其标记为取消（cancelled）", "items of a published list cannot be deleted; mark them cancelled instead")}
		}
		for i, it := range l.Items {
			if it.Code == code {
				l.Items = slices.Delete(l.Items, i, i+1)
				return map[string]string{"item": code}, nil
			}
		}
		return nil, NotFound(T("清单条目", "list item"))
	})
}

// Revisions returns the changelog of a list, newest first, with the
// revision numbers that can be read.
func (s *Service) Revisions(ctx context.Context, p Principal, id string) ([]ListChange, error) {
	l, err := s.List(ctx, p, id)
	if err != nil {
		return nil, err
	}
	out := []ListChange{}
	if l.Revision >= 1 && l.PublishedAt != nil {
		out = append(out, ListChange{Revision: 1, At: *l.PublishedAt, By: l.CreatedBy, Changes: []ChangedEntry{{Op: "published"}}})
	}
	out = append(out, l.Changelog...)
	slices.Reverse(out)
	return out, nil
}

// ListRevision returns the list as it was at revision n (the current list
// for the current revision). NotFound for an unknown revision.
func (s *Service) ListRevision(ctx context.Context, p Principal, id string, n int) (ConstructionList, error) {
	l, err := s.List(ctx, p, id)
	if err != nil {
		return l, err
	}
	if n == l.Revision {
		return l, nil
	}
	if n < 1 || n > l.Revision {
		return ConstructionList{}, NotFound(T("清单版本", "list revision"))
	}
	snap, _, err := s.ls.revisions.get(ctx, revisionKey(id, n))
	if err != nil {
		return ConstructionList{}, err
	}
	return s.forReader(ctx, p, snap.List), nil
}
