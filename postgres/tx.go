package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice/sqlstore"
)

// A transaction costs as few round trips as its statements allow: BEGIN
// rides with its first round trip, and COMMIT with the statements queued
// last (sqlstore.Tx.Queue). A booking batch, which locks in its first round
// trip and writes in its second, holds its row locks for one round trip,
// not the two or three of separate BEGIN and COMMIT calls: that bounds the
// bookings per second on one hot event.
const (
	beginTx  = "BEGIN ISOLATION LEVEL READ COMMITTED"
	commitTx = "COMMIT"
)

// changesChannel carries the broadcast changes (sqlstore.Tx.Notify). A
// channel is per database, not per schema: deployments sharing a database
// hear each other, which is harmless (ids of another deployment's rows
// match nothing here).
const changesChannel = "boxoffice_changes"

// tx implements sqlstore.Tx on one pooled connection.
type tx struct {
	conn   *pgxpool.Conn
	begun  bool              // BEGIN was sent
	queued []*sqlstore.Query // to go with the next round trip
	done   bool              // committed or rolled back; the connection is back in the pool
}

func (t *tx) Run(ctx context.Context, qs ...*sqlstore.Query) error {
	if t.done {
		return fmt.Errorf("postgres: transaction has ended")
	}
	b := t.batch()
	for _, q := range qs {
		queue(b, q)
	}
	if b.Len() == 0 {
		return nil
	}
	return t.conn.SendBatch(ctx, b).Close()
}

func (t *tx) Queue(qs ...*sqlstore.Query) { t.queued = append(t.queued, qs...) }

// Notify queues pg_notify: PostgreSQL delivers it at COMMIT, and never if
// the transaction fails.
func (t *tx) Notify(payload string) {
	t.Queue(&sqlstore.Query{SQL: "SELECT pg_notify($1, $2)", Args: []any{changesChannel, payload}})
}

// batch starts the next round trip: BEGIN if not sent yet, and whatever is
// queued.
func (t *tx) batch() *pgx.Batch {
	b := &pgx.Batch{}
	if !t.begun {
		b.Queue(beginTx)
		t.begun = true
	}
	for _, q := range t.queued {
		queue(b, q)
	}
	t.queued = nil
	return b
}

// Commit sends what is queued and COMMIT in one round trip. A transaction
// that sent and queued nothing has nothing to commit.
func (t *tx) Commit(ctx context.Context) error {
	if t.done {
		return nil
	}
	defer t.Rollback()
	if !t.begun && len(t.queued) == 0 {
		return nil
	}
	b := t.batch()
	b.Queue(commitTx)
	// The statements' callbacks run as their results arrive; COMMIT's
	// failure, or any earlier one (which makes PostgreSQL skip COMMIT),
	// comes back here, and the deferred Rollback ends what is left.
	return t.conn.SendBatch(ctx, b).Close()
}

// Rollback rolls back whatever transaction is still open, then gives the
// connection back. A connection that cannot be rolled back is closed,
// which ends the transaction too.
func (t *tx) Rollback() {
	if t.done {
		return
	}
	t.done = true
	if pc := t.conn.Conn().PgConn(); !pc.IsClosed() && pc.TxStatus() != 'I' {
		// The caller's context may be the reason we are here.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
			_ = t.conn.Conn().Close(ctx)
		}
		cancel()
	}
	t.conn.Release()
}

// Native returns the transaction as a pgx.Tx, with BEGIN and what is
// queued sent first.
func (t *tx) Native(ctx context.Context) (any, error) {
	if err := t.Run(ctx); err != nil {
		return nil, err
	}
	return pgxTx{t}, nil
}
