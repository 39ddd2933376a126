package mongo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Bodies are stored as BSON subdocuments, so that operators can read and
// query them with mongosh, and are converted by hand in both directions
// rather than through ExtJSON: the conversion must give back a JSON text that
// decodes to the same Go values as the one stored, and the generic
// converters do not (relaxed ExtJSON writes 1.0 as 1, and encoding/json
// turns every number into a float64 that cannot hold 2^53+1).
//
// The mapping:
//
//   - Objects become documents, keeping key order. A key that repeats keeps
//     its last value (as encoding/json does) at its first position.
//   - Integer literals become int32 or int64; numbers with a fraction or an
//     exponent become doubles. A double is written back with a fraction
//     ("1.0"), so a float stays a float. Literals that fit neither (integers
//     beyond int64, 1e400) are kept exactly as {"%n": "<literal>"}.
//   - Strings, booleans and null map to themselves.
//   - Keys that MongoDB or FerretDB reject or mangle are escaped
//     reversibly: '%' → %25, '.' → %2E, NUL → %00, a leading '$' → %24, and
//     the empty key → "%". Ordinary keys are stored unchanged.
//   - An array directly inside an array (FerretDB v1 rejects nested arrays)
//     is stored as {"%a": [...]}.
//
// A key starting with '%' can only come from escaping, so the markers "%n"
// and "%a" cannot be confused with user data.

// maxDepth bounds the nesting of a body: MongoDB rejects documents nested
// more than 100 levels, and the body sits one level below the stored
// document (markers add at most one more per array).
const maxDepth = 64

const (
	markNumber = "%n"
	markArray  = "%a"
)

var (
	errNotObject = errors.New("the body is not a JSON object")
	errTooDeep   = errors.New("the body is nested too deeply")
)

// jsonToBSON converts a JSON object to a BSON document.
func jsonToBSON(body []byte) (bson.D, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	d, err := readObject(dec, 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotObject // trailing data
	}
	return d, nil
}

func readObject(dec *json.Decoder, depth int) (bson.D, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	d := bson.D{}
	var seen map[string]int
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errNotObject
		}
		key := escapeKey(tok.(string))
		v, err := readValue(dec, depth, false)
		if err != nil {
			return nil, err
		}
		if seen == nil {
			seen = map[string]int{}
		}
		if i, ok := seen[key]; ok {
			d[i].Value = v
			continue
		}
		seen[key] = len(d)
		d = append(d, bson.E{Key: key, Value: v})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, errNotObject
	}
	return d, nil
}

func readValue(dec *json.Decoder, depth int, inArray bool) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, errNotObject
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return readObject(dec, depth+1)
		case '[':
			a, err := readArray(dec, depth+1)
			if err != nil {
				return nil, err
			}
			if inArray {
				return bson.D{{Key: markArray, Value: a}}, nil
			}
			return a, nil
		}
		return nil, errNotObject
	case json.Number:
		return number(string(t)), nil
	case string, bool, nil:
		return t, nil
	}
	return nil, errNotObject
}

func readArray(dec *json.Decoder, depth int) (bson.A, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	a := bson.A{}
	for dec.More() {
		v, err := readValue(dec, depth, true)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, errNotObject
	}
	return a, nil
}

// number converts a JSON number literal (already checked by the decoder).
func number(s string) any {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i >= math.MinInt32 && i <= math.MaxInt32 {
				return int32(i)
			}
			return i
		}
		return bson.D{{Key: markNumber, Value: s}}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil { // out of range: ±Inf, which BSON servers reject
		return bson.D{{Key: markNumber, Value: s}}
	}
	return f
}

