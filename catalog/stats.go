package catalog

import (
	"context"
	"slices"
	"sort"
	"time"
)

// Statistics for monitoring (Article 41). Counting the catalogue on every
// request would scan every collection, so a background job (the portal's
// sweep, every stats interval) computes two documents in the stats
// collection: "public", what anyone may know, and "full", the bureau's
// view. Which datasets each counts comes from the policy: a dataset counts
// for an audience when the visibility filter the ACL derives for that
// audience (anonymous; a bureau user) admits it — the same filter search
// applies — so the rules are not written down a second time. A request
// reads one document, plus a few indexed counts of the caller's own
// organisation.

// Stats audiences.
const (
	StatsPublic = "public"
	StatsFull   = "full"
)

// Stats is the statistics document one audience reads.
type Stats struct {
	Audience   string        `json:"audience"`
	ComputedAt time.Time     `json:"computed_at"`
	Datasets   DatasetStats  `json:"datasets"`
	Providers  ProviderStats `json:"providers"`
	Lists      ListStats     `json:"lists"`
	// The bureau's view only.
	Needs          map[string]int `json:"needs,omitempty"`
	Downloads      *DownloadStats `json:"downloads,omitempty"`
	AccessRequests *RequestStats  `json:"access_requests,omitempty"`
	// Own is the caller's organisation's figures, computed per request.
	Own *OwnStats `json:"own,omitempty"`
}

// DatasetStats counts published datasets.
type DatasetStats struct {
	Total      int          `json:"total"`
	Records    int64        `json:"records"`
	Bytes      int64        `json:"bytes"`
	ByDomain   []FacetValue `json:"by_domain"`
	ByModality []FacetValue `json:"by_modality"`
	ByTier     []FacetValue `json:"by_tier"`
	// ByMonth counts datasets by month of publication (China time).
	ByMonth []MonthCount `json:"by_month"`
}

// MonthCount is a count for one month, "2026-03".
type MonthCount struct {
	Month string `json:"month"`
	Count int    `json:"count"`
}

// ProviderStats counts provider organisations.
type ProviderStats struct {
	// Publishing is how many organisations have counted datasets.
	Publishing int `json:"publishing"`
	// Registered and Verified count provider organisations.
	Registered int64        `json:"registered"`
	Verified   int64        `json:"verified"`
	ByDomain   []FacetValue `json:"by_domain"` // organisations publishing in each domain
}

// ListStats sums up the public construction lists.
type ListStats struct {
	Published int            `json:"published"`
	Closed    int            `json:"closed"`
	Drafts    int            `json:"drafts,omitempty"` // the bureau's view
	Items     int            `json:"items"`
	Covered   int            `json:"covered"`
	Coverage  float64        `json:"coverage"`
	Overdue   int            `json:"overdue"`
	ByState   map[string]int `json:"responses_by_state"`
	PerList   []ListCoverage `json:"per_list"`
}

// ListCoverage is one list's coverage.
type ListCoverage struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	TitleEn  string  `json:"title_en"`
	Status   string  `json:"status"`
	Items    int     `json:"items"`
	Covered  int     `json:"covered"`
	Coverage float64 `json:"coverage"`
	Overdue  int     `json:"overdue"`
}

// DownloadStats counts file downloads (audited "download" events).
type DownloadStats struct {
	Total   int64        `json:"total"`
	ByMonth []MonthCount `json:"by_month"` // the last twelve months
}

// RequestStats counts access requests.
type RequestStats struct {
	Total   int            `json:"total"`
	ByState map[string]int `json:"by_state"`
	Decided int            `json:"decided"`
	// MedianDecisionHours is the median time from a request to its final
	// decision (approved or rejected), in hours.
	MedianDecisionHours float64 `json:"median_decision_hours"`
}

// OwnStats are the caller's organisation's figures.
type OwnStats struct {
	Org       string         `json:"org"`
	Datasets  map[string]int `json:"datasets_by_status"`
	Responses map[string]int `json:"responses_by_state"`
}

type statsRecord struct {
	Stats
}

var statsSchema = Schema{Name: "stats", Fields: []Field{{Name: "computed_at", Type: Time}}}

// Statistics returns the statistics the caller may see: the bureau's view
// with the view-statistics permission, the public one otherwise, and the
// caller's organisation's own figures. The first call on a new portal
// computes them; later ones read what the background job stored.
func (s *Service) Statistics(ctx context.Context, p Principal) (Stats, error) {
	audience := StatsPublic
	if d, err := s.authz.Decide(ctx, p.Subject(), ActViewStatistics, Resource{}); err != nil {
		return Stats{}, err
	} else if d.Allowed {
		audience = StatsFull
	}
	rec, _, err := s.ls.stats.get(ctx, audience)
	if IsKind(err, KindNotFound) {
		if err := s.RefreshStats(ctx, 0); err != nil {
			return Stats{}, err
		}
		rec, _, err = s.ls.stats.get(ctx, audience)
	}
	if err != nil {
		return Stats{}, err
	}
	st := rec.Stats
	if p.Org != nil {
		own, err := s.ownStats(ctx, p.Org.ID)
		if err != nil {
			return Stats{}, err
		}
		st.Own = own
	}
	return st, nil
}

