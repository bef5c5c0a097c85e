package boxoffice_test

import (
	"testing"

	"github.com/boxoffice/boxoffice"
)

// TestPolicy walks every rule for every kind of caller. "" allowed; else
// the error code expected.
func TestPolicy(t *testing.T) {
	var (
		alice = boxoffice.NewID() // a customer
		olga  = boxoffice.NewID() // organizes the event
		oscar = boxoffice.NewID() // organizes other events
		adam  = boxoffice.NewID() // an admin

		event   = &boxoffice.Event{ID: boxoffice.NewID(), OrganizerID: &olga}
		orphan  = &boxoffice.Event{ID: boxoffice.NewID()} // no organizer
		booking = &boxoffice.Booking{ID: boxoffice.NewID(), UserID: alice, EventID: event.ID}
		ticket  = &boxoffice.Ticket{ID: boxoffice.NewID(), BookingID: booking.ID, EventID: event.ID, OwnerID: alice}
		entry   = &boxoffice.WaitlistEntry{ID: boxoffice.NewID(), EventID: event.ID, UserID: alice}
		given   = &boxoffice.Ticket{ID: boxoffice.NewID(), BookingID: booking.ID, EventID: event.ID, OwnerID: boxoffice.NewID()} // alice gave it away
	)
	callers := []struct {
		name string
		c    boxoffice.Caller
	}{
		{"anonymous", boxoffice.Caller{}},
		{"customer", boxoffice.Caller{UserID: alice, Role: boxoffice.RoleCustomer}},
		{"organizer", boxoffice.Caller{UserID: olga, Role: boxoffice.RoleOrganizer}},
		{"other organizer", boxoffice.Caller{UserID: oscar, Role: boxoffice.RoleOrganizer}},
		{"admin", boxoffice.Caller{UserID: adam, Role: boxoffice.RoleAdmin}},
	}
	const (
		ok     = ""
		unauth = boxoffice.EUNAUTHENTICATED
		forbid = boxoffice.EFORBIDDEN
		hidden = boxoffice.ENOTFOUND
	)
	rules := []struct {
		name  string
		check func(boxoffice.Caller) error
		want  [5]string // anonymous, customer, organizer, other organizer, admin
	}{
		{"list users", boxoffice.CanListUsers, [5]string{unauth, forbid, forbid, forbid, ok}},
		{"manage users", boxoffice.CanManageUsers, [5]string{unauth, forbid, forbid, forbid, ok}},
		{"read alice", func(c boxoffice.Caller) error { return boxoffice.CanReadUser(c, alice) }, [5]string{unauth, ok, hidden, hidden, ok}},
		{"see alice's email", func(c boxoffice.Caller) error { return boxoffice.CanSeeUserPrivate(c, alice) }, [5]string{unauth, ok, forbid, forbid, ok}},
		{"list the event's bookings", func(c boxoffice.Caller) error { return boxoffice.CanListEventBookings(c, event) }, [5]string{unauth, forbid, ok, forbid, ok}},
		{"list an orphan event's bookings", func(c boxoffice.Caller) error { return boxoffice.CanListEventBookings(c, orphan) }, [5]string{unauth, forbid, forbid, forbid, ok}},
		{"read alice's booking", func(c boxoffice.Caller) error { return boxoffice.CanReadBooking(c, booking, event) }, [5]string{unauth, ok, ok, hidden, ok}},
		{"cancel alice's booking", func(c boxoffice.Caller) error { return boxoffice.CanCancelBooking(c, booking, event) }, [5]string{unauth, ok, ok, hidden, ok}},
		{"pay alice's booking", func(c boxoffice.Caller) error { return boxoffice.CanPayBooking(c, booking, event) }, [5]string{unauth, ok, forbid, hidden, ok}},
		{"see the client secret of alice's payment", func(c boxoffice.Caller) error { return boxoffice.CanSeePaymentSecret(c, booking) }, [5]string{unauth, ok, forbid, forbid, forbid}},
		{"book for alice", func(c boxoffice.Caller) error { return boxoffice.CanBookFor(c, alice) }, [5]string{unauth, ok, forbid, forbid, ok}},
		{"book for oscar", func(c boxoffice.Caller) error { return boxoffice.CanBookFor(c, oscar) }, [5]string{unauth, forbid, forbid, ok, ok}},
		{"create an event", boxoffice.CanCreateEvent, [5]string{unauth, forbid, ok, ok, ok}},
		{"update the event", func(c boxoffice.Caller) error { return boxoffice.CanUpdateEvent(c, event) }, [5]string{unauth, forbid, ok, forbid, ok}},
		{"update an orphan event", func(c boxoffice.Caller) error { return boxoffice.CanUpdateEvent(c, orphan) }, [5]string{unauth, forbid, forbid, forbid, ok}},
		{"join a waiting list", boxoffice.CanJoinWaitlist, [5]string{unauth, ok, ok, ok, ok}},
		{"leave alice's waiting-list entry", func(c boxoffice.Caller) error { return boxoffice.CanLeaveWaitlist(c, entry) }, [5]string{unauth, ok, forbid, forbid, ok}},
		{"see the event's waiting list", func(c boxoffice.Caller) error { return boxoffice.CanReadWaitlist(c, event) }, [5]string{unauth, forbid, ok, forbid, ok}},
		{"name the event's staff", func(c boxoffice.Caller) error { return boxoffice.CanManageStaff(c, event) }, [5]string{unauth, forbid, ok, forbid, ok}},
		{"check the event's tickets in", func(c boxoffice.Caller) error { return boxoffice.CanCheckIn(c, event, false) }, [5]string{unauth, forbid, ok, forbid, ok}},
		{"check in, oscar on the staff", func(c boxoffice.Caller) error { return boxoffice.CanCheckIn(c, event, c.Is(oscar)) }, [5]string{unauth, forbid, ok, ok, ok}},
		{"read alice's ticket", func(c boxoffice.Caller) error { return boxoffice.CanReadTicket(c, ticket, event, false) }, [5]string{unauth, ok, ok, hidden, ok}},
		{"read the ticket alice gave away", func(c boxoffice.Caller) error { return boxoffice.CanReadTicket(c, given, event, false) }, [5]string{unauth, hidden, ok, hidden, ok}},
		{"read it, oscar on the staff", func(c boxoffice.Caller) error { return boxoffice.CanReadTicket(c, given, event, c.Is(oscar)) }, [5]string{unauth, hidden, ok, ok, ok}},
		{"transfer alice's ticket", func(c boxoffice.Caller) error { return boxoffice.CanTransferTicket(c, ticket, event) }, [5]string{unauth, ok, forbid, hidden, forbid}},
		{"transfer the ticket alice gave away", func(c boxoffice.Caller) error { return boxoffice.CanTransferTicket(c, given, event) }, [5]string{unauth, hidden, forbid, hidden, forbid}},
		{"manage the event's promo codes", func(c boxoffice.Caller) error { return boxoffice.CanManagePromoCodes(c, event) }, [5]string{unauth, forbid, ok, forbid, ok}},
		{"manage an orphan event's promo codes", func(c boxoffice.Caller) error { return boxoffice.CanManagePromoCodes(c, orphan) }, [5]string{unauth, forbid, forbid, forbid, ok}},
		{"book the event in bulk", func(c boxoffice.Caller) error { return boxoffice.CanBookBulk(c, event) }, [5]string{unauth, forbid, ok, forbid, ok}},
		{"manage webhooks for all their events", func(c boxoffice.Caller) error { return boxoffice.CanManageWebhooks(c, nil) }, [5]string{unauth, forbid, ok, ok, ok}},
		{"manage webhooks for the event", func(c boxoffice.Caller) error { return boxoffice.CanManageWebhooks(c, event) }, [5]string{unauth, forbid, ok, forbid, ok}},
		{"manage webhooks for an orphan event", func(c boxoffice.Caller) error { return boxoffice.CanManageWebhooks(c, orphan) }, [5]string{unauth, forbid, forbid, forbid, ok}},
		{"name the attendee of alice's ticket", func(c boxoffice.Caller) error { return boxoffice.CanNameAttendee(c, ticket, event) }, [5]string{unauth, ok, ok, hidden, ok}},
	}
	for _, r := range rules {
		for i, who := range callers {
			if got := boxoffice.ErrorCode(r.check(who.c)); got != r.want[i] {
				t.Errorf("%s as %s: %q, want %q", r.name, who.name, got, r.want[i])
			}
		}
	}
}

