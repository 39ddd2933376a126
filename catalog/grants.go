package catalog

import (
	"context"
	"strings"
	"time"
)

// Grant is the right of one user to download one dataset until ExpiresAt,
// created by the final approval of an access request. It stops at once
// when it expires, is revoked, or is suspended because the dataset was
// re-graded to a tier it does not satisfy (hasGrant checks all three at
// every download). When it ends, a use report falls due.
type Grant struct {
	ID             string   `json:"id"`
	Request        string   `json:"request"`
	Dataset        string   `json:"dataset"`
	DatasetTitle   string   `json:"dataset_title"`
	DatasetTitleEn string   `json:"dataset_title_en"`
	ProviderOrg    string   `json:"provider_org"`
	User           string   `json:"user"`
	UserName       string   `json:"user_name"`
	UserOrg        string   `json:"user_org,omitempty"`
	Actions        []Action `json:"actions"`
	// Tier is the dataset's tier at approval; BureauApproved records the
	// bureau's approval, which important data needs.
	Tier           Tier         `json:"tier"`
	BureauApproved bool         `json:"bureau_approved"`
	State          string       `json:"state"`
	GrantedAt      time.Time    `json:"granted_at"`
	ExpiresAt      time.Time    `json:"expires_at"`
	EndedAt        *time.Time   `json:"ended_at,omitempty"`
	Revocation     *GrantChange `json:"revocation,omitempty"`
	Suspension     *GrantChange `json:"suspension,omitempty"`
	ExpiryWarned   bool         `json:"expiry_warned"`
	ReportState    string       `json:"report_state,omitempty"`
	UseReport      *UseReport   `json:"use_report,omitempty"`
	Rev            int64        `json:"rev"`
}

// GrantChange records who revoked or suspended a grant and why.
type GrantChange struct {
	By     string    `json:"by"`
	ByName string    `json:"by_name,omitempty"`
	Reason Text      `json:"reason"`
	At     time.Time `json:"at"`
}

// UseReport is what a grantee reports once a grant of conditional or
// important data has ended: the models trained and the results.
type UseReport struct {
	DueAt      time.Time  `json:"due_at"`
	FiledAt    *time.Time `json:"filed_at,omitempty"`
	FiledBy    string     `json:"filed_by,omitempty"`
	Models     []ModelRef `json:"models"`
	PurposeMet bool       `json:"purpose_met"`
	Results    string     `json:"results"`
}

// ModelRef names a model and its version.
type ModelRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// NewUseReport is the body of a use report.
type NewUseReport struct {
	Models     []ModelRef `json:"models"`
	PurposeMet bool       `json:"purpose_met"`
	Results    string     `json:"results"`
}

type grantRecord struct {
	Grant
	auditOutbox
	noticeOutbox
}

func (g *grantRecord) outbox() *auditOutbox   { return &g.auditOutbox }
func (g *grantRecord) notices() *noticeOutbox { return &g.noticeOutbox }

var grantName = T("授权", "grant")

func grantObject(id string) string { return "grant:" + id }

// grantIDFor derives a grant's id from its request's, so that creating it
// twice is refused by the store.
func grantIDFor(requestID string) string { return "g-" + strings.TrimPrefix(requestID, "ar-") }

// fits reports whether the grant satisfies tier t: conditional (and open)
// data needs the provider's approval, which every grant has; important
// data needs the bureau's too; core data is never granted.
func (g *Grant) fits(t Tier) bool {
	switch t {
	case TierOpen, TierConditional:
		return true
	case TierImportant:
		return g.BureauApproved
	}
	return false
}

func (g *Grant) allows(act Action) bool {
	for _, a := range g.Actions {
		if a == act {
			return true
		}
	}
	return false
}

// shown is the grant as its readers see it at now: an active grant past
// its expiry is expired even before the sweep records it.
func (g Grant) shown(now time.Time) Grant {
	if g.State == GrantActive && !now.Before(g.ExpiresAt) {
		g.State = GrantExpired
	}
	return g
}

