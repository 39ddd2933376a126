package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"dataportal/catalog"
)

// Naming. Every name derives from a schema checked by catalog.Schema.Check
// (lower-case letters, digits, '_' and, in field paths, '.'), and is quoted
// anyway. Prefixes keep schema names clear of SQLite's reserved "sqlite_"
// names and of the fixed columns id, rev and body (a field may be called
// "body"); ':' cannot occur in a checked name, so index names cannot collide.

func tableName(schema string) string { return "c_" + schema }

func columnName(f catalog.Field) string { return "f_" + f.Name }

func indexName(schema string, f catalog.Field) string { return "i:" + schema + ":" + f.Name }

// compoundPrefix starts the names of a schema's compound indexes; a field
// index name has no second ':' after the schema, so the two never meet.
func compoundPrefix(schema string) string { return "i:" + schema + ":c:" }

// compoundIndexName names a compound index after its fields ('+' cannot
// occur in a checked field name).
func compoundIndexName(schema string, fields []string) string {
	return compoundPrefix(schema) + strings.Join(fields, "+")
}

// ident quotes an SQL identifier.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// literal quotes an SQL string literal (for DDL, which takes no parameters).
func literal(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// columnType is the declared type of a field's generated column. It sets the
// column's affinity and tells a changed field type apart on migration.
func columnType(t catalog.FieldType) string {
	switch t {
	case catalog.Int, catalog.Bool:
		return "INTEGER"
	case catalog.Time:
		return "REAL"
	default:
		return "TEXT"
	}
}

// columnExpr computes a field's index value from the body. JSON booleans come
// out of json_extract as 1 and 0. Times are RFC 3339 strings whose fractional
// digits vary, so they cannot be compared as text ("…:00Z" > "…:00.5Z");
// unixepoch(…, 'subsec') turns them into seconds since 1970 with millisecond
// precision (SQLite's date functions keep milliseconds). Date functions are
// deterministic unless given 'now', so SQLite allows them in generated
// columns and indexes. Filter and cursor values go through the same function
// (timeParam), so both sides of every comparison are computed alike.
func columnExpr(f catalog.Field) string {
	x := "json_extract(body, " + literal("$."+f.Name) + ")"
	if f.Type == catalog.Time {
		return "unixepoch(" + x + ", 'subsec')"
	}
	return x
}

// timeParam is the placeholder for a time value bound as an RFC 3339 string.
const timeParam = "unixepoch(?, 'subsec')"

// migrate creates the collection's table, then adds missing generated columns
// and indexes, in one IMMEDIATE transaction so that two processes starting at
// once cannot interleave their changes. Every step is conditional on what
// exists, so running it again changes nothing.
//
// A composite (field, id) index serves filters on the field and pages sorted
// by it with id as the tiebreak, without a sort step. A unique field gets a
// unique index on the field alone (uniqueness is of the value, not the pair).
// If a field's type or uniqueness changed, its index (and column) are
// rebuilt; building a unique index over duplicate values fails with Conflict.
//
// A compound index covers the columns of its fields in order, then id: an
// equality filter on a prefix, sorted by the next field with the id
// tiebreak, walks it with no sort step and stops at the page's end. Compound
// indexes no longer declared are dropped: unlike columns, which older
// schema versions of the collection still read, they only serve queries,
// and each costs every write.
func (s *Store) migrate(ctx context.Context, sc catalog.Schema) (err error) {
	table := tableName(sc.Name)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return translate(ctx, err, nil, "migrate "+sc.Name)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	fail := func(err error) error { return translate(ctx, err, uniqueFields(sc), "migrate "+sc.Name) }

	if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+ident(table)+
		" (id TEXT PRIMARY KEY NOT NULL, rev INTEGER NOT NULL, body TEXT NOT NULL)"); err != nil {
		return fail(err)
	}
	cols, err := queryPairs(ctx, tx, "SELECT name, type FROM pragma_table_xinfo(?)", table)
	if err != nil {
		return fail(err)
	}
	idx, err := queryPairs(ctx, tx, `SELECT name, "unique" FROM pragma_index_list(?)`, table)
	if err != nil {
		return fail(err)
	}
	for _, f := range sc.Fields {
		col, ix := columnName(f), indexName(sc.Name, f)
		typ, hasCol := cols[col]
		uniq, hasIdx := idx[ix]
		if hasCol && !strings.EqualFold(typ, columnType(f.Type)) {
			// The field changed type: its column computes something else
			// now. SQLite drops no column that an index covers, so the
			// field's index and the compound indexes including it go
			// first; they are built again below.
			over, err := queryColumn(ctx, tx, "SELECT il.name FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii WHERE ii.name = ?", table, col)
			if err != nil {
				return fail(err)
			}
			for _, name := range over {
				if _, err := tx.ExecContext(ctx, "DROP INDEX "+ident(name)); err != nil {
					return fail(err)
				}
				delete(idx, name)
			}
			hasIdx = false
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+ident(table)+" DROP COLUMN "+ident(col)); err != nil {
				return fail(err)
			}
			hasCol = false
		}
		if !hasCol {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+ident(table)+" ADD COLUMN "+ident(col)+" "+
				columnType(f.Type)+" GENERATED ALWAYS AS ("+columnExpr(f)+") VIRTUAL"); err != nil {
				return fail(err)
			}
		}
		if hasIdx && (uniq == "1") != f.Unique {
			if _, err := tx.ExecContext(ctx, "DROP INDEX "+ident(ix)); err != nil {
				return fail(err)
			}
			hasIdx = false
		}
		if !hasIdx {
			ddl := "CREATE INDEX " + ident(ix) + " ON " + ident(table) + " (" + ident(col) + ", id)"
			if f.Unique {
				ddl = "CREATE UNIQUE INDEX " + ident(ix) + " ON " + ident(table) + " (" + ident(col) + ")"
			}
			if _, err := tx.ExecContext(ctx, ddl); err != nil {
				return fail(err)
			}
		}
	}
	want := map[string]bool{}
	for _, fields := range sc.Compound {
		ix := compoundIndexName(sc.Name, fields)
		declaredTwice := want[ix]
		want[ix] = true
		if _, ok := idx[ix]; ok || declaredTwice {
			continue
		}
		cols := make([]string, 0, len(fields)+1)
		for _, name := range fields {
			f, _ := sc.Field(name) // declared: checked by sc.Check
			cols = append(cols, ident(columnName(f)))
		}
		cols = append(cols, "id")
		if _, err := tx.ExecContext(ctx, "CREATE INDEX "+ident(ix)+" ON "+ident(table)+" ("+strings.Join(cols, ", ")+")"); err != nil {
			return fail(err)
		}
	}
	for ix := range idx {
		if strings.HasPrefix(ix, compoundPrefix(sc.Name)) && !want[ix] {
			if _, err := tx.ExecContext(ctx, "DROP INDEX "+ident(ix)); err != nil {
				return fail(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// queryColumn returns the first column of a query's rows.
func queryColumn(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryPairs returns the first two columns of a query's rows as a map.
func queryPairs(ctx context.Context, tx *sql.Tx, q string, args ...any) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}

// tableStmts are the fixed statements of one table, prepared once and shared
// by every schema version of the collection (they touch only id, rev and
// body). database/sql prepares them again on each pooled connection as needed.
type tableStmts struct {
	get, rev                       *sql.Stmt // read pool
	insert, replace, del, delIfRev *sql.Stmt // writer
}

func (s *Store) prepare(ctx context.Context, sc catalog.Schema) (st *tableStmts, err error) {
	t := ident(tableName(sc.Name))
	st = &tableStmts{}
	defer func() {
		if err != nil {
			st.close()
			err = translate(ctx, err, nil, "prepare "+sc.Name)
		}
	}()
	for _, p := range []struct {
		db   *sql.DB
		dst  **sql.Stmt
		text string
	}{
		{s.read, &st.get, "SELECT rev, body FROM " + t + " WHERE id = ?"},
		{s.read, &st.rev, "SELECT rev FROM " + t + " WHERE id = ?"},
		{s.write, &st.insert, "INSERT INTO " + t + " (id, rev, body) VALUES (?, 1, ?)"},
		{s.write, &st.replace, "UPDATE " + t + " SET rev = rev + 1, body = ? WHERE id = ? AND rev = ?"},
		{s.write, &st.del, "DELETE FROM " + t + " WHERE id = ?"},
		{s.write, &st.delIfRev, "DELETE FROM " + t + " WHERE id = ? AND rev = ?"},
	} {
		if *p.dst, err = p.db.PrepareContext(ctx, p.text); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (st *tableStmts) close() {
	for _, s := range []*sql.Stmt{st.get, st.rev, st.insert, st.replace, st.del, st.delIfRev} {
		if s != nil {
			s.Close()
		}
	}
}

func uniqueFields(sc catalog.Schema) []catalog.Field {
	var u []catalog.Field
	for _, f := range sc.Fields {
		if f.Unique {
			u = append(u, f)
		}
	}
	return u
}
