package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
)

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
