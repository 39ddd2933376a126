package catalog

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"strings"
	"time"
)

// Options configure a Service. Store, Index and Authorizer are required.
type Options struct {
	Store      Store
	Index      Index
	Authorizer Authorizer
	Logger     *slog.Logger
	// Now is the clock; tests replace it. Times are kept at millisecond
	// precision, the finest both storage backends index.
	Now func() time.Time

	// SessionIdle ends a session after this long without a request;
	// SessionMax ends it this long after sign-in whatever happens.
	SessionIdle, SessionMax time.Duration
	// Login limits failed sign-ins per account and per client address
	// within LoginWindow.
	LoginPerAccount, LoginPerIP int
	LoginWindow                 time.Duration
	// Password hashing cost (argon2id); zero values take the defaults.
	Argon Argon2Params
	// Mailer sends notification e-mails; nil: notifications stay in-app.
	Mailer Mailer

	// Instance names this process among the portal instances sharing the
	// store (in the indexer lease and logs); empty: a random name.
	Instance string
	// LeaseTTL is how long the indexer lease lasts without renewal: the
	// longest an instance that died holding it delays indexing.
	LeaseTTL time.Duration

	// Blobs stores uploaded files (files.go); nil: file operations
	// answer Unavailable.
	Blobs Blobs
	// UploadLimit is the largest file accepted, in bytes (0: 10 GiB).
	UploadLimit int64

	// Scratch opens an empty in-memory search index with the engine's
	// analysis, for comparing small sets of texts (grouping data needs);
	// nil: needs are grouped by domain and modality only.
	Scratch func() (Index, error)
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 2 * time.Hour
	}
	if o.SessionMax <= 0 {
		o.SessionMax = 24 * time.Hour
	}
	if o.LoginPerAccount <= 0 {
		o.LoginPerAccount = 10
	}
	if o.LoginPerIP <= 0 {
		o.LoginPerIP = 100
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 15 * time.Minute
	}
	o.Argon.defaults()
	if o.Instance == "" {
		o.Instance = newID("instance")
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.UploadLimit <= 0 {
		o.UploadLimit = DefaultUploadLimit
	}
}

// Service holds the use cases of the portal. Handlers call it with the
// principal of the request; it asks the Authorizer before every restricted
// read or change.
type Service struct {
	opts     Options
	log      *slog.Logger
	store    Store
	index    Index
	authz    Authorizer
	orgs     record[Organization]
	users    record[User]
	sessions record[Session]
	tokens   record[APIToken]
	datasets record[datasetRecord]
	counters record[counter]
	jobs     record[job]
	auditLog record[AuditEvent]
	// outboxes flush the audit outboxes of every collection that has them.
	outboxes []func(context.Context) error
	// The exchange (exchange.go): access requests, grants, notifications
	// and lineage; noticeBoxes flush the notice outboxes.
	requests      record[requestRecord]
	grants        record[grantRecord]
	notifications record[notificationRecord]
	lineage       record[lineageRecord]
	noticeBoxes   []func(context.Context) error
	// blobs holds file contents; thumbs bounds the thumbnails decoded at
	// once (each holds a decoded image in memory).
	blobs  Blobs
	thumbs chan struct{}
	// ls holds the construction lists, responses, needs and statistics (lists.go).
	ls listStore
	// kick wakes the indexer after a write; buffered, never blocks.
	kick chan struct{}
	// lease is this instance's view of the indexer lease (lease.go).
	lease leaseState
	// dummyHash is checked when no user matches a sign-in, so that the time
	// a failure takes does not reveal whether the address is registered.
	dummyHash string
}

