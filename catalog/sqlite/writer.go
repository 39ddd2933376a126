package sqlite

import (
	"context"
	"database/sql"
	"errors"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// writer serialises all document writes onto the single write connection
// and commits them in groups.
//
// With synchronous=FULL every commit waits for an fsync of the WAL (about
// 0.15 ms here, far more on slow disks), and each commit rewrites whole
// pages of the table and of every index it touched; one commit per write
// would cap the store at a few thousand writes per second however many
// requests wait. So the writer goroutine takes every write already queued
// (up to maxBatch), runs them in one IMMEDIATE transaction and commits once:
// under load many writes share one commit, and a lone write runs as a plain
// autocommit statement. Each write is still one statement, atomic on its
// own: a statement that fails on a constraint is undone by SQLite without
// disturbing the others in the transaction (ON CONFLICT ABORT), and no caller
// hears "done" before the commit that made its write durable.
type writer struct {
	db   *sql.DB // one connection
	ops  chan *writeOp
	quit chan struct{}
	done chan struct{}
}

// writeOp is one write. exec runs its one statement, a prepared statement of
// the write pool passed through in (which binds it to the batch transaction).
type writeOp struct {
	ctx  context.Context
	exec func(in func(*sql.Stmt) *sql.Stmt) error
	err  error
	done chan struct{}
}

const maxBatch = 64

func newWriter(db *sql.DB) *writer {
	w := &writer{db: db, ops: make(chan *writeOp), quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// do runs exec in the next group commit and returns its error, or the
// commit's. Once queued, a write is waited for even if ctx ends: it may
// already be committed, and the caller must not be told otherwise.
func (w *writer) do(ctx context.Context, exec func(in func(*sql.Stmt) *sql.Stmt) error) error {
	op := &writeOp{ctx: ctx, exec: exec, done: make(chan struct{})}
	select {
	case w.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return errClosed
	}
	<-op.done
	return op.err
}

// close stops the writer after the batch in progress.
func (w *writer) close() {
	close(w.quit)
	<-w.done
}

func (w *writer) loop() {
	defer close(w.done)
	for {
		var batch []*writeOp
		select {
		case op := <-w.ops:
			batch = append(batch, op)
		case <-w.quit:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			default:
				break more
			}
		}
		w.run(batch)
	}
}

func (w *writer) run(batch []*writeOp) {
	defer func() {
		for _, op := range batch {
			close(op.done)
		}
	}()
	if len(batch) == 1 {
		// Nothing to share: an autocommit statement saves BEGIN and COMMIT.
		op := batch[0]
		if op.err = op.ctx.Err(); op.err == nil {
			op.err = op.exec(func(s *sql.Stmt) *sql.Stmt { return s })
		}
		return
	}
	// The transaction does not take a request's context: cancelling one
	// request must not roll back the writes of the others.
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		for _, op := range batch {
			op.err = err
		}
		return
	}
	in := func(s *sql.Stmt) *sql.Stmt { return tx.Stmt(s) }
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			op.err = err // not started: skipping it is still honest
			continue
		}
		op.err = op.exec(in)
		if op.err != nil && !isConstraint(op.err) {
			// Errors such as SQLITE_FULL or SQLITE_IOERR may roll back
			// the whole transaction, after which later statements would
			// autocommit one by one. Fail the rest of the batch instead.
			tx.Rollback()
			for _, o := range batch[:i] {
				if o.err == nil {
					o.err = op.err
				}
			}
			for _, o := range batch[i+1:] {
				o.err = op.err
			}
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, op := range batch {
			if op.err == nil {
				op.err = err
			}
		}
	}
}

// isConstraint reports a constraint violation, which SQLite undoes for the
// failing statement alone.
func isConstraint(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
