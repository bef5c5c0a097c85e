package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func testChanges(t *testing.T, open Opener) {
	t.Run("RecordAndAfter", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, time.Hour)
		b := MustBook(t, s, u, ev, 2)
		recorded := []*boxoffice.Change{
			{Kind: boxoffice.ChangeBookingCancelled, At: Tick(), ActorID: u.ID, UserID: u.ID, EventID: ev.ID, BookingID: b.ID,
				TicketsReturned: 2, Detail: "changed their mind"},
			{Kind: boxoffice.ChangeUserChanged, At: Tick(), UserID: u.ID},
		}
		for _, c := range recorded {
			if err := s.Changes().Record(ctx, c); err != nil {
				t.Fatalf("Record: %v", err)
			}
		}
		all, err := s.Changes().After(ctx, 0, 100)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		// The booking recorded its own change (BookBatch); then ours, in order.
		if len(all) != 3 {
			t.Fatalf("After(0) = %d changes, want 3 (the booking's and the two recorded)", len(all))
		}
		created := all[0]
		if created.Kind != boxoffice.ChangeBookingConfirmed || created.BookingID != b.ID || created.UserID != u.ID ||
			created.EventID != ev.ID || created.ActorID != "" || !created.At.Equal(b.CreatedAt) {
			t.Errorf("BookBatch recorded %+v, want booking.confirmed (made and confirmed at once) of %s by the system at %v", created, b.ID, b.CreatedAt)
		}
		for i, want := range recorded {
			got := all[i+1]
			want.ID = got.ID
			want.At = want.At.UTC().Truncate(time.Microsecond)
			if *got != *want {
				t.Errorf("change %d read back as %+v, want %+v", i, got, want)
			}
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID <= all[i-1].ID {
				t.Errorf("change ids not increasing: %d after %d", all[i].ID, all[i-1].ID)
			}
		}
		rest, err := s.Changes().After(ctx, all[0].ID, 1)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		if len(rest) != 1 || rest[0].ID != all[1].ID {
			t.Errorf("After(first, 1) = %v, want the second change only", rest)
		}
	})

	t.Run("BookBatchRecordsEveryBookingItMakes", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		admin := MustCreateUserWithRole(t, s, "Root", boxoffice.RoleAdmin)
		ev := MustCreateEvent(t, s, 3, time.Hour)
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
			{UserID: u.ID, EventID: ev.ID, Tickets: 2, ActorID: u.ID},
			{UserID: u.ID, EventID: ev.ID, Tickets: 2, ActorID: u.ID}, // sold out: no booking, no change
			{UserID: u.ID, EventID: ev.ID, Tickets: 1, ActorID: admin.ID},
		}, boxoffice.BookingTerms{})
		if err != nil {
			t.Fatalf("BookBatch: %v", err)
		}
		all, err := s.Changes().After(ctx, 0, 100)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		if len(all) != 2 {
			t.Fatalf("%d changes recorded for 2 bookings: %+v", len(all), all)
		}
		for i, want := range []struct {
			booking *boxoffice.Booking
			actor   string
		}{{res[0].Booking, u.ID}, {res[2].Booking, admin.ID}} {
			if c := all[i]; c.Kind != boxoffice.ChangeBookingConfirmed || c.BookingID != want.booking.ID || c.ActorID != want.actor {
				t.Errorf("change %d = %+v, want booking.confirmed of %s by %s", i, c, want.booking.ID, want.actor)
			}
		}
	})

	t.Run("RolledBackWithItsChange", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, time.Hour)
		kept := MustBook(t, s, u, ev, 2)
		before := mustChanges(t, s)

		errAbort := errors.New("abort")
		err := s.InTx(ctx, func(tx boxoffice.Tx) error {
			// A cancellation and its record, then a new booking and its own.
			b, err := tx.Bookings().Update(ctx, kept.ID, func(b *boxoffice.Booking) error { return b.Cancel(Tick(), false) })
			if err != nil {
				return err
			}
			if err := tx.Changes().Record(ctx, &boxoffice.Change{Kind: boxoffice.ChangeBookingCancelled, At: Tick(),
				BookingID: b.ID, EventID: b.EventID, TicketsReturned: b.NumberOfTickets}); err != nil {
				return err
			}
			res, err := tx.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 3}}, boxoffice.BookingTerms{})
			if err != nil || res[0].Err != nil {
				t.Fatalf("BookBatch in the transaction: %v, %+v", err, res)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("InTx = %v, want fn's error", err)
		}
		if got := MustFindBooking(t, s, kept.ID); got.Status != boxoffice.BookingConfirmed {
			t.Errorf("the rolled-back cancellation stuck: booking %s", got.Status)
		}
		WantAvailable(t, s, ev.ID, 8)
		if after := mustChanges(t, s); len(after) != len(before) {
			t.Errorf("%d changes after the rollback, want %d: the rolled-back ones were kept", len(after), len(before))
		}
		bookings, _, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{EventID: ev.ID, Page: boxoffice.Page{Page: 1, Limit: 10}})
		if err != nil || len(bookings) != 1 {
			t.Errorf("bookings after the rollback: %d (%v), want only the one kept", len(bookings), err)
		}
		AssertInvariants(t, s)
	})

	t.Run("WatchHearsCommittedBroadcasts", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		heard := make(chan boxoffice.Change, 16)
		listening := make(chan bool, 16)
		watchCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Watch(watchCtx, func(c boxoffice.Change) { heard <- c }, func(on bool) { listening <- on })
		}()
		defer func() { stop(); <-done }()
		select {
		case on := <-listening:
			if !on {
				t.Fatal("Watch reported listening(false) first")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Watch never listened")
		}

		u := MustCreateUser(t, s, "Ann")
		// Not broadcast: only recorded.
		mustRecord(t, s, &boxoffice.Change{Kind: boxoffice.ChangeUserCreated, At: Tick(), UserID: u.ID})
		// Broadcast, but rolled back: never heard.
		_ = s.InTx(ctx, func(tx boxoffice.Tx) error {
			_ = tx.Changes().Record(ctx, &boxoffice.Change{Kind: boxoffice.ChangeUserChanged, At: Tick(), UserID: u.ID, Detail: "rolled back"})
			return errors.New("abort")
		})
		// Broadcast and committed.
		want := &boxoffice.Change{Kind: boxoffice.ChangeBookingCancelled, At: Tick(), UserID: u.ID,
			EventID: boxoffice.NewID(), BookingID: boxoffice.NewID(), TicketsReturned: 3}
		mustRecord(t, s, want)
		select {
		case got := <-heard:
			want.At = want.At.UTC().Truncate(time.Microsecond)
			if got.Kind != want.Kind || got.EventID != want.EventID || got.BookingID != want.BookingID ||
				got.UserID != want.UserID || got.TicketsReturned != want.TicketsReturned || !got.At.Equal(want.At) {
				t.Errorf("Watch heard %+v, want %+v (first: neither the unbroadcast nor the rolled-back change)", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Watch did not hear a committed broadcast change")
		}
		select {
		case got := <-heard:
			t.Errorf("Watch heard more: %+v", got)
		case <-time.After(100 * time.Millisecond):
		}
		stop()
		<-done
		if on := <-listening; on {
			t.Error("Watch did not report listening(false) when it stopped")
		}
	})
}

