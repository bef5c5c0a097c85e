package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func testBookings(t *testing.T, open Opener) {
	t.Run("BookOne", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "buyer")
		ev := MustCreateEvent(t, s, 10, 24*time.Hour)
		other := MustCreateEvent(t, s, 10, 24*time.Hour)

		before := boxoffice.Now()
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 3}}, boxoffice.BookingTerms{})
		after := boxoffice.Now()
		if err != nil {
			t.Fatalf("BookBatch: %v", err)
		}
		if len(res) != 1 {
			t.Fatalf("BookBatch: %d results for 1 request", len(res))
		}
		r := res[0]
		WantCode(t, r.Err, "")
		b := r.Booking
		if b == nil {
			t.Fatal("BookBatch: no booking and no error")
		}
		if b.ID == "" || b.UserID != u.ID || b.EventID != ev.ID || b.NumberOfTickets != 3 || b.Status != boxoffice.BookingConfirmed {
			t.Errorf("booking %+v: want user %s, event %s, 3 tickets, CONFIRMED", b, u.ID, ev.ID)
		}
		if b.CreatedAt.Before(before) || b.CreatedAt.After(after) || !b.UpdatedAt.Equal(b.CreatedAt) || b.CancelledAt != nil {
			t.Errorf("booking times: created %v, updated %v, cancelled %v; want created = updated in [%v, %v], not cancelled",
				b.CreatedAt, b.UpdatedAt, b.CancelledAt, before, after)
		}
		if r.Remaining != 7 {
			t.Errorf("Remaining %d, want 7", r.Remaining)
		}
		if d := diffBooking(MustFindBooking(t, s, b.ID), b); d != "" {
			t.Errorf("stored booking differs from the one BookBatch returned: %s", d)
		}
		WantAvailable(t, s, ev.ID, 7)
		WantAvailable(t, s, other.ID, 10)

		_, err = s.Bookings().ByID(ctx, boxoffice.NewID())
		WantCode(t, err, boxoffice.ENOTFOUND)

		res, err = s.Bookings().BookBatch(ctx, nil, boxoffice.BookingTerms{})
		if err != nil || len(res) != 0 {
			t.Errorf("BookBatch(nil) = %v, %v; want no results, no error", res, err)
		}
		AssertInvariants(t, s)
	})

	t.Run("MixedBatch", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u1 := MustCreateUser(t, s, "one")
		u2 := MustCreateUser(t, s, "two")
		ev := MustCreateEvent(t, s, 10, 24*time.Hour)
		small := MustCreateEvent(t, s, 3, 24*time.Hour)
		past := MustCreateEvent(t, s, 10, -time.Hour)
		ghostUser, ghostEvent := boxoffice.NewID(), boxoffice.NewID()
		statementsBefore := s.StatementCount()

		reqs := []boxoffice.BookingRequest{
			{UserID: u1.ID, EventID: ev.ID, Tickets: 2},          // ok: 8 left
			{UserID: ghostUser, EventID: ev.ID, Tickets: 1},      // unknown user
			{UserID: u1.ID, EventID: ghostEvent, Tickets: 1},     // unknown event
			{UserID: u2.ID, EventID: past.ID, Tickets: 1},        // event has started
			{UserID: u2.ID, EventID: small.ID, Tickets: 4},       // too many: 3 left
			{UserID: u2.ID, EventID: ev.ID, Tickets: 5},          // ok: 3 left
			{UserID: u1.ID, EventID: small.ID, Tickets: 3},       // ok: sold out
			{UserID: u2.ID, EventID: small.ID, Tickets: 1},       // sold out
			{UserID: u1.ID, EventID: ev.ID, Tickets: 4},          // too many: 3 left
			{UserID: u2.ID, EventID: ev.ID, Tickets: 3},          // ok: sold out
			{UserID: ghostUser, EventID: ghostEvent, Tickets: 1}, // unknown both
		}
		want := []struct {
			code      string
			remaining int
		}{
			{"", 8}, {boxoffice.ENOTFOUND, 8}, {boxoffice.ENOTFOUND, 0}, {boxoffice.ECONFLICT, 10},
			{boxoffice.ESOLDOUT, 3}, {"", 3}, {"", 0}, {boxoffice.ESOLDOUT, 0}, {boxoffice.ESOLDOUT, 3},
			{"", 0}, {boxoffice.ENOTFOUND, 0},
		}
		res, err := s.Bookings().BookBatch(ctx, reqs, boxoffice.BookingTerms{})
		if err != nil {
			t.Fatalf("BookBatch: %v", err)
		}
		if len(res) != len(reqs) {
			t.Fatalf("BookBatch: %d results for %d requests", len(res), len(reqs))
		}
		if s.StatementCount() <= statementsBefore {
			t.Errorf("StatementCount did not grow over a BookBatch")
		}
		var booked []*boxoffice.Booking
		for i, r := range res {
			CheckError(t, r.Err)
			if code := boxoffice.ErrorCode(r.Err); code != want[i].code {
				t.Errorf("request %d %+v: code %q (%v), want %q", i, reqs[i], code, r.Err, want[i].code)
			}
			if r.Remaining != want[i].remaining {
				t.Errorf("request %d: Remaining %d, want %d", i, r.Remaining, want[i].remaining)
			}
			switch {
			case r.Err == nil && r.Booking == nil:
				t.Errorf("request %d: neither booking nor error", i)
			case r.Err != nil && r.Booking != nil:
				t.Errorf("request %d: both booking and error", i)
			case r.Booking != nil:
				if r.Booking.UserID != reqs[i].UserID || r.Booking.EventID != reqs[i].EventID || r.Booking.NumberOfTickets != reqs[i].Tickets {
					t.Errorf("request %d %+v: booking %+v", i, reqs[i], r.Booking)
				}
				if d := diffBooking(MustFindBooking(t, s, r.Booking.ID), r.Booking); d != "" {
					t.Errorf("request %d: stored booking differs: %s", i, d)
				}
				booked = append(booked, r.Booking)
			}
		}
		WantAvailable(t, s, ev.ID, 0)
		WantAvailable(t, s, small.ID, 0)
		WantAvailable(t, s, past.ID, 10)
		_, n, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{Page: boxoffice.Page{Page: 1, Limit: 100}})
		if err != nil || n != len(booked) || n != 4 {
			t.Errorf("FindBookings: %d bookings (err %v), want the 4 confirmed", n, err)
		}
		AssertInvariants(t, s)
	})

	t.Run("FailedBatchWritesNothing", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "one")
		ev := MustCreateEvent(t, s, 2, time.Hour)
		past := MustCreateEvent(t, s, 2, -time.Hour)
		before := MustFindEvent(t, s, ev.ID)
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
			{UserID: u.ID, EventID: ev.ID, Tickets: 3},
			{UserID: u.ID, EventID: past.ID, Tickets: 1},
			{UserID: boxoffice.NewID(), EventID: ev.ID, Tickets: 1},
		}, boxoffice.BookingTerms{})
		if err != nil || len(res) != 3 {
			t.Fatalf("BookBatch: %d results, %v", len(res), err)
		}
		for i, c := range []string{boxoffice.ESOLDOUT, boxoffice.ECONFLICT, boxoffice.ENOTFOUND} {
			WantCode(t, res[i].Err, c)
		}
		if d := diffEvent(MustFindEvent(t, s, ev.ID), before); d != "" {
			t.Errorf("failed requests changed the event: %s", d)
		}
		WantAvailable(t, s, past.ID, 2)
		if _, n, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); err != nil || n != 0 {
			t.Errorf("failed requests left %d bookings (err %v)", n, err)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "buyer")
		ev := MustCreateEvent(t, s, 10, 24*time.Hour)
		b := MustBook(t, s, u, ev, 4)
		keep := MustBook(t, s, u, ev, 1)
		WantAvailable(t, s, ev.ID, 5)

		// A now to the nanosecond, in another zone: kept as UTC microseconds.
		given := time.Now().In(time.FixedZone("UTC+3", 3*3600))
		if given.Nanosecond()%1000 == 0 {
			given = given.Add(321 * time.Nanosecond)
		}
		now := given.UTC().Truncate(time.Microsecond)
		got, err := cancelBooking(ctx, s, b.ID, given)
		if err != nil {
			t.Fatalf("CancelBooking: %v", err)
		}
		want := *b
		want.Status, want.UpdatedAt, want.CancelledAt = boxoffice.BookingCancelled, now, &now
		if d := diffBooking(got, &want); d != "" {
			t.Errorf("CancelBooking returned: %s", d)
		}
		if d := diffBooking(MustFindBooking(t, s, b.ID), &want); d != "" {
			t.Errorf("stored cancelled booking: %s", d)
		}
		if d := diffBooking(MustFindBooking(t, s, keep.ID), keep); d != "" {
			t.Errorf("cancelling changed another booking: %s", d)
		}
		WantAvailable(t, s, ev.ID, 9)

		_, err = cancelBooking(ctx, s, b.ID, Tick())
		WantCode(t, err, boxoffice.ECONFLICT)
		WantAvailable(t, s, ev.ID, 9)
		if d := diffBooking(MustFindBooking(t, s, b.ID), &want); d != "" {
			t.Errorf("a second cancel changed the booking: %s", d)
		}

		_, err = cancelBooking(ctx, s, boxoffice.NewID(), Tick())
		WantCode(t, err, boxoffice.ENOTFOUND)

		// Once the event has started (by the now given), no cancel: at its
		// very date as well as after.
		for _, at := range []time.Time{ev.Date, ev.Date.Add(time.Hour)} {
			_, err = cancelBooking(ctx, s, keep.ID, at)
			WantCode(t, err, boxoffice.ECONFLICT)
		}
		if d := diffBooking(MustFindBooking(t, s, keep.ID), keep); d != "" {
			t.Errorf("a refused cancel changed the booking: %s", d)
		}
		WantAvailable(t, s, ev.ID, 9)

		// The tickets given back can be booked again.
		MustBook(t, s, u, ev, 9)
		WantAvailable(t, s, ev.ID, 0)
		AssertInvariants(t, s)
	})

	t.Run("FindBookings", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u1, u2 := MustCreateUser(t, s, "one"), MustCreateUser(t, s, "two")
		e1, e2 := MustCreateEvent(t, s, 50, time.Hour), MustCreateEvent(t, s, 50, time.Hour)
		// b[0] oldest .. b[5] newest, each created at a distinct time.
		plan := []struct {
			u *boxoffice.User
			e *boxoffice.Event
		}{{u1, e1}, {u1, e2}, {u2, e1}, {u2, e2}, {u1, e1}, {u2, e1}}
		var b []*boxoffice.Booking
		for i, p := range plan {
			if i > 0 {
				waitPast(b[i-1].CreatedAt)
			}
			b = append(b, MustBook(t, s, p.u, p.e, i+1))
		}
		if _, err := cancelBooking(ctx, s, b[2].ID, Tick()); err != nil {
			t.Fatalf("CancelBooking: %v", err)
		}
		ids := func(is ...int) []string {
			out := make([]string, len(is))
			for i, n := range is {
				out[i] = b[n].ID
			}
			return out
		}
		at := func(i int) *time.Time { t := b[i].CreatedAt; return &t }

		cases := []struct {
			name   string
			filter boxoffice.BookingFilter
			want   []string // newest first
		}{
			{"all", boxoffice.BookingFilter{}, ids(5, 4, 3, 2, 1, 0)},
			{"user", boxoffice.BookingFilter{UserID: u1.ID}, ids(4, 1, 0)},
			{"event", boxoffice.BookingFilter{EventID: e1.ID}, ids(5, 4, 2, 0)},
			{"user and event", boxoffice.BookingFilter{UserID: u2.ID, EventID: e1.ID}, ids(5, 2)},
			{"cancelled", boxoffice.BookingFilter{Status: boxoffice.BookingCancelled}, ids(2)},
			{"confirmed", boxoffice.BookingFilter{Status: boxoffice.BookingConfirmed}, ids(5, 4, 3, 1, 0)},
			{"from, inclusive", boxoffice.BookingFilter{CreatedFrom: at(2)}, ids(5, 4, 3, 2)},
			{"before, exclusive", boxoffice.BookingFilter{CreatedBefore: at(2)}, ids(1, 0)},
			{"from and before", boxoffice.BookingFilter{CreatedFrom: at(1), CreatedBefore: at(4)}, ids(3, 2, 1)},
			{"all at once", boxoffice.BookingFilter{UserID: u2.ID, EventID: e1.ID, Status: boxoffice.BookingConfirmed, CreatedFrom: at(2)}, ids(5)},
			{"unknown user", boxoffice.BookingFilter{UserID: boxoffice.NewID()}, nil},
		}
		for _, c := range cases {
			for _, with := range []bool{false, true} {
				name := fmt.Sprintf("%s (WithUserAndEvent %v)", c.name, with)
				c.filter.Page = boxoffice.Page{Page: 1, Limit: 10}
				c.filter.WithUserAndEvent = with
				got, total, err := s.Bookings().Find(ctx, c.filter)
				if err != nil {
					t.Errorf("%s: FindBookings: %v", name, err)
					continue
				}
				if total != len(c.want) {
					t.Errorf("%s: total %d, want %d", name, total, len(c.want))
				}
				wantIDs(t, name, bookingIDs(got), c.want)
				wantUserAndEvent(t, s, name, got, with)
			}
		}

		for _, with := range []bool{false, true} {
			got, total, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{Page: boxoffice.Page{Page: 2, Limit: 4}, WithUserAndEvent: with})
			if err != nil || total != 6 {
				t.Fatalf("FindBookings page 2: total %d, err %v; want 6", total, err)
			}
			wantIDs(t, "page 2 of 4", bookingIDs(got), ids(1, 0))
			wantUserAndEvent(t, s, "page 2 of 4", got, with)
			got, total, err = s.Bookings().Find(ctx, boxoffice.BookingFilter{EventID: e1.ID, Page: boxoffice.Page{Page: 2, Limit: 2}, WithUserAndEvent: with})
			if err != nil || total != 4 {
				t.Fatalf("FindBookings event page 2: total %d, err %v; want 4", total, err)
			}
			wantIDs(t, "event's page 2 of 2", bookingIDs(got), ids(2, 0))
			wantUserAndEvent(t, s, "event's page 2 of 2", got, with)
		}
		got, total, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{Page: boxoffice.Page{Page: 3, Limit: 4}, WithUserAndEvent: true})
		if err != nil || total != 6 || got == nil || len(got) != 0 {
			t.Errorf("page past the end, WithUserAndEvent: %v, total %d, err %v; want an empty list, 6", got, total, err)
		}
		got, total, err = s.Bookings().Find(ctx, boxoffice.BookingFilter{Page: boxoffice.Page{Page: 3, Limit: 4}})
		if err != nil || total != 6 || got == nil || len(got) != 0 {
			t.Errorf("page past the end: %v, total %d, err %v; want an empty list, 6", got, total, err)
		}
		AssertInvariants(t, s)
	})

	t.Run("RecentBookingsByOwner", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u1, u2, u3 := MustCreateUser(t, s, "one"), MustCreateUser(t, s, "two"), MustCreateUser(t, s, "three")
		e1, e2, e3 := MustCreateEvent(t, s, 50, time.Hour), MustCreateEvent(t, s, 50, time.Hour), MustCreateEvent(t, s, 50, time.Hour)
		plan := []struct {
			u *boxoffice.User
			e *boxoffice.Event
		}{{u1, e1}, {u1, e2}, {u2, e1}, {u1, e1}, {u2, e2}, {u1, e2}, {u2, e1}}
		var b []*boxoffice.Booking
		for i, p := range plan {
			if i > 0 {
				waitPast(b[i-1].CreatedAt)
			}
			b = append(b, MustBook(t, s, p.u, p.e, 1))
		}
		if _, err := cancelBooking(ctx, s, b[5].ID, Tick()); err != nil { // cancelled ones are listed too
			t.Fatalf("CancelBooking: %v", err)
		}
		ids := func(is ...int) []string {
			out := make([]string, len(is))
			for i, n := range is {
				out[i] = b[n].ID
			}
			return sorted(out)
		}

		// u1: 5 3 1 0; u2: 6 4 2; u3: none.
		before := s.StatementCount()
		got, err := s.Bookings().ByUserIDs(ctx, []string{u1.ID, u2.ID, u3.ID, boxoffice.NewID(), u1.ID}, 2)
		if n := s.StatementCount() - before; n != 1 {
			t.Errorf("FindBookingsByUserIDs for 4 users: %d statements, want 1", n)
		}
		if err != nil {
			t.Fatalf("FindBookingsByUserIDs: %v", err)
		}
		wantIDs(t, "2 most recent per user, each once", sorted(bookingIDs(got)), ids(5, 3, 6, 4))
		for _, g := range got {
			if g.ID == b[5].ID {
				if d := diffBooking(g, MustFindBooking(t, s, g.ID)); d != "" {
					t.Errorf("FindBookingsByUserIDs: %s", d)
				}
			}
		}
		got, err = s.Bookings().ByUserIDs(ctx, []string{u1.ID}, 10)
		if err != nil {
			t.Fatalf("FindBookingsByUserIDs: %v", err)
		}
		wantIDs(t, "all of u1's", sorted(bookingIDs(got)), ids(5, 3, 1, 0))

		// e1: 6 3 2 0; e2: 5 4 1; e3: none.
		before = s.StatementCount()
		got, err = s.Bookings().ByEventIDs(ctx, []string{e3.ID, e2.ID, e1.ID}, 3)
		if n := s.StatementCount() - before; n != 1 {
			t.Errorf("FindBookingsByEventIDs for 3 events: %d statements, want 1", n)
		}
		if err != nil {
			t.Fatalf("FindBookingsByEventIDs: %v", err)
		}
		wantIDs(t, "3 most recent per event", sorted(bookingIDs(got)), ids(6, 3, 2, 5, 4, 1))
		got, err = s.Bookings().ByEventIDs(ctx, []string{e1.ID, e2.ID}, 1)
		if err != nil {
			t.Fatalf("FindBookingsByEventIDs: %v", err)
		}
		wantIDs(t, "most recent per event", sorted(bookingIDs(got)), ids(6, 5))

		got, err = s.Bookings().ByEventIDs(ctx, nil, 5)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("FindBookingsByEventIDs(nil) = %v, %v; want an empty list", got, err)
		}
	})
}

