package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// ticketsChannel carries the id of every event that gets tickets back. A
// channel is per database, not per schema: deployments sharing a database
// hear each other, which is harmless (an id of another deployment's event
// matches nothing here).
const ticketsChannel = "boxoffice_tickets_returned"

// queueTicketsReturned adds the notification to a transaction's batch:
// PostgreSQL delivers it at commit, and never if the transaction fails.
func queueTicketsReturned(b *pgx.Batch, eventID string) {
	b.Queue("SELECT pg_notify($1, $2)", ticketsChannel, eventID)
}

// WatchTicketsReturned calls fn with the id of every event that gets
// tickets back through any server on this database, until ctx ends. It
// listens on a connection taken out of the pool, and after a failure
// listens again a second later.
func (db *DB) WatchTicketsReturned(ctx context.Context, fn func(eventID string)) {
	for ctx.Err() == nil {
		_ = db.listen(ctx, fn) // the error only says to listen again
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listen(ctx context.Context, fn func(eventID string)) error {
	pooled, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pooled.Hijack() // ours for as long as we listen: the pool opens another
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+ticketsChannel); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
