package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func testWaitlist(t *testing.T, open Opener) {
	t.Run("JoinAndLeave", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann, bea := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bea")
		ev := MustCreateEvent(t, s, 2, 2*time.Hour)
		WantCode(t, joinWaitlist(t, s, ann, ev, 1), boxoffice.ECONFLICT) // not sold out
		MustBook(t, s, bea, ev, 2)
		WantCode(t, joinWaitlist(t, s, ann, &boxoffice.Event{ID: boxoffice.NewID()}, 1), boxoffice.ENOTFOUND)
		WantCode(t, joinWaitlist(t, s, &boxoffice.User{ID: boxoffice.NewID()}, ev, 1), boxoffice.ENOTFOUND)
		if err := joinWaitlist(t, s, ann, ev, 3); err != nil {
			t.Fatal(err)
		}
		WantCode(t, joinWaitlist(t, s, ann, ev, 1), boxoffice.ECONFLICT) // already waiting
		if err := joinWaitlist(t, s, bea, ev, 1); err != nil {
			t.Fatal(err)
		}
		if got := MustFindEvent(t, s, ev.ID).WaitlistLength; got != 2 {
			t.Errorf("waitlistLength %d, want 2", got)
		}
		list := mustWaitlist(t, s, ev.ID)
		if len(list) != 2 || list[0].UserID != ann.ID || list[0].Position != 1 || list[0].NumberOfTickets != 3 ||
			list[1].UserID != bea.ID || list[1].Position != 2 || list[0].Status != boxoffice.WaitlistWaiting {
			t.Fatalf("waiting list %s, want Ann (3) then Bea (1), waiting", describeWaitlist(list))
		}
		mine, err := s.Waitlist().ByUser(ctx, bea.ID)
		if err != nil || len(mine) != 1 || mine[0].Position != 2 || mine[0].ID != list[1].ID {
			t.Fatalf("Bea's entries %s, %v; want hers, at position 2", describeWaitlist(mine), err)
		}
		left, err := s.Waitlist().Leave(ctx, list[0].ID, Tick())
		if err != nil || left.Status != boxoffice.WaitlistLeft {
			t.Fatalf("Leave: %+v, %v", left, err)
		}
		_, err = s.Waitlist().Leave(ctx, list[0].ID, Tick())
		WantCode(t, err, boxoffice.ECONFLICT)
		_, err = s.Waitlist().Leave(ctx, boxoffice.NewID(), Tick())
		WantCode(t, err, boxoffice.ENOTFOUND)
		if got, err := s.Waitlist().ByID(ctx, list[1].ID); err != nil || got.Position != 1 {
			t.Errorf("Bea after Ann left: %+v, %v; want position 1", got, err)
		}
		if got := MustFindEvent(t, s, ev.ID).WaitlistLength; got != 1 {
			t.Errorf("waitlistLength %d after one left, want 1", got)
		}
		// Left, Ann may join again, at the end.
		if err := joinWaitlist(t, s, ann, ev, 1); err != nil {
			t.Fatalf("join again after leaving: %v", err)
		}
		AssertInvariants(t, s)
	})

	t.Run("OffersInStrictOrder", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann, bea, cat, dan := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bea"), MustCreateUser(t, s, "Cat"), MustCreateUser(t, s, "Dan")
		ev := MustCreateEvent(t, s, 5, 2*time.Hour)
		one := MustBook(t, s, dan, ev, 1)
		two := MustBook(t, s, dan, ev, 2)
		MustBook(t, s, dan, ev, 2)
		for _, j := range []struct {
			u *boxoffice.User
			n int
		}{{ann, 2}, {bea, 3}, {cat, 1}} {
			if err := joinWaitlist(t, s, j.u, ev, j.n); err != nil {
				t.Fatal(err)
			}
		}
		serve := func(want int) {
			t.Helper()
			offered, err := s.Waitlist().Serve(ctx, holdTerms, Tick())
			if err != nil || len(offered) != want {
				t.Fatalf("Serve: %s, %v; want %d offered", describeWaitlist(offered), err, want)
			}
		}
		serve(0) // nothing free
		// One ticket back: Ann wants 2, so nobody is served, not even Cat
		// (1) behind her, and the public cannot take it.
		if _, err := cancelBooking(ctx, s, one.ID, Tick()); err != nil {
			t.Fatal(err)
		}
		serve(0)
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: dan.ID, EventID: ev.ID, Tickets: 1}}, boxoffice.BookingTerms{})
		if err != nil {
			t.Fatal(err)
		}
		WantCode(t, res[0].Err, boxoffice.ESOLDOUT)
		// Two more back (3 free): Ann gets 2; Bea wants 3 and waits, Cat too.
		if _, err := cancelBooking(ctx, s, two.ID, Tick()); err != nil {
			t.Fatal(err)
		}
		serve(1)
		list := mustWaitlist(t, s, ev.ID)
		if len(list) != 3 || list[0].UserID != bea.ID || list[0].Position != 1 || list[1].UserID != cat.ID || list[1].Position != 2 ||
			list[2].UserID != ann.ID || list[2].Status != boxoffice.WaitlistOffered || list[2].BookingID == "" {
			t.Fatalf("waiting list %s; want Bea 1, Cat 2 waiting, Ann offered", describeWaitlist(list))
		}
		offer := MustFindBooking(t, s, list[2].BookingID)
		if offer.UserID != ann.ID || offer.NumberOfTickets != 2 || offer.Status != boxoffice.BookingPending || offer.ExpiresAt == nil {
			t.Fatalf("Ann's offer %+v, want a PENDING hold of 2 for her", offer)
		}
		WantAvailable(t, s, ev.ID, 1)
		AssertInvariants(t, s)
		// Ann lets her offer run out: it expires and 3 are free, which
		// Bea takes; Cat still waits for the next.
		if _, err := s.Bookings().ExpireHolds(ctx, offer.ExpiresAt.Add(time.Second), 100); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Waitlist().ByID(ctx, list[2].ID); got.Status != boxoffice.WaitlistExpired {
			t.Errorf("Ann's entry after her offer expired: %s, want EXPIRED", got.Status)
		}
		serve(1)
		list = mustWaitlist(t, s, ev.ID)
		if len(list) != 3 || list[0].UserID != cat.ID || list[0].Position != 1 || MustFindEvent(t, s, ev.ID).WaitlistLength != 1 {
			t.Fatalf("waiting list %s; want Cat next, alone waiting", describeWaitlist(list))
		}
		// Bea pays: ACCEPTED.
		bea3, _ := s.Waitlist().ByUser(ctx, bea.ID)
		if _, err := s.Bookings().Update(ctx, bea3[0].BookingID, func(b *boxoffice.Booking) error {
			b.Status, b.ExpiresAt, b.UpdatedAt = boxoffice.BookingConfirmed, nil, Tick()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Waitlist().ByID(ctx, bea3[0].ID); got.Status != boxoffice.WaitlistAccepted {
			t.Errorf("Bea's entry after paying: %s, want ACCEPTED", got.Status)
		}
		_, err = s.Waitlist().Leave(ctx, bea3[0].ID, Tick())
		WantCode(t, err, boxoffice.ECONFLICT)
		AssertInvariants(t, s)
	})

	t.Run("FreeOffersConfirmAtOnce", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ann, dan := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Dan")
		ev := MustCreateEvent(t, s, 1, 2*time.Hour)
		b := MustBook(t, s, dan, ev, 1)
		if err := joinWaitlist(t, s, ann, ev, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := cancelBooking(ctx, s, b.ID, Tick()); err != nil {
			t.Fatal(err)
		}
		offered, err := s.Waitlist().Serve(ctx, boxoffice.BookingTerms{}, Tick()) // no payment provider
		if err != nil || len(offered) != 1 || offered[0].Status != boxoffice.WaitlistAccepted {
			t.Fatalf("Serve: %s, %v; want Ann's entry ACCEPTED", describeWaitlist(offered), err)
		}
		if got := MustFindBooking(t, s, offered[0].BookingID); got.Status != boxoffice.BookingConfirmed {
			t.Errorf("offer %s, want CONFIRMED", got.Status)
		}
		cs, err := s.Changes().ByBookingIDs(ctx, []string{offered[0].BookingID})
		if err != nil || len(cs) == 0 || cs[len(cs)-1].Kind != boxoffice.ChangeWaitlistOffered {
			t.Errorf("the offer's history: %v, %v; want it to end with waitlist.offered", cs, err)
		}
		AssertInvariants(t, s)
	})
}

func joinWaitlist(t *testing.T, s boxoffice.Store, u *boxoffice.User, ev *boxoffice.Event, n int) error {
	now := Tick()
	return s.Waitlist().Join(t.Context(), &boxoffice.WaitlistEntry{ID: boxoffice.NewID(), EventID: ev.ID, UserID: u.ID,
		NumberOfTickets: n, CreatedAt: now, UpdatedAt: now}, now)
}

func mustWaitlist(t *testing.T, s boxoffice.Store, eventID string) []*boxoffice.WaitlistEntry {
	t.Helper()
	list, err := s.Waitlist().ByEvent(t.Context(), eventID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func describeWaitlist(list []*boxoffice.WaitlistEntry) string {
	out := "["
	for i, w := range list {
		if i > 0 {
			out += ", "
		}
		out += w.UserID[len(w.UserID)-4:] + " " + string(w.Status) + " #" + strconv.Itoa(w.Position) + " n" + strconv.Itoa(w.NumberOfTickets)
	}
	return out + "]"
}
