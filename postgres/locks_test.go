package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/storetest"
)

// Paying a hold moves no tickets, so its confirmation leaves the event's
// row alone: while another session holds that row (as an on-sale's
// booking batches do, one after another), a hold is confirmed without
// waiting, tickets issued. Giving tickets back (a cancellation) does take
// the row, so it waits; here, as long as the lock timeout, then fails as
// UNAVAILABLE with nothing changed. Locking the event first, as Update
// once did, made every payment queue behind the batches.
func TestPayingAHoldLeavesItsEventAlone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, user, ev := lockRig(t, time.Second)
	paid, cancelled := holds(t, db, user, ev, time.Hour)
	release := holdRow(t, db, "events", ev.ID, "NO KEY UPDATE")

	now := time.Now()
	start := time.Now()
	b, err := db.Bookings().Update(ctx, paid.ID, func(b *boxoffice.Booking) error { return b.Confirm(now) })
	if err != nil {
		t.Fatalf("confirming a hold while its event is locked: %v (after %v)", err, time.Since(start))
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("confirming a hold waited %v for its event's row", took)
	}
	if b.Status != boxoffice.BookingConfirmed {
		t.Errorf("confirmed: %s", b.Status)
	}
	ts, err := db.Tickets().ByBookingIDs(ctx, []string{paid.ID})
	if err != nil || len(ts) != 2 {
		t.Errorf("tickets of the confirmed hold: %d, %v; want 2", len(ts), err)
	}

	_, err = db.Bookings().Update(ctx, cancelled.ID, func(b *boxoffice.Booking) error { return b.Cancel(now, true) })
	storetest.WantCode(t, err, boxoffice.EUNAVAILABLE)
	if got := storetest.MustFindBooking(t, db, cancelled.ID); got.Status != boxoffice.BookingPending {
		t.Errorf("a cancellation that timed out left the booking %s", got.Status)
	}

	release()
	if _, err := db.Bookings().Update(ctx, cancelled.ID, func(b *boxoffice.Booking) error { return b.Cancel(now, true) }); err != nil {
		t.Fatalf("cancelling once the event is free: %v", err)
	}
	storetest.WantAvailable(t, db, ev.ID, 8)
}

// The holds' expiry passes over a hold that another transaction has
// locked (a payment or a cancellation deciding it), rather than wait
// for it with the event's row locked: Update locks a booking before its
// event, so waiting here could deadlock. The hold is expired by a later
// sweep if it is still due then.
func TestExpiryPassesOverALockedHold(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, user, ev := lockRig(t, 5*time.Second)
	locked, due := holds(t, db, user, ev, time.Millisecond)
	time.Sleep(10 * time.Millisecond)
	release := holdRow(t, db, "bookings", locked.ID, "NO KEY UPDATE")
	start := time.Now()
	expired, err := db.Bookings().ExpireHolds(ctx, time.Now(), 100)
	if err != nil {
		t.Fatalf("ExpireHolds with a hold locked: %v (after %v)", err, time.Since(start))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("ExpireHolds waited %v for a locked hold", took)
	}
	if len(expired) != 1 || expired[0].ID != due.ID {
		t.Fatalf("expired %v, want only the unlocked hold %s", expired, due.ID)
	}
	storetest.WantAvailable(t, db, ev.ID, 8)

	release()
	expired, err = db.Bookings().ExpireHolds(ctx, time.Now(), 100)
	if err != nil || len(expired) != 1 || expired[0].ID != locked.ID {
		t.Fatalf("the next sweep: %v, %v; want the hold that was locked", expired, err)
	}
	storetest.WantAvailable(t, db, ev.ID, 10)
}

// lockRig is a migrated database of its own whose connections wait for a
// lock at most lockTimeout, with a buyer and an event of 10 tickets.
func lockRig(t *testing.T, lockTimeout time.Duration) (*DB, *boxoffice.User, *boxoffice.Event) {
	t.Helper()
	db, err := Open(t.Context(), Config{URL: newDatabase(t), Schema: testSchema, LockTimeout: lockTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return db, storetest.MustCreateUser(t, db, "Lena"), storetest.MustCreateEvent(t, db, 10, time.Hour)
}

// holdRow locks a row as another session would, with lock (a FOR
// clause), until the returned function or the test's end releases it.
func holdRow(t *testing.T, db *DB, table, id, lock string) (release func()) {
	t.Helper()
	holder, err := db.Pool().Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Rollback(context.Background()) })
	if _, err := holder.Exec(t.Context(), "SELECT 1 FROM "+table+" WHERE id = $1 FOR "+lock, id); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := holder.Rollback(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// holds makes a 2-ticket and a 1-ticket hold of ev for user, held for hold.
func holds(t *testing.T, db *DB, user *boxoffice.User, ev *boxoffice.Event, hold time.Duration) (*boxoffice.Booking, *boxoffice.Booking) {
	t.Helper()
	res, err := db.Bookings().BookBatch(t.Context(), []boxoffice.BookingRequest{
		{UserID: user.ID, EventID: ev.ID, Tickets: 2}, {UserID: user.ID, EventID: ev.ID, Tickets: 1},
	}, boxoffice.BookingTerms{Hold: hold, Provider: "test"})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("BookBatch: %v %+v", err, res)
	}
	return res[0].Booking, res[1].Booking
}
