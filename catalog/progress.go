package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Progress of a construction list: per list and per item, responses by
// state, coverage (items with an accepted delivery), overdue items and
// the same by domain, with a monthly timeline for charts. Responses to a
// public list are public; the datasets linked to them are counted only
// when the reader may view them.

// ListProgress is the progress report of one list for one reader.
type ListProgress struct {
	ListID   string `json:"list_id"`
	Title    string `json:"title"`
	TitleEn  string `json:"title_en"`
	Status   string `json:"status"`
	Revision int    `json:"revision"`
	// AsOf is the date (China time) overdue items are judged against.
	AsOf string `json:"as_of"`
	// Items counts the items still wanted; Cancelled the cancelled ones,
	// which count nowhere else.
	Items     int `json:"items"`
	Cancelled int `json:"cancelled"`
	// Covered items have an accepted delivery; Coverage is Covered/Items.
	Covered  int     `json:"covered"`
	Coverage float64 `json:"coverage"`
	// Overdue items are past their deadline without an accepted delivery.
	Overdue   int `json:"overdue"`
	Answered  int `json:"answered"` // items with at least one response
	Responses int `json:"responses"`
	// ByState counts responses by state (every state present).
	ByState map[string]int `json:"by_state"`
	// Datasets counts the linked datasets the reader may view.
	Datasets int              `json:"datasets"`
	ByDomain []DomainProgress `json:"by_domain"`
	ByItem   []ItemProgress   `json:"by_item"`
	Timeline []MonthProgress  `json:"timeline"`
}

// DomainProgress is the progress of a list's items in one domain.
type DomainProgress struct {
	Domain    string  `json:"domain"`
	Label     Text    `json:"label"`
	Items     int     `json:"items"`
	Covered   int     `json:"covered"`
	Coverage  float64 `json:"coverage"`
	Overdue   int     `json:"overdue"`
	Responses int     `json:"responses"`
}

// ItemProgress is the progress of one item.
type ItemProgress struct {
	Code       string         `json:"code"`
	Ref        string         `json:"ref"`
	Name       string         `json:"name"`
	Domain     string         `json:"domain"`
	Deadline   string         `json:"deadline,omitempty"`
	Priority   string         `json:"priority"`
	Cancelled  bool           `json:"cancelled,omitempty"`
	Overdue    bool           `json:"overdue"`
	Covered    bool           `json:"covered"`
	Responses  int            `json:"responses"`
	ByState    map[string]int `json:"by_state"`
	Datasets   int            `json:"datasets"`
	Responders []string       `json:"responders"`
}

// MonthProgress counts, per month (China time), responses filed,
// deliveries made and deliveries accepted: a burn-up chart.
type MonthProgress struct {
	Month     string `json:"month"`
	Responses int    `json:"responses"`
	Delivered int    `json:"delivered"`
	Accepted  int    `json:"accepted"`
}

func emptyByState() map[string]int {
	m := map[string]int{}
	for _, st := range ResponseStates.Values() {
		m[st] = 0
	}
	return m
}

// Progress returns the progress report of a list the principal may read.
func (s *Service) Progress(ctx context.Context, p Principal, listID string) (ListProgress, error) {
	rec, _, err := s.readableList(ctx, p, listID)
	if err != nil {
		return ListProgress{}, err
	}
	rs, err := s.listResponses(ctx, rec.ID)
	if err != nil {
		return ListProgress{}, err
	}
	visible, err := s.visibleDatasets(ctx, p, responseDatasetIDs(rs))
	if err != nil {
		return ListProgress{}, err
	}
	return progressOf(&rec.ConstructionList, rs, func(id string) bool { _, ok := visible[id]; return ok }, s.today()), nil
}

