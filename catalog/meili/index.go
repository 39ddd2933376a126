// Package meili is the production catalog.Index: a Meilisearch v1 index
// reached over HTTP with github.com/meilisearch/meilisearch-go.
//
// The index's settings are declared in code (settings.go) and applied
// whenever the adapter first uses an index, so a fresh Meilisearch, or one
// whose settings were edited by hand, is brought to the portal's settings
// without a manual step. Writes are Meilisearch tasks: the adapter waits for
// each, up to Options.TaskTimeout, and turns a failed task into an error,
// so a nil error means the engine holds the documents.
//
// Revisions. Meilisearch has no conditional write, so Upsert reads the
// stored revisions of the ids it writes (one documents/fetch per batch of
// up to 1,000) and leaves out every document older than the one indexed.
// Sequential calls therefore never replace a newer revision. Two calls for
// the same id running at the same time can interleave their read and
// their write, and the older may land last: the guarantee is per caller,
// not across concurrent callers. The portal never makes such calls: only
// the holder of the store's indexer lease writes to the index (see
// catalog/lease.go), it stops before its lease can pass to another
// instance, and Meilisearch applies tasks in the order they were enqueued,
// so the next holder's writes — made from what the store holds after it
// took the lease — land after the previous holder's.
//
// Rebuild fills a new index (uid "<index>__rebuild_<time>_<random>") with
// the same settings, then swaps it with the live one in one
// /swap-indexes task and deletes the old documents; searches see the old
// or the new index, never a partial one. Writes made through this Index
// while a rebuild runs go to both indexes.
package meili

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"dataportal/catalog"
)

var _ catalog.Index = (*Index)(nil)

// Options configure an Index. URL is required.
type Options struct {
	// URL of the Meilisearch server, e.g. http://meilisearch:7700.
	URL string
	// Key is the API key (the master key or a key with the documents.*,
	// indexes.*, settings.*, search, tasks.get, stats.get and
	// indexes.swap actions on the portal's indexes).
	Key string
	// Index is the uid of the live index; default "datasets".
	Index string
	// TaskTimeout bounds the wait for one task (default 2 minutes). A
	// task still running then is reported Unavailable; it may complete
	// later, which is harmless (writes are idempotent).
	TaskTimeout time.Duration
	// RequestTimeout bounds each HTTP request (default 30 seconds).
	RequestTimeout time.Duration
	// PollInterval is the pause between task status checks (default 50 ms).
	PollInterval time.Duration
	// MaxTotalHits is the index's pagination.maxTotalHits: totals and
	// pages are exact up to this many matches (default 100,000, the
	// design's catalogue size); beyond it Total is a lower bound.
	MaxTotalHits int64
	// HTTPClient replaces the HTTP client (tests); RequestTimeout then
	// does not apply.
	HTTPClient *http.Client
}

// Defaults of Options.
const (
	DefaultIndex        = "datasets"
	DefaultMaxTotalHits = 100_000
)

// Index is a catalog.Index on a Meilisearch index. It is safe for
// concurrent use.
type Index struct {
	o      Options
	ms     meilisearch.ServiceManager
	uid    string
	hlPre  string
	hlPost string

	ensureMu sync.Mutex
	ensured  bool // the live index exists with the portal's settings

	rebuildMu sync.Mutex // one Rebuild at a time
	writeMu   sync.Mutex // serialises writes with the swap of a Rebuild
	next      string     // the index a Rebuild fills (guarded by writeMu)
}

var indexUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// New returns an Index for the server at o.URL. It does not contact the
// server: the portal starts while the engine is down, and the index is
// created and configured at its first use.
func New(o Options) (*Index, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("meilisearch URL %q: want http(s)://host[:port]", o.URL)
	}
	if o.Index == "" {
		o.Index = DefaultIndex
	}
	if !indexUID.MatchString(o.Index) {
		return nil, fmt.Errorf("meilisearch index uid %q: use 1–200 letters, digits, - and _", o.Index)
	}
	if o.TaskTimeout <= 0 {
		o.TaskTimeout = 2 * time.Minute
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	if o.MaxTotalHits <= 0 {
		o.MaxTotalHits = DefaultMaxTotalHits
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: o.RequestTimeout}
	}
	// The SDK's own retries (1 s, 2 s, 3 s on 502–504) would hold a
	// search for seconds; the portal's indexer retries with backoff.
	opts := []meilisearch.Option{meilisearch.WithCustomClient(hc), meilisearch.DisableRetries()}
	if o.Key != "" {
		opts = append(opts, meilisearch.WithAPIKey(o.Key))
	}
	// Highlight markers: private-use characters around a word, which
	// html.EscapeString leaves alone and dataset text does not contain.
	return &Index{o: o, ms: meilisearch.New(strings.TrimRight(o.URL, "/"), opts...), uid: o.Index,
		hlPre: "\ue000hl\ue001", hlPost: "\ue000/hl\ue001"}, nil
}

