package mongo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"dataportal/catalog"
)

var _ catalog.Collection = (*collection)(nil)

// collection implements catalog.Collection on one MongoDB collection.
type collection struct {
	s       *Store
	coll    *mongo.Collection
	schema  catalog.Schema
	uniques []catalog.Field
	fp      string // fingerprint(schema), stored as ixv
	batch   int    // documents per backfill query (0: 200)
}

// stored is a document as read back.
type stored struct {
	ID  string   `bson:"_id"`
	Rev int64    `bson:"rev"`
	Doc bson.Raw `bson:"doc"`
	Ix  bson.Raw `bson:"ix,omitempty"`
}

func (d stored) toDoc() (catalog.Doc, error) {
	body, err := bsonToJSON(d.Doc)
	if err != nil {
		return catalog.Doc{}, catalog.Internal(err, "mongo: stored body of %q", d.ID)
	}
	return catalog.Doc{ID: d.ID, Rev: d.Rev, Body: body}, nil
}

// compact returns a compacted copy of a body already checked to be JSON, as
// the SQLite backend returns it.
func compact(body json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, body); err != nil {
		return append(json.RawMessage(nil), body...)
	}
	return b.Bytes()
}

func id(v string) bson.D { return bson.D{{Key: "_id", Value: v}} }

func idRev(v string, rev int64) bson.D {
	return bson.D{{Key: "_id", Value: v}, {Key: "rev", Value: rev}}
}

// Get returns the document id. NotFound if there is none.
func (c *collection) Get(ctx context.Context, docID string) (catalog.Doc, error) {
	var d stored
	err := c.coll.FindOne(ctx, id(docID), options.FindOne().
		SetProjection(bson.D{{Key: "rev", Value: 1}, {Key: "doc", Value: 1}})).Decode(&d)
	if err != nil {
		return catalog.Doc{}, translate(ctx, err, "get from "+c.schema.Name)
	}
	return d.toDoc()
}

// Insert stores a new document with revision 1. Invalid if the id or body
// is; Conflict (catalog.Duplicate) if the id or a unique value is taken.
func (c *collection) Insert(ctx context.Context, docID string, body json.RawMessage) (catalog.Doc, error) {
	raw, err := c.prepare(docID, 1, body)
	if err != nil {
		return catalog.Doc{}, err
	}
	if _, err := c.coll.InsertOne(ctx, raw); err != nil {
		if isDuplicate(err) {
			return catalog.Doc{}, c.duplicate(ctx, err, docID, raw, true)
		}
		return catalog.Doc{}, translate(ctx, err, "insert into "+c.schema.Name)
	}
	return catalog.Doc{ID: docID, Rev: 1, Body: compact(body)}, nil
}

// Replace overwrites document id at revision rev with body, as revision
// rev+1. NotFound if it does not exist; Conflict wrapping catalog.ErrStale
// if the revision moved on; Conflict (catalog.Duplicate) if a unique value
// is taken.
func (c *collection) Replace(ctx context.Context, docID string, rev int64, body json.RawMessage) (catalog.Doc, error) {
	raw, err := c.prepare(docID, rev+1, body)
	if err != nil {
		return catalog.Doc{}, err
	}
	var res *mongo.UpdateResult
	err = c.guarded(ctx, docID, rev, func() (err error) {
		res, err = c.coll.ReplaceOne(ctx, idRev(docID, rev), raw)
		return err
	})
	switch {
	case errors.Is(err, errBusy):
		return catalog.Doc{}, c.missingOrStale(ctx, docID)
	case err != nil && isDuplicate(err):
		return catalog.Doc{}, c.duplicate(ctx, err, docID, raw, false)
	case err != nil:
		return catalog.Doc{}, translate(ctx, err, "replace in "+c.schema.Name)
	case res.MatchedCount == 0:
		return catalog.Doc{}, c.missingOrStale(ctx, docID)
	}
	return catalog.Doc{ID: docID, Rev: rev + 1, Body: compact(body)}, nil
}

// Delete removes document id if its revision is rev (rev 0: any). NotFound
// if it does not exist; Conflict wrapping catalog.ErrStale if the revision
// moved on.
func (c *collection) Delete(ctx context.Context, docID string, rev int64) error {
	if rev == 0 {
		res, err := c.coll.DeleteOne(ctx, id(docID))
		if err != nil {
			return translate(ctx, err, "delete from "+c.schema.Name)
		}
		if res.DeletedCount == 0 {
			return catalog.NotFound(notFound)
		}
		return nil
	}
	var res *mongo.DeleteResult
	err := c.guarded(ctx, docID, rev, func() (err error) {
		res, err = c.coll.DeleteOne(ctx, idRev(docID, rev))
		return err
	})
	switch {
	case errors.Is(err, errBusy):
		return c.missingOrStale(ctx, docID)
	case err != nil:
		return translate(ctx, err, "delete from "+c.schema.Name)
	case res.DeletedCount == 0:
		return c.missingOrStale(ctx, docID)
	}
	return nil
}