// waitPast sleeps until the store's clock (boxoffice.Now) is past t, so
// that the next booking gets a later CreatedAt.
func waitPast(t time.Time) {
	for !boxoffice.Now().After(t.Add(time.Microsecond)) {
		time.Sleep(100 * time.Microsecond)
	}
}

// wantUserAndEvent checks that bookings read WithUserAndEvent carry their
// user and event exactly as FindUserByID and FindEventByID read them, and
// that other bookings carry neither.
func wantUserAndEvent(t *testing.T, s boxoffice.Store, name string, bookings []*boxoffice.Booking, with bool) {
	t.Helper()
	for _, b := range bookings {
		if !with {
			if b.User != nil || b.Event != nil {
				t.Errorf("%s: booking %s has User %v, Event %v; want neither", name, b.ID, b.User, b.Event)
			}
			continue
		}
		u, err := s.Users().ByID(t.Context(), b.UserID)
		if err != nil {
			t.Fatalf("FindUserByID: %v", err)
		}
		e, err := s.Events().ByID(t.Context(), b.EventID)
		if err != nil {
			t.Fatalf("FindEventByID: %v", err)
		}
		if b.User == nil || !reflect.DeepEqual(*b.User, *u) {
			t.Errorf("%s: booking %s has User %+v; want %+v", name, b.ID, b.User, u)
		}
		if b.Event == nil || !reflect.DeepEqual(*b.Event, *e) {
			t.Errorf("%s: booking %s has Event %+v; want %+v", name, b.ID, b.Event, e)
		}
	}
}
