// Package mongotest gives tests a MongoDB wire-protocol server: an in-process
// FerretDB (SQLite backend) started once per test binary, or the server named
// by PORTAL_MONGODB_URI when that variable is set.
//
// It imports FerretDB, so it must only be imported from _test.go files (and
// the ferretdb-dev command): the portal binary never links FerretDB.
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// EnvURI names the environment variable that points the tests at a real
// MongoDB server instead of the in-process FerretDB.
const EnvURI = "PORTAL_MONGODB_URI"

// EnvLog, when set to any value, sends the in-process FerretDB's log to
// stderr (it is discarded otherwise).
const EnvLog = "MONGOTEST_LOG"

// server is the one FerretDB of this test process. Package-level state is the
// exception here: a test binary runs one shared server for all its tests
// (starting one per test would cost a directory and a listener each), and
// sync.Once makes the lazy start safe for parallel tests.
var server struct {
	once   sync.Once
	uri    string
	err    error
	dir    string
	cancel context.CancelFunc
	done   chan struct{}
}

// Server is a running in-process FerretDB.
type Server struct {
	// URI is the MongoDB connection string of the server.
	URI    string
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs FerretDB with its SQLite files under dir, listening on the TCP
// address listen ("127.0.0.1:0" for any free port), until Stop is called.
// Its logs go to logger (nil: discarded).
func Start(listen, dir string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + strings.TrimSuffix(dir, "/") + "/",
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start FerretDB: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	// New has bound the listener, so MongoDBURI knows the port.
	return &Server{URI: f.MongoDBURI(), cancel: cancel, done: done}, nil
}

// Stop shuts the server down and waits until it has closed its files.
func (s *Server) Stop() {
	s.cancel()
	<-s.done
}

// URI returns the connection string of the test server: PORTAL_MONGODB_URI
// if set, else the in-process FerretDB, started at the first call.
func URI(t testing.TB) string {
	t.Helper()
	if uri := os.Getenv(EnvURI); uri != "" {
		return uri
	}
	server.once.Do(func() {
		dir, err := os.MkdirTemp("", "mongotest-ferretdb-")
		if err != nil {
			server.err = err
			return
		}
		var logger *slog.Logger
		if os.Getenv(EnvLog) != "" {
			logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		s, err := Start("127.0.0.1:0", dir, logger)
		if err != nil {
			server.err = err
			_ = os.RemoveAll(dir)
			return
		}
		server.uri, server.dir, server.cancel, server.done = s.URI, dir, s.cancel, s.done
	})
	if server.err != nil {
		t.Fatalf("mongotest: %v", server.err)
	}
	return server.uri
}

// Main runs the tests of a package and then stops the in-process FerretDB
// and removes its files. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(mongotest.Main(m)) }
//
// Without it the server still works; its (emptied) temporary directory is
// left behind when the test binary exits.
func Main(m *testing.M) int {
	code := m.Run()
	if server.cancel != nil {
		server.cancel()
		<-server.done
		_ = os.RemoveAll(server.dir)
	}
	return code
}

// Database returns a fresh database name for t on the test server; the
// database is dropped when t ends.
func Database(t testing.TB) string {
	t.Helper()
	uri := URI(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "t_" + hex.EncodeToString(b[:]) + "_" + safeName(t.Name(), 40)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := mongo.Connect(options.Client().ApplyURI(uri))
		if err != nil {
			t.Errorf("mongotest: drop %s: %v", name, err)
			return
		}
		defer func() { _ = c.Disconnect(ctx) }()
		if err := c.Database(name).Drop(ctx); err != nil {
			t.Errorf("mongotest: drop %s: %v", name, err)
		}
	})
	return name
}

// safeName keeps the characters of s that every server accepts in a
// database name, up to max bytes.
func safeName(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() >= max {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