// UID returns the uid of the live index.
func (x *Index) UID() string { return x.uid }

// Close releases idle connections. The Index must not be used afterwards.
func (x *Index) Close() error {
	x.ms.Close()
	return nil
}

// Ping reports whether the engine answers /health. Unavailable if not.
func (x *Index) Ping(ctx context.Context) error {
	h, err := x.ms.Health(ctx)
	if err != nil {
		return x.fail(err, "health")
	}
	if h.Status != "available" {
		return catalog.E(catalog.KindUnavailable, "搜索引擎不可用："+h.Status, "the search engine reports "+h.Status)
	}
	return nil
}

// Count returns how many documents the live index holds (0 if it does not
// exist yet). Unavailable when the engine cannot be reached.
func (x *Index) Count(ctx context.Context) (int, error) {
	st, err := x.ms.Index(x.uid).GetStats(ctx, nil)
	if hasCode(err, meilisearch.APIErrCodeIndexNotFound) {
		x.forget()
		return 0, nil
	}
	if err != nil {
		return 0, x.fail(err, "stats")
	}
	return int(st.NumberOfDocuments), nil
}

// Drop deletes the live index and its documents (tests, and operators
// retiring a portal). The next use creates it again, empty.
func (x *Index) Drop(ctx context.Context) error {
	x.forget()
	ti, err := x.ms.DeleteIndex(ctx, x.uid)
	if err != nil {
		return x.fail(err, "delete index "+x.uid)
	}
	err = x.wait(ctx, ti, "delete index "+x.uid)
	if hasCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return nil
	}
	return err
}

// ensure creates and configures the live index once per process (again
// after the engine reported it missing).
func (x *Index) ensure(ctx context.Context) error {
	x.ensureMu.Lock()
	defer x.ensureMu.Unlock()
	if x.ensured {
		return nil
	}
	if err := x.prepare(ctx, x.uid); err != nil {
		return err
	}
	x.ensured = true
	return nil
}

// forget makes the next operation create and configure the index again.
func (x *Index) forget() {
	x.ensureMu.Lock()
	x.ensured = false
	x.ensureMu.Unlock()
}

// prepare creates index uid if it does not exist and applies the settings.
func (x *Index) prepare(ctx context.Context, uid string) error {
	_, err := x.ms.GetIndex(ctx, uid)
	switch {
	case hasCode(err, meilisearch.APIErrCodeIndexNotFound):
		ti, err := x.ms.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: "id"})
		if err != nil {
			return x.fail(err, "create index "+uid)
		}
		// Another instance may have created it meanwhile: fine.
		if err := x.wait(ctx, ti, "create index "+uid); err != nil && !hasCode(err, meilisearch.APIErrCodeIndexAlreadyExists) {
			return err
		}
	case err != nil:
		return x.fail(err, "get index "+uid)
	}
	ti, err := x.ms.Index(uid).UpdateSettings(ctx, settings(x.o.MaxTotalHits))
	if err != nil {
		return x.fail(err, "settings of "+uid)
	}
	return x.wait(ctx, ti, "settings of "+uid)
}

// wait waits for a task to finish and turns its failure into an error.
func (x *Index) wait(ctx context.Context, ti *meilisearch.TaskInfo, what string) error {
	wctx, cancel := context.WithTimeout(ctx, x.o.TaskTimeout)
	defer cancel()
	t, err := x.ms.WaitForTask(wctx, ti.TaskUID, x.o.PollInterval)
	if err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			return catalog.Wrap(catalog.KindUnavailable, fmt.Errorf("task %d (%s) not finished after %s", ti.TaskUID, what, x.o.TaskTimeout),
				"搜索引擎未能及时完成任务", "the search engine did not finish "+what+" in time")
		}
		return x.fail(err, what)
	}
	switch t.Status {
	case meilisearch.TaskStatusSucceeded:
		return nil
	case meilisearch.TaskStatusFailed:
		return x.taskFailed(t, what)
	default: // canceled, or a status this adapter does not know
		return catalog.Wrap(catalog.KindUnavailable, fmt.Errorf("task %d (%s) ended %s", t.UID, what, t.Status),
			"搜索引擎任务未完成", "the search engine did not complete "+what)
	}
}

// taskError is the cause of the error for a failed task: the engine's
// error object, which hasCode reads.
type taskError struct {
	uid  int64
	what string
	meilisearch.APIErrorDetails
}

func (e *taskError) Error() string {
	return fmt.Sprintf("meilisearch task %d (%s) failed: %s: %s", e.uid, e.what, e.Code, e.Message)
}

