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

// usersChannel carries the id of every user whose token version or role
// changes, as ticketsChannel does for events.
const usersChannel = "boxoffice_users_changed"

// queueNotify adds a notification on channel to a transaction's batch:
// PostgreSQL delivers it at commit, and never if the transaction fails.
func queueNotify(b *pgx.Batch, channel, payload string) {
	b.Queue("SELECT pg_notify($1, $2)", channel, payload)
}

// WatchTicketsReturned calls fn with the id of every event that gets
// tickets back through any server on this database, until ctx ends. It
// listens on a connection taken out of the pool, and after a failure
// listens again a second later.
func (db *DB) WatchTicketsReturned(ctx context.Context, fn func(eventID string)) {
	db.watch(ctx, ticketsChannel, fn, func(bool) {})
}

// WatchUsersChanged calls changed with the id of every user whose token
// version or role changes through any server on this database, until ctx
// ends; listening(true) once it listens, listening(false) when it stops.
func (db *DB) WatchUsersChanged(ctx context.Context, changed func(userID string), listening func(bool)) {
	db.watch(ctx, usersChannel, changed, listening)
}

// watch listens on channel until ctx ends, and after a failure listens
// again a second later.
func (db *DB) watch(ctx context.Context, channel string, fn func(payload string), listening func(bool)) {
	for ctx.Err() == nil {
		_ = db.listen(ctx, channel, fn, listening) // the error only says to listen again
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listen(ctx context.Context, channel string, fn func(payload string), listening func(bool)) error {
	pooled, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pooled.Hijack() // ours for as long as we listen: the pool opens another
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	listening(true)
	defer listening(false)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