// escapeKey makes a JSON key safe as a BSON key; see the mapping above.
func escapeKey(k string) string {
	if k == "" {
		return "%"
	}
	if !strings.ContainsAny(k, "%.\x00") && k[0] != '$' {
		return k
	}
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '%' || c == '.' || c == 0 || (c == '$' && i == 0):
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescapeKey reverses escapeKey.
func unescapeKey(k string) (string, error) {
	if k == "%" {
		return "", nil
	}
	if !strings.Contains(k, "%") {
		return k, nil
	}
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		if k[i] != '%' {
			b.WriteByte(k[i])
			continue
		}
		if i+2 >= len(k) {
			return "", fmt.Errorf("bad escaped key %q", k)
		}
		n, err := strconv.ParseUint(k[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escaped key %q", k)
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

// bsonToJSON converts a stored body back to JSON.
func bsonToJSON(doc bson.Raw) (json.RawMessage, error) {
	w := jsonWriter{}
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	if err := w.document(doc); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

type jsonWriter struct {
	buf bytes.Buffer
	enc *json.Encoder
	num []byte
}

func (w *jsonWriter) string(s string) {
	_ = w.enc.Encode(s) // strings cannot fail to encode
	w.buf.Truncate(w.buf.Len() - 1)
}

func (w *jsonWriter) document(doc bson.Raw) error {
	elems, err := doc.Elements()
	if err != nil {
		return err
	}
	w.buf.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		k, err := unescapeKey(e.Key())
		if err != nil {
			return err
		}
		w.string(k)
		w.buf.WriteByte(':')
		if err := w.value(e.Value()); err != nil {
			return err
		}
	}
	w.buf.WriteByte('}')
	return nil
}

func (w *jsonWriter) value(v bson.RawValue) error {
	switch v.Type {
	case bson.TypeString:
		w.string(v.StringValue())
	case bson.TypeInt32:
		w.buf.Write(strconv.AppendInt(w.num[:0], int64(v.Int32()), 10))
	case bson.TypeInt64:
		w.buf.Write(strconv.AppendInt(w.num[:0], v.Int64(), 10))
	case bson.TypeDouble:
		w.float(v.Double())
	case bson.TypeBoolean:
		if v.Boolean() {
			w.buf.WriteString("true")
		} else {
			w.buf.WriteString("false")
		}
	case bson.TypeNull:
		w.buf.WriteString("null")
	case bson.TypeEmbeddedDocument:
		d := v.Document()
		if m, ok := marker(d); ok {
			switch m.Key() {
			case markNumber:
				s, ok := m.Value().StringValueOK()
				if !ok || !json.Valid([]byte(s)) {
					return fmt.Errorf("bad number marker %s", d)
				}
				w.buf.WriteString(s)
				return nil
			case markArray:
				a, ok := m.Value().ArrayOK()
				if !ok {
					return fmt.Errorf("bad array marker %s", d)
				}
				return w.array(a)
			}
		}
		return w.document(d)
	case bson.TypeArray:
		return w.array(v.Array())
	case bson.TypeDateTime:
		// Not written by this package; an operator may have set one.
		w.string(v.Time().UTC().Format(time.RFC3339Nano))
	default:
		return fmt.Errorf("unsupported BSON type %s in a stored body", v.Type)
	}
	return nil
}

func (w *jsonWriter) array(a bson.RawArray) error {
	vals, err := a.Values()
	if err != nil {
		return err
	}
	w.buf.WriteByte('[')
	for i, v := range vals {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		if err := w.value(v); err != nil {
			return err
		}
	}
	w.buf.WriteByte(']')
	return nil
}

// marker returns the single element of a one-element document whose key is
// a marker.
func marker(d bson.Raw) (bson.RawElement, bool) {
	e, err := d.IndexErr(0)
	if err != nil || (e.Key() != markNumber && e.Key() != markArray) {
		return nil, false
	}
	if _, err := d.IndexErr(1); err == nil {
		return nil, false
	}
	return e, true
}

// float writes a double as encoding/json does, plus ".0" when the result
// would read as an integer, so that the value stays a float.
func (w *jsonWriter) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		w.buf.WriteString("null") // JSON has no such numbers; not written by this package
		return
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(w.num[:0], f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	} else if !bytes.ContainsAny(b, ".") {
		b = append(b, '.', '0')
	}
	w.num = b
	w.buf.Write(b)
}
