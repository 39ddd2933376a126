// Package meilitest is a stand-in Meilisearch for tests: an HTTP server
// that speaks the part of Meilisearch's documented v1 API a client of the
// portal's kind uses, checks every request against it, and keeps enough
// state to answer like the engine does.
//
// Checked on every request: the route and method; the Authorization header
// ("Bearer <key>", when the server has a key: 401 missing_authorization_header
// or 403 invalid_api_key otherwise, as Meilisearch answers — a wrong key is
// a misconfiguration, not a contract violation, so tests assert it); the
// Content-Type of bodies; the body decoded strictly into the documented
// parameters (an unknown field is a 400 bad_request, as Meilisearch's
// deserialiser does); and the semantics Meilisearch enforces (filters,
// sorts and facets only on attributes the settings declare filterable or
// sortable, valid filter syntax, valid document ids). A request the API
// does not document is a contract violation: the test fails (t.Errorf).
//
// Answers use the documented shapes: summarised tasks (202), task objects
// with error objects {message, code, type, link}, search responses with
// page/hitsPerPage/totalHits/totalPages or offset/limit/estimatedTotalHits,
// _formatted and _rankingScore, facetDistribution, documents/fetch
// results, index objects and stats. Tasks are processed in order by one
// worker, as the engine's scheduler does.
//
// It is not a search engine: text matching is a case-insensitive
// substring match of every query word (or one of its synonyms) in a
// searchable attribute, with no typo tolerance, segmentation or relevance
// beyond the order of searchable attributes. Tests of relevance run the
// conformance suite against a real Meilisearch (PORTAL_MEILI_URL).
//
// Faults are injected with SetFault: HTTP errors, hanging requests,
// failed tasks, tasks that never finish, or the whole server down.
package meilitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is a request the server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// JSON decodes the request body into v (for assertions).
func (r Request) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v: %s", r.Method, r.Path, err, r.Body)
	}
}

// Fault is what the server does instead of answering normally.
type Fault struct {
	// Status, with Code (a Meilisearch error code) and Type, answers
	// with that error. Status 0 leaves the request alone.
	Status int
	Code   string
	Type   string
	// Hang keeps the request open until the client gives up.
	Hang bool
	// Drop closes the connection without an answer.
	Drop bool
	// FailTask lets the request enqueue its task and makes the task fail
	// with this error code.
	FailTask string
	// StuckTask lets the request enqueue its task and leaves the task
	// processing for ever.
	StuckTask bool
}

// Server is a running stand-in Meilisearch.
type Server struct {
	t   testing.TB
	key string
	srv *httptest.Server

	mu       sync.Mutex
	indexes  map[string]*index
	tasks    []*task
	requests []Request
	fault    func(Request) *Fault
	tolerate map[string]bool // error codes that are not contract violations
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	hang     chan struct{}
	closed   bool
}

type index struct {
	uid        string
	primaryKey string
	created    time.Time
	updated    time.Time
	settings   settings
	docs       map[string]map[string]any
	order      []string // ids in insertion order: the ranking's last tie-break
}

type task struct {
	UID        int64            `json:"uid"`
	BatchUID   *int64           `json:"batchUid"`
	IndexUID   *string          `json:"indexUid"`
	Status     string           `json:"status"`
	Type       string           `json:"type"`
	CanceledBy *int64           `json:"canceledBy"`
	Details    map[string]any   `json:"details"`
	Error      *apiError        `json:"error"`
	Duration   *string          `json:"duration"`
	EnqueuedAt time.Time        `json:"enqueuedAt"`
	StartedAt  *time.Time       `json:"startedAt"`
	FinishedAt *time.Time       `json:"finishedAt"`
	apply      func() *apiError `json:"-"`
	failWith   string
	stuck      bool
}

type apiError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Type    string `json:"type"`
	Link    string `json:"link"`
}

func newError(code, typ, msg string) *apiError {
	return &apiError{Message: msg, Code: code, Type: typ, Link: "https://docs.meilisearch.com/errors#" + code}
}

// Options configure a Server.
type Options struct {
	// Key is the master key; empty: no authorisation.
	Key string
}

// New starts a server; it stops when t ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{t: t, key: o.Key, indexes: map[string]*index{}, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}), hang: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	go s.worker()
	t.Cleanup(s.Close)
	return s
}