// progressOf computes a list's progress; seen says which linked datasets
// the reader may count.
func progressOf(l *ConstructionList, rs []ListResponse, seen func(string) bool, today string) ListProgress {
	pr := ListProgress{ListID: l.ID, Title: l.Title, TitleEn: l.TitleEn, Status: l.Status, Revision: l.Revision, AsOf: today,
		ByState: emptyByState(), ByDomain: []DomainProgress{}, ByItem: []ItemProgress{}, Timeline: []MonthProgress{}}
	byItem := map[string][]ListResponse{}
	for _, r := range rs {
		byItem[r.Item] = append(byItem[r.Item], r)
	}
	domains := map[string]*DomainProgress{}
	months := map[string]*MonthProgress{}
	month := func(t string) *MonthProgress {
		if months[t] == nil {
			months[t] = &MonthProgress{Month: t}
		}
		return months[t]
	}
	for _, it := range l.Items {
		ip := ItemProgress{Code: it.Code, Ref: ItemRef(l.ID, it.Code), Name: it.Name, Domain: it.Domain, Deadline: it.Deadline,
			Priority: it.Priority, Cancelled: it.Cancelled, ByState: emptyByState(), Responders: []string{}}
		for _, r := range byItem[it.Code] {
			ip.Responses++
			ip.ByState[r.State]++
			ip.Covered = ip.Covered || r.State == RespAccepted
			ip.Responders = append(ip.Responders, r.OrgName)
			for _, d := range r.Datasets {
				if seen(d) {
					ip.Datasets++
				}
			}
		}
		ip.Overdue = !ip.Covered && !it.Cancelled && it.Deadline != "" && it.Deadline < today
		pr.ByItem = append(pr.ByItem, ip)
		if it.Cancelled {
			pr.Cancelled++
			continue
		}
		pr.Items++
		dp := domains[it.Domain]
		if dp == nil {
			dp = &DomainProgress{Domain: it.Domain}
			dp.Label, _ = Domains.Label(it.Domain)
			domains[it.Domain] = dp
		}
		dp.Items++
		dp.Responses += ip.Responses
		if ip.Covered {
			pr.Covered++
			dp.Covered++
		}
		if ip.Overdue {
			pr.Overdue++
			dp.Overdue++
		}
		if ip.Responses > 0 {
			pr.Answered++
		}
		pr.Responses += ip.Responses
		pr.Datasets += ip.Datasets
		for st, n := range ip.ByState {
			pr.ByState[st] += n
		}
		for _, r := range byItem[it.Code] {
			month(r.CreatedAt.In(chinaTime).Format("2006-01")).Responses++
			if r.DeliveredAt != nil {
				month(r.DeliveredAt.In(chinaTime).Format("2006-01")).Delivered++
			}
			if r.State == RespAccepted && r.DecidedAt != nil {
				month(r.DecidedAt.In(chinaTime).Format("2006-01")).Accepted++
			}
		}
	}
	pr.Coverage = ratio(pr.Covered, pr.Items)
	for _, dv := range Domains {
		if dp := domains[dv.Value]; dp != nil {
			dp.Coverage = ratio(dp.Covered, dp.Items)
			pr.ByDomain = append(pr.ByDomain, *dp)
		}
	}
	keys := make([]string, 0, len(months))
	for k := range months {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		pr.Timeline = append(pr.Timeline, *months[k])
	}
	return pr
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(int(float64(a)/float64(b)*10000+0.5)) / 10000
}

// ProgressTables are the sheets of a progress report: items and domains.
func ProgressTables(pr ListProgress) []Table {
	stateHeader := make([]string, 0, len(ResponseStates))
	for _, st := range ResponseStates {
		stateHeader = append(stateHeader, st.Label.Zh)
	}
	items := Table{Name: "条目进度", Title: pr.Title + " · 进度（截至 " + pr.AsOf + "）",
		Header: append([]string{"序号", "数据集名称", "行业领域", "截止日期", "优先级", "条目状态", "已验收", "是否逾期", "响应数"},
			append(stateHeader, "关联数据集", "响应单位")...),
		Widths: []float64{8, 30, 14, 12, 8, 10, 8, 8, 8, 8, 8, 8, 8, 8, 10, 40}}
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	for _, ip := range pr.ByItem {
		status := "有效"
		if ip.Cancelled {
			status = "已取消"
		}
		var deadline any = ""
		if ip.Deadline != "" {
			deadline = dateCell(ip.Deadline)
		}
		row := []any{ip.Code, ip.Name, zhLabel(Domains, ip.Domain), deadline, zhLabel(Priorities, ip.Priority), status, yes(ip.Covered), yes(ip.Overdue), ip.Responses}
		for _, st := range ResponseStates.Values() {
			row = append(row, ip.ByState[st])
		}
		row = append(row, ip.Datasets, strings.Join(ip.Responders, "、"))
		items.Rows = append(items.Rows, row)
	}
	domains := Table{Name: "领域汇总", Header: []string{"行业领域", "条目数", "已验收条目", "覆盖率", "逾期条目", "响应数"}, Widths: []float64{16, 10, 12, 10, 10, 10}}
	for _, dp := range pr.ByDomain {
		domains.Rows = append(domains.Rows, []any{dp.Label.Zh, dp.Items, dp.Covered, fmt.Sprintf("%.1f%%", dp.Coverage*100), dp.Overdue, dp.Responses})
	}
	domains.Rows = append(domains.Rows, []any{"合计", pr.Items, pr.Covered, fmt.Sprintf("%.1f%%", pr.Coverage*100), pr.Overdue, pr.Responses})
	return []Table{items, domains}
}
