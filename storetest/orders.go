package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// holdTerms hold what costs something for an hour, for the test provider.
var holdTerms = boxoffice.BookingTerms{Hold: time.Hour, Provider: "test"}

func testOrders(t *testing.T, open Opener) {
	t.Run("HoldsWithPayments", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, 2*time.Hour) // 25.00 a ticket
		free := NewEvent(10, 2*time.Hour)
		free.PriceCents = 0
		MustInsertEvent(t, s, free)
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
			{UserID: u.ID, EventID: ev.ID, Tickets: 3}, {UserID: u.ID, EventID: free.ID, Tickets: 1},
		}, holdTerms)
		if err != nil || res[0].Err != nil || res[1].Err != nil {
			t.Fatalf("BookBatch: %v, %+v", err, res)
		}
		held, given := res[0].Booking, res[1].Booking
		got := MustFindBooking(t, s, held.ID)
		if got.Status != boxoffice.BookingPending || got.ExpiresAt == nil || !got.ExpiresAt.Equal(*held.ExpiresAt) ||
			got.UnitPriceCents != 2500 || got.TotalCents != 7500 || got.Currency != "EUR" {
			t.Errorf("hold read back: %+v", got)
		}
		if got := MustFindBooking(t, s, given.ID); got.Status != boxoffice.BookingConfirmed || got.ExpiresAt != nil || got.TotalCents != 0 {
			t.Errorf("free booking read back: %+v", got)
		}
		WantAvailable(t, s, ev.ID, 7)
		ps, err := s.Payments().ByBookingIDs(ctx, []string{held.ID, given.ID, boxoffice.NewID()})
		if err != nil || len(ps) != 1 {
			t.Fatalf("payments: %v, %v; want the hold's only", ps, err)
		}
		p := ps[0]
		if p.ID != held.Payment.ID || p.BookingID != held.ID || p.Status != boxoffice.PaymentRequired || p.AmountCents != 7500 ||
			p.Currency != "EUR" || p.Provider != "test" || p.RefundedCents != 0 {
			t.Errorf("payment read back: %+v", p)
		}
		p.Status, p.ProviderRef, p.ClientSecret, p.UpdatedAt = boxoffice.PaymentSucceeded, "pi_1", "pi_1_secret", Tick()
		if err := s.Payments().Save(ctx, p); err != nil {
			t.Fatal(err)
		}
		byRef, err := s.Payments().ByProviderRef(ctx, "test", "pi_1")
		if err != nil || byRef.ID != p.ID || byRef.Status != boxoffice.PaymentSucceeded || byRef.ClientSecret != "pi_1_secret" {
			t.Errorf("by provider ref: %+v, %v", byRef, err)
		}
		_, err = s.Payments().ByProviderRef(ctx, "stripe", "pi_1")
		WantCode(t, err, boxoffice.ENOTFOUND)

		for i, want := range []bool{true, false} {
			first, err := s.Payments().FirstDelivery(ctx, "test", "evt_1", Tick())
			if err != nil || first != want {
				t.Errorf("FirstDelivery, time %d: %v, %v; want %v", i+1, first, err, want)
			}
		}
		if first, _ := s.Payments().FirstDelivery(ctx, "stripe", "evt_1", Tick()); !first {
			t.Error("an event id of another provider is another event")
		}
		AssertInvariants(t, s)
	})

	t.Run("RetriesGetTheirFirstBooking", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u, v := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
		ev := MustCreateEvent(t, s, 10, time.Hour)
		book := func(user *boxoffice.User, key string, tickets int) *boxoffice.Booking {
			t.Helper()
			res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: user.ID, EventID: ev.ID, Tickets: tickets, IdempotencyKey: key}}, holdTerms)
			if err != nil || res[0].Err != nil {
				t.Fatalf("BookBatch: %v %v", err, res[0].Err)
			}
			return res[0].Booking
		}
		first := book(u, "key-1", 2)
		if again := book(u, "key-1", 2); again.ID != first.ID {
			t.Errorf("the retry made booking %s, want the first, %s", again.ID, first.ID)
		}
		if other := book(v, "key-1", 2); other.ID == first.ID {
			t.Error("another user's key found the first user's booking")
		}
		// Two requests with one key in one batch: one booking.
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
			{UserID: u.ID, EventID: ev.ID, Tickets: 1, IdempotencyKey: "key-2"},
			{UserID: u.ID, EventID: ev.ID, Tickets: 1, IdempotencyKey: "key-1"},
		}, holdTerms)
		if err != nil || res[0].Err != nil || res[1].Booking == nil || res[1].Booking.ID != first.ID {
			t.Fatalf("BookBatch: %v, %+v", err, res)
		}
		WantAvailable(t, s, ev.ID, 10-2-2-1)
		AssertInvariants(t, s)
	})

	t.Run("ExpiredHoldsGiveTheirTicketsBack", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 4, time.Hour)
		other := MustCreateEvent(t, s, 4, time.Hour)
		short := boxoffice.BookingTerms{Hold: time.Millisecond, Provider: "test"}
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
			{UserID: u.ID, EventID: ev.ID, Tickets: 4}, {UserID: u.ID, EventID: other.ID, Tickets: 3},
		}, short)
		if err != nil || res[0].Err != nil || res[1].Err != nil {
			t.Fatalf("BookBatch: %v %+v", err, res)
		}
		waitPast(time.Now().Add(5 * time.Millisecond))
		// A batch on a sold-out event takes back its holds that ran out,
		// and sells their tickets at once; the other event's stay held.
		again, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 2}}, boxoffice.BookingTerms{})
		if err != nil || again[0].Err != nil || again[0].Remaining != 2 {
			t.Fatalf("BookBatch after the holds ran out: %v %+v", err, again)
		}
		if got := MustFindBooking(t, s, res[0].Booking.ID); got.Status != boxoffice.BookingExpired || got.ExpiresAt != nil {
			t.Errorf("the hold reclaimed by the batch: %+v", got)
		}
		if got := MustFindBooking(t, s, res[1].Booking.ID); got.Status != boxoffice.BookingPending {
			t.Errorf("the other event's hold: %s, want PENDING until the sweeper comes", got.Status)
		}
		// The sweeper takes the rest.
		expired, err := s.Bookings().ExpireHolds(ctx, Tick(), 100)
		if err != nil || len(expired) != 1 || expired[0].ID != res[1].Booking.ID {
			t.Fatalf("ExpireHolds: %v, %v; want the other event's hold", expired, err)
		}
		if expired, err := s.Bookings().ExpireHolds(ctx, Tick(), 100); err != nil || len(expired) != 0 {
			t.Errorf("ExpireHolds again: %v, %v; want nothing", expired, err)
		}
		WantAvailable(t, s, ev.ID, 2)
		WantAvailable(t, s, other.ID, 4)
		var kinds []boxoffice.ChangeKind
		for _, c := range mustChanges(t, s) {
			if c.Kind == boxoffice.ChangeBookingExpired {
				kinds = append(kinds, c.Kind)
				if c.TicketsReturned == 0 || c.ActorID != "" {
					t.Errorf("an expiry's change: %+v", c)
				}
			}
		}
		if len(kinds) != 2 {
			t.Errorf("%d expiries recorded, want 2", len(kinds))
		}
		AssertInvariants(t, s)
	})

	t.Run("ManyHoldsExpireInFewStatementsAndOneAnnouncementPerEvent", func(t *testing.T) {
		// 100,000 holds running out at once must give their tickets back
		// within seconds: one transaction expires thousands, in a fixed
		// number of statements, and tells the other servers once per
		// event rather than once per hold. Every expiry is still recorded.
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		const perEvent = 150
		events := []*boxoffice.Event{MustCreateEvent(t, s, perEvent, time.Hour), MustCreateEvent(t, s, perEvent, time.Hour)}
		var reqs []boxoffice.BookingRequest
		for range perEvent {
			for _, ev := range events {
				reqs = append(reqs, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1})
			}
		}
		res, err := s.Bookings().BookBatch(ctx, reqs, boxoffice.BookingTerms{Hold: time.Millisecond, Provider: "test"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil || r.Booking.Status != boxoffice.BookingPending {
				t.Fatalf("hold: %+v", r)
			}
		}
		waitPast(time.Now().Add(5 * time.Millisecond))

		heard := make(chan boxoffice.Change, 2*perEvent)
		listening := make(chan bool, 4)
		watchCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Watch(watchCtx, func(c boxoffice.Change) { heard <- c }, func(on bool) { listening <- on })
		}()
		defer func() { stop(); <-done }()
		select {
		case <-listening:
		case <-time.After(10 * time.Second):
			t.Fatal("Watch never listened")
		}

		before := s.StatementCount()
		expired, err := s.Bookings().ExpireHolds(ctx, Tick(), 1000)
		if err != nil || len(expired) != 2*perEvent {
			t.Fatalf("ExpireHolds: %d expired, %v; want %d", len(expired), err, 2*perEvent)
		}
		// A read, then lock, expire, give back, record, announce and commit.
		if n := s.StatementCount() - before; n > 12 {
			t.Errorf("ExpireHolds of %d holds sent %d statements: want a fixed few, not some per hold", len(expired), n)
		}
		for _, ev := range events {
			WantAvailable(t, s, ev.ID, perEvent)
		}
		got := map[string]int{}
		deadline := time.After(10 * time.Second)
	hear:
		for len(got) < len(events) {
			select {
			case c := <-heard:
				if c.Kind == boxoffice.ChangeBookingExpired && c.TicketsReturned > 0 {
					got[c.EventID]++
				}
			case <-deadline:
				break hear
			}
		}
		// Anything more would have arrived with the first: one commit.
		time.Sleep(100 * time.Millisecond)
		for len(heard) > 0 {
			if c := <-heard; c.Kind == boxoffice.ChangeBookingExpired {
				got[c.EventID]++
			}
		}
		for _, ev := range events {
			if got[ev.ID] != 1 {
				t.Errorf("event %s: its holds' expiry announced %d times, want once", ev.ID, got[ev.ID])
			}
		}
		recorded := 0
		for _, c := range mustChanges(t, s) {
			if c.Kind == boxoffice.ChangeBookingExpired {
				recorded++
			}
		}
		if recorded != 2*perEvent {
			t.Errorf("%d expiries recorded, want one per hold, %d", recorded, 2*perEvent)
		}
		AssertInvariants(t, s)
	})

	t.Run("ALatePaymentTakesTicketsOnlyIfFree", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 2, time.Hour)
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 2}},
			boxoffice.BookingTerms{Hold: time.Millisecond, Provider: "test"})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		waitPast(time.Now().Add(5 * time.Millisecond))
		if _, err := s.Bookings().ExpireHolds(ctx, Tick(), 10); err != nil {
			t.Fatal(err)
		}
		confirm := func() (*boxoffice.Booking, error) {
			return s.Bookings().Update(ctx, res[0].Booking.ID, func(b *boxoffice.Booking) error { return b.Confirm(Tick()) })
		}
		b, err := confirm()
		if err != nil || b.Status != boxoffice.BookingConfirmed || b.Event.AvailableTickets != 0 {
			t.Fatalf("confirming an expired hold whose tickets are free: %+v, %v", b, err)
		}
		WantAvailable(t, s, ev.ID, 0)
		// Once more, with the tickets gone: refused, nothing written.
		res, _ = s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 1}}, boxoffice.BookingTerms{})
		if res[0].Err == nil {
			t.Fatal("booked a sold-out event")
		}
		if _, err := cancelBooking(ctx, s, b.ID, Tick()); err != nil {
			t.Fatal(err)
		}
		other, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 1}},
			boxoffice.BookingTerms{Hold: time.Millisecond, Provider: "test"})
		if err != nil || other[0].Err != nil {
			t.Fatal(err, other)
		}
		waitPast(time.Now().Add(5 * time.Millisecond))
		if _, err := s.Bookings().ExpireHolds(ctx, Tick(), 10); err != nil {
			t.Fatal(err)
		}
		MustBook(t, s, u, ev, 2) // the expired hold's ticket, and the other
		_, err = s.Bookings().Update(ctx, other[0].Booking.ID, func(b *boxoffice.Booking) error { return b.Confirm(Tick()) })
		WantCode(t, err, boxoffice.ESOLDOUT)
		if got := MustFindBooking(t, s, other[0].Booking.ID); got.Status != boxoffice.BookingExpired {
			t.Errorf("the refused confirmation changed the booking: %s", got.Status)
		}
		AssertInvariants(t, s)
	})

	t.Run("IdempotencyKeys", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		keys := s.Idempotency()
		now := Tick()
		horizon := now.Add(-time.Minute)
		answer, err := keys.Begin(ctx, "user:1", "k", "hash-a", now, horizon)
		if err != nil || answer != nil {
			t.Fatalf("a new key: %v, %v; want to run", answer, err)
		}
		_, err = keys.Begin(ctx, "user:1", "k", "hash-a", now, horizon)
		WantCode(t, err, boxoffice.ECONFLICT) // still running
		_, err = keys.Begin(ctx, "user:1", "k", "hash-b", now, horizon)
		WantCode(t, err, boxoffice.EINVALID) // another request
		if answer, err := keys.Begin(ctx, "user:2", "k", "hash-b", now, horizon); err != nil || answer != nil {
			t.Errorf("another caller's key: %v, %v; want to run", answer, err)
		}
		if err := keys.Finish(ctx, "user:1", "k", boxoffice.IdempotentAnswer{Status: 200, Body: []byte(`{"data":1}`)}); err != nil {
			t.Fatal(err)
		}
		answer, err = keys.Begin(ctx, "user:1", "k", "hash-a", now, horizon)
		if err != nil || answer == nil || answer.Status != 200 || string(answer.Body) != `{"data":1}` {
			t.Errorf("a finished key: %+v, %v; want its answer", answer, err)
		}
		// A request whose server died: after the horizon, a retry runs it.
		if _, err := keys.Begin(ctx, "user:1", "lost", "h", now.Add(-2*time.Minute), horizon.Add(-2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if answer, err := keys.Begin(ctx, "user:1", "lost", "h", now, horizon); err != nil || answer != nil {
			t.Errorf("an abandoned key: %v, %v; want to run", answer, err)
		}
		_, err = keys.Begin(ctx, "user:1", "lost", "h", now, horizon)
		WantCode(t, err, boxoffice.ECONFLICT) // taken over: running again
		if err := keys.Forget(ctx, "user:1", "lost"); err != nil {
			t.Fatal(err)
		}
		if answer, err := keys.Begin(ctx, "user:1", "lost", "other", now, horizon); err != nil || answer != nil {
			t.Errorf("a forgotten key: %v, %v; want to run, whatever the request", answer, err)
		}
		n, err := keys.Prune(ctx, now.Add(time.Second))
		if err != nil || n != 3 {
			t.Errorf("Prune: %d, %v; want the 3 keys", n, err)
		}
	})
}