// URL returns the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	close(s.hang)
	s.mu.Unlock()
	<-s.done
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetFault makes the server consult f for every request from now on; nil
// for none.
func (s *Server) SetFault(f func(Request) *Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Tolerate makes requests the engine rejects with one of codes answer as
// it does without failing the test: for tests of an index whose settings
// were lost, where a valid request meets an unprepared index.
func (s *Server) Tolerate(codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tolerate = map[string]bool{}
	for _, c := range codes {
		s.tolerate[c] = true
	}
}

// Down makes every request fail as if the engine were stopped (the
// connection is closed), or serves again.
func (s *Server) Down(down bool) {
	if down {
		s.SetFault(func(Request) *Fault { return &Fault{Drop: true} })
	} else {
		s.SetFault(nil)
	}
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// Documents returns the documents of index uid, by id.
func (s *Server) Documents(uid string) map[string]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		return nil
	}
	out := make(map[string]map[string]any, len(ix.docs))
	for id, d := range ix.docs {
		out[id] = d
	}
	return out
}

// Indexes returns the uids of the existing indexes, sorted.
func (s *Server) Indexes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for uid := range s.indexes {
		out = append(out, uid)
	}
	sort.Strings(out)
	return out
}

// Settings returns the settings of index uid as the engine holds them
// (the JSON of the last updates merged), or nil.
func (s *Server) Settings(uid string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range ix.settings.raw {
		out[k] = v
	}
	return out
}

// CreateIndexWithCreatedAt adds an empty index created at the given time
// (a leftover of an earlier run).
func (s *Server) CreateIndexWithCreatedAt(uid string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.indexes[uid] = &index{uid: uid, primaryKey: "id", created: at, updated: at, docs: map[string]map[string]any{}, settings: defaultSettings()}
}

// violation reports a request outside the documented API.
func (s *Server) violation(r Request, format string, args ...any) {
	s.t.Errorf("meilitest: contract violation in %s %s: %s", r.Method, r.Path, fmt.Sprintf(format, args...))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, e *apiError) { writeJSON(w, status, e) }

var (
	reIndex    = regexp.MustCompile(`^/indexes/([^/]+)$`)
	reSub      = regexp.MustCompile(`^/indexes/([^/]+)/(documents|documents/fetch|documents/delete-batch|search|settings|stats)$`)
	reTask     = regexp.MustCompile(`^/tasks/([0-9]+)$`)
	validUID   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,400}$`)
	validDocID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,511}$`)
)

