package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The document rules every storage backend applies before writing, defined
// once here so that a body one backend accepts, every backend accepts.

// MaxIDLen bounds document ids, which are primary keys and appear in URLs.
const MaxIDLen = 200

var fieldTypeNames = map[FieldType]Text{
	String: T("字符串", "a string"),
	Int:    T("整数", "an integer"),
	Bool:   T("布尔值", "a boolean"),
	Time:   T("RFC 3339 时间", "an RFC 3339 time"),
}

var errNotObject = E(KindInvalid, "文档必须是 JSON 对象", "the document must be a JSON object")

// CheckID validates a document id: not empty, valid UTF-8, at most MaxIDLen bytes.
func CheckID(id string) error {
	var v Validation
	switch {
	case id == "":
		v.Add("id", "required", "标识不能为空", "the id must not be empty")
	case len(id) > MaxIDLen:
		v.Add("id", "too_long", "标识过长（最多 200 字节）", "the id is too long (at most 200 bytes)")
	case !utf8.ValidString(id):
		v.Add("id", "encoding", "标识必须是有效的 UTF-8 文本", "the id must be valid UTF-8")
	}
	return v.Err()
}

// DocumentValues decodes body once and reads every declared field: the
// values of the fields present, in their Go types (string, int64, bool,
// time.Time), and a field error for each value of the wrong type. It fails
// only if body is not a JSON object.
func DocumentValues(s Schema, body json.RawMessage) (map[string]any, []FieldError, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, nil, errNotObject
	}
	values := make(map[string]any, len(s.Fields))
	var bad []FieldError
	for _, f := range s.Fields {
		raw, ok := lookupPath(m, f.Name)
		if !ok {
			continue
		}
		v, err := NormalizeValue(f, numberValue(raw))
		if err != nil {
			n := fieldTypeNames[f.Type]
			bad = append(bad, FieldError{Field: f.Name, Code: "type", Message: T("应为"+n.Zh, "must be "+n.En)})
			continue
		}
		values[f.Name] = v
	}
	return values, bad, nil
}

// CheckDocument applies the rules of a write: a valid id; a JSON object
// body; each declared field, where present, of its declared type; each
// unique field present and not an empty string. It returns the values of
// the declared fields (see DocumentValues).
func CheckDocument(s Schema, id string, body json.RawMessage) (map[string]any, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	values, bad, err := DocumentValues(s, body)
	if err != nil {
		return nil, err
	}
	v := Validation{Fields: bad}
	for _, f := range s.Fields {
		if !f.Unique {
			continue
		}
		if val, ok := values[f.Name]; !ok || val == "" {
			if _, wrongType := findField(bad, f.Name); !wrongType {
				v.Add(f.Name, "required", "必填且不能为空", "is required and must not be empty")
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return values, nil
}

func findField(fs []FieldError, name string) (FieldError, bool) {
	for _, f := range fs {
		if f.Field == name {
			return f, true
		}
	}
	return FieldError{}, false
}

// ExtractField returns the value of one declared field of a JSON body (see
// DocumentValues) and whether it is present and non-null.
func ExtractField(body json.RawMessage, f Field) (any, bool, error) {
	values, bad, err := DocumentValues(Schema{Fields: []Field{f}}, body)
	if err != nil {
		return nil, false, fmt.Errorf("document body is not a JSON object")
	}
	if len(bad) > 0 {
		return nil, false, fmt.Errorf("field %s: %s", f.Name, bad[0].Message.En)
	}
	v, ok := values[f.Name]
	return v, ok, nil
}

// lookupPath follows a dotted path through decoded JSON objects; a null
// value counts as absent.
func lookupPath(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = obj[part]
		if !ok || cur == nil {
			return nil, false
		}
	}
	return cur, true
}

// numberValue turns a JSON number into int64 when it is integral, else float64.
func numberValue(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return v
}

// FieldTypeName names a field type for error messages.
func FieldTypeName(t FieldType) Text { return fieldTypeNames[t] }
