package meili

import (
	"strings"
	"unicode"

	"github.com/meilisearch/meilisearch-go"

	"dataportal/catalog"
)

// Attribute names of the documents in Meilisearch. Chinese and English
// text live in separate attributes, so that each is segmented in its own
// language (localizedAttributes): Meilisearch otherwise detects the
// language per value, and short Chinese values (a keyword, a label) are
// easily taken for Japanese and segmented as such.
const (
	aID          = "id"
	aRev         = "rev"
	aTitle       = "title"
	aTitleEn     = "title_en"
	aDesc        = "description"
	aDescEn      = "description_en"
	aKeywordsZh  = "keywords_zh"
	aKeywordsEn  = "keywords_en"
	aLabelsZh    = "labels_zh"
	aLabelsEn    = "labels_en"
	aPubName     = "publisher_name"
	aPubNameEn   = "publisher_name_en"
	aTasks       = "tasks"
	aDomain      = "domain"
	aModality    = "modality"
	aLanguages   = "languages"
	aTier        = "tier"
	aLicense     = "license"
	aPublisher   = "publisher"
	aFormats     = "formats"
	aListItems   = "list_items"
	aStatus      = "status"
	aOwnerOrg    = "owner_org"
	aAwaiting    = "awaiting_confirmation"
	aTitleSort   = "title_sort"
	aPublishedAt = "published_at"
	aUpdatedAt   = "updated_at"
)

// searchable lists the searched attributes in rank order: a match in the
// title counts most (the attribute ranking rule), then keywords and the
// category labels, the publisher, and the description least — the order
// of the Bleve index's field weights.
var searchable = []string{
	aTitle, aTitleEn, aKeywordsZh, aKeywordsEn, aLabelsZh, aLabelsEn,
	aPubName, aPubNameEn, aDesc, aDescEn,
}

// facetAttrs maps the search API's facet names to attributes.
var facetAttrs = map[string]string{
	catalog.FacetDomain:    aDomain,
	catalog.FacetModality:  aModality,
	catalog.FacetLanguage:  aLanguages,
	catalog.FacetTier:      aTier,
	catalog.FacetLicense:   aLicense,
	catalog.FacetPublisher: aPublisher,
	catalog.FacetList:      aListItems,
	catalog.FacetTask:      aTasks,
	catalog.FacetFormat:    aFormats,
}

// visAttrs maps the visibility filter's fields to attributes.
var visAttrs = map[string]string{
	catalog.VisTier:      aTier,
	catalog.VisStatus:    aStatus,
	catalog.VisOwnerOrg:  aOwnerOrg,
	catalog.VisAwaiting:  aAwaiting,
	catalog.VisDatasetID: aID,
}

// highlighted are the attributes hits carry highlighted fragments of;
// cropped are cut around the matches.
var (
	highlighted = []string{aTitle, aTitleEn, aDesc, aDescEn}
	cropped     = []string{aDesc, aDescEn}
)

// maxValuesPerFacet is the index's faceting.maxValuesPerFacet. The adapter
// sorts the values it gets (most frequent first, then by value) and cuts
// them to the size a query asks for; values past this bound, in a facet
// with more distinct values, are not returned at all.
const maxValuesPerFacet = 1000

// settings returns the index settings the adapter applies.
func settings(maxTotalHits int64) *meilisearch.Settings {
	filterable := []string{aID, aStatus, aOwnerOrg, aAwaiting}
	for _, f := range catalog.Facets {
		filterable = append(filterable, facetAttrs[f])
	}
	return &meilisearch.Settings{
		// "sort" first: a sorted search (newest, title) is sorted, with
		// relevance breaking ties; without a sort the rule does nothing.
		RankingRules:         []string{"sort", "words", "typo", "proximity", "attribute", "exactness"},
		SearchableAttributes: searchable,
		DisplayedAttributes:  []string{"*"},
		FilterableAttributes: uniq(filterable),
		SortableAttributes:   []string{aPublishedAt, aTitleSort, aID},
		Synonyms:             synonymMap(catalog.Synonyms()),
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{
			{Locales: []string{"cmn"}, AttributePatterns: []string{aTitle, aDesc, aKeywordsZh, aLabelsZh, aPubName}},
			{Locales: []string{"eng"}, AttributePatterns: []string{aTitleEn, aDescEn, aKeywordsEn, aLabelsEn, aPubNameEn}},
		},
		// One typo from five letters, two from nine, as the Bleve index
		// (one edit on words of five letters or more); never in numbers,
		// where one edit is another year or version.
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
			DisableOnNumbers:    true,
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: maxTotalHits},
		Faceting: &meilisearch.Faceting{
			MaxValuesPerFacet: maxValuesPerFacet,
			SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeCount},
		},
	}
}

