package meilitest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// settings is what the server keeps of an index's settings.
type settings struct {
	raw               map[string]any // the JSON of every update, merged
	searchable        []string       // "*" for all
	filterable        []string
	sortable          []string
	synonyms          map[string][]string
	maxTotalHits      int
	maxValuesPerFacet int
	facetSortByCount  bool
}

func defaultSettings() settings {
	return settings{raw: map[string]any{}, searchable: []string{"*"}, maxTotalHits: 1000, maxValuesPerFacet: 100}
}

// settingsBody is the documented body of PATCH /indexes/{uid}/settings.
// Pointers and raw values: an absent field leaves the setting alone.
type settingsBody struct {
	DisplayedAttributes  *[]string            `json:"displayedAttributes"`
	SearchableAttributes *[]string            `json:"searchableAttributes"`
	FilterableAttributes *[]json.RawMessage   `json:"filterableAttributes"`
	SortableAttributes   *[]string            `json:"sortableAttributes"`
	RankingRules         *[]string            `json:"rankingRules"`
	StopWords            *[]string            `json:"stopWords"`
	NonSeparatorTokens   *[]string            `json:"nonSeparatorTokens"`
	SeparatorTokens      *[]string            `json:"separatorTokens"`
	Dictionary           *[]string            `json:"dictionary"`
	Synonyms             *map[string][]string `json:"synonyms"`
	DistinctAttribute    *string              `json:"distinctAttribute"`
	ProximityPrecision   *string              `json:"proximityPrecision"`
	TypoTolerance        *struct {
		Enabled             *bool `json:"enabled"`
		MinWordSizeForTypos *struct {
			OneTypo  *int `json:"oneTypo"`
			TwoTypos *int `json:"twoTypos"`
		} `json:"minWordSizeForTypos"`
		DisableOnWords      *[]string `json:"disableOnWords"`
		DisableOnAttributes *[]string `json:"disableOnAttributes"`
		DisableOnNumbers    *bool     `json:"disableOnNumbers"`
	} `json:"typoTolerance"`
	Faceting *struct {
		MaxValuesPerFacet *int               `json:"maxValuesPerFacet"`
		SortFacetValuesBy *map[string]string `json:"sortFacetValuesBy"`
	} `json:"faceting"`
	Pagination *struct {
		MaxTotalHits *int `json:"maxTotalHits"`
	} `json:"pagination"`
	Embedders           json.RawMessage `json:"embedders"`
	SearchCutoffMs      *int            `json:"searchCutoffMs"`
	LocalizedAttributes *[]struct {
		AttributePatterns []string `json:"attributePatterns"`
		Locales           []string `json:"locales"`
	} `json:"localizedAttributes"`
	FacetSearch  *bool           `json:"facetSearch"`
	PrefixSearch *string         `json:"prefixSearch"`
	Chat         json.RawMessage `json:"chat"`
	ForeignKeys  json.RawMessage `json:"foreignKeys"`
}

// locales accepted in localizedAttributes and search: the ISO 639-3 codes
// Meilisearch documents (a subset: the ones a Chinese portal would use).
var locales = map[string]bool{
	"cmn": true, "zho": true, "eng": true, "jpn": true, "kor": true, "fra": true, "deu": true, "spa": true, "rus": true,
	"ara": true, "tha": true, "vie": true, "heb": true,
}

var rankingRule = regexp.MustCompile(`^(words|typo|proximity|attribute|sort|exactness|[A-Za-z0-9_.]+:(asc|desc))$`)

func (s *Server) updateSettings(w http.ResponseWriter, r Request, uid string, f *Fault) {
	var body settingsBody
	if !s.decodeStrict(w, r, &body) {
		return
	}
	bad := func(code, msg string) {
		s.violation(r, "%s", msg)
		writeError(w, 400, newError(code, "invalid_request", msg))
	}
	if body.RankingRules != nil {
		for _, rr := range *body.RankingRules {
			if !rankingRule.MatchString(rr) {
				bad("invalid_settings_ranking_rules", "ranking rule "+rr)
				return
			}
		}
	}
	if t := body.TypoTolerance; t != nil && t.MinWordSizeForTypos != nil {
		m := t.MinWordSizeForTypos
		if m.OneTypo != nil && m.TwoTypos != nil && *m.OneTypo > *m.TwoTypos {
			bad("invalid_settings_typo_tolerance", "oneTypo must not exceed twoTypos")
			return
		}
	}
	if fc := body.Faceting; fc != nil && fc.SortFacetValuesBy != nil {
		for _, v := range *fc.SortFacetValuesBy {
			if v != "alpha" && v != "count" {
				bad("invalid_settings_faceting", "sortFacetValuesBy "+v)
				return
			}
		}
	}
	if p := body.Pagination; p != nil && p.MaxTotalHits != nil && *p.MaxTotalHits < 1 {
		bad("invalid_settings_pagination", "maxTotalHits must be positive")
		return
	}
	if la := body.LocalizedAttributes; la != nil {
		for _, rule := range *la {
			if len(rule.AttributePatterns) == 0 {
				bad("invalid_settings_localized_attributes", "a rule without attributePatterns")
				return
			}
			for _, l := range rule.Locales {
				if !locales[l] {
					bad("invalid_settings_localized_attributes", "unknown locale "+l)
					return
				}
			}
		}
	}
	var filterable []string
	if body.FilterableAttributes != nil {
		for _, raw := range *body.FilterableAttributes {
			var name string
			if err := json.Unmarshal(raw, &name); err != nil {
				// the granular form {attributePatterns, features}
				var g struct {
					AttributePatterns []string `json:"attributePatterns"`
				}
				if err := json.Unmarshal(raw, &g); err != nil {
					bad("invalid_settings_filterable_attributes", "filterable attribute "+string(raw))
					return
				}
				filterable = append(filterable, g.AttributePatterns...)
				continue
			}
			filterable = append(filterable, name)
		}
	}
	var raw map[string]any
	_ = json.Unmarshal(r.Body, &raw)
	s.enqueue(w, f, &uid, "settingsUpdate", raw, func() *apiError {
		ix := s.indexes[uid]
		if ix == nil {
			ix = s.newIndex(uid, "")
		}
		st := &ix.settings
		for k, v := range raw {
			st.raw[k] = v
		}
		if body.SearchableAttributes != nil {
			st.searchable = slices.Clone(*body.SearchableAttributes)
		}
		if body.FilterableAttributes != nil {
			st.filterable = filterable
		}
		if body.SortableAttributes != nil {
			st.sortable = slices.Clone(*body.SortableAttributes)
		}
		if body.Synonyms != nil {
			st.synonyms = map[string][]string{}
			for k, v := range *body.Synonyms {
				st.synonyms[strings.ToLower(k)] = v
			}
		}
		if p := body.Pagination; p != nil && p.MaxTotalHits != nil {
			st.maxTotalHits = *p.MaxTotalHits
		}
		if fc := body.Faceting; fc != nil {
			if fc.MaxValuesPerFacet != nil {
				st.maxValuesPerFacet = *fc.MaxValuesPerFacet
			}
			if fc.SortFacetValuesBy != nil {
				st.facetSortByCount = (*fc.SortFacetValuesBy)["*"] == "count"
			}
		}
		return nil
	})
}