func (s *Service) ownStats(ctx context.Context, org string) (*OwnStats, error) {
	own := &OwnStats{Org: org, Datasets: map[string]int{}, Responses: map[string]int{}}
	for _, st := range Statuses.Values() {
		n, err := s.datasets.c.Count(ctx, Where("publisher", org), Where("status", st))
		if err != nil {
			return nil, err
		}
		own.Datasets[st] = int(n)
	}
	for _, st := range ResponseStates.Values() {
		n, err := s.ls.responses.c.Count(ctx, Where("org", org), Where("state", st))
		if err != nil {
			return nil, err
		}
		own.Responses[st] = int(n)
	}
	return own, nil
}

// RefreshStats recomputes the statistics when the stored ones are older
// than maxAge (0: always). Any instance may run it; the last write wins,
// and every write is a complete computation.
func (s *Service) RefreshStats(ctx context.Context, maxAge time.Duration) error {
	if maxAge > 0 {
		rec, _, err := s.ls.stats.get(ctx, StatsPublic)
		if err == nil && s.now().Sub(rec.ComputedAt) < maxAge {
			return nil
		}
		if err != nil && !IsKind(err, KindNotFound) {
			return err
		}
	}
	all, err := s.computeStats(ctx)
	if err != nil {
		return err
	}
	for _, st := range all {
		if err := s.storeStats(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) storeStats(ctx context.Context, st Stats) error {
	rec := statsRecord{Stats: st}
	_, rev, err := s.ls.stats.get(ctx, st.Audience)
	switch {
	case IsKind(err, KindNotFound):
		_, err = s.ls.stats.insert(ctx, st.Audience, &rec)
	case err == nil:
		_, err = s.ls.stats.replace(ctx, st.Audience, rev, &rec)
	}
	if IsKind(err, KindConflict) {
		return nil // another instance stored fresh figures meanwhile
	}
	return err
}

// statsAudience is one audience's tallies during a computation.
type statsAudience struct {
	vis       Visibility
	st        Stats
	domains   map[string]int
	modals    map[string]int
	tiers     map[string]int
	months    map[string]int
	providers map[string]bool
	provDom   map[string]map[string]bool
}

func (s *Service) computeStats(ctx context.Context) ([]Stats, error) {
	now := s.now()
	// The audiences' visibility filters come from the policy.
	pub, err := s.authz.Visibility(ctx, Subject{})
	if err != nil {
		return nil, err
	}
	full, err := s.authz.Visibility(ctx, Subject{UserID: "statistics", Roles: []string{RoleBureau}})
	if err != nil {
		return nil, err
	}
	auds := []*statsAudience{{vis: pub, st: Stats{Audience: StatsPublic}}, {vis: full, st: Stats{Audience: StatsFull}}}
	for _, a := range auds {
		a.st.ComputedAt = now
		a.domains, a.modals, a.tiers, a.months = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
		a.providers, a.provDom = map[string]bool{}, map[string]map[string]bool{}
	}
	if err := s.datasets.each(ctx, []Filter{Where("status", StatusPublished)}, func(rec datasetRecord, _ int64) error {
		d := &rec.Dataset
		fields := IndexDocOf(d).VisibilityFields()
		for _, a := range auds {
			if !a.vis.Matches(fields) {
				continue
			}
			a.st.Datasets.Total++
			a.st.Datasets.Records += d.Size.Records
			a.st.Datasets.Bytes += d.Size.Bytes
			a.domains[d.Domain]++
			a.modals[d.Modality]++
			a.tiers[string(d.Tier)]++
			if d.PublishedAt != nil {
				a.months[d.PublishedAt.In(chinaTime).Format("2006-01")]++
			}
			a.providers[d.Publisher] = true
			if a.provDom[d.Domain] == nil {
				a.provDom[d.Domain] = map[string]bool{}
			}
			a.provDom[d.Domain][d.Publisher] = true
		}
		return nil
	}); err != nil {
		return nil, err
	}
	registered, err := s.orgs.c.Count(ctx, Where("kind", "provider"))
	if err != nil {
		return nil, err
	}
	verified, err := s.orgs.c.Count(ctx, Where("kind", "provider"), Where("verified", true))
	if err != nil {
		return nil, err
	}
	lists, drafts, err := s.listStats(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range auds {
		ds := &a.st.Datasets
		ds.ByDomain, ds.ByModality, ds.ByTier = vocabCounts(Domains, a.domains), vocabCounts(Modalities, a.modals), vocabCounts(Tiers, a.tiers)
		ds.ByMonth = monthCounts(a.months)
		a.st.Providers = ProviderStats{Publishing: len(a.providers), Registered: registered, Verified: verified}
		pd := map[string]int{}
		for d, orgs := range a.provDom {
			pd[d] = len(orgs)
		}
		a.st.Providers.ByDomain = vocabCounts(Domains, pd)
		a.st.Lists = lists
	}
	// What only the bureau sees.
	f := &auds[1].st
	f.Lists.Drafts = drafts
	if f.Needs, err = s.needStats(ctx); err != nil {
		return nil, err
	}
	if f.Downloads, err = s.downloadStats(ctx, now); err != nil {
		return nil, err
	}
	if f.AccessRequests, err = s.requestStats(ctx); err != nil {
		return nil, err
	}
	return []Stats{auds[0].st, auds[1].st}, nil
}

// vocabCounts lists counts in vocabulary order, with labels; values not in
// the vocabulary follow.
func vocabCounts(v Vocabulary, counts map[string]int) []FacetValue {
	out := []FacetValue{}
	for _, t := range v {
		if n := counts[t.Value]; n > 0 {
			out = append(out, FacetValue{Value: t.Value, Label: t.Label, Count: n})
		}
	}
	var other []string
	for k := range counts {
		if !v.Has(k) && counts[k] > 0 {
			other = append(other, k)
		}
	}
	slices.Sort(other)
	for _, k := range other {
		out = append(out, FacetValue{Value: k, Label: T(k, k), Count: counts[k]})
	}
	return out
}

func monthCounts(m map[string]int) []MonthCount {
	out := make([]MonthCount, 0, len(m))
	for k, n := range m {
		out = append(out, MonthCount{Month: k, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month < out[j].Month })
	return out
}

// listStats sums up the published and closed lists (their responses are
// public; linked datasets are not counted here).
func (s *Service) listStats(ctx context.Context) (ListStats, int, error) {
	ls := ListStats{ByState: emptyByState(), PerList: []ListCoverage{}}
	drafts := 0
	today := s.today()
	err := s.ls.lists.each(ctx, nil, func(rec listRecord, _ int64) error {
		l := &rec.ConstructionList
		switch l.Status {
		case ListDraft:
			drafts++
			return nil
		case ListPublished:
			ls.Published++
		case ListClosed:
			ls.Closed++
		}
		rs, err := s.listResponses(ctx, l.ID)
		if err != nil {
			return err
		}
		pr := progressOf(l, rs, func(string) bool { return false }, today)
		ls.Items += pr.Items
		ls.Covered += pr.Covered
		ls.Overdue += pr.Overdue
		for st, n := range pr.ByState {
			ls.ByState[st] += n
		}
		ls.PerList = append(ls.PerList, ListCoverage{ID: l.ID, Title: l.Title, TitleEn: l.TitleEn, Status: l.Status,
			Items: pr.Items, Covered: pr.Covered, Coverage: pr.Coverage, Overdue: pr.Overdue})
		return nil
	})
	ls.Coverage = ratio(ls.Covered, ls.Items)
	sort.Slice(ls.PerList, func(i, j int) bool { return ls.PerList[i].ID > ls.PerList[j].ID })
	return ls, drafts, err
}

func (s *Service) needStats(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, st := range NeedStatuses.Values() {
		n, err := s.ls.needs.c.Count(ctx, Where("status", st))
		if err != nil {
			return nil, err
		}
		out[st] = int(n)
	}
	return out, nil
}

// downloadStats counts the audited downloads (the audit trail indexes the
// action and the time), in total and for each of the last twelve months.
func (s *Service) downloadStats(ctx context.Context, now time.Time) (*DownloadStats, error) {
	total, err := s.auditLog.c.Count(ctx, Where("action", "download"))
	if err != nil {
		return nil, err
	}
	out := &DownloadStats{Total: total, ByMonth: []MonthCount{}}
	local := now.In(chinaTime)
	first := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, chinaTime).AddDate(0, -11, 0)
	for i := 0; i < 12; i++ {
		from, to := first.AddDate(0, i, 0), first.AddDate(0, i+1, 0)
		n, err := s.auditLog.c.Count(ctx, Where("action", "download"), Filter{Field: "time", Op: Gte, Value: from.UTC()}, Filter{Field: "time", Op: Lt, Value: to.UTC()})
		if err != nil {
			return nil, err
		}
		out.ByMonth = append(out.ByMonth, MonthCount{Month: from.Format("2006-01"), Count: int(n)})
	}
	return out, nil
}

// requestStats counts access requests by state and the median time from a
// request to its final decision.
func (s *Service) requestStats(ctx context.Context) (*RequestStats, error) {
	out := &RequestStats{ByState: map[string]int{}}
	for _, st := range RequestStates.Values() {
		out.ByState[st] = 0
	}
	var hours []float64
	err := s.requests.each(ctx, nil, func(r requestRecord, _ int64) error {
		out.Total++
		out.ByState[r.State]++
		if (r.State == RequestApproved || r.State == RequestRejected) && len(r.Decisions) > 0 {
			last := r.Decisions[len(r.Decisions)-1].At
			hours = append(hours, last.Sub(r.CreatedAt).Hours())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Decided = len(hours)
	if len(hours) > 0 {
		slices.Sort(hours)
		m := hours[len(hours)/2]
		if len(hours)%2 == 0 {
			m = (hours[len(hours)/2-1] + hours[len(hours)/2]) / 2
		}
		out.MedianDecisionHours = float64(int(m*100+0.5)) / 100
	}
	return out, nil
}
