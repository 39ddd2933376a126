package mongo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"dataportal/catalog"
)

// Compound indexes follow the schema: created when first declared, also on
// a collection that exists (the schema record changes, the fingerprint does
// not, so no document is rewritten), kept when already there, dropped when
// no longer declared.
func TestCompoundIndexes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	fields := []catalog.Field{{Name: "g", Type: catalog.String}, {Name: "n", Type: catalog.Int}, {Name: "o.id", Type: catalog.String}}
	c := mustCollection(t, s, catalog.Schema{Name: "cx", Fields: fields})
	for i := range 6 {
		mustInsert(t, c, fmt.Sprint("d", i), fmt.Sprintf(`{"g":"%c","n":%d,"o":{"id":"o%d"}}`, 'a'+i%2, i, i%3))
	}
	for i, tc := range []struct {
		compound [][]string
		want     string
	}{
		{[][]string{{"g", "n"}}, `[cx_g+n{ix.g:1 ix.n:1 _id:1}]`},
		{[][]string{{"g", "n"}, {"o.id", "n", "g"}, {"g", "n"}},
			`[cx_g+n{ix.g:1 ix.n:1 _id:1} cx_o-id+n+g{ix.o-id:1 ix.n:1 ix.g:1 _id:1}]`},
		{[][]string{{"o.id", "n", "g"}}, `[cx_o-id+n+g{ix.o-id:1 ix.n:1 ix.g:1 _id:1}]`},
		{nil, `[]`},
	} {
		sc := catalog.Schema{Name: "cx", Fields: fields, Compound: tc.compound}
		c := mustCollection(t, s, sc)
		specs, err := s.db.Collection("cx").Indexes().ListSpecifications(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sp := range specs {
			if !strings.HasPrefix(sp.Name, "cx_") {
				continue
			}
			var keys bson.D
			if err := bson.Unmarshal(sp.KeysDocument, &keys); err != nil {
				t.Fatal(err)
			}
			var ks []string
			for _, k := range keys {
				ks = append(ks, fmt.Sprintf("%s:%v", k.Key, k.Value))
			}
			got = append(got, sp.Name+"{"+strings.Join(ks, " ")+"}")
		}
		sort.Strings(got)
		if fmt.Sprint(got) != tc.want {
			t.Fatalf("step %d: compound indexes %v, want %s", i, got, tc.want)
		}
		var rec schemaRecord
		if err := s.db.Collection(schemasCollection).FindOne(ctx, bson.D{{Key: "_id", Value: "cx"}}).Decode(&rec); err != nil {
			t.Fatal(err)
		}
		if !sameRecord(rec, record(sc)) || rec.Fingerprint != fingerprint(catalog.Schema{Name: "cx", Fields: fields}) {
			t.Fatalf("step %d: recorded schema %+v", i, rec)
		}
		if n, err := c.Count(ctx, catalog.Where("g", "a")); err != nil || n != 3 {
			t.Fatalf("step %d: Count = %d, %v; want 3", i, n, err)
		}
	}
}
