package mongo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"dataportal/catalog"
	"dataportal/catalog/mongo/mongotest"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), mongotest.URI(t), mongotest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustCollection(t *testing.T, s *Store, sc catalog.Schema) catalog.Collection {
	t.Helper()
	c, err := s.Collection(context.Background(), sc)
	if err != nil {
		t.Fatalf("Collection(%s): %v", sc.Name, err)
	}
	return c
}

func mustInsert(t *testing.T, c catalog.Collection, id, body string) {
	t.Helper()
	if _, err := c.Insert(context.Background(), id, json.RawMessage(body)); err != nil {
		t.Fatalf("Insert %s: %v", id, err)
	}
}

func ids(p catalog.Page) []string {
	var out []string
	for _, d := range p.Docs {
		out = append(out, d.ID)
	}
	return out
}

func TestDuplicateIndex(t *testing.T) {
	names := []string{"_id_", "ux_email", "ux_x_ux_email", "ux_e"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000,
			Message: `E11000 duplicate key error collection: db.items index: ux_email dup key: { ix.email: "a@x" }`}}}, "ux_email"},
		{mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000,
			Message: `E11000 duplicate key error collection: db.items index: _id_ dup key: { _id: "a" }`}}}, "_id_"},
		{mongo.CommandError{Code: 1, Name: "InternalError",
			Message: `[collection.go:177 sqlite.(*collection).UpdateAll.func1] constraint failed: UNIQUE constraint failed: index 'items_fd0c5087_ux_x_ux_email' (2067)`}, "ux_x_ux_email"},
		{mongo.CommandError{Code: 1, Name: "InternalError",
			Message: `constraint failed: UNIQUE constraint failed: index 'items_fd0c5087_ux_email' (2067)`}, "ux_email"},
		{mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000,
			Message: `E11000 duplicate key error collection: db.items`}}}, ""},
		{errors.New("index: ux_email dup key"), ""}, // not a server error
	} {
		if got := duplicateIndex(tc.err, names); got != tc.want {
			t.Errorf("duplicateIndex(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	ferret := mongo.CommandError{Code: 1, Name: "InternalError", Message: "constraint failed: UNIQUE constraint failed: index 'x_ux_email' (2067)"}
	if mongo.IsDuplicateKeyError(ferret) || !isDuplicate(ferret) {
		t.Error("isDuplicate must recognise FerretDB's update error, which mongo.IsDuplicateKeyError does not")
	}
	if isDuplicate(mongo.CommandError{Code: 1, Message: "something else"}) {
		t.Error("isDuplicate recognised an unrelated error")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, db := range []string{"", "a.b", "a/b", "a b", strings.Repeat("d", 64)} {
		if _, err := Open(ctx, "mongodb://127.0.0.1:1/", db); !catalog.IsKind(err, catalog.KindInvalid) {
			t.Errorf("Open with database %q: %v, want Invalid", db, err)
		}
	}
	if _, err := Open(ctx, "postgres://nope", "x"); !catalog.IsKind(err, catalog.KindInvalid) {
		t.Errorf("Open with a bad URI: %v, want Invalid", err)
	}
	start := time.Now()
	_, err := Open(ctx, "mongodb://user:secret@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300", "x")
	if !catalog.IsKind(err, catalog.KindUnavailable) {
		t.Fatalf("Open of an unreachable server: %v, want Unavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open of an unreachable server took %v; the URI's timeout was ignored", d)
	}
	var ce *catalog.Error
	if errors.As(err, &ce) && (strings.Contains(ce.Message.En, "127.0.0.1") || strings.Contains(ce.Message.En, "secret")) {
		t.Errorf("user-visible message leaks driver text: %q", ce.Message.En)
	}

	// A closed store answers Unavailable, not Internal.
	s := openTest(t)
	c := mustCollection(t, s, catalog.Schema{Name: "closed"})
	s.Close()
	if _, err := c.Get(ctx, "a"); !catalog.IsKind(err, catalog.KindUnavailable) {
		t.Errorf("Get on a closed store: %v, want Unavailable", err)
	}
	if err := s.Ping(ctx); !catalog.IsKind(err, catalog.KindUnavailable) {
		t.Errorf("Ping on a closed store: %v, want Unavailable", err)
	}
}

func TestTwoUniqueFields(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, catalog.Schema{Name: "users", Fields: []catalog.Field{
		{Name: "email", Type: catalog.String, Unique: true},
		{Name: "login.name", Type: catalog.String, Unique: true},
	}})
	mustInsert(t, c, "a", `{"email":"a@x","login":{"name":"a"}}`)
	mustInsert(t, c, "b", `{"email":"b@x","login":{"name":"b"}}`)
	for _, tc := range []struct {
		body, field string
	}{
		{`{"email":"c@x","login":{"name":"a"}}`, "login.name"},
		{`{"email":"a@x","login":{"name":"c"}}`, "email"},
	} {
		_, err := c.Insert(ctx, "c", json.RawMessage(tc.body))
		checkDuplicate(t, err, tc.field, "Insert "+tc.body)
		_, err = c.Replace(ctx, "b", 1, json.RawMessage(tc.body))
		checkDuplicate(t, err, tc.field, "Replace "+tc.body)
	}
	_, err := c.Insert(ctx, "a", json.RawMessage(`{"email":"z@x","login":{"name":"z"}}`))
	checkDuplicate(t, err, "id", "Insert of a taken id")
}

func checkDuplicate(t *testing.T, err error, field, what string) {
	t.Helper()
	var ce *catalog.Error
	if !errors.As(err, &ce) || ce.Kind != catalog.KindConflict || errors.Is(err, catalog.ErrStale) {
		t.Fatalf("%s: %v, want a duplicate conflict", what, err)
	}
	if len(ce.Fields) != 1 || ce.Fields[0].Field != field || ce.Fields[0].Code != "duplicate" {
		t.Fatalf("%s: fields %+v, want a duplicate on %s", what, ce.Fields, field)
	}
}

func TestSchemaMigration(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	v1 := catalog.Schema{Name: "evolving", Fields: []catalog.Field{
		{Name: "email", Type: catalog.String, Unique: true},
		{Name: "n", Type: catalog.Int},
	}}
	c := mustCollection(t, s, v1)
	for i := 0; i < 5; i++ {
		mustInsert(t, c, fmt.Sprint("d", i), fmt.Sprintf(`{"email":"u%d@x","n":%d,"at":"2026-01-0%dT00:00:00Z"}`, i, i, i+1))
	}
	if n, err := c.Count(ctx, catalog.Filter{Field: "n", Op: catalog.Gte, Value: 3}); err != nil || n != 2 {
		t.Fatalf("Count on n = %d, %v; want 2", n, err)
	}

	// v2: email is no longer declared, n becomes a string, at is new.
	v2 := catalog.Schema{Name: "evolving", Fields: []catalog.Field{
		{Name: "n", Type: catalog.String},
		{Name: "at", Type: catalog.Time},
	}}
	c2 := mustCollection(t, s, v2)
	// The stored numbers do not fit the new type: they are not indexed (as
	// on SQLite), and the documents stay readable.
	if n, err := c2.Count(ctx, catalog.Filter{Field: "n", Op: catalog.In, Values: []any{"3", "4"}}); err != nil || n != 0 {
		t.Fatalf("Count on the retyped field = %d, %v; want 0", n, err)
	}
	if _, err := c2.Get(ctx, "d3"); err != nil {
		t.Fatal(err)
	}
	if n, err := c2.Count(ctx, catalog.Filter{Field: "at", Op: catalog.Lt, Value: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)}); err != nil || n != 2 {
		t.Fatalf("Count on the new time field = %d, %v; want 2", n, err)
	}
	// The unique index of the dropped field is gone: documents without an
	// email no longer collide.
	mustInsert(t, c2, "x1", `{"n":"1"}`)
	mustInsert(t, c2, "x2", `{"n":"2"}`)

	specs, err := s.db.Collection("evolving").Indexes().ListSpecifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sp := range specs {
		names = append(names, sp.Name)
	}
	sort.Strings(names)
	if fmt.Sprint(names) != "[_id_ ix_at ix_n]" {
		t.Fatalf("indexes after migration: %v", names)
	}
	var rec schemaRecord
	if err := s.db.Collection(schemasCollection).FindOne(ctx, bson.D{{Key: "_id", Value: "evolving"}}).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.Fingerprint != fingerprint(v2) || len(rec.Fields) != 2 || rec.Fields[0].Type != "string" {
		t.Fatalf("recorded schema: %+v", rec)
	}

	// Making a field unique over duplicate values fails with Conflict.
	v3 := v2
	v3.Fields = []catalog.Field{{Name: "n", Type: catalog.String, Unique: true}}
	mustInsert(t, c2, "x3", `{"n":"1"}`)
	if _, err := s.Collection(ctx, v3); !catalog.IsKind(err, catalog.KindConflict) {
		t.Fatalf("unique index over duplicates: %v, want Conflict", err)
	}
}

func TestBackfillResumes(t *testing.T) {
	// Documents left behind by an interrupted backfill (or written by an
	// older instance) carry another ixv; opening the collection catches up.
	ctx := context.Background()
	s := openTest(t)
	sc := catalog.Schema{Name: "resume", Fields: []catalog.Field{{Name: "g", Type: catalog.String}}}
	c := mustCollection(t, s, sc).(*collection)
	for i := 0; i < 90; i++ {
		mustInsert(t, c, fmt.Sprintf("r%03d", i), fmt.Sprintf(`{"g":"%c"}`, 'a'+i%3))
	}
	_, err := s.db.Collection("resume").UpdateMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: "r030"}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "ix", Value: bson.D{}}, {Key: "ixv", Value: "old"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Count(ctx, catalog.Where("g", "a")); n != 10 {
		t.Fatalf("before the backfill: %d, want 10", n)
	}
	// A stale schema record forces the migration; small batches make the
	// backfill take several (FerretDB scans for every guarded update).
	if _, err := s.db.Collection(schemasCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: "resume"}}); err != nil {
		t.Fatal(err)
	}
	c.batch = 25
	if err := c.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Count(ctx, catalog.Where("g", "a")); err != nil || n != 30 {
		t.Fatalf("Count after backfill = %d, %v; want 30", n, err)
	}
	d, err := c.Get(ctx, "r050")
	if err != nil || d.Rev != 1 {
		t.Fatalf("backfill must not bump revisions: %+v, %v", d, err)
	}
}

