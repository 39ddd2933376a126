// Package sqlite stores catalogue documents in an embedded SQLite database
// (modernc.org/sqlite, pure Go): the default backend, which needs no
// configuration and nothing installed. Each collection is one table holding
// the JSON body; every declared field is a virtual generated column with an
// index, so filters, sorts and keyset pages are answered from indexes while
// the body stays the single source of truth.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"

	"dataportal/catalog"
)

var _ catalog.Store = (*Store)(nil)

// FileName is the database file created inside the data directory.
const FileName = "portal.db"

// Options tunes a Store. The zero value is the production configuration.
type Options struct {
	// ReadConns caps the pool of read-only connections (0: the larger of
	// 4 and GOMAXPROCS). Readers never block each other or the writer in WAL
	// mode, so this bounds memory (each connection has its own page cache)
	// rather than correctness.
	ReadConns int
	// BusyTimeout is how long a statement waits for a lock held by another
	// process, such as a `portal` subcommand run next to the server
	// (0: 10 s). Within one process writes never wait on SQLite locks (see
	// Store).
	BusyTimeout time.Duration
}

// Store is a SQLite database holding collections of documents.
//
// It keeps two connection pools on the same WAL database. All writes go
// through a pool of exactly one connection: SQLite admits one writer at a
// time, and with several writing connections concurrent writers would
// contend for the file lock inside busy_timeout's sleep-and-retry loop
// (slow, unfair, and able to fail with SQLITE_BUSY when a deferred
// transaction must upgrade). With one connection the writers of this process
// queue in memory instead, and the queue is drained by group commits (see
// writer). Reads use a separate pool of query_only connections; in WAL mode
// they see the last committed state without blocking the writer or being
// blocked by it.
type Store struct {
	path  string
	write *sql.DB // exactly one connection
	read  *sql.DB // query_only connections
	w     *writer // document writes, on write

	mu     sync.Mutex
	cols   map[string]*collection // by schema name: the last schema opened
	tables map[string]*tableStmts // by schema name: statements shared by all schema versions
	closed bool
}

// Open opens or creates the database <dir>/portal.db.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if strings.Contains(dir, "?") {
		// The driver splits its DSN at '?'; such a path cannot be expressed.
		return nil, catalog.E(catalog.KindInvalid, "数据目录路径不能包含“?”", "the data directory path must not contain '?'")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, catalog.Internal(err, "sqlite: create data directory %s", dir)
	}
	path := filepath.Join(dir, FileName)
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	readConns := opts.ReadConns
	if readConns <= 0 {
		readConns = max(4, runtime.GOMAXPROCS(0))
	}

	// Pragmas go in the DSN so that every connection the pools open gets
	// them, including connections reopened after an idle close.
	//
	// synchronous=FULL: in WAL mode NORMAL is still safe against corruption,
	// but a power cut can lose the last commits, and audit records and
	// access grants must not vanish once the user was told they were saved.
	// FULL costs one WAL fsync per commit (about 0.15 ms here), paid by
	// writes only and shared by the writes of one group commit; reads are
	// unaffected.
	ms := fmt.Sprint(busy.Milliseconds())
	wq := url.Values{"_pragma": {
		"busy_timeout(" + ms + ")",
		"journal_mode(WAL)",
		"synchronous(FULL)",
	}}
	// BEGIN IMMEDIATE for the (rare) explicit transactions, such as schema
	// changes: a deferred transaction that later writes can fail at once with
	// SQLITE_BUSY when another process wrote in between.
	wq.Set("_txlock", "immediate")
	rq := url.Values{"_pragma": {
		"busy_timeout(" + ms + ")",
		"query_only(1)",
	}}

	s := &Store{path: path, cols: map[string]*collection{}, tables: map[string]*tableStmts{}}
	var err error
	if s.write, err = sql.Open("sqlite", path+"?"+wq.Encode()); err != nil {
		return nil, catalog.Internal(err, "sqlite: open %s", path)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	// The writer connects first: it switches a new file to WAL before any
	// reader looks at it.
	if err := s.write.PingContext(ctx); err != nil {
		s.write.Close()
		return nil, translate(ctx, err, nil, "open "+path)
	}
	if s.read, err = sql.Open("sqlite", path+"?"+rq.Encode()); err != nil {
		s.write.Close()
		return nil, catalog.Internal(err, "sqlite: open %s", path)
	}
	s.read.SetMaxOpenConns(readConns)
	s.read.SetMaxIdleConns(readConns)
	s.read.SetConnMaxLifetime(0)
	if err := s.read.PingContext(ctx); err != nil {
		s.read.Close()
		s.write.Close()
		return nil, translate(ctx, err, nil, "open "+path)
	}
	s.w = newWriter(s.write)
	return s, nil
}