// currentGrant returns the principal's current download grant for d: active,
// unexpired and satisfying d's present tier; nil if there is none. Only
// conditional and important data are granted; the provider's own
// organisation needs no grant.
func (s *Service) currentGrant(ctx context.Context, p Principal, d *Dataset) (*Grant, error) {
	if !p.SignedIn() || (d.Tier != TierConditional && d.Tier != TierImportant) || (p.Org != nil && p.Org.ID == d.Publisher) {
		return nil, nil
	}
	page, _, err := s.grants.find(ctx, Query{Filters: []Filter{Where("user", p.User.ID), Where("dataset", d.ID), Where("state", GrantActive)},
		Sort: "granted_at", Desc: true, Limit: 50})
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, f := range page {
		g := f.V.Grant
		if now.Before(g.ExpiresAt) && g.fits(d.Tier) && g.allows(ActDownload) {
			return &g, nil
		}
	}
	return nil, nil
}

// standing describes the principal's access to a dataset when they hold no
// current grant: an open request (awaiting whom), or the fate of their
// latest grant. Empty when there is nothing to say.
func (s *Service) standing(ctx context.Context, p Principal, dataset string, tier Tier) string {
	open, err := s.openRequest(ctx, p.User.ID, dataset)
	if err == nil && open != nil {
		if open.State == RequestAwaitingBureau {
			return StandingAwaitingBureau
		}
		return StandingAwaitingProvider
	}
	page, _, err := s.grants.find(ctx, Query{Filters: []Filter{Where("user", p.User.ID), Where("dataset", dataset)}, Sort: "granted_at", Desc: true, Limit: 1})
	if err != nil || len(page) == 0 {
		return ""
	}
	g := page[0].V.Grant.shown(s.now())
	switch {
	case g.State == GrantActive && !g.fits(tier), g.State == GrantSuspended:
		return StandingSuspended
	case g.State == GrantExpired:
		return StandingExpired
	case g.State == GrantRevoked:
		return StandingRevoked
	}
	return ""
}

// withStanding re-explains a download denied for want of a grant with the
// subject's standing, so that the next step says "wait for the provider",
// "wait for the bureau" or "your grant expired" instead of "request access".
func (s *Service) withStanding(ctx context.Context, p Principal, act Action, r Resource, d Decision) Decision {
	if d.Allowed || act != ActDownload || !p.SignedIn() || r.ID == "" {
		return d
	}
	missing := false
	for _, m := range d.Missing {
		missing = missing || m.Key == "has_grant"
	}
	if !missing {
		return d
	}
	if r.Standing = s.standing(ctx, p, r.ID, r.Tier); r.Standing == "" {
		return d
	}
	d2, err := s.authz.Decide(ctx, p.Subject(), act, r)
	if err != nil {
		return d
	}
	return d2
}

