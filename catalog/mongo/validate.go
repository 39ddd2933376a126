package mongo

import (
	"encoding/json"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"dataportal/catalog"
)

// maxDocSize is MongoDB's limit on a stored document (16 MiB).
const maxDocSize = 16 << 20

var (
	errNotJSONObject = catalog.E(catalog.KindInvalid, "文档必须是 JSON 对象", "the document must be a JSON object")
	errNestedTooDeep = catalog.E(catalog.KindInvalid, "文档嵌套层级过深", "the document is nested too deeply")
	errTooLarge      = catalog.E(catalog.KindInvalid, "文档过大（最多约 16 MB）", "the document is too large (at most about 16 MB)")
)

// prepare validates a document with the rules every backend applies
// (catalog.CheckDocument) and returns it in its stored form at revision rev.
func (c *collection) prepare(id string, rev int64, body json.RawMessage) (bson.Raw, error) {
	values, err := catalog.CheckDocument(c.schema, id, body)
	if err != nil {
		return nil, err
	}
	doc, err := jsonToBSON(body)
	switch {
	case errors.Is(err, errTooDeep):
		return nil, errNestedTooDeep
	case err != nil:
		return nil, errNotJSONObject
	}
	raw, err := bson.Marshal(bson.D{
		{Key: "_id", Value: id},
		{Key: "rev", Value: rev},
		{Key: "doc", Value: doc},
		{Key: "ix", Value: c.ixDoc(values)},
		{Key: "ixv", Value: c.fp},
	})
	if err != nil {
		return nil, catalog.Internal(err, "mongo: marshal document %q", id)
	}
	if len(raw) > maxDocSize {
		return nil, errTooLarge
	}
	return raw, nil
}

// indexValues computes the ix subdocument of a body written under an older
// schema (backfill): values of the wrong type are left out.
func (c *collection) indexValues(body json.RawMessage) bson.D {
	values, _, err := catalog.DocumentValues(c.schema, body)
	if err != nil {
		return bson.D{}
	}
	return c.ixDoc(values)
}

// ixDoc orders the index values as the schema declares its fields.
func (c *collection) ixDoc(values map[string]any) bson.D {
	ix := make(bson.D, 0, len(values))
	for _, f := range c.schema.Fields {
		if v, ok := values[f.Name]; ok {
			ix = append(ix, bson.E{Key: ixKey(f), Value: ixValue(v)})
		}
	}
	return ix
}
