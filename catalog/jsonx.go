package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data, and turns every failure into an Invalid error that names
// the field, so clients learn what to fix and never see a 500.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Kind: KindInvalid, Message: T("JSON 之后还有多余内容", "unexpected data after the JSON value")}
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &Error{Kind: KindInvalid, Message: T("请求体为空，需要 JSON 对象", "the request body is empty; a JSON object is required")}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Kind: KindInvalid, Message: T("JSON 不完整", "the JSON is incomplete")}
	case errors.As(err, &syn):
		return &Error{Kind: KindInvalid, Message: T(fmt.Sprintf("JSON 格式错误（第 %d 字节附近）", syn.Offset), fmt.Sprintf("malformed JSON near byte %d", syn.Offset))}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &Error{Kind: KindInvalid, Message: T("请求体须为 JSON 对象", "the request body must be a JSON object")}
		}
		want := jsonTypeName(typ.Type.Kind().String())
		return &Error{Kind: KindInvalid, Message: T("字段类型错误", "a field has the wrong type"), Fields: []FieldError{{
			Field: field, Code: "type",
			Message: T("应为"+want.Zh+"，而不是 "+typ.Value, "must be "+want.En+", not "+typ.Value),
		}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Kind: KindInvalid, Message: T("包含未知或不可修改的字段", "unknown or read-only field"), Fields: []FieldError{{
			Field: name, Code: "unknown", Message: T("未知或不可修改的字段", "unknown or read-only field"),
		}}}
	}
	return &Error{Kind: KindInvalid, Message: T("无法解析 JSON", "the JSON cannot be read")}
}

func jsonTypeName(kind string) Text {
	switch kind {
	case "string":
		return T("字符串", "a string")
	case "bool":
		return T("布尔值", "a boolean")
	case "slice", "array":
		return T("数组", "an array")
	case "struct", "map":
		return T("对象", "an object")
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return T("整数", "an integer")
	case "float32", "float64":
		return T("数字", "a number")
	}
	return T(kind, kind)
}

// mergePatch applies an RFC 7396 JSON merge patch to target.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}
