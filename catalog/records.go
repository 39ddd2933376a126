package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"
)

// The domain's persistence, written once over the Store interface: each
// kind of object is a typed collection with a schema.

var (
	orgSchema = Schema{Name: "orgs", Fields: []Field{
		{Name: "name", Type: String},
		{Name: "credit_code", Type: String, Unique: true},
		{Name: "kind", Type: String},
		{Name: "verified", Type: Bool},
		{Name: "created_at", Type: Time},
	}, Compound: [][]string{{"kind", "created_at"}}}
	userSchema = Schema{Name: "users", Fields: []Field{
		{Name: "email", Type: String, Unique: true},
		{Name: "org_id", Type: String},
		{Name: "status", Type: String},
		{Name: "created_at", Type: Time},
	}}
	sessionSchema = Schema{Name: "sessions", Fields: []Field{
		{Name: "user_id", Type: String},
		{Name: "expires_at", Type: Time},
	}}
	tokenSchema = Schema{Name: "tokens", Fields: []Field{
		{Name: "user_id", Type: String},
		{Name: "hash", Type: String, Unique: true},
		{Name: "created_at", Type: Time},
	}, Compound: [][]string{{"user_id", "created_at"}}}
	datasetSchema = Schema{Name: "datasets", Fields: []Field{
		{Name: "publisher", Type: String},
		{Name: "status", Type: String},
		{Name: "tier", Type: String},
		{Name: "domain", Type: String},
		{Name: "awaiting_confirmation", Type: Bool},
		{Name: "index_pending", Type: Bool},
		{Name: "audit_dirty", Type: Bool},
		{Name: "notice_dirty", Type: Bool},
		{Name: "created_at", Type: Time},
		{Name: "updated_at", Type: Time},
	}, Compound: [][]string{
		{"publisher", "updated_at"},
		{"publisher", "status", "updated_at"},
		{"awaiting_confirmation", "updated_at"},
		{"index_pending", "updated_at"},
	}}
	counterSchema = Schema{Name: "counters", Fields: []Field{
		{Name: "expires_at", Type: Time},
	}}
	jobSchema = Schema{Name: "jobs", Fields: []Field{
		{Name: "state", Type: String},
	}}
)

// Schemas lists the schemas of every collection the service uses, for
// tools and tests that open collections directly.
func Schemas() []Schema {
	return append(append([]Schema{orgSchema, userSchema, sessionSchema, tokenSchema, datasetSchema, counterSchema, jobSchema, auditSchema}, exchangeSchemas...), listSchemas()...)
}

// SchemaNamed returns the schema of collection name.
func SchemaNamed(name string) (Schema, bool) {
	for _, s := range Schemas() {
		if s.Name == name {
			return s, true
		}
	}
	return Schema{}, false
}

// record is a typed view of a collection. name is what users read in a
// not-found message.
type record[T any] struct {
	c    Collection
	name Text
}

func openRecord[T any](ctx context.Context, s Store, schema Schema, name Text) (record[T], error) {
	c, err := s.Collection(ctx, schema)
	if err != nil {
		return record[T]{}, Internal(err, "open collection %s", schema.Name)
	}
	return record[T]{c: c, name: name}, nil
}

func (r record[T]) decode(d Doc) (T, error) {
	var v T
	if err := json.Unmarshal(d.Body, &v); err != nil {
		return v, Internal(err, "decode %s", d.ID)
	}
	return v, nil
}

// get returns the object and its store revision.
func (r record[T]) get(ctx context.Context, id string) (T, int64, error) {
	d, err := r.c.Get(ctx, id)
	if err != nil {
		var zero T
		if IsKind(err, KindNotFound) {
			return zero, 0, NotFound(r.name)
		}
		return zero, 0, err
	}
	v, err := r.decode(d)
	return v, d.Rev, err
}

func (r record[T]) insert(ctx context.Context, id string, v *T) (int64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, Internal(err, "encode %s", id)
	}
	d, err := r.c.Insert(ctx, id, b)
	if err != nil {
		return 0, err
	}
	return d.Rev, nil
}

func (r record[T]) replace(ctx context.Context, id string, rev int64, v *T) (int64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, Internal(err, "encode %s", id)
	}
	d, err := r.c.Replace(ctx, id, rev, b)
	if err != nil {
		if IsKind(err, KindNotFound) {
			return 0, NotFound(r.name)
		}
		return 0, err
	}
	return d.Rev, nil
}

func (r record[T]) delete(ctx context.Context, id string, rev int64) error {
	err := r.c.Delete(ctx, id, rev)
	if IsKind(err, KindNotFound) {
		return NotFound(r.name)
	}
	return err
}

// errUnchanged tells update that fn decided not to write.
var errUnchanged = errors.New("unchanged")

// update reads the object, applies fn and writes it back guarded by the
// revision it read, retrying when another writer got there first. fn may
// return errUnchanged to skip the write.
func (r record[T]) update(ctx context.Context, id string, fn func(v *T) error) (T, int64, error) {
	for attempt := 0; ; attempt++ {
		v, rev, err := r.get(ctx, id)
		if err != nil {
			return v, 0, err
		}
		if err := fn(&v); err != nil {
			if errors.Is(err, errUnchanged) {
				return v, rev, nil
			}
			return v, 0, err
		}
		nrev, err := r.replace(ctx, id, rev, &v)
		if err == nil {
			return v, nrev, nil
		}
		if !errors.Is(err, ErrStale) || attempt >= maxStaleRetries {
			return v, 0, err
		}
		staleWait(attempt)
		if err := ctx.Err(); err != nil {
			return v, 0, Wrap(KindUnavailable, err, "请求已取消", "request cancelled")
		}
	}
}

// found is an object with its store revision.
type found[T any] struct {
	V   T
	Rev int64
}

func (r record[T]) find(ctx context.Context, q Query) ([]found[T], string, error) {
	p, err := r.c.Find(ctx, q)
	if err != nil {
		return nil, "", err
	}
	out := make([]found[T], 0, len(p.Docs))
	for _, d := range p.Docs {
		v, err := r.decode(d)
		if err != nil {
			return nil, "", err
		}
		out = append(out, found[T]{V: v, Rev: d.Rev})
	}
	return out, p.Next, nil
}

// each calls fn for every object matching filters, page by page.
func (r record[T]) each(ctx context.Context, filters []Filter, fn func(v T, rev int64) error) error {
	after := ""
	for {
		page, next, err := r.find(ctx, Query{Filters: filters, Limit: 500, After: after})
		if err != nil {
			return err
		}
		for _, f := range page {
			if err := fn(f.V, f.Rev); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		after = next
	}
}

// maxStaleRetries bounds the read-modify-write retries of one change. Each
// try loses only to a write that succeeded, so this is reached only under
// heavy contention on one document.
const maxStaleRetries = 50

// staleWait pauses before the next try of a write that lost a revision
// race: briefly and at random, growing with the tries, so that writers
// racing on one document spread out instead of colliding again.
func staleWait(attempt int) {
	if attempt < 1 {
		return
	}
	time.Sleep(time.Duration(rand.N(min(attempt, 20))+1) * time.Millisecond)
}
