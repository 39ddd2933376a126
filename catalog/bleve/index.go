// Package bleve is the embedded default catalog.Index: a Bleve (scorch)
// index on disk under the portal's data directory, with Chinese text
// analysed into character bigrams and English text stemmed.
//
// On disk, dir holds generations of the index and a pointer to the live one:
//
//	dir/LOCK          held (flock) by the process that has the index open
//	dir/CURRENT       the name of the live generation, replaced by rename
//	dir/gen-000007/   a complete Bleve index
//
// Rebuild writes a new generation next to the live one and swaps the
// pointer, so a crash at any moment leaves either the old or the new
// generation live; a half-built generation is removed by the next Open.
// The index is derived from the store: when Open finds nothing usable it
// starts an empty generation and Created reports it, so the caller rebuilds.
package bleve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	bolt "go.etcd.io/bbolt"

	"dataportal/catalog"
)

var _ catalog.Index = (*Index)(nil)

const (
	currentFile = "CURRENT"
	lockFile    = "LOCK"
	genPrefix   = "gen-"
	// lockTimeout bounds the wait for an index another process holds:
	// starting a second portal on the same data directory must fail
	// promptly with a clear error, not hang.
	lockTimeout = time.Second
	// batchSize is how many documents go into one Bleve batch (one segment).
	batchSize = 1000
)

var genName = regexp.MustCompile(`^gen-[0-9]{6,}$`)

// Index is a catalog.Index on a Bleve index in a directory. It is safe for
// concurrent use; writes are serialised, searches run in parallel with
// writes and with Rebuild.
type Index struct {
	dir     string
	mapping *mapping.IndexMappingImpl
	qb      queryBuilder
	lock    *os.File
	created bool

	rebuildMu sync.Mutex // one Rebuild at a time

	writeMu sync.Mutex // serialises Upsert and Delete, so the rev check holds
	// While a Rebuild runs, writes also go to journal and are replayed on
	// the new generation before it goes live. Guarded by writeMu.
	recording bool
	journal   []journalOp

	mu     sync.RWMutex // guards idx, gen and closed; readers hold it for the whole search
	idx    bv.Index
	gen    string
	closed bool
	// closing tells a running Rebuild to stop; read without mu.
	closing atomic.Bool
}

type journalOp struct {
	upsert []catalog.IndexDoc
	delete []string
}

// Open opens the index in dir, creating dir and an empty index if needed.
// It fails with KindUnavailable, after about a second, when another process
// holds the index. A missing, half-built or unreadable generation is
// replaced by an empty one; Created then reports true.
func Open(dir string) (*Index, error) {
	im, err := newMapping()
	if err != nil {
		return nil, catalog.Internal(err, "bleve mapping")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errUnavailable(err, dir)
	}
	lock, err := lockDir(filepath.Join(dir, lockFile), lockTimeout)
	if err != nil {
		return nil, err
	}
	x := &Index{dir: dir, mapping: im, qb: newQueryBuilder(im), lock: lock}
	if err := x.open(); err != nil {
		_ = lock.Close()
		return nil, err
	}
	x.removeStale()
	return x, nil
}

func (x *Index) open() error {
	gen, err := readCurrent(x.dir)
	if err != nil {
		return err
	}
	if gen != "" {
		idx, err := bv.OpenUsing(filepath.Join(x.dir, gen), map[string]any{"bolt_timeout": lockTimeout.String()})
		switch {
		case err == nil:
			x.idx, x.gen = idx, gen
			return nil
		case errors.Is(err, bolt.ErrTimeout):
			return errInUse(x.dir, err)
		}
		// Lost or damaged: the index is derived data, so start an empty
		// generation (the broken one goes with the stale ones) and let the
		// caller rebuild from the store.
	}
	gen = nextGen(x.dir)
	idx, err := x.create(gen)
	if err != nil {
		return err
	}
	if err := writeCurrent(x.dir, gen); err != nil {
		_ = idx.Close()
		return err
	}
	x.idx, x.gen, x.created = idx, gen, true
	return nil
}

func errInUse(path string, err error) error {
	return catalog.Wrap(catalog.KindUnavailable, err,
		"搜索索引正被另一个进程使用："+path,
		"the search index "+path+" is in use by another process")
}

