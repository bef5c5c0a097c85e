package sqlstore

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Driver is a database engine as the stores need it. The postgres and
// sqlite packages implement it; everything else is written once, here.
//
// Every statement is written with PostgreSQL's $1, $2… placeholders; a
// driver rewrites them as its engine needs. Arguments are
// Go values: strings, integers, booleans, time.Time (UTC, microseconds),
// nil, and the Dialect's own list and table arguments, which a driver
// encodes as its engine needs.
type Driver interface {
	Dialect
	// Run runs statements outside a transaction. They must only read: on
	// some engines the connections they run on cannot write. Statements of
	// one call see one state of the database where the engine allows.
	Run(ctx context.Context, qs ...*Query) error
	// Begin starts a transaction for writing. The engine may defer BEGIN
	// to the transaction's first round trip.
	Begin(ctx context.Context) (Tx, error)
	// Classify says what a failed statement's error means, as far as the
	// stores care: which constraint it broke, if any.
	Classify(err error) (kind ErrorKind, constraint string)
	// Watch delivers the payloads that committed transactions sent with
	// Tx.Notify, through any server on this database, until ctx ends; see
	// boxoffice.Store.Watch for listening.
	Watch(ctx context.Context, fn func(payload string), listening func(bool))

	Ping(ctx context.Context) error
	StatementCount() int64
	PoolStats() boxoffice.PoolStats
	Close() error
}

// Tx is a transaction on one connection.
type Tx interface {
	// Run sends the queued statements, then qs, in one round trip where the
	// engine can (PostgreSQL pipelines them), and reads their results.
	Run(ctx context.Context, qs ...*Query) error
	// Queue adds statements whose results nobody reads: they go with the
	// next Run, or with COMMIT. An error they cause comes back from that.
	Queue(qs ...*Query)
	// Notify sends payload to every server's Watch when the transaction
	// commits, and never if it does not.
	Notify(payload string)
	// Commit sends the queued statements and COMMIT; Rollback ends the
	// transaction without them. Either may be called after the other,
	// which is then a no-op, so `defer tx.Rollback()` is safe.
	Commit(ctx context.Context) error
	Rollback()
	// Native returns the engine's own transaction handle, with everything
	// queued sent, for libraries that write in the same transaction.
	Native(ctx context.Context) (any, error)
}

// Query is one statement, its arguments, and what to do with its rows.
type Query struct {
	SQL  string
	Args []any
	// Rows reads the statement's rows; nil for a statement whose rows, if
	// any, nobody reads.
	Rows func(Rows) error
	// Affected is set by Run for a statement without Rows: how many rows
	// it changed.
	Affected int64
}

// Rows are a statement's result rows. Scan takes pointers to strings,
// integers, booleans, time.Time and *time.Time (for NULL), and pointers to
// pointers for nullable columns.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ErrorKind is the kind of constraint a statement broke.
type ErrorKind int

const (
	NoConstraint ErrorKind = iota // not a constraint violation: a fault
	Unique
	ForeignKey
	Check
	NotNull
)

// Dialect holds the few pieces of SQL the engines spell differently. Each
// appends its own arguments to args and returns SQL naming them.
type Dialect interface {
	// In is "column is one of ids" for a list of UUIDs.
	In(args *Args, column string, ids []string) string
	// ContainsFold is "column contains s", case-insensitively over all of
	// Unicode, with s's own wildcards taken literally.
	ContainsFold(args *Args, column, s string) string
	// Table is a table of rows, given as parameters, with these columns
	// (for bulk inserts and updates): rows[i][j] is column j of row i.
	Table(args *Args, alias string, columns []Column, rows [][]any) string
	// Lock is the clause of a SELECT that locks the rows it reads until the
	// transaction ends: mode is "UPDATE", "KEY SHARE" or "UPDATE OF b, e"
	// (empty on an engine whose write transactions lock the whole database).
	Lock(mode string) string
	// Latest is a statement that reads, for each of ids, up to per of the
	// newest rows of table whose column owner is that id: cols of each, in
	// any order. An engine needs its own way to do it without reading every
	// row of each owner.
	Latest(args *Args, table, cols, owner string, ids []string, per int, order string) string
}

// Column is a column of a Dialect.Table: its name and its type as
// PostgreSQL spells it.
type Column struct {
	Name, Type string
}

// Args collects a statement's arguments and numbers their placeholders.
type Args []any

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return placeholder(len(*a))
}

// Time is t as the stores keep it: UTC, to the microsecond (PostgreSQL's
// resolution), so what a method returns equals what it stored.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
