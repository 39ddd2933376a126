package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"dataportal/acl"
	"dataportal/catalog"
	"dataportal/catalog/sqlite"
)

// memIndex is a catalog.Index in memory that records every upsert, so
// tests see which revisions were sent how often. It can be switched off
// (every call fails Unavailable) and its Rebuild can be held open.
type memIndex struct {
	mu          sync.Mutex
	docs        map[string]catalog.IndexDoc
	sent        map[string]int // "id@rev" → times upserted
	down        bool
	failed      int           // calls refused while down
	holdRebuild chan struct{} // when set, Rebuild's fill waits on it per document
}

func newMemIndex() *memIndex {
	return &memIndex{docs: map[string]catalog.IndexDoc{}, sent: map[string]int{}}
}

var errDown = catalog.E(catalog.KindUnavailable, "搜索引擎不可用", "the search engine is down")

func (m *memIndex) setDown(v bool) { m.mu.Lock(); m.down = v; m.mu.Unlock() }

func (m *memIndex) Upsert(ctx context.Context, docs ...catalog.IndexDoc) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		m.failed++
		return errDown
	}
	for _, d := range docs {
		m.sent[fmt.Sprintf("%s@%d", d.ID, d.Rev)]++
		if have, ok := m.docs[d.ID]; ok && have.Rev > d.Rev {
			continue
		}
		m.docs[d.ID] = d
	}
	return nil
}

func (m *memIndex) Delete(ctx context.Context, ids ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	for _, id := range ids {
		delete(m.docs, id)
	}
	return nil
}

func (m *memIndex) Search(context.Context, catalog.SearchQuery) (catalog.SearchResult, error) {
	return catalog.SearchResult{}, nil
}

func (m *memIndex) Rebuild(ctx context.Context, fill func(add func(catalog.IndexDoc) error) error) error {
	m.mu.Lock()
	hold := m.holdRebuild
	m.mu.Unlock()
	fresh := map[string]catalog.IndexDoc{}
	err := fill(func(d catalog.IndexDoc) error {
		if hold != nil {
			select {
			case <-hold:
			case <-ctx.Done():
				return catalog.Wrap(catalog.KindUnavailable, ctx.Err(), "已取消", "cancelled")
			}
		}
		fresh[d.ID] = d
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	m.docs = fresh
	return nil
}

func (m *memIndex) Count(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return 0, errDown
	}
	return len(m.docs), nil
}

func (m *memIndex) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	return nil
}

func (m *memIndex) Close() error { return nil }

// instance is one portal process: a service on the shared store and index.
type instance struct {
	svc    *catalog.Service
	cancel context.CancelFunc
	done   chan struct{}
}

