package bleve

import (
	"strconv"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"dataportal/catalog"
)

// Field names in the Bleve documents. Keyword fields hold exact values for
// filters, facets, visibility and sorting; text fields are analysed.
const (
	fID          = "id"
	fRev         = "rev"
	fTitle       = "title"
	fTitleEn     = "title_en"
	fTitleEnRaw  = "title_en_plain" // title_en without stemming, for fuzzy matching
	fDesc        = "description"
	fDescEn      = "description_en"
	fDescEnRaw   = "description_en_plain"
	fKeywords    = "keywords"
	fLabels      = "labels"
	fLabelsEn    = "labels_en" // labels stemmed, so "imaging" meets the label "Image"
	fPubName     = "publisher_name"
	fPubNameEn   = "publisher_name_en"
	fTasks       = "tasks"
	fDomain      = "domain"
	fModality    = "modality"
	fLanguages   = "languages"
	fTier        = "tier"
	fLicense     = "license"
	fPublisher   = "publisher"
	fFormats     = "formats"
	fListItems   = "list_items"
	fStatus      = "status"
	fOwnerOrg    = "owner_org"
	fAwaiting    = "awaiting_confirmation"
	fTitleSort   = "title_sort"
	fPublishedAt = "published_at"
	fUpdatedAt   = "updated_at"
	fRecords     = "records"
)

// analyzerPlain tokenises and lower-cases without stemming or stop words:
// fuzzy matching must compare a misspelling with the word, not its stem
// ("segmentaion" is one edit from "segmentation" but four from "segment").
const analyzerPlain = "dataportal_plain"

// facetFields maps the search API's facet names to keyword fields.
var facetFields = map[string]string{
	catalog.FacetDomain:    fDomain,
	catalog.FacetModality:  fModality,
	catalog.FacetLanguage:  fLanguages,
	catalog.FacetTier:      fTier,
	catalog.FacetLicense:   fLicense,
	catalog.FacetPublisher: fPublisher,
	catalog.FacetList:      fListItems,
	catalog.FacetTask:      fTasks,
	catalog.FacetFormat:    fFormats,
}

// visFields maps the visibility filter's field names to keyword fields.
var visFields = map[string]string{
	catalog.VisTier:      fTier,
	catalog.VisStatus:    fStatus,
	catalog.VisOwnerOrg:  fOwnerOrg,
	catalog.VisAwaiting:  fAwaiting,
	catalog.VisDatasetID: fID,
}

// highlightFields are the stored fields that hits carry fragments of.
var highlightFields = []string{fTitle, fTitleEn, fDesc, fDescEn}

