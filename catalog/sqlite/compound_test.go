package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataportal/catalog"
)

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// queryPlan returns the detail lines of EXPLAIN QUERY PLAN for a statement.
func queryPlan(t *testing.T, s *Store, text string, args []any) []string {
	t.Helper()
	rows, err := s.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+text, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// The listing queries a compound index is declared for (equality on its
// first field, sorted by its second, first and later keyset pages) must walk
// that index: every table access a search of it, and no sort step, which
// would read and sort every document of the filter before the first row.
// Later pages are two index ranges merged when missing values lie ahead
// (see after). Checked without planner statistics, as after creation, and
// with them, as after PRAGMA optimize has run ANALYZE.
func TestCompoundIndexPlans(t *testing.T) {
	ctx := context.Background()
	s := openInternal(t)
	sc := catalog.Schema{Name: "plans", Fields: []catalog.Field{
		{Name: "domain", Type: catalog.String},
		{Name: "publisher", Type: catalog.String},
		{Name: "updated_at", Type: catalog.Time},
	}, Compound: [][]string{{"domain", "updated_at"}}}
	cc, err := s.Collection(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	c := cc.(*collection)
	// 12 domains and 500 publishers over 20 000 documents, as in the
	// benchmark; one in 50 has no updated_at.
	if _, err := s.write.ExecContext(ctx, `WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < 19999)
		INSERT INTO c_plans (id, rev, body) SELECT printf('d%06d', i), 1, json_object(
			'domain', 'dom-' || (i / 500 % 12), 'publisher', 'org-' || (i % 500),
			'updated_at', iif(i % 50 = 0, NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + (i * 7919) % 1000003, 'unixepoch')))
		FROM r`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	byDomain := []catalog.Filter{catalog.Where("domain", "dom-3")}
	const index = "USING INDEX i:plans:c:domain+updated_at "
	for _, stats := range []bool{false, true} {
		if stats {
			if _, err := s.write.ExecContext(ctx, "ANALYZE"); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name   string
			desc   bool
			cursor *catalog.Cursor
		}{
			{"first page desc", true, nil},
			{"first page asc", false, nil},
			{"later page desc", true, &catalog.Cursor{Value: at, ID: "d000123"}},
			{"later page asc", false, &catalog.Cursor{Value: at, ID: "d000123"}},
			{"later page asc, cursor on a missing value", false, &catalog.Cursor{ID: "d000150"}},
			{"later page desc, cursor on a missing value", true, &catalog.Cursor{ID: "d000150"}},
		} {
			t.Run(fmt.Sprintf("%s stats=%v", tc.name, stats), func(t *testing.T) {
				q := catalog.Query{Filters: byDomain, Sort: "updated_at", Desc: tc.desc, Limit: 50}
				if tc.cursor != nil {
					q.After = catalog.EncodeCursor(*tc.cursor)
				}
				text, args, _, err := c.findSQL(q, q.Limit) // LIMIT 51: one more says whether there is a next page
				if err != nil {
					t.Fatal(err)
				}
				plan := queryPlan(t, s, text, args)
				searches := 0
				for _, line := range plan {
					switch {
					case strings.Contains(line, "TEMP B-TREE"):
						t.Errorf("sort step in the plan: %q", line)
					case strings.HasPrefix(line, "SEARCH") || strings.HasPrefix(line, "SCAN"):
						searches++
						if !strings.HasPrefix(line, "SEARCH c_plans "+index+"(f_domain=?") {
							t.Errorf("table access not by the compound index: %q", line)
						}
					}
				}
				if searches == 0 {
					t.Errorf("no table access in the plan")
				}
				if t.Failed() {
					t.Logf("SQL: %s\nplan:\n  %s", text, strings.Join(plan, "\n  "))
				}
			})
		}
	}
	// And the pages it gives are the documents of the domain, latest first.
	var got []catalog.Doc
	after := ""
	for {
		p, err := c.Find(ctx, catalog.Query{Filters: byDomain, Sort: "updated_at", Desc: true, Limit: 400, After: after})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Docs...)
		if after = p.Next; after == "" {
			break
		}
	}
	var want []string
	if err := queryStrings(ctx, s, &want, `SELECT id FROM c_plans WHERE json_extract(body, '$.domain') = 'dom-3'
		ORDER BY unixepoch(json_extract(body, '$.updated_at'), 'subsec') DESC NULLS LAST, id DESC`); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(want) != 2000 { // 4 blocks of 500

		t.Fatalf("%d documents in pages, %d in the domain", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Fatalf("document %d of the pages is %s, want %s", i, got[i].ID, want[i])
		}
	}
}

func queryStrings(ctx context.Context, s *Store, dst *[]string, q string) error {
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return err
		}
		*dst = append(*dst, v)
	}
	return rows.Err()
}

