package meilitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// searchBody is the documented body of POST /indexes/{uid}/search.
type searchBody struct {
	Q                       *string         `json:"q"`
	Offset                  *int            `json:"offset"`
	Limit                   *int            `json:"limit"`
	HitsPerPage             *int            `json:"hitsPerPage"`
	Page                    *int            `json:"page"`
	Filter                  any             `json:"filter"`
	Facets                  []string        `json:"facets"`
	Distinct                *string         `json:"distinct"`
	AttributesToRetrieve    []string        `json:"attributesToRetrieve"`
	AttributesToCrop        []string        `json:"attributesToCrop"`
	CropLength              *int            `json:"cropLength"`
	CropMarker              *string         `json:"cropMarker"`
	AttributesToHighlight   []string        `json:"attributesToHighlight"`
	HighlightPreTag         *string         `json:"highlightPreTag"`
	HighlightPostTag        *string         `json:"highlightPostTag"`
	ShowMatchesPosition     bool            `json:"showMatchesPosition"`
	Sort                    []string        `json:"sort"`
	MatchingStrategy        *string         `json:"matchingStrategy"`
	ShowRankingScore        bool            `json:"showRankingScore"`
	ShowRankingScoreDetails bool            `json:"showRankingScoreDetails"`
	ShowPerformanceDetails  bool            `json:"showPerformanceDetails"`
	RankingScoreThreshold   *float64        `json:"rankingScoreThreshold"`
	AttributesToSearchOn    []string        `json:"attributesToSearchOn"`
	Hybrid                  json.RawMessage `json:"hybrid"`
	Vector                  json.RawMessage `json:"vector"`
	RetrieveVectors         bool            `json:"retrieveVectors"`
	Locales                 []string        `json:"locales"`
	Media                   json.RawMessage `json:"media"`
	Personalize             json.RawMessage `json:"personalize"`
}

type scored struct {
	doc   map[string]any
	score float64
	pos   int
}