// newMapping builds the index mapping. Chinese (and mixed) text is analysed
// by cjk, which indexes overlapping character bigrams: it needs no
// dictionary (gse costs 3.5 s and 200 MB at start-up), finds any
// two-character word, and keeps the characters' order, where the standard
// analyser's single characters let 文书 match 书法文字 (TestChineseAnalyzers;
// on a judged catalogue cjk also beat gse, see DESIGN.md). English text uses
// the en analyser (stop words, Porter stemming). Scoring is BM25, which
// ranked better than tf-idf on every query kind measured.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bv.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	// Nothing is indexed into _all; should a fieldless query ever slip
	// through, it is at least analysed in a way that finds Chinese.
	im.DefaultAnalyzer = cjk.AnalyzerName
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	if err := im.AddCustomAnalyzer(analyzerPlain, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicodetok.Name,
		"token_filters": []any{cjk.WidthName, lowercase.Name},
	}); err != nil {
		return nil, err
	}

	dm := bv.NewDocumentStaticMapping()
	// text fields: analyser, stored (for highlights), term vectors (for highlights)
	text := func(analyzer string, stored bool) *mapping.FieldMapping {
		fm := bv.NewTextFieldMapping()
		fm.Analyzer = analyzer
		fm.Store = stored
		fm.IncludeTermVectors = stored
		fm.IncludeInAll = false
		fm.DocValues = false
		return fm
	}
	named := func(fm *mapping.FieldMapping, name string) *mapping.FieldMapping {
		fm.Name = name
		return fm
	}
	kw := func() *mapping.FieldMapping {
		fm := bv.NewKeywordFieldMapping()
		fm.Store = false
		fm.IncludeTermVectors = false
		fm.IncludeInAll = false
		fm.DocValues = true
		return fm
	}

	dm.AddFieldMappingsAt(fTitle, text(cjk.AnalyzerName, true))
	dm.AddFieldMappingsAt(fTitleEn, text(en.AnalyzerName, true), named(text(analyzerPlain, false), fTitleEnRaw))
	dm.AddFieldMappingsAt(fDesc, text(cjk.AnalyzerName, true))
	dm.AddFieldMappingsAt(fDescEn, text(en.AnalyzerName, true), named(text(analyzerPlain, false), fDescEnRaw))
	dm.AddFieldMappingsAt(fKeywords, text(cjk.AnalyzerName, false))
	dm.AddFieldMappingsAt(fLabels, text(cjk.AnalyzerName, false), named(text(en.AnalyzerName, false), fLabelsEn))
	dm.AddFieldMappingsAt(fPubName, text(cjk.AnalyzerName, false))
	dm.AddFieldMappingsAt(fPubNameEn, text(en.AnalyzerName, false))

	for _, f := range []string{fID, fTasks, fDomain, fModality, fLanguages, fTier, fLicense, fPublisher,
		fFormats, fListItems, fStatus, fOwnerOrg, fAwaiting, fTitleSort} {
		dm.AddFieldMappingsAt(f, kw())
	}

	dates := func() *mapping.FieldMapping {
		fm := bv.NewDateTimeFieldMapping()
		fm.Store = false
		fm.IncludeInAll = false
		return fm
	}
	dm.AddFieldMappingsAt(fPublishedAt, dates())
	dm.AddFieldMappingsAt(fUpdatedAt, dates())

	rev := bv.NewNumericFieldMapping()
	rev.Index = false // only read back, never searched
	rev.DocValues = false
	rev.IncludeInAll = false
	dm.AddFieldMappingsAt(fRev, rev)
	records := bv.NewNumericFieldMapping()
	records.Store = false
	records.IncludeInAll = false
	dm.AddFieldMappingsAt(fRecords, records)

	im.DefaultMapping = dm
	if err := im.Validate(); err != nil {
		return nil, err
	}
	return im, nil
}

// document turns an IndexDoc into the map Bleve indexes. Empty keyword
// values are left out: they would show up as a facet value "".
func document(d catalog.IndexDoc) map[string]any {
	m := map[string]any{
		fID:        d.ID,
		fRev:       float64(d.Rev),
		fAwaiting:  strconv.FormatBool(d.AwaitingConfirmation),
		fTitleSort: d.TitleSort,
		fRecords:   float64(d.Records),
		fTitle:     d.Title,
		fTitleEn:   d.TitleEn,
		fDesc:      d.Description,
		fDescEn:    d.DescriptionEn,
		fPubName:   d.PublisherName,
		fPubNameEn: d.PublisherEn,
		fKeywords:  d.Keywords,
		fLabels:    d.Labels,
		fTasks:     nonEmpty(d.Tasks),
		fLanguages: nonEmpty(d.Languages),
		fFormats:   nonEmpty(d.Formats),
		fListItems: nonEmpty(d.ListItems),
		fDomain:    nonEmpty([]string{d.Domain}),
		fModality:  nonEmpty([]string{d.Modality}),
		fTier:      nonEmpty([]string{d.Tier}),
		fLicense:   nonEmpty([]string{d.License}),
		fPublisher: nonEmpty([]string{d.Publisher}),
		fStatus:    nonEmpty([]string{d.Status}),
		fOwnerOrg:  nonEmpty([]string{d.OwnerOrg}),
	}
	if m[fTitleSort] == "" {
		m[fTitleSort] = catalog.TitleSortKey(d.Title)
	}
	// A zero time is "never": left out, it sorts after every real date.
	if !d.PublishedAt.IsZero() {
		m[fPublishedAt] = d.PublishedAt.UTC()
	}
	if !d.UpdatedAt.IsZero() {
		m[fUpdatedAt] = d.UpdatedAt.UTC()
	}
	return m
}

func nonEmpty(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