func testTransactions(t *testing.T, open Opener) {
	t.Run("CommitsEverythingTogether", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u, ev := NewUser("Ann"), NewEvent(10, time.Hour)
		var booking *boxoffice.Booking
		err := s.InTx(ctx, func(tx boxoffice.Tx) error {
			if err := tx.Users().Create(ctx, u); err != nil {
				return err
			}
			if err := tx.Events().Create(ctx, ev); err != nil {
				return err
			}
			res, err := tx.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 4}}, boxoffice.BookingTerms{})
			if err != nil {
				return err
			}
			booking = res[0].Booking
			return res[0].Err
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}
		MustFindBooking(t, s, booking.ID)
		WantAvailable(t, s, ev.ID, 6)
		AssertInvariants(t, s)
	})

	t.Run("AnErrorAtCommitWritesNothing", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, time.Hour)
		// The event's update goes with COMMIT, where it breaks a CHECK: the
		// user created before it in the transaction must go too.
		late := NewUser("Bob")
		err := s.InTx(ctx, func(tx boxoffice.Tx) error {
			if err := tx.Users().Create(ctx, late); err != nil {
				return err
			}
			_, err := tx.Events().Update(ctx, ev.ID, func(e *boxoffice.Event) (*boxoffice.Event, error) {
				next := *e
				next.AvailableTickets = e.TotalTickets + 1 // more than it has
				return &next, nil
			})
			return err
		})
		WantCode(t, err, boxoffice.ECONFLICT) // events_available_tickets_check
		_, err = s.Users().ByID(ctx, late.ID)
		WantCode(t, err, boxoffice.ENOTFOUND)
		WantAvailable(t, s, ev.ID, 10)
		MustBook(t, s, u, ev, 1) // the store is usable after
	})

	t.Run("APanicWritesNothingAndFreesTheStore", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := NewUser("Ann")
		func() {
			defer func() { _ = recover() }()
			_ = s.InTx(ctx, func(tx boxoffice.Tx) error {
				if err := tx.Users().Create(ctx, u); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		_, err := s.Users().ByID(ctx, u.ID)
		WantCode(t, err, boxoffice.ENOTFOUND)
		writeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s.Users().Create(writeCtx, NewUser("Bob")); err != nil {
			t.Fatalf("a write after the panic: %v", err)
		}
	})
}

func mustRecord(t *testing.T, s boxoffice.Store, c *boxoffice.Change) {
	t.Helper()
	if err := s.Changes().Record(t.Context(), c); err != nil {
		t.Fatalf("Record: %v", err)
	}
}

func mustChanges(t *testing.T, s boxoffice.Store) []*boxoffice.Change {
	t.Helper()
	all, err := s.Changes().After(t.Context(), 0, 1000)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	return all
}
