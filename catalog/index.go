package catalog

import (
	"context"
	"strconv"
	"time"
)

// IndexDoc is what the search index holds of a dataset. The store stays the
// source of truth; the index can always be rebuilt from it.
type IndexDoc struct {
	ID            string   `json:"id"`
	Rev           int64    `json:"rev"`
	Title         string   `json:"title"`
	TitleEn       string   `json:"title_en"`
	Description   string   `json:"description"`
	DescriptionEn string   `json:"description_en"`
	Keywords      []string `json:"keywords"`
	Tasks         []string `json:"tasks"`
	Domain        string   `json:"domain"`
	Modality      string   `json:"modality"`
	Languages     []string `json:"languages"`
	Tier          string   `json:"tier"`
	License       string   `json:"license"`
	Publisher     string   `json:"publisher"`
	PublisherName string   `json:"publisher_name"`
	PublisherEn   string   `json:"publisher_name_en"`
	Formats       []string `json:"formats"`
	ListItems     []string `json:"list_items"`
	// Labels are the zh/en labels of the domain, modality and tasks, so an
	// English query finds a Chinese-only dataset by its category and back.
	Labels []string `json:"labels"`
	// TitleSort is the key for sorting by title (pinyin for Chinese titles).
	TitleSort string `json:"title_sort"`

	Status               string    `json:"status"`
	OwnerOrg             string    `json:"owner_org"`
	AwaitingConfirmation bool      `json:"awaiting_confirmation"`
	PublishedAt          time.Time `json:"published_at"`
	UpdatedAt            time.Time `json:"updated_at"`
	Records              int64     `json:"records"`
	Bytes                int64     `json:"bytes"`
}

// VisibilityFields returns the document's values of the fields a Visibility
// filter may test.
func (d IndexDoc) VisibilityFields() map[string][]string {
	return map[string][]string{
		VisTier:      {d.Tier},
		VisStatus:    {d.Status},
		VisOwnerOrg:  {d.OwnerOrg},
		VisAwaiting:  {strconv.FormatBool(d.AwaitingConfirmation)},
		VisDatasetID: {d.ID},
	}
}

// Facet names: the search API's filter parameters and facet keys.
const (
	FacetDomain    = "domain"
	FacetModality  = "modality"
	FacetLanguage  = "language"
	FacetTier      = "tier"
	FacetLicense   = "license"
	FacetPublisher = "publisher"
	FacetList      = "list"
	FacetTask      = "task"
	FacetFormat    = "format"
)

// Facets lists every facet an Index must support, in display order.
var Facets = []string{FacetDomain, FacetModality, FacetTier, FacetLanguage, FacetLicense, FacetPublisher, FacetList, FacetTask, FacetFormat}

// FacetValues returns the document's values of facet f.
func (d IndexDoc) FacetValues(f string) []string {
	switch f {
	case FacetDomain:
		return []string{d.Domain}
	case FacetModality:
		return []string{d.Modality}
	case FacetLanguage:
		return d.Languages
	case FacetTier:
		return []string{d.Tier}
	case FacetLicense:
		return []string{d.License}
	case FacetPublisher:
		return []string{d.Publisher}
	case FacetList:
		return d.ListItems
	case FacetTask:
		return d.Tasks
	case FacetFormat:
		return d.Formats
	}
	return nil
}

// Sort orders for search.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortTitle     = "title"
)

// SearchQuery is a search request as the index sees it.
type SearchQuery struct {
	// Text is the user's query, Chinese or English; empty matches all.
	Text string
	// Filters restricts facet fields: a document must have one of the values
	// of every listed facet.
	Filters map[string][]string
	// Status restricts the lifecycle status; empty means published.
	Status []string
	// Visibility is applied inside the engine query, so hits, totals and
	// facet counts only count what the subject may see.
	Visibility Visibility
	Sort       string
	// Offset and Limit select the page of hits.
	Offset, Limit int
	// Facets to count; nil for none.
	Facets []string
	// FacetSize caps the number of values returned per facet (0: 50).
	FacetSize int
}

// SearchResult is one page of hits with the exact total and facet counts.
type SearchResult struct {
	Total  int                     `json:"total"`
	Hits   []Hit                   `json:"hits"`
	Facets map[string][]FacetCount `json:"facets"`
}

// Hit is a matching dataset id with its score and highlighted fragments
// (HTML with matches in <mark>, everything else escaped).
type Hit struct {
	ID         string              `json:"id"`
	Rev        int64               `json:"rev"`
	Score      float64             `json:"score"`
	Highlights map[string][]string `json:"highlight,omitempty"`
}

// FacetCount is the number of visible matching documents with a value.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Index is a full-text search index over datasets. Implementations:
// catalog/bleve (embedded) and catalog/meili. Errors: Unavailable when the
// engine cannot be reached, Invalid for a query it cannot run.
type Index interface {
	// Upsert adds or replaces documents. It is idempotent by id and Rev:
	// a document older than the one indexed is ignored.
	Upsert(ctx context.Context, docs ...IndexDoc) error
	// Delete removes documents; unknown ids are ignored.
	Delete(ctx context.Context, ids ...string) error
	// Search runs q.
	Search(ctx context.Context, q SearchQuery) (SearchResult, error)
	// Rebuild replaces the whole index with the documents that fill yields,
	// without a moment when searches see an empty or partial index.
	Rebuild(ctx context.Context, fill func(add func(IndexDoc) error) error) error
	// Count returns how many documents are indexed.
	Count(ctx context.Context) (int, error)
	// Ping reports whether the engine answers.
	Ping(ctx context.Context) error
	Close() error
}
