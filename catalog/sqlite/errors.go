package sqlite

import (
	"context"
	"errors"
	"strings"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"dataportal/catalog"
)

var errClosed = catalog.E(catalog.KindUnavailable, "数据库已关闭", "the database is closed")

// translate turns a driver error into a catalog error at the boundary, so
// callers never see SQLite codes and users never see SQL. Constraint
// violations are recognised by their extended result codes, not by message
// text; the message is read only to name the unique field that was hit.
// uniques are the collection's unique fields; op says what failed, for logs.
func translate(ctx context.Context, err error, uniques []catalog.Field, op string) error {
	if err == nil {
		return nil
	}
	var de *catalog.Error
	if errors.As(err, &de) {
		return err
	}
	if ctx.Err() != nil {
		// A cancelled or timed-out request interrupts its statement; the
		// driver then reports SQLITE_INTERRUPT, which says less than ctx.
		return catalog.Wrap(catalog.KindUnavailable, errors.Join(ctx.Err(), err), "请求已取消或超时", "the request was cancelled or timed out")
	}
	var se *sqlitedrv.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return catalog.Duplicate("id")
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return catalog.Duplicate(uniqueField(se.Error(), uniques))
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return catalog.Wrap(catalog.KindUnavailable, err, "数据库繁忙，请稍后重试", "the database is busy; retry later")
		case sqlite3.SQLITE_FULL:
			return catalog.Wrap(catalog.KindUnavailable, err, "存储空间已满", "the storage is full")
		}
	}
	return catalog.Internal(err, "sqlite: %s", op)
}

// uniqueField names the field whose unique index a constraint error names
// ("UNIQUE constraint failed: c_items.f_email"). With one unique field there
// is nothing to guess.
func uniqueField(msg string, uniques []catalog.Field) string {
	for _, f := range uniques {
		col := "." + columnName(f)
		if i := strings.Index(msg, col); i >= 0 {
			rest := msg[i+len(col):]
			if rest == "" || strings.ContainsRune(" ,()", rune(rest[0])) {
				return f.Name
			}
		}
	}
	if len(uniques) == 1 {
		return uniques[0].Name
	}
	return ""
}
