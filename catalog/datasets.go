package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// datasetRecord is a dataset as stored: the dataset plus bookkeeping that
// is indexed but not part of the API shape.
type datasetRecord struct {
	Dataset
	// AwaitingConfirmation mirrors Dataset.AwaitingConfirmation for the
	// bureau's queue query.
	AwaitingConfirmation bool `json:"awaiting_confirmation"`
	// IndexPending is set by every write and cleared by the indexer once
	// the search index holds this content revision. Set in the same
	// single-document write as the change, so a crash loses nothing.
	IndexPending bool `json:"index_pending"`
	auditOutbox
	// noticeOutbox holds what a withdrawal or a re-grading sets in motion
	// for the dataset's grants, requests and users (exchange.go).
	noticeOutbox
}

func (r *datasetRecord) outbox() *auditOutbox   { return &r.auditOutbox }
func (r *datasetRecord) notices() *noticeOutbox { return &r.noticeOutbox }

// NewDataset is the body of a create request.
type NewDataset struct {
	ID string `json:"id"`
	DatasetFields
}

var datasetName = T("数据集", "dataset")

// saveDataset writes a changed dataset guarded by the store revision it
// was read at (0: a new dataset), with its audit events in the same write,
// marks it for indexing, moves the events into the audit chain and wakes
// the indexer.
func (s *Service) saveDataset(ctx context.Context, rec *datasetRecord, storeRev int64, events ...AuditEvent) (int64, error) {
	rec.AwaitingConfirmation = rec.Dataset.AwaitingConfirmation()
	rec.IndexPending = true
	for _, e := range events {
		rec.add(e)
	}
	var rev int64
	var err error
	if storeRev == 0 {
		rev, err = s.datasets.insert(ctx, rec.ID, rec)
	} else {
		rev, err = s.datasets.replace(ctx, rec.ID, storeRev, rec)
	}
	if err != nil {
		return 0, err
	}
	if err := flushOutbox(ctx, s, s.datasets, rec.ID); err != nil {
		// The events are safe in the outbox; the periodic flush retries.
		s.log.Warn("audit flush deferred", "dataset", rec.ID, "err", err)
	}
	if rec.NoticeDirty {
		// Likewise: grants, requests and users are brought in line with
		// the change now, or by the periodic flush after a crash.
		if err := s.flushDatasetNotices(ctx, rec.ID); err != nil {
			s.log.Warn("dataset notices deferred", "dataset", rec.ID, "err", err)
		}
	}
	s.Kick()
	return rev, nil
}

