package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// testIDs checks that an id names the same thing in either letter case, as
// boxoffice.ValidID accepts both and the service passes ids on as given,
// and that what comes back carries the canonical, lower-case id.
func testIDs(t *testing.T, open Opener) {
	t.Run("AnyCase", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "casey")
		ev := MustCreateEvent(t, s, 10, time.Hour)
		b := MustBook(t, s, u, ev, 1)
		up := strings.ToUpper

		if got, err := s.Users().ByID(ctx, up(u.ID)); err != nil || got.ID != u.ID {
			t.Errorf("FindUserByID(upper case) = %v, %v; want user %s", got, err, u.ID)
		}
		if got, err := s.Events().ByID(ctx, up(ev.ID)); err != nil || got.ID != ev.ID {
			t.Errorf("FindEventByID(upper case) = %v, %v; want event %s", got, err, ev.ID)
		}
		if got, err := s.Bookings().ByID(ctx, up(b.ID)); err != nil || got.ID != b.ID {
			t.Errorf("FindBookingByID(upper case) = %v, %v; want booking %s", got, err, b.ID)
		}
		if got, err := s.Users().ByIDs(ctx, []string{up(u.ID)}); err != nil || len(got) != 1 {
			t.Errorf("FindUsersByIDs(upper case) = %d users, %v; want 1", len(got), err)
		}
		if got, err := s.Events().ByIDs(ctx, []string{up(ev.ID)}); err != nil || len(got) != 1 {
			t.Errorf("FindEventsByIDs(upper case) = %d events, %v; want 1", len(got), err)
		}
		page := boxoffice.Page{Page: 1, Limit: 10}
		if _, n, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{UserID: up(u.ID), EventID: up(ev.ID), Page: page}); err != nil || n != 1 {
			t.Errorf("FindBookings(upper-case ids) = %d bookings, %v; want 1", n, err)
		}
		if got, err := s.Bookings().ByUserIDs(ctx, []string{up(u.ID)}, 10); err != nil || len(got) != 1 {
			t.Errorf("FindBookingsByUserIDs(upper case) = %d bookings, %v; want 1", len(got), err)
		}
		if got, err := s.Bookings().ByEventIDs(ctx, []string{up(ev.ID)}, 10); err != nil || len(got) != 1 {
			t.Errorf("FindBookingsByEventIDs(upper case) = %d bookings, %v; want 1", len(got), err)
		}

		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: up(u.ID), EventID: up(ev.ID), Tickets: 2}}, boxoffice.BookingTerms{})
		if err != nil || len(res) != 1 {
			t.Fatalf("BookBatch(upper-case ids): %d results, %v", len(res), err)
		}
		if res[0].Err != nil {
			t.Errorf("BookBatch(upper-case ids): %v", res[0].Err)
		} else if bk := res[0].Booking; bk.UserID != u.ID || bk.EventID != ev.ID {
			t.Errorf("BookBatch(upper-case ids): booking of user %s, event %s; want the canonical %s, %s", bk.UserID, bk.EventID, u.ID, ev.ID)
		}
		if got, err := cancelBooking(ctx, s, up(b.ID), Tick()); err != nil || got.ID != b.ID {
			t.Errorf("CancelBooking(upper case) = %v, %v; want booking %s cancelled", got, err, b.ID)
		}
		title := "Renamed"
		if got, err := updateEvent(ctx, s, up(ev.ID), boxoffice.EventUpdate{Title: &title, Version: 1}); err != nil || got.ID != ev.ID {
			t.Errorf("UpdateEvent(upper case) = %v, %v; want event %s", got, err, ev.ID)
		}
		AssertInvariants(t, s)
	})
}
