// Package server is the HTTP side of the portal: the Fiber app with the JSON
// API under /api/v1, its middleware, the one error handler, configuration
// and the wiring of store, index, ACL and service (used by cmd/portal and
// by end-to-end tests alike).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dataportal/acl"
	"dataportal/catalog"
	"dataportal/catalog/bleve"
	"dataportal/catalog/meili"
	"dataportal/catalog/mongo"
	"dataportal/catalog/smtpmail"
	"dataportal/catalog/sqlite"
	"dataportal/frontend"
)

// App is a wired portal: store, index, ACL, service and the HTTP app.
type App struct {
	cfg      Config
	log      *slog.Logger
	store    catalog.Store
	index    catalog.Index
	acl      *acl.ACL
	svc      *catalog.Service
	fiber    *fiber.App
	metrics  *metrics
	frontend *frontend.Frontend
	openapi  []byte

	closeOnce sync.Once
}

// OpenStore opens the store the configuration names: MongoDB when a URI is
// set, else SQLite under the data directory.
func OpenStore(ctx context.Context, cfg Config) (catalog.Store, error) {
	if cfg.MongoURI != "" {
		return mongo.Open(ctx, cfg.MongoURI, cfg.MongoDB)
	}
	return sqlite.Open(ctx, cfg.DataDir, sqlite.Options{})
}

// OpenIndex opens the search index the configuration names.
func OpenIndex(cfg Config) (catalog.Index, error) {
	if cfg.MeiliURL != "" {
		x, err := meili.New(meili.Options{URL: cfg.MeiliURL, Key: cfg.MeiliKey, Index: cfg.MeiliIndex})
		if err != nil {
			return nil, err
		}
		return x, nil
	}
	return bleve.Open(filepath.Join(cfg.DataDir, "index"))
}

// NewService builds the catalogue service over a store and an index.
func NewService(ctx context.Context, cfg Config, log *slog.Logger, store catalog.Store, index catalog.Index) (*catalog.Service, *acl.ACL, error) {
	a, err := acl.New()
	if err != nil {
		return nil, nil, err
	}
	var mailer catalog.Mailer // nil: in-app notifications only
	if cfg.SMTPURL != "" {
		m, err := smtpmail.Parse(cfg.SMTPURL)
		if err != nil {
			return nil, nil, fmt.Errorf("PORTAL_SMTP_URL: %w", err)
		}
		mailer = m
	}
	blobs, err := OpenBlobs(ctx, cfg, store)
	if err != nil {
		return nil, nil, err
	}
	svc, err := catalog.NewService(ctx, catalog.Options{
		Store: store, Index: index, Authorizer: a, Logger: log, Now: cfg.Now, Mailer: mailer,
		Blobs: blobs, UploadLimit: cfg.UploadLimit, Instance: InstanceName(), Scratch: bleve.Scratch,
		SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax,
		LoginPerAccount: cfg.LoginPerAccount, LoginPerIP: cfg.LoginPerIP, LoginWindow: cfg.LoginWindow,
	})
	return svc, a, err
}

// Open wires a portal from its configuration.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if cfg.MongoURI == "" || cfg.MeiliURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	index, err := OpenIndex(cfg)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("open index: %w", err)
	}
	svc, a, err := NewService(ctx, cfg, log, store, index)
	if err != nil {
		index.Close()
		store.Close()
		return nil, err
	}
	app := &App{cfg: cfg, log: log, store: store, index: index, acl: a, svc: svc}
	app.metrics = newMetrics(svc)
	deps := frontend.Deps{Principal: principal, Lang: lang, SetSession: app.setSessionCookie, ClearSession: app.clearSessionCookie, Secure: app.secure}
	if app.frontend, err = frontend.New(svc, deps); err != nil {
		app.Close()
		return nil, err
	}
	if err := app.build(); err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