func (s *Server) serve(w http.ResponseWriter, hr *http.Request) {
	body, _ := io.ReadAll(hr.Body)
	r := Request{Method: hr.Method, Path: hr.URL.Path, Query: hr.URL.Query(), Header: hr.Header.Clone(), Body: body}
	s.mu.Lock()
	s.requests = append(s.requests, r)
	fault := s.fault
	s.mu.Unlock()

	var f *Fault
	if fault != nil {
		f = fault(r)
	}
	if f != nil {
		switch {
		case f.Drop:
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					_ = c.Close()
					return
				}
			}
			writeError(w, http.StatusServiceUnavailable, newError("internal", "internal", "down"))
			return
		case f.Hang:
			select {
			case <-hr.Context().Done():
			case <-s.hang:
			}
			return
		case f.Status != 0:
			typ := f.Type
			if typ == "" {
				typ = "internal"
			}
			writeError(w, f.Status, newError(f.Code, typ, "injected fault"))
			return
		}
	}

	// /health needs no key, as in Meilisearch.
	if hr.URL.Path == "/health" {
		if hr.Method != http.MethodGet {
			s.violation(r, "method")
			writeError(w, 405, newError("bad_request", "invalid_request", "method not allowed"))
			return
		}
		writeJSON(w, 200, map[string]string{"status": "available"})
		return
	}
	if s.key != "" {
		auth := hr.Header.Get("Authorization")
		switch {
		case auth == "":
			writeError(w, 401, newError("missing_authorization_header", "auth", "The Authorization header is missing. It must use the bearer authorization method."))
			return
		case auth != "Bearer "+s.key:
			writeError(w, 403, newError("invalid_api_key", "auth", "The provided API key is invalid."))
			return
		}
	}
	if len(body) > 0 || hr.Method == http.MethodPost || hr.Method == http.MethodPatch || hr.Method == http.MethodPut {
		if ct := hr.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			s.violation(r, "Content-Type %q, want application/json", ct)
			writeError(w, 415, newError("invalid_content_type", "invalid_request", "The Content-Type must be application/json."))
			return
		}
	}
	if hr.Method == http.MethodGet && len(body) > 0 {
		s.violation(r, "a GET with a body")
	}

	path := hr.URL.Path
	switch {
	case path == "/indexes" && hr.Method == http.MethodPost:
		s.createIndex(w, r, f)
	case path == "/indexes" && hr.Method == http.MethodGet:
		s.listIndexes(w, r)
	case path == "/swap-indexes" && hr.Method == http.MethodPost:
		s.swapIndexes(w, r, f)
	case reTask.MatchString(path) && hr.Method == http.MethodGet:
		uid, _ := strconv.ParseInt(reTask.FindStringSubmatch(path)[1], 10, 64)
		s.getTask(w, uid)
	case reIndex.MatchString(path):
		uid := reIndex.FindStringSubmatch(path)[1]
		switch hr.Method {
		case http.MethodGet:
			s.getIndex(w, uid)
		case http.MethodDelete:
			s.deleteIndex(w, r, uid, f)
		default:
			s.violation(r, "method")
			writeError(w, 405, newError("bad_request", "invalid_request", "method not allowed"))
		}
	case reSub.MatchString(path):
		m := reSub.FindStringSubmatch(path)
		uid, sub := m[1], m[2]
		switch {
		case sub == "documents" && hr.Method == http.MethodPost:
			s.addDocuments(w, r, uid, f)
		case sub == "documents/fetch" && hr.Method == http.MethodPost:
			s.fetchDocuments(w, r, uid)
		case sub == "documents/delete-batch" && hr.Method == http.MethodPost:
			s.deleteDocuments(w, r, uid, f)
		case sub == "search" && hr.Method == http.MethodPost:
			s.search(w, r, uid)
		case sub == "settings" && hr.Method == http.MethodPatch:
			s.updateSettings(w, r, uid, f)
		case sub == "stats" && hr.Method == http.MethodGet:
			s.stats(w, uid)
		default:
			s.violation(r, "method or route not in the documented API")
			writeError(w, 405, newError("bad_request", "invalid_request", "method not allowed"))
		}
	default:
		s.violation(r, "route not in the documented API")
		writeError(w, 404, newError("not_found", "invalid_request", "not found"))
	}
}

// decodeStrict decodes body into v, rejecting unknown fields (Meilisearch
// answers those with bad_request).
func (s *Server) decodeStrict(w http.ResponseWriter, r Request, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.violation(r, "body does not match the documented parameters: %v: %s", err, r.Body)
		writeError(w, 400, newError("bad_request", "invalid_request", err.Error()))
		return false
	}
	return true
}

func (s *Server) indexNotFound(w http.ResponseWriter, uid string) {
	writeError(w, 404, newError("index_not_found", "invalid_request", fmt.Sprintf("Index `%s` not found.", uid)))
}

// enqueue adds a task and answers with its summarised view.
func (s *Server) enqueue(w http.ResponseWriter, f *Fault, uid *string, typ string, details map[string]any, apply func() *apiError) {
	s.mu.Lock()
	t := &task{UID: int64(len(s.tasks)), IndexUID: uid, Status: "enqueued", Type: typ, Details: details, EnqueuedAt: time.Now().UTC(), apply: apply}
	if f != nil {
		t.failWith, t.stuck = f.FailTask, f.StuckTask
	}
	s.tasks = append(s.tasks, t)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"taskUid": t.UID, "indexUid": uid, "status": "enqueued", "type": typ, "enqueuedAt": t.EnqueuedAt})
}

// worker processes tasks one at a time, in order.
func (s *Server) worker() {
	defer close(s.done)
	next := 0
	for {
		s.mu.Lock()
		var t *task
		if next < len(s.tasks) {
			t = s.tasks[next]
		}
		s.mu.Unlock()
		if t == nil {
			select {
			case <-s.stop:
				return
			case <-s.wake:
			}
			continue
		}
		s.mu.Lock()
		now := time.Now().UTC()
		t.Status, t.StartedAt = "processing", &now
		stuck := t.stuck
		s.mu.Unlock()
		if stuck {
			// Stays processing; the queue behind it waits, as it would
			// behind a task the engine cannot finish.
			<-s.stop
			return
		}
		s.mu.Lock()
		var e *apiError
		if t.failWith != "" {
			e = newError(t.failWith, errorType(t.failWith), "injected task failure")
		} else {
			e = t.apply()
		}
		end := time.Now().UTC()
		d := fmt.Sprintf("PT%.6fS", end.Sub(now).Seconds())
		t.FinishedAt, t.Duration = &end, &d
		if e != nil {
			t.Status, t.Error = "failed", e
		} else {
			t.Status = "succeeded"
		}
		s.mu.Unlock()
		next++
	}
}

