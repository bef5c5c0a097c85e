package service_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/storetest"
)

// TestOversellRace: 300 signed-in buyers race for 50 tickets through the
// service (group commit, sold-out fast path) on each engine: exactly 50
// bookings, 250 SOLD_OUT, the store agreeing, and a recorded change for
// each booking made, by its buyer.
func TestOversellRace(t *testing.T) {
	const buyers, tickets = 300, 50
	testdb.Each(t, func(t *testing.T, engine string) {
		store := testdb.Migrated(t, engine)
		svc := newService(t, store)
		users := make([]*boxoffice.User, 10)
		for i := range users {
			users[i] = storetest.MustCreateUser(t, store, fmt.Sprintf("buyer%02d", i))
		}
		ev := storetest.MustCreateEvent(t, store, tickets, time.Hour)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()

		var ok, soldOut atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range buyers {
			wg.Go(func() {
				<-start
				u := users[i%len(users)]
				asBuyer := boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: u.ID, Role: u.Role})
				b, err := svc.Bookings.CreateBooking(asBuyer, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1})
				switch {
				case err == nil && b != nil && b.UserID == u.ID && b.EventID == ev.ID:
					ok.Add(1)
				case boxoffice.ErrorCode(err) == boxoffice.ESOLDOUT:
					storetest.CheckError(t, err)
					soldOut.Add(1)
				default:
					t.Errorf("buyer %d: CreateBooking = %+v, %v", i, b, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok.Load() != tickets || soldOut.Load() != buyers-tickets {
			t.Errorf("%d buyers for %d tickets: %d booked, %d sold out", buyers, tickets, ok.Load(), soldOut.Load())
		}
		storetest.WantAvailable(t, store, ev.ID, 0)
		storetest.AssertInvariants(t, store)
		changes, err := store.Changes().After(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		made := 0
		for _, c := range changes {
			if c.Kind == boxoffice.ChangeBookingConfirmed && c.EventID == ev.ID {
				made++
				if c.ActorID != c.UserID {
					t.Errorf("booking %s recorded as made by %q, want its buyer %s", c.BookingID, c.ActorID, c.UserID)
				}
			}
		}
		if made != tickets {
			t.Errorf("%d booking.confirmed changes recorded, want %d", made, tickets)
		}
	})
}
