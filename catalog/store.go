package catalog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// The storage interface is document-shaped and deliberately small so that
// SQLite and MongoDB implement it natively and with the same semantics: no
// multi-document transactions; every state change is one atomic write of one
// document, guarded by its revision.

// FieldType is the type of an indexed document field.
type FieldType int

// Indexed field types. Time values are RFC 3339 strings in the document;
// backends index them so that ranges and sorts follow time order.
const (
	String FieldType = iota
	Int
	Bool
	Time
)

// Field declares an indexed field of a collection.
type Field struct {
	// Name is the top-level JSON property of the document ("org_id"), or a
	// dotted path into nested objects ("owner.id").
	Name string
	Type FieldType
	// Unique forbids two documents with the same value. A unique field must
	// be present and non-empty in every document (MongoDB and SQLite treat
	// missing values differently; requiring presence keeps them equal).
	Unique bool
}

// Schema declares a collection: its name and the fields that queries filter
// and sort on. Only declared fields may appear in a Query.
type Schema struct {
	Name   string
	Fields []Field
	// Compound lists composite indexes, each a list of declared field
	// names (the id is appended to each). A query with equality filters on
	// a prefix of one and sorted by its next field is answered by walking
	// the index, which single-field indexes cannot do when the filter
	// matches many documents.
	Compound [][]string
}

// rfc3339 is the subset of RFC 3339 that every backend reads the same way:
// Go also accepts a comma before the fraction and offsets up to ±23:59,
// which SQLite's date functions reject, and a time one backend cannot read
// would silently be missing from its index.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$`)

