package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"dataportal/catalog/demo"
)

// BenchmarkHTTPLoad sends a bounded load (vegeta, loopback only) to a
// portal with the demo catalogue and reports, per kind of request, the
// latency percentiles and the share answered successfully at that rate.
// Run it alone: go test -run '^$' -bench HTTPLoad -benchtime 1x ./server/
func BenchmarkHTTPLoad(b *testing.B) {
	cfg := testConfig(b.TempDir())
	cfg.LoginPerIP = 1 << 30
	p := startBenchPortal(b, cfg)
	targets := []struct {
		name string
		path string
		hdr  http.Header
	}{
		{"search-zh", "/api/v1/search?q=" + url.QueryEscape("医学影像") + "&domain=medical&per_page=20", nil},
		{"dataset-json", "/api/v1/datasets/js-chest-ct-2026", nil},
		{"dataset-page", "/datasets/js-chest-ct-2026", http.Header{"Accept": {"text/html"}}},
		{"home-page", "/", http.Header{"Accept": {"text/html"}}},
	}
	const rate, seconds = 1000, 3
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			for b.Loop() {
				atk := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.MaxWorkers(64))
				tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: p + tg.path, Header: tg.hdr})
				var m vegeta.Metrics
				for res := range atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, seconds*time.Second, tg.name) {
					m.Add(res)
				}
				m.Close()
				b.ReportMetric(float64(m.Latencies.P50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(m.Latencies.P99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(m.Throughput, "req/s")
				b.ReportMetric(m.Success*100, "%ok")
			}
		})
	}
}

// startBenchPortal serves a portal with the demo catalogue and returns its
// base address.
func startBenchPortal(b *testing.B, cfg Config) string {
	b.Helper()
	app, err := Open(context.Background(), cfg, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	if err := demo.Load(context.Background(), app.Service(), io.Discard); err != nil {
		b.Fatal(err)
	}
	if err := app.Service().Reconcile(context.Background()); err != nil {
		b.Fatal(err)
	}
	ln, err := listenLoopback()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done; app.Close() })
	return "http://" + ln.Addr().String()
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
