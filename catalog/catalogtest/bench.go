package catalogtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataportal/catalog"
)

// storeBenchSchema is shaped like the dataset collection: a unique slug, the
// fields the portal filters and sorts listings on, and compound indexes for
// the listings of one publisher or domain, latest first.
var storeBenchSchema = catalog.Schema{
	Name: "bench_datasets",
	Fields: []catalog.Field{
		{Name: "slug", Type: catalog.String, Unique: true},
		{Name: "publisher", Type: catalog.String},
		{Name: "domain", Type: catalog.String},
		{Name: "tier", Type: catalog.Int},
		{Name: "status", Type: catalog.String},
		{Name: "updated_at", Type: catalog.Time},
	},
	Compound: [][]string{{"domain", "updated_at"}, {"publisher", "updated_at"}},
}

// Spreads of the benchmark documents: a publisher holds n/storeBenchPublishers
// datasets, a domain n/len(storeBenchDomains).
const storeBenchPublishers = 500

var storeBenchDomains = []string{"health", "transport", "energy", "finance", "education", "environment",
	"agriculture", "culture", "justice", "science", "urban", "water"}

var storeBenchStatuses = []string{"draft", "published", "withdrawn"}

type storeBenchDataset struct {
	Slug        string    `json:"slug"`
	Title       string    `json:"title"`
	TitleEn     string    `json:"title_en"`
	Description string    `json:"description"`
	Publisher   string    `json:"publisher"`
	Domain      string    `json:"domain"`
	Tier        int       `json:"tier"`
	Status      string    `json:"status"`
	License     string    `json:"license"`
	Keywords    []string  `json:"keywords"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Files       []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
		Hash string `json:"sha256"`
	} `json:"files"`
	Contact struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"contact"`
}

const storeBenchFiller = "本数据集收录医学影像与临床随访记录，经脱敏处理后按季度更新。" +
	"The dataset collects imaging studies and follow-up records, de-identified and updated quarterly. "

// storeBenchDoc builds dataset i at edit version v, about 2 KB of JSON.
func storeBenchDoc(i, v int) []byte {
	d := storeBenchDataset{
		Slug:        fmt.Sprintf("ds-%06d", i),
		Title:       fmt.Sprintf("医学影像数据集 %d", i),
		TitleEn:     fmt.Sprintf("Medical imaging dataset %d", i),
		Description: strings.Repeat(storeBenchFiller, 5),
		Publisher:   fmt.Sprintf("org-%03d", i%storeBenchPublishers),
		Domain:      storeBenchDomains[(i/storeBenchPublishers)%len(storeBenchDomains)],
		Tier:        i % 4,
		Status:      storeBenchStatuses[(i+v)%len(storeBenchStatuses)],
		License:     "CC-BY-4.0",
		Keywords:    []string{"影像", "imaging", fmt.Sprint("k", i%97)},
		CreatedAt:   base.Add(time.Duration(i) * time.Minute),
		// Millisecond-distinct, in an order unrelated to i.
		UpdatedAt: base.Add(time.Duration((i*7919)%1_000_003)*time.Second + time.Duration(v)*time.Millisecond),
	}
	d.Files = make([]struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
		Hash string `json:"sha256"`
	}, 3)
	for j := range d.Files {
		d.Files[j].Name = fmt.Sprintf("part-%d.csv", j)
		d.Files[j].Size = int64(i*1000 + j)
		d.Files[j].Hash = strings.Repeat(fmt.Sprintf("%02x", (i+j)%256), 32)
	}
	d.Contact.Name = "数据管理员"
	d.Contact.Email = fmt.Sprintf("data%d@example.cn", i%storeBenchPublishers)
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkStore measures the storage operations the portal's pages depend
// on, on a store holding n dataset-like documents of about 2 KB: Get by id,
// Replace with a revision check, and FindByIndex (the 50 latest datasets of
// one publisher: equality on one indexed field, sorted on another);
// FindByIndexBroad does the same on a field that matches 1/12 of the
// collection. Both are served by a compound index (field, updated_at), so
// neither should cost more than reading its page. The documents are loaded
// once, by 32 concurrent inserters, before the sub-benchmarks run; the load
// rate is logged. Besides ns/op each sub-benchmark reports the median and
// 99th-percentile latency of the store call alone (p50-µs, p99-µs), since
// tail latency is what a page waiting on the store feels.
func BenchmarkStore(b *testing.B, newStore func(b *testing.B) catalog.Store, n int) {
	ctx := context.Background()
	s := newStore(b)
	c, err := s.Collection(ctx, storeBenchSchema)
	if err != nil {
		b.Fatal(err)
	}

	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	// Many concurrent loaders, as a bulk import should use: a backend that
	// groups concurrent writes into one commit (SQLite does) then pays one
	// sync per group instead of one per document.
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if _, err := c.Insert(ctx, storeBenchID(i), storeBenchDoc(i, 0)); err != nil {
					select {
					case errs <- fmt.Errorf("insert %d: %w", i, err):
					default:
					}
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	load := time.Since(start)
	b.Logf("%s: loaded %d documents in %v (%.0f inserts/s)", s.Backend(), n, load.Round(time.Millisecond), float64(n)/load.Seconds())

	revs := make([]int64, n) // current revision of each document
	for i := range revs {
		revs[i] = 1
	}
	versions := make([]int, n)

	b.Run("Get", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 1))
		lat := make([]time.Duration, 0, 1<<16)
		for b.Loop() {
			id := storeBenchID(rng.IntN(n))
			t0 := time.Now()
			d, err := c.Get(ctx, id)
			lat = append(lat, time.Since(t0))
			if err != nil || d.ID != id {
				b.Fatalf("Get(%s): %v", id, err)
			}
		}
		reportStoreLatency(b, lat)
	})

	b.Run("Replace", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(2, 2))
		lat := make([]time.Duration, 0, 1<<14)
		for b.Loop() {
			i := rng.IntN(n)
			versions[i]++
			body := storeBenchDoc(i, versions[i])
			t0 := time.Now()
			d, err := c.Replace(ctx, storeBenchID(i), revs[i], body)
			lat = append(lat, time.Since(t0))
			if err != nil {
				b.Fatalf("Replace(%s, %d): %v", storeBenchID(i), revs[i], err)
			}
			revs[i] = d.Rev
		}
		reportStoreLatency(b, lat)
	})

	find := func(field string, value func(rng *rand.Rand) string) func(b *testing.B) {
		return func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 3))
			lat := make([]time.Duration, 0, 1<<14)
			want := min(50, n/storeBenchPublishers)
			for b.Loop() {
				q := catalog.Query{Filters: []catalog.Filter{catalog.Where(field, value(rng))}, Sort: "updated_at", Desc: true, Limit: 50}
				t0 := time.Now()
				p, err := c.Find(ctx, q)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Docs) < want {
					b.Fatalf("Find %s: %d docs, want %d", field, len(p.Docs), want)
				}
			}
			reportStoreLatency(b, lat)
		}
	}
	b.Run("FindByIndex", find("publisher", func(rng *rand.Rand) string {
		return fmt.Sprintf("org-%03d", rng.IntN(min(n, storeBenchPublishers)))
	}))
	b.Run("FindByIndexBroad", find("domain", func(rng *rand.Rand) string {
		return storeBenchDomains[rng.IntN(min(len(storeBenchDomains), max(1, n/storeBenchPublishers)))]
	}))
}

func storeBenchID(i int) string { return fmt.Sprintf("d%06d", i) }

// reportStoreLatency adds the median and 99th percentile of one operation's
// latencies to the benchmark's output.
func reportStoreLatency(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
