package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// testTotals: a bookings page's total, which the stores may take from
// counts kept with the rows instead of counting them, equals the count of
// the matching bookings, for every filter, after bookings (confirmed and
// held, in batches of several events), cancellations and expiry (by a
// batch and by the sweeper). The count is taken by reading every page.
func testTotals(t *testing.T, open Opener) {
	ctx := t.Context()
	s := Migrated(t, open)
	org := MustCreateUser(t, s, "Olga")
	otherOrg := MustCreateUser(t, s, "Omar")
	buyers := []*boxoffice.User{MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Ben"), MustCreateUser(t, s, "Cat")}
	events := []*boxoffice.Event{
		MustCreateOrganizedEvent(t, s, org, 100, time.Hour),
		MustCreateOrganizedEvent(t, s, org, 100, time.Hour),
		MustCreateOrganizedEvent(t, s, otherOrg, 100, time.Hour),
		MustCreateEvent(t, s, 2, time.Hour), // sold out below: refusals count nothing
	}
	start := Tick()

	var made []*boxoffice.Booking
	book := func(terms boxoffice.BookingTerms, n int) {
		t.Helper()
		reqs := make([]boxoffice.BookingRequest, n)
		for i := range reqs {
			reqs[i] = boxoffice.BookingRequest{UserID: buyers[i%len(buyers)].ID, EventID: events[i%len(events)].ID, Tickets: 1}
		}
		res, err := s.Bookings().BookBatch(ctx, reqs, terms)
		if err != nil {
			t.Fatalf("BookBatch: %v", err)
		}
		for _, r := range res {
			if r.Booking != nil {
				made = append(made, r.Booking)
			} else if boxoffice.ErrorCode(r.Err) != boxoffice.ESOLDOUT {
				t.Fatalf("BookBatch: %v", r.Err)
			}
		}
	}
	check := func(when string) {
		t.Helper()
		filters := map[string]boxoffice.BookingFilter{"all": {}}
		for i, e := range events {
			filters[fmt.Sprintf("event %d", i)] = boxoffice.BookingFilter{EventID: e.ID}
			filters[fmt.Sprintf("event %d of org", i)] = boxoffice.BookingFilter{EventID: e.ID, OrganizerID: org.ID}
		}
		for i, u := range buyers {
			filters[fmt.Sprintf("buyer %d", i)] = boxoffice.BookingFilter{UserID: u.ID}
			filters[fmt.Sprintf("buyer %d, event 0", i)] = boxoffice.BookingFilter{UserID: u.ID, EventID: events[0].ID}
		}
		filters["org"] = boxoffice.BookingFilter{OrganizerID: org.ID}
		filters["other org"] = boxoffice.BookingFilter{OrganizerID: otherOrg.ID}
		filters["a buyer as organizer"] = boxoffice.BookingFilter{OrganizerID: buyers[0].ID}
		filters["unknown event"] = boxoffice.BookingFilter{EventID: boxoffice.NewID()}
		filters["cancelled"] = boxoffice.BookingFilter{Status: boxoffice.BookingCancelled}
		filters["expired, event 1"] = boxoffice.BookingFilter{Status: boxoffice.BookingExpired, EventID: events[1].ID}
		filters["since the start"] = boxoffice.BookingFilter{CreatedFrom: &start}
		for name, f := range filters {
			f.Page = boxoffice.Page{Page: 1, Limit: boxoffice.MaxLimit}
			_, total, err := s.Bookings().Find(ctx, f)
			if err != nil {
				t.Fatalf("%s: Find(%s): %v", when, name, err)
			}
			counted := 0
			for p := 1; ; p++ {
				f.Page.Page = p
				page, _, err := s.Bookings().Find(ctx, f)
				if err != nil {
					t.Fatalf("%s: Find(%s) page %d: %v", when, name, p, err)
				}
				counted += len(page)
				if len(page) < f.Page.Limit {
					break
				}
			}
			if total != counted {
				t.Errorf("%s: %s: total %d, but %d bookings match", when, name, total, counted)
			}
		}
	}

	check("before any booking")
	book(boxoffice.BookingTerms{}, 40)
	check("after bookings")
	book(boxoffice.BookingTerms{Hold: time.Millisecond, Provider: "test"}, 20)
	book(boxoffice.BookingTerms{SkipLocked: true}, 8)
	check("after holds")
	for _, b := range made[:5] {
		if b.Status != boxoffice.BookingConfirmed {
			continue
		}
		if _, err := cancelBooking(ctx, s, b.ID, Tick()); err != nil {
			t.Fatalf("cancel: %v", err)
		}
	}
	check("after cancellations")
	waitPast(time.Now().Add(5 * time.Millisecond))
	book(boxoffice.BookingTerms{}, 2) // expires the holds of events 0 and 1 on its way
	if _, err := s.Bookings().ExpireHolds(ctx, Tick(), 100); err != nil {
		t.Fatalf("ExpireHolds: %v", err)
	}
	check("after expiry")
	if len(made) < 50 {
		t.Errorf("only %d bookings made", len(made))
	}
	AssertInvariants(t, s)
}