// build sets up the Fiber app and its routes.
func (a *App) build() error {
	fc := fiber.Config{
		AppName:               "dataportal",
		BodyLimit:             a.cfg.BodyLimit,
		ReadTimeout:           a.cfg.RequestTimeout,
		WriteTimeout:          2 * a.cfg.RequestTimeout,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		ErrorHandler:          a.errorHandler,
		ReadBufferSize:        16 * 1024,
		// Uploads are streamed (files.go bounds every other body).
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
	}
	if len(a.cfg.TrustedProxies) > 0 {
		fc.EnableTrustedProxyCheck = true
		fc.TrustedProxies = a.cfg.TrustedProxies
		fc.ProxyHeader = fiber.HeaderXForwardedFor
	}
	f := fiber.New(fc)
	a.limitBodies(f)
	f.Use(withRequestID, a.logRequests, recoverPanics, securityHeaders, a.withDeadline, a.boundBody, a.authenticate)

	f.Get("/healthz", a.health)
	f.Get("/readyz", a.ready)
	f.Get("/sitemap.xml", a.sitemap)
	f.Get("/robots.txt", a.robots)
	ckan := f.Group("/api/3/action")
	ckan.Get("/package_search", a.ckanSearch)
	ckan.Get("/package_show", a.ckanShow)
	ckan.Get("/package_list", a.ckanList)
	f.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{})))

	api := f.Group("/api/v1")
	routes := a.routes()
	for _, r := range routes {
		h := []fiber.Handler{}
		if r.signedIn {
			h = append(h, requireSignIn)
		}
		h = append(h, r.handler)
		api.Add(r.method, r.path, h...)
	}
	doc, err := openAPIDocument(routes)
	if err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	a.openapi = doc
	api.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(a.openapi)
	})
	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	a.frontend.Register(f)
	a.fiber = f
	return nil
}

// Service returns the catalogue service.
func (a *App) Service() *catalog.Service { return a.svc }

// Handler returns the Fiber app (tests call its Test method).
func (a *App) Handler() *fiber.App { return a.fiber }

// Serve reconciles the index with the store, starts the background work
// and serves HTTP on ln until ctx ends, then shuts down gracefully:
// requests in flight finish (up to the shutdown timeout), background work
// stops, and the store and index are closed by Close.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if err := a.svc.Reconcile(ctx); err != nil {
		// The portal still serves: writes go to the store and the indexer
		// retries. Searches may be stale until it succeeds.
		a.log.Error("index reconciliation failed; the indexer will retry", "err", err)
	}
	bg, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.svc.RunIndexer(bg, a.cfg.IndexPoll) }()
	go func() { defer wg.Done(); a.sweep(bg) }()

	errc := make(chan error, 1)
	go func() { errc <- a.fiber.Listener(ln) }()
	a.log.Info("portal serving", "addr", ln.Addr().String(), "store", a.store.Backend(), "data", a.cfg.DataDir)

	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		a.log.Info("shutting down")
		err = a.fiber.ShutdownWithTimeout(a.cfg.ShutdownTimeout)
		<-errc
	}
	stop()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// sweep removes expired sessions and counters every few minutes.
func (a *App) sweep(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.svc.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("sweep failed", "err", err)
			}
			if err := a.svc.FlushAudit(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("audit outbox flush failed", "err", err)
			}
			if err := a.svc.ExchangeSweep(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("exchange sweep failed", "err", err)
			}
			if err := a.svc.ResumeListWork(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("construction-list sync failed", "err", err)
			}
			if err := a.svc.RefreshStats(ctx, a.cfg.StatsInterval); err != nil && ctx.Err() == nil {
				a.log.Warn("statistics refresh failed", "err", err)
			}
		}
	}
}

// Close releases the index and the store.
func (a *App) Close() error {
	var err error
	a.closeOnce.Do(func() {
		if a.index != nil {
			err = errors.Join(err, a.index.Close())
		}
		if a.store != nil {
			err = errors.Join(err, a.store.Close())
		}
	})
	return err
}
