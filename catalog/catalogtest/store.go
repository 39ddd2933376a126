// Package catalogtest holds the conformance suites that every implementation
// of catalog.Store and catalog.Index must pass. Backend packages call them
// from their own tests with a constructor for a fresh, empty instance.
package catalogtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"dataportal/catalog"
)

// NewStore returns a fresh, empty store for one test; it is closed by the
// test's cleanup.
type NewStore func(t *testing.T) catalog.Store

type item struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Group string    `json:"group"`
	N     int64     `json:"n"`
	At    time.Time `json:"at"`
	Flag  bool      `json:"flag"`
	Owner struct {
		ID string `json:"id"`
	} `json:"owner"`
	Tags []string `json:"tags"`
	Note string   `json:"note"`
}

var itemSchema = catalog.Schema{
	Name: "items",
	Fields: []catalog.Field{
		{Name: "name", Type: catalog.String},
		{Name: "email", Type: catalog.String, Unique: true},
		{Name: "group", Type: catalog.String},
		{Name: "n", Type: catalog.Int},
		{Name: "at", Type: catalog.Time},
		{Name: "flag", Type: catalog.Bool},
		{Name: "owner.id", Type: catalog.String},
	},
	// A dotted field and a time field in the second one: their index keys
	// and values are spelled differently from the field's own.
	Compound: [][]string{{"group", "n"}, {"owner.id", "at"}},
}

var base = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func mkItem(i int) item {
	it := item{
		Name:  fmt.Sprintf("名称-%03d", i),
		Email: fmt.Sprintf("u%03d@example.cn", i),
		Group: []string{"甲", "乙", "丙"}[i%3],
		N:     int64(i % 7),
		At:    base.Add(time.Duration(i%11) * 90 * time.Minute).Add(time.Duration(i%5) * time.Millisecond),
		Flag:  i%2 == 0,
		Tags:  []string{"t", fmt.Sprint(i)},
		Note:  "备注 with \"quotes\", back\\slash and <html>",
	}
	it.Owner.ID = fmt.Sprintf("org-%d", i%4)
	return it
}

func body(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t testing.TB, d catalog.Doc) item {
	t.Helper()
	var it item
	if err := json.Unmarshal(d.Body, &it); err != nil {
		t.Fatalf("stored body of %s does not decode: %v (%s)", d.ID, err, d.Body)
	}
	return it
}

func wantKind(t *testing.T, err error, k catalog.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %s", what, k)
	}
	if got := catalog.ErrorKind(err); got != k {
		t.Fatalf("%s: got kind %s (%v), want %s", what, got, err, k)
	}
}

func openItems(t *testing.T, newStore NewStore) catalog.Collection {
	t.Helper()
	s := newStore(t)
	c, err := s.Collection(context.Background(), itemSchema)
	if err != nil {
		t.Fatalf("Collection: %v", err)
	}
	return c
}

func insertItems(t *testing.T, c catalog.Collection, n int) map[string]item {
	t.Helper()
	all := map[string]item{}
	for i := 0; i < n; i++ {
		it := mkItem(i)
		id := fmt.Sprintf("id-%03d", (i*37)%n) // ids in an order unrelated to the fields
		if _, err := c.Insert(context.Background(), id, body(t, it)); err != nil {
			t.Fatalf("Insert %s: %v", id, err)
		}
		all[id] = it
	}
	return all
}

