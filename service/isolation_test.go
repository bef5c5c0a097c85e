package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/pgtest"
	"github.com/boxoffice/boxoffice/postgres"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// TestLockedEventDelaysOnlyItself: on PostgreSQL, another session holds
// event A's row (a long transaction in psql) while buyers book A and
// twenty other events at once. The other events' bookings all go through
// promptly, well inside the lock timeout (the bound is generous: the point
// is that none waits for A's lock); A's buyers are answered UNAVAILABLE
// with a retryAfter within about the lock timeout, never INTERNAL; every
// booking acknowledged is in the database, A's tickets are untouched, and
// A books again once the lock is gone. (docs/operations.md, "PostgreSQL
// slows down".)
func TestLockedEventDelaysOnlyItself(t *testing.T) {
	const lockTimeout = 3 * time.Second
	dbURL, _ := pgtest.NewDatabase(t)
	ctx := t.Context()
	store, err := postgres.Open(ctx, postgres.Config{URL: dbURL, Schema: "boxoffice", MaxConns: 16, LockTimeout: lockTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if _, err := store.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	// One lane, the harshest case: were the locked event's batch to wait
	// on it, every other booking would wait too.
	svc := service.New(store, service.Options{Limits: &service.Limits{}, Batch: service.BatchOptions{Lanes: 1}})
	t.Cleanup(svc.Close)

	users := make([]*boxoffice.User, 20)
	for i := range users {
		users[i] = storetest.MustCreateUser(t, store, fmt.Sprintf("buyer%02d", i))
	}
	locked := storetest.MustCreateEvent(t, store, 100, time.Hour)
	others := make([]*boxoffice.Event, 20)
	for i := range others {
		others[i] = storetest.MustCreateEvent(t, store, 1000, time.Hour)
	}
	book := func(i int, ev *boxoffice.Event) (*boxoffice.Booking, error) {
		u := users[i%len(users)]
		asBuyer := boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: u.ID, Role: u.Role})
		return svc.Bookings.CreateBooking(asBuyer, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1 + i%3})
	}

	holder, err := store.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(context.Background())
	if _, err := holder.Exec(ctx, "SELECT 1 FROM events WHERE id = $1 FOR UPDATE", locked.ID); err != nil {
		t.Fatal(err)
	}

	// A's buyers first, until one of them waits for the lock.
	const lockedBuyers = 30
	var lockedWG sync.WaitGroup
	lockedErrs := make([]error, lockedBuyers)
	lockedTook := make([]time.Duration, lockedBuyers)
	for i := range lockedBuyers {
		lockedWG.Go(func() {
			start := time.Now()
			_, lockedErrs[i] = book(i, locked)
			lockedTook[i] = time.Since(start)
		})
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var waiting int
		if err := store.Pool().QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE NOT granted").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no booking ever waited for the locked event")
		}
	}

	// Then the other events' buyers, while A's batch waits.
	const buyers = 300
	var wg sync.WaitGroup
	acked := make([]*boxoffice.Booking, buyers)
	took := make([]time.Duration, buyers)
	start := make(chan struct{})
	for i := range buyers {
		wg.Go(func() {
			<-start
			began := time.Now()
			b, err := book(i, others[i%len(others)])
			took[i] = time.Since(began)
			if err != nil {
				t.Errorf("buyer %d of another event: %v", i, err)
				return
			}
			acked[i] = b
		})
	}
	close(start)
	wg.Wait()
	var slowest time.Duration
	for _, d := range took {
		slowest = max(slowest, d)
	}
	t.Logf("%d bookings for 20 other events while one was locked: the slowest took %v (lock timeout %v)", buyers, slowest, lockTimeout)
	if slowest > lockTimeout/2 {
		t.Errorf("a booking for another event took %v: it waited behind the locked one (lock timeout %v)", slowest, lockTimeout)
	}

	lockedWG.Wait()
	for i, err := range lockedErrs {
		if code := boxoffice.ErrorCode(err); code != boxoffice.EUNAVAILABLE || boxoffice.ErrorRetryAfter(err) < time.Second {
			t.Errorf("buyer %d of the locked event: %v (code %q), want UNAVAILABLE with retryAfter", i, err, code)
		}
		if lockedTook[i] > lockTimeout+2*time.Second {
			t.Errorf("buyer %d of the locked event was answered after %v, lock timeout %v", i, lockedTook[i], lockTimeout)
		}
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	// Everything acknowledged is in the database, and only that.
	sold := map[string]int{}
	for i, b := range acked {
		if b == nil {
			continue
		}
		got, err := store.Bookings().ByID(ctx, b.ID)
		if err != nil || got.NumberOfTickets != b.NumberOfTickets || got.Status != boxoffice.BookingConfirmed {
			t.Errorf("acknowledged booking %d (%s): %+v, %v", i, b.ID, got, err)
		}
		sold[b.EventID] += b.NumberOfTickets
	}
	for _, ev := range others {
		storetest.WantAvailable(t, store, ev.ID, 1000-sold[ev.ID])
	}
	storetest.WantAvailable(t, store, locked.ID, 100)
	storetest.AssertInvariants(t, store)
	if _, err := book(0, locked); err != nil {
		t.Errorf("booking the event once its lock is gone: %v", err)
	}
}
