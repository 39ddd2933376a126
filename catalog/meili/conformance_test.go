package meili_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"dataportal/catalog"
	"dataportal/catalog/catalogtest"
	"dataportal/catalog/meili"
)

// EnvURL and EnvKey point the conformance suite at a real Meilisearch:
//
//	PORTAL_MEILI_URL=http://127.0.0.1:7700 PORTAL_MEILI_KEY=… go test ./catalog/meili/ -run Conformance
//
// Each test gets its own index (dataportal_test_<random>), deleted when it
// ends.
const (
	EnvURL = "PORTAL_MEILI_URL"
	EnvKey = "PORTAL_MEILI_KEY"
)

func TestConformance(t *testing.T) {
	url := os.Getenv(EnvURL)
	if url == "" {
		t.Skip("PORTAL_MEILI_URL not set")
	}
	catalogtest.TestIndex(t, func(t *testing.T) catalog.Index {
		uid := "dataportal_test_" + randomHex(t)
		x, err := meili.New(meili.Options{URL: url, Key: os.Getenv(EnvKey), Index: uid})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := x.Drop(ctx); err != nil {
				t.Errorf("drop %s: %v", uid, err)
			}
			_ = x.Close()
		})
		return x
	})
}

func BenchmarkSearch10k(b *testing.B) {
	url := os.Getenv(EnvURL)
	if url == "" {
		b.Skip("PORTAL_MEILI_URL not set")
	}
	catalogtest.BenchmarkIndex(b, func(b *testing.B) catalog.Index {
		uid := "dataportal_bench_" + randomHex(b)
		x, err := meili.New(meili.Options{URL: url, Key: os.Getenv(EnvKey), Index: uid})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = x.Drop(ctx)
			_ = x.Close()
		})
		return x
	}, 10_000)
}

func randomHex(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
