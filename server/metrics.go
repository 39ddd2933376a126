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

func newMetrics(pending func(context.Context) (int64, error)) *metrics {
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
		newPendingCollector(pending))
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// pendingCollector reports the number of datasets awaiting indexing. The
// count is cached for a few seconds so frequent scrapes stay cheap.
type pendingCollector struct {
	desc  *prometheus.Desc
	count func(context.Context) (int64, error)
	mu    sync.Mutex
	at    time.Time
	value float64
}

func newPendingCollector(count func(context.Context) (int64, error)) *pendingCollector {
	return &pendingCollector{
		desc:  prometheus.NewDesc("portal_index_pending", "Datasets written to the store and not yet in the search index.", nil, nil),
		count: count,
	}
}

func (p *pendingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }

func (p *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.at) > 5*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, err := p.count(ctx)
		cancel()
		if err == nil {
			p.value, p.at = float64(n), time.Now()
		}
	}
	ch <- prometheus.MustNewConstMetric(p.desc, prometheus.GaugeValue, p.value)
}
