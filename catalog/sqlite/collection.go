package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"dataportal/catalog"
)

var _ catalog.Collection = (*collection)(nil)

// collection is one schema version of a table. Handles of older versions
// stay usable; they validate and query by the fields they declared.
type collection struct {
	s       *Store
	schema  catalog.Schema
	table   string // quoted
	fields  map[string]catalog.Field
	uniques []catalog.Field
	st      *tableStmts
}

func newCollection(s *Store, sc catalog.Schema, st *tableStmts) *collection {
	c := &collection{s: s, schema: sc, table: ident(tableName(sc.Name)), fields: map[string]catalog.Field{}, st: st, uniques: uniqueFields(sc)}
	for _, f := range sc.Fields {
		c.fields[f.Name] = f
	}
	return c
}

func (c *collection) fail(ctx context.Context, err error, format string, args ...any) error {
	return translate(ctx, err, c.uniques, c.schema.Name+"."+fmt.Sprintf(format, args...))
}

func notFound() error { return catalog.NotFound(catalog.T("对象", "object")) }

// Get returns the document id; NotFound if there is none.
func (c *collection) Get(ctx context.Context, id string) (catalog.Doc, error) {
	d := catalog.Doc{ID: id}
	var body []byte
	err := c.st.get.QueryRowContext(ctx, id).Scan(&d.Rev, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Doc{}, notFound()
	}
	if err != nil {
		return catalog.Doc{}, c.fail(ctx, err, "Get(%q)", id)
	}
	d.Body = body
	return d, nil
}

// Insert stores a new document at revision 1. Invalid for a bad id or body;
// Conflict if the id or a unique value is taken.
func (c *collection) Insert(ctx context.Context, id string, body json.RawMessage) (catalog.Doc, error) {
	if err := checkID(id); err != nil {
		return catalog.Doc{}, err
	}
	b, err := c.validate(id, body)
	if err != nil {
		return catalog.Doc{}, err
	}
	// The body is bound as text: SQLite's JSON functions read a blob as JSONB.
	err = c.s.w.do(ctx, func(in func(*sql.Stmt) *sql.Stmt) error {
		_, err := in(c.st.insert).Exec(id, string(b))
		return err
	})
	if err != nil {
		return catalog.Doc{}, c.fail(ctx, err, "Insert(%q)", id)
	}
	return catalog.Doc{ID: id, Rev: 1, Body: b}, nil
}

