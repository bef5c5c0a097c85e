package boxoffice

import (
	"strings"
	"time"
)

// ChangeKind names what happened. The names are stable: they are stored,
// and later read by whatever reacts to changes.
type ChangeKind string

const (
	ChangeUserCreated  ChangeKind = "user.created"
	ChangeUserChanged  ChangeKind = "user.changed" // role or token version: who may do what
	ChangeEventCreated ChangeKind = "event.created"
	ChangeEventUpdated ChangeKind = "event.updated"
	// A booking's changes are its history (CREATED, PAID, CONFIRMED, …).
	ChangeBookingCreated       ChangeKind = "booking.created"   // held, or made
	ChangeBookingConfirmed     ChangeKind = "booking.confirmed" // alone: made and confirmed at once
	ChangeBookingPaid          ChangeKind = "booking.paid"
	ChangeBookingPaymentFailed ChangeKind = "booking.payment_failed"
	ChangeBookingExpired       ChangeKind = "booking.expired"
	ChangeBookingCancelled     ChangeKind = "booking.cancelled"
	ChangeBookingRefunded      ChangeKind = "booking.refunded"
	// A ticket's changes are in its booking's history too.
	ChangeTicketCheckedIn   ChangeKind = "ticket.checked_in"
	ChangeTicketTransferred ChangeKind = "ticket.transferred"
	// (ChangeWaitlistOffered: webhook.go.)
)

// HistoryKind is how a booking's history names a change of this kind:
// CONFIRMED for booking.confirmed, CHECKED_IN for ticket.checked_in,
// TICKET_TRANSFERRED for ticket.transferred.
func (k ChangeKind) HistoryKind() string {
	s := string(k)
	if rest, ok := strings.CutPrefix(s, "booking."); ok {
		s = rest
	} else if k == ChangeTicketCheckedIn {
		s = "checked_in"
	}
	return strings.ToUpper(strings.ReplaceAll(s, ".", "_"))
}

// Broadcast reports whether every server must hear of a change of this
// kind at once, because what it keeps in memory depends on it: tickets
// given back reopen an event seen sold out, and a user's new role or token
// version changes who may do what. Other changes are only recorded.
func (k ChangeKind) Broadcast() bool {
	switch k {
	case ChangeUserChanged, ChangeBookingCancelled, ChangeBookingExpired, ChangeEventUpdated:
		return true
	}
	return false
}

// Change is one recorded change: what happened, to what, by whom, when.
type Change struct {
	ID        int64 // set by the store: increasing, in commit order for one booking
	Kind      ChangeKind
	At        time.Time
	ActorID   string // the user who made it; "": the system
	UserID    string // the user it concerns (the buyer of a booking), if any
	EventID   string // the event it concerns, if any
	BookingID string // the booking it concerns, if any
	// TicketsReturned is how many tickets the change gave back to EventID's
	// availability: other servers reopen the event if it was sold out.
	TicketsReturned int
	Detail          string // what else a reader should know, in words; may be ""
}