// unavailableCodes are the error codes of conditions that pass or that an
// operator fixes on the engine's side: retrying later may succeed.
var unavailableCodes = map[meilisearch.APIErrCode]bool{
	meilisearch.APIErrCodeIndexNotFound:              true,
	meilisearch.APIErrCodeInternal:                   true,
	meilisearch.APIErrCodeIOError:                    true,
	meilisearch.APIErrCodeNoSpaceLeftOnDevice:        true,
	meilisearch.APIErrCodeDatabaseSizeLimitReached:   true,
	meilisearch.APIErrCodeTooManyOpenFiles:           true,
	meilisearch.APIErrCodeTooManySearchRequests:      true,
	meilisearch.APIErrCodeInvalidAPIKey:              true,
	meilisearch.APIErrCodeMissingAuthorizationHeader: true,
}

func (x *Index) taskFailed(t *meilisearch.Task, what string) error {
	cause := &taskError{uid: t.UID, what: what, APIErrorDetails: t.Error}
	if t.Error.Code == meilisearch.APIErrCodeIndexNotFound {
		x.forget()
	}
	if unavailableCodes[t.Error.Code] {
		return catalog.Wrap(catalog.KindUnavailable, cause, "搜索引擎暂时无法完成写入", "the search engine could not complete "+what)
	}
	return catalog.Internal(cause, "meilisearch %s", what)
}

// fail maps an error of the SDK to a catalog error: Unavailable when the
// engine cannot be reached, is overloaded, failing (5xx) or refuses the
// key; Internal for a request it rejects (a bug in this adapter).
func (x *Index) fail(err error, what string) error {
	var me *meilisearch.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return catalog.Wrap(catalog.KindUnavailable, err, "搜索请求已取消或超时", "search engine request ("+what+") cancelled or timed out")
	case errors.As(err, &me):
	default:
		return catalog.Internal(err, "meilisearch %s", what)
	}
	switch me.ErrCode {
	case meilisearch.TimeoutError:
		return catalog.Wrap(catalog.KindUnavailable, err, "搜索引擎响应超时", "the search engine did not answer in time ("+what+")")
	case meilisearch.CommunicationError, meilisearch.MaxRetriesExceeded:
		return catalog.Wrap(catalog.KindUnavailable, err, "无法连接搜索引擎", "cannot reach the search engine ("+what+")")
	case meilisearch.ErrCodeResponseUnmarshalBody:
		// Something that is not Meilisearch answered (a proxy's page).
		return catalog.Wrap(catalog.KindUnavailable, err, "搜索引擎返回了无法识别的响应", "the search engine's answer could not be read ("+what+")")
	}
	if me.APIError.Code == meilisearch.APIErrCodeIndexNotFound {
		x.forget()
	}
	if me.StatusCode >= 500 || me.StatusCode == http.StatusTooManyRequests || me.StatusCode == http.StatusUnauthorized ||
		me.StatusCode == http.StatusForbidden || unavailableCodes[me.APIError.Code] {
		return catalog.Wrap(catalog.KindUnavailable, err, "搜索引擎暂时不可用", "the search engine is unavailable ("+what+")")
	}
	return catalog.Internal(err, "meilisearch %s", what)
}

// hasCode reports whether err carries the Meilisearch error code c, from
// a response or from a failed task.
func hasCode(err error, c meilisearch.APIErrCode) bool {
	var me *meilisearch.Error
	if errors.As(err, &me) && me.APIError.Code == c {
		return true
	}
	var te *taskError
	return errors.As(err, &te) && te.Code == c
}

// settingsCodes are the errors of a request that uses an attribute the
// index's settings do not declare (filterable, sortable): the index lost
// its settings — it was deleted and recreated by a document addition, or
// edited by hand — so they are applied again.
var settingsCodes = []meilisearch.APIErrCode{
	meilisearch.APIErrCodeInvalidSearchFilter, meilisearch.APIErrCodeInvalidSearchFacets,
	meilisearch.APIErrCodeInvalidSearchSort, meilisearch.APIErrCodeInvalidDocumentFilter,
}

// retry runs op, and once more after configuring the index again when the
// engine reported it missing (deleted behind the adapter's back) or
// without the settings the request needs.
func (x *Index) retry(ctx context.Context, op func() error) error {
	if err := x.ensure(ctx); err != nil {
		return err
	}
	err := op()
	again := hasCode(err, meilisearch.APIErrCodeIndexNotFound)
	for _, c := range settingsCodes {
		again = again || hasCode(err, c)
	}
	if !again {
		return err
	}
	x.forget()
	if err := x.ensure(ctx); err != nil {
		return err
	}
	return op()
}

// rebuildPrefix starts the uids of the indexes a Rebuild fills.
func (x *Index) rebuildPrefix() string { return x.uid + "__rebuild_" }

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
