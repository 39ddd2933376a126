package mongo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Revision claims make conditional writes atomic on FerretDB.
//
// On MongoDB, an update or delete filtered on {_id, rev} is atomic: of
// several writers holding the same revision exactly one matches. FerretDB
// v1 (measured with v1.24.2, SQLite backend) is not: it reads the matching
// documents, applies the change in Go and writes the whole document back by
// _id in a separate statement, so concurrent writers holding the same
// revision all "match" (8 concurrent replaces of one document: up to 8
// winners), and the last one silently overwrites the others. The one
// operation FerretDB makes atomic is an insert against a unique index.
//
// So, on FerretDB only, a write that moves document id away from revision
// rev first inserts the claim {_id: "<collection>/<rev>/<id>"} into
// _claims, and deletes it when done. Only one writer can hold the claim for
// a revision; the others get errBusy and answer Stale (the holder is about
// to move the revision on) or NotFound. A claim left by a process that died
// between claiming and releasing is taken over after claimLease, longer than
// any single write may take (the client's operation timeout is 30 s).
//
// Claims are not used on MongoDB, where they would only add two writes to
// every replace. The filter on {_id, rev} is kept in both cases, so the
// claim only adds mutual exclusion, never changes the result.
//
// What claims do not cover on FerretDB: an unconditional delete (rev 0)
// racing with a replace can be overwritten by it, and a replace whose holder
// then fails on a unique value makes concurrent writers answer Stale for a
// revision that did not move. Both only concern the in-process test and
// development server.

var errBusy = errors.New("mongo: another write holds the revision claim")

const claimLease = time.Minute

func claimID(coll, id string, rev int64) string {
	return coll + "/" + strconv.FormatInt(rev, 10) + "/" + id
}

// guarded runs write, which moves document id away from revision rev, so
// that no other guarded write of the same revision runs at the same time
// (on FerretDB; on MongoDB, write's own {_id, rev} filter is enough).
func (c *collection) guarded(ctx context.Context, id string, rev int64, write func() error) error {
	if !c.s.claims {
		return write()
	}
	release, err := c.s.claim(ctx, claimID(c.schema.Name, id, rev))
	if err != nil {
		return err
	}
	defer release()
	return write()
}

// claim inserts the claim key, taking it over if it outlived its lease, and
// returns the function that releases it. errBusy if another write holds it.
func (s *Store) claim(ctx context.Context, key string) (release func(), err error) {
	cl := s.db.Collection(claimsCollection)
	for attempt := 0; ; attempt++ {
		at := bson.NewDateTimeFromTime(time.Now())
		_, err := cl.InsertOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "at", Value: at}})
		if err == nil {
			return func() {
				// Release even if the request was cancelled meanwhile: a
				// claim left behind blocks the document for claimLease.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				defer cancel()
				_, _ = cl.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "at", Value: at}})
			}, nil
		}
		if !isDuplicate(err) {
			return nil, err
		}
		if attempt > 0 {
			return nil, errBusy
		}
		var held struct {
			At time.Time `bson:"at"`
		}
		err = cl.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&held)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			continue // released meanwhile: try once more
		case err != nil:
			return nil, err
		case time.Since(held.At) < claimLease:
			return nil, errBusy
		}
		// The holder died before releasing: take the claim over.
		_, err = cl.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "at", Value: bson.NewDateTimeFromTime(held.At)}})
		if err != nil {
			return nil, err
		}
	}
}