// TestScopeBookings checks what each caller's bookings listing is narrowed to.
func TestScopeBookings(t *testing.T) {
	alice, bob, olga, adam := boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID()
	customer := boxoffice.Caller{UserID: alice, Role: boxoffice.RoleCustomer}
	organizer := boxoffice.Caller{UserID: olga, Role: boxoffice.RoleOrganizer}
	admin := boxoffice.Caller{UserID: adam, Role: boxoffice.RoleAdmin}
	for _, tc := range []struct {
		name            string
		c               boxoffice.Caller
		in              boxoffice.BookingFilter
		code            string
		user, organizer string
	}{
		{"anonymous", boxoffice.Caller{}, boxoffice.BookingFilter{}, boxoffice.EUNAUTHENTICATED, "", ""},
		{"customer, no filter: own", customer, boxoffice.BookingFilter{}, "", alice, ""},
		{"customer, self", customer, boxoffice.BookingFilter{UserID: alice}, "", alice, ""},
		{"customer, someone else", customer, boxoffice.BookingFilter{UserID: bob}, boxoffice.EFORBIDDEN, "", ""},
		{"organizer, no filter: their events", organizer, boxoffice.BookingFilter{}, "", "", olga},
		{"organizer, self: own bookings", organizer, boxoffice.BookingFilter{UserID: olga}, "", olga, ""},
		{"organizer, a buyer: within their events", organizer, boxoffice.BookingFilter{UserID: bob}, "", bob, olga},
		{"admin, anything", admin, boxoffice.BookingFilter{UserID: bob}, "", bob, ""},
	} {
		f, err := boxoffice.ScopeBookings(tc.c, tc.in)
		if boxoffice.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want code %q", tc.name, err, tc.code)
			continue
		}
		if err == nil && (f.UserID != tc.user || f.OrganizerID != tc.organizer) {
			t.Errorf("%s: scoped to user %q organizer %q, want %q %q", tc.name, f.UserID, f.OrganizerID, tc.user, tc.organizer)
		}
	}
}
