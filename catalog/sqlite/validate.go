package sqlite

import (
	"bytes"
	"encoding/json"

	"dataportal/catalog"
)

func checkID(id string) error { return catalog.CheckID(id) }

// validate checks a body against the schema with the rules every backend
// applies (catalog.CheckDocument) and returns it compacted.
func (c *collection) validate(id string, body json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, body); err != nil || buf.Len() == 0 || buf.Bytes()[0] != '{' {
		return nil, catalog.E(catalog.KindInvalid, "文档必须是 JSON 对象", "the document must be a JSON object")
	}
	if _, err := catalog.CheckDocument(c.schema, id, buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