// ensureGrant creates the grant of a finally approved request if the
// request still says it is pending, then clears the flag. Idempotent: the
// grant's id derives from the request's, and its content from the request
// alone (expiry = final approval + requested duration).
func (s *Service) ensureGrant(ctx context.Context, requestID string) error {
	r, _, err := s.requests.get(ctx, requestID)
	if err != nil || !r.GrantPending {
		return err
	}
	var final RequestDecision
	bureau := false
	for _, d := range r.Decisions {
		if d.Approve {
			final = d
			bureau = bureau || d.Stage == StageBureau
		}
	}
	// The grant runs from the final approval: the request's closing (a
	// decision, or the portal's own after a re-grading, see
	// reconcileDataset), else the last approving decision.
	granted := final.At
	if r.ClosedAt != nil {
		granted = *r.ClosedAt
	}
	g := grantRecord{Grant: Grant{ID: r.GrantID, Request: r.ID, Dataset: r.Dataset, DatasetTitle: r.DatasetTitle, DatasetTitleEn: r.DatasetTitleEn,
		ProviderOrg: r.ProviderOrg, User: r.Requester, UserName: r.RequesterName, UserOrg: r.RequesterOrg, Actions: []Action{ActDownload},
		Tier: r.Tier, BureauApproved: bureau, State: GrantActive, GrantedAt: granted,
		ExpiresAt: granted.Add(time.Duration(r.DurationDays) * 24 * time.Hour), Rev: 1}}
	if g.ID == "" {
		g.ID = grantIDFor(r.ID)
	}
	detail := map[string]string{"request": r.ID, "dataset": r.Dataset, "user": r.Requester, "expires_at": g.ExpiresAt.Format(time.RFC3339), "approved_by": final.By}
	if d, _, err := s.datasets.get(ctx, r.Dataset); err == nil && !g.fits(d.Tier) {
		// Re-graded between the approval and now: the grant is born
		// suspended, and reconcileDataset reinstates it if the tier allows.
		g.State = GrantSuspended
		g.Suspension = &GrantChange{By: "system", Reason: T("数据集已调整为“"+tierLabel(d.Tier).Zh+"”，该授权不满足新的分级要求", "the dataset is now "+tierLabel(d.Tier).En+", which this grant does not satisfy"), At: s.now()}
		detail["state"] = GrantSuspended
	}
	ev := s.newAuditEvent(system(), "grant.create", grantObject(g.ID), systemDecision("访问申请已获最终批准", "the access request was finally approved"), detail)
	g.add(ev)
	if _, err := s.grants.insert(ctx, g.ID, &g); err != nil && !IsKind(err, KindConflict) {
		return err
	}
	// The grant exists (now or from an earlier attempt): clear the flag.
	_, _, err = s.requests.update(ctx, requestID, func(r *requestRecord) error {
		if !r.GrantPending {
			return errUnchanged
		}
		r.GrantPending = false
		return nil
	})
	if err != nil {
		return err
	}
	if err := flushOutbox(ctx, s, s.grants, g.ID); err != nil {
		s.log.Warn("audit flush deferred", "grant", g.ID, "err", err)
	}
	return nil
}

// resumeGrants creates the grants that approvals left pending (a crash
// between the approval and the grant).
func (s *Service) resumeGrants(ctx context.Context) error {
	page, _, err := s.requests.find(ctx, Query{Filters: []Filter{Where("grant_pending", true)}, Limit: 500})
	if err != nil {
		return err
	}
	for _, f := range page {
		if err := s.ensureGrant(ctx, f.V.ID); err != nil {
			return err
		}
	}
	return nil
}

