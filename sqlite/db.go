// Package sqlite is the embedded boxoffice store: one SQLite database file,
// pure Go (modernc.org/sqlite), nothing to set up.
//
// SQLite allows one writer at a time. Rather than let writers race for the
// file lock and fail with SQLITE_BUSY, all writes go through a single writer
// connection whose transactions take the lock at BEGIN (BEGIN IMMEDIATE):
// writers queue in the Go connection pool instead. Reads use a separate pool
// of read-only connections which, in WAL mode, never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is the SQLite store. It implements boxoffice.Store and
// boxoffice.Migrator, and is safe for concurrent use.
type DB struct {
	writer     *sql.DB // one connection: every write transaction
	reader     *sql.DB // read-only connections: every read
	statements atomic.Int64
}

var (
	_ boxoffice.Store    = (*DB)(nil)
	_ boxoffice.Migrator = (*DB)(nil)
)

// busyTimeout is how long a connection waits for a lock another process
// holds (this process never contends with itself) before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Every pooled connection gets its pragmas from the DSN, as the pool opens
// connections on its own. journal_mode is persistent in the file, so only
// the writer sets it; readers inherit it.
var (
	commonPragmas = []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"foreign_keys(1)",
		"synchronous(NORMAL)", // durable enough in WAL mode: a crash loses no committed data, a power loss only the last commits
	}
	writerPragmas = append([]string{"journal_mode(WAL)"}, commonPragmas...)
	readerPragmas = append([]string{"query_only(1)"}, commonPragmas...)
)

// Open opens the database file at path, creating it (and its directory) if
// missing. It does not migrate: see MigrateUp. In-memory databases are not
// supported, as the reader and writer pools must share one file.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.Contains(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: need the path of a database file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}

	db := &DB{}
	// The writer connects first so the file is in WAL mode before any reader.
	db.writer, err = openPool(ctx, dsn(abs, writerPragmas, "immediate"), 1)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: writer: %w", path, err)
	}
	db.reader, err = openPool(ctx, dsn(abs, readerPragmas, ""), max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("sqlite: open %q: readers: %w", path, err)
	}
	return db, nil
}

// dsn returns a modernc.org/sqlite URI for the file at path. txlock
// "immediate" makes BeginTx take the write lock at BEGIN, so a transaction
// never fails upgrading a read lock to a write lock.
func dsn(path string, pragmas []string, txlock string) string {
	q := url.Values{"_pragma": pragmas}
	if txlock != "" {
		q.Set("_txlock", txlock)
	}
	// A file: URI, because a plain path would be cut at its first '?'.
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?" + q.Encode()
}

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns) // keep them: opening one runs its pragmas
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// Ping returns an error if either pool cannot reach the database.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping writer: %w", err)
	}
	if err := db.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping readers: %w", err)
	}
	return nil
}

// Close closes both pools. The last connection to close checkpoints the WAL
// into the database file.
func (db *DB) Close() error {
	var errs []error
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	if db.writer != nil {
		errs = append(errs, db.writer.Close())
	}
	return errors.Join(errs...)
}

