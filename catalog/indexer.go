package catalog

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// The search index is derived from the store. Every dataset write sets
// index_pending in the same document write; the indexer upserts pending
// datasets (idempotent by id and content revision) and then clears the
// flag guarded by the store revision it read, so a newer write is never
// marked done by mistake. A crash at any point leaves either the flag set
// (the work is redone) or the index up to date. A write therefore succeeds
// whether or not the index answers; while it does not, the indexer retries
// with exponential backoff and the backlog shows in IndexBacklog (metrics
// and /readyz).
//
// Of several instances sharing the store, only the holder of the indexer
// lease (lease.go) indexes, checks and rebuilds, so no work is done twice
// and no two rebuilds race.

// IndexDocOf derives the search document of a dataset.
func IndexDocOf(d *Dataset) IndexDoc {
	doc := IndexDoc{
		ID: d.ID, Rev: d.Rev, Title: d.Title, TitleEn: d.TitleEn, Description: d.Description, DescriptionEn: d.DescriptionEn,
		Keywords: d.Keywords, Tasks: d.Tasks, Domain: d.Domain, Modality: d.Modality, Languages: d.Languages,
		Tier: string(d.Tier), License: d.License, Publisher: d.Publisher, PublisherName: d.PublisherName, PublisherEn: d.PublisherEn,
		Formats: d.Formats, ListItems: d.ListItems, Status: d.Status, OwnerOrg: d.Publisher,
		AwaitingConfirmation: d.AwaitingConfirmation(), UpdatedAt: d.UpdatedAt, Records: d.Size.Records, Bytes: d.Size.Bytes,
		TitleSort: TitleSortKey(d.Title),
	}
	if d.PublishedAt != nil {
		doc.PublishedAt = *d.PublishedAt
	}
	add := func(v Vocabulary, value string) {
		if l, ok := v.Label(value); ok {
			doc.Labels = append(doc.Labels, l.Zh, l.En)
		}
	}
	add(Domains, d.Domain)
	add(Modalities, d.Modality)
	for _, t := range d.Tasks {
		add(Tasks, t)
	}
	return doc
}

// reindexJob is the id of the job document that asks the lease holder to
// rebuild the index (so `portal reindex` works while portals serve).
const reindexJob = "reindex"