// TestStore runs the storage conformance suite.
func TestStore(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("InsertGet", func(t *testing.T) {
		c := openItems(t, newStore)
		it := mkItem(1)
		d, err := c.Insert(ctx, "a-1", body(t, it))
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != "a-1" || d.Rev != 1 {
			t.Fatalf("Insert returned id %q rev %d, want a-1 rev 1", d.ID, d.Rev)
		}
		got, err := c.Get(ctx, "a-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Rev != 1 {
			t.Fatalf("rev = %d, want 1", got.Rev)
		}
		back := decode(t, got)
		if back.Name != it.Name || back.Note != it.Note || !back.At.Equal(it.At) || back.Owner.ID != it.Owner.ID || len(back.Tags) != 2 || back.N != it.N {
			t.Fatalf("round trip changed the document:\n got %+v\nwant %+v", back, it)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		c := openItems(t, newStore)
		_, err := c.Get(ctx, "nope")
		wantKind(t, err, catalog.KindNotFound, "Get of a missing id")
	})

	t.Run("InsertDuplicateID", func(t *testing.T) {
		c := openItems(t, newStore)
		if _, err := c.Insert(ctx, "x", body(t, mkItem(1))); err != nil {
			t.Fatal(err)
		}
		_, err := c.Insert(ctx, "x", body(t, mkItem(2)))
		wantKind(t, err, catalog.KindConflict, "Insert of a taken id")
		got, _ := c.Get(ctx, "x")
		if decode(t, got).Name != mkItem(1).Name {
			t.Fatal("a rejected insert changed the stored document")
		}
	})

	t.Run("UniqueOnInsertAndReplace", func(t *testing.T) {
		c := openItems(t, newStore)
		a, b := mkItem(1), mkItem(2)
		if _, err := c.Insert(ctx, "a", body(t, a)); err != nil {
			t.Fatal(err)
		}
		db, err := c.Insert(ctx, "b", body(t, b))
		if err != nil {
			t.Fatal(err)
		}
		dup := mkItem(3)
		dup.Email = a.Email
		_, err = c.Insert(ctx, "c", body(t, dup))
		wantKind(t, err, catalog.KindConflict, "Insert with a taken unique value")
		if errors.Is(err, catalog.ErrStale) {
			t.Fatal("a unique violation must not look like a stale revision")
		}
		if _, err := c.Get(ctx, "c"); !catalog.IsKind(err, catalog.KindNotFound) {
			t.Fatalf("rejected insert was stored: %v", err)
		}
		b.Email = a.Email
		_, err = c.Replace(ctx, "b", db.Rev, body(t, b))
		wantKind(t, err, catalog.KindConflict, "Replace with a taken unique value")
		if errors.Is(err, catalog.ErrStale) {
			t.Fatal("a unique violation must not look like a stale revision")
		}
		got, _ := c.Get(ctx, "b")
		if got.Rev != 1 || decode(t, got).Email != mkItem(2).Email {
			t.Fatal("a rejected replace changed the stored document")
		}
		// A document may keep its own unique value.
		b.Email = mkItem(2).Email
		b.Note = "changed"
		if _, err := c.Replace(ctx, "b", 1, body(t, b)); err != nil {
			t.Fatalf("Replace keeping its own unique value: %v", err)
		}
		// A freed value can be taken.
		if err := c.Delete(ctx, "a", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Insert(ctx, "c", body(t, dup)); err != nil {
			t.Fatalf("Insert with a freed unique value: %v", err)
		}
	})

	t.Run("UniqueFieldRequired", func(t *testing.T) {
		c := openItems(t, newStore)
		it := mkItem(1)
		it.Email = ""
		raw := map[string]any{"name": "no email"}
		_, err := c.Insert(ctx, "a", body(t, raw))
		wantKind(t, err, catalog.KindInvalid, "Insert without a unique field")
		_, err = c.Insert(ctx, "b", body(t, it))
		wantKind(t, err, catalog.KindInvalid, "Insert with an empty unique field")
	})

	t.Run("BadBodies", func(t *testing.T) {
		c := openItems(t, newStore)
		for _, b := range []string{`[1,2]`, `"s"`, `{"n": "not a number"}`, `{"email":"x@y.cn","at":"yesterday"}`} {
			_, err := c.Insert(ctx, "a", json.RawMessage(b))
			wantKind(t, err, catalog.KindInvalid, "Insert of "+b)
		}
		_, err := c.Insert(ctx, "", body(t, mkItem(1)))
		wantKind(t, err, catalog.KindInvalid, "Insert with an empty id")
	})

	t.Run("ReplaceRevisions", func(t *testing.T) {
		c := openItems(t, newStore)
		it := mkItem(1)
		if _, err := c.Insert(ctx, "a", body(t, it)); err != nil {
			t.Fatal(err)
		}
		it.Note = "second"
		d, err := c.Replace(ctx, "a", 1, body(t, it))
		if err != nil {
			t.Fatal(err)
		}
		if d.Rev != 2 {
			t.Fatalf("rev after replace = %d, want 2", d.Rev)
		}
		it.Note = "stale"
		_, err = c.Replace(ctx, "a", 1, body(t, it))
		wantKind(t, err, catalog.KindConflict, "Replace with a stale revision")
		if !errors.Is(err, catalog.ErrStale) {
			t.Fatalf("stale replace error %v does not wrap catalog.ErrStale", err)
		}
		got, _ := c.Get(ctx, "a")
		if got.Rev != 2 || decode(t, got).Note != "second" {
			t.Fatalf("after a stale replace: rev %d note %q", got.Rev, decode(t, got).Note)
		}
		_, err = c.Replace(ctx, "missing", 1, body(t, it))
		wantKind(t, err, catalog.KindNotFound, "Replace of a missing id")
	})

	t.Run("Delete", func(t *testing.T) {
		c := openItems(t, newStore)
		if _, err := c.Insert(ctx, "a", body(t, mkItem(1))); err != nil {
			t.Fatal(err)
		}
		err := c.Delete(ctx, "a", 7)
		wantKind(t, err, catalog.KindConflict, "Delete with a stale revision")
		if !errors.Is(err, catalog.ErrStale) {
			t.Fatalf("stale delete error %v does not wrap catalog.ErrStale", err)
		}
		if err := c.Delete(ctx, "a", 1); err != nil {
			t.Fatal(err)
		}
		_, err = c.Get(ctx, "a")
		wantKind(t, err, catalog.KindNotFound, "Get after Delete")
		wantKind(t, c.Delete(ctx, "a", 0), catalog.KindNotFound, "Delete of a missing id")
		if _, err := c.Insert(ctx, "a", body(t, mkItem(1))); err != nil {
			t.Fatalf("re-insert after delete: %v", err)
		}
	})

	t.Run("ConcurrentReplaceOneWins", func(t *testing.T) {
		c := openItems(t, newStore)
		if _, err := c.Insert(ctx, "a", body(t, mkItem(1))); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				it := mkItem(1)
				it.Note = fmt.Sprint("writer ", i)
				_, errs[i] = c.Replace(ctx, "a", 1, body(t, it))
			}(i)
		}
		wg.Wait()
		wins := 0
		winner := ""
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
				winner = fmt.Sprint("writer ", i)
			case !errors.Is(err, catalog.ErrStale):
				t.Errorf("writer %d: %v, want a stale conflict", i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d writers won, want exactly 1", wins)
		}
		got, _ := c.Get(ctx, "a")
		if got.Rev != 2 || decode(t, got).Note != winner {
			t.Fatalf("stored rev %d note %q, want rev 2 by %q", got.Rev, decode(t, got).Note, winner)
		}
	})

	t.Run("FindFilters", func(t *testing.T) {
		c := openItems(t, newStore)
		all := insertItems(t, c, 60)
		cases := []struct {
			name    string
			filters []catalog.Filter
			match   func(item) bool
		}{
			{"eq string", []catalog.Filter{catalog.Where("group", "乙")}, func(it item) bool { return it.Group == "乙" }},
			{"eq nested", []catalog.Filter{catalog.Where("owner.id", "org-2")}, func(it item) bool { return it.Owner.ID == "org-2" }},
			{"eq int", []catalog.Filter{catalog.Where("n", 3)}, func(it item) bool { return it.N == 3 }},
			{"eq bool", []catalog.Filter{catalog.Where("flag", true)}, func(it item) bool { return it.Flag }},
			{"in", []catalog.Filter{catalog.WhereIn("group", "甲", "丙")}, func(it item) bool { return it.Group != "乙" }},
			{"in empty", []catalog.Filter{catalog.WhereIn[string]("group")}, func(it item) bool { return false }},
			{"in id", []catalog.Filter{catalog.WhereIn("id", "id-001", "id-007", "nope")}, nil},
			{"range int", []catalog.Filter{{Field: "n", Op: catalog.Gte, Value: 2}, {Field: "n", Op: catalog.Lt, Value: int64(5)}}, func(it item) bool { return it.N >= 2 && it.N < 5 }},
			{"range int strict", []catalog.Filter{{Field: "n", Op: catalog.Gt, Value: 5}}, func(it item) bool { return it.N > 5 }},
			{"range time", []catalog.Filter{{Field: "at", Op: catalog.Gt, Value: base.Add(3 * time.Hour)}, {Field: "at", Op: catalog.Lte, Value: base.Add(9 * time.Hour)}},
				func(it item) bool { return it.At.After(base.Add(3*time.Hour)) && !it.At.After(base.Add(9*time.Hour)) }},
			{"time sub-second", []catalog.Filter{{Field: "at", Op: catalog.Gt, Value: base.Add(2 * time.Millisecond)}, {Field: "at", Op: catalog.Lt, Value: base.Add(90 * time.Minute)}},
				func(it item) bool {
					return it.At.After(base.Add(2*time.Millisecond)) && it.At.Before(base.Add(90*time.Minute))
				}},
			{"combined", []catalog.Filter{catalog.Where("group", "甲"), catalog.Where("flag", false), {Field: "n", Op: catalog.Lte, Value: 4}},
				func(it item) bool { return it.Group == "甲" && !it.Flag && it.N <= 4 }},
			{"range string", []catalog.Filter{{Field: "name", Op: catalog.Gte, Value: "名称-050"}}, func(it item) bool { return it.Name >= "名称-050" }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				want := map[string]bool{}
				for id, it := range all {
					if tc.match == nil {
						want[id] = id == "id-001" || id == "id-007"
					} else {
						want[id] = tc.match(it)
					}
				}
				var wantIDs []string
				for id, ok := range want {
					if ok {
						wantIDs = append(wantIDs, id)
					}
				}
				sort.Strings(wantIDs)
				p, err := c.Find(ctx, catalog.Query{Filters: tc.filters, Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, d := range p.Docs {
					got = append(got, d.ID)
				}
				if fmt.Sprint(got) != fmt.Sprint(wantIDs) {
					t.Fatalf("Find ids (sorted by id):\n got %v\nwant %v", got, wantIDs)
				}
				if p.Next != "" {
					t.Fatalf("Next = %q on a complete page", p.Next)
				}
				n, err := c.Count(ctx, tc.filters...)
				if err != nil {
					t.Fatal(err)
				}
				if int(n) != len(wantIDs) {
					t.Fatalf("Count = %d, want %d", n, len(wantIDs))
				}
			})
		}
	})

	t.Run("FindSortAndKeysetPages", func(t *testing.T) {
		c := openItems(t, newStore)
		all := insertItems(t, c, 57)
		less := func(field string) func(a, b string) bool {
			return func(a, b string) bool {
				ia, ib := all[a], all[b]
				var c int
				switch field {
				case "":
					c = 0
				case "group":
					c = cmp(ia.Group, ib.Group)
				case "n":
					c = cmp(ia.N, ib.N)
				case "at":
					c = ia.At.Compare(ib.At)
				case "owner.id":
					c = cmp(ia.Owner.ID, ib.Owner.ID)
				}
				if c != 0 {
					return c < 0
				}
				return a < b
			}
		}
		for _, field := range []string{"", "group", "n", "at", "owner.id"} {
			for _, desc := range []bool{false, true} {
				for _, filtered := range []bool{false, true} {
					name := fmt.Sprintf("sort=%q desc=%v filtered=%v", field, desc, filtered)
					t.Run(name, func(t *testing.T) {
						var filters []catalog.Filter
						var want []string
						for id, it := range all {
							if !filtered || it.N != 0 {
								want = append(want, id)
							}
						}
						if filtered {
							filters = []catalog.Filter{{Field: "n", Op: catalog.Gt, Value: 0}}
						}
						l := less(field)
						sort.Slice(want, func(i, j int) bool {
							if desc {
								return l(want[j], want[i])
							}
							return l(want[i], want[j])
						})
						var got []string
						after := ""
						for pages := 0; ; pages++ {
							if pages > 20 {
								t.Fatal("pagination does not end")
							}
							p, err := c.Find(ctx, catalog.Query{Filters: filters, Sort: field, Desc: desc, Limit: 10, After: after})
							if err != nil {
								t.Fatal(err)
							}
							if len(p.Docs) > 10 {
								t.Fatalf("page of %d docs, limit 10", len(p.Docs))
							}
							for _, d := range p.Docs {
								got = append(got, d.ID)
							}
							if p.Next == "" {
								break
							}
							after = p.Next
						}
						if fmt.Sprint(got) != fmt.Sprint(want) {
							t.Fatalf("keyset pages:\n got %v\nwant %v", got, want)
						}
						// Offset pages agree with keyset pages.
						p, err := c.Find(ctx, catalog.Query{Filters: filters, Sort: field, Desc: desc, Limit: 7, Offset: 14})
						if err != nil {
							t.Fatal(err)
						}
						var off []string
						for _, d := range p.Docs {
							off = append(off, d.ID)
						}
						if fmt.Sprint(off) != fmt.Sprint(want[14:21]) {
							t.Fatalf("offset page:\n got %v\nwant %v", off, want[14:21])
						}
					})
				}
			}
		}
	})

	// Queries a compound index answers by walking it: equality on a prefix,
	// sorted by the next field (or by id after the whole index), possibly
	// with a range on that field. Documents lacking the sort field sort
	// first ascending and last descending, as for any sort.
	t.Run("FindCompoundPrefixSortedPages", func(t *testing.T) {
		c := openItems(t, newStore)
		type row struct {
			group, owner string
			n            *int64 // nil: missing
			at           *time.Time
		}
		rows := map[string]row{}
		for id, it := range insertItems(t, c, 45) {
			rows[id] = row{group: it.Group, owner: it.Owner.ID, n: &it.N, at: &it.At}
		}
		for i, g := range []string{"甲", "甲", "乙", "甲"} {
			id := fmt.Sprintf("id-x%d", i)
			raw := map[string]any{"email": fmt.Sprintf("x%d@example.cn", i), "group": g, "owner": map[string]string{"id": "org-1"}}
			if _, err := c.Insert(ctx, id, body(t, raw)); err != nil {
				t.Fatal(err)
			}
			rows[id] = row{group: g, owner: "org-1"}
		}
		compare := func(field string, a, b string) int {
			ra, rb := rows[a], rows[b]
			var c int
			switch field {
			case "n":
				c = cmpMissing(ra.n, rb.n, cmp[int64])
			case "at":
				c = cmpMissing(ra.at, rb.at, time.Time.Compare)
			}
			if c != 0 {
				return c
			}
			return cmp(a, b)
		}
		three := int64(3)
		cases := []struct {
			name    string
			filters []catalog.Filter
			sort    string
			match   func(row) bool
		}{
			{"group sorted by n", []catalog.Filter{catalog.Where("group", "甲")}, "n",
				func(r row) bool { return r.group == "甲" }},
			{"other group sorted by n", []catalog.Filter{catalog.Where("group", "乙")}, "n",
				func(r row) bool { return r.group == "乙" }},
			{"group and range on n sorted by n", []catalog.Filter{catalog.Where("group", "甲"), {Field: "n", Op: catalog.Gte, Value: three}}, "n",
				func(r row) bool { return r.group == "甲" && r.n != nil && *r.n >= three }},
			{"whole index sorted by id", []catalog.Filter{catalog.Where("group", "甲"), catalog.Where("n", three)}, "",
				func(r row) bool { return r.group == "甲" && r.n != nil && *r.n == three }},
			{"dotted field sorted by time", []catalog.Filter{catalog.Where("owner.id", "org-1")}, "at",
				func(r row) bool { return r.owner == "org-1" }},
		}
		for _, tc := range cases {
			for _, desc := range []bool{false, true} {
				var want []string
				for id, r := range rows {
					if tc.match(r) {
						want = append(want, id)
					}
				}
				sort.Slice(want, func(i, j int) bool {
					if desc {
						return compare(tc.sort, want[j], want[i]) < 0
					}
					return compare(tc.sort, want[i], want[j]) < 0
				})
				for _, size := range []int{1, 4, 100} {
					t.Run(fmt.Sprintf("%s desc=%v limit=%d", tc.name, desc, size), func(t *testing.T) {
						var got []string
						after := ""
						for pages := 0; ; pages++ {
							if pages > len(want)+1 {
								t.Fatal("pagination does not end")
							}
							p, err := c.Find(ctx, catalog.Query{Filters: tc.filters, Sort: tc.sort, Desc: desc, Limit: size, After: after})
							if err != nil {
								t.Fatal(err)
							}
							if len(p.Docs) > size {
								t.Fatalf("page of %d docs, limit %d", len(p.Docs), size)
							}
							for _, d := range p.Docs {
								got = append(got, d.ID)
							}
							if p.Next == "" {
								break
							}
							after = p.Next
						}
						if fmt.Sprint(got) != fmt.Sprint(want) {
							t.Fatalf("keyset pages:\n got %v\nwant %v", got, want)
						}
					})
				}
			}
		}
	})

	t.Run("FindSeesWritesBetweenPages", func(t *testing.T) {
		c := openItems(t, newStore)
		insertItems(t, c, 20)
		p, err := c.Find(ctx, catalog.Query{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		// Deleting the cursor's own document does not break the next page.
		last := p.Docs[len(p.Docs)-1]
		if err := c.Delete(ctx, last.ID, 0); err != nil {
			t.Fatal(err)
		}
		p2, err := c.Find(ctx, catalog.Query{Limit: 100, After: p.Next})
		if err != nil {
			t.Fatal(err)
		}
		if len(p2.Docs) != 15 {
			t.Fatalf("after deleting the cursor document: %d docs, want 15", len(p2.Docs))
		}
	})

	t.Run("InvalidQueries", func(t *testing.T) {
		c := openItems(t, newStore)
		insertItems(t, c, 3)
		bad := []catalog.Query{
			{Filters: []catalog.Filter{catalog.Where("note", "x")}},        // undeclared field
			{Filters: []catalog.Filter{catalog.Where("n", "three")}},       // wrong type
			{Filters: []catalog.Filter{catalog.Where("at", "not a time")}}, // wrong type
			{Filters: []catalog.Filter{catalog.Where("flag", 1)}},          // wrong type
			{Sort: "note"},             // undeclared sort
			{After: "!!!not-a-cursor"}, // bad cursor
			{Sort: "n", After: catalog.EncodeCursor(catalog.Cursor{Value: "x", ID: "a"})}, // cursor of the wrong type
			{Filters: []catalog.Filter{{Field: "n", Op: catalog.Op(99), Value: 1}}},       // unknown operator
			{Limit: -1},
		}
		for i, q := range bad {
			_, err := c.Find(ctx, q)
			wantKind(t, err, catalog.KindInvalid, fmt.Sprintf("bad query %d", i))
		}
		_, err := c.Count(ctx, catalog.Where("nope", 1))
		wantKind(t, err, catalog.KindInvalid, "Count on an undeclared field")
	})

	t.Run("SchemaEvolves", func(t *testing.T) {
		s := newStore(t)
		old := catalog.Schema{Name: "evolve", Fields: []catalog.Field{{Name: "name", Type: catalog.String}}}
		c, err := s.Collection(ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if _, err := c.Insert(ctx, fmt.Sprint("e", i), body(t, mkItem(i))); err != nil {
				t.Fatal(err)
			}
		}
		// Opening again with one more indexed field keeps the data and
		// makes the new field queryable for existing documents.
		grown := old
		grown.Fields = append(append([]catalog.Field(nil), old.Fields...), catalog.Field{Name: "group", Type: catalog.String})
		c2, err := s.Collection(ctx, grown)
		if err != nil {
			t.Fatalf("reopen with a new field: %v", err)
		}
		n, err := c2.Count(ctx, catalog.Where("group", "甲"))
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 { // items 0 and 3
			t.Fatalf("Count on the new field = %d, want 2", n)
		}
		if _, err := s.Collection(ctx, grown); err != nil {
			t.Fatalf("reopen with the same schema: %v", err)
		}
		// Opening again with a compound index builds it over the existing
		// documents; queries it serves see them all.
		indexed := grown
		indexed.Compound = [][]string{{"group", "name"}}
		c3, err := s.Collection(ctx, indexed)
		if err != nil {
			t.Fatalf("reopen with a compound index: %v", err)
		}
		if _, err := c3.Insert(ctx, "e5", body(t, mkItem(6))); err != nil {
			t.Fatal(err)
		}
		var got []string
		after := ""
		for range 5 {
			p, err := c3.Find(ctx, catalog.Query{Filters: []catalog.Filter{catalog.Where("group", "甲")}, Sort: "name", Desc: true, Limit: 1, After: after})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range p.Docs {
				got = append(got, d.ID)
			}
			if after = p.Next; after == "" {
				break
			}
		}
		if fmt.Sprint(got) != "[e5 e3 e0]" { // items 6, 3 and 0, by name descending
			t.Fatalf("pages on the new compound index: %v", got)
		}
		if _, err := s.Collection(ctx, indexed); err != nil {
			t.Fatalf("reopen with the same compound index: %v", err)
		}
		// Dropping it again (the store may drop the index) changes no result.
		c4, err := s.Collection(ctx, grown)
		if err != nil {
			t.Fatalf("reopen without the compound index: %v", err)
		}
		if n, err := c4.Count(ctx, catalog.Where("group", "甲")); err != nil || n != 3 {
			t.Fatalf("Count after dropping the compound index = %d, %v; want 3", n, err)
		}
	})

	t.Run("CollectionsAreSeparate", func(t *testing.T) {
		s := newStore(t)
		a, err := s.Collection(ctx, catalog.Schema{Name: "one"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Collection(ctx, catalog.Schema{Name: "two"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Insert(ctx, "same", json.RawMessage(`{"v":1}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Insert(ctx, "same", json.RawMessage(`{"v":2}`)); err != nil {
			t.Fatalf("same id in another collection: %v", err)
		}
		n, _ := a.Count(ctx)
		if n != 1 {
			t.Fatalf("collection one has %d docs, want 1", n)
		}
	})

	t.Run("BadSchema", func(t *testing.T) {
		s := newStore(t)
		for _, sc := range []catalog.Schema{
			{Name: "Robert'); DROP TABLE x;--"},
			{Name: "ok", Fields: []catalog.Field{{Name: "a b", Type: catalog.String}}},
			{Name: "ok", Fields: []catalog.Field{{Name: "id", Type: catalog.String}}},
			{Name: "ok", Fields: []catalog.Field{{Name: "a", Type: catalog.String}, {Name: "a", Type: catalog.Int}}},
			// Compound indexes of undeclared fields, and of fewer than two.
			{Name: "ok", Fields: []catalog.Field{{Name: "a", Type: catalog.String}}, Compound: [][]string{{"a", "b"}}},
			{Name: "ok", Fields: []catalog.Field{{Name: "a", Type: catalog.String}}, Compound: [][]string{{"a", "id"}}},
			{Name: "ok", Fields: []catalog.Field{{Name: "a", Type: catalog.String}}, Compound: [][]string{{"a"}}},
			{Name: "ok", Fields: []catalog.Field{{Name: "a", Type: catalog.String}}, Compound: [][]string{{}}},
		} {
			_, err := s.Collection(ctx, sc)
			wantKind(t, err, catalog.KindInvalid, fmt.Sprintf("schema %+v", sc))
		}
	})

	t.Run("Ping", func(t *testing.T) {
		s := newStore(t)
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if s.Backend() == "" {
			t.Fatal("Backend() is empty")
		}
	})
}

// cmpMissing orders missing values (nil) first, as the stores do.
func cmpMissing[T any](a, b *T, cmp func(T, T) int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp(*a, *b)
}

func cmp[T int64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
