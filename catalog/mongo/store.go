// Package mongo stores catalogue documents in MongoDB through the official
// Go driver (v2): the production backend, for a replica set or a sharded
// cluster. Each collection of the catalogue is a MongoDB collection holding,
// per document, the JSON body as a BSON subdocument and the values of the
// declared fields, computed in Go, under ix, where MongoDB indexes them (see
// schema.go for the layout and body.go for the body conversion).
//
// Every write is one single-document operation guarded by the document's
// revision; no multi-document transactions are used, so the package also
// runs against FerretDB v1, the in-process server of the tests (see
// claims.go for the one place where FerretDB needs help).
package mongo

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"dataportal/catalog"
)

var _ catalog.Store = (*Store)(nil)

// Default timeouts, used when the URI does not set them.
const (
	// serverSelectionTimeout bounds the wait for a usable server (an
	// election takes ~10 s; longer waits only pile up requests).
	serverSelectionTimeout = 15 * time.Second
	connectTimeout         = 10 * time.Second
	// operationTimeout bounds an operation whose context has no deadline
	// (request contexts have their own, shorter one).
	operationTimeout = 30 * time.Second
)

// Store is a MongoDB database holding collections of documents.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	// claims is set when the server is FerretDB, whose conditional writes
	// are not atomic (see claims.go).
	claims bool
}

// Open connects to the server at uri, checks that it answers and returns
// the store of the given database.
//
// Writes use write concern "majority" (journaled on a majority of the
// replica set): a write acknowledged only by the primary can be rolled back
// when another member is elected, and then an acknowledged revision, grant
// or audit record would vanish, and two clients could both be told that
// they moved a document to the same revision. Reads use read concern
// "majority", so that nobody sees (and builds on, through If-Match) a
// revision that a failover may roll back; on the primary, a majority read
// after one's own majority write sees that write. FerretDB accepts and
// ignores both (it has no replication).
//
// The write concern is enforced whatever the URI says; timeouts in the URI
// override the defaults.
func Open(ctx context.Context, uri, database string) (*Store, error) {
	if database == "" || len(database) > 63 || strings.ContainsAny(database, "/\\. \"$*<>:|?\x00") {
		return nil, catalog.E(catalog.KindInvalid, "MongoDB 数据库名称无效", "invalid MongoDB database name")
	}
	opts := options.Client().ApplyURI(uri)
	if opts.ServerSelectionTimeout == nil {
		opts.SetServerSelectionTimeout(serverSelectionTimeout)
	}
	if opts.ConnectTimeout == nil {
		opts.SetConnectTimeout(connectTimeout)
	}
	if opts.Timeout == nil {
		opts.SetTimeout(operationTimeout)
	}
	if opts.AppName == nil {
		opts.SetAppName("dataportal")
	}
	opts.SetWriteConcern(writeconcern.Majority())
	opts.SetReadConcern(readconcern.Majority())
	opts.SetReadPreference(readpref.Primary())

	client, err := mongo.Connect(opts)
	if err != nil {
		// A malformed URI; its text may hold a password, so it is not shown.
		return nil, catalog.Wrap(catalog.KindInvalid, err, "MongoDB 连接串无效", "invalid MongoDB connection string")
	}
	s := &Store{client: client, db: client.Database(database)}
	if err := s.Ping(ctx); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	var info bson.M
	if err := s.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, translate(ctx, err, "buildInfo")
	}
	_, s.claims = info["ferretdbVersion"]
	return s, nil
}

// Backend names the implementation.
func (s *Store) Backend() string { return "mongodb" }

// Ping reports whether the primary answers; Unavailable if not.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return catalog.Wrap(catalog.KindUnavailable, err, errUnavailable.Zh, errUnavailable.En)
	}
	return nil
}

// Close disconnects from the server, waiting up to 10 s for operations in
// flight. Closing twice is harmless.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
		return translate(ctx, err, "close")
	}
	return nil
}

// Collection returns the collection of schema sc, creating its indexes, and
// computing the values of fields declared since the last call for the
// documents already stored (see migrate). Invalid if the schema is.
func (s *Store) Collection(ctx context.Context, sc catalog.Schema) (catalog.Collection, error) {
	if err := sc.Check(); err != nil {
		return nil, catalog.Wrap(catalog.KindInvalid, err, "集合定义无效", "invalid collection schema")
	}
	// The caller keeps its slices.
	sc.Fields = append([]catalog.Field(nil), sc.Fields...)
	sc.Compound = append([][]string(nil), sc.Compound...)
	for i, names := range sc.Compound {
		sc.Compound[i] = append([]string(nil), names...)
	}
	c := &collection{s: s, schema: sc, coll: s.db.Collection(sc.Name), fp: fingerprint(sc)}
	for _, f := range sc.Fields {
		if f.Unique {
			c.uniques = append(c.uniques, f)
		}
	}
	if err := c.migrate(ctx); err != nil {
		return nil, err
	}
	return c, nil
}