// visibleGrant loads a grant the principal may see: their own, or one of a
// dataset they oversee, never one of a dataset hidden from them.
func (s *Service) visibleGrant(ctx context.Context, p Principal, id string) (grantRecord, datasetRecord, error) {
	if !p.SignedIn() {
		return grantRecord{}, datasetRecord{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	g, _, err := s.grants.get(ctx, id)
	if err != nil {
		return g, datasetRecord{}, err
	}
	d, ok, err := s.overseeable(ctx, p, g.Dataset, g.User)
	if err != nil {
		return g, d, err
	}
	if !ok {
		return grantRecord{}, datasetRecord{}, NotFound(grantName)
	}
	return g, d, nil
}

// GrantByID returns a grant the principal may see.
func (s *Service) GrantByID(ctx context.Context, p Principal, id string) (Grant, error) {
	g, _, err := s.visibleGrant(ctx, p, id)
	return g.Grant.shown(s.now()), err
}

// endGrant ends a grant (expiry or revocation): its use report falls due.
func (s *Service) endGrant(g *grantRecord, state string, at time.Time) {
	g.State, g.EndedAt = state, &at
	if g.UseReport == nil {
		g.ReportState = ReportDue
		g.UseReport = &UseReport{DueAt: at.Add(reportPeriod), Models: []ModelRef{}}
	}
}

// RevokeGrant ends a grant early with a reason (the provider organisation
// or the bureau). Forbidden (with the explanation) for others who can see
// the grant; Conflict if it has already ended.
func (s *Service) RevokeGrant(ctx context.Context, p Principal, id, reason string) (Grant, error) {
	reason = strings.TrimSpace(reason)
	var v Validation
	checkText(&v, "reason", reason, 1, 1000, "撤销理由", "Reason")
	if err := v.Err(); err != nil {
		return Grant{}, err
	}
	_, d, err := s.visibleGrant(ctx, p, id)
	if err != nil {
		return Grant{}, err
	}
	dec, err := s.decide(ctx, p, ActRevoke, s.resource(ctx, p, &d.Dataset))
	if err != nil {
		return Grant{}, err
	}
	out, _, err := s.grants.update(ctx, id, func(g *grantRecord) error {
		now := s.now()
		if cur := g.Grant.shown(now); cur.State != GrantActive && cur.State != GrantSuspended {
			l, _ := GrantStates.Label(cur.State)
			return &Error{Kind: KindConflict, Message: T("该授权已结束（"+l.Zh+"）", "the grant has already ended ("+l.En+")")}
		}
		s.endGrant(g, GrantRevoked, now)
		g.Revocation = &GrantChange{By: p.User.ID, ByName: p.User.Name, Reason: T(reason, reason), At: now}
		g.Rev++
		ev := s.newAuditEvent(p, "grant.revoke", grantObject(g.ID), dec, map[string]string{"dataset": g.Dataset, "user": g.User, "reason": reason})
		g.add(ev)
		title := datasetTitle(g.DatasetTitle, g.DatasetTitleEn)
		due := g.UseReport.DueAt.Format(time.DateOnly)
		g.notify(notice{ID: ev.EventID, Kind: "grant.revoked", To: []string{toUser(g.User), toReviewers(g.ProviderOrg)}, Object: grantObject(g.ID),
			Link: "/api/v1/grants/" + g.ID, At: now, Title: T("授权已撤销", "Grant revoked"),
			Body: T(g.UserName+" 对数据集"+title.Zh+"的访问授权已被撤销，即日起不得继续使用。理由："+reason+"。请于 "+due+" 前提交数据使用报告。",
				"The grant of "+g.UserName+" to "+title.En+" was revoked; the data may no longer be used. Reason: "+reason+". The use report is due by "+due+".")})
		return nil
	})
	if err != nil {
		return Grant{}, err
	}
	s.afterGrantWrite(ctx, id)
	return out.Grant, nil
}

func (s *Service) afterGrantWrite(ctx context.Context, id string) {
	if err := flushOutbox(ctx, s, s.grants, id); err != nil {
		s.log.Warn("audit flush deferred", "grant", id, "err", err)
	}
	if err := flushNotices(ctx, s, s.grants, id, nil); err != nil {
		s.log.Warn("notices deferred", "grant", id, "err", err)
	}
}

// expireGrants records the grants whose time is up: state expired, use
// report due, the grantee told. Downloads stopped at the expiry already
// (hasGrant compares the time); this makes it visible and starts the report.
func (s *Service) expireGrants(ctx context.Context) error {
	now := s.now()
	page, _, err := s.grants.find(ctx, Query{Filters: []Filter{WhereIn("state", GrantActive, GrantSuspended), {Field: "expires_at", Op: Lte, Value: now}},
		Sort: "expires_at", Limit: 500})
	if err != nil {
		return err
	}
	for _, f := range page {
		_, _, err := s.grants.update(ctx, f.V.ID, func(g *grantRecord) error {
			if (g.State != GrantActive && g.State != GrantSuspended) || now.Before(g.ExpiresAt) {
				return errUnchanged
			}
			s.endGrant(g, GrantExpired, g.ExpiresAt)
			g.Rev++
			ev := s.newAuditEvent(system(), "grant.expire", grantObject(g.ID), systemDecision("授权期限已到", "the grant's term is over"),
				map[string]string{"dataset": g.Dataset, "user": g.User, "expires_at": g.ExpiresAt.Format(time.RFC3339)})
			g.add(ev)
			title := datasetTitle(g.DatasetTitle, g.DatasetTitleEn)
			due := g.UseReport.DueAt.Format(time.DateOnly)
			g.notify(notice{ID: ev.EventID, Kind: "grant.expired", To: []string{toUser(g.User)}, Object: grantObject(g.ID), Link: "/api/v1/grants/" + g.ID, At: now,
				Title: T("授权已到期，请提交使用报告", "Grant expired: use report due"),
				Body: T("您对数据集"+title.Zh+"的访问授权已到期，请停止使用，并于 "+due+" 前提交数据使用报告。",
					"Your grant to "+title.En+" has expired; stop using the data and file the use report by "+due+".")})
			return nil
		})
		if err != nil && !IsKind(err, KindNotFound) {
			return err
		}
		s.afterGrantWrite(ctx, f.V.ID)
	}
	return nil
}

// warnExpiring tells grantees a week before their grant expires, once.
func (s *Service) warnExpiring(ctx context.Context) error {
	now := s.now()
	page, _, err := s.grants.find(ctx, Query{Filters: []Filter{Where("state", GrantActive), Where("expiry_warned", false),
		{Field: "expires_at", Op: Lte, Value: now.Add(expiryWarning)}, {Field: "expires_at", Op: Gt, Value: now}}, Sort: "expires_at", Limit: 500})
	if err != nil {
		return err
	}
	for _, f := range page {
		_, _, err := s.grants.update(ctx, f.V.ID, func(g *grantRecord) error {
			if g.ExpiryWarned || g.State != GrantActive {
				return errUnchanged
			}
			g.ExpiryWarned = true
			title := datasetTitle(g.DatasetTitle, g.DatasetTitleEn)
			at := g.ExpiresAt.Format(time.DateOnly)
			g.notify(notice{ID: g.ID + "-expiring", Kind: "grant.expiring", To: []string{toUser(g.User)}, Object: grantObject(g.ID), Link: "/api/v1/grants/" + g.ID, At: now,
				Title: T("授权将在 7 天内到期", "Grant expires within 7 days"),
				Body: T("您对数据集"+title.Zh+"的访问授权将于 "+at+" 到期；如需继续使用，请及时提交新的访问申请。",
					"Your grant to "+title.En+" expires on "+at+"; request access again in time if you still need the data.")})
			return nil
		})
		if err != nil && !IsKind(err, KindNotFound) {
			return err
		}
		s.afterGrantWrite(ctx, f.V.ID)
	}
	return nil
}

// GrantListQuery selects grants.
type GrantListQuery struct {
	// Role is "grantee" (my grants, the default), "provider" (grants to my
	// organisation's datasets) or "bureau" (all grants).
	Role    string
	State   string // active, suspended, expired, revoked
	Report  string // due or filed: grants whose use report is in that state
	Dataset string
	Offset  int
	Limit   int
}

// ListGrants lists grants newest first, with the total; only grants of
// datasets the caller may view are listed.
func (s *Service) ListGrants(ctx context.Context, p Principal, q GrantListQuery) ([]Grant, int64, error) {
	if !p.SignedIn() {
		return nil, 0, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	var v Validation
	if q.State != "" && !GrantStates.Has(q.State) {
		v.Add("state", "vocabulary", "状态须为 "+strings.Join(GrantStates.Values(), "、"), "state must be "+strings.Join(GrantStates.Values(), ", "))
	}
	if q.Report != "" && !ReportStates.Has(q.Report) {
		v.Add("report", "vocabulary", "报告状态须为 due 或 filed", "report must be due or filed")
	}
	if q.Limit <= 0 || q.Limit > 100 {
		v.Add("per_page", "range", "每页条数须在 1–100 之间", "per_page must be 1–100")
	}
	var f []Filter
	switch q.Role {
	case "grantee", "":
		f = append(f, Where("user", p.User.ID))
	case "provider":
		if p.Org == nil {
			return []Grant{}, 0, nil
		}
		if _, err := s.decide(ctx, p, ActOversee, Resource{OwnerOrg: p.Org.ID}); err != nil {
			return nil, 0, err
		}
		f = append(f, Where("provider_org", p.Org.ID))
	case "bureau":
		if _, err := s.decide(ctx, p, ActOversee, Resource{}); err != nil {
			return nil, 0, err
		}
	default:
		v.Add("role", "vocabulary", "角色须为 grantee、provider 或 bureau", "role must be grantee, provider or bureau")
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	now := s.now()
	switch q.State {
	case "":
	case GrantActive:
		f = append(f, Where("state", GrantActive), Filter{Field: "expires_at", Op: Gt, Value: now})
	default:
		f = append(f, Where("state", q.State))
	}
	if q.Report != "" {
		f = append(f, Where("report_state", q.Report))
	}
	if q.Dataset != "" {
		f = append(f, Where("dataset", q.Dataset))
	}
	return listVisible(ctx, s, s.grants, f, "granted_at", q.Role == "grantee" || q.Role == "", q.Offset, q.Limit,
		func(g grantRecord) Grant { return g.Grant.shown(now) },
		func(ctx context.Context, g grantRecord) (bool, error) {
			_, ok, err := s.overseeable(ctx, p, g.Dataset, g.User)
			return ok, err
		})
}

// FileUseReport records the grantee's use report of an ended grant.
// Forbidden for anyone but the grantee; Conflict unless the report is due.
func (s *Service) FileUseReport(ctx context.Context, p Principal, id string, in NewUseReport) (Grant, error) {
	in.Results = strings.TrimSpace(in.Results)
	var v Validation
	checkText(&v, "results", in.Results, 1, 10000, "使用成果", "Results")
	if len(in.Models) > 50 {
		v.Add("models", "too_many", "模型最多 50 个", "at most 50 models")
	}
	for i := range in.Models {
		in.Models[i].Name, in.Models[i].Version = strings.TrimSpace(in.Models[i].Name), strings.TrimSpace(in.Models[i].Version)
		checkText(&v, "models", in.Models[i].Name, 1, 200, "模型名称", "Model name")
		checkText(&v, "models", in.Models[i].Version, 0, 100, "模型版本", "Model version")
	}
	if err := v.Err(); err != nil {
		return Grant{}, err
	}
	g, _, err := s.visibleGrant(ctx, p, id)
	if err != nil {
		return Grant{}, err
	}
	if g.User != p.User.ID {
		return Grant{}, s.refuse(ctx, p, "denied.use-report", grantObject(id), T("只有被授权人可以提交使用报告", "only the grantee files the use report"))
	}
	dec := Decision{Allowed: true, Reason: T("被授权人提交自己的使用报告", "the grantee files their own use report")}
	out, _, err := s.grants.update(ctx, id, func(g *grantRecord) error {
		if g.ReportState != ReportDue || g.UseReport == nil {
			if g.ReportState == ReportFiled {
				return &Error{Kind: KindConflict, Message: T("使用报告已提交", "the use report has been filed")}
			}
			return &Error{Kind: KindConflict, Message: T("授权结束后才需提交使用报告", "a use report falls due when the grant ends")}
		}
		now := s.now()
		g.UseReport.FiledAt, g.UseReport.FiledBy = &now, p.User.ID
		g.UseReport.Models, g.UseReport.PurposeMet, g.UseReport.Results = append([]ModelRef{}, in.Models...), in.PurposeMet, in.Results
		g.ReportState = ReportFiled
		g.Rev++
		ev := s.newAuditEvent(p, "use-report.file", grantObject(g.ID), dec, map[string]string{"dataset": g.Dataset, "models": modelList(in.Models)})
		g.add(ev)
		to := []string{toReviewers(g.ProviderOrg)}
		if g.Tier == TierImportant || g.BureauApproved {
			to = append(to, toBureau)
		}
		title := datasetTitle(g.DatasetTitle, g.DatasetTitleEn)
		g.notify(notice{ID: ev.EventID, Kind: "use-report.filed", To: to, Object: grantObject(g.ID), Link: "/api/v1/grants/" + g.ID, At: now,
			Title: T("已提交数据使用报告", "Use report filed"),
			Body:  T(g.UserName+" 提交了数据集"+title.Zh+"的使用报告。", g.UserName+" filed the use report for "+title.En+".")})
		return nil
	})
	if err != nil {
		return Grant{}, err
	}
	s.afterGrantWrite(ctx, id)
	return out.Grant.shown(s.now()), nil
}

func modelList(ms []ModelRef) string {
	var b []string
	for _, m := range ms {
		b = append(b, strings.TrimSpace(m.Name+" "+m.Version))
	}
	return strings.Join(b, "; ")
}

// reconcileDataset brings a dataset's grants and open requests in line
// with its present tier, after a re-grading. Idempotent, so it runs again
// safely after a crash:
//   - an active grant the tier no longer admits is suspended (important:
//     grants without the bureau's approval; core: all); a suspended one
//     the tier admits again, and not expired, is reinstated;
//   - open requests for a tier that takes none (open: none needed; core:
//     never granted) are cancelled; a request awaiting the bureau for data
//     now conditional is approved by the provider's approval alone; one
//     awaiting the provider for data now important will go to the bureau.
func (s *Service) reconcileDataset(ctx context.Context, datasetID string) error {
	d, _, err := s.datasets.get(ctx, datasetID)
	if IsKind(err, KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	tier := d.Tier
	tl := tierLabel(tier)
	var touched []string
	err = s.grants.each(ctx, []Filter{Where("dataset", datasetID), WhereIn("state", GrantActive, GrantSuspended)}, func(f grantRecord, _ int64) error {
		_, _, err := s.grants.update(ctx, f.ID, func(g *grantRecord) error {
			now := s.now()
			title := datasetTitle(g.DatasetTitle, g.DatasetTitleEn)
			switch {
			case g.State == GrantActive && !g.fits(tier):
				g.State = GrantSuspended
				reason := T("数据集分级已调整为“"+tl.Zh+"”，该授权不满足新的分级要求", "the dataset was re-graded to "+tl.En+", which this grant does not satisfy")
				g.Suspension = &GrantChange{By: "system", Reason: reason, At: now}
				g.Rev++
				ev := s.newAuditEvent(system(), "grant.suspend", grantObject(g.ID), systemDecision(reason.Zh, reason.En),
					map[string]string{"dataset": g.Dataset, "user": g.User, "tier": string(tier)})
				g.add(ev)
				g.notify(notice{ID: ev.EventID, Kind: "grant.suspended", To: []string{toUser(g.User)}, Object: grantObject(g.ID), Link: "/api/v1/grants/" + g.ID, At: now,
					Title: T("授权已暂停", "Grant suspended"),
					Body: T("数据集"+title.Zh+"的分级已调整为“"+tl.Zh+"”，您的访问授权已暂停，请停止使用；如需继续使用，请按新的分级重新申请。",
						title.En+" was re-graded to "+tl.En+"; your grant is suspended and the data may not be used. Request access again under the new tier if you need it.")})
			case g.State == GrantSuspended && g.fits(tier) && now.Before(g.ExpiresAt):
				g.State, g.Suspension = GrantActive, nil
				g.Rev++
				ev := s.newAuditEvent(system(), "grant.reinstate", grantObject(g.ID), systemDecision("授权满足调整后的分级要求", "the grant satisfies the dataset's new tier"),
					map[string]string{"dataset": g.Dataset, "user": g.User, "tier": string(tier)})
				g.add(ev)
				g.notify(notice{ID: ev.EventID, Kind: "grant.reinstated", To: []string{toUser(g.User)}, Object: grantObject(g.ID), Link: "/api/v1/grants/" + g.ID, At: now,
					Title: T("授权已恢复", "Grant reinstated"),
					Body:  T("数据集"+title.Zh+"的分级已调整为“"+tl.Zh+"”，您的访问授权已恢复。", title.En+" was re-graded to "+tl.En+"; your grant is in force again.")})
			default:
				return errUnchanged
			}
			return nil
		})
		if err != nil && !IsKind(err, KindNotFound) {
			return err
		}
		touched = append(touched, f.ID)
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range touched {
		s.afterGrantWrite(ctx, id)
	}
	var reqs []string
	err = s.requests.each(ctx, []Filter{Where("dataset", datasetID), WhereIn("state", RequestAwaitingProvider, RequestAwaitingBureau)}, func(f requestRecord, _ int64) error {
		_, _, err := s.requests.update(ctx, f.ID, func(r *requestRecord) error {
			if !r.Open() {
				return errUnchanged
			}
			now := s.now()
			title := datasetTitle(r.DatasetTitle, r.DatasetTitleEn)
			var n notice
			var ev AuditEvent
			switch {
			case tier == TierOpen || tier == TierCore:
				r.close(RequestCancelled, now)
				r.Note = T("数据集分级已调整为“"+tl.Zh+"”，该分级不接受访问申请", "the dataset was re-graded to "+tl.En+", which takes no access requests")
				ev = s.newAuditEvent(system(), "access-request.cancel", requestObject(r.ID), systemDecision(r.Note.Zh, r.Note.En), map[string]string{"dataset": r.Dataset, "tier": string(tier)})
				n = notice{Kind: "access-request.cancelled", To: []string{toUser(r.Requester)}, Title: T("访问申请已取消", "Access request cancelled"),
					Body: T("数据集"+title.Zh+"的分级已调整为“"+tl.Zh+"”，您的访问申请已取消。", title.En+" was re-graded to "+tl.En+"; your access request was cancelled.")}
			case tier == TierConditional && r.State == RequestAwaitingBureau:
				r.close(RequestApproved, now)
				r.GrantID, r.GrantPending = grantIDFor(r.ID), true
				r.Note = T("数据集分级已调整为“"+tl.Zh+"”，提供机构的批准即为最终批准", "the dataset was re-graded to "+tl.En+"; the provider's approval is final")
				ev = s.newAuditEvent(system(), "access-request.approve", requestObject(r.ID), systemDecision(r.Note.Zh, r.Note.En), map[string]string{"dataset": r.Dataset, "tier": string(tier)})
				n = notice{Kind: "access-request.approved", To: []string{toUser(r.Requester), toReviewers(r.ProviderOrg)}, Title: T("访问申请已批准", "Access request approved"),
					Body: T("数据集"+title.Zh+"的分级已调整为“"+tl.Zh+"”，提供机构的批准即为最终批准，您的访问申请已批准。",
						title.En+" was re-graded to "+tl.En+"; the provider's approval is final and your request is approved.")}
			case tier == TierImportant && !r.BureauStage:
				r.BureauStage = true // the bureau will decide after the provider
				return nil
			default:
				return errUnchanged
			}
			r.UpdatedAt, r.Rev, r.Tier = now, r.Rev+1, tier
			r.add(ev)
			n.ID, n.Object, n.Link, n.At = ev.EventID, requestObject(r.ID), "/api/v1/access-requests/"+r.ID, now
			r.notify(n)
			return nil
		})
		if err != nil && !IsKind(err, KindNotFound) {
			return err
		}
		reqs = append(reqs, f.ID)
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range reqs {
		s.afterRequestWrite(ctx, id)
	}
	return nil
}

// anyGrant reports whether the user ever held a grant to the dataset.
func (s *Service) anyGrant(ctx context.Context, user, dataset string) (bool, error) {
	n, err := s.grants.c.Count(ctx, Where("user", user), Where("dataset", dataset))
	return n > 0, err
}
