package mongo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"dataportal/catalog"
	"dataportal/catalog/mongo/mongotest"
)

// bodies that must survive JSON → BSON → JSON with the same values.
var roundTripBodies = []struct {
	name string
	json string
}{
	{"empty", `{}`},
	{"scalars", `{"s":"x","t":true,"f":false,"n":null}`},
	{"floats", `{"a":0.1,"b":1.0,"c":-2.5e-10,"d":1e21,"e":1.7976931348623157e308,"f":5e-324,"g":100.0,"h":1e2,"i":-0.0,"j":123456.789}`},
	{"ints", `{"zero":0,"neg":-1,"i32":2147483647,"i32min":-2147483648,"over32":2147483648,"max64":9223372036854775807,"min64":-9223372036854775808,"2^53+1":9007199254740993}`},
	{"beyond int64 and float64", `{"u64":18446744073709551615,"huge":123456789012345678901234567890,"neghuge":-99999999999999999999,"inf":1e400,"tiny":1e-400}`},
	{"nested", `{"a":{"b":{"c":{"d":[1,{"e":"f"}]}}},"owner":{"id":"org-1"}}`},
	{"arrays", `{"empty":[],"mixed":[1,"x",true,null,{"k":[]},2.5],"nested":[[1,2],[],[[3],[4,[5]]]],"objs":[{"a":[[1]]}]}`},
	{"unicode", `{"中文":"江苏省胸部CT影像数据集","emoji":"😀","sep":"\u2028\u2029","esc":"tab\tnl\nquote\"back\\slash","nul":"a\u0000b","ctl":"\u0001\u001f","html":"<a href='x'>&amp;</a>"}`},
	{"dollars and dots in values", `{"op":"$set","path":"a.b.c","both":"$x.y","pct":"100%","ref":"$ref"}`},
	{"awkward keys", `{"a.b":1,"$x":2,"":3,"%":4,"%2E":5,"x$":6,"k\u0000":7,"_id":8,"$":9,".":10,"%%":11,"nested":{"$ref":"x","c.d":{"":[{"$e":1}]}}}`},
	{"marker look-alikes", `{"%n":"1","%a":[1],"x":{"%n":"2"},"y":[{"%a":[[1]]}]}`},
}

// canon decodes JSON into comparable values: objects as maps, integers as
// exact big.Int strings, other numbers as their float64 value, and records
// which numbers were written as floats, so that an int turned into a double
// (or the reverse) is a difference.
func canon(t *testing.T, s []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case json.Number:
			if !strings.ContainsAny(string(x), ".eE") {
				n, ok := new(big.Int).SetString(string(x), 10)
				if !ok {
					t.Fatalf("bad integer %s", x)
				}
				return "int:" + n.String()
			}
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return "float-literal:" + string(x) // out of range: kept exactly
			}
			return fmt.Sprintf("float:%v", f)
		}
		return v
	}
	return walk(v)
}

