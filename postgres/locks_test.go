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
	dbURL := newDatabase(t)
	ctx := t.Context()
	db, err := Open(ctx, Config{URL: dbURL, Schema: testSchema, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migrate(t, db)
	user := storetest.MustCreateUser(t, db, "Lena")
	ev := storetest.MustCreateEvent(t, db, 10, time.Hour)
	res, err := db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
		{UserID: user.ID, EventID: ev.ID, Tickets: 2}, {UserID: user.ID, EventID: ev.ID, Tickets: 1},
	}, boxoffice.BookingTerms{Hold: time.Hour, Provider: "test"})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("BookBatch: %v %+v", err, res)
	}
	paid, cancelled := res[0].Booking, res[1].Booking

	holder, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(context.Background())
	if _, err := holder.Exec(ctx, "SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE", ev.ID); err != nil {
		t.Fatal(err)
	}

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

	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
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
	dbURL := newDatabase(t)
	ctx := t.Context()
	db, err := Open(ctx, Config{URL: dbURL, Schema: testSchema, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migrate(t, db)
	user := storetest.MustCreateUser(t, db, "Lena")
	ev := storetest.MustCreateEvent(t, db, 10, time.Hour)
	res, err := db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
		{UserID: user.ID, EventID: ev.ID, Tickets: 2}, {UserID: user.ID, EventID: ev.ID, Tickets: 1},
	}, boxoffice.BookingTerms{Hold: time.Millisecond, Provider: "test"})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("BookBatch: %v %+v", err, res)
	}
	locked, due := res[0].Booking, res[1].Booking
	time.Sleep(10 * time.Millisecond)

	holder, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(context.Background())
	if _, err := holder.Exec(ctx, "SELECT 1 FROM bookings WHERE id = $1 FOR NO KEY UPDATE", locked.ID); err != nil {
		t.Fatal(err)
	}
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

	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	expired, err = db.Bookings().ExpireHolds(ctx, time.Now(), 100)
	if err != nil || len(expired) != 1 || expired[0].ID != locked.ID {
		t.Fatalf("the next sweep: %v, %v; want the hold that was locked", expired, err)
	}
	storetest.WantAvailable(t, db, ev.ID, 10)
}
