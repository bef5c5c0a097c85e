package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
)

// driver implements sqlstore.Driver over a writer connection and a pool of
// read-only connections.
type driver struct {
	dialect
	writer     *sql.DB // one connection: every write transaction
	reader     *sql.DB // read-only connections: every read
	jobs       *sql.DB // the job queue's connection
	migrator   *sql.DB // goose's connections
	statements atomic.Int64
	hub        *hub
}

var _ sqlstore.Driver = (*driver)(nil)

// Run runs reads on the read-only pool: several in one read transaction,
// so that they see one snapshot.
func (d *driver) Run(ctx context.Context, qs ...*sqlstore.Query) error {
	if len(qs) == 1 {
		return d.run(ctx, d.reader, qs[0])
	}
	d.statements.Add(1)
	tx, err := d.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer d.rollback(tx) // nothing to keep
	for _, q := range qs {
		if err := d.run(ctx, tx, q); err != nil {
			return err
		}
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// run runs one statement, in SQLite's terms: its placeholders and
// arguments rewritten, its rows scanned through timeRows.
func (d *driver) run(ctx context.Context, on querier, q *sqlstore.Query) error {
	d.statements.Add(1)
	query, args := rewrite(q.SQL), encodeArgs(q.Args)
	if q.Rows == nil {
		res, err := on.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		q.Affected, _ = res.RowsAffected()
		return nil
	}
	rows, err := on.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := q.Rows(timeRows{rows}); err != nil {
		return err
	}
	return rows.Close()
}

// placeholders are PostgreSQL's $1, $2…; SQLite reads ?1, ?2… alike.
var placeholders = regexp.MustCompile(`\$(\d+)`)

// rewritten caches rewrite's results: statements are few and reused.
var rewritten sync.Map

func rewrite(query string) string {
	if s, ok := rewritten.Load(query); ok {
		return s.(string)
	}
	s := placeholders.ReplaceAllString(query, "?$1")
	rewritten.Store(query, s)
	return s
}

// Begin starts a write transaction on the writer connection: BEGIN
// IMMEDIATE holds the database's write lock from the start, so what the
// transaction reads cannot change before it commits.
func (d *driver) Begin(ctx context.Context) (sqlstore.Tx, error) {
	d.statements.Add(1)
	t, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin: %w", err)
	}
	return &tx{d: d, tx: t}, nil
}

// rollback ends tx if it is still open, counting the ROLLBACK.
func (d *driver) rollback(tx *sql.Tx) {
	if err := tx.Rollback(); !errors.Is(err, sql.ErrTxDone) {
		d.statements.Add(1)
	}
}

// Classify reads SQLite's extended result code and, from its message, the
// constraint broken: CHECK constraints by name, UNIQUE ones by their index
// or columns (a table's id is its primary key, <table>_pkey). SQLite does
// not say which foreign key. Busy, locked and interrupted (the caller's
// time ran out) are sqlstore.Unavailable; a full disk is DiskFull.
func (d *driver) Classify(err error) (sqlstore.ErrorKind, string) {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return sqlstore.NoConstraint, ""
	}
	switch e.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT: // busy timeout; a lock; the caller's time ran out
		return sqlstore.Unavailable, ""
	case sqlite3.SQLITE_FULL:
		return sqlstore.DiskFull, ""
	}
	msg := e.Error()
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		if m := uniqueIndex.FindStringSubmatch(msg); m != nil {
			return sqlstore.Unique, m[1]
		}
		if m := uniqueColumns.FindStringSubmatch(msg); m != nil && m[2] == "id" {
			return sqlstore.Unique, m[1] + "_pkey"
		}
		return sqlstore.Unique, ""
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		if m := checkName.FindStringSubmatch(msg); m != nil {
			return sqlstore.Check, m[1]
		}
		return sqlstore.Check, ""
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKey, ""
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return sqlstore.NotNull, ""
	}
	return sqlstore.NoConstraint, ""
}

var (
	uniqueIndex   = regexp.MustCompile(`UNIQUE constraint failed: index '(\w+)'`)
	uniqueColumns = regexp.MustCompile(`(?:UNIQUE|PRIMARY KEY) constraint failed: (\w+)\.(\w+)\b`)
	checkName     = regexp.MustCompile(`CHECK constraint failed: (\w+)`)
)

// Watch delivers what this process's transactions announced: the embedded
// database has one server, which hears every change as it commits.
func (d *driver) Watch(ctx context.Context, fn func(payload string), listening func(bool)) {
	d.hub.watch(ctx, fn, listening)
}

// Ping returns an error if either pool cannot reach the database.
func (d *driver) Ping(ctx context.Context) error {
	if err := d.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping writer: %w", err)
	}
	if err := d.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping readers: %w", err)
	}
	return nil
}

// StatementCount is the number of SQL statements run since Open, BEGIN and
// COMMIT included (as the PostgreSQL driver counts), the migrations' own
// bookkeeping not.
func (d *driver) StatementCount() int64 { return d.statements.Load() }

// PoolStats describes the read pool, where requests wait; the writer is
// one connection that write transactions queue for.
func (d *driver) PoolStats() boxoffice.PoolStats {
	s := d.reader.Stats()
	return boxoffice.PoolStats{MaxConns: s.MaxOpenConnections, OpenConns: s.OpenConnections, InUse: s.InUse,
		WaitCount: s.WaitCount, WaitDuration: s.WaitDuration}
}

// Close closes both pools. The last connection to close checkpoints the WAL
// into the database file.
func (d *driver) Close() error {
	return errors.Join(d.migrator.Close(), d.jobs.Close(), d.reader.Close(), d.writer.Close())
}