var schemaName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}(\.[a-z][a-z0-9_]{0,40}){0,3}$`)

// Check validates the schema itself (names are used in SQL identifiers and
// Mongo keys, so they are restricted to a safe alphabet).
func (s Schema) Check() error {
	if !schemaName.MatchString(s.Name) {
		return fmt.Errorf("schema name %q is not a safe identifier", s.Name)
	}
	seen := map[string]bool{}
	for _, f := range s.Fields {
		if !fieldName.MatchString(f.Name) || f.Name == "id" || f.Name == "rev" {
			return fmt.Errorf("schema %s: field name %q is not allowed", s.Name, f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("schema %s: field %q declared twice", s.Name, f.Name)
		}
		seen[f.Name] = true
	}
	for _, c := range s.Compound {
		if len(c) < 2 {
			return fmt.Errorf("schema %s: a compound index needs at least two fields", s.Name)
		}
		inIndex := map[string]bool{}
		for _, n := range c {
			if !seen[n] {
				return fmt.Errorf("schema %s: compound index field %q is not declared", s.Name, n)
			}
			if inIndex[n] {
				return fmt.Errorf("schema %s: field %q appears twice in a compound index", s.Name, n)
			}
			inIndex[n] = true
		}
	}
	return nil
}

// Field returns the declared field called name.
func (s Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Doc is a stored document: its id, its revision (1 after insert, +1 at each
// replace) and its body, a JSON object.
type Doc struct {
	ID   string
	Rev  int64
	Body json.RawMessage
}

// Op is a comparison in a filter.
type Op int

// Filter operators.
const (
	Eq Op = iota
	In
	Gt
	Gte
	Lt
	Lte
)

// Filter restricts a query to documents whose field compares with Value
// (or, for In, equals one of Values). Field "id" filters on document ids.
// Values have the Go type of the field: string, int64 (int is accepted),
// bool, or time.Time.
type Filter struct {
	Field  string
	Op     Op
	Value  any
	Values []any
}

// Where builds an equality filter.
func Where(field string, value any) Filter { return Filter{Field: field, Op: Eq, Value: value} }

// WhereIn builds a membership filter.
func WhereIn[T any](field string, values ...T) Filter {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return Filter{Field: field, Op: In, Values: vs}
}

// Query selects documents: all filters must hold. Results are ordered by
// Sort (a declared field, or "" for id) then by id, so the order is total and
// keyset pagination with After is exact.
type Query struct {
	Filters []Filter
	Sort    string
	Desc    bool
	// Limit caps the number of results; 0 means a backend default of 100.
	Limit int
	// Offset skips results, for page-numbered listings. Prefer After.
	Offset int
	// After is the Next cursor of a previous page.
	After string
}

// Page is one page of results. Next is empty on the last page.
type Page struct {
	Docs []Doc
	Next string
}

// DefaultLimit and MaxLimit bound Query.Limit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Cursor is the decoded position of a keyset page: the sort value and id of
// the last document returned.
type Cursor struct {
	Value any    `json:"v,omitempty"`
	ID    string `json:"id"`
}

// EncodeCursor makes the opaque cursor string used by Page.Next.
func EncodeCursor(c Cursor) string {
	if t, ok := c.Value.(time.Time); ok {
		c.Value = t.UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a cursor for a query sorted on field f (zero Field for id).
func DecodeCursor(s string, f Field) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, E(KindInvalid, "分页游标无效", "invalid page cursor")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // int64 sort values above 2^53 must survive the round trip
	if err := dec.Decode(&c); err != nil || c.ID == "" {
		return c, E(KindInvalid, "分页游标无效", "invalid page cursor")
	}
	if f.Name == "" || c.Value == nil {
		return c, nil
	}
	v, err := NormalizeValue(f, c.Value)
	if err != nil {
		return c, E(KindInvalid, "分页游标无效", "invalid page cursor")
	}
	c.Value = v
	return c, nil
}

// NormalizeValue converts a filter or cursor value to the canonical Go type
// of field f: string, int64, bool or time.Time (UTC).
func NormalizeValue(f Field, v any) (any, error) {
	switch f.Type {
	case String:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case Int:
		switch n := v.(type) {
		case int:
			return int64(n), nil
		case int64:
			return n, nil
		case int32:
			return int64(n), nil
		case float64:
			if n == float64(int64(n)) {
				return int64(n), nil
			}
		case json.Number:
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		}
	case Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case Time:
		switch t := v.(type) {
		case time.Time:
			return t.UTC(), nil
		case string:
			if !rfc3339.MatchString(t) {
				break
			}
			p, err := time.Parse(time.RFC3339Nano, t)
			if err == nil {
				return p.UTC(), nil
			}
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit field %s", v, v, f.Name)
}

// Store opens collections. Implementations: catalog/sqlite and catalog/mongo.
type Store interface {
	// Collection returns the collection described by s, creating it and its
	// indexes if needed (idempotent, safe to call at every start).
	Collection(ctx context.Context, s Schema) (Collection, error)
	// Ping reports whether the store is reachable (Unavailable if not).
	Ping(ctx context.Context) error
	// Backend names the implementation ("sqlite", "mongodb").
	Backend() string
	Close() error
}

// Collection is a set of documents of one schema. Errors are *Error with
// the kinds named below; anything else is KindInternal or KindUnavailable.
type Collection interface {
	// Get returns the document with id. NotFound if there is none.
	Get(ctx context.Context, id string) (Doc, error)
	// Insert stores a new document with revision 1 and returns it.
	// Conflict if the id or a unique field value is taken.
	Insert(ctx context.Context, id string, body json.RawMessage) (Doc, error)
	// Replace overwrites the document id if its revision is still rev, and
	// returns it with revision rev+1. NotFound if it does not exist;
	// Conflict if the revision moved on or a unique value is taken.
	Replace(ctx context.Context, id string, rev int64, body json.RawMessage) (Doc, error)
	// Delete removes the document id if its revision is rev (rev 0: any).
	// NotFound if it does not exist; Conflict if the revision moved on.
	Delete(ctx context.Context, id string, rev int64) error
	// Find returns the documents matching q. Invalid for undeclared fields
	// or values of the wrong type, or a bad cursor.
	Find(ctx context.Context, q Query) (Page, error)
	// Count returns how many documents match all filters.
	Count(ctx context.Context, filters ...Filter) (int64, error)
}

// ErrStale is the cause of the Conflict a write gets when the document's
// revision moved on since it was read. Retry loops test for it with errors.Is.
var ErrStale = staleError{}

type staleError struct{}

func (staleError) Error() string { return "stale revision" }

// Stale returns the Conflict error for a revision mismatch.
func Stale() error {
	return &Error{Kind: KindConflict, Message: T("对象已被他人修改，请刷新后重试", "the object was changed by someone else; reload and retry"), Err: ErrStale}
}

// Duplicate returns the Conflict error for a taken unique value.
func Duplicate(field string) error {
	return &Error{Kind: KindConflict, Message: T("该值已被使用", "this value is already taken"),
		Fields: []FieldError{{Field: field, Code: "duplicate", Message: T("该值已被使用", "this value is already taken")}}}
}
