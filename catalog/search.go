package catalog

import (
	"context"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// SearchRequest is a search as the API takes it.
type SearchRequest struct {
	Q string
	// Filters by facet name (see Facets); several values of one facet are
	// alternatives.
	Filters map[string][]string
	// Status is published by default; organisations may search their own
	// drafts, and the bureau withdrawn datasets, with it.
	Status  string
	Sort    string
	Page    int
	PerPage int
}

// SearchResponse is one page of results for the caller.
type SearchResponse struct {
	Total   int                     `json:"total"`
	Page    int                     `json:"page"`
	PerPage int                     `json:"per_page"`
	Sort    string                  `json:"sort"`
	Hits    []SearchHit             `json:"hits"`
	Facets  map[string][]FacetValue `json:"facets"`
}

// SearchHit is a dataset in the results with its highlighted fragments.
type SearchHit struct {
	Dataset
	Score     float64             `json:"score"`
	Highlight map[string][]string `json:"highlight,omitempty"`
}

// FacetValue is a facet value with its labels and the number of visible
// matching datasets that have it.
type FacetValue struct {
	Value string `json:"value"`
	Label Text   `json:"label"`
	Count int    `json:"count"`
}

// MaxSearchWindow bounds page × per_page: deep pages cost the engine and
// help nobody; narrowing the query does.
const MaxSearchWindow = 10000

// Search runs a full-text search with the caller's visibility filter inside
// the engine query, so hits, the total and every facet count only count
// datasets the caller may see.
func (s *Service) Search(ctx context.Context, p Principal, r SearchRequest) (SearchResponse, error) {
	var v Validation
	r.Q = strings.TrimSpace(r.Q)
	checkQueryText(&v, r.Q)
	if r.Page == 0 {
		r.Page = 1
	}
	if r.PerPage == 0 {
		r.PerPage = 20
	}
	if r.Page < 1 {
		v.Add("page", "range", "页码须从 1 开始", "page starts at 1")
	}
	if r.PerPage < 1 || r.PerPage > 100 {
		v.Add("per_page", "range", "每页条数须在 1–100 之间", "per_page must be 1–100")
	}
	if r.Page >= 1 && r.PerPage >= 1 && r.Page*r.PerPage > MaxSearchWindow {
		v.Add("page", "range", "最多浏览前 10000 条结果，请缩小查询范围", "only the first 10,000 results can be paged; narrow the query")
	}
	if r.Sort == "" {
		r.Sort = SortRelevance
		if r.Q == "" {
			r.Sort = SortNewest
		}
	}
	if r.Sort != SortRelevance && r.Sort != SortNewest && r.Sort != SortTitle {
		v.Add("sort", "vocabulary", "排序须为 relevance、newest 或 title", "sort must be relevance, newest or title")
	}
	status := StatusPublished
	if r.Status != "" {
		if !Statuses.Has(r.Status) {
			v.Add("status", "vocabulary", "状态须为 draft、published 或 withdrawn", "status must be draft, published or withdrawn")
		}
		status = r.Status
	}
	filters := map[string][]string{}
	for k, vals := range r.Filters {
		known := false
		for _, f := range Facets {
			known = known || f == k
		}
		if !known {
			v.Add(k, "unknown", "未知的筛选条件", "unknown filter")
			continue
		}
		if len(vals) > 20 {
			v.Add(k, "too_many", "同一筛选条件最多 20 个值", "at most 20 values per filter")
		}
		for _, val := range vals {
			if val = strings.TrimSpace(val); val != "" {
				if len(val) > 100 {
					v.Add(k, "too_long", "筛选值过长", "filter value too long")
				}
				filters[k] = append(filters[k], val)
			}
		}
	}
	if err := v.Err(); err != nil {
		return SearchResponse{}, err
	}

	vis, err := s.authz.Visibility(ctx, p.Subject())
	if err != nil {
		return SearchResponse{}, err
	}
	res, err := s.index.Search(ctx, SearchQuery{
		Text: r.Q, Filters: filters, Status: []string{status}, Visibility: vis, Sort: r.Sort,
		Offset: (r.Page - 1) * r.PerPage, Limit: r.PerPage, Facets: Facets,
	})
	if err != nil {
		return SearchResponse{}, err
	}
	out := SearchResponse{Total: res.Total, Page: r.Page, PerPage: r.PerPage, Sort: r.Sort, Hits: []SearchHit{}, Facets: map[string][]FacetValue{}}

	// The index returns ids; the store is the truth for what is shown.
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	byID := map[string]Dataset{}
	if len(ids) > 0 {
		page, _, err := s.datasets.find(ctx, Query{Filters: []Filter{WhereIn("id", ids...)}, Limit: len(ids)})
		if err != nil {
			return SearchResponse{}, err
		}
		for _, f := range page {
			byID[f.V.ID] = f.V.Dataset
		}
	}
	for _, h := range res.Hits {
		d, ok := byID[h.ID]
		if !ok {
			continue // deleted since it was indexed; the indexer catches up
		}
		// The filter ran inside the engine; checking again guards against
		// an index that has not caught up with a tier or status change.
		dec, err := s.authz.Decide(ctx, p.Subject(), ActView, viewResource(&d))
		if err != nil {
			return SearchResponse{}, err
		}
		if !dec.Allowed {
			continue
		}
		if err := s.datasetForReader(ctx, p, &d); err != nil {
			return SearchResponse{}, err
		}
		out.Hits = append(out.Hits, SearchHit{Dataset: d, Score: h.Score, Highlight: h.Highlights})
	}
	lists := map[string]*ConstructionList{}
	for name, counts := range res.Facets {
		vals := make([]FacetValue, 0, len(counts))
		for _, c := range counts {
			l := s.facetLabel(ctx, name, c.Value)
			if name == FacetList {
				l = s.itemLabel(ctx, p, lists, c.Value)
			}
			vals = append(vals, FacetValue{Value: c.Value, Label: l, Count: c.Count})
		}
		out.Facets[name] = vals
	}
	return out, nil
}

var (
	zhNames = display.Tags(language.SimplifiedChinese)
	enNames = display.Tags(language.English)
)

// facetLabel returns the Chinese and English labels of a facet value.
func (s *Service) facetLabel(ctx context.Context, facet, value string) Text {
	var voc Vocabulary
	switch facet {
	case FacetDomain:
		voc = Domains
	case FacetModality:
		voc = Modalities
	case FacetTier:
		voc = Tiers
	case FacetTask:
		voc = Tasks
	case FacetLanguage:
		if t, err := language.Parse(value); err == nil {
			zh, en := zhNames.Name(t), enNames.Name(t)
			if zh != "" && en != "" {
				return T(zh, en)
			}
		}
	case FacetPublisher:
		if o, _, err := s.orgs.get(ctx, value); err == nil {
			en := o.NameEn
			if en == "" {
				en = o.Name
			}
			return T(o.Name, en)
		}
	case FacetLicense:
		if value == "proprietary" {
			return T("专有许可", "Proprietary")
		}
	}
	if voc != nil {
		if l, ok := voc.Label(value); ok {
			return l
		}
	}
	return T(value, value)
}

// Suggestion is a search-as-you-type proposal: a dataset the caller may see.
type Suggestion struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	TitleEn string `json:"title_en,omitempty"`
}