func errorType(code string) string {
	switch code {
	case "internal", "io_error", "no_space_left_on_device", "database_size_limit_reached", "too_many_open_files":
		return "system"
	}
	return "invalid_request"
}

func (s *Server) getTask(w http.ResponseWriter, uid int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if uid < 0 || uid >= int64(len(s.tasks)) {
		writeError(w, 404, newError("task_not_found", "invalid_request", fmt.Sprintf("Task `%d` not found.", uid)))
		return
	}
	b, _ := json.Marshal(s.tasks[uid])
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	_, _ = w.Write(b)
}

func indexObject(ix *index) map[string]any {
	return map[string]any{"uid": ix.uid, "createdAt": ix.created, "updatedAt": ix.updated, "primaryKey": ix.primaryKey}
}

func (s *Server) getIndex(w http.ResponseWriter, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		s.indexNotFound(w, uid)
		return
	}
	writeJSON(w, 200, indexObject(ix))
}

func (s *Server) listIndexes(w http.ResponseWriter, r Request) {
	for k := range r.Query {
		if k != "offset" && k != "limit" {
			s.violation(r, "unknown query parameter %q", k)
		}
	}
	offset, _ := strconv.Atoi(r.Query.Get("offset"))
	limit := 20
	if l := r.Query.Get("limit"); l != "" {
		limit, _ = strconv.Atoi(l)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var uids []string
	for uid := range s.indexes {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	results := []map[string]any{}
	for i, uid := range uids {
		if i >= offset && len(results) < limit {
			results = append(results, indexObject(s.indexes[uid]))
		}
	}
	writeJSON(w, 200, map[string]any{"results": results, "offset": offset, "limit": limit, "total": len(uids)})
}

func (s *Server) newIndex(uid, pk string) *index {
	now := time.Now().UTC()
	ix := &index{uid: uid, primaryKey: pk, created: now, updated: now, docs: map[string]map[string]any{}, settings: defaultSettings()}
	s.indexes[uid] = ix
	return ix
}

func (s *Server) createIndex(w http.ResponseWriter, r Request, f *Fault) {
	var body struct {
		UID        *string `json:"uid"`
		PrimaryKey *string `json:"primaryKey"`
	}
	if !s.decodeStrict(w, r, &body) {
		return
	}
	if body.UID == nil || !validUID.MatchString(*body.UID) {
		s.violation(r, "missing or invalid uid")
		writeError(w, 400, newError("invalid_index_uid", "invalid_request", "invalid uid"))
		return
	}
	uid := *body.UID
	pk := ""
	if body.PrimaryKey != nil {
		pk = *body.PrimaryKey
	}
	s.enqueue(w, f, &uid, "indexCreation", map[string]any{"primaryKey": body.PrimaryKey}, func() *apiError {
		if s.indexes[uid] != nil {
			return newError("index_already_exists", "invalid_request", fmt.Sprintf("Index `%s` already exists.", uid))
		}
		s.newIndex(uid, pk)
		return nil
	})
}

func (s *Server) deleteIndex(w http.ResponseWriter, r Request, uid string, f *Fault) {
	s.enqueue(w, f, &uid, "indexDeletion", map[string]any{"deletedDocuments": nil}, func() *apiError {
		if s.indexes[uid] == nil {
			return newError("index_not_found", "invalid_request", fmt.Sprintf("Index `%s` not found.", uid))
		}
		delete(s.indexes, uid)
		return nil
	})
}

func (s *Server) swapIndexes(w http.ResponseWriter, r Request, f *Fault) {
	var body []struct {
		Indexes []string `json:"indexes"`
		Rename  *bool    `json:"rename"`
	}
	if !s.decodeStrict(w, r, &body) {
		return
	}
	for _, p := range body {
		if len(p.Indexes) != 2 || p.Indexes[0] == p.Indexes[1] {
			s.violation(r, "a swap needs two distinct indexes: %v", p.Indexes)
			writeError(w, 400, newError("invalid_swap_indexes", "invalid_request", "two indexes"))
			return
		}
	}
	s.enqueue(w, f, nil, "indexSwap", map[string]any{"swaps": body}, func() *apiError {
		for _, p := range body {
			a, b := s.indexes[p.Indexes[0]], s.indexes[p.Indexes[1]]
			rename := p.Rename != nil && *p.Rename
			if a == nil || (b == nil && !rename) {
				missing := p.Indexes[0]
				if a != nil {
					missing = p.Indexes[1]
				}
				return newError("index_not_found", "invalid_request", fmt.Sprintf("Index `%s` not found.", missing))
			}
		}
		for _, p := range body {
			a, b := s.indexes[p.Indexes[0]], s.indexes[p.Indexes[1]]
			if b == nil {
				delete(s.indexes, a.uid)
				a.uid = p.Indexes[1]
				s.indexes[a.uid] = a
				continue
			}
			a.uid, b.uid = b.uid, a.uid
			s.indexes[a.uid], s.indexes[b.uid] = a, b
		}
		return nil
	})
}

func (s *Server) stats(w http.ResponseWriter, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		s.indexNotFound(w, uid)
		return
	}
	fields := map[string]int{}
	for _, d := range ix.docs {
		for k := range d {
			fields[k]++
		}
	}
	indexing := false
	for _, t := range s.tasks {
		if t.IndexUID != nil && *t.IndexUID == uid && (t.Status == "enqueued" || t.Status == "processing") {
			indexing = true
		}
	}
	writeJSON(w, 200, map[string]any{"numberOfDocuments": len(ix.docs), "rawDocumentDbSize": 0, "avgDocumentSize": 0,
		"isIndexing": indexing, "numberOfEmbeddings": 0, "numberOfEmbeddedDocuments": 0, "fieldDistribution": fields})
}

func (s *Server) addDocuments(w http.ResponseWriter, r Request, uid string, f *Fault) {
	for k := range r.Query {
		if k != "primaryKey" && k != "csvDelimiter" && k != "customMetadata" && k != "skipCreation" {
			s.violation(r, "unknown query parameter %q", k)
		}
	}
	var docs []map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&docs); err != nil {
		s.violation(r, "documents are not a JSON array of objects: %v", err)
		writeError(w, 400, newError("malformed_payload", "invalid_request", err.Error()))
		return
	}
	pk := r.Query.Get("primaryKey")
	for _, d := range docs {
		normalise(d)
	}
	s.enqueue(w, f, &uid, "documentAdditionOrUpdate", map[string]any{"receivedDocuments": len(docs), "indexedDocuments": len(docs)}, func() *apiError {
		ix := s.indexes[uid]
		if ix == nil {
			ix = s.newIndex(uid, pk) // created by the first addition
		}
		if ix.primaryKey == "" {
			ix.primaryKey = pk
		}
		if pk != "" && ix.primaryKey != pk {
			return newError("index_primary_key_already_exists", "invalid_request", "primary key already set")
		}
		if ix.primaryKey == "" {
			return newError("index_primary_key_no_candidate_found", "invalid_request", "no primary key")
		}
		for _, d := range docs {
			id, ok := d[ix.primaryKey].(string)
			if !ok || !validDocID.MatchString(id) {
				return newError("invalid_document_id", "invalid_request", fmt.Sprintf("Document identifier `%v` is invalid.", d[ix.primaryKey]))
			}
		}
		for _, d := range docs {
			id := d[ix.primaryKey].(string)
			if _, ok := ix.docs[id]; !ok {
				ix.order = append(ix.order, id)
			}
			ix.docs[id] = d // POST replaces the whole document
		}
		ix.updated = time.Now().UTC()
		return nil
	})
}

