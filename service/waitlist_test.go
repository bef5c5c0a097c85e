package service_test

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/payments/testpay"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// TestWaitlistUnderCancellationsAndJoins: a sold-out event of 100 tickets
// with 60 people waiting for 2 each (enough that the list never empties
// while tickets come back: a list exists only for a sold-out event or one
// with people waiting); then 100 cancellations, 100 more joins and 50
// buyers from the public, all at once, while the periodic job serves the
// list. The public gets nothing while people wait; every
// returned ticket is offered, once, to the entries in the order they
// joined; offers that run out pass on to the next entries; and tickets
// taken equal those of PENDING and CONFIRMED bookings.
func TestWaitlistUnderCancellationsAndJoins(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		const offerTTL = 5 * time.Second
		store := testdb.Migrated(t, engine)
		q := testdb.Queue(t, store, jobs.Config{Expire: 200 * time.Millisecond})
		svc := service.New(store, service.Options{Payments: testpay.New(), Hold: time.Minute, OfferTTL: offerTTL, Jobs: q, Limits: &service.Limits{}})
		t.Cleanup(svc.Close)
		if err := q.Work(t.Context(), svc); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		ev := storetest.MustCreateEvent(t, store, 100, time.Hour)
		holder := storetest.MustCreateUser(t, store, "holder")
		sold := make([]*boxoffice.Booking, 100)
		for i := range sold {
			sold[i] = storetest.MustBook(t, store, holder, ev, 1)
		}
		users := func(prefix string, n int) []*boxoffice.User {
			out := make([]*boxoffice.User, n)
			for i := range out {
				out[i] = storetest.MustCreateUser(t, store, fmt.Sprintf("%s%03d", prefix, i))
			}
			return out
		}
		waiters, public := users("waiter", 160), users("public", 50)
		join := func(u *boxoffice.User) error {
			_, err := svc.Waitlist.JoinWaitlist(as(ctx, u), ev.ID, 2)
			return err
		}
		for _, u := range waiters[:60] {
			if err := join(u); err != nil {
				t.Fatal(err)
			}
		}

		var wg sync.WaitGroup
		var publicBooked atomic.Int32
		for i := range 100 {
			wg.Go(func() {
				if _, err := svc.Bookings.CancelBooking(as(ctx, holder), sold[i].ID); err != nil {
					t.Errorf("cancel %d: %v", i, err)
				}
			})
		}
		for _, u := range waiters[60:] {
			wg.Go(func() {
				if err := join(u); err != nil {
					t.Errorf("join: %v", err)
				}
			})
		}
		for _, u := range public {
			wg.Go(func() {
				_, err := svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1})
				switch boxoffice.ErrorCode(err) {
				case boxoffice.ESOLDOUT:
				case "":
					publicBooked.Add(1)
				default:
					t.Errorf("public booking: %v", err)
				}
			})
		}
		wg.Wait()
		if n := publicBooked.Load(); n != 0 {
			t.Errorf("%d public bookings while people waited, want none", n)
		}

		// The first wave: the 100 tickets returned go to the first 50
		// entries, 2 each, and nobody else.
		eventually(t, 20*time.Second, "the returned tickets offered", func() bool {
			return storetest.MustFindEvent(t, store, ev.ID).AvailableTickets == 0 && offered(t, store, ev.ID) == 50
		})
		checkQueueOrder(t, store, ev.ID, 50)
		storetest.AssertInvariants(t, store)

		// Nobody pays: the offers expire and pass on to the next 50, and
		// so on to the last 10, whose offers expire in turn; then the
		// tickets are free.
		eventually(t, 4*offerTTL, "the second wave offered", func() bool { return offered(t, store, ev.ID) >= 100 })
		eventually(t, 8*offerTTL, "every entry offered", func() bool { return offered(t, store, ev.ID) == 160 })
		checkQueueOrder(t, store, ev.ID, 160)
		storetest.AssertInvariants(t, store)
		eventually(t, 4*offerTTL, "every offer expired", func() bool {
			return storetest.MustFindEvent(t, store, ev.ID).AvailableTickets == 100
		})
		list, err := store.Waitlist().ByEvent(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range list {
			if w.Status != boxoffice.WaitlistExpired {
				t.Errorf("entry %s: %s, want EXPIRED", w.ID, w.Status)
			}
		}
		storetest.AssertInvariants(t, store)
	})
}

// offered counts the event's entries that were offered tickets.
func offered(t *testing.T, store boxoffice.Store, eventID string) int {
	t.Helper()
	list, err := store.Waitlist().ByEvent(t.Context(), eventID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, w := range list {
		if w.BookingID != "" {
			n++
		}
	}
	return n
}

// checkQueueOrder checks that the entries offered are the first n to have
// joined, and that their offers were made in that order.
func checkQueueOrder(t *testing.T, store boxoffice.Store, eventID string, n int) {
	t.Helper()
	list, err := store.Waitlist().ByEvent(t.Context(), eventID)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(list, func(a, b *boxoffice.WaitlistEntry) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	var last time.Time
	for i, w := range list {
		if (w.BookingID != "") != (i < n) {
			t.Fatalf("entry %d in the queue (%s): offer %q; want the first %d offered, no other", i+1, w.Status, w.BookingID, n)
		}
		if w.BookingID == "" {
			continue
		}
		b := storetest.MustFindBooking(t, store, w.BookingID)
		if b.CreatedAt.Before(last) {
			t.Fatalf("entry %d was offered at %v, before entry %d ahead of it (%v)", i+1, b.CreatedAt, i, last)
		}
		last = b.CreatedAt
	}
}