func errUnavailable(err error, path string) error {
	return catalog.Wrap(catalog.KindUnavailable, err, "无法打开搜索索引："+path, "cannot open the search index "+path)
}

// create makes an empty index for generation gen.
func (x *Index) create(gen string) (bv.Index, error) {
	path := filepath.Join(x.dir, gen)
	if err := os.RemoveAll(path); err != nil {
		return nil, catalog.Internal(err, "remove %s", path)
	}
	idx, err := bv.NewUsing(path, x.mapping, bv.Config.DefaultIndexType, bv.Config.DefaultKVStore,
		map[string]any{"bolt_timeout": lockTimeout.String()})
	if err != nil {
		return nil, catalog.Wrap(catalog.KindUnavailable, err, "无法创建搜索索引", "cannot create the search index in "+path)
	}
	return idx, nil
}

// Created reports whether Open found no usable index and created an empty
// one: the caller should rebuild it from the store.
func (x *Index) Created() bool { return x.created }

// Dir returns the directory the index lives in.
func (x *Index) Dir() string { return x.dir }

// removeStale deletes generations other than the live one (half-built by
// a Rebuild that crashed, or left by one that crashed after the swap) and
// a leftover temporary pointer file. The caller holds the directory lock.
func (x *Index) removeStale() {
	entries, err := os.ReadDir(x.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if name == x.gen {
			continue
		}
		if genName.MatchString(name) || name == currentFile+".tmp" {
			_ = os.RemoveAll(filepath.Join(x.dir, name))
		}
	}
}

// readCurrent returns the live generation's name, "" when there is none.
func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", catalog.Wrap(catalog.KindUnavailable, err, "无法读取搜索索引", "cannot read the search index pointer in "+dir)
	}
	gen := strings.TrimSpace(string(b))
	if !genName.MatchString(gen) {
		return "", nil // garbage: treated as no index
	}
	return gen, nil
}

// writeCurrent points dir at generation gen: temporary file, fsync,
// rename, fsync of the directory, so a crash leaves the old or the new
// pointer, never a torn one.
func writeCurrent(dir, gen string) error {
	tmp := filepath.Join(dir, currentFile+".tmp")
	err := func() error {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.WriteString(gen + "\n"); err != nil {
			_ = f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, currentFile)); err != nil {
			return err
		}
		return syncDir(dir)
	}()
	if err != nil {
		_ = os.Remove(tmp)
		return catalog.Wrap(catalog.KindUnavailable, err, "无法更新搜索索引", "cannot update the search index pointer in "+dir)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// nextGen returns a generation name above every one in dir.
func nextGen(dir string) string {
	max := 0
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if genName.MatchString(e.Name()) {
			if n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), genPrefix)); err == nil && n > max {
				max = n
			}
		}
	}
	return fmt.Sprintf("%s%06d", genPrefix, max+1)
}

var errClosed = catalog.E(catalog.KindUnavailable, "搜索索引已关闭", "the search index is closed")

// indexErr maps a Bleve error to a catalog error kind.
func indexErr(err error, op string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return catalog.Wrap(catalog.KindUnavailable, err, "搜索索引操作已取消或超时", "search index "+op+" canceled or timed out")
	case errors.Is(err, bv.ErrorIndexClosed):
		return catalog.Wrap(catalog.KindUnavailable, err, "搜索索引已关闭", "the search index is closed")
	}
	return catalog.Internal(err, "bleve %s", op)
}

// Close closes the index and releases the directory. A Rebuild still
// running is abandoned.
func (x *Index) Close() error {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil
	}
	x.closed = true
	x.closing.Store(true)
	err := x.idx.Close()
	x.mu.Unlock()
	// Let an abandoned Rebuild remove its generation while the directory
	// is still ours.
	x.rebuildMu.Lock()
	defer x.rebuildMu.Unlock()
	if lerr := x.lock.Close(); err == nil {
		err = lerr
	}
	return indexErr(err, "close")
}