// normalise turns json.Numbers into float64, as every JSON number is for
// the engine's filters.
func normalise(d map[string]any) {
	for k, v := range d {
		d[k] = normValue(v)
	}
}

func normValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normValue(x[i])
		}
	case map[string]any:
		normalise(x)
	}
	return v
}

func (s *Server) deleteDocuments(w http.ResponseWriter, r Request, uid string, f *Fault) {
	var ids []any
	if !s.decodeStrict(w, r, &ids) {
		return
	}
	s.enqueue(w, f, &uid, "documentDeletion", map[string]any{"providedIds": len(ids), "deletedDocuments": nil}, func() *apiError {
		ix := s.indexes[uid]
		if ix == nil {
			return newError("index_not_found", "invalid_request", fmt.Sprintf("Index `%s` not found.", uid))
		}
		for _, id := range ids {
			k := fmt.Sprint(id)
			if _, ok := ix.docs[k]; ok {
				delete(ix.docs, k)
				ix.order = slices.DeleteFunc(ix.order, func(o string) bool { return o == k })
			}
		}
		return nil
	})
}

func (s *Server) fetchDocuments(w http.ResponseWriter, r Request, uid string) {
	var body struct {
		Offset          *int     `json:"offset"`
		Limit           *int     `json:"limit"`
		Fields          []string `json:"fields"`
		Filter          any      `json:"filter"`
		RetrieveVectors bool     `json:"retrieveVectors"`
		IDs             []string `json:"ids"`
		Sort            []string `json:"sort"`
	}
	if !s.decodeStrict(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		s.indexNotFound(w, uid)
		return
	}
	match, ok := s.compileFilter(w, r, ix, body.Filter, "invalid_document_filter")
	if !ok {
		return
	}
	offset, limit := 0, 20
	if body.Offset != nil {
		offset = *body.Offset
	}
	if body.Limit != nil {
		limit = *body.Limit
	}
	var all []map[string]any
	for _, id := range ix.order {
		d := ix.docs[id]
		if (len(body.IDs) == 0 || slices.Contains(body.IDs, id)) && match(d) {
			all = append(all, d)
		}
	}
	results := []map[string]any{}
	for i, d := range all {
		if i >= offset && len(results) < limit {
			results = append(results, pick(d, body.Fields))
		}
	}
	writeJSON(w, 200, map[string]any{"results": results, "offset": offset, "limit": limit, "total": len(all)})
}