// Collection returns the collection of schema s, creating its table and
// indexes, or adding the columns and indexes of fields declared since the
// last call. Columns of fields no longer declared are left in place: dropping
// data-derived state is a migration decision, not a side effect of opening.
func (s *Store) Collection(ctx context.Context, sc catalog.Schema) (catalog.Collection, error) {
	if err := sc.Check(); err != nil {
		return nil, catalog.Wrap(catalog.KindInvalid, err, "集合定义无效", "invalid collection schema")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	if c, ok := s.cols[sc.Name]; ok && sameSchema(c.schema, sc) {
		return c, nil
	}
	// Copy the fields so that a caller changing its slice later cannot
	// change the collection's idea of its schema.
	sc.Fields = slices.Clone(sc.Fields)
	sc.Compound = cloneCompound(sc.Compound)
	if err := s.migrate(ctx, sc); err != nil {
		return nil, err
	}
	st, ok := s.tables[sc.Name]
	if !ok {
		var err error
		if st, err = s.prepare(ctx, sc); err != nil {
			return nil, err
		}
		s.tables[sc.Name] = st
	}
	c := newCollection(s, sc, st)
	s.cols[sc.Name] = c
	return c, nil
}

func sameSchema(a, b catalog.Schema) bool {
	return a.Name == b.Name && slices.Equal(a.Fields, b.Fields) && slices.EqualFunc(a.Compound, b.Compound, slices.Equal)
}

func cloneCompound(c [][]string) [][]string {
	if c == nil {
		return nil
	}
	out := make([][]string, len(c))
	for i, fields := range c {
		out[i] = slices.Clone(fields)
	}
	return out
}

// Ping reports whether the database answers a query (Unavailable if not).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return catalog.Wrap(catalog.KindUnavailable, err, "数据库不可用", "the database is unavailable")
	}
	return nil
}

// Backend names the implementation for health output and logs.
func (s *Store) Backend() string { return "sqlite" }

// Close closes both pools. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.w.close()
	for _, st := range s.tables {
		st.close()
	}
	errs := []error{s.read.Close()}
	// SQLite recommends "PRAGMA optimize" before closing a long-lived
	// connection: it refreshes the planner statistics that choose between
	// indexes. Best effort; a failure changes only query plans.
	_, _ = s.write.Exec("PRAGMA optimize")
	errs = append(errs, s.write.Close())
	if err := errors.Join(errs...); err != nil {
		return catalog.Internal(err, "sqlite: close %s", s.path)
	}
	return nil
}

// Backup writes a consistent copy of the database to destPath while the
// store stays online. It uses VACUUM INTO on a connection of its own, which
// reads one snapshot without blocking writers (or being blocked by them). The
// copy is written under a temporary name, fsynced (VACUUM INTO does not sync
// its output) and renamed, so destPath never holds a partial backup. Invalid
// if destPath already exists.
func (s *Store) Backup(ctx context.Context, destPath string) (err error) {
	if _, err := os.Lstat(destPath); err == nil {
		return catalog.E(catalog.KindInvalid, "备份文件已存在", "the backup file already exists")
	}
	dir := filepath.Dir(destPath)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(destPath)+".tmp-*")
	if err != nil {
		return catalog.Internal(err, "sqlite: backup to %s", destPath)
	}
	tmpName := tmp.Name()
	tmp.Close()
	// VACUUM INTO refuses to write into a non-empty file but accepts an
	// empty one; the name was reserved atomically above.
	defer func() {
		if err != nil {
			os.Remove(tmpName)
		}
	}()

	// A separate pool: the read pool is query_only, which VACUUM INTO
	// counts as writing, and the writer must stay free for requests.
	db, err := sql.Open("sqlite", s.path+"?"+url.Values{"_pragma": {"busy_timeout(10000)"}}.Encode())
	if err != nil {
		return catalog.Internal(err, "sqlite: backup to %s", destPath)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmpName); err != nil {
		return translate(ctx, err, nil, "backup to "+destPath)
	}
	if err := syncFile(tmpName); err != nil {
		return catalog.Internal(err, "sqlite: backup to %s", destPath)
	}
	if err := os.Rename(tmpName, destPath); err != nil {
		return catalog.Internal(err, "sqlite: backup to %s", destPath)
	}
	if err := syncFile(dir); err != nil {
		return catalog.Internal(err, "sqlite: backup to %s", destPath)
	}
	return nil
}

// syncFile fsyncs a file or directory by name.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
