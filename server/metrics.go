package server

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics holds the process's Prometheus collectors in its own registry
// (no global default registry).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// indexState is what the metrics read of the indexer (catalog.Service).
type indexState interface {
	IndexBacklog(ctx context.Context) (int64, time.Duration, error)
	IndexLeader() bool
}

func newMetrics(idx indexState) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_http_requests_total", Help: "HTTP requests by method, route and status.",
	}, []string{"method", "route", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "portal_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route"})
	m.reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBacklogCollector(idx))
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// backlogCollector reports the indexing backlog: how many datasets await
// indexing, how long the oldest has waited (the number to alert on: it
// grows while the search engine is down or the indexer is stuck), and
// whether this instance holds the indexer lease. The store is asked at
// most every few seconds, so frequent scrapes stay cheap.
type backlogCollector struct {
	pending, oldest, leader *prometheus.Desc
	idx                     indexState
	mu                      sync.Mutex
	at                      time.Time
	n, age                  float64
}

func newBacklogCollector(idx indexState) *backlogCollector {
	return &backlogCollector{
		pending: prometheus.NewDesc("portal_index_pending", "Datasets written to the store and not yet in the search index.", nil, nil),
		oldest:  prometheus.NewDesc("portal_index_pending_oldest_seconds", "Age of the oldest change not yet in the search index (0 when none waits).", nil, nil),
		leader:  prometheus.NewDesc("portal_indexer_leader", "1 if this instance holds the indexer lease (indexes for all instances), else 0.", nil, nil),
		idx:     idx,
	}
}

func (b *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.pending
	ch <- b.oldest
	ch <- b.leader
}

func (b *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.at) > 5*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, age, err := b.idx.IndexBacklog(ctx)
		cancel()
		if err == nil {
			b.n, b.age, b.at = float64(n), age.Seconds(), time.Now()
		}
	}
	leader := 0.0
	if b.idx.IndexLeader() {
		leader = 1
	}
	ch <- prometheus.MustNewConstMetric(b.pending, prometheus.GaugeValue, b.n)
	ch <- prometheus.MustNewConstMetric(b.oldest, prometheus.GaugeValue, b.age)
	ch <- prometheus.MustNewConstMetric(b.leader, prometheus.GaugeValue, leader)
}
