package mongo

import (
	"context"
	"errors"
	"net"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"dataportal/catalog"
)

var (
	errUnavailable = catalog.T("数据库暂时不可用，请稍后重试", "the database is unavailable; retry later")
	notFound       = catalog.T("对象", "object")
)

// unavailableCodes are server error codes that say the server or replica set
// cannot answer now (elections, shutdown, network, time limits), so a retry
// later may succeed.
var unavailableCodes = []int{
	6,     // HostUnreachable
	7,     // HostNotFound
	50,    // MaxTimeMSExpired
	64,    // WriteConcernFailed
	89,    // NetworkTimeout
	91,    // ShutdownInProgress
	189,   // PrimarySteppedDown
	262,   // ExceededTimeLimit
	9001,  // SocketException
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
}

// translate turns a driver error into a catalog error at the boundary:
// no documents → NotFound, network, timeout and server-selection failures →
// Unavailable, anything else → Internal. The driver's text stays in the
// cause, for logs; users only see the catalog message. Duplicate keys are
// handled by the callers that can name the field (see duplicate).
func translate(ctx context.Context, err error, op string) error {
	if err == nil {
		return nil
	}
	var de *catalog.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, mongo.ErrNoDocuments) {
		return catalog.NotFound(notFound)
	}
	if unavailable(ctx, err) {
		return catalog.Wrap(catalog.KindUnavailable, err, errUnavailable.Zh, errUnavailable.En)
	}
	return catalog.Internal(err, "mongo: %s", op)
}

func unavailable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, mongo.ErrClientDisconnected) || mongo.IsTimeout(err) || mongo.IsNetworkError(err) {
		return true
	}
	if errors.As(err, &topology.ServerSelectionError{}) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		if se.HasErrorLabel("RetryableWriteError") || se.HasErrorLabel("TransientTransactionError") {
			return true
		}
		for _, c := range unavailableCodes {
			if se.HasErrorCode(c) {
				return true
			}
		}
	}
	return false
}

// isDuplicate reports whether err is a unique index violation. MongoDB says
// so with code 11000 (which mongo.IsDuplicateKeyError recognises). FerretDB
// v1 does too on insert, but a violation caused by an update or replace
// comes back as an InternalError (code 1) whose message carries SQLite's
// "UNIQUE constraint failed: index '<table>_<index name>'"; that message, or
// the "duplicate key" of other backends, is recognised here. Only the
// messages of server errors are read, never those of client-side errors.
func isDuplicate(err error) bool {
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return false
	}
	return se.HasErrorMessage("E11000") || se.HasErrorMessage("duplicate key") ||
		se.HasErrorMessage("UNIQUE constraint failed")
}

// duplicateIndex returns the name of the index that a duplicate key error
// names, among names ("" if none). MongoDB writes "... index: ux_email dup
// key: ..."; FerretDB's update error writes "... index 'items_1a2b3c4d_ux_email'".
// The longest name that ends at a delimiter wins, so that an index name that
// is a suffix of another is not mistaken for it.
func duplicateIndex(err error, names []string) string {
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return ""
	}
	msg := err.Error()
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		msg = ce.Message
	}
	var we mongo.WriteException
	if errors.As(err, &we) {
		var b strings.Builder
		for _, e := range we.WriteErrors {
			b.WriteString(e.Message)
			b.WriteByte('\n')
		}
		msg = b.String()
	}
	best := ""
	for _, n := range names {
		for i := 0; ; {
			j := strings.Index(msg[i:], n)
			if j < 0 {
				break
			}
			end := i + j + len(n)
			if end == len(msg) || strings.ContainsRune(" '\"\n", rune(msg[end])) {
				if len(n) > len(best) {
					best = n
				}
				break
			}
			i = end
		}
	}
	return best
}

// hasCode reports whether err is a server error with the given code.
func hasCode(err error, code int) bool {
	var se mongo.ServerError
	return errors.As(err, &se) && se.HasErrorCode(code)
}
