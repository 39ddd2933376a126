package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"dataportal/catalog"
)

// Naming. Every name derives from a schema checked by catalog.Schema.Check:
// lower-case letters, digits, '_' and, in field paths, '.'.
//
// The stored document is
//
//	{_id: <id>, rev: <int64>, doc: <body>, ix: {<key>: <value>, ...}, ixv: <fingerprint>}
//
// ix holds the index value of every declared field, computed in Go by
// catalog.ExtractField: a string, int64, bool, a BSON datetime for Time
// fields (millisecond precision, as on SQLite); a field the body does not
// have (or, in documents written under an older schema, has with another
// type) is absent. Filters and sorts use only ix, so they never depend on
// how the body happens to be typed. The key of a field is its path with '.'
// replaced by '-' ("owner.id" → "owner-id"): '-' cannot occur in a checked
// name, so two fields never share a key (with '_', "owner.id" and
// "owner_id" would), and keeping ix flat lets "owner" and "owner.id" both
// be declared. ixv fingerprints the fields (names and types) that ix was
// computed for; documents whose ixv differs from the schema's are
// recomputed when the collection is opened (see backfill).
//
// Indexes: "ix_<key>" on {ix.<key>: 1, _id: 1} for a field (filters and
// sorts with the id tiebreak), or "ux_<key>" on {ix.<key>: 1}, unique and
// sparse, for a unique field. Every write carries its unique values, but
// documents stored before a unique field was declared may lack it; sparse
// lets them be, as SQLite's unique indexes let NULLs be (a non-sparse unique
// index would count them all as the same null). The price: MongoDB does not
// sort with a sparse index, so a page sorted by a unique field is sorted in
// memory. FerretDB accepts and ignores sparse, and its SQLite unique index
// never counted missing values as equal anyway.
//
// A compound index of the schema is "cx_<key>+<key>..." on
// {ix.<key>: 1, ..., _id: 1} ('+' cannot occur in a key): equality filters
// on a prefix of its fields, sorted by the next one then the id, walk it
// (backwards for a descending sort) instead of sorting every match.

const (
	schemasCollection = "_schemas" // one metadata document per collection
	claimsCollection  = "_claims"  // revision claims, on FerretDB only (see claims.go)
)

func ixKey(f catalog.Field) string { return strings.ReplaceAll(f.Name, ".", "-") }

func ixPath(f catalog.Field) string { return "ix." + ixKey(f) }

func indexName(f catalog.Field) string {
	if f.Unique {
		return "ux_" + ixKey(f)
	}
	return "ix_" + ixKey(f)
}

func isOwnIndex(name string) bool {
	return strings.HasPrefix(name, "ix_") || strings.HasPrefix(name, "ux_") || strings.HasPrefix(name, "cx_")
}

// compoundIndex returns the name and keys of the compound index on the
// named fields, all declared (checked by catalog.Schema.Check).
func compoundIndex(s catalog.Schema, names []string) (string, bson.D) {
	keys := make([]string, len(names))
	spec := make(bson.D, 0, len(names)+1)
	for i, n := range names {
		f, _ := s.Field(n)
		keys[i] = ixKey(f)
		spec = append(spec, bson.E{Key: ixPath(f), Value: 1})
	}
	return "cx_" + strings.Join(keys, "+"), append(spec, bson.E{Key: "_id", Value: 1})
}

