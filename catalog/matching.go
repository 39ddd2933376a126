package catalog

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Matching suggests catalogue datasets that may answer a list item, from
// the search index: the item's name as query text, its domain and modality
// as filters, and the key phrases of its requirements. Every search runs
// with the caller's visibility filter inside the engine, and a provider's
// searches are further restricted to its own organisation's datasets; the
// policy decides which of the two scopes a caller gets (match-items on
// every organisation, or only on its own).

// ItemMatch is a dataset that may answer an item, with why.
type ItemMatch struct {
	Dataset DatasetRef `json:"dataset"`
	// Score is from 0 to 1.
	Score   float64 `json:"score"`
	Reasons []Text  `json:"reasons"`
	// Linked is set when the dataset already answers the item.
	Linked bool `json:"linked"`
}

// Match weights: the name counts most, then the domain, the modality, the
// requirement phrases and the formats.
const (
	wName     = 0.40
	wDomain   = 0.25
	wModality = 0.15
	wPhrases  = 0.15
	wFormats  = 0.05
	minMatch  = 0.3
)

// matchScope returns the publisher filter of the caller's matches: none
// for the bureau, the caller's organisation for a provider.
func (s *Service) matchScope(ctx context.Context, p Principal, l *ConstructionList) ([]string, error) {
	all, err := s.authz.Decide(ctx, p.Subject(), ActMatchItems, listResource(l, ""))
	if err != nil {
		return nil, err
	}
	if all.Allowed {
		return nil, nil
	}
	org := ""
	if p.Org != nil {
		org = p.Org.ID
	}
	if _, err := s.decideList(ctx, p, ActMatchItems, l, org); err != nil {
		return nil, err
	}
	return []string{org}, nil
}

// MatchItem suggests up to limit datasets for one item of a readable list.
func (s *Service) MatchItem(ctx context.Context, p Principal, listID, code string, limit int) ([]ItemMatch, error) {
	l, it, err := s.listItem(ctx, p, listID, code)
	if err != nil {
		return nil, err
	}
	scope, err := s.matchScope(ctx, p, &l.ConstructionList)
	if err != nil {
		return nil, err
	}
	return s.matchItem(ctx, p, &l.ConstructionList, it, scope, limit)
}

// MatchList suggests up to perItem datasets for every item still wanted.
func (s *Service) MatchList(ctx context.Context, p Principal, listID string, perItem int) (map[string][]ItemMatch, error) {
	l, _, err := s.readableList(ctx, p, listID)
	if err != nil {
		return nil, err
	}
	scope, err := s.matchScope(ctx, p, &l.ConstructionList)
	if err != nil {
		return nil, err
	}
	out := map[string][]ItemMatch{}
	for i := range l.Items {
		if l.Items[i].Cancelled {
			continue
		}
		m, err := s.matchItem(ctx, p, &l.ConstructionList, &l.Items[i], scope, perItem)
		if err != nil {
			return nil, err
		}
		out[l.Items[i].Code] = m
	}
	return out, nil
}

type candidate struct {
	name    float64
	phrases []string
}