// Ping reports whether the index is open and readable.
func (x *Index) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return indexErr(err, "ping")
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return errClosed
	}
	if _, err := x.idx.DocCount(); err != nil {
		return catalog.Wrap(catalog.KindUnavailable, err, "搜索索引不可用", "the search index is unavailable")
	}
	return nil
}

// Count returns the number of indexed documents, whatever their status.
func (x *Index) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, indexErr(err, "count")
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return 0, errClosed
	}
	n, err := x.idx.DocCount()
	return int(n), indexErr(err, "count")
}

// Upsert indexes docs. A document whose Rev is below the indexed one is
// skipped, so a late retry cannot bring back an old revision; an equal Rev
// is indexed again. Errors: Invalid for a document without id.
func (x *Index) Upsert(ctx context.Context, docs ...catalog.IndexDoc) error {
	if len(docs) == 0 {
		return nil
	}
	for _, d := range docs {
		if d.ID == "" {
			return catalog.E(catalog.KindInvalid, "索引文档缺少标识", "index document without id")
		}
	}
	if err := ctx.Err(); err != nil {
		return indexErr(err, "upsert")
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return errClosed
	}
	if err := upsertInto(ctx, x.idx, docs); err != nil {
		return err
	}
	if x.recording {
		x.journal = append(x.journal, journalOp{upsert: append([]catalog.IndexDoc(nil), docs...)})
	}
	return nil
}

// Delete removes documents by id; unknown ids are ignored.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return indexErr(err, "delete")
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return errClosed
	}
	if err := deleteFrom(x.idx, ids); err != nil {
		return err
	}
	if x.recording {
		x.journal = append(x.journal, journalOp{delete: append([]string(nil), ids...)})
	}
	return nil
}

func deleteFrom(idx bv.Index, ids []string) error {
	b := idx.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	return indexErr(idx.Batch(b), "delete")
}

// upsertInto writes docs into idx in batches, skipping revisions older
// than the indexed ones (and than later copies of the same id in docs).
func upsertInto(ctx context.Context, idx bv.Index, docs []catalog.IndexDoc) error {
	for start := 0; start < len(docs); start += batchSize {
		chunk := docs[start:min(start+batchSize, len(docs))]
		newest := make(map[string]catalog.IndexDoc, len(chunk))
		for _, d := range chunk {
			if have, ok := newest[d.ID]; !ok || d.Rev >= have.Rev {
				newest[d.ID] = d
			}
		}
		ids := make([]string, 0, len(newest))
		for id := range newest {
			ids = append(ids, id)
		}
		stored, err := storedRevs(ctx, idx, ids)
		if err != nil {
			return err
		}
		b := idx.NewBatch()
		for _, id := range ids {
			d := newest[id]
			if have, ok := stored[id]; ok && d.Rev < have {
				continue
			}
			if err := b.Index(id, document(d)); err != nil {
				return catalog.Internal(err, "bleve index %q", id)
			}
		}
		if b.Size() == 0 {
			continue
		}
		if err := idx.Batch(b); err != nil {
			return indexErr(err, "upsert")
		}
	}
	return nil
}

// storedRevs returns the indexed revision of those ids that are indexed,
// with one search for all of them.
func storedRevs(ctx context.Context, idx bv.Index, ids []string) (map[string]int64, error) {
	req := bv.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fRev}
	req.Score = "none"
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, indexErr(err, "read revisions")
	}
	out := make(map[string]int64, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = revOf(h.Fields)
	}
	return out, nil
}

func revOf(fields map[string]any) int64 {
	if f, ok := fields[fRev].(float64); ok {
		return int64(f)
	}
	return 0
}