// synonymMap turns synonym groups into Meilisearch's multi-way form: each
// word maps to every other word of its group.
func synonymMap(groups [][]string) map[string][]string {
	out := map[string][]string{}
	for _, g := range groups {
		for _, w := range g {
			for _, o := range g {
				if o != w {
					out[w] = append(out[w], o)
				}
			}
		}
	}
	return out
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// document is an IndexDoc as Meilisearch holds it.
type document struct {
	ID            string   `json:"id"`
	Rev           int64    `json:"rev"`
	Title         string   `json:"title"`
	TitleEn       string   `json:"title_en"`
	Description   string   `json:"description"`
	DescriptionEn string   `json:"description_en"`
	KeywordsZh    []string `json:"keywords_zh"`
	KeywordsEn    []string `json:"keywords_en"`
	LabelsZh      []string `json:"labels_zh"`
	LabelsEn      []string `json:"labels_en"`
	PublisherName string   `json:"publisher_name"`
	PublisherEn   string   `json:"publisher_name_en"`
	// Facet values: an empty value is left out, as it is no value.
	Tasks     []string `json:"tasks"`
	Domain    string   `json:"domain,omitempty"`
	Modality  string   `json:"modality,omitempty"`
	Languages []string `json:"languages"`
	Tier      string   `json:"tier,omitempty"`
	License   string   `json:"license,omitempty"`
	Publisher string   `json:"publisher,omitempty"`
	Formats   []string `json:"formats"`
	ListItems []string `json:"list_items"`
	Status    string   `json:"status"`
	OwnerOrg  string   `json:"owner_org,omitempty"`
	// Awaiting is "true" or "false", the values the visibility filter
	// compares it with.
	Awaiting  string `json:"awaiting_confirmation"`
	TitleSort string `json:"title_sort"`
	// Times in Unix milliseconds; 0 for a dataset never published, so
	// that it sorts last under "newest".
	PublishedAt int64 `json:"published_at"`
	UpdatedAt   int64 `json:"updated_at"`
	Records     int64 `json:"records"`
	Bytes       int64 `json:"bytes"`
}

func documentOf(d catalog.IndexDoc) document {
	doc := document{
		ID: d.ID, Rev: d.Rev, Title: d.Title, TitleEn: d.TitleEn, Description: d.Description, DescriptionEn: d.DescriptionEn,
		PublisherName: d.PublisherName, PublisherEn: d.PublisherEn,
		Tasks: nonEmpty(d.Tasks), Domain: d.Domain, Modality: d.Modality, Languages: nonEmpty(d.Languages), Tier: d.Tier,
		License: d.License, Publisher: d.Publisher, Formats: nonEmpty(d.Formats), ListItems: nonEmpty(d.ListItems),
		Status: d.Status, OwnerOrg: d.OwnerOrg, TitleSort: d.TitleSort, Records: d.Records, Bytes: d.Bytes,
		Awaiting: "false",
	}
	if d.AwaitingConfirmation {
		doc.Awaiting = "true"
	}
	if doc.TitleSort == "" {
		doc.TitleSort = catalog.TitleSortKey(d.Title)
	}
	if !d.PublishedAt.IsZero() {
		doc.PublishedAt = d.PublishedAt.UnixMilli()
	}
	if !d.UpdatedAt.IsZero() {
		doc.UpdatedAt = d.UpdatedAt.UnixMilli()
	}
	doc.KeywordsZh, doc.KeywordsEn = byScript(d.Keywords)
	doc.LabelsZh, doc.LabelsEn = byScript(d.Labels)
	return doc
}

// byScript splits values into those with Chinese characters and the rest.
func byScript(values []string) (zh, other []string) {
	zh, other = []string{}, []string{}
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if strings.IndexFunc(v, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
			zh = append(zh, v)
		} else {
			other = append(other, v)
		}
	}
	return zh, other
}

// nonEmpty drops empty values and never returns nil (an array, not null,
// in the document).
func nonEmpty(values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// validID reports whether Meilisearch accepts id as a document id:
// letters, digits, - and _, at most 511 bytes. Dataset ids are slugs.
func validID(id string) bool {
	if id == "" || len(id) > 511 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
