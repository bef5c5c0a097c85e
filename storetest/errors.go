package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// testErrors provokes every error a client can cause, and checks each one
// has its code and a message free of driver and SQL text. (WantCode checks
// the messages in every other case too.)
func testErrors(t *testing.T, open Opener) {
	t.Run("NoDriverText", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "taken")
		ev := MustCreateEvent(t, s, 2, time.Hour)
		past := MustCreateEvent(t, s, 2, -time.Hour)
		b := MustBook(t, s, u, ev, 1)
		if _, err := cancelBooking(ctx, s, b.ID, Tick()); err != nil {
			t.Fatalf("CancelBooking: %v", err)
		}
		b = MustBook(t, s, u, ev, 1)

		dupEmail := NewUser("other")
		dupEmail.Email = "TAKEN@example.com"
		WantCode(t, s.Users().Create(ctx, dupEmail), boxoffice.ECONFLICT)
		dupID := NewUser("another")
		dupID.ID = u.ID
		WantCode(t, s.Users().Create(ctx, dupID), boxoffice.ECONFLICT)
		dupEvent := NewEvent(3, time.Hour)
		dupEvent.ID = ev.ID
		WantCode(t, s.Events().Create(ctx, dupEvent), boxoffice.ECONFLICT)

		// Rules the tables enforce even when the caller skipped validation.
		zero := NewEvent(1, time.Hour)
		zero.TotalTickets, zero.AvailableTickets = 0, 0
		err := s.Events().Create(ctx, zero)
		WantCode(t, err, boxoffice.EINVALID)
		if f := boxoffice.ErrorField(err); f != "totalTickets" {
			t.Errorf("CreateEvent with 0 tickets: field %q, want totalTickets", f)
		}
		negative := NewEvent(1, time.Hour)
		negative.PriceCents = -1
		err = s.Events().Create(ctx, negative)
		WantCode(t, err, boxoffice.EINVALID)
		if f := boxoffice.ErrorField(err); f != "price" {
			t.Errorf("CreateEvent with a negative price: field %q, want price", f)
		}
		over := NewEvent(1, time.Hour)
		over.AvailableTickets = 2
		err = s.Events().Create(ctx, over)
		CheckError(t, err)
		if code := boxoffice.ErrorCode(err); code == "" || code == boxoffice.EINTERNAL {
			t.Errorf("CreateEvent with more available than total tickets: code %q (%v), want a client-facing code", code, err)
		}
		if _, n, err := s.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); err != nil || n != 2 {
			t.Errorf("after refused inserts: %d events (err %v), want 2", n, err)
		}

		for _, id := range []string{boxoffice.NewID()} {
			_, err = s.Users().ByID(ctx, id)
			WantCode(t, err, boxoffice.ENOTFOUND)
			_, err = s.Events().ByID(ctx, id)
			WantCode(t, err, boxoffice.ENOTFOUND)
			_, err = s.Bookings().ByID(ctx, id)
			WantCode(t, err, boxoffice.ENOTFOUND)
			_, err = cancelBooking(ctx, s, id, Tick())
			WantCode(t, err, boxoffice.ENOTFOUND)
			_, err = updateEvent(ctx, s, id, boxoffice.EventUpdate{Version: 1})
			WantCode(t, err, boxoffice.ENOTFOUND)
		}
		// Malformed ids are the service's to refuse; a store that gets one
		// anyway must not answer with driver text either.
		for _, id := range []string{"not-a-uuid", "", "'; DROP TABLE users; --"} {
			_, err = s.Users().ByID(ctx, id)
			CheckError(t, err)
			_, err = s.Events().ByID(ctx, id)
			CheckError(t, err)
			_, err = s.Bookings().ByID(ctx, id)
			CheckError(t, err)
			_, err = cancelBooking(ctx, s, id, Tick())
			CheckError(t, err)
			_, err = updateEvent(ctx, s, id, boxoffice.EventUpdate{Version: 1})
			CheckError(t, err)
			_, _, err = s.Bookings().Find(ctx, boxoffice.BookingFilter{UserID: id, EventID: id, Page: boxoffice.Page{Page: 1, Limit: 1}})
			CheckError(t, err)
			res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: id, EventID: id, Tickets: 1}, {UserID: u.ID, EventID: id, Tickets: 1}}, boxoffice.BookingTerms{})
			CheckError(t, err)
			for _, r := range res {
				CheckError(t, r.Err)
			}
		}
		MustFindEvent(t, s, ev.ID) // no statement above did harm

		_, err = cancelBooking(ctx, s, b.ID, ev.Date)
		WantCode(t, err, boxoffice.ECONFLICT)
		none := 0 // below the 1 ticket sold
		_, err = updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{TotalTickets: &none, Version: 1})
		WantCode(t, err, boxoffice.ECONFLICT)
		_, err = updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{Version: 7})
		WantCode(t, err, boxoffice.ECONFLICT)
		title := strings.Repeat("x", 201)
		_, err = updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{Title: &title, Version: 1})
		WantCode(t, err, boxoffice.EINVALID)

		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
			{UserID: u.ID, EventID: ev.ID, Tickets: 5},
			{UserID: u.ID, EventID: past.ID, Tickets: 1},
			{UserID: boxoffice.NewID(), EventID: ev.ID, Tickets: 1},
			{UserID: u.ID, EventID: boxoffice.NewID(), Tickets: 1},
		}, boxoffice.BookingTerms{})
		if err != nil || len(res) != 4 {
			t.Fatalf("BookBatch: %d results, %v", len(res), err)
		}
		for i, code := range []string{boxoffice.ESOLDOUT, boxoffice.ECONFLICT, boxoffice.ENOTFOUND, boxoffice.ENOTFOUND} {
			WantCode(t, res[i].Err, code)
		}
		AssertInvariants(t, s)
	})
}
