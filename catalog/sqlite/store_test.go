package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataportal/catalog"
	"dataportal/catalog/catalogtest"
	"dataportal/catalog/sqlite"
)

func open(t testing.TB, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	catalogtest.TestStore(t, func(t *testing.T) catalog.Store {
		return open(t, t.TempDir())
	})
}

var notes = catalog.Schema{Name: "notes", Fields: []catalog.Field{
	{Name: "title", Type: catalog.String},
	{Name: "code", Type: catalog.String, Unique: true},
}}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	c, err := s.Collection(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Insert(ctx, "n1", json.RawMessage(`{"title":"医学影像","code":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Replace(ctx, "n1", d.Rev, json.RawMessage(`{"title":"医学影像 v2","code":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s2 := open(t, dir)
	c2, err := s2.Collection(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c2.Get(ctx, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Rev != 2 || string(got.Body) != `{"title":"医学影像 v2","code":"a"}` {
		t.Fatalf("after reopen: rev %d body %s", got.Rev, got.Body)
	}
	// The unique index survived too.
	_, err = c2.Insert(ctx, "n2", json.RawMessage(`{"code":"a"}`))
	if !catalog.IsKind(err, catalog.KindConflict) {
		t.Fatalf("duplicate unique value after reopen: %v, want Conflict", err)
	}
	var de *catalog.Error
	if !errors.As(err, &de) || len(de.Fields) != 1 || de.Fields[0].Field != "code" {
		t.Fatalf("duplicate error does not name the field: %#v", err)
	}
}

func TestConcurrentInserts(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	c, err := s.Collection(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				body := fmt.Sprintf(`{"title":"t","code":%q}`, id)
				if _, err := c.Insert(ctx, id, json.RawMessage(body)); err != nil {
					errs <- fmt.Errorf("insert %s: %w", id, err)
				}
			}
		}()
	}
	// Readers run alongside: WAL readers must neither fail nor block writers.
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	for range 2 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := c.Count(ctx, catalog.Where("title", "t")); err != nil {
					errs <- fmt.Errorf("count: %w", err)
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != workers*each {
		t.Fatalf("Count = %d, want %d", n, workers*each)
	}
}

// Writes that fail on a constraint share group commits with writes that
// succeed; each must get its own outcome.
func TestConcurrentConflicts(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	c, err := s.Collection(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	const workers, ids = 4, 100
	wins := make([]atomic.Int32, ids)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				// Even ids collide on the id, odd ones on the unique code.
				id, code := fmt.Sprint("n", i), fmt.Sprint("c", i)
				if i%2 == 1 {
					id = fmt.Sprintf("n%d-w%d", i, w)
				}
				_, err := c.Insert(ctx, id, json.RawMessage(fmt.Sprintf(`{"code":%q}`, code)))
				switch {
				case err == nil:
					wins[i].Add(1)
				case !catalog.IsKind(err, catalog.KindConflict) || errors.Is(err, catalog.ErrStale):
					t.Errorf("insert %s: %v, want a duplicate Conflict", id, err)
				}
			}
		}()
	}
	wg.Wait()
	for i := range wins {
		if n := wins[i].Load(); n != 1 {
			t.Errorf("value %d: %d inserts won, want 1", i, n)
		}
	}
	if n, err := c.Count(ctx); err != nil || n != ids {
		t.Fatalf("Count = %d, %v; want %d", n, err, ids)
	}
}

func TestCancelledWrite(t *testing.T) {
	s := open(t, t.TempDir())
	c, err := s.Collection(context.Background(), notes)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Insert(ctx, "x", json.RawMessage(`{"code":"x"}`)); err == nil {
		t.Fatal("insert with a cancelled context succeeded")
	}
	if _, err := c.Get(context.Background(), "x"); !catalog.IsKind(err, catalog.KindNotFound) {
		t.Fatalf("cancelled insert was stored: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Insert(context.Background(), "y", json.RawMessage(`{"code":"y"}`)); !catalog.IsKind(err, catalog.KindUnavailable) {
		t.Fatalf("insert after Close: %v, want Unavailable", err)
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	c, err := s.Collection(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := c.Insert(ctx, fmt.Sprint("n", i), json.RawMessage(fmt.Sprintf(`{"code":"c%d"}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	restoreDir := t.TempDir()
	dest := filepath.Join(restoreDir, sqlite.FileName)
	if err := s.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, dest); !catalog.IsKind(err, catalog.KindInvalid) {
		t.Fatalf("backup over an existing file: %v, want Invalid", err)
	}
	if left, _ := filepath.Glob(filepath.Join(restoreDir, ".*")); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
	// The copy opens as a store of its own.
	r := open(t, restoreDir)
	rc, err := r.Collection(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := rc.Count(ctx, catalog.Where("code", "c7")); err != nil || n != 1 {
		t.Fatalf("restored Count = %d, %v; want 1", n, err)
	}
}

func TestSchemaChanges(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	sc := catalog.Schema{Name: "things", Fields: []catalog.Field{{Name: "k", Type: catalog.String}, {Name: "body", Type: catalog.Int}}}
	c, err := s.Collection(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range []string{`{"k":"a","body":1}`, `{"k":"a","body":2}`, `{"k":"b","body":3}`} {
		if _, err := c.Insert(ctx, fmt.Sprint(i), json.RawMessage(b)); err != nil {
			t.Fatal(err)
		}
	}
	// A field called "body" does not collide with the body column.
	if n, err := c.Count(ctx, catalog.Filter{Field: "body", Op: catalog.Gte, Value: 2}); err != nil || n != 2 {
		t.Fatalf("Count body>=2 = %d, %v", n, err)
	}
	// Making k unique over duplicate values fails with Conflict and changes nothing.
	uniq := catalog.Schema{Name: "things", Fields: []catalog.Field{{Name: "k", Type: catalog.String, Unique: true}, {Name: "body", Type: catalog.Int}}}
	if _, err := s.Collection(ctx, uniq); !catalog.IsKind(err, catalog.KindConflict) {
		t.Fatalf("unique index over duplicates: %v, want Conflict", err)
	}
	if err := c.Delete(ctx, "1", 0); err != nil {
		t.Fatal(err)
	}
	cu, err := s.Collection(ctx, uniq)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cu.Insert(ctx, "x", json.RawMessage(`{"k":"b"}`)); !catalog.IsKind(err, catalog.KindConflict) {
		t.Fatalf("insert of a now-unique value: %v, want Conflict", err)
	}
	// Changing a field's type rebuilds its column.
	retyped := catalog.Schema{Name: "things", Fields: []catalog.Field{{Name: "k", Type: catalog.String, Unique: true}, {Name: "body", Type: catalog.String}}}
	cr, err := s.Collection(ctx, retyped)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cr.Insert(ctx, "y", json.RawMessage(`{"k":"c","body":"text"}`)); err != nil {
		t.Fatal(err)
	}
	if n, err := cr.Count(ctx, catalog.Where("body", "text")); err != nil || n != 1 {
		t.Fatalf("Count on retyped field = %d, %v", n, err)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	sc := catalog.Schema{Name: "v", Fields: []catalog.Field{{Name: "at", Type: catalog.Time}, {Name: "meta.n", Type: catalog.Int}}}
	c, err := s.Collection(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id, body string
		ok       bool
	}{
		{"a", `{"at":"2026-03-01T08:00:00Z"}`, true},
		{"b", `{"at":"2026-03-01T08:00:00.123456+08:00","meta":{"n":3}}`, true},
		{"c", `{"meta":{"n":3.0}}`, true},
		{"c2", `{"at":"2026-03-01T08:00:00.5+14:59"}`, true}, // the widest zone both read
		{"d", `{"at":"2026-03-01T08:00:00,5Z"}`, false},      // Go reads it, SQLite does not
		{"e", `{"at":"2026-03-01T08:00:00+20:00"}`, false},   // ditto
		{"f", `{"meta":{"n":1.5}}`, false},                   // not an integer
		{"g", `{"at":"2026-03-01T08:00:00Z"} {}`, false},     // trailing data
		{"h", `null`, false},                                 // not an object
		{string(make([]byte, 201)), `{}`, false},             // id too long
		{string(make([]byte, 200)), `{}`, true},              // id at the limit
	} {
		_, err := c.Insert(ctx, tc.id, json.RawMessage(tc.body))
		if tc.ok && err != nil {
			t.Errorf("Insert %q: %v", tc.body, err)
		}
		if !tc.ok && !catalog.IsKind(err, catalog.KindInvalid) {
			t.Errorf("Insert %q: %v, want Invalid", tc.body, err)
		}
	}
}

func TestOpenCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := open(t, dir)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o027 != 0 {
		t.Fatalf("data directory mode %v, want at most 0750", st.Mode().Perm())
	}
}

// Pages sorted on a field that some documents lack, and on times written with
// different fractional digits and zones: missing values sort first (as in
// MongoDB), times in time order, not text order.
func TestSortMissingValuesAndTimes(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	sc := catalog.Schema{Name: "ev", Fields: []catalog.Field{{Name: "at", Type: catalog.Time}, {Name: "k", Type: catalog.String}}}
	c, err := s.Collection(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	docs := []struct{ id, body string }{
		{"a", `{"at":"2026-03-01T08:00:00.5Z","k":"x"}`},
		{"b", `{"at":"2026-03-01T16:00:00.25+08:00","k":"x"}`}, // 08:00:00.25Z
		{"c", `{"at":"2026-03-01T08:00:00Z"}`},
		{"d", `{"k":"x"}`},
		{"e", `{}`},
		{"f", `{"at":"2026-03-01T08:00:00.250000001Z"}`},      // the same millisecond as b
		{"g", `{"at":"2026-03-01T00:00:00.9-08:00","k":"y"}`}, // 08:00:00.9Z, first as text
		{"h", `{"k":"y"}`},
	}
	for _, d := range docs {
		if _, err := c.Insert(ctx, d.id, json.RawMessage(d.body)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		sort string
		desc bool
		want string
	}{
		{"at", false, "[d e h c b f a g]"},
		{"at", true, "[g a f b c h e d]"},
		{"k", false, "[c e f a b d g h]"},
		{"k", true, "[h g d b a f e c]"},
	} {
		for _, size := range []int{1, 2, 3, 100} {
			var got []string
			next := ""
			for range 20 {
				p, err := c.Find(ctx, catalog.Query{Sort: tc.sort, Desc: tc.desc, Limit: size, After: next})
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range p.Docs {
					got = append(got, d.ID)
				}
				if next = p.Next; next == "" {
					break
				}
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("sort %s desc=%v pages of %d: %v, want %s", tc.sort, tc.desc, size, got, tc.want)
			}
		}
	}
	// Range filters compare instants, whatever the zone.
	n, err := c.Count(ctx, catalog.Filter{Field: "at", Op: catalog.Gt, Value: "2026-03-01T16:00:00.3+08:00"})
	if err != nil || n != 2 {
		t.Fatalf("Count at > 08:00:00.3Z = %d, %v; want 2 (a, g)", n, err)
	}
}
