package meili

import (
	"cmp"
	"context"
	"encoding/json"
	"html"
	"slices"
	"sort"
	"strings"

	"github.com/meilisearch/meilisearch-go"

	"dataportal/catalog"
)

const (
	defaultLimit     = 20
	maxLimit         = 10000
	defaultFacetSize = 50
	cropLength       = 40
	markOpen         = "<mark>"
	markClose        = "</mark>"
)

// quote makes a filter string literal: double quotes, with backslashes and
// double quotes escaped (Meilisearch ≥ 1.4 unescapes both).
func quote(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for _, r := range v {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// in is the filter "attr IN [v1, v2]".
func in(attr string, values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = quote(v)
	}
	return attr + " IN [" + strings.Join(q, ", ") + "]"
}

// visibilityFilter turns the ACL's filter into a filter expression: an OR
// of its clauses, each an AND of its terms. ok is false when the filter
// admits nothing (no clause can match); expr is "" when it admits all.
func visibilityFilter(v catalog.Visibility) (expr string, ok bool, err error) {
	var clauses []string
	all := false
	for _, c := range v.Clauses {
		terms := make([]string, 0, len(c))
		possible := true
		for _, t := range c {
			attr, known := visAttrs[t.Field]
			if !known {
				return "", false, catalog.E(catalog.KindInvalid, "可见性过滤字段未知："+t.Field, "unknown visibility field: "+t.Field)
			}
			if len(t.Values) == 0 {
				possible = false // a term without values matches nothing
				continue
			}
			terms = append(terms, in(attr, t.Values))
		}
		switch {
		case !possible:
		case len(terms) == 0:
			all = true // an empty clause matches everything
		default:
			clauses = append(clauses, "("+strings.Join(terms, " AND ")+")")
		}
	}
	switch {
	case all:
		return "", true, nil
	case len(clauses) == 0:
		return "", false, nil
	}
	return strings.Join(clauses, " OR "), true, nil
}

// query is a SearchQuery translated for Meilisearch.
type query struct {
	req     *meilisearch.SearchRequest
	none    bool // the visibility filter admits nothing: no request needed
	skip    int  // hits to drop from the page (an offset that is not a page boundary)
	limit   int
	facets  []string // catalog facet names, in request order
	size    int      // values per facet
	hasText bool
}

// request translates q. Errors: Invalid for an unknown facet, filter, sort
// or visibility field, or a negative offset, limit or facet size.
func (x *Index) request(q catalog.SearchQuery) (query, error) {
	if q.Offset < 0 || q.Limit < 0 || q.FacetSize < 0 {
		return query{}, catalog.E(catalog.KindInvalid, "分页参数不能为负数", "offset, limit and facet size must not be negative")
	}
	out := query{limit: q.Limit, size: q.FacetSize}
	if out.limit == 0 {
		out.limit = defaultLimit
	}
	out.limit = min(out.limit, maxLimit)
	if out.size == 0 {
		out.size = defaultFacetSize
	}

	status := q.Status
	if len(status) == 0 {
		status = []string{catalog.StatusPublished}
	}
	filters := []string{in(aStatus, status)}
	names := make([]string, 0, len(q.Filters))
	for name := range q.Filters {
		names = append(names, name)
	}
	slices.Sort(names) // equal queries, equal requests
	for _, name := range names {
		attr, ok := facetAttrs[name]
		if !ok {
			return query{}, catalog.E(catalog.KindInvalid, "未知的筛选项："+name, "unknown filter: "+name)
		}
		if values := q.Filters[name]; len(values) > 0 { // an empty list does not filter
			filters = append(filters, in(attr, values))
		}
	}
	vis, possible, err := visibilityFilter(q.Visibility)
	if err != nil {
		return query{}, err
	}
	if vis != "" {
		filters = append(filters, "("+vis+")")
	}
	out.none = !possible

	var sortBy []string
	switch q.Sort {
	case "", catalog.SortRelevance:
	case catalog.SortNewest:
		sortBy = []string{aPublishedAt + ":desc", aID + ":asc"}
	case catalog.SortTitle:
		sortBy = []string{aTitleSort + ":asc", aID + ":asc"}
	default:
		return query{}, catalog.E(catalog.KindInvalid, "未知的排序方式："+q.Sort, "unknown sort order: "+q.Sort)
	}
	var facets []string
	for _, name := range q.Facets {
		attr, ok := facetAttrs[name]
		if !ok {
			return query{}, catalog.E(catalog.KindInvalid, "未知的分面："+name, "unknown facet: "+name)
		}
		out.facets = append(out.facets, name)
		facets = append(facets, attr)
	}

	// Pages by number (page, hitsPerPage) give exact totals, up to
	// maxTotalHits; an offset that is not a multiple of the limit is
	// served from the first page of offset+limit hits.
	page, perPage := int64(q.Offset/out.limit+1), int64(out.limit)
	if q.Offset%out.limit != 0 {
		page, perPage, out.skip = 1, int64(q.Offset+out.limit), q.Offset
	}
	text := strings.TrimSpace(q.Text)
	out.hasText = text != ""
	out.req = &meilisearch.SearchRequest{
		Query:                text,
		Filter:               strings.Join(filters, " AND "),
		Sort:                 sortBy,
		Facets:               facets,
		Page:                 page,
		HitsPerPage:          &perPage,
		AttributesToRetrieve: []string{aID, aRev},
		ShowRankingScore:     true,
		// Every word must match (in any attribute, synonyms and typos
		// allowed): a query narrows, as it does on the Bleve index.
		MatchingStrategy: meilisearch.All,
		// Text in a query is Chinese or English, never Japanese: without
		// this, a short Chinese query may be segmented as Japanese.
		Locales: []string{"cmn", "eng"},
	}
	if out.hasText {
		out.req.AttributesToRetrieve = append(out.req.AttributesToRetrieve, highlighted...)
		out.req.AttributesToHighlight = highlighted
		out.req.AttributesToCrop = cropped
		out.req.CropLength = cropLength
		out.req.HighlightPreTag = x.hlPre
		out.req.HighlightPostTag = x.hlPost
	}
	return out, nil
}

// Search runs q with its filters, status and visibility inside the engine
// query. Errors: Invalid for a query the adapter cannot translate (see
// request); Unavailable when the engine cannot be reached or fails.
func (x *Index) Search(ctx context.Context, q catalog.SearchQuery) (catalog.SearchResult, error) {
	mq, err := x.request(q)
	if err != nil {
		return catalog.SearchResult{}, err
	}
	out := catalog.SearchResult{Hits: []catalog.Hit{}}
	if len(mq.facets) > 0 {
		out.Facets = make(map[string][]catalog.FacetCount, len(mq.facets))
		for _, f := range mq.facets {
			out.Facets[f] = []catalog.FacetCount{}
		}
	}
	if mq.none {
		return out, nil
	}
	var res *meilisearch.SearchResponse
	err = x.retry(ctx, func() error {
		var err error
		res, err = x.ms.Index(x.uid).Search(ctx, mq.req.Query, mq.req)
		if err != nil {
			return x.fail(err, "search")
		}
		return nil
	})
	if err != nil {
		return catalog.SearchResult{}, err
	}
	out.Total = int(res.TotalHits)
	hits := res.Hits
	if mq.skip > 0 {
		hits = hits[min(mq.skip, len(hits)):]
	}
	for _, h := range hits {
		hit, err := x.hit(h, mq.hasText)
		if err != nil {
			return catalog.SearchResult{}, err
		}
		out.Hits = append(out.Hits, hit)
	}
	if len(mq.facets) > 0 && len(res.FacetDistribution) > 0 {
		var dist map[string]map[string]int
		if err := json.Unmarshal(res.FacetDistribution, &dist); err != nil {
			return catalog.SearchResult{}, catalog.Wrap(catalog.KindUnavailable, err, "搜索引擎返回了无法识别的响应", "the search engine's facet counts could not be read")
		}
		for _, name := range mq.facets {
			counts := []catalog.FacetCount{}
			for v, n := range dist[facetAttrs[name]] {
				if v != "" && n > 0 {
					counts = append(counts, catalog.FacetCount{Value: v, Count: n})
				}
			}
			sort.Slice(counts, func(i, j int) bool {
				return cmp.Or(cmp.Compare(counts[j].Count, counts[i].Count), strings.Compare(counts[i].Value, counts[j].Value)) < 0
			})
			if len(counts) > mq.size {
				counts = counts[:mq.size]
			}
			out.Facets[name] = counts
		}
	}
	return out, nil
}

// hit reads one search hit: id, revision, score and highlights.
func (x *Index) hit(h meilisearch.Hit, hasText bool) (catalog.Hit, error) {
	var hit catalog.Hit
	bad := func(err error) (catalog.Hit, error) {
		return catalog.Hit{}, catalog.Wrap(catalog.KindUnavailable, err, "搜索引擎返回了无法识别的响应", "a search hit could not be read")
	}
	if err := json.Unmarshal(h[aID], &hit.ID); err != nil {
		return bad(err)
	}
	if raw, ok := h[aRev]; ok {
		if err := json.Unmarshal(raw, &hit.Rev); err != nil {
			return bad(err)
		}
	}
	if raw, ok := h["_rankingScore"]; ok {
		if err := json.Unmarshal(raw, &hit.Score); err != nil {
			return bad(err)
		}
	}
	if !hasText {
		return hit, nil
	}
	raw, ok := h["_formatted"]
	if !ok {
		return hit, nil
	}
	var formatted map[string]json.RawMessage
	if err := json.Unmarshal(raw, &formatted); err != nil {
		return bad(err)
	}
	for _, field := range highlighted {
		var s string
		if json.Unmarshal(formatted[field], &s) != nil || !strings.Contains(s, x.hlPre) {
			continue // not a string, or nothing matched in it
		}
		if hit.Highlights == nil {
			hit.Highlights = map[string][]string{}
		}
		hit.Highlights[field] = append(hit.Highlights[field], x.markup(s))
	}
	return hit, nil
}

// markup escapes a formatted value for HTML and turns the highlight
// markers into <mark> elements, joining adjacent ones (a word the engine
// matched as two tokens is one mark).
func (x *Index) markup(s string) string {
	s = html.EscapeString(s)
	s = strings.ReplaceAll(s, x.hlPre, markOpen)
	s = strings.ReplaceAll(s, x.hlPost, markClose)
	return strings.ReplaceAll(s, markClose+markOpen, "")
}