// pick returns the listed attributes of d (all for none or "*").
func pick(d map[string]any, fields []string) map[string]any {
	if len(fields) == 0 || slices.Contains(fields, "*") {
		return d
	}
	out := map[string]any{}
	for _, f := range fields {
		if v, ok := d[f]; ok {
			out[f] = v
		}
	}
	return out
}

// compileFilter parses a filter (a string, or an array of strings and
// arrays of strings: AND of ORs) and checks that it only uses filterable
// attributes. It answers the error itself when it returns false.
func (s *Server) compileFilter(w http.ResponseWriter, r Request, ix *index, filter any, code string) (func(map[string]any) bool, bool) {
	var exprs []string
	switch f := filter.(type) {
	case nil:
	case string:
		exprs = []string{f}
	case []any:
		for _, e := range f {
			switch g := e.(type) {
			case string:
				exprs = append(exprs, g)
			case []any:
				var ors []string
				for _, o := range g {
					str, ok := o.(string)
					if !ok {
						s.violation(r, "filter array holds %T", o)
						writeError(w, 400, newError(code, "invalid_request", "bad filter"))
						return nil, false
					}
					ors = append(ors, "("+str+")")
				}
				exprs = append(exprs, strings.Join(ors, " OR "))
			default:
				s.violation(r, "filter array holds %T", e)
				writeError(w, 400, newError(code, "invalid_request", "bad filter"))
				return nil, false
			}
		}
	default:
		s.violation(r, "filter is a %T", filter)
		writeError(w, 400, newError(code, "invalid_request", "bad filter"))
		return nil, false
	}
	var preds []func(map[string]any) bool
	for _, e := range exprs {
		match, attrs, err := Filter(e)
		if err != nil {
			s.violation(r, "filter %q: %v", e, err)
			writeError(w, 400, newError(code, "invalid_request", err.Error()))
			return nil, false
		}
		for _, a := range attrs {
			if !slices.Contains(ix.settings.filterable, a) {
				if !s.tolerate[code] {
					s.violation(r, "filter %q uses %q, which is not filterable", e, a)
				}
				writeError(w, 400, newError(code, "invalid_request", fmt.Sprintf("Attribute `%s` is not filterable.", a)))
				return nil, false
			}
		}
		preds = append(preds, match)
	}
	return func(d map[string]any) bool {
		for _, p := range preds {
			if !p(d) {
				return false
			}
		}
		return true
	}, true
}