// Replace overwrites the document if it is still at revision rev. The
// revision check and the write are one statement, and writes run one at a
// time, so of concurrent replaces from the same revision exactly one matches
// a row.
func (c *collection) Replace(ctx context.Context, id string, rev int64, body json.RawMessage) (catalog.Doc, error) {
	b, err := c.validate(id, body)
	if err != nil {
		return catalog.Doc{}, err
	}
	var n int64
	err = c.s.w.do(ctx, func(in func(*sql.Stmt) *sql.Stmt) error {
		res, err := in(c.st.replace).Exec(string(b), id, rev)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return catalog.Doc{}, c.fail(ctx, err, "Replace(%q, %d)", id, rev)
	}
	if n == 0 {
		return catalog.Doc{}, c.missOrStale(ctx, id, "Replace")
	}
	return catalog.Doc{ID: id, Rev: rev + 1, Body: b}, nil
}

// Delete removes the document if it is at revision rev (0: at any).
func (c *collection) Delete(ctx context.Context, id string, rev int64) error {
	var n int64
	err := c.s.w.do(ctx, func(in func(*sql.Stmt) *sql.Stmt) error {
		var res sql.Result
		var err error
		if rev == 0 {
			res, err = in(c.st.del).Exec(id)
		} else {
			res, err = in(c.st.delIfRev).Exec(id, rev)
		}
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return c.fail(ctx, err, "Delete(%q, %d)", id, rev)
	}
	if n == 0 {
		return c.missOrStale(ctx, id, "Delete")
	}
	return nil
}

// missOrStale explains a conditional write that matched no row: the document
// is gone (NotFound) or at another revision (stale Conflict).
func (c *collection) missOrStale(ctx context.Context, id, op string) error {
	var rev int64
	err := c.st.rev.QueryRowContext(ctx, id).Scan(&rev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound()
	case err != nil:
		return c.fail(ctx, err, "%s(%q): read revision", op, id)
	}
	return catalog.Stale()
}

// Find returns one page of the documents matching q, ordered by q.Sort then
// id. Pages are keyset pages: the cursor holds the last document's sort value
// and id, and the next page starts strictly after that pair, so it is exact
// even when documents are added or removed between pages (the cursor's own
// document included).
func (c *collection) Find(ctx context.Context, q catalog.Query) (catalog.Page, error) {
	limit := q.Limit
	switch {
	case limit < 0 || q.Offset < 0:
		return catalog.Page{}, catalog.E(catalog.KindInvalid, "分页参数无效", "invalid limit or offset")
	case limit == 0:
		limit = catalog.DefaultLimit
	case limit > catalog.MaxLimit:
		limit = catalog.MaxLimit
	}
	text, args, sortF, err := c.findSQL(q, limit)
	if err != nil {
		return catalog.Page{}, err
	}
	rows, err := c.s.read.QueryContext(ctx, text, args...)
	if err != nil {
		return catalog.Page{}, c.fail(ctx, err, "Find")
	}
	defer rows.Close()
	var page catalog.Page
	var lastKey any
	for rows.Next() {
		var d catalog.Doc
		var body []byte
		var key any
		dst := []any{&d.ID, &d.Rev, &body}
		if sortF.Name != "" {
			dst = append(dst, &key)
		}
		if err := rows.Scan(dst...); err != nil {
			return catalog.Page{}, c.fail(ctx, err, "Find")
		}
		if len(page.Docs) == limit {
			page.Next = catalog.EncodeCursor(catalog.Cursor{Value: cursorValue(sortF, lastKey), ID: page.Docs[limit-1].ID})
			break
		}
		d.Body = body
		page.Docs = append(page.Docs, d)
		lastKey = key
	}
	if err := rows.Err(); err != nil {
		return catalog.Page{}, c.fail(ctx, err, "Find")
	}
	return page, nil
}

// findSQL returns the statement of a Find, its arguments and the field it
// sorts on (zero: the id), so that tests can check its query plan.
func (c *collection) findSQL(q catalog.Query, limit int) (string, []any, catalog.Field, error) {
	where, err := c.where(q.Filters)
	if err != nil {
		return "", nil, catalog.Field{}, err
	}
	var sortF catalog.Field // zero: sort by id
	if q.Sort != "" && q.Sort != "id" {
		f, ok := c.fields[q.Sort]
		if !ok {
			return "", nil, catalog.Field{}, unknownField(q.Sort)
		}
		sortF = f
	}
	ranges := []cond{{}} // one SELECT per range, merged by UNION ALL
	if q.After != "" {
		cur, err := catalog.DecodeCursor(q.After, sortF)
		if err != nil {
			return "", nil, catalog.Field{}, err
		}
		if ranges, err = after(sortF, q.Desc, cur); err != nil {
			return "", nil, catalog.Field{}, err
		}
	}

	// The sort column is selected too, to build the next cursor from.
	cols, order := "id, rev, body", "id"
	if sortF.Name != "" {
		col := ident(columnName(sortF))
		cols += ", " + col
		order = col + dir(q.Desc) + ", id"
		if len(ranges) > 1 {
			order = "4" + dir(q.Desc) + ", 1" // a compound SELECT orders by result column
		}
	}
	order += dir(q.Desc)
	var text strings.Builder
	var args []any
	for i, r := range ranges {
		if i > 0 {
			// Two ranges: SQLite merges the two index-ordered SELECTs
			// ("MERGE (UNION ALL)"), where an OR would scan the whole index.
			text.WriteString(" UNION ALL ")
		}
		text.WriteString("SELECT " + cols + " FROM " + c.table)
		all := where.and(r)
		if len(all.terms) > 0 {
			text.WriteString(" WHERE " + strings.Join(all.terms, " AND "))
		}
		args = append(args, all.args...)
	}
	// One row more than asked says whether there is a next page.
	text.WriteString(" ORDER BY " + order + " LIMIT ? OFFSET ?")
	args = append(args, limit+1, q.Offset)

	return text.String(), args, sortF, nil
}

func dir(desc bool) string {
	if desc {
		return " DESC"
	}
	return ""
}

// cond is a conjunction of SQL terms with their parameters.
type cond struct {
	terms []string
	args  []any
}

func (a cond) and(b cond) cond {
	return cond{terms: append(slices.Clip(a.terms), b.terms...), args: append(slices.Clip(a.args), b.args...)}
}

// after returns the condition for the rows after the cursor, as ranges that
// are each one range of the (field, id) index. NULL (a missing field) sorts
// first, as in MongoDB: before every value ascending, after every value
// descending.
func after(f catalog.Field, desc bool, cur catalog.Cursor) ([]cond, error) {
	gt := ">"
	if desc {
		gt = "<"
	}
	col := ident(columnName(f))
	switch {
	case f.Name == "":
		return []cond{{[]string{"id " + gt + " ?"}, []any{cur.ID}}}, nil
	case cur.Value == nil && !desc:
		return []cond{{[]string{col + " IS NULL", "id > ?"}, []any{cur.ID}}, {terms: []string{col + " IS NOT NULL"}}}, nil
	case cur.Value == nil:
		return []cond{{[]string{col + " IS NULL", "id < ?"}, []any{cur.ID}}}, nil
	}
	ph, v, err := param(f, cur.Value)
	if err != nil {
		return nil, err
	}
	// A row value comparison is a single range on the index.
	r := []cond{{[]string{"(" + col + ", id) " + gt + " (" + ph + ", ?)"}, []any{v, cur.ID}}}
	if desc {
		r = append(r, cond{terms: []string{col + " IS NULL"}})
	}
	return r, nil
}

// Count returns how many documents match all filters.
func (c *collection) Count(ctx context.Context, filters ...catalog.Filter) (int64, error) {
	where, err := c.where(filters)
	if err != nil {
		return 0, err
	}
	q := "SELECT count(*) FROM " + c.table
	if len(where.terms) > 0 {
		q += " WHERE " + strings.Join(where.terms, " AND ")
	}
	var n int64
	if err := c.s.read.QueryRowContext(ctx, q, where.args...).Scan(&n); err != nil {
		return 0, c.fail(ctx, err, "Count")
	}
	return n, nil
}

var idField = catalog.Field{Name: "id", Type: catalog.String}

// where turns filters into SQL terms with placeholders. Only column names,
// which come from the checked schema, are spliced into the text.
func (c *collection) where(filters []catalog.Filter) (cond, error) {
	var w cond
	for _, fl := range filters {
		f, col := idField, "id"
		if fl.Field != "id" {
			var ok bool
			if f, ok = c.fields[fl.Field]; !ok {
				return cond{}, unknownField(fl.Field)
			}
			col = ident(columnName(f))
		}
		if fl.Op == catalog.In {
			if len(fl.Values) == 0 {
				w.terms = append(w.terms, "0") // in an empty set: matches nothing
				continue
			}
			phs := make([]string, len(fl.Values))
			for i, v := range fl.Values {
				ph, a, err := param(f, v)
				if err != nil {
					return cond{}, err
				}
				phs[i] = ph
				w.args = append(w.args, a)
			}
			w.terms = append(w.terms, col+" IN ("+strings.Join(phs, ", ")+")")
			continue
		}
		op, ok := ops[fl.Op]
		if !ok {
			return cond{}, catalog.E(catalog.KindInvalid, "不支持的比较运算", "unsupported comparison operator")
		}
		ph, a, err := param(f, fl.Value)
		if err != nil {
			return cond{}, err
		}
		w.terms = append(w.terms, col+" "+op+" "+ph)
		w.args = append(w.args, a)
	}
	return w, nil
}

var ops = map[catalog.Op]string{catalog.Eq: "=", catalog.Gt: ">", catalog.Gte: ">=", catalog.Lt: "<", catalog.Lte: "<="}

// param normalises a filter or cursor value to field f's type and returns
// its placeholder and the value to bind, in the form the field's column holds.
func param(f catalog.Field, v any) (string, any, error) {
	n, err := catalog.NormalizeValue(f, v)
	if err != nil {
		var val catalog.Validation
		n := catalog.FieldTypeName(f.Type)
		val.Add(f.Name, "type", "值的类型不符："+n.Zh, "the value must be "+n.En)
		return "", nil, val.Err()
	}
	switch x := n.(type) {
	case bool:
		if x {
			return "?", int64(1), nil
		}
		return "?", int64(0), nil
	case time.Time:
		if x.Year() < 0 || x.Year() > 9999 {
			var val catalog.Validation
			val.Add(f.Name, "range", "时间超出范围（0000–9999 年）", "the time is out of range (years 0000–9999)")
			return "", nil, val.Err()
		}
		return timeParam, x.Format(time.RFC3339Nano), nil
	}
	return "?", n, nil
}

// cursorValue converts a sort column value back to the field's Go type for
// the cursor. A time column holds seconds with millisecond precision; the
// cursor carries the same instant, which timeParam maps back to the same
// column value.
func cursorValue(f catalog.Field, key any) any {
	if key == nil {
		return nil
	}
	switch f.Type {
	case catalog.Bool:
		if n, ok := key.(int64); ok {
			return n != 0
		}
	case catalog.Time:
		switch x := key.(type) {
		case float64:
			return time.UnixMilli(int64(math.Round(x * 1000))).UTC()
		case int64:
			return time.Unix(x, 0).UTC()
		}
	}
	return key
}

func unknownField(name string) error {
	var v catalog.Validation
	v.Add(name, "unknown_field", "不能按该字段查询或排序", "cannot filter or sort on this field")
	return v.Err()
}