func TestMissingValuesSortFirst(t *testing.T) {
	// Documents without a sort field (null in ix) page like SQLite's NULLs:
	// first ascending, last descending, and keyset pages cross them.
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, catalog.Schema{Name: "sparse", Fields: []catalog.Field{{Name: "v", Type: catalog.Int}}})
	var asc []string
	for i := 0; i < 9; i++ {
		id := fmt.Sprint("m", i)
		if i%3 == 0 {
			mustInsert(t, c, id, `{"other":1}`)
		} else {
			mustInsert(t, c, id, fmt.Sprintf(`{"v":%d}`, i%2))
		}
	}
	asc = []string{"m0", "m3", "m6", "m2", "m4", "m8", "m1", "m5", "m7"} // null, 0, 1 then id
	for _, desc := range []bool{false, true} {
		want := append([]string(nil), asc...)
		if desc {
			for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
				want[i], want[j] = want[j], want[i]
			}
		}
		var got []string
		after := ""
		for pages := 0; pages < 20; pages++ {
			p, err := c.Find(ctx, catalog.Query{Sort: "v", Desc: desc, Limit: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(p)...)
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("desc=%v pages:\n got %v\nwant %v", desc, got, want)
		}
	}
}

func TestClaims(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if !s.claims {
		t.Skip("revision claims are only used on FerretDB")
	}
	c := mustCollection(t, s, catalog.Schema{Name: "claimed"})
	mustInsert(t, c, "a", `{"v":1}`)
	claims := s.db.Collection(claimsCollection)

	// A live claim (a write in flight) makes others lose.
	_, err := claims.InsertOne(ctx, bson.D{{Key: "_id", Value: claimID("claimed", "a", 1)}, {Key: "at", Value: bson.NewDateTimeFromTime(time.Now())}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Replace(ctx, "a", 1, json.RawMessage(`{"v":2}`))
	if !errors.Is(err, catalog.ErrStale) {
		t.Fatalf("Replace while another write holds the claim: %v, want stale", err)
	}
	if err := c.Delete(ctx, "a", 1); !errors.Is(err, catalog.ErrStale) {
		t.Fatalf("Delete while another write holds the claim: %v, want stale", err)
	}
	// A claim older than the lease was left by a dead process: taken over.
	_, err = claims.UpdateOne(ctx, bson.D{{Key: "_id", Value: claimID("claimed", "a", 1)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: bson.NewDateTimeFromTime(time.Now().Add(-2 * claimLease))}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Replace(ctx, "a", 1, json.RawMessage(`{"v":2}`)); err != nil {
		t.Fatalf("Replace after an orphaned claim: %v", err)
	}
	if err := c.Delete(ctx, "a", 2); err != nil {
		t.Fatal(err)
	}
	// Claims are released after use.
	if n, err := claims.CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Fatalf("%d claims left, %v", n, err)
	}
}

func TestUniqueFieldAddedLater(t *testing.T) {
	// Documents stored before a unique field was declared may lack it, as
	// on SQLite (whose unique indexes let NULLs be); new writes must carry
	// distinct values.
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, catalog.Schema{Name: "later"})
	for i := 0; i < 3; i++ {
		mustInsert(t, c, fmt.Sprint("old", i), `{"name":"x"}`)
	}
	c = mustCollection(t, s, catalog.Schema{Name: "later", Fields: []catalog.Field{{Name: "email", Type: catalog.String, Unique: true}}})
	mustInsert(t, c, "new1", `{"email":"a@x"}`)
	_, err := c.Insert(ctx, "new2", json.RawMessage(`{"email":"a@x"}`))
	checkDuplicate(t, err, "email", "Insert of a taken value")
	p, err := c.Find(ctx, catalog.Query{Sort: "email", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.Find(ctx, catalog.Query{Sort: "email", Limit: 2, After: p.Next})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids(p), ids(p2)); got != "[old0 old1] [old2 new1]" {
		t.Fatalf("pages sorted by the unique field: %s", got)
	}
}
