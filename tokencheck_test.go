package boxoffice_test

import (
	"context"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// A caller whose token is still to be checked books for itself and does
// nothing else; once a transaction finds the token current, the context
// gives the caller back checked, with the role read there.
func TestUncheckedCaller(t *testing.T) {
	alice, bob := boxoffice.NewID(), boxoffice.NewID()
	check := boxoffice.NewTokenCheck(3, nil, nil)
	c := boxoffice.Caller{UserID: alice, Token: check}
	if err := boxoffice.CanBookFor(c, alice); err != nil {
		t.Errorf("book for itself: %v", err)
	}
	if c.Is(alice) {
		t.Error("Is: an unchecked caller is nobody yet")
	}
	event := &boxoffice.Event{ID: boxoffice.NewID(), OrganizerID: &alice}
	for name, err := range map[string]error{
		"book for bob":       boxoffice.CanBookFor(c, bob),
		"read herself":       boxoffice.CanReadUser(c, alice),
		"see her own email":  boxoffice.CanSeeUserPrivate(c, alice),
		"create an event":    boxoffice.CanCreateEvent(c),
		"update her event":   boxoffice.CanUpdateEvent(c, event),
		"join a waitlist":    boxoffice.CanJoinWaitlist(c),
		"read her booking":   boxoffice.CanReadBooking(c, &boxoffice.Booking{UserID: alice, EventID: event.ID}, event),
		"list her bookings":  func() error { _, err := boxoffice.ScopeBookings(c, boxoffice.BookingFilter{UserID: alice}); return err }(),
		"list all the users": boxoffice.CanListUsers(c),
	} {
		if boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
			t.Errorf("%s: %v, want UNAUTHENTICATED", name, err)
		}
	}

	ctx := boxoffice.NewContextWithCaller(context.Background(), c)
	if got := boxoffice.CallerFromContext(ctx); got.Token != check {
		t.Fatalf("before the check: %+v", got)
	}
	check.Passed(&boxoffice.User{ID: alice, Role: boxoffice.RoleOrganizer, TokenVersion: 3})
	if got := boxoffice.CallerFromContext(ctx); got != (boxoffice.Caller{UserID: alice, Role: boxoffice.RoleOrganizer}) {
		t.Fatalf("after it passed: %+v, want alice the organizer, checked", got)
	}
	if check.Revoked() {
		t.Error("passed, yet revoked")
	}
}

// A request with a token still to be checked is refused, before anything
// about the event is said, unless the buyer still has that token version.
func TestPlanBookingsChecksTokens(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	ev, past := boxoffice.NewID(), boxoffice.NewID()
	alice, ghost := boxoffice.NewID(), boxoffice.NewID()
	stock := boxoffice.Stock{
		Events: map[string]*boxoffice.Event{
			ev:   {ID: ev, AvailableTickets: 5, TotalTickets: 5, Date: now.Add(time.Hour)},
			past: {ID: past, AvailableTickets: 5, TotalTickets: 5, Date: now.Add(-time.Hour)},
		},
		Users: map[string]*boxoffice.User{alice: {ID: alice, TokenVersion: 2}},
	}
	version := func(v int) *int { return &v }
	reqs := []boxoffice.BookingRequest{
		{UserID: alice, EventID: ev, Tickets: 1, TokenVersion: version(1)},   // signed out since
		{UserID: alice, EventID: past, Tickets: 1, TokenVersion: version(1)}, // and told nothing of the event
		{UserID: ghost, EventID: ev, Tickets: 1, TokenVersion: version(0)},   // a user that is gone
		{UserID: alice, EventID: ev, Tickets: 2, TokenVersion: version(2)},   // current
		{UserID: alice, EventID: ev, Tickets: 1},                             // checked before
	}
	plan := boxoffice.PlanBookings(reqs, stock, boxoffice.BookingTerms{}, now)
	want := []string{boxoffice.EUNAUTHENTICATED, boxoffice.EUNAUTHENTICATED, boxoffice.EUNAUTHENTICATED, "", ""}
	for i, w := range want {
		if got := boxoffice.ErrorCode(plan.Results[i].Err); got != w {
			t.Errorf("request %d: %q (%v), want %q", i, got, plan.Results[i].Err, w)
		}
	}
	if plan.Taken[ev] != 3 || len(plan.Bookings) != 2 {
		t.Errorf("takes %v in %d bookings, want 3 tickets in 2", plan.Taken, len(plan.Bookings))
	}
}