// fingerprint identifies the index values a schema computes: the names and
// types of its fields, in declaration order. Uniqueness does not change the
// values, only the indexes.
func fingerprint(s catalog.Schema) string {
	h := sha256.New()
	for _, f := range s.Fields {
		h.Write([]byte(f.Name))
		h.Write([]byte{0, byte('0' + f.Type), 0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// schemaRecord is the metadata document of a collection in _schemas: what
// its indexes and ix values were last built for, readable by operators.
// Compound indexes are recorded, so that declaring or dropping one takes
// the migration path, but they are not part of the fingerprint: they change
// no ix value, and a new fingerprint would rewrite every document. Each is
// its field names joined by '+' (FerretDB stores no nested arrays).
type schemaRecord struct {
	Name        string        `bson:"_id"`
	Fields      []fieldRecord `bson:"fields"`
	Compound    []string      `bson:"compound,omitempty"`
	Fingerprint string        `bson:"ixv"`
	Updated     time.Time     `bson:"updated"`
}

type fieldRecord struct {
	Name   string `bson:"name"`
	Type   string `bson:"type"`
	Unique bool   `bson:"unique"`
}

var typeNames = map[catalog.FieldType]string{
	catalog.String: "string", catalog.Int: "int", catalog.Bool: "bool", catalog.Time: "time",
}

func record(s catalog.Schema) schemaRecord {
	r := schemaRecord{Name: s.Name, Fingerprint: fingerprint(s), Fields: []fieldRecord{}}
	for _, f := range s.Fields {
		r.Fields = append(r.Fields, fieldRecord{Name: f.Name, Type: typeNames[f.Type], Unique: f.Unique})
	}
	for _, names := range s.Compound {
		r.Compound = append(r.Compound, strings.Join(names, "+"))
	}
	return r
}

func sameRecord(a, b schemaRecord) bool {
	return a.Fingerprint == b.Fingerprint && slices.Equal(a.Fields, b.Fields) && slices.Equal(a.Compound, b.Compound)
}

// migrate brings the collection's stored index values and indexes in line
// with its schema. When the schema is the one recorded in _schemas, it only
// makes sure the indexes are right (cheap, and repairs a dropped index).
// Otherwise it
//
//  1. drops this package's indexes for fields no longer declared or whose
//     uniqueness changed, and compound indexes no longer declared: they
//     serve no query of the new schema, and a unique index on a field
//     that documents no longer carry would make them collide on the
//     missing value, during step 2 and after;
//  2. recomputes ix for every document computed for another field set
//     (backfill: resumable, one rev-guarded single-document update each);
//  3. creates the declared indexes that are missing (after the backfill: a
//     unique index over values not yet computed would fail);
//  4. records the schema.
//
// Any step may be interrupted; the next open starts again, and step 2 only
// touches the documents still behind. Two instances migrating at once do
// the same idempotent work.
func (c *collection) migrate(ctx context.Context) error {
	want := record(c.schema)
	var have schemaRecord
	err := c.s.db.Collection(schemasCollection).FindOne(ctx, bson.D{{Key: "_id", Value: c.schema.Name}}).Decode(&have)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
	case err != nil:
		return translate(ctx, err, "read schema of "+c.schema.Name)
	case sameRecord(have, want):
		return c.ensureIndexes(ctx)
	}
	if err := c.dropStaleIndexes(ctx); err != nil {
		return err
	}
	if err := c.backfill(ctx); err != nil {
		return err
	}
	if err := c.ensureIndexes(ctx); err != nil {
		return err
	}
	want.Updated = time.Now().UTC()
	_, err = c.s.db.Collection(schemasCollection).ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.schema.Name}}, want, options.Replace().SetUpsert(true))
	return translate(ctx, err, "record schema of "+c.schema.Name)
}

// indexes returns the names of the collection's indexes.
func (c *collection) indexes(ctx context.Context) (map[string]bool, error) {
	specs, err := c.coll.Indexes().ListSpecifications(ctx)
	if err != nil {
		return nil, translate(ctx, err, "list indexes of "+c.schema.Name)
	}
	have := map[string]bool{}
	for _, sp := range specs {
		have[sp.Name] = true
	}
	return have, nil
}

// dropStaleIndexes drops this package's indexes that the schema does not
// declare.
func (c *collection) dropStaleIndexes(ctx context.Context) error {
	have, err := c.indexes(ctx)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, f := range c.schema.Fields {
		want[indexName(f)] = true
	}
	for _, names := range c.schema.Compound {
		name, _ := compoundIndex(c.schema, names)
		want[name] = true
	}
	for name := range have {
		if isOwnIndex(name) && !want[name] {
			// Another instance migrating at the same time may have
			// dropped it first (IndexNotFound).
			if err := c.coll.Indexes().DropOne(ctx, name); err != nil && !hasCode(err, 27) {
				return translate(ctx, err, "drop index "+name)
			}
		}
	}
	return nil
}