func newInstance(t *testing.T, store catalog.Store, idx catalog.Index, name string, ttl time.Duration) *instance {
	t.Helper()
	a, err := acl.New()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := catalog.NewService(context.Background(), catalog.Options{Store: store, Index: idx, Authorizer: a,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Instance: name, LeaseTTL: ttl,
		Argon: catalog.Argon2Params{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{svc: svc}
}

// run starts the instance's indexer.
func (in *instance) run(poll time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel, in.done = cancel, make(chan struct{})
	go func() { defer close(in.done); in.svc.RunIndexer(ctx, poll) }()
}

// stop shuts the indexer down (it releases the lease).
func (in *instance) stop() {
	if in.cancel != nil {
		in.cancel()
		<-in.done
		in.cancel = nil
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openStore(t *testing.T) catalog.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// provider creates a verified provider organisation and user, signs in
// through svc and returns the principal.
func provider(t *testing.T, svc *catalog.Service) catalog.Principal {
	t.Helper()
	ctx := context.Background()
	code, _ := catalog.CreditCodeCheck("91320100MA1234567")
	org, err := svc.CreateOrganization(ctx, catalog.Console(), catalog.NewOrganization{ID: "org-lease", Name: "租约测试医院", NameEn: "Lease Test Hospital",
		CreditCode: "91320100MA1234567" + string(code), Kind: "provider", Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, catalog.Console(), catalog.NewUser{Email: "lease@example.cn", Name: "lease", Password: "correct horse lease",
		Roles: []string{catalog.RoleProvider}, OrgID: org.ID}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Login(ctx, "lease@example.cn", "correct horse lease", "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newDataset(id string) catalog.NewDataset {
	return catalog.NewDataset{ID: id, DatasetFields: catalog.DatasetFields{
		Title: "租约测试数据集" + id, Description: "用于测试索引租约。", Domain: "medical", Modality: "text",
		Tier: catalog.TierOpen, License: "CC-BY-4.0", Languages: []string{"zh"},
	}}
}

// TestIndexerLeaseSharesTheWork runs two instances on one store and one
// index: exactly one indexes at a time, every revision is sent once, and
// when the indexing instance shuts down the other takes over.
func TestIndexerLeaseSharesTheWork(t *testing.T) {
	ctx := context.Background()
	store, idx := openStore(t), newMemIndex()
	a := newInstance(t, store, idx, "instance-a", 2*time.Second)
	b := newInstance(t, store, idx, "instance-b", 2*time.Second)
	p := provider(t, a.svc)
	a.run(10 * time.Millisecond)
	b.run(10 * time.Millisecond)
	defer a.stop()
	defer b.stop()
	waitFor(t, "a leader", func() bool { return a.svc.IndexLeader() || b.svc.IndexLeader() })

	latest := map[string]int64{}
	write := func(in *instance, id string) {
		t.Helper()
		d, err := in.svc.CreateDataset(ctx, p, newDataset(id))
		if err != nil {
			t.Fatal(err)
		}
		latest[id] = d.Rev
		if d, err = in.svc.PublishDataset(ctx, p, id, 0); err != nil {
			t.Fatal(err)
		}
		latest[id] = d.Rev
	}
	for i := 0; i < 12; i++ {
		in := a
		if i%2 == 1 {
			in = b
		}
		write(in, fmt.Sprintf("lease-%02d", i))
		if a.svc.IndexLeader() && b.svc.IndexLeader() {
			t.Fatal("both instances hold the indexer lease")
		}
	}
	pending := func() bool { n, err := a.svc.PendingCount(ctx); return err == nil && n == 0 }
	waitFor(t, "the backlog to drain", pending)
	check := func() {
		t.Helper()
		idx.mu.Lock()
		defer idx.mu.Unlock()
		for id, rev := range latest {
			if got := idx.docs[id]; got.Rev != rev || got.Status != catalog.StatusPublished {
				t.Errorf("%s indexed at rev %d (%s), want rev %d published", id, got.Rev, got.Status, rev)
			}
		}
		for k, n := range idx.sent {
			if n != 1 {
				t.Errorf("%s sent to the index %d times", k, n)
			}
		}
	}
	check()

	// The leader shuts down; the other instance takes over at its next poll.
	leader, other := a, b
	if b.svc.IndexLeader() {
		leader, other = b, a
	}
	leader.stop()
	if leader.svc.IndexLeader() {
		t.Fatal("a stopped instance still holds the lease")
	}
	for i := 12; i < 16; i++ {
		write(other, fmt.Sprintf("lease-%02d", i))
	}
	waitFor(t, "the survivor to index", pending)
	if !other.svc.IndexLeader() {
		t.Fatal("the surviving instance does not hold the lease")
	}
	check()
}

// setLease writes the lease document as another instance would.
func setLease(t *testing.T, store catalog.Store, holder string, until time.Time) {
	t.Helper()
	ctx := context.Background()
	schema, _ := catalog.SchemaNamed("jobs")
	c, err := store.Collection(ctx, schema)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"state": "leased", "holder": holder, "until": until.UTC().Format(time.RFC3339Nano)})
	d, err := c.Get(ctx, "indexer-lease")
	switch {
	case catalog.IsKind(err, catalog.KindNotFound):
		_, err = c.Insert(ctx, "indexer-lease", body)
	case err == nil:
		_, err = c.Replace(ctx, "indexer-lease", d.Rev, body)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestIndexerLeaseExpiry: a lease held by an instance that died is taken
// over once it runs out, not before; a holder that finds its lease taken
// stops its work.
func TestIndexerLeaseExpiry(t *testing.T) {
	ctx := context.Background()
	store, idx := openStore(t), newMemIndex()
	a := newInstance(t, store, idx, "instance-a", 400*time.Millisecond)

	setLease(t, store, "instance-dead", time.Now().Add(time.Hour))
	if _, err := a.svc.ReindexExclusive(ctx); !errors.Is(err, catalog.ErrIndexBusy) || !catalog.IsKind(err, catalog.KindConflict) {
		t.Fatalf("rebuild while another instance holds the lease: %v, want Conflict (ErrIndexBusy)", err)
	}
	if err := a.svc.Reconcile(ctx); err != nil {
		t.Fatalf("Reconcile beside a lease holder: %v", err)
	}
	setLease(t, store, "instance-dead", time.Now().Add(-time.Second))
	if _, err := a.svc.ReindexExclusive(ctx); err != nil {
		t.Fatalf("rebuild after the dead instance's lease ran out: %v", err)
	}
	if a.svc.IndexLeader() {
		t.Fatal("ReindexExclusive keeps the lease")
	}

	// A holder whose lease is taken (it was cut off, another instance
	// took over) stops: its rebuild is cancelled.
	p := provider(t, a.svc)
	if _, err := a.svc.CreateDataset(ctx, p, newDataset("lease-x")); err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	idx.mu.Lock()
	idx.holdRebuild = hold
	idx.mu.Unlock()
	errc := make(chan error, 1)
	go func() { _, err := a.svc.ReindexExclusive(ctx); errc <- err }()
	waitFor(t, "a to lead", a.svc.IndexLeader)
	setLease(t, store, "instance-thief", time.Now().Add(time.Hour))
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("a rebuild whose lease was taken completed")
		}
	case <-time.After(20 * time.Second):
		close(hold)
		t.Fatal("a holder that lost its lease did not stop")
	}
	if a.svc.IndexLeader() {
		t.Fatal("an instance that lost the lease believes it holds it")
	}
}

// TestWritesSurviveAnIndexOutage: writes succeed while the index is down;
// the indexer backs off (a bounded number of attempts, not a busy loop)
// and indexes everything once the index is back.
func TestWritesSurviveAnIndexOutage(t *testing.T) {
	ctx := context.Background()
	store, idx := openStore(t), newMemIndex()
	a := newInstance(t, store, idx, "instance-a", 2*time.Second)
	p := provider(t, a.svc)
	a.run(10 * time.Millisecond)
	defer a.stop()

	idx.setDown(true)
	for i := 0; i < 5; i++ {
		if _, err := a.svc.CreateDataset(ctx, p, newDataset(fmt.Sprintf("outage-%d", i))); err != nil {
			t.Fatalf("a write while the index is down: %v", err)
		}
	}
	n, age, err := a.svc.IndexBacklog(ctx)
	if err != nil || n != 5 {
		t.Fatalf("backlog %d, %v; want 5", n, err)
	}
	if age < 0 {
		t.Fatalf("oldest pending age %s", age)
	}
	// While the index stays down the indexer retries with exponential
	// backoff (0.5 s, 1 s, 2 s, …): a handful of attempts in two seconds,
	// where polling every 10 ms would make two hundred.
	time.Sleep(2 * time.Second)
	idx.mu.Lock()
	attempts := idx.failed
	idx.mu.Unlock()
	if attempts < 1 || attempts > 8 {
		t.Fatalf("%d indexing attempts in 2 s of outage; want a few (backoff), not none and not a busy loop", attempts)
	}
	idx.setDown(false)
	waitFor(t, "the backlog to drain", func() bool { n, _, err := a.svc.IndexBacklog(ctx); return err == nil && n == 0 })
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if len(idx.docs) != 5 {
		t.Fatalf("%d datasets indexed, want 5", len(idx.docs))
	}
}
