package boxoffice

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// TicketStatus is where a ticket is.
type TicketStatus string

const (
	TicketValid TicketStatus = "VALID" // lets its holder in, once
	TicketUsed  TicketStatus = "USED"  // checked in
	TicketVoid  TicketStatus = "VOID"  // its booking was cancelled or refunded
)

// Ticket is one seat of a CONFIRMED booking: what its holder shows at the
// door, as its code (TicketCode).
type Ticket struct {
	ID           string
	BookingID    string
	EventID      string
	OwnerID      string // the buyer, until transferred
	AttendeeName string // "": not given
	Status       TicketStatus
	// Version is bumped by a transfer: codes made for earlier versions are
	// void, the new holder's code verifies.
	Version     int
	CheckedInAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewTickets returns the tickets of a booking being confirmed at now: one
// per seat, held by its buyer, with attendee names where given.
func NewTickets(b *Booking, names []string, now time.Time) []*Ticket {
	out := make([]*Ticket, b.NumberOfTickets)
	for i := range out {
		out[i] = &Ticket{ID: NewID(), BookingID: b.ID, EventID: b.EventID, OwnerID: b.UserID, Status: TicketValid,
			Version: 1, CreatedAt: now, UpdatedAt: now}
		if i < len(names) {
			out[i].AttendeeName = names[i]
		}
	}
	return out
}

// CheckedIn returns the ticket as a check-in at at leaves it.
func (t Ticket) CheckedIn(at time.Time) *Ticket {
	t.Status, t.CheckedInAt, t.UpdatedAt = TicketUsed, &at, at
	return &t
}

// Transfer gives the ticket to the user to at now, with a new code: the
// old one is void from now on. ECONFLICT for a ticket used or void, an
// event that started, or one whose organizer forbids transfers; EINVALID
// for a gift to its own holder.
func (t *Ticket) Transfer(to string, e *Event, now time.Time) error {
	switch {
	case t.Status != TicketValid:
		return Errorf(ECONFLICT, "this ticket is %s: it cannot be transferred", strings.ToLower(string(t.Status)))
	case e.NoTransfers:
		return Errorf(ECONFLICT, "the event's organizer does not allow transfers")
	case !now.Before(e.Date):
		return Errorf(ECONFLICT, "the event has started: tickets can no longer be transferred")
	case to == t.OwnerID:
		return Invalidf("toEmail", "the ticket is already yours")
	}
	t.OwnerID, t.Version, t.AttendeeName, t.UpdatedAt = to, t.Version+1, "", now
	return nil
}

// NameAttendee names who uses the ticket. ECONFLICT once the event has
// started or for a void ticket; EINVALID for a name that is not 1 to
// MaxAttendeeName characters of text.
func (t *Ticket) NameAttendee(name string, e *Event, now time.Time) error {
	if err := ValidAttendeeName("name", name); err != nil {
		return err
	}
	switch {
	case t.Status == TicketVoid:
		return Errorf(ECONFLICT, "this ticket is void")
	case !now.Before(e.Date):
		return Errorf(ECONFLICT, "the event has started: attendee names can no longer change")
	}
	t.AttendeeName, t.UpdatedAt = strings.TrimSpace(name), now
	return nil
}

// MaxAttendeeName bounds an attendee's name.
const MaxAttendeeName = 200

// ValidAttendeeName returns EINVALID unless name is 1 to MaxAttendeeName
// characters of text.
func ValidAttendeeName(field, name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxAttendeeName {
		return Invalidf(field, "%s must be 1 to %d characters", field, MaxAttendeeName)
	}
	return CheckText(field, name)
}

// CheckInResult is what a scan at the door says.
type CheckInResult string

const (
	CheckInOK               CheckInResult = "OK"
	CheckInAlreadyCheckedIn CheckInResult = "ALREADY_CHECKED_IN"
	CheckInVoid             CheckInResult = "VOID"        // cancelled, refunded, or transferred away
	CheckInWrongEvent       CheckInResult = "WRONG_EVENT" // a real ticket, of another event
	CheckInInvalid          CheckInResult = "INVALID"     // not a code of ours
)

// CheckIn is the outcome of one scan.
type CheckIn struct {
	Result           CheckInResult
	Ticket           *Ticket // nil for INVALID
	At               time.Time
	FirstCheckedInAt *time.Time // ALREADY_CHECKED_IN: when it was checked in
	// Conflict says, for a scan uploaded after the fact, that another scan
	// of the ticket was recorded before, and which won (the earliest).
	Conflict string
}

// Scan is a scan made at a door, possibly offline and uploaded later.
type Scan struct {
	Code   string
	At     time.Time
	Device string
}

// TicketStore keeps tickets. Tickets are issued and voided by
// BookingStore, with the booking that confirms or cancels them.
type TicketStore interface {
	ByID(ctx context.Context, id string) (*Ticket, error)
	// ByBookingIDs returns the tickets of these bookings, in seat order.
	ByBookingIDs(ctx context.Context, ids []string) ([]*Ticket, error)
	// ByOwner returns the tickets a user holds, newest first.
	ByOwner(ctx context.Context, userID string) ([]*Ticket, error)
	// ByEvent returns an event's tickets, for its check-in bundle.
	ByEvent(ctx context.Context, eventID string) ([]*Ticket, error)
	// CheckIn locks the ticket and marks it USED at at if it is VALID at
	// this version; with earliest, a USED ticket whose recorded check-in is
	// later than at takes at instead (an offline scan made before). It
	// returns the ticket as it was before, and whether it was checked in.
	CheckIn(ctx context.Context, id string, version int, at time.Time, earliest bool) (before *Ticket, checked bool, err error)
	// Update locks the ticket, lets apply change its owner, attendee name
	// or version, and saves it.
	Update(ctx context.Context, id string, apply func(t *Ticket) error) (*Ticket, error)
	// CountCheckedIn counts an event's USED tickets.
	CountCheckedIn(ctx context.Context, eventID string) (int, error)
	// RecordScan keeps every scan, whatever its outcome: none is lost.
	RecordScan(ctx context.Context, ticketID, eventID string, s Scan, result CheckInResult) error
}

// TicketService shows tickets, checks them in and moves them.
type TicketService interface {
	// FindTicketByID: the owner, the event's organizer and staff, admins;
	// ENOTFOUND for anyone else.
	FindTicketByID(ctx context.Context, id string) (*Ticket, error)
	// MyTickets are the tickets the caller holds. EUNAUTHENTICATED.
	MyTickets(ctx context.Context) ([]*Ticket, error)
	// FindTicketsByBookingIDs loads tickets in batches for Booking.tickets.
	FindTicketsByBookingIDs(ctx context.Context, ids []string) ([]*Ticket, error)
	// FindTicketBookings loads the bookings of tickets the caller was shown,
	// in batches, for Ticket.booking: whoever may read a ticket may read
	// its booking (a transfer's receiver sees its history).
	FindTicketBookings(ctx context.Context, ids []string) ([]*Booking, error)
	// TicketCode is the ticket's code, signed with its event's key.
	TicketCode(ctx context.Context, t *Ticket) (string, error)
	// CheckInKey is the public key that verifies an event's ticket codes.
	CheckInKey(ctx context.Context, eventID string) ([]byte, error)
	// CheckIn checks a scanned code in at the door: the event's organizer
	// and staff, admins.
	CheckIn(ctx context.Context, eventID, code string) (*CheckIn, error)
	// CheckInScans uploads scans made offline: the earliest scan of a
	// ticket wins; every scan is kept and answered.
	CheckInScans(ctx context.Context, eventID string, scans []Scan) ([]*CheckIn, error)
	// CheckedIn counts an event's tickets checked in: its organizer and
	// staff, admins.
	CheckedIn(ctx context.Context, eventID string) (int, error)
	// Bundle is what a door needs to check tickets in with no network.
	Bundle(ctx context.Context, eventID string) (*CheckInBundle, error)
	// AddEventStaff lets a user check tickets of an event in: its organizer
	// and admins.
	AddEventStaff(ctx context.Context, eventID, userID string) (*Event, error)
	// TransferTicket gives a ticket to the user with this email: its owner,
	// before the event starts, not a used one, where the event allows it.
	// The ticket gets a new code; the old one is void at once.
	TransferTicket(ctx context.Context, id, toEmail string) (*Ticket, error)
	// SetAttendeeName names who will use a ticket: its owner (or the
	// buyer), until the event starts.
	SetAttendeeName(ctx context.Context, id, name string) (*Ticket, error)
	// BookingTickets returns a booking's tickets with their codes, for its
	// PDF: the buyer, the event's organizer and staff, admins.
	BookingTickets(ctx context.Context, bookingID string) (*Booking, *Event, []*Ticket, []string, error)
}