func (s *Service) matchItem(ctx context.Context, p Principal, l *ConstructionList, it *ListItem, scope []string, limit int) ([]ItemMatch, error) {
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	vis, err := s.authz.Visibility(ctx, p.Subject())
	if err != nil {
		return nil, err
	}
	search := func(text string, filters map[string][]string, sort string) (SearchResult, error) {
		if filters == nil {
			filters = map[string][]string{}
		}
		if scope != nil {
			filters[FacetPublisher] = scope
		}
		return s.index.Search(ctx, SearchQuery{Text: text, Filters: filters, Status: []string{StatusPublished}, Visibility: vis, Sort: sort, Limit: 50})
	}
	cands := map[string]*candidate{}
	get := func(id string) *candidate {
		if cands[id] == nil {
			cands[id] = &candidate{}
		}
		return cands[id]
	}
	// The name, in both languages: relevance relative to the best hit.
	for _, name := range []string{it.Name, it.NameEn} {
		if strings.TrimSpace(name) == "" {
			continue
		}
		res, err := search(truncateRunes(name, 100), nil, SortRelevance)
		if err != nil {
			return nil, err
		}
		top := 0.0
		for _, h := range res.Hits {
			top = max(top, h.Score)
		}
		for _, h := range res.Hits {
			if top > 0 {
				c := get(h.ID)
				c.name = max(c.name, h.Score/top)
			}
		}
	}
	// Datasets of the item's domain (and modality), newest first.
	f := map[string][]string{FacetDomain: {it.Domain}}
	if it.Modality != "" {
		f[FacetModality] = []string{it.Modality}
	}
	res, err := search("", f, SortNewest)
	if err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		get(h.ID)
	}
	// The key phrases of the requirements.
	phrases := keyPhrases(it.Requirements+"，"+it.Quality, 6)
	for _, ph := range phrases {
		res, err := search(ph, nil, SortRelevance)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			c := get(h.ID)
			c.phrases = append(c.phrases, ph)
		}
	}
	ids := make([]string, 0, len(cands))
	for id := range cands {
		ids = append(ids, id)
	}
	// The store is the truth for what is shown, and each dataset is
	// checked against the policy once more (the index may lag).
	visible, err := s.visibleDatasets(ctx, p, ids)
	if err != nil {
		return nil, err
	}
	ref := ItemRef(l.ID, it.Code)
	dl, _ := Domains.Label(it.Domain)
	ml, _ := Modalities.Label(it.Modality)
	var out []ItemMatch
	for id, c := range cands {
		d, ok := visible[id]
		if !ok || d.Status != StatusPublished || (scope != nil && !slices.Contains(scope, d.Publisher)) {
			continue
		}
		m := ItemMatch{Dataset: refOf(&d), Linked: slices.Contains(d.ListItems, ref)}
		if c.name > 0 {
			m.Score += wName * c.name
			m.Reasons = append(m.Reasons, T(fmt.Sprintf("名称与条目相近（相关度 %.2f）", c.name), fmt.Sprintf("title close to the item's name (relevance %.2f)", c.name)))
		}
		if d.Domain == it.Domain {
			m.Score += wDomain
			m.Reasons = append(m.Reasons, T("行业领域一致："+dl.Zh, "same domain: "+dl.En))
		}
		if it.Modality != "" && d.Modality == it.Modality {
			m.Score += wModality
			m.Reasons = append(m.Reasons, T("数据模态一致："+ml.Zh, "same modality: "+ml.En))
		}
		if len(phrases) > 0 && len(c.phrases) > 0 {
			m.Score += wPhrases * float64(len(c.phrases)) / float64(len(phrases))
			m.Reasons = append(m.Reasons, T("命中建设要求关键词："+strings.Join(c.phrases, "、"), "matches requirement phrases: "+strings.Join(c.phrases, ", ")))
		}
		var formats []string
		for _, f := range it.Formats {
			if slices.ContainsFunc(d.Formats, func(x string) bool { return strings.EqualFold(x, f) }) {
				formats = append(formats, f)
			}
		}
		if len(formats) > 0 {
			m.Score += wFormats
			m.Reasons = append(m.Reasons, T("数据格式一致："+strings.Join(formats, "、"), "same formats: "+strings.Join(formats, ", ")))
		}
		if m.Linked {
			m.Reasons = append(m.Reasons, T("已关联本条目", "already answers this item"))
		}
		m.Score = float64(int(m.Score*1000+0.5)) / 1000
		if m.Score >= minMatch || m.Linked {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Dataset.ID < out[j].Dataset.ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []ItemMatch{}
	}
	return out, nil
}

// phraseStop are requirement words too common to tell datasets apart.
var phraseStop = map[string]bool{"要求": true, "数据": true, "数据集": true, "包括": true, "包含": true, "不少于": true, "以上": true,
	"覆盖": true, "建设": true, "提供": true, "标注": false}

// keyPhrases cuts requirement text at punctuation into short phrases (2–12
// characters) worth searching for, in order, without repeats.
func keyPhrases(text string, n int) []string {
	parts := strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r)
	})
	var out []string
	seen := map[string]bool{}
	for _, p := range parts {
		p = strings.TrimFunc(p, unicode.IsDigit)
		c := utf8.RuneCountInString(p)
		if c < 2 || c > 12 || seen[p] || phraseStop[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
		if len(out) == n {
			break
		}
	}
	return out
}