// compoundIndexes returns the compound indexes of a table with their
// columns, as "name(col, col, ...)".
func compoundIndexes(t *testing.T, s *Store, schema string) []string {
	t.Helper()
	var out []string
	err := queryStrings(context.Background(), s, &out, `SELECT il.name || '(' || (SELECT group_concat(ii.name, ', ') FROM
		(SELECT name FROM pragma_index_xinfo(il.name) WHERE key ORDER BY seqno) AS ii) || ')'
		FROM pragma_index_list('`+tableName(schema)+`') AS il WHERE il.name LIKE 'i:%:c:%' ORDER BY il.name`)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Compound indexes follow the schema as it changes: created on the first
// open and on later ones, dropped when no longer declared, rebuilt when the
// type of one of their fields changes (SQLite drops no column an index
// covers).
func TestCompoundIndexMigration(t *testing.T) {
	ctx := context.Background()
	s := openInternal(t)
	fields := []catalog.Field{{Name: "a", Type: catalog.String}, {Name: "b", Type: catalog.Int}, {Name: "c.d", Type: catalog.Time}}
	retyped := []catalog.Field{{Name: "a", Type: catalog.String}, {Name: "b", Type: catalog.String}, {Name: "c.d", Type: catalog.Time}}
	for i, tc := range []struct {
		fields   []catalog.Field
		compound [][]string
		want     string
	}{
		{fields, nil, "[]"},
		{fields, [][]string{{"a", "b"}}, `[i:m:c:a+b(f_a, f_b, id)]`},
		{fields, [][]string{{"a", "b"}, {"b", "c.d", "a"}, {"a", "b"}}, `[i:m:c:a+b(f_a, f_b, id) i:m:c:b+c.d+a(f_b, f_c.d, f_a, id)]`},
		{retyped, [][]string{{"a", "b"}, {"b", "c.d", "a"}}, `[i:m:c:a+b(f_a, f_b, id) i:m:c:b+c.d+a(f_b, f_c.d, f_a, id)]`},
		{retyped, [][]string{{"c.d", "a"}}, `[i:m:c:c.d+a(f_c.d, f_a, id)]`},
		{retyped, nil, "[]"},
	} {
		sc := catalog.Schema{Name: "m", Fields: tc.fields, Compound: tc.compound}
		c, err := s.Collection(ctx, sc)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := fmt.Sprint(compoundIndexes(t, s, "m")); got != tc.want {
			t.Fatalf("step %d: compound indexes %s, want %s", i, got, tc.want)
		}
		body := fmt.Sprintf(`{"a":"x","b":%d,"c":{"d":"2026-03-01T08:00:00Z"}}`, i)
		if tc.fields[1].Type == catalog.String {
			body = fmt.Sprintf(`{"a":"x","b":"%d","c":{"d":"2026-03-01T08:00:00Z"}}`, i)
		}
		if _, err := c.Insert(ctx, fmt.Sprint("d", i), []byte(body)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
}
