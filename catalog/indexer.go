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
// (the work is redone) or the index up to date.

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

// reindexJob is the id of the job document that asks the instance holding
// the index to rebuild it (so `portal reindex` works while serving).
const reindexJob = "reindex"

type job struct {
	State       string    `json:"state"` // requested, running, done
	RequestedAt time.Time `json:"requested_at"`
	FinishedAt  time.Time `json:"finished_at,omitempty"`
}

// IndexPending indexes up to limit pending datasets and reports how many
// it processed. An error means the index is unreachable or refused the
// batch; the flags stay set and the work is retried.
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
		rec := f.V
		rec.IndexPending = false
		if _, err := s.datasets.replace(ctx, rec.ID, f.Rev, &rec); err != nil && !errors.Is(err, ErrStale) && !IsKind(err, KindNotFound) {
			return 0, err
		}
		// Stale: the dataset changed meanwhile and is pending again.
	}
	return len(page), nil
}

// PendingCount returns how many datasets await indexing.
func (s *Service) PendingCount(ctx context.Context) (int64, error) {
	return s.datasets.c.Count(ctx, Where("index_pending", true))
}

// Reindex rebuilds the whole index from the store. Searches keep using the
// old index until the new one is complete.
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

// RequestReindex asks whichever instance runs the indexer to rebuild the
// index, through the store (the command line uses it while a server holds
// the index).
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

// runRequestedReindex rebuilds the index if a rebuild was requested.
func (s *Service) runRequestedReindex(ctx context.Context) error {
	j, rev, err := s.jobs.get(ctx, reindexJob)
	if IsKind(err, KindNotFound) || (err == nil && j.State != "requested") {
		return nil
	}
	if err != nil {
		return err
	}
	j.State = "running"
	if rev, err = s.jobs.replace(ctx, reindexJob, rev, &j); err != nil {
		if errors.Is(err, ErrStale) {
			return nil // another instance took it
		}
		return err
	}
	n, err := s.Reindex(ctx)
	if err != nil {
		j.State = "requested" // try again on the next round
		_, _ = s.jobs.replace(ctx, reindexJob, rev, &j)
		return err
	}
	j.State, j.FinishedAt = "done", s.now()
	_, _ = s.jobs.replace(ctx, reindexJob, rev, &j)
	s.log.Info("index rebuilt on request", "datasets", n)
	return nil
}

// Reconcile brings the index in line with the store at start-up: a fresh
// or incomplete index (for example after its directory was deleted) is
// rebuilt; pending datasets are indexed.
func (s *Service) Reconcile(ctx context.Context) error {
	if err := s.FlushAudit(ctx); err != nil {
		s.log.Error("audit outbox flush failed; it is retried periodically", "err", err)
	}
	stored, err := s.datasets.c.Count(ctx)
	if err != nil {
		return err
	}
	indexed, err := s.index.Count(ctx)
	if err != nil {
		return err
	}
	if int64(indexed) != stored {
		s.log.Info("index out of step with the store; rebuilding", "indexed", indexed, "stored", stored)
		if _, err := s.Reindex(ctx); err != nil {
			return err
		}
	}
	for {
		n, err := s.IndexPending(ctx, 200)
		if err != nil || n == 0 {
			return err
		}
	}
}

// RunIndexer indexes pending datasets until ctx ends: at once after a
// write (Kick), every poll interval otherwise (writes of other instances,
// rebuild requests), and with exponential backoff while the index fails.
func (s *Service) RunIndexer(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	backoff := time.Duration(0)
	for {
		err := s.runRequestedReindex(ctx)
		n := 0
		if err == nil {
			n, err = s.IndexPending(ctx, 200)
		}
		wait := poll
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			backoff = min(max(2*backoff, 500*time.Millisecond), time.Minute)
			wait = backoff/2 + rand.N(backoff/2+1)
			s.log.Warn("indexing failed; retrying", "err", err, "retry_in", wait.Round(time.Millisecond))
		case n > 0:
			backoff = 0
			continue // more may be pending
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