// Kick wakes the indexer; it never blocks.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// MayRegisterDataset reports, as an error with its explanation, why the
// caller may not register datasets (nil if they may): the registration
// form asks before it is shown, CreateDataset before it writes.
func (s *Service) MayRegisterDataset(ctx context.Context, p Principal, tier Tier) (Decision, error) {
	if !p.SignedIn() {
		return Decision{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	if p.Org == nil {
		return Decision{}, &Error{Kind: KindForbidden, Message: T("只有属于某个机构的数据提供者可以登记数据集", "only providers who belong to an organisation can register datasets")}
	}
	return s.decide(ctx, p, ActEdit, Resource{Tier: tier, OwnerOrg: p.Org.ID, Status: StatusDraft})
}

// CreateDataset registers a draft dataset for the caller's organisation.
// Invalid for bad fields; Conflict if the id is not available.
func (s *Service) CreateDataset(ctx context.Context, p Principal, in NewDataset) (Dataset, error) {
	dec, err := s.MayRegisterDataset(ctx, p, in.Tier)
	if err != nil {
		return Dataset{}, err
	}
	in.ID = strings.TrimSpace(in.ID)
	if err := listItemsReadOnly(in.ListItems, nil); err != nil {
		return Dataset{}, err
	}
	now := s.now()
	d := Dataset{ID: in.ID, DatasetFields: in.DatasetFields, Publisher: p.Org.ID, PublisherName: p.Org.Name, PublisherEn: p.Org.NameEn,
		Status: StatusDraft, Versions: []Version{}, CreatedBy: p.User.ID, CreatedAt: now, UpdatedAt: now, Rev: 1}
	d.Normalize()
	if err := d.Validate(); err != nil {
		return d, err
	}
	rec := datasetRecord{Dataset: d}
	ev := s.newAuditEvent(p, "dataset.create", "dataset:"+d.ID, dec, map[string]string{"tier": string(d.Tier)})
	if _, err := s.saveDataset(ctx, &rec, 0, ev); err != nil {
		if IsKind(err, KindConflict) {
			// Say "not available" rather than "exists": the holder may be
			// a dataset the caller may not see.
			return d, &Error{Kind: KindConflict, Message: T("该标识不可用，请换一个", "this id is not available; choose another"),
				Fields: []FieldError{{Field: "id", Code: "unavailable", Message: T("该标识不可用", "not available")}}}
		}
		return d, err
	}
	return d, nil
}

// viewable loads a dataset the principal may view. NotFound otherwise, with
// the same message whether it is missing or hidden.
func (s *Service) viewable(ctx context.Context, p Principal, id string) (datasetRecord, int64, error) {
	rec, rev, err := s.datasets.get(ctx, id)
	if err != nil {
		return datasetRecord{}, 0, err
	}
	if _, err := s.decide(ctx, p, ActView, viewResource(&rec.Dataset)); err != nil {
		return datasetRecord{}, 0, err
	}
	return rec, rev, nil
}

// resource describes d for the ACL, with the principal's grant state.
func (s *Service) resource(ctx context.Context, p Principal, d *Dataset) Resource {
	r := ResourceOf(d)
	r.HasGrant = s.hasGrant(ctx, p, d)
	return r
}

// viewResource describes d for a view decision. It needs no grant lookup:
// view rules cannot depend on grants (acl refuses a view line with a
// condition that has no search-filter form, and has_grant has none), so
// every page and search hit costs no extra query.
func viewResource(d *Dataset) Resource { return ResourceOf(d) }

// hasGrant reports whether the principal holds a current download grant:
// active, unexpired and valid under the dataset's present tier. It asks the
// store at every call (nothing is cached), so an expired, revoked or
// suspended grant stops downloads at once.
func (s *Service) hasGrant(ctx context.Context, p Principal, d *Dataset) bool {
	g, err := s.currentGrant(ctx, p, d)
	if err != nil {
		s.log.Warn("grant lookup failed; treated as no grant", "dataset", d.ID, "err", err)
		return false
	}
	return g != nil
}

// Dataset returns a dataset the principal may view; NotFound if it does
// not exist or is hidden from the principal.
func (s *Service) Dataset(ctx context.Context, p Principal, id string) (Dataset, error) {
	rec, _, err := s.viewable(ctx, p, id)
	if err != nil {
		return Dataset{}, err
	}
	d := rec.Dataset
	return d, s.datasetForReader(ctx, p, &d)
}

// Permissions lists what the principal may do with d and why, for pages
// and clients that show or hide actions.
func (s *Service) Permissions(ctx context.Context, p Principal, d *Dataset) (map[Action]Decision, error) {
	r := s.resource(ctx, p, d)
	out := map[Action]Decision{}
	for _, act := range []Action{ActDownload, ActEdit, ActPublish, ActWithdraw, ActRequest, ActDecide, ActConfirmTier} {
		dec, err := s.authz.Decide(ctx, p.Subject(), act, r)
		if err != nil {
			return nil, err
		}
		out[act] = dec
	}
	return out, nil
}

// Explain returns the decision on act for a dataset the principal may view.
func (s *Service) Explain(ctx context.Context, p Principal, id string, act Action) (Decision, error) {
	known := false
	for _, a := range Actions {
		known = known || a == act
	}
	if !known {
		return Decision{}, &Error{Kind: KindInvalid, Message: T("未知的操作", "unknown action"),
			Fields: []FieldError{{Field: "action", Code: "vocabulary", Message: T("未知的操作", "unknown action")}}}
	}
	rec, _, err := s.viewable(ctx, p, id)
	if err != nil {
		return Decision{}, err
	}
	r := s.resource(ctx, p, &rec.Dataset)
	d, err := s.authz.Decide(ctx, p.Subject(), act, r)
	if err != nil {
		return d, err
	}
	return s.withStanding(ctx, p, act, r, d), nil
}

// changeDataset is the read-check-modify-write cycle of every dataset
// change: it loads the dataset, checks view and act, applies fn and writes
// it back, retrying from the start when another writer got in between.
// ifMatch, when not zero, is the content revision the client last saw.
func (s *Service) changeDataset(ctx context.Context, p Principal, id string, act Action, ifMatch int64, fn func(d *Dataset) error) (Dataset, error) {
	for attempt := 0; ; attempt++ {
		rec, storeRev, err := s.viewable(ctx, p, id)
		if err != nil {
			return Dataset{}, err
		}
		d := &rec.Dataset
		dec, err := s.decide(ctx, p, act, s.resource(ctx, p, d))
		if err != nil {
			return Dataset{}, err
		}
		if ifMatch != 0 && ifMatch != d.Rev {
			return *d, &Error{Kind: KindPrecondition, Message: T("数据集已被他人修改，请刷新后重试", "the dataset was changed since you loaded it; reload and retry")}
		}
		oldTier, oldStatus := d.Tier, d.Status
		if err := fn(d); err != nil {
			return *d, err
		}
		d.Rev++
		d.UpdatedAt = s.now()
		detail := map[string]string{"rev": strconv.FormatInt(d.Rev, 10)}
		if d.Tier != oldTier {
			detail["tier"] = string(oldTier) + "→" + string(d.Tier)
		}
		if d.Status != oldStatus {
			detail["status"] = oldStatus + "→" + d.Status
		}
		ev := s.newAuditEvent(p, "dataset."+string(act), "dataset:"+d.ID, dec, detail)
		s.noteDatasetChange(&rec, oldTier, oldStatus, ev)
		_, err = s.saveDataset(ctx, &rec, storeRev, ev)
		if err == nil {
			return *d, nil
		}
		if !errors.Is(err, ErrStale) || attempt >= maxStaleRetries {
			return *d, err
		}
		staleWait(attempt)
	}
}

// PatchDataset applies a JSON merge patch (RFC 7396) to the writable
// fields. Precondition if ifMatch is stale; Invalid for bad fields or
// read-only ones; Forbidden (with the explanation) for a tier the caller
// may not set.
func (s *Service) PatchDataset(ctx context.Context, p Principal, id string, ifMatch int64, patch []byte) (Dataset, error) {
	var pm any
	if err := DecodeStrict(patch, &pm); err != nil {
		return Dataset{}, err
	}
	if _, ok := pm.(map[string]any); !ok {
		return Dataset{}, &Error{Kind: KindInvalid, Message: T("合并补丁须为 JSON 对象", "a merge patch must be a JSON object")}
	}
	return s.changeDataset(ctx, p, id, ActEdit, ifMatch, func(d *Dataset) error {
		cur, err := json.Marshal(d.DatasetFields)
		if err != nil {
			return Internal(err, "encode fields")
		}
		var target any
		if err := json.Unmarshal(cur, &target); err != nil {
			return Internal(err, "decode fields")
		}
		merged, err := json.Marshal(mergePatch(target, pm))
		if err != nil {
			return Internal(err, "encode merged")
		}
		var f DatasetFields
		if err := DecodeStrict(merged, &f); err != nil {
			return err
		}
		if err := listItemsReadOnly(f.ListItems, d.ListItems); err != nil {
			return err
		}
		oldTier := d.Tier
		d.DatasetFields = f
		if err := s.checkTierChange(ctx, p, d, oldTier); err != nil {
			return err
		}
		d.Normalize()
		return d.Validate()
	})
}

// checkTierChange applies the tier rules to a provider's edit: lowering
// needs the lower-tier permission (refused once the bureau confirmed the
// tier); any change of tier by the provider awaits the bureau again.
func (s *Service) checkTierChange(ctx context.Context, p Principal, d *Dataset, old Tier) error {
	if d.Tier == old {
		return nil
	}
	if d.Tier.Level() < 0 {
		return nil // Validate reports it
	}
	if d.Tier.Level() < old.Level() {
		r := s.resource(ctx, p, d)
		r.Tier = old
		if _, err := s.decide(ctx, p, ActLowerTier, r); err != nil {
			return err
		}
	}
	d.TierConfirmed = false
	return nil
}

// PublishDataset makes a draft (or a withdrawn dataset) public under its tier.
func (s *Service) PublishDataset(ctx context.Context, p Principal, id string, ifMatch int64) (Dataset, error) {
	return s.changeDataset(ctx, p, id, ActPublish, ifMatch, func(d *Dataset) error {
		if d.Status == StatusPublished {
			return &Error{Kind: KindConflict, Message: T("数据集已发布", "the dataset is already published")}
		}
		if err := d.Validate(); err != nil {
			return err
		}
		now := s.now()
		d.Status, d.PublishedAt, d.WithdrawnAt, d.WithdrawReason = StatusPublished, &now, nil, ""
		return nil
	})
}

// WithdrawDataset takes a published dataset down, with a reason.
func (s *Service) WithdrawDataset(ctx context.Context, p Principal, id, reason string, ifMatch int64) (Dataset, error) {
	reason = strings.TrimSpace(reason)
	var v Validation
	checkText(&v, "reason", reason, 1, 1000, "撤回原因", "Reason")
	if err := v.Err(); err != nil {
		return Dataset{}, err
	}
	return s.changeDataset(ctx, p, id, ActWithdraw, ifMatch, func(d *Dataset) error {
		if d.Status != StatusPublished {
			return &Error{Kind: KindConflict, Message: T("只能撤回已发布的数据集", "only a published dataset can be withdrawn")}
		}
		now := s.now()
		d.Status, d.WithdrawnAt, d.WithdrawReason = StatusWithdrawn, &now, reason
		return nil
	})
}

// ConfirmTier records the bureau's confirmation of a tier: the declared
// one, a higher one, or (with the lower-tier permission) a lower one.
func (s *Service) ConfirmTier(ctx context.Context, p Principal, id string, tier Tier, reason string, ifMatch int64) (Dataset, error) {
	var v Validation
	if tier.Level() < 0 {
		v.Add("tier", "vocabulary", "分级须为 open、conditional、important 或 core", "tier must be open, conditional, important or core")
	}
	reason = strings.TrimSpace(reason)
	checkText(&v, "reason", reason, 0, 1000, "说明", "Reason")
	if err := v.Err(); err != nil {
		return Dataset{}, err
	}
	return s.changeDataset(ctx, p, id, ActConfirmTier, ifMatch, func(d *Dataset) error {
		old := d.Tier
		if tier.Level() < old.Level() {
			if _, err := s.decide(ctx, p, ActLowerTier, s.resource(ctx, p, d)); err != nil {
				return err
			}
		}
		d.Tier, d.TierConfirmed = tier, true
		d.TierConfirmation = &TierConfirmation{By: p.User.ID, At: s.now(), Previous: old, Reason: reason}
		return d.Validate()
	})
}

// NewVersion is the body of a version release.
type NewVersion struct {
	Number    string `json:"number"`
	Changelog string `json:"changelog"`
}

// AddVersion records a new version of a dataset.
func (s *Service) AddVersion(ctx context.Context, p Principal, id string, in NewVersion, ifMatch int64) (Dataset, error) {
	in.Number = strings.TrimSpace(in.Number)
	var v Validation
	checkText(&v, "number", in.Number, 1, 40, "版本号", "Version number")
	checkText(&v, "changelog", in.Changelog, 0, 10000, "变更说明", "Changelog")
	if err := v.Err(); err != nil {
		return Dataset{}, err
	}
	return s.changeDataset(ctx, p, id, ActEdit, ifMatch, func(d *Dataset) error {
		for _, o := range d.Versions {
			if o.Number == in.Number {
				return &Error{Kind: KindConflict, Message: T("版本号已存在", "this version number exists"),
					Fields: []FieldError{{Field: "number", Code: "duplicate", Message: T("版本号已存在", "exists")}}}
			}
		}
		d.Versions = append(d.Versions, Version{Number: in.Number, Changelog: in.Changelog, CreatedAt: s.now(), CreatedBy: p.User.ID})
		return nil
	})
}

// DatasetListQuery selects the datasets of a workspace list.
type DatasetListQuery struct {
	// Scope is "mine" (the caller's organisation, drafts included) or
	// "awaiting" (tiers awaiting the bureau's confirmation).
	Scope  string
	Status string
	Offset int
	Limit  int
}

// ListDatasets lists the caller's organisation's datasets, or the bureau's
// confirmation queue, newest change first. Every listed dataset is one the
// caller may view by the policy (checked one by one all the same).
func (s *Service) ListDatasets(ctx context.Context, p Principal, q DatasetListQuery) ([]Dataset, int64, error) {
	if !p.SignedIn() {
		return nil, 0, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	var v Validation
	if q.Status != "" && !Statuses.Has(q.Status) {
		v.Add("status", "vocabulary", "状态须为 draft、published 或 withdrawn", "status must be draft, published or withdrawn")
	}
	if q.Limit <= 0 || q.Limit > 100 {
		v.Add("per_page", "range", "每页条数须在 1–100 之间", "per_page must be 1–100")
	}
	var f []Filter
	switch q.Scope {
	case "mine", "":
		if p.Org == nil {
			return nil, 0, nil
		}
		f = append(f, Where("publisher", p.Org.ID))
	case "awaiting":
		if _, err := s.decide(ctx, p, ActConfirmTier, Resource{}); err != nil {
			return nil, 0, err
		}
		f = append(f, Where("awaiting_confirmation", true))
	default:
		v.Add("scope", "vocabulary", "范围须为 mine 或 awaiting", "scope must be mine or awaiting")
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	if q.Status != "" {
		f = append(f, Where("status", q.Status))
	}
	n, err := s.datasets.c.Count(ctx, f...)
	if err != nil {
		return nil, 0, err
	}
	page, _, err := s.datasets.find(ctx, Query{Filters: f, Sort: "updated_at", Desc: true, Offset: q.Offset, Limit: q.Limit})
	if err != nil {
		return nil, 0, err
	}
	out := make([]Dataset, 0, len(page))
	for _, rec := range page {
		d := rec.V.Dataset
		dec, err := s.authz.Decide(ctx, p.Subject(), ActView, viewResource(&d))
		if err != nil {
			return nil, 0, err
		}
		if !dec.Allowed {
			// The scopes above only select visible datasets; a dataset
			// that is not is a policy change to report, never to show.
			s.log.Error("listed dataset not viewable", "dataset", d.ID, "user", p.User.ID)
			return nil, 0, Internal(errors.New("list scope admits a hidden dataset"), "list datasets")
		}
		out = append(out, d)
	}
	return out, n, nil
}

// checkQueryText bounds a search query string.
func checkQueryText(v *Validation, q string) {
	if utf8.RuneCountInString(q) > 200 {
		v.Add("q", "too_long", "查询词最多 200 个字符", "the query is limited to 200 characters")
	}
	if !utf8.ValidString(q) {
		v.Add("q", "encoding", "查询词不是有效的 UTF-8", "the query is not valid UTF-8")
	}
}

// datasetForReader hides from a reader what the dataset's metadata must not give
// away: the address of an external link is where the data is, so only
// those who may download see it (others follow the portal's own download
// address, which decides and audits). Sample links stay visible.
func (s *Service) datasetForReader(ctx context.Context, p Principal, d *Dataset) error {
	hasLink := false
	for _, v := range d.Versions {
		for _, f := range v.Distributions {
			hasLink = hasLink || (f.Kind == DistURL && !f.Sample)
		}
	}
	if !hasLink {
		return nil
	}
	dec, err := s.authz.Decide(ctx, p.Subject(), ActDownload, s.resource(ctx, p, d))
	if err != nil || dec.Allowed {
		return err
	}
	versions := slices.Clone(d.Versions)
	for i := range versions {
		dists := slices.Clone(versions[i].Distributions)
		for j := range dists {
			if dists[j].Kind == DistURL && !dists[j].Sample {
				dists[j].URL = ""
			}
		}
		versions[i].Distributions = dists
	}
	d.Versions = versions
	return nil
}