// NewService opens the collections (creating them and their indexes).
func NewService(ctx context.Context, o Options) (*Service, error) {
	o.defaults()
	s := &Service{opts: o, log: o.Logger, store: o.Store, index: o.Index, authz: o.Authorizer, kick: make(chan struct{}, 1)}
	s.dummyHash = HashPassword(randomToken(16), o.Argon)
	s.blobs, s.thumbs = o.Blobs, make(chan struct{}, 2)
	var err error
	if s.orgs, err = openRecord[Organization](ctx, o.Store, orgSchema, T("机构", "organisation")); err != nil {
		return nil, err
	}
	if s.users, err = openRecord[User](ctx, o.Store, userSchema, T("用户", "user")); err != nil {
		return nil, err
	}
	if s.sessions, err = openRecord[Session](ctx, o.Store, sessionSchema, T("会话", "session")); err != nil {
		return nil, err
	}
	if s.tokens, err = openRecord[APIToken](ctx, o.Store, tokenSchema, T("令牌", "token")); err != nil {
		return nil, err
	}
	if s.datasets, err = openRecord[datasetRecord](ctx, o.Store, datasetSchema, T("数据集", "dataset")); err != nil {
		return nil, err
	}
	if s.counters, err = openRecord[counter](ctx, o.Store, counterSchema, T("计数器", "counter")); err != nil {
		return nil, err
	}
	if s.jobs, err = openRecord[job](ctx, o.Store, jobSchema, T("任务", "job")); err != nil {
		return nil, err
	}
	if s.auditLog, err = openRecord[AuditEvent](ctx, o.Store, auditSchema, T("审计事件", "audit event")); err != nil {
		return nil, err
	}
	s.outboxes = append(s.outboxes, func(ctx context.Context) error { return flushDirty(ctx, s, s.datasets) })
	if err := s.openExchange(ctx); err != nil {
		return nil, err
	}
	if err := s.openLists(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// now returns the current time in UTC at millisecond precision.
func (s *Service) now() time.Time {
	return s.opts.Now().UTC().Truncate(time.Millisecond)
}

// Store returns the store the service writes to.
func (s *Service) Store() Store { return s.store }

// Index returns the search index.
func (s *Service) Index() Index { return s.index }

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns prefix + "-" + 16 random base32 characters (80 bits).
func newID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return prefix + "-" + strings.ToLower(idEncoding.EncodeToString(b))
}

// randomToken returns a URL-safe secret of n random bytes.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.TrimRight(base32.StdEncoding.EncodeToString(b), "=")
}

// decide asks the Authorizer and turns a denial into an error: NotFound
// when the subject may not even see the dataset, Forbidden (carrying the
// decision, which explains itself) otherwise.
func (s *Service) decide(ctx context.Context, p Principal, act Action, r Resource) (Decision, error) {
	d, err := s.authz.Decide(ctx, p.Subject(), act, r)
	if err != nil {
		return d, err
	}
	if d.Allowed {
		return d, nil
	}
	d = s.withStanding(ctx, p, act, r, d)
	if act != ActView {
		// Refused attempts are part of the trail (views are not: every
		// page and search would be).
		object := "portal"
		if r.ID != "" {
			object = "dataset:" + r.ID
		}
		if err := s.audit(ctx, p, "denied."+string(act), object, d, nil); err != nil {
			s.log.Warn("could not audit a denial", "err", err)
		}
	}
	return d, s.denied(ctx, p, d, r)
}

// denied builds the error for a denied decision.
func (s *Service) denied(ctx context.Context, p Principal, d Decision, r Resource) error {
	if r.ID != "" && d.Action != ActView {
		// Whoever may not view the dataset must not learn that it exists.
		v, err := s.authz.Decide(ctx, p.Subject(), ActView, r)
		if err != nil {
			return err
		}
		if !v.Allowed {
			return NotFound(T("数据集", "dataset"))
		}
	} else if r.ID != "" {
		return NotFound(T("数据集", "dataset"))
	}
	if !p.SignedIn() {
		return &Error{Kind: KindUnauthenticated, Message: d.Reason, Detail: d}
	}
	return &Error{Kind: KindForbidden, Message: d.Reason, Detail: d}
}
