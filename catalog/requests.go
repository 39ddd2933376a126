package catalog

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// AccessRequest is a developer's request for access to a dataset. The
// provider's reviewers decide it; for important data the bureau decides
// after them. Rev is the content revision (the ETag): it moves with every
// state change, never with bookkeeping writes.
type AccessRequest struct {
	ID               string            `json:"id"`
	Dataset          string            `json:"dataset"`
	DatasetTitle     string            `json:"dataset_title"`
	DatasetTitleEn   string            `json:"dataset_title_en"`
	ProviderOrg      string            `json:"provider_org"`
	Tier             Tier              `json:"tier"`
	Requester        string            `json:"requester"`
	RequesterName    string            `json:"requester_name"`
	RequesterOrg     string            `json:"requester_org,omitempty"`
	RequesterOrgName string            `json:"requester_org_name,omitempty"`
	Purpose          string            `json:"purpose"`
	IntendedUse      string            `json:"intended_use"`
	DurationDays     int               `json:"duration_days"`
	Terms            TermsAcceptance   `json:"terms"`
	State            string            `json:"state"`
	BureauStage      bool              `json:"bureau_stage"` // the bureau decides too (important data)
	Decisions        []RequestDecision `json:"decisions"`
	GrantID          string            `json:"grant_id,omitempty"`
	// Note explains a closing the portal made (a cancellation after a
	// re-grading) or carries the requester's reason for withdrawing.
	Note      Text       `json:"note,omitzero"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	Rev       int64      `json:"rev"`
}

// TermsAcceptance records what the requester accepted: the dataset's
// licence at its content revision, and the security commitment's version.
type TermsAcceptance struct {
	License           string    `json:"license"`
	DatasetRev        int64     `json:"dataset_rev"`
	CommitmentVersion string    `json:"commitment_version"`
	AcceptedAt        time.Time `json:"accepted_at"`
}

// RequestDecision is one stage's decision.
type RequestDecision struct {
	Stage   string    `json:"stage"` // provider or bureau
	By      string    `json:"by"`
	ByName  string    `json:"by_name"`
	Org     string    `json:"org,omitempty"`
	Approve bool      `json:"approve"`
	Reason  string    `json:"reason"`
	Rule    string    `json:"rule,omitempty"`
	At      time.Time `json:"at"`
}

// NewAccessRequest is the body of an access request.
type NewAccessRequest struct {
	Purpose     string `json:"purpose"`
	IntendedUse string `json:"intended_use"`
	// DurationDays is the requested length of the grant, at most the
	// tier's limit (see RequestEligibility).
	DurationDays int `json:"duration_days"`
	// AcceptTerms accepts the dataset's licence and terms.
	AcceptTerms bool `json:"accept_terms"`
	// AcceptCommitment accepts the security commitment of version
	// CommitmentVersion, which must be the one in force.
	AcceptCommitment  bool   `json:"accept_commitment"`
	CommitmentVersion string `json:"commitment_version"`
}

// DecisionInput is the body of a decision. Approve is required.
type DecisionInput struct {
	Approve *bool  `json:"approve"`
	Reason  string `json:"reason"`
}

// requestRecord is an access request as stored.
type requestRecord struct {
	AccessRequest
	OpenKey string `json:"open_key"`
	// GrantPending is set by the final approval and cleared once the
	// grant exists (ensureGrant).
	GrantPending bool `json:"grant_pending"`
	auditOutbox
	noticeOutbox
}

func (r *requestRecord) outbox() *auditOutbox   { return &r.auditOutbox }
func (r *requestRecord) notices() *noticeOutbox { return &r.noticeOutbox }

func openKey(user, dataset string) string { return "open|" + user + "|" + dataset }

// Open reports whether the request awaits a decision.
func (r *AccessRequest) Open() bool {
	return r.State == RequestAwaitingProvider || r.State == RequestAwaitingBureau
}

// stage is the stage awaiting a decision ("" when closed).
func (r *AccessRequest) stage() string {
	switch r.State {
	case RequestAwaitingProvider:
		return StageProvider
	case RequestAwaitingBureau:
		return StageBureau
	}
	return ""
}

// close ends the request in state; the open key is freed for a new request.
func (r *requestRecord) close(state string, now time.Time) {
	r.State, r.ClosedAt, r.OpenKey = state, &now, "closed|"+r.ID
}

var requestName = T("访问申请", "access request")

func requestObject(id string) string { return "access-request:" + id }

// RequestEligibility is what a developer sees before applying: the
// decision on "request" with the requirements met and missing, what else
// stands in the way (an open request), the longest grant the tier allows,
// the dataset's licence and the security commitment to accept.
type RequestEligibility struct {
	Decision        Decision       `json:"decision"`
	CanSubmit       bool           `json:"can_submit"`
	OpenRequest     *AccessRequest `json:"open_request,omitempty"`
	CurrentGrant    *Grant         `json:"current_grant,omitempty"`
	MaxDurationDays int            `json:"max_duration_days"`
	License         string         `json:"license"`
	IntendedUses    Vocabulary     `json:"intended_uses"`
	Commitment      Commitment     `json:"commitment"`
	Next            []Text         `json:"next,omitempty"`
}

// RequestEligibility tells the principal whether and how they can request
// access to a dataset. NotFound if they may not view it.
func (s *Service) RequestEligibility(ctx context.Context, p Principal, datasetID string) (RequestEligibility, error) {
	rec, _, err := s.viewable(ctx, p, datasetID)
	if err != nil {
		return RequestEligibility{}, err
	}
	d := &rec.Dataset
	dec, err := s.authz.Decide(ctx, p.Subject(), ActRequest, s.resource(ctx, p, d))
	if err != nil {
		return RequestEligibility{}, err
	}
	out := RequestEligibility{Decision: dec, CanSubmit: dec.Allowed, MaxDurationDays: s.authz.MaxGrantDays(d.Tier),
		License: d.License, IntendedUses: IntendedUses, Commitment: commitment, Next: dec.Next}
	if !p.SignedIn() {
		return out, nil
	}
	if open, err := s.openRequest(ctx, p.User.ID, d.ID); err != nil {
		return out, err
	} else if open != nil {
		out.OpenRequest, out.CanSubmit = &open.AccessRequest, false
		out.Next = []Text{T("您已有一个未决的访问申请，请等待审批结果或撤回后重新申请", "you already have an open request; wait for its decision, or withdraw it and apply again")}
	}
	if g, err := s.currentGrant(ctx, p, d); err != nil {
		return out, err
	} else if g != nil {
		out.CurrentGrant = g
	}
	return out, nil
}

// openRequest returns the user's open request for a dataset, or nil.
func (s *Service) openRequest(ctx context.Context, user, dataset string) (*requestRecord, error) {
	page, _, err := s.requests.find(ctx, Query{Filters: []Filter{Where("open_key", openKey(user, dataset))}, Limit: 1})
	if err != nil || len(page) == 0 {
		return nil, err
	}
	return &page[0].V, nil
}

// RequestAccess files an access request. NotFound if the dataset is hidden
// from the principal; Forbidden (with the explanation) if the tier rules
// do not let them request it; Invalid for bad fields or a duration over
// the tier's limit; Conflict if they already have an open request for it.
func (s *Service) RequestAccess(ctx context.Context, p Principal, datasetID string, in NewAccessRequest) (AccessRequest, error) {
	if !p.SignedIn() {
		return AccessRequest{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	rec, _, err := s.viewable(ctx, p, datasetID)
	if err != nil {
		return AccessRequest{}, err
	}
	d := &rec.Dataset
	dec, err := s.decide(ctx, p, ActRequest, s.resource(ctx, p, d))
	if err != nil {
		return AccessRequest{}, err
	}
	max := s.authz.MaxGrantDays(d.Tier)
	in.Purpose = strings.TrimSpace(in.Purpose)
	var v Validation
	checkText(&v, "purpose", in.Purpose, 10, 2000, "申请目的", "Purpose")
	if !IntendedUses.Has(in.IntendedUse) {
		v.Add("intended_use", "vocabulary", "用途须为 training、fine-tuning、evaluation 或 research", "intended use must be training, fine-tuning, evaluation or research")
	}
	if in.DurationDays < 1 || in.DurationDays > max {
		v.Add("duration_days", "range", "申请期限须为 1–"+strconv.Itoa(max)+" 天（该分级的上限）",
			"the duration must be 1–"+strconv.Itoa(max)+" days (the limit of this tier)")
	}
	if !in.AcceptTerms {
		v.Add("accept_terms", "required", "须接受数据集的许可与使用条款", "the dataset's licence and terms must be accepted")
	}
	if !in.AcceptCommitment {
		v.Add("accept_commitment", "required", "须接受数据使用安全承诺书", "the security commitment must be accepted")
	} else if in.CommitmentVersion != commitment.Version {
		v.Add("commitment_version", "outdated", "安全承诺书已更新为 "+commitment.Version+" 版，请阅读后重新接受",
			"the security commitment is now version "+commitment.Version+"; read it and accept it again")
	}
	if err := v.Err(); err != nil {
		return AccessRequest{}, err
	}
	now := s.now()
	r := requestRecord{AccessRequest: AccessRequest{
		ID: newID("ar"), Dataset: d.ID, DatasetTitle: d.Title, DatasetTitleEn: d.TitleEn, ProviderOrg: d.Publisher, Tier: d.Tier,
		Requester: p.User.ID, RequesterName: p.User.Name, Purpose: in.Purpose, IntendedUse: in.IntendedUse, DurationDays: in.DurationDays,
		Terms:       TermsAcceptance{License: d.License, DatasetRev: d.Rev, CommitmentVersion: commitment.Version, AcceptedAt: now},
		State:       RequestAwaitingProvider,
		BureauStage: d.Tier == TierImportant,
		Decisions:   []RequestDecision{}, CreatedAt: now, UpdatedAt: now, Rev: 1,
	}}
	r.OpenKey = openKey(p.User.ID, d.ID)
	if p.Org != nil {
		r.RequesterOrg, r.RequesterOrgName = p.Org.ID, p.Org.Name
	}
	r.add(s.newAuditEvent(p, "access-request.create", requestObject(r.ID), dec, map[string]string{
		"dataset": d.ID, "tier": string(d.Tier), "intended_use": in.IntendedUse,
		"duration_days": strconv.Itoa(in.DurationDays), "commitment_version": commitment.Version}))
	r.notify(notice{ID: r.ID + "-received", Kind: "access-request.received", To: []string{toReviewers(d.Publisher)},
		Object: requestObject(r.ID), Link: "/api/v1/access-requests/" + r.ID, At: now,
		Title: T("新的访问申请", "New access request"),
		Body: T(p.User.Name+" 申请访问数据集"+datasetTitle(d.Title, d.TitleEn).Zh+"，期限 "+strconv.Itoa(in.DurationDays)+" 天，请审批。",
			p.User.Name+" requests access to "+datasetTitle(d.Title, d.TitleEn).En+" for "+strconv.Itoa(in.DurationDays)+" days; please decide.")})
	if _, err := s.requests.insert(ctx, r.ID, &r); err != nil {
		var de *Error
		if errors.As(err, &de) && len(de.Fields) == 1 && de.Fields[0].Field == "open_key" {
			return AccessRequest{}, s.alreadyOpen(ctx, p.User.ID, d.ID)
		}
		return AccessRequest{}, err
	}
	s.afterRequestWrite(ctx, r.ID)
	return r.AccessRequest, nil
}

// alreadyOpen is the Conflict of a second open request.
func (s *Service) alreadyOpen(ctx context.Context, user, dataset string) error {
	e := &Error{Kind: KindConflict, Message: T("您对该数据集已有一个未决的访问申请", "you already have an open access request for this dataset"),
		Fields: []FieldError{{Field: "dataset", Code: "open_request", Message: T("已有未决申请", "an open request exists")}}}
	if open, err := s.openRequest(ctx, user, dataset); err == nil && open != nil {
		e.Message = T("您对该数据集已有一个未决的访问申请（"+open.ID+"）", "you already have an open access request for this dataset ("+open.ID+")")
		e.Detail = map[string]string{"open_request": open.ID}
	}
	return e
}

// afterRequestWrite moves a request's outboxes on and creates its grant if
// one is due; failures are left to the periodic sweep.
func (s *Service) afterRequestWrite(ctx context.Context, id string) {
	if err := s.ensureGrant(ctx, id); err != nil {
		s.log.Warn("grant creation deferred", "request", id, "err", err)
	}
	if err := flushOutbox(ctx, s, s.requests, id); err != nil {
		s.log.Warn("audit flush deferred", "request", id, "err", err)
	}
	if err := flushNotices(ctx, s, s.requests, id, nil); err != nil {
		s.log.Warn("notices deferred", "request", id, "err", err)
	}
}

// visibleRequest loads a request the principal may see: their own, or one
// of a dataset they oversee (its provider organisation, the bureau), and
// never one of a dataset hidden from them. NotFound otherwise.
func (s *Service) visibleRequest(ctx context.Context, p Principal, id string) (requestRecord, int64, datasetRecord, error) {
	if !p.SignedIn() {
		return requestRecord{}, 0, datasetRecord{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	r, rev, err := s.requests.get(ctx, id)
	if err != nil {
		return r, 0, datasetRecord{}, err
	}
	d, ok, err := s.overseeable(ctx, p, r.Dataset, r.Requester)
	if err != nil {
		return r, 0, d, err
	}
	if !ok {
		return requestRecord{}, 0, datasetRecord{}, NotFound(requestName)
	}
	return r, rev, d, nil
}

// overseeable loads dataset id and reports whether the principal may see
// an object of it owned by owner (a request, a grant): they may view the
// dataset, and either are the owner or oversee the dataset.
func (s *Service) overseeable(ctx context.Context, p Principal, id, owner string) (datasetRecord, bool, error) {
	d, _, err := s.datasets.get(ctx, id)
	if IsKind(err, KindNotFound) {
		return d, false, nil
	}
	if err != nil {
		return d, false, err
	}
	r := s.resource(ctx, p, &d.Dataset)
	v, err := s.authz.Decide(ctx, p.Subject(), ActView, r)
	if err != nil || !v.Allowed {
		return d, false, err
	}
	if p.User.ID == owner {
		return d, true, nil
	}
	o, err := s.authz.Decide(ctx, p.Subject(), ActOversee, r)
	if err != nil {
		return d, false, err
	}
	return d, o.Allowed, nil
}

// AccessRequestByID returns a request the principal may see.
func (s *Service) AccessRequestByID(ctx context.Context, p Principal, id string) (AccessRequest, error) {
	r, _, _, err := s.visibleRequest(ctx, p, id)
	return r.AccessRequest, err
}

// WithdrawRequest lets the requester withdraw an open request. Forbidden
// for anyone else who can see it; Conflict if it is no longer open.
func (s *Service) WithdrawRequest(ctx context.Context, p Principal, id, reason string) (AccessRequest, error) {
	reason = strings.TrimSpace(reason)
	var v Validation
	checkText(&v, "reason", reason, 0, 1000, "撤回原因", "Reason")
	if err := v.Err(); err != nil {
		return AccessRequest{}, err
	}
	r, _, _, err := s.visibleRequest(ctx, p, id)
	if err != nil {
		return AccessRequest{}, err
	}
	if r.Requester != p.User.ID {
		return AccessRequest{}, s.refuse(ctx, p, "denied.withdraw", requestObject(id), T("只有申请人可以撤回申请", "only the requester can withdraw a request"))
	}
	dec := Decision{Allowed: true, Action: ActRequest, Reason: T("申请人撤回自己的申请", "the requester withdraws their own request")}
	out, _, err := s.requests.update(ctx, id, func(r *requestRecord) error {
		if !r.Open() {
			return closedRequest(r)
		}
		now := s.now()
		to := []string{toReviewers(r.ProviderOrg)}
		if r.State == RequestAwaitingBureau {
			to = append(to, toBureau)
		}
		r.close(RequestWithdrawn, now)
		r.Note = T(reason, reason)
		r.UpdatedAt, r.Rev = now, r.Rev+1
		ev := s.newAuditEvent(p, "access-request.withdraw", requestObject(r.ID), dec, map[string]string{"dataset": r.Dataset, "reason": reason})
		r.add(ev)
		r.notify(notice{ID: ev.EventID, Kind: "access-request.withdrawn", To: to, Object: requestObject(r.ID), Link: "/api/v1/access-requests/" + r.ID, At: now,
			Title: T("访问申请已撤回", "Access request withdrawn"),
			Body: T(r.RequesterName+" 撤回了对数据集"+datasetTitle(r.DatasetTitle, r.DatasetTitleEn).Zh+"的访问申请。",
				r.RequesterName+" withdrew the request for "+datasetTitle(r.DatasetTitle, r.DatasetTitleEn).En+".")})
		return nil
	})
	if err != nil {
		return AccessRequest{}, err
	}
	s.afterRequestWrite(ctx, id)
	return out.AccessRequest, nil
}

// closedRequest is the Conflict of acting on a request that is closed.
func closedRequest(r *requestRecord) error {
	l, _ := RequestStates.Label(r.State)
	return &Error{Kind: KindConflict, Message: T("该申请已结束（"+l.Zh+"），不能再更改", "the request is closed ("+l.En+") and can no longer change")}
}

var errDecidedMeanwhile = &Error{Kind: KindConflict, Message: T("该申请刚被他人审批，请刷新后查看", "someone else decided the request meanwhile; reload it")}

// DecideRequest records the decision of the stage awaiting one: the
// provider organisation's reviewers first, then, for important data, the
// bureau. The final approval creates the grant. Of two concurrent
// decisions on one request exactly one wins; the other gets Conflict.
// ifMatch, when not zero, is the content revision the caller last saw
// (Precondition if it moved on). Forbidden (with the explanation) for a
// caller who may not decide this stage, Conflict for a closed request or a
// stage the caller's side already decided.
func (s *Service) DecideRequest(ctx context.Context, p Principal, id string, in DecisionInput, ifMatch int64) (AccessRequest, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var v Validation
	if in.Approve == nil {
		v.Add("approve", "required", "须说明批准（true）或驳回（false）", "approve must be true or false")
	} else if !*in.Approve && in.Reason == "" {
		v.Add("reason", "required", "驳回须说明理由", "a rejection needs a reason")
	}
	checkText(&v, "reason", in.Reason, 0, 1000, "理由", "Reason")
	if err := v.Err(); err != nil {
		return AccessRequest{}, err
	}
	r, _, drec, err := s.visibleRequest(ctx, p, id)
	if err != nil {
		return AccessRequest{}, err
	}
	if ifMatch != 0 && ifMatch != r.Rev {
		return r.AccessRequest, &Error{Kind: KindPrecondition, Message: T("申请已变化，请刷新后重试", "the request changed since you loaded it; reload and retry")}
	}
	if !r.Open() {
		return r.AccessRequest, closedRequest(&r)
	}
	d := &drec.Dataset
	res := s.resource(ctx, p, d)
	res.Stage = r.stage()
	if res.Stage == StageBureau {
		// A reviewer of the provider asking again: their stage is over.
		prov := res
		prov.Stage = StageProvider
		pd, err := s.authz.Decide(ctx, p.Subject(), ActDecide, prov)
		if err != nil {
			return r.AccessRequest, err
		}
		if bd, err := s.authz.Decide(ctx, p.Subject(), ActDecide, res); err == nil && pd.Allowed && !bd.Allowed {
			return r.AccessRequest, &Error{Kind: KindConflict, Message: T("提供机构已审批该申请，现等待数据局审批", "the provider organisation has decided; the request now awaits the bureau")}
		}
	}
	dec, err := s.decide(ctx, p, ActDecide, res)
	if err != nil {
		return r.AccessRequest, err
	}
	seen, stage, approve := r.Rev, res.Stage, *in.Approve
	needsBureau := d.Tier == TierImportant
	out, _, err := s.requests.update(ctx, id, func(r *requestRecord) error {
		if r.Rev != seen {
			return errDecidedMeanwhile
		}
		now := s.now()
		dd := RequestDecision{Stage: stage, By: p.User.ID, ByName: p.User.Name, Approve: approve, Reason: in.Reason, Rule: dec.Rule, At: now}
		if p.Org != nil {
			dd.Org = p.Org.ID
		}
		r.Decisions = append(r.Decisions, dd)
		r.UpdatedAt, r.Rev, r.Tier = now, r.Rev+1, d.Tier
		title := datasetTitle(r.DatasetTitle, r.DatasetTitleEn)
		link := "/api/v1/access-requests/" + r.ID
		var n notice
		switch {
		case !approve:
			r.close(RequestRejected, now)
			to := []string{toUser(r.Requester)}
			if stage == StageBureau {
				to = append(to, toReviewers(r.ProviderOrg))
			}
			n = notice{Kind: "access-request.rejected", To: to, Title: T("访问申请被驳回", "Access request rejected"),
				Body: T("对数据集"+title.Zh+"的访问申请被驳回。理由："+in.Reason, "The request for "+title.En+" was rejected. Reason: "+in.Reason)}
		case stage == StageProvider && needsBureau:
			r.State, r.BureauStage = RequestAwaitingBureau, true
			n = notice{Kind: "access-request.awaiting-bureau", To: []string{toUser(r.Requester), toBureau}, Title: T("访问申请待数据局审批", "Access request awaits the bureau"),
				Body: T("提供机构已批准对重要数据"+title.Zh+"的访问申请（申请人 "+r.RequesterName+"），现等待数据局审批。",
					"The provider approved the request of "+r.RequesterName+" for the important data "+title.En+"; it now awaits the bureau's decision.")}
		default:
			r.close(RequestApproved, now)
			r.GrantID, r.GrantPending = grantIDFor(r.ID), true
			to := []string{toUser(r.Requester)}
			if stage == StageBureau {
				to = append(to, toReviewers(r.ProviderOrg))
			}
			n = notice{Kind: "access-request.approved", To: to, Title: T("访问申请已批准", "Access request approved"),
				Body: T("对数据集"+title.Zh+"的访问申请已批准，授权期限 "+strconv.Itoa(r.DurationDays)+" 天。",
					"The request for "+title.En+" was approved for "+strconv.Itoa(r.DurationDays)+" days.")}
		}
		ev := s.newAuditEvent(p, "access-request.decide", requestObject(r.ID), dec, map[string]string{
			"dataset": r.Dataset, "stage": stage, "approve": strconv.FormatBool(approve), "state": r.State, "reason": in.Reason})
		r.add(ev)
		n.ID, n.Object, n.Link, n.At = ev.EventID, requestObject(r.ID), link, now
		r.notify(n)
		return nil
	})
	if err != nil {
		return AccessRequest{}, err
	}
	s.afterRequestWrite(ctx, id)
	return out.AccessRequest, nil
}

// RequestListQuery selects access requests.
type RequestListQuery struct {
	// Role is "requester" (my requests, the default), "reviewer" (requests
	// for my organisation's datasets) or "bureau" (requests for important
	// data; state=awaiting-bureau is the bureau's queue).
	Role    string
	State   string // a state, or "open" for both awaiting states
	Dataset string
	Offset  int
	Limit   int
}

// ListAccessRequests lists requests newest first, with the total. Only
// requests of datasets the caller may view are listed.
func (s *Service) ListAccessRequests(ctx context.Context, p Principal, q RequestListQuery) ([]AccessRequest, int64, error) {
	if !p.SignedIn() {
		return nil, 0, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	var v Validation
	if q.State != "" && q.State != RequestOpen && !RequestStates.Has(q.State) {
		v.Add("state", "vocabulary", "状态须为 open、"+strings.Join(RequestStates.Values(), "、"), "state must be open, "+strings.Join(RequestStates.Values(), ", "))
	}
	if q.Limit <= 0 || q.Limit > 100 {
		v.Add("per_page", "range", "每页条数须在 1–100 之间", "per_page must be 1–100")
	}
	var f []Filter
	switch q.Role {
	case "requester", "":
		f = append(f, Where("requester", p.User.ID))
	case "reviewer":
		if p.Org == nil {
			return []AccessRequest{}, 0, nil
		}
		if _, err := s.decide(ctx, p, ActOversee, Resource{OwnerOrg: p.Org.ID}); err != nil {
			return nil, 0, err
		}
		f = append(f, Where("provider_org", p.Org.ID))
	case "bureau":
		if _, err := s.decide(ctx, p, ActDecide, Resource{Tier: TierImportant, Stage: StageBureau}); err != nil {
			return nil, 0, err
		}
		f = append(f, Where("bureau_stage", true))
	default:
		v.Add("role", "vocabulary", "角色须为 requester、reviewer 或 bureau", "role must be requester, reviewer or bureau")
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	switch q.State {
	case "":
	case RequestOpen:
		f = append(f, WhereIn("state", RequestAwaitingProvider, RequestAwaitingBureau))
	default:
		f = append(f, Where("state", q.State))
	}
	if q.Dataset != "" {
		f = append(f, Where("dataset", q.Dataset))
	}
	return listVisible(ctx, s, s.requests, f, "created_at", q.Role == "requester" || q.Role == "", q.Offset, q.Limit,
		func(r requestRecord) AccessRequest { return r.AccessRequest },
		func(ctx context.Context, r requestRecord) (bool, error) {
			_, ok, err := s.overseeable(ctx, p, r.Dataset, r.Requester)
			return ok, err
		})
}

// listVisible lists the objects matching f newest first, keeping those
// visible says the principal may see. An own list (the caller's requests
// or grants: a bounded number) is filtered before paging, so that the
// total counts only what is shown; a review list selects by organisation
// or role, whose objects are all visible by the policy, and pages in the
// store (one that is not is logged and left out, never shown).
func listVisible[T, V any](ctx context.Context, s *Service, r record[T], f []Filter, sort string, own bool, offset, limit int,
	out func(T) V, visible func(context.Context, T) (bool, error)) ([]V, int64, error) {
	items := []V{}
	if own {
		var n int64
		after := ""
		for {
			page, next, err := r.find(ctx, Query{Filters: f, Sort: sort, Desc: true, Limit: 500, After: after})
			if err != nil {
				return nil, 0, err
			}
			for _, x := range page {
				ok, err := visible(ctx, x.V)
				if err != nil {
					return nil, 0, err
				}
				if !ok {
					continue
				}
				if n >= int64(offset) && len(items) < limit {
					items = append(items, out(x.V))
				}
				n++
			}
			if next == "" {
				return items, n, nil
			}
			after = next
		}
	}
	n, err := r.c.Count(ctx, f...)
	if err != nil {
		return nil, 0, err
	}
	page, _, err := r.find(ctx, Query{Filters: f, Sort: sort, Desc: true, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	for _, x := range page {
		ok, err := visible(ctx, x.V)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			s.log.Error("review list admits an object its reader may not see")
			continue
		}
		items = append(items, out(x.V))
	}
	return items, n, nil
}

// refuse audits and returns the refusal of an action reserved to the
// owner of an object (the requester, the grantee): not a rule of the
// tiers, so not the ACL's, but a decision all the same.
func (s *Service) refuse(ctx context.Context, p Principal, action, object string, why Text) error {
	d := Decision{Reason: why}
	if err := s.audit(ctx, p, action, object, d, nil); err != nil {
		return err
	}
	return &Error{Kind: KindForbidden, Message: why, Detail: d}
}
