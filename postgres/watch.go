package postgres

import (
	"context"
	"time"
)

// Watch calls fn with the payload of every notification on changesChannel,
// sent by any server on this database, until ctx ends. It listens on one
// connection taken out of the pool, and after a failure listens again a
// second later; listening reports when it hears everything.
func (d *driver) Watch(ctx context.Context, fn func(payload string), listening func(bool)) {
	for ctx.Err() == nil {
		_ = d.listen(ctx, fn, listening) // the error only says to listen again
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (d *driver) listen(ctx context.Context, fn func(payload string), listening func(bool)) error {
	pooled, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pooled.Hijack() // ours for as long as we listen: the pool opens another
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
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
