package sqlite_test

import (
	"testing"

	"dataportal/catalog"
	"dataportal/catalog/catalogtest"
)

// BenchmarkStore100k measures get, update and find-by-index latencies at the
// scale of a province's catalogue (10^5 datasets).
func BenchmarkStore100k(b *testing.B) {
	catalogtest.BenchmarkStore(b, func(b *testing.B) catalog.Store { return open(b, b.TempDir()) }, 100_000)
}