// Rebuild builds a new generation from fill and makes it live in one step.
// Until then searches and writes use the current generation; writes made
// meanwhile are replayed on the new one before the swap, so none is lost.
// When fill fails or ctx ends, the new generation is discarded and the
// index is unchanged.
func (x *Index) Rebuild(ctx context.Context, fill func(add func(catalog.IndexDoc) error) error) (err error) {
	x.rebuildMu.Lock()
	defer x.rebuildMu.Unlock()

	x.writeMu.Lock()
	x.mu.RLock()
	closed := x.closed
	x.mu.RUnlock()
	if closed {
		x.writeMu.Unlock()
		return errClosed
	}
	x.recording, x.journal = true, nil
	x.writeMu.Unlock()
	defer func() {
		if err != nil {
			x.writeMu.Lock()
			x.recording, x.journal = false, nil
			x.writeMu.Unlock()
		}
	}()

	gen := nextGen(x.dir)
	fresh, err := x.create(gen)
	if err != nil {
		return err
	}
	live := false
	defer func() {
		if !live {
			_ = fresh.Close()
			_ = os.RemoveAll(filepath.Join(x.dir, gen))
		}
	}()

	revs := map[string]int64{}
	batch := fresh.NewBatch()
	flush := func() error {
		if batch.Size() == 0 {
			return nil
		}
		if err := fresh.Batch(batch); err != nil {
			return indexErr(err, "rebuild")
		}
		batch.Reset()
		return nil
	}
	add := func(d catalog.IndexDoc) error {
		if err := ctx.Err(); err != nil {
			return indexErr(err, "rebuild")
		}
		if x.closing.Load() {
			return errClosed
		}
		if d.ID == "" {
			return catalog.E(catalog.KindInvalid, "索引文档缺少标识", "index document without id")
		}
		if have, ok := revs[d.ID]; ok && d.Rev < have {
			return nil
		}
		revs[d.ID] = d.Rev
		if err := batch.Index(d.ID, document(d)); err != nil {
			return catalog.Internal(err, "bleve index %q", d.ID)
		}
		if batch.Size() >= batchSize {
			return flush()
		}
		return nil
	}
	if err := fill(add); err != nil {
		return catalog.Internal(err, "rebuild search index")
	}
	if err := flush(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return indexErr(err, "rebuild")
	}

	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	for _, op := range x.journal {
		if op.delete != nil {
			err = deleteFrom(fresh, op.delete)
		} else {
			err = upsertInto(context.WithoutCancel(ctx), fresh, op.upsert)
		}
		if err != nil {
			return err
		}
	}
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return errClosed
	}
	if err := writeCurrent(x.dir, gen); err != nil {
		x.mu.Unlock()
		return err
	}
	old, oldGen := x.idx, x.gen
	x.idx, x.gen = fresh, gen
	x.recording, x.journal = false, nil
	live = true
	x.mu.Unlock()

	// No reader holds the old generation any more (they hold mu).
	_ = old.Close()
	_ = os.RemoveAll(filepath.Join(x.dir, oldGen))
	return nil
}

// Search runs q. Errors: Invalid for an unknown facet, sort or visibility
// field, or a negative offset or limit; Unavailable when the index is closed
// or ctx ends.
func (x *Index) Search(ctx context.Context, q catalog.SearchQuery) (catalog.SearchResult, error) {
	req, err := x.request(q)
	if err != nil {
		return catalog.SearchResult{}, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return catalog.SearchResult{}, errClosed
	}
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return catalog.SearchResult{}, indexErr(err, "search")
	}

	out := catalog.SearchResult{Total: int(res.Total), Hits: make([]catalog.Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		hit := catalog.Hit{ID: h.ID, Rev: revOf(h.Fields), Score: h.Score}
		for field, frags := range h.Fragments {
			for _, f := range frags {
				if !strings.Contains(f, markOpen) {
					continue // a field that did not match: nothing to show
				}
				if hit.Highlights == nil {
					hit.Highlights = map[string][]string{}
				}
				hit.Highlights[field] = append(hit.Highlights[field], strings.ReplaceAll(f, markClose+markOpen, ""))
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	if len(q.Facets) > 0 {
		out.Facets = make(map[string][]catalog.FacetCount, len(q.Facets))
		for _, name := range q.Facets {
			counts := []catalog.FacetCount{}
			if fr := res.Facets[name]; fr != nil && fr.Terms != nil {
				for _, t := range fr.Terms.Terms() {
					counts = append(counts, catalog.FacetCount{Value: t.Term, Count: t.Count})
				}
			}
			sort.Slice(counts, func(i, j int) bool {
				if counts[i].Count != counts[j].Count {
					return counts[i].Count > counts[j].Count
				}
				return counts[i].Value < counts[j].Value
			})
			out.Facets[name] = counts
		}
	}
	return out, nil
}