// missingOrStale tells why a write guarded by a revision matched nothing.
func (c *collection) missingOrStale(ctx context.Context, docID string) error {
	err := c.coll.FindOne(ctx, id(docID), options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if err != nil {
		return translate(ctx, err, "look up "+c.schema.Name)
	}
	return catalog.Stale()
}

// duplicate names the value that a duplicate key error is about. MongoDB
// names the index in its message, and so does FerretDB for updates; for
// FerretDB's inserts, which name no index, the holder of the value is looked
// up. If it is gone by then, the error is a Conflict without a field (never
// a stale revision: retrying with a fresh revision would not help).
func (c *collection) duplicate(ctx context.Context, err error, docID string, raw bson.Raw, insert bool) error {
	names := []string{"_id_"}
	for _, f := range c.uniques {
		names = append(names, indexName(f))
	}
	switch n := duplicateIndex(err, names); n {
	case "":
	case "_id_":
		return catalog.Duplicate("id")
	default:
		for _, f := range c.uniques {
			if indexName(f) == n {
				return catalog.Duplicate(f.Name)
			}
		}
	}
	if insert {
		n, lerr := c.coll.CountDocuments(ctx, id(docID), options.Count().SetLimit(1))
		if lerr != nil {
			return translate(ctx, lerr, "look up duplicate in "+c.schema.Name)
		}
		if n > 0 {
			return catalog.Duplicate("id")
		}
	}
	for _, f := range c.uniques {
		v := raw.Lookup("ix", ixKey(f))
		n, lerr := c.coll.CountDocuments(ctx, bson.D{
			{Key: ixPath(f), Value: v},
			{Key: "_id", Value: bson.D{{Key: "$ne", Value: docID}}},
		}, options.Count().SetLimit(1))
		if lerr != nil {
			return translate(ctx, lerr, "look up duplicate in "+c.schema.Name)
		}
		if n > 0 {
			return catalog.Duplicate(f.Name)
		}
	}
	return catalog.Wrap(catalog.KindConflict, err, "该值已被使用", "a value is already taken")
}

// Find returns one page of the documents matching q, in the order of
// q.Sort then id. Invalid for undeclared fields, values of the wrong type,
// a bad cursor or a negative limit or offset.
func (c *collection) Find(ctx context.Context, q catalog.Query) (catalog.Page, error) {
	limit := q.Limit
	switch {
	case limit < 0:
		return catalog.Page{}, invalidQuery("limit", "分页大小不能为负数", "the limit must not be negative")
	case limit == 0:
		limit = catalog.DefaultLimit
	case limit > catalog.MaxLimit:
		limit = catalog.MaxLimit
	}
	if q.Offset < 0 {
		return catalog.Page{}, invalidQuery("offset", "偏移量不能为负数", "the offset must not be negative")
	}
	var sortField catalog.Field // zero: sort by id
	if q.Sort != "" && q.Sort != "id" {
		f, ok := c.schema.Field(q.Sort)
		if !ok {
			return catalog.Page{}, invalidQuery("sort", "不能按该字段排序", "cannot sort by this field")
		}
		sortField = f
	}
	conds, err := c.conditions(q.Filters)
	if err != nil {
		return catalog.Page{}, err
	}
	if q.After != "" {
		cur, err := catalog.DecodeCursor(q.After, sortField)
		if err != nil {
			return catalog.Page{}, err
		}
		conds = append(conds, keyset(sortField, cur, q.Desc))
	}

	dir := 1
	if q.Desc {
		dir = -1
	}
	sort := bson.D{{Key: "_id", Value: dir}}
	if sortField.Name != "" {
		sort = bson.D{{Key: ixPath(sortField), Value: dir}, {Key: "_id", Value: dir}}
	}
	opts := options.Find().SetSort(sort).SetLimit(int64(limit) + 1).
		SetProjection(bson.D{{Key: "rev", Value: 1}, {Key: "doc", Value: 1}, {Key: "ix", Value: 1}})
	if q.Offset > 0 {
		opts.SetSkip(int64(q.Offset))
	}
	cur, err := c.coll.Find(ctx, and(conds), opts)
	if err != nil {
		return catalog.Page{}, translate(ctx, err, "find in "+c.schema.Name)
	}
	var docs []stored
	if err := cur.All(ctx, &docs); err != nil {
		return catalog.Page{}, translate(ctx, err, "find in "+c.schema.Name)
	}
	var page catalog.Page
	more := len(docs) > limit
	if more {
		docs = docs[:limit]
	}
	page.Docs = make([]catalog.Doc, 0, len(docs))
	for _, d := range docs {
		doc, err := d.toDoc()
		if err != nil {
			return catalog.Page{}, err
		}
		page.Docs = append(page.Docs, doc)
	}
	if more {
		last := docs[len(docs)-1]
		next := catalog.Cursor{ID: last.ID}
		if sortField.Name != "" {
			next.Value = cursorValue(last.Ix.Lookup(ixKey(sortField)))
		}
		page.Next = catalog.EncodeCursor(next)
	}
	return page, nil
}

// Count returns how many documents match all filters. Invalid as for Find.
func (c *collection) Count(ctx context.Context, filters ...catalog.Filter) (int64, error) {
	conds, err := c.conditions(filters)
	if err != nil {
		return 0, err
	}
	n, err := c.coll.CountDocuments(ctx, and(conds))
	if err != nil {
		return 0, translate(ctx, err, "count in "+c.schema.Name)
	}
	return n, nil
}

func invalidQuery(field, zh, en string) error {
	var v catalog.Validation
	v.Add(field, "invalid", zh, en)
	return v.Err()
}

// and combines conditions; a single one stays a plain filter, which
// FerretDB answers from its _id index when it is an id equality.
func and(conds []bson.D) bson.D {
	switch len(conds) {
	case 0:
		return bson.D{}
	case 1:
		return conds[0]
	}
	a := make(bson.A, len(conds))
	for i, c := range conds {
		a[i] = c
	}
	return bson.D{{Key: "$and", Value: a}}
}

var compareOps = map[catalog.Op]string{
	catalog.Gt: "$gt", catalog.Gte: "$gte", catalog.Lt: "$lt", catalog.Lte: "$lte",
}

// conditions translates filters into MongoDB conditions on _id and ix.
func (c *collection) conditions(filters []catalog.Filter) ([]bson.D, error) {
	var conds []bson.D
	for _, f := range filters {
		path, field := "_id", catalog.Field{Name: "id", Type: catalog.String}
		if f.Field != "id" {
			decl, ok := c.schema.Field(f.Field)
			if !ok {
				return nil, invalidQuery(f.Field, "不能按该字段筛选", "cannot filter by this field")
			}
			path, field = ixPath(decl), decl
		}
		switch f.Op {
		case catalog.Eq:
			v, err := filterValue(field, f.Field, f.Value)
			if err != nil {
				return nil, err
			}
			conds = append(conds, bson.D{{Key: path, Value: v}})
		case catalog.In:
			vals := bson.A{}
			for _, x := range f.Values {
				v, err := filterValue(field, f.Field, x)
				if err != nil {
					return nil, err
				}
				vals = append(vals, v)
			}
			conds = append(conds, bson.D{{Key: path, Value: bson.D{{Key: "$in", Value: vals}}}})
		case catalog.Gt, catalog.Gte, catalog.Lt, catalog.Lte:
			v, err := filterValue(field, f.Field, f.Value)
			if err != nil {
				return nil, err
			}
			conds = append(conds, bson.D{{Key: path, Value: bson.D{{Key: compareOps[f.Op], Value: v}}}})
		default:
			return nil, invalidQuery(f.Field, "未知的筛选操作", "unknown filter operator")
		}
	}
	return conds, nil
}

func filterValue(f catalog.Field, name string, v any) (any, error) {
	n, err := catalog.NormalizeValue(f, v)
	if err != nil {
		var val catalog.Validation
		val.Add(name, "type", "筛选值的类型不符", "the filter value has the wrong type")
		return nil, val.Err()
	}
	return ixValue(n), nil
}

// keyset is the condition for the documents after cursor cur in the order
// (field, _id), ascending or descending. Documents without the field (no
// value in ix) sort first, as MongoDB orders a missing value like null,
// below every other; comparison operators never match a missing value, so
// that range is spelled out ({f: null} matches a missing f).
func keyset(f catalog.Field, cur catalog.Cursor, desc bool) bson.D {
	gt := "$gt" // "after" in the sort direction
	if desc {
		gt = "$lt"
	}
	if f.Name == "" {
		return bson.D{{Key: "_id", Value: bson.D{{Key: gt, Value: cur.ID}}}}
	}
	p := ixPath(f)
	if cur.Value == nil {
		sameNull := bson.D{{Key: p, Value: nil}, {Key: "_id", Value: bson.D{{Key: gt, Value: cur.ID}}}}
		if desc {
			return sameNull // missing values come last in descending order
		}
		return bson.D{{Key: "$or", Value: bson.A{sameNull, bson.D{{Key: p, Value: bson.D{{Key: "$ne", Value: nil}}}}}}}
	}
	v := ixValue(cur.Value)
	or := bson.A{
		bson.D{{Key: p, Value: bson.D{{Key: gt, Value: v}}}},
		bson.D{{Key: p, Value: v}, {Key: "_id", Value: bson.D{{Key: gt, Value: cur.ID}}}},
	}
	if desc {
		or = append(or, bson.D{{Key: p, Value: nil}})
	}
	return bson.D{{Key: "$or", Value: or}}
}

// ixValue is the stored form of a normalised field value.
func ixValue(v any) any {
	if t, isTime := v.(time.Time); isTime {
		return bson.DateTime(t.UnixMilli())
	}
	return v
}

// cursorValue turns a stored ix value back into a cursor value.
func cursorValue(v bson.RawValue) any {
	switch v.Type {
	case bson.TypeString:
		return v.StringValue()
	case bson.TypeInt64:
		return v.Int64()
	case bson.TypeInt32:
		return int64(v.Int32())
	case bson.TypeBoolean:
		return v.Boolean()
	case bson.TypeDateTime:
		return v.Time().UTC()
	}
	return nil
}