func TestBodyRoundTrip(t *testing.T) {
	for _, tc := range roundTripBodies {
		t.Run(tc.name, func(t *testing.T) {
			d, err := jsonToBSON([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := bson.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			back, err := bsonToJSON(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(back) {
				t.Fatalf("not JSON: %s", back)
			}
			if got, want := canon(t, back), canon(t, []byte(tc.json)); !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip changed the body:\n got %s\nwant %s", back, tc.json)
			}
		})
	}
}

func TestBodyExactText(t *testing.T) {
	// Key order, float-ness and exact integers are kept; only insignificant
	// spaces go.
	in := `{"b": 1, "a": {"y": "x", "x": [1, 2.5, 1.0, "s", [true]]}, "big": 9007199254740993, "f": 3.0e0}`
	want := `{"b":1,"a":{"y":"x","x":[1,2.5,1.0,"s",[true]]},"big":9007199254740993,"f":3.0}`
	d, err := jsonToBSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := bson.Marshal(d)
	got, err := bsonToJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// A repeated key keeps its last value, as encoding/json does.
	d, _ = jsonToBSON([]byte(`{"a":1,"b":2,"a":3}`))
	raw, _ = bson.Marshal(d)
	got, _ = bsonToJSON(raw)
	if string(got) != `{"a":3,"b":2}` {
		t.Fatalf("repeated key: got %s", got)
	}
}

func TestBodyStoredForm(t *testing.T) {
	// What operators see in mongosh: ordinary keys and values unchanged.
	d, err := jsonToBSON([]byte(`{"title":"x","size":{"records":12000,"bytes":53687091200},"ratio":0.5,"a.b":1,"m":[[1]]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := bson.D{
		{Key: "title", Value: "x"},
		{Key: "size", Value: bson.D{{Key: "records", Value: int32(12000)}, {Key: "bytes", Value: int64(53687091200)}}},
		{Key: "ratio", Value: 0.5},
		{Key: "a%2Eb", Value: int32(1)},
		{Key: "m", Value: bson.A{bson.D{{Key: "%a", Value: bson.A{int32(1)}}}}},
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("stored form:\n got %#v\nwant %#v", d, want)
	}
}

func TestBodyRejects(t *testing.T) {
	deep := strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1)
	deepArr := `{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "}"
	for _, tc := range []struct {
		in   string
		want error
	}{
		{``, errNotObject},
		{`[1,2]`, errNotObject},
		{`"s"`, errNotObject},
		{`null`, errNotObject},
		{`{"a":1} {"b":2}`, errNotObject},
		{`{"a":1`, errNotObject},
		{`{"a":}`, errNotObject},
		{deep, errTooDeep},
		{deepArr, errTooDeep},
	} {
		if _, err := jsonToBSON([]byte(tc.in)); !errors.Is(err, tc.want) {
			t.Errorf("jsonToBSON(%.40s): %v, want %v", tc.in, err, tc.want)
		}
	}
}

func TestKeyEscaping(t *testing.T) {
	for _, k := range []string{"", "%", "a.b", "$x", "x$", "%2E", "a\x00b", "中.文", "..", "$$", "plain_key"} {
		e := escapeKey(k)
		if strings.ContainsAny(e, ".\x00") || strings.HasPrefix(e, "$") || e == "" {
			t.Errorf("escapeKey(%q) = %q, not a safe BSON key", k, e)
		}
		back, err := unescapeKey(e)
		if err != nil || back != k {
			t.Errorf("unescapeKey(escapeKey(%q)) = %q, %v", k, back, err)
		}
	}
	if escapeKey("plain_key") != "plain_key" {
		t.Error("an ordinary key was escaped")
	}
	for _, bad := range []string{"%2", "%zz", "a%"} {
		if _, err := unescapeKey(bad); err == nil {
			t.Errorf("unescapeKey(%q) accepted a malformed key", bad)
		}
	}
}

// TestBodyThroughServer stores every body on the test server and reads it
// back: the server (FerretDB in particular) must not alter what the
// conversion produced.
func TestBodyThroughServer(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, mongotest.URI(t), mongotest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Collection(ctx, catalog.Schema{Name: "bodies"})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range roundTripBodies {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprint("b", i)
			if _, err := c.Insert(ctx, id, json.RawMessage(tc.json)); err != nil {
				t.Fatal(err)
			}
			d, err := c.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := canon(t, []byte(tc.json))
			if tc.name == "floats" && s.claims {
				// -0.0: FerretDB stores negative zero as +0 (MongoDB keeps it).
				want.(map[string]any)["i"] = canon(t, []byte(`{"i":0.0}`)).(map[string]any)["i"]
			}
			if got := canon(t, d.Body); !reflect.DeepEqual(got, want) {
				t.Fatalf("stored body changed:\n got %s\nwant %s", d.Body, tc.json)
			}
		})
	}
}