// Suggest proposes up to 8 datasets for a partly typed query. It is a
// search like any other, so the caller's visibility filter applies.
func (s *Service) Suggest(ctx context.Context, p Principal, q string) ([]Suggestion, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return []Suggestion{}, nil
	}
	res, err := s.Search(ctx, p, SearchRequest{Q: q, PerPage: 8, Sort: SortRelevance})
	if err != nil {
		return nil, err
	}
	out := make([]Suggestion, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, Suggestion{ID: h.ID, Title: h.Title, TitleEn: h.TitleEn})
	}
	return out, nil
}

// itemLabel labels a construction-list item reference ("2026-1-07") with
// the item's name, when the caller may read its list; lists caches the
// lists read for one response.
func (s *Service) itemLabel(ctx context.Context, p Principal, lists map[string]*ConstructionList, ref string) Text {
	i := strings.LastIndex(ref, "-")
	if i <= 0 {
		return T(ref, ref)
	}
	id, code := ref[:i], ref[i+1:]
	l, seen := lists[id]
	if !seen {
		if rec, _, err := s.readableList(ctx, p, id); err == nil {
			l = &rec.ConstructionList
		}
		lists[id] = l
	}
	if l != nil {
		for _, it := range l.Items {
			if it.Code == code {
				en := it.NameEn
				if en == "" {
					en = it.Name
				}
				return T(ref+" "+it.Name, ref+" "+en)
			}
		}
	}
	return T(ref, ref)
}
