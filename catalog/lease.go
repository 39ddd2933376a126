package catalog

import (
	"context"
	"errors"
	"sync"
	"time"
)

// The indexer lease: of the portal instances sharing one store, one at a
// time — the lease holder — indexes pending datasets, checks the index
// against the store and runs requested rebuilds. Without it every instance
// would upsert every pending dataset (the work done N times) and two
// rebuilds could race.
//
// The lease is the job document "indexer-lease": {holder, until}. Taking,
// renewing and releasing it are single-document writes guarded by the
// document's revision, so of several instances that read the same
// revision exactly one wins (on FerretDB too: the store's revision claims
// make the guard atomic there). An instance takes the lease when nobody
// holds it, when it was released, or when its holder let it run out; a
// holder renews it while it works, and releases it when it stops, so that
// another instance takes over at its next poll instead of waiting for the
// lease to expire.
//
// The work a holder does runs under a context that is cancelled when a
// renewal fails for so long that the lease might have passed on: at most
// leaseMargin before the lease ends, so a holder cut off from the store
// stops sending to the index before another instance may start. This
// assumes instance clocks agree to well within the margin (NTP).

// indexerLease is the id of the lease document in the jobs collection.
const indexerLease = "indexer-lease"

// leaseState is what this instance knows of its own lease.
type leaseState struct {
	mu    sync.Mutex
	until time.Time // end of our lease; zero when we do not hold it
}

func (l *leaseState) set(until time.Time) {
	l.mu.Lock()
	l.until = until
	l.mu.Unlock()
}

// IndexLeader reports whether this instance holds the indexer lease.
func (s *Service) IndexLeader() bool {
	s.lease.mu.Lock()
	defer s.lease.mu.Unlock()
	return !s.lease.until.IsZero() && s.lease.until.After(s.now())
}

// Instance returns the name of this instance.
func (s *Service) Instance() string { return s.opts.Instance }

// leaseMargin is how long before the lease ends its holder gives up when
// it cannot renew.
func (s *Service) leaseMargin() time.Duration { return s.opts.LeaseTTL / 4 }

// holdLease takes or renews the indexer lease. It returns when the lease
// ends, or the zero time when another instance holds it. The lease is
// written only when taken or when less than half of it is left, so a
// holder polling every few seconds writes about once per half lease.
func (s *Service) holdLease(ctx context.Context) (time.Time, error) {
	me, ttl := s.opts.Instance, s.opts.LeaseTTL
	now := s.now()
	cur, rev, err := s.jobs.get(ctx, indexerLease)
	switch {
	case IsKind(err, KindNotFound):
		l := job{State: "leased", Holder: me, Until: now.Add(ttl)}
		if _, err := s.jobs.insert(ctx, indexerLease, &l); err != nil {
			if IsKind(err, KindConflict) {
				s.lease.set(time.Time{})
				return time.Time{}, nil // another instance created it first
			}
			return time.Time{}, err
		}
		s.lease.set(l.Until)
		return l.Until, nil
	case err != nil:
		return time.Time{}, err
	}
	if cur.Holder != "" && cur.Holder != me && cur.Until.After(now) {
		s.lease.set(time.Time{})
		return time.Time{}, nil
	}
	if cur.Holder == me && cur.Until.Sub(now) > ttl/2 {
		s.lease.set(cur.Until)
		return cur.Until, nil
	}
	if cur.Holder != me && cur.Holder != "" {
		s.log.Info("taking over the indexer lease", "from", cur.Holder, "expired", cur.Until)
	}
	l := job{State: "leased", Holder: me, Until: now.Add(ttl)}
	if _, err := s.jobs.replace(ctx, indexerLease, rev, &l); err != nil {
		if errors.Is(err, ErrStale) {
			s.lease.set(time.Time{})
			return time.Time{}, nil // another instance got there first
		}
		return time.Time{}, err
	}
	s.lease.set(l.Until)
	return l.Until, nil
}

// ReleaseLease gives the indexer lease up if this instance holds it, so
// that another instance takes the indexing over at once.
func (s *Service) ReleaseLease(ctx context.Context) error {
	s.lease.set(time.Time{})
	cur, rev, err := s.jobs.get(ctx, indexerLease)
	if IsKind(err, KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur.Holder != s.opts.Instance {
		return nil
	}
	l := job{State: "released"}
	if _, err := s.jobs.replace(ctx, indexerLease, rev, &l); err != nil && !errors.Is(err, ErrStale) {
		return err
	}
	return nil
}

// ErrIndexBusy is the cause of the Conflict returned to a caller that needs
// the indexer lease while another instance holds it (ReindexExclusive).
var ErrIndexBusy = errors.New("another instance holds the indexer lease")

// lead runs fn if this instance holds (or can take) the indexer lease, and
// keeps the lease renewed while fn runs. fn's context ends when ctx does,
// or when the lease cannot be renewed in time. It reports whether fn ran.
func (s *Service) lead(ctx context.Context, fn func(ctx context.Context) error) (bool, error) {
	until, err := s.holdLease(ctx)
	if err != nil || until.IsZero() {
		return false, err
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.keepLease(wctx, cancel, until)
	}()
	err = fn(wctx)
	cancel()
	<-done
	return true, err
}

// keepLease renews the lease every quarter lease until ctx ends, and
// cancels the work when the lease is lost or might be.
func (s *Service) keepLease(ctx context.Context, cancel context.CancelFunc, until time.Time) {
	ttl := s.opts.LeaseTTL
	for {
		// Renew in a quarter lease, or give up at the margin, whichever
		// comes first.
		wait := min(ttl/4, until.Sub(s.now())-s.leaseMargin())
		if wait <= 0 {
			s.log.Warn("indexer lease could not be renewed; stopping index work")
			s.lease.set(time.Time{})
			cancel()
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		next, err := s.holdLease(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				s.log.Warn("indexer lease renewal failed", "err", err)
			}
		case next.IsZero():
			s.log.Warn("indexer lease taken by another instance; stopping index work")
			cancel()
			return
		default:
			until = next
		}
	}
}