// job is a document of the jobs collection: the reindex request and the
// indexer lease.
type job struct {
	State       string    `json:"state"` // reindex: requested, running, done; lease: leased, released
	RequestedAt time.Time `json:"requested_at,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	// Holder is the instance holding the lease, or running the rebuild.
	Holder string    `json:"holder,omitempty"`
	Until  time.Time `json:"until,omitzero"`
}

// IndexPending indexes up to limit pending datasets and reports how many
// it processed. An error means the index is unreachable or refused the
// batch; the flags stay set and the work is retried. It does not take the
// indexer lease: RunIndexer and Reconcile call it as the lease holder.
func (s *Service) IndexPending(ctx context.Context, limit int) (int, error) {
	page, _, err := s.datasets.find(ctx, Query{Filters: []Filter{Where("index_pending", true)}, Sort: "updated_at", Limit: limit})
	if err != nil || len(page) == 0 {
		return 0, err
	}
	docs := make([]IndexDoc, len(page))
	for i, f := range page {
		docs[i] = IndexDocOf(&f.V.Dataset)
	}
	if err := s.index.Upsert(ctx, docs...); err != nil {
		return 0, err
	}
	for _, f := range page {
		if err := s.markIndexed(ctx, f); err != nil {
			return 0, err
		}
	}
	return len(page), nil
}

// markIndexed clears the pending flag of a dataset that was indexed at
// content revision f.V.Rev. A write since then that changed the content
// leaves the flag set (the new content is indexed next round); a
// bookkeeping write (its audit outbox flushed) does not, so the same
// revision is not sent to the index twice.
func (s *Service) markIndexed(ctx context.Context, f found[datasetRecord]) error {
	rec := f.V
	rec.IndexPending = false
	_, err := s.datasets.replace(ctx, rec.ID, f.Rev, &rec)
	if err == nil || IsKind(err, KindNotFound) {
		return nil
	}
	if !errors.Is(err, ErrStale) {
		return err
	}
	_, _, err = s.datasets.update(ctx, rec.ID, func(cur *datasetRecord) error {
		if !cur.IndexPending || cur.Rev != f.V.Rev {
			return errUnchanged
		}
		cur.IndexPending = false
		return nil
	})
	if IsKind(err, KindNotFound) {
		return nil
	}
	return err
}

// PendingCount returns how many datasets await indexing.
func (s *Service) PendingCount(ctx context.Context) (int64, error) {
	return s.datasets.c.Count(ctx, Where("index_pending", true))
}

// IndexBacklog returns how many datasets await indexing and how long the
// oldest of them has waited (since its last change), 0 when none does.
func (s *Service) IndexBacklog(ctx context.Context) (int64, time.Duration, error) {
	n, err := s.PendingCount(ctx)
	if err != nil || n == 0 {
		return n, 0, err
	}
	page, _, err := s.datasets.find(ctx, Query{Filters: []Filter{Where("index_pending", true)}, Sort: "updated_at", Limit: 1})
	if err != nil || len(page) == 0 {
		return n, 0, err
	}
	return n, max(0, s.now().Sub(page[0].V.UpdatedAt)), nil
}

// Reindex rebuilds the whole index from the store. Searches keep using the
// old index until the new one is complete. Callers that may run beside
// other instances use ReindexExclusive.
func (s *Service) Reindex(ctx context.Context) (int, error) {
	n := 0
	err := s.index.Rebuild(ctx, func(add func(IndexDoc) error) error {
		return s.datasets.each(ctx, nil, func(rec datasetRecord, _ int64) error {
			n++
			return add(IndexDocOf(&rec.Dataset))
		})
	})
	return n, err
}

// ReindexExclusive rebuilds the index as the indexer lease holder, then
// indexes what was written meanwhile. Conflict (with ErrIndexBusy) when
// another instance holds the lease: ask it with RequestReindex instead.
func (s *Service) ReindexExclusive(ctx context.Context) (int, error) {
	n := 0
	ran, err := s.lead(ctx, func(ctx context.Context) error {
		var err error
		if n, err = s.Reindex(ctx); err != nil {
			return err
		}
		_, err = s.indexAllPending(ctx)
		return err
	})
	if err == nil && !ran {
		return 0, &Error{Kind: KindConflict, Message: T("另一个门户实例正在维护搜索索引", "another portal instance maintains the search index"), Err: ErrIndexBusy}
	}
	if ran {
		if rerr := s.ReleaseLease(context.WithoutCancel(ctx)); rerr != nil && err == nil {
			s.log.Warn("could not release the indexer lease", "err", rerr)
		}
	}
	return n, err
}

// RequestReindex asks the instance holding the indexer lease to rebuild
// the index, through the store (the command line uses it while portals
// serve). A request made while a rebuild runs starts another one after it.
func (s *Service) RequestReindex(ctx context.Context) error {
	j := job{State: "requested", RequestedAt: s.now()}
	if _, err := s.jobs.insert(ctx, reindexJob, &j); err == nil || !IsKind(err, KindConflict) {
		return err
	}
	_, _, err := s.jobs.update(ctx, reindexJob, func(old *job) error {
		*old = j
		return nil
	})
	return err
}

// ReindexState reports the state of the last requested rebuild ("" if none).
func (s *Service) ReindexState(ctx context.Context) (string, error) {
	j, _, err := s.jobs.get(ctx, reindexJob)
	if IsKind(err, KindNotFound) {
		return "", nil
	}
	return j.State, err
}

// runRequestedReindex rebuilds the index if a rebuild was requested. The
// caller holds the indexer lease, so a rebuild marked running by another
// instance was abandoned by it (it lost the lease) and is taken over.
func (s *Service) runRequestedReindex(ctx context.Context) error {
	j, rev, err := s.jobs.get(ctx, reindexJob)
	if IsKind(err, KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case j.State == "requested":
	case j.State == "running" && j.Holder != s.opts.Instance:
		s.log.Info("taking over a rebuild abandoned by another instance", "instance", j.Holder)
	default:
		return nil
	}
	j.State, j.Holder = "running", s.opts.Instance
	if rev, err = s.jobs.replace(ctx, reindexJob, rev, &j); err != nil {
		if errors.Is(err, ErrStale) {
			return nil // changed meanwhile: looked at again next round
		}
		return err
	}
	n, err := s.Reindex(ctx)
	if err != nil {
		j.State, j.Holder = "requested", "" // try again on the next round
		_, _ = s.jobs.replace(context.WithoutCancel(ctx), reindexJob, rev, &j)
		return err
	}
	j.State, j.Holder, j.FinishedAt = "done", "", s.now()
	// Stale when the rebuild was requested again meanwhile: it stays
	// requested and runs once more.
	_, _ = s.jobs.replace(ctx, reindexJob, rev, &j)
	s.log.Info("index rebuilt on request", "datasets", n)
	return nil
}

// checkIndex rebuilds an index that is out of step with the store: fresh
// or emptied (its directory deleted, the engine restarted without its
// data), or holding documents the store does not. Pending datasets are
// indexed first, so that a difference means drift, not a backlog.
func (s *Service) checkIndex(ctx context.Context) error {
	if _, err := s.indexAllPending(ctx); err != nil {
		return err
	}
	stored, err := s.datasets.c.Count(ctx)
	if err != nil {
		return err
	}
	indexed, err := s.index.Count(ctx)
	if err != nil {
		return err
	}
	if int64(indexed) == stored {
		return nil
	}
	s.log.Info("index out of step with the store; rebuilding", "indexed", indexed, "stored", stored)
	if _, err := s.Reindex(ctx); err != nil {
		return err
	}
	_, err = s.indexAllPending(ctx)
	return err
}

// indexAllPending indexes pending datasets until none is left.
func (s *Service) indexAllPending(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.IndexPending(ctx, 200)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// Reconcile brings the index in line with the store at start-up: a fresh
// or incomplete index is rebuilt; pending datasets are indexed. When
// another instance holds the indexer lease, that instance does the index
// work and Reconcile only flushes audit outboxes.
func (s *Service) Reconcile(ctx context.Context) error {
	if err := s.FlushAudit(ctx); err != nil {
		s.log.Error("audit outbox flush failed; it is retried periodically", "err", err)
	}
	ran, err := s.lead(ctx, func(ctx context.Context) error {
		if err := s.runRequestedReindex(ctx); err != nil {
			return err
		}
		return s.checkIndex(ctx)
	})
	if ran {
		// Let whichever instance polls first carry on (this one's
		// RunIndexer takes it again when it starts).
		if rerr := s.ReleaseLease(context.WithoutCancel(ctx)); rerr != nil {
			s.log.Warn("could not release the indexer lease", "err", rerr)
		}
	}
	return err
}

// checkEvery is how often the lease holder compares the index with the
// store (and rebuilds it on a difference).
const checkEvery = 10 * time.Minute

// RunIndexer keeps the index in step with the store until ctx ends. While
// this instance holds the indexer lease it indexes pending datasets at
// once after a write (Kick), every poll interval otherwise (writes of other
// instances), runs requested rebuilds, and compares index and store when
// it takes the lease and every checkEvery; while the index fails it backs
// off exponentially (a write does not cut the backoff short). An instance
// without the lease looks at every poll whether the lease is free. When
// ctx ends, the lease is released so another instance takes over at once.
func (s *Service) RunIndexer(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.ReleaseLease(rctx); err != nil {
			s.log.Warn("could not release the indexer lease", "err", err)
		}
	}()
	backoff := time.Duration(0)
	var checked time.Time // zero: check when the lease is taken
	for {
		wasLeader := s.IndexLeader()
		_, err := s.lead(ctx, func(ctx context.Context) error {
			if !wasLeader {
				checked = time.Time{}
			}
			if err := s.runRequestedReindex(ctx); err != nil {
				return err
			}
			if time.Since(checked) > checkEvery {
				if err := s.checkIndex(ctx); err != nil {
					return err
				}
				checked = time.Now()
				return nil
			}
			_, err := s.indexAllPending(ctx)
			return err
		})
		wait := poll
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			backoff = min(max(2*backoff, 500*time.Millisecond), time.Minute)
			wait = backoff/2 + rand.N(backoff/2+1)
			s.log.Warn("indexing failed; retrying", "err", err, "retry_in", wait.Round(time.Millisecond))
		default:
			backoff = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kick:
			if err != nil {
				// While failing, a write does not cut the backoff short.
				select {
				case <-ctx.Done():
				case <-t.C:
				}
			}
		case <-t.C:
		}
		t.Stop()
	}
}