// StatementCount is the number of SQL statements run since Open, BEGIN and
// COMMIT included (as the PostgreSQL store counts), the migrations' own
// bookkeeping not.
func (db *DB) StatementCount() int64 { return db.statements.Load() }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs statements on a pool or in a transaction and counts them.
type conn struct {
	q querier
	n *atomic.Int64
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.q.ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.n.Add(1)
	return c.q.QueryContext(ctx, query, args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	c.n.Add(1)
	return c.q.QueryRowContext(ctx, query, args...)
}

// read returns the read pool, for single statements.
func (db *DB) read() conn { return conn{db.reader, &db.statements} }

// write returns the writer connection, for single statements, which SQLite
// runs atomically on their own.
func (db *DB) write() conn { return conn{db.writer, &db.statements} }

// inReadTx runs fn in a read transaction, so that its statements (a count
// and a page) see one snapshot.
func (db *DB) inReadTx(ctx context.Context, fn func(conn) error) error {
	db.statements.Add(1)
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer db.rollback(tx) // nothing to keep
	return fn(conn{tx, &db.statements})
}

// inWriteTx runs fn in a write transaction on the writer connection, and
// commits if fn returns nil. BEGIN IMMEDIATE holds the database's write lock
// from the start, so what fn reads cannot change before it commits.
func (db *DB) inWriteTx(ctx context.Context, fn func(conn) error) error {
	db.statements.Add(1)
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer db.rollback(tx) // unless committed; on a panic too, or the writer would stay locked
	if err := fn(conn{tx, &db.statements}); err != nil {
		return err
	}
	db.statements.Add(1)
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// rollback ends tx if it is still open, counting the ROLLBACK.
func (db *DB) rollback(tx *sql.Tx) {
	if err := tx.Rollback(); !errors.Is(err, sql.ErrTxDone) {
		db.statements.Add(1)
	}
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan. It never returns a
// nil slice without an error: lists are never null.
func queryAll[T any](ctx context.Context, c conn, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryByIDs runs query, whose "(%s)" is filled with placeholders, once per
// chunk of the distinct canonical ids (SQLite bounds the parameters of a
// statement), with the ids followed by extra as arguments.
func queryByIDs[T any](ctx context.Context, c conn, scan func(scanner) (T, error), query string, ids []string, extra ...any) ([]T, error) {
	const chunk = 500
	ids = canonicalIDs(ids)
	out := []T{}
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		args := make([]any, 0, n+len(extra))
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		part, err := queryAll(ctx, c, scan, fmt.Sprintf(query, placeholders(n)), append(args, extra...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
		ids = ids[n:]
	}
	return out, nil
}

// placeholders returns "?, ?, …", n of them.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// canonicalID is id in the form the tables hold, lower case. UUIDs are
// case-insensitive (boxoffice.ValidID accepts either case, and PostgreSQL's
// uuid type compares them so); TEXT columns are not.
func canonicalID(id string) string { return strings.ToLower(id) }

// canonicalIDs returns the distinct canonical forms of ids.
func canonicalIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = canonicalID(id); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// where collects the conditions of a filter and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// containsPattern is a LIKE pattern (ESCAPE '\') matching s, lower-cased,
// anywhere: s's own wildcards match only themselves.
func containsPattern(s string) string {
	return "%" + likeEscaper.Replace(strings.ToLower(s)) + "%"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// lowerFunc is SQL lower() for all of Unicode, as PostgreSQL's: SQLite's
// own lower() and LIKE fold ASCII letters only.
const lowerFunc = "boxoffice_lower"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(lowerFunc, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		default:
			return v, nil
		}
	})
}

// Times are stored as TEXT in UTC, fixed width, so that they sort as text
// in time order; microseconds, as PostgreSQL keeps them.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// timeColumn scans a stored time into *t.
type timeColumn struct{ t *time.Time }

func (c timeColumn) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("sqlite: time column holds %T", src)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("sqlite: time column: %w", err)
	}
	*c.t = t
	return nil
}

// nullTimeColumn scans a stored time, or NULL, into *t.
type nullTimeColumn struct{ t **time.Time }

func (c nullTimeColumn) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeColumn{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// translate turns err from an operation (op, e.g. "find event") on an entity
// ("event") into a domain error where it has a meaning for the client, or
// wraps it with context: it then becomes INTERNAL upstream and is only
// logged. Messages of *boxoffice.Error never carry SQL or driver text. The
// codes and messages are the PostgreSQL store's.
func translate(err error, op, entity string) error {
	var domainErr *boxoffice.Error
	var driverErr *sqlite.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domainErr):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", entity)
	case !errors.As(err, &driverErr):
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	switch driverErr.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		if strings.Contains(driverErr.Error(), "users.email") {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "email already registered")
		}
		return boxoffice.Errorf(boxoffice.ECONFLICT, "%s already exists", entity)
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		// SQLite names the violated CHECK constraint (see migrations).
		for name, e := range checkErrors {
			if strings.Contains(driverErr.Error(), name) {
				return &e
			}
		}
		return boxoffice.Errorf(boxoffice.EINVALID, "invalid %s", entity)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: // SQLite does not say which
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "a referenced record was not found")
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return boxoffice.Errorf(boxoffice.EINVALID, "invalid %s", entity)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// checkErrors are what a violated CHECK constraint means to a client.
var checkErrors = map[string]boxoffice.Error{
	"events_total_tickets_check":       {Code: boxoffice.EINVALID, Field: "totalTickets", Message: "totalTickets must be at least 1"},
	"events_available_tickets_check":   {Code: boxoffice.ECONFLICT, Message: "not enough tickets left"},
	"events_price_cents_check":         {Code: boxoffice.EINVALID, Field: "price", Message: "price must not be negative"},
	"bookings_number_of_tickets_check": {Code: boxoffice.EINVALID, Field: "numberOfTickets", Message: "numberOfTickets must be between 1 and 10"},
	"bookings_status_check":            {Code: boxoffice.EINVALID, Field: "status", Message: "status must be CONFIRMED or CANCELLED"},
	"users_role_check":                 {Code: boxoffice.EINVALID, Field: "role", Message: "role is not valid"},
}

// isForeignKeyViolation reports whether err is SQLite refusing a reference
// to a row that does not exist. SQLite does not say which foreign key:
// callers that write one table with one foreign key know.
func isForeignKeyViolation(err error) bool {
	var driverErr *sqlite.Error
	return errors.As(err, &driverErr) && driverErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
