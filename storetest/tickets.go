package storetest

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func testTickets(t *testing.T, open Opener) {
	t.Run("IssuedWithTheConfirmation", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, 2*time.Hour)
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
			{UserID: ann.ID, EventID: ev.ID, Tickets: 3, AttendeeNames: []string{"Ann", "Bea"}},
		}, boxoffice.BookingTerms{})
		if err != nil || res[0].Err != nil {
			t.Fatalf("BookBatch: %v, %+v", err, res)
		}
		b := res[0].Booking
		ts, err := s.Tickets().ByBookingIDs(ctx, []string{b.ID, boxoffice.NewID(), "nonsense"})
		if err != nil || len(ts) != 3 {
			t.Fatalf("tickets of a confirmed booking of 3: %d, %v", len(ts), err)
		}
		names := map[string]int{}
		for _, tk := range ts {
			if tk.BookingID != b.ID || tk.EventID != ev.ID || tk.OwnerID != ann.ID || tk.Status != boxoffice.TicketValid ||
				tk.Version != 1 || tk.CheckedInAt != nil || tk.CreatedAt.IsZero() {
				t.Errorf("ticket read back: %+v", tk)
			}
			names[tk.AttendeeName]++
		}
		if names["Ann"] != 1 || names["Bea"] != 1 || names[""] != 1 {
			t.Errorf("attendee names: %v, want Ann, Bea and one unnamed", names)
		}
		got, err := s.Tickets().ByID(ctx, ts[0].ID)
		if err != nil || *got != *ts[0] {
			t.Errorf("ByID: %+v, %v; want %+v", got, err, ts[0])
		}
		_, err = s.Tickets().ByID(ctx, boxoffice.NewID())
		WantCode(t, err, boxoffice.ENOTFOUND)
		_, err = s.Tickets().ByID(ctx, "nonsense")
		WantCode(t, err, boxoffice.ENOTFOUND)
		if mine, err := s.Tickets().ByOwner(ctx, ann.ID); err != nil || len(mine) != 3 {
			t.Errorf("ByOwner: %d, %v", len(mine), err)
		}
		if all, err := s.Tickets().ByEvent(ctx, ev.ID); err != nil || len(all) != 3 {
			t.Errorf("ByEvent: %d, %v", len(all), err)
		}
		AssertInvariants(t, s)
	})

	t.Run("HoldsGetTicketsWhenConfirmedAndVoidThemWhenCancelled", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, 2*time.Hour)
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: ann.ID, EventID: ev.ID, Tickets: 2}}, holdTerms)
		if err != nil || res[0].Err != nil {
			t.Fatalf("BookBatch: %v, %+v", err, res)
		}
		held := res[0].Booking
		wantTickets(t, s, held.ID, 0, 0)
		if _, err := s.Bookings().Update(ctx, held.ID, func(b *boxoffice.Booking) error { return b.Confirm(Tick()) }); err != nil {
			t.Fatalf("confirm: %v", err)
		}
		ts := wantTickets(t, s, held.ID, 2, 2)
		if _, _, err := s.Tickets().CheckIn(ctx, ts[0].ID, 1, Tick(), false); err != nil {
			t.Fatal(err)
		}
		AssertInvariants(t, s)
		if _, err := cancelBooking(ctx, s, held.ID, Tick()); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		after := wantTickets(t, s, held.ID, 2, 0)
		statuses := map[boxoffice.TicketStatus]int{}
		for _, tk := range after {
			statuses[tk.Status]++
		}
		if statuses[boxoffice.TicketUsed] != 1 || statuses[boxoffice.TicketVoid] != 1 {
			t.Errorf("after the cancellation: %v, want the used ticket kept and the other void", statuses)
		}
		AssertInvariants(t, s)
	})

	t.Run("CheckIn", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, 2*time.Hour)
		ts := wantTickets(t, s, MustBook(t, s, ann, ev, 2).ID, 2, 2)
		id := ts[0].ID
		first := Tick()
		before, checked, err := s.Tickets().CheckIn(ctx, id, 2, first, false)
		if err != nil || checked || before.Status != boxoffice.TicketValid {
			t.Errorf("check-in of another version: %+v, %v, %v; want nothing done", before, checked, err)
		}
		before, checked, err = s.Tickets().CheckIn(ctx, id, 1, first, false)
		if err != nil || !checked || before.Status != boxoffice.TicketValid {
			t.Fatalf("first check-in: %+v, %v, %v", before, checked, err)
		}
		got, _ := s.Tickets().ByID(ctx, id)
		if got.Status != boxoffice.TicketUsed || got.CheckedInAt == nil || !got.CheckedInAt.Equal(first) {
			t.Errorf("after a check-in: %+v, want USED at %v", got, first)
		}
		before, checked, err = s.Tickets().CheckIn(ctx, id, 1, Tick(), false)
		if err != nil || checked || before.Status != boxoffice.TicketUsed || !before.CheckedInAt.Equal(first) {
			t.Errorf("second check-in: %+v, %v, %v; want refused, the first kept", before, checked, err)
		}
		// An offline scan made later changes nothing; one made earlier wins.
		if _, checked, _ := s.Tickets().CheckIn(ctx, id, 1, first.Add(time.Minute), true); checked {
			t.Error("a later offline scan moved the check-in")
		}
		earlier := first.Add(-time.Minute)
		if _, checked, err := s.Tickets().CheckIn(ctx, id, 1, earlier, true); err != nil || !checked {
			t.Errorf("an earlier offline scan: %v, %v; want it to win", checked, err)
		}
		if got, _ := s.Tickets().ByID(ctx, id); !got.CheckedInAt.Equal(earlier) {
			t.Errorf("checked in at %v, want the earlier scan's %v", got.CheckedInAt, earlier)
		}
		if n, err := s.Tickets().CountCheckedIn(ctx, ev.ID); err != nil || n != 1 {
			t.Errorf("CountCheckedIn: %d, %v", n, err)
		}
		for _, r := range []boxoffice.CheckInResult{boxoffice.CheckInOK, boxoffice.CheckInAlreadyCheckedIn} {
			if err := s.Tickets().RecordScan(ctx, id, ev.ID, boxoffice.Scan{Code: "CODE", At: Tick(), Device: "door 1"}, r); err != nil {
				t.Errorf("RecordScan: %v", err)
			}
		}
		if err := s.Tickets().RecordScan(ctx, "", ev.ID, boxoffice.Scan{Code: "not ours", At: Tick()}, boxoffice.CheckInInvalid); err != nil {
			t.Errorf("RecordScan of no ticket: %v", err)
		}
		_, _, err = s.Tickets().CheckIn(ctx, boxoffice.NewID(), 1, Tick(), false)
		WantCode(t, err, boxoffice.ENOTFOUND)
	})

	t.Run("OneCheckInOfMany", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, 2*time.Hour)
		id := wantTickets(t, s, MustBook(t, s, ann, ev, 1).ID, 1, 1)[0].ID
		var wg sync.WaitGroup
		var ok, refused atomic.Int32
		at := Tick()
		for range 50 {
			wg.Go(func() {
				_, checked, err := s.Tickets().CheckIn(ctx, id, 1, at, false)
				switch {
				case err != nil:
					t.Errorf("CheckIn: %v", err)
				case checked:
					ok.Add(1)
				default:
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 || refused.Load() != 49 {
			t.Errorf("50 doors at once: %d checked in, %d refused; want 1 and 49", ok.Load(), refused.Load())
		}
	})

	t.Run("Transfer", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
		ev := MustCreateEvent(t, s, 10, 2*time.Hour)
		tk := wantTickets(t, s, MustBook(t, s, ann, ev, 1).ID, 1, 1)[0]
		now := Tick()
		moved, err := s.Tickets().Update(ctx, tk.ID, func(t *boxoffice.Ticket) error { return t.Transfer(bob.ID, ev, now) })
		if err != nil || moved.OwnerID != bob.ID || moved.Version != 2 {
			t.Fatalf("transfer: %+v, %v", moved, err)
		}
		if got, _ := s.Tickets().ByID(ctx, tk.ID); got.OwnerID != bob.ID || got.Version != 2 || !got.UpdatedAt.Equal(now) {
			t.Errorf("read back: %+v", got)
		}
		if mine, _ := s.Tickets().ByOwner(ctx, ann.ID); len(mine) != 0 {
			t.Errorf("ann still holds %d tickets", len(mine))
		}
		if _, checked, _ := s.Tickets().CheckIn(ctx, tk.ID, 1, Tick(), false); checked {
			t.Error("the old version checked in")
		}
		named, err := s.Tickets().Update(ctx, tk.ID, func(t *boxoffice.Ticket) error { return t.NameAttendee("Bob B.", ev, Tick()) })
		if err != nil || named.AttendeeName != "Bob B." {
			t.Errorf("name the attendee: %+v, %v", named, err)
		}
		_, err = s.Tickets().Update(ctx, tk.ID, func(t *boxoffice.Ticket) error { return t.Transfer(boxoffice.NewID(), ev, Tick()) })
		WantCode(t, err, boxoffice.ENOTFOUND) // no such user
		if got, _ := s.Tickets().ByID(ctx, tk.ID); got.OwnerID != bob.ID {
			t.Errorf("a failed transfer moved the ticket to %s", got.OwnerID)
		}
	})

	t.Run("SigningKeysAndStaff", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann := MustCreateUser(t, s, "Ann")
		ev, other := MustCreateEvent(t, s, 10, 2*time.Hour), MustCreateEvent(t, s, 10, 2*time.Hour)
		keys := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				var err error
				if keys[i], err = s.Events().SigningKey(ctx, ev.ID); err != nil {
					t.Errorf("SigningKey: %v", err)
				}
			})
		}
		wg.Wait()
		for _, k := range keys {
			if len(k) != 32 || !bytes.Equal(k, keys[0]) {
				t.Fatalf("8 servers asking at once got different keys: %x", keys)
			}
		}
		if k, _ := s.Events().SigningKey(ctx, other.ID); bytes.Equal(k, keys[0]) {
			t.Error("two events share a key")
		}
		_, err := s.Events().SigningKey(ctx, boxoffice.NewID())
		WantCode(t, err, boxoffice.ENOTFOUND)

		if on, err := s.Events().IsStaff(ctx, ev.ID, ann.ID); err != nil || on {
			t.Errorf("IsStaff before: %v, %v", on, err)
		}
		for range 2 {
			if err := s.Events().AddStaff(ctx, ev.ID, ann.ID, Tick()); err != nil {
				t.Errorf("AddStaff: %v", err)
			}
		}
		if on, err := s.Events().IsStaff(ctx, ev.ID, ann.ID); err != nil || !on {
			t.Errorf("IsStaff after: %v, %v", on, err)
		}
		if on, _ := s.Events().IsStaff(ctx, other.ID, ann.ID); on {
			t.Error("staff of one event is staff of another")
		}
		WantCode(t, s.Events().AddStaff(ctx, ev.ID, boxoffice.NewID(), Tick()), boxoffice.ENOTFOUND)
		WantCode(t, s.Events().AddStaff(ctx, boxoffice.NewID(), ann.ID, Tick()), boxoffice.ENOTFOUND)

		closed := NewEvent(10, time.Hour)
		closed.NoTransfers = true
		MustInsertEvent(t, s, closed)
		if got := MustFindEvent(t, s, closed.ID); !got.NoTransfers {
			t.Error("NoTransfers not kept")
		}
		open := false
		if e, err := updateEvent(ctx, s, closed.ID, boxoffice.EventUpdate{NoTransfers: &open, Version: closed.Version}); err != nil || e.NoTransfers {
			t.Errorf("allow transfers: %+v, %v", e, err)
		}
		if got := MustFindEvent(t, s, closed.ID); got.NoTransfers {
			t.Error("NoTransfers not updated")
		}
	})
}

// wantTickets fails t unless the booking has n tickets, valid of them
// VALID, and returns them.
func wantTickets(t *testing.T, s boxoffice.Store, bookingID string, n, valid int) []*boxoffice.Ticket {
	t.Helper()
	ts, err := s.Tickets().ByBookingIDs(context.Background(), []string{bookingID})
	if err != nil {
		t.Fatalf("tickets: %v", err)
	}
	v := 0
	for _, tk := range ts {
		if tk.Status == boxoffice.TicketValid {
			v++
		}
	}
	if len(ts) != n || v != valid {
		t.Fatalf("booking %s: %d tickets, %d valid; want %d, %d valid", bookingID, len(ts), v, n, valid)
	}
	return ts
}