// ensureIndexes creates the declared indexes, field and compound, that do
// not exist yet, one per command: FerretDB v1.24 panics on a createIndexes
// listing several indexes of which more than one already exists. Conflict
// if existing documents violate a unique field.
func (c *collection) ensureIndexes(ctx context.Context) error {
	have, err := c.indexes(ctx)
	if err != nil {
		return err
	}
	for _, f := range c.schema.Fields {
		name := indexName(f)
		if have[name] {
			continue
		}
		keys := bson.D{{Key: ixPath(f), Value: 1}}
		opts := options.Index().SetName(name)
		if f.Unique {
			opts.SetUnique(true).SetSparse(true)
		} else {
			keys = append(keys, bson.E{Key: "_id", Value: 1})
		}
		if _, err := c.coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys, Options: opts}); err != nil {
			if isDuplicate(err) {
				return catalog.Wrap(catalog.KindConflict, err, "现有文档违反唯一约束，无法建立唯一索引",
					"existing documents violate a unique field; the unique index cannot be built")
			}
			return translate(ctx, err, "create index "+name)
		}
	}
	for _, names := range c.schema.Compound {
		name, keys := compoundIndex(c.schema, names)
		if have[name] {
			continue
		}
		if _, err := c.coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys, Options: options.Index().SetName(name)}); err != nil {
			return translate(ctx, err, "create index "+name)
		}
		have[name] = true // a compound index declared twice is built once
	}
	return nil
}

// backfill recomputes ix for every document whose ixv is not the schema's,
// in passes over the collection in _id order. Each document is updated
// alone, guarded by its revision, so a concurrent write is never
// overwritten: if the revision moved on, that writer stored ix for its own
// body; if it is an older instance still on the old schema, the next pass
// catches up. The revision is not bumped: the body did not change, and
// clients holding it must not get a conflict. Values that do not fit a field
// (its type changed) are left out of ix, as SQLite's generated columns hold
// NULL for them.
//
// Limit: a document that an instance still running the old schema writes
// after the migration was recorded keeps its old ix until the schema changes
// again. Stop old instances before starting ones that add fields (or remove
// the collection's record from _schemas to force another backfill).
func (c *collection) backfill(ctx context.Context) error {
	filter := bson.D{{Key: "ixv", Value: bson.D{{Key: "$ne", Value: c.fp}}}}
	batch := c.batch
	if batch <= 0 {
		batch = 200
	}
	for pass := 1; ; pass++ {
		after, first := "", true
		for {
			f := filter
			if !first {
				f = append(f[:1:1], bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}})
			}
			cur, err := c.coll.Find(ctx, f, options.Find().
				SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(batch)).
				SetProjection(bson.D{{Key: "rev", Value: 1}, {Key: "doc", Value: 1}}))
			if err != nil {
				return translate(ctx, err, "backfill "+c.schema.Name)
			}
			var docs []stored
			if err := cur.All(ctx, &docs); err != nil {
				return translate(ctx, err, "backfill "+c.schema.Name)
			}
			for _, d := range docs {
				if err := c.reindex(ctx, d); err != nil {
					return err
				}
				after, first = d.ID, false
			}
			if len(docs) < batch {
				break
			}
		}
		n, err := c.coll.CountDocuments(ctx, filter)
		if err != nil {
			return translate(ctx, err, "backfill "+c.schema.Name)
		}
		if n == 0 {
			return nil
		}
		if pass == 5 {
			return catalog.Wrap(catalog.KindUnavailable, fmt.Errorf("mongo: backfill %s: %d documents keep changing", c.schema.Name, n),
				errUnavailable.Zh, errUnavailable.En)
		}
		select {
		case <-ctx.Done():
			return translate(ctx, ctx.Err(), "backfill "+c.schema.Name)
		case <-time.After(time.Duration(pass) * 100 * time.Millisecond):
		}
	}
}

// reindex stores the ix values of one document for the current schema,
// unless the document moved on meanwhile.
func (c *collection) reindex(ctx context.Context, d stored) error {
	body, err := bsonToJSON(d.Doc)
	if err != nil {
		return catalog.Internal(err, "mongo: backfill %s: document %q", c.schema.Name, d.ID)
	}
	ix := c.indexValues(body)
	err = c.guarded(ctx, d.ID, d.Rev, func() error {
		_, err := c.coll.UpdateOne(ctx, idRev(d.ID, d.Rev),
			bson.D{{Key: "$set", Value: bson.D{{Key: "ix", Value: ix}, {Key: "ixv", Value: c.fp}}}})
		return err
	})
	if err != nil && !errors.Is(err, errBusy) {
		return translate(ctx, err, "backfill "+c.schema.Name)
	}
	return nil
}
