package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
)

// driver implements sqlstore.Driver over a pgx pool.
type driver struct {
	dialect
	pool       *pgxpool.Pool
	statements atomic.Int64
	roundTrips atomic.Int64 // for tests that prove pipelining
}

var _ sqlstore.Driver = (*driver)(nil)

// Run sends qs in one round trip: a single query as it is, several as a
// batch, which PostgreSQL runs in one implicit transaction.
func (d *driver) Run(ctx context.Context, qs ...*sqlstore.Query) error {
	if len(qs) == 1 && qs[0].Rows != nil {
		q := qs[0]
		rows, err := d.pool.Query(ctx, q.SQL, q.Args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := q.Rows(rows); err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}
	b := &pgx.Batch{}
	for _, q := range qs {
		queue(b, q)
	}
	return d.pool.SendBatch(ctx, b).Close()
}

// queue adds q to b, with a callback that reads its rows or the number of
// rows it changed.
func queue(b *pgx.Batch, q *sqlstore.Query) {
	qq := b.Queue(q.SQL, q.Args...)
	if q.Rows != nil {
		qq.Query(func(rows pgx.Rows) error { return q.Rows(rows) })
		return
	}
	qq.Exec(func(tag pgconn.CommandTag) error {
		q.Affected = tag.RowsAffected()
		return nil
	})
}

// Begin takes a connection for a transaction, which begins with its first
// round trip (see tx).
func (d *driver) Begin(ctx context.Context) (sqlstore.Tx, error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return &tx{conn: conn}, nil
}

// Classify reads a PostgreSQL error's SQLSTATE and constraint name, and
// tells time-outs, overload and a full disk (sqlstore.Unavailable, DiskFull).
func (d *driver) Classify(err error) (sqlstore.ErrorKind, string) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return sqlstore.NoConstraint, ""
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		return sqlstore.Unique, pgErr.ConstraintName
	case "23503": // foreign_key_violation
		return sqlstore.ForeignKey, pgErr.ConstraintName
	case "23514": // check_violation
		return sqlstore.Check, pgErr.ConstraintName
	case "23502": // not_null_violation
		return sqlstore.NotNull, pgErr.ConstraintName
	case "57014", "55P03", "53200", "53300": // query_canceled (statement_timeout), lock_not_available, out_of_memory, too_many_connections
		return sqlstore.Unavailable, ""
	case "53100": // disk_full
		return sqlstore.DiskFull, ""
	}
	return sqlstore.NoConstraint, ""
}

// Ping returns an error if the database cannot be reached.
func (d *driver) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// StatementCount is the number of SQL statements sent since Open, each
// statement of a batch included (BEGIN and COMMIT too).
func (d *driver) StatementCount() int64 { return d.statements.Load() }

func (d *driver) PoolStats() boxoffice.PoolStats {
	s := d.pool.Stat()
	return boxoffice.PoolStats{
		MaxConns: int(s.MaxConns()), OpenConns: int(s.TotalConns()), InUse: int(s.AcquiredConns()),
		WaitCount: s.EmptyAcquireCount(), WaitDuration: s.EmptyAcquireWaitTime(),
	}
}

func (d *driver) Close() error {
	d.pool.Close()
	return nil
}