func (s *Server) search(w http.ResponseWriter, r Request, uid string) {
	var b searchBody
	if !s.decodeStrict(w, r, &b) {
		return
	}
	bad := func(code, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		s.violation(r, "%s", msg)
		writeError(w, 400, newError(code, "invalid_request", msg))
	}
	if b.MatchingStrategy != nil && *b.MatchingStrategy != "last" && *b.MatchingStrategy != "all" && *b.MatchingStrategy != "frequency" {
		bad("invalid_search_matching_strategy", "matchingStrategy %q", *b.MatchingStrategy)
		return
	}
	for _, l := range b.Locales {
		if !locales[l] {
			bad("invalid_search_locales", "unknown locale %q", l)
			return
		}
	}
	if (b.Page != nil && *b.Page < 0) || (b.HitsPerPage != nil && *b.HitsPerPage < 0) || (b.Offset != nil && *b.Offset < 0) || (b.Limit != nil && *b.Limit < 0) {
		bad("invalid_search_page", "negative pagination")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		s.indexNotFound(w, uid)
		return
	}
	match, ok := s.compileFilter(w, r, ix, b.Filter, "invalid_search_filter")
	if !ok {
		return
	}
	for _, f := range b.Facets {
		if !slices.Contains(ix.settings.filterable, f) {
			bad("invalid_search_facets", "facet %q is not filterable", f)
			return
		}
	}
	type sortKey struct {
		attr string
		desc bool
	}
	var keys []sortKey
	for _, sk := range b.Sort {
		attr, dir, ok := strings.Cut(sk, ":")
		if !ok || (dir != "asc" && dir != "desc") {
			bad("invalid_search_sort", "sort %q: want attribute:asc|desc", sk)
			return
		}
		if !slices.Contains(ix.settings.sortable, attr) {
			bad("invalid_search_sort", "attribute %q is not sortable", attr)
			return
		}
		keys = append(keys, sortKey{attr, dir == "desc"})
	}
	for _, a := range append(slices.Clone(b.AttributesToHighlight), b.AttributesToCrop...) {
		if !slices.Contains(b.AttributesToRetrieve, a) && len(b.AttributesToRetrieve) > 0 && !slices.Contains(b.AttributesToRetrieve, "*") {
			// Meilisearch only returns in _formatted what it retrieves.
			s.t.Logf("meilitest: %s is highlighted or cropped but not retrieved: it will not be in _formatted", a)
		}
	}

	q := ""
	if b.Q != nil {
		q = strings.TrimSpace(*b.Q)
	}
	words := strings.Fields(strings.ToLower(q))
	var found []scored
	for pos, id := range ix.order {
		d := ix.docs[id]
		if !match(d) {
			continue
		}
		score, ok := s.textScore(ix, d, words)
		if !ok {
			continue
		}
		found = append(found, scored{doc: d, score: score, pos: pos})
	}
	sort.SliceStable(found, func(i, j int) bool {
		for _, k := range keys {
			c := compare(found[i].doc[k.attr], found[j].doc[k.attr])
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		if found[i].score != found[j].score {
			return found[i].score > found[j].score
		}
		return found[i].pos < found[j].pos
	})
	total := min(len(found), ix.settings.maxTotalHits)
	found = found[:total]

	resp := map[string]any{"query": q, "processingTimeMs": 0}
	var page []scored
	if b.Page != nil || b.HitsPerPage != nil {
		p, hpp := 1, 20
		if b.Page != nil {
			p = *b.Page
		}
		if b.HitsPerPage != nil {
			hpp = *b.HitsPerPage
		}
		if p > 0 && hpp > 0 {
			start := (p - 1) * hpp
			if start < total {
				page = found[start:min(start+hpp, total)]
			}
		}
		pages := 0
		if hpp > 0 {
			pages = (total + hpp - 1) / hpp
		}
		resp["page"], resp["hitsPerPage"], resp["totalHits"], resp["totalPages"] = p, hpp, total, pages
	} else {
		off, lim := 0, 20
		if b.Offset != nil {
			off = *b.Offset
		}
		if b.Limit != nil {
			lim = *b.Limit
		}
		if off < total {
			page = found[off:min(off+lim, total)]
		}
		resp["offset"], resp["limit"], resp["estimatedTotalHits"] = off, lim, total
	}
	pre, post := "<em>", "</em>"
	if b.HighlightPreTag != nil {
		pre = *b.HighlightPreTag
	}
	if b.HighlightPostTag != nil {
		post = *b.HighlightPostTag
	}
	hits := []map[string]any{}
	for _, f := range page {
		h := pick(f.doc, b.AttributesToRetrieve)
		hit := map[string]any{}
		for k, v := range h {
			hit[k] = v
		}
		if len(b.AttributesToHighlight) > 0 || len(b.AttributesToCrop) > 0 {
			formatted := map[string]any{}
			for k, v := range h {
				if str, ok := v.(string); ok && slices.Contains(b.AttributesToHighlight, k) {
					v = highlight(str, words, ix.settings.synonyms, pre, post)
				}
				formatted[k] = v
			}
			hit["_formatted"] = formatted
		}
		if b.ShowRankingScore {
			hit["_rankingScore"] = f.score
		}
		hits = append(hits, hit)
	}
	resp["hits"] = hits
	if len(b.Facets) > 0 {
		dist := map[string]map[string]int{}
		for _, attr := range b.Facets {
			counts := map[string]int{}
			for _, f := range found {
				seen := map[string]bool{}
				for _, v := range scalars(f.doc[attr]) {
					if !seen[v] {
						seen[v] = true
						counts[v]++
					}
				}
			}
			dist[attr] = limitFacet(counts, ix.settings.maxValuesPerFacet, ix.settings.facetSortByCount)
		}
		resp["facetDistribution"] = dist
		resp["facetStats"] = map[string]any{}
	}
	writeJSON(w, 200, resp)
}

// limitFacet keeps max values: the most frequent when sorting by count,
// else the first in alphabetical order.
func limitFacet(counts map[string]int, max int, byCount bool) map[string]int {
	if len(counts) <= max {
		return counts
	}
	vals := make([]string, 0, len(counts))
	for v := range counts {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool {
		if byCount && counts[vals[i]] != counts[vals[j]] {
			return counts[vals[i]] > counts[vals[j]]
		}
		return vals[i] < vals[j]
	})
	out := map[string]int{}
	for _, v := range vals[:max] {
		out[v] = counts[v]
	}
	return out
}

// textScore matches every query word (or one of its synonyms) as a
// substring of a searchable attribute; the score is higher the earlier the
// attribute of the first word's match comes in the searchable list.
func (s *Server) textScore(ix *index, d map[string]any, words []string) (float64, bool) {
	if len(words) == 0 {
		return 1, true
	}
	attrs := ix.settings.searchable
	if slices.Contains(attrs, "*") {
		attrs = nil
		for k := range d {
			attrs = append(attrs, k)
		}
		sort.Strings(attrs)
	}
	best := len(attrs)
	for _, w := range words {
		alts := append([]string{w}, ix.settings.synonyms[w]...)
		found := false
		for i, a := range attrs {
			for _, v := range scalars(d[a]) {
				lv := strings.ToLower(v)
				for _, alt := range alts {
					if strings.Contains(lv, strings.ToLower(alt)) {
						found = true
						best = min(best, i)
					}
				}
			}
		}
		if !found {
			return 0, false
		}
	}
	return 1 / float64(1+best), true
}

// highlight wraps the occurrences of the query words in pre and post.
func highlight(s string, words []string, synonyms map[string][]string, pre, post string) string {
	lower := strings.ToLower(s)
	marks := make([]bool, len(s))
	for _, w := range words {
		for _, alt := range append([]string{w}, synonyms[w]...) {
			alt = strings.ToLower(alt)
			if alt == "" || len(lower) != len(s) {
				continue
			}
			for i := 0; ; {
				j := strings.Index(lower[i:], alt)
				if j < 0 {
					break
				}
				for k := i + j; k < i+j+len(alt); k++ {
					marks[k] = true
				}
				i += j + len(alt)
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if marks[i] && (i == 0 || !marks[i-1]) {
			b.WriteString(pre)
		}
		b.WriteByte(s[i])
		if marks[i] && (i == len(s)-1 || !marks[i+1]) {
			b.WriteString(post)
		}
	}
	return b.String()
}

// compare orders two attribute values: numbers numerically, strings
// lexicographically; a missing value sorts last.
func compare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	fa, aok := a.(float64)
	fb, bok := b.(float64)
	if aok && bok {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}
