package bleve

import (
	"slices"
	"strings"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	"github.com/blevesearch/bleve/v2/search/query"

	"dataportal/catalog"
)

const (
	defaultLimit     = 20
	maxLimit         = 10000
	defaultFacetSize = 50
	// Bleve's html highlighter wraps matches in these and HTML-escapes
	// everything else in the fragment.
	markOpen  = "<mark>"
	markClose = "</mark>"
)

// request translates q into a Bleve search request. Filters, status and
// visibility form the request's filter clause: they decide which documents
// exist for this search (so Total and facet counts are right) without
// taking part in scoring.
func (x *Index) request(q catalog.SearchQuery) (*bv.SearchRequest, error) {
	if q.Offset < 0 || q.Limit < 0 || q.FacetSize < 0 {
		return nil, catalog.E(catalog.KindInvalid, "分页参数不能为负数", "offset, limit and facet size must not be negative")
	}
	limit := q.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)

	var filters []query.Query
	status := q.Status
	if len(status) == 0 {
		status = []string{catalog.StatusPublished}
	}
	filters = append(filters, termsQuery(fStatus, status))
	// facets in a fixed order, so equal queries build equal requests
	names := make([]string, 0, len(q.Filters))
	for name := range q.Filters {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		field, ok := facetFields[name]
		if !ok {
			return nil, catalog.E(catalog.KindInvalid, "未知的筛选项："+name, "unknown filter: "+name)
		}
		if values := q.Filters[name]; len(values) > 0 { // an empty list does not filter
			filters = append(filters, termsQuery(field, values))
		}
	}
	vis, err := visibilityQuery(q.Visibility)
	if err != nil {
		return nil, err
	}
	if vis != nil {
		filters = append(filters, vis)
	}

	text := x.qb.text(q.Text)
	must := text
	if must == nil {
		must = query.NewMatchAllQuery()
		if strings.TrimSpace(q.Text) != "" {
			// Text with nothing to search for (punctuation, English stop
			// words) finds nothing. The MatchNone goes into the filter:
			// Bleve drops a MatchNone must clause and would match all.
			filters = append(filters, query.NewMatchNoneQuery())
		}
	}
	bq := query.NewBooleanQuery([]query.Query{must}, nil, nil)
	bq.AddFilter(query.NewConjunctionQuery(filters))

	req := bv.NewSearchRequestOptions(bq, limit, q.Offset, false)
	req.Fields = []string{fRev}
	switch q.Sort {
	case "", catalog.SortRelevance:
		req.SortBy([]string{"-_score", "_id"})
	case catalog.SortNewest:
		req.SortByCustom(search.SortOrder{
			&search.SortField{Field: fPublishedAt, Desc: true, Type: search.SortFieldAsDate, Missing: search.SortFieldMissingLast},
			&search.SortDocID{},
		})
	case catalog.SortTitle:
		req.SortByCustom(search.SortOrder{
			&search.SortField{Field: fTitleSort, Type: search.SortFieldAsString, Missing: search.SortFieldMissingLast},
			&search.SortDocID{},
		})
	default:
		return nil, catalog.E(catalog.KindInvalid, "未知的排序方式："+q.Sort, "unknown sort order: "+q.Sort)
	}
	size := q.FacetSize
	if size == 0 {
		size = defaultFacetSize
	}
	for _, name := range q.Facets {
		field, ok := facetFields[name]
		if !ok {
			return nil, catalog.E(catalog.KindInvalid, "未知的分面："+name, "unknown facet: "+name)
		}
		req.AddFacet(name, bv.NewFacetRequest(field, size))
	}
	if text != nil {
		req.Highlight = bv.NewHighlightWithStyle(html.Name)
		req.Highlight.Fields = highlightFields
	}
	return req, nil
}
