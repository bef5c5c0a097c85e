package boxoffice

import (
	"context"
	"time"
)

// The waiting list of a sold-out event. Buyers join it asking for 1 to 10
// tickets. Tickets that come back while anyone waits (a cancellation, an
// expired hold, more tickets) are kept from the public and offered to the
// entries in the order they joined: each offer is a booking made for the
// buyer under the waiting list's terms (held for WAITLIST_OFFER_TTL where
// there is something to pay). The rule is strict order: an entry asking
// for more tickets than are free waits, and nobody behind it is served
// first. An offer not paid in time expires as any hold does, and its
// tickets pass to the next entry.

// WaitlistStatus is where an entry is.
type WaitlistStatus string

const (
	WaitlistWaiting  WaitlistStatus = "WAITING"
	WaitlistOffered  WaitlistStatus = "OFFERED"  // its offer is held for the buyer
	WaitlistAccepted WaitlistStatus = "ACCEPTED" // its offer was paid (or was free)
	WaitlistExpired  WaitlistStatus = "EXPIRED"  // its offer ran out, or was cancelled
	WaitlistLeft     WaitlistStatus = "LEFT"     // the buyer left before an offer
)

// WaitlistEntry is one buyer's place on an event's waiting list.
type WaitlistEntry struct {
	ID              string
	EventID         string
	UserID          string
	NumberOfTickets int
	// Status is the entry's own (WAITING, OFFERED, LEFT), or, once
	// offered, its offer's outcome: ACCEPTED or EXPIRED.
	Status    WaitlistStatus
	Position  int    // WAITING: 1 is next; else 0
	BookingID string // the offer, once made
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SetOfferStatus derives an offered entry's status from its booking's.
func (w *WaitlistEntry) SetOfferStatus(b BookingStatus) {
	if w.Status != WaitlistOffered {
		return
	}
	switch b {
	case BookingConfirmed:
		w.Status = WaitlistAccepted
	case BookingExpired, BookingCancelled:
		w.Status = WaitlistExpired
	}
}

// ChangeWaitlistOffered is recorded with each offer, on its booking.
const ChangeWaitlistOffered ChangeKind = "waitlist.offered"

// WaitlistStore keeps the waiting lists.
type WaitlistStore interface {
	// Join puts e at the end of its event's waiting list (e.ID, times set
	// by the caller). ENOTFOUND for an unknown event or user; ECONFLICT
	// if the event is not sold out (and nobody waits), has started, or
	// the user already waits for it.
	Join(ctx context.Context, e *WaitlistEntry, now time.Time) error
	// Leave takes a WAITING entry off its list. ENOTFOUND; ECONFLICT once
	// it was offered.
	Leave(ctx context.Context, id string, now time.Time) (*WaitlistEntry, error)
	ByID(ctx context.Context, id string) (*WaitlistEntry, error)
	// ByEvent returns an event's entries, in queue order (waiting first).
	ByEvent(ctx context.Context, eventID string) ([]*WaitlistEntry, error)
	// ByUser returns a user's entries, newest first.
	ByUser(ctx context.Context, userID string) ([]*WaitlistEntry, error)
	// Serve offers the tickets free on events with people waiting to the
	// entries in order, in one transaction per call, each offer a booking
	// made under terms, and returns the entries offered.
	Serve(ctx context.Context, terms BookingTerms, now time.Time) ([]*WaitlistEntry, error)
}

// WaitlistService is the waiting list as the API offers it.
type WaitlistService interface {
	// JoinWaitlist: the caller waits for n tickets of a sold-out event.
	// EINVALID, ENOTFOUND, ECONFLICT, EUNAUTHENTICATED.
	JoinWaitlist(ctx context.Context, eventID string, n int) (*WaitlistEntry, error)
	// LeaveWaitlist: the entry's user, or an admin. ECONFLICT once offered.
	LeaveWaitlist(ctx context.Context, id string) (*WaitlistEntry, error)
	// MyWaitlist: the caller's entries.
	MyWaitlist(ctx context.Context) ([]*WaitlistEntry, error)
	// Waitlist: an event's entries, for its organizer and admins.
	Waitlist(ctx context.Context, eventID string) ([]*WaitlistEntry, error)
}
