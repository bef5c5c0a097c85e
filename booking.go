package boxoffice

import (
	"context"
	"time"
)

// MaxTicketsPerBooking bounds one booking; the stores enforce it too.
const MaxTicketsPerBooking = 10

// DefaultNestedBookings and MaxNestedBookings bound the bookings listed
// under one user or event (User.bookings, Event.bookings): most recent first.
const (
	DefaultNestedBookings = 100
	MaxNestedBookings     = 1000
)

// BookingStatus is where a booking is in its life.
type BookingStatus string

const (
	BookingConfirmed BookingStatus = "CONFIRMED" // holds its tickets
	BookingCancelled BookingStatus = "CANCELLED" // gave its tickets back
)

// HoldsTickets reports whether a booking in this status keeps its tickets
// from being sold to anyone else.
func (s BookingStatus) HoldsTickets() bool { return s == BookingConfirmed }

// Booking is a number of tickets for one event, held by one user.
type Booking struct {
	ID              string
	UserID          string
	EventID         string
	NumberOfTickets int
	Status          BookingStatus
	CreatedAt       time.Time
	UpdatedAt       time.Time
	CancelledAt     *time.Time

	// Event and User are set on a booking just made: its event and buyer as
	// of the commit, read in the booking's own transaction, so a
	// confirmation can show them without another read that could fail
	// after the booking is already made. Bookings read back have them only
	// when asked for (BookingFilter.WithUserAndEvent); otherwise nil.
	Event *Event
	User  *User
}

// Cancel marks the booking cancelled at now. ECONFLICT if it is cancelled
// already, or if its event (b.Event, which must be set) has started.
func (b *Booking) Cancel(now time.Time) error {
	if b.Status == BookingCancelled {
		return Errorf(ECONFLICT, "booking is already cancelled")
	}
	if !b.Event.Date.After(now) {
		return Errorf(ECONFLICT, "event has already started: the booking can no longer be cancelled")
	}
	b.Status, b.UpdatedAt, b.CancelledAt = BookingCancelled, now, &now
	return nil
}

// BookingFilter selects bookings; empty fields match all. Bookings come
// newest first.
type BookingFilter struct {
	UserID        string
	EventID       string
	OrganizerID   string // only bookings for events this user organizes
	Status        BookingStatus
	CreatedFrom   *time.Time // inclusive
	CreatedBefore *time.Time // exclusive
	Page          Page

	// WithUserAndEvent reads each booking's User and Event in the same
	// statement as the page: a page shown with its buyers and events costs
	// one round trip, not three.
	WithUserAndEvent bool
}

// Validate returns EINVALID for malformed ids, an unknown status, an empty
// time range or a bad page.
func (f BookingFilter) Validate() error {
	if f.UserID != "" && !ValidID(f.UserID) {
		return Invalidf("userId", "userId is not a valid ID")
	}
	if f.EventID != "" && !ValidID(f.EventID) {
		return Invalidf("eventId", "eventId is not a valid ID")
	}
	if f.OrganizerID != "" && !ValidID(f.OrganizerID) {
		return Invalidf("organizerId", "organizerId is not a valid ID")
	}
	if f.Status != "" && f.Status != BookingConfirmed && f.Status != BookingCancelled {
		return Invalidf("status", "status must be CONFIRMED or CANCELLED")
	}
	if f.CreatedFrom != nil && f.CreatedBefore != nil && !f.CreatedFrom.Before(*f.CreatedBefore) {
		return Invalidf("createdFrom", "createdFrom must not be after createdTo")
	}
	return f.Page.Validate()
}

// BookingRequest is one buyer's ask for tickets.
type BookingRequest struct {
	UserID  string
	EventID string
	Tickets int
	// ActorID is who asks: the buyer, or an admin booking for them; "" is
	// the system. It is recorded with the booking's change.
	ActorID string
}

// Validate returns EINVALID for malformed ids or a ticket count outside
// 1..MaxTicketsPerBooking.
func (r BookingRequest) Validate() error {
	if !ValidID(r.UserID) {
		return Invalidf("userId", "userId is not a valid ID")
	}
	if !ValidID(r.EventID) {
		return Invalidf("eventId", "eventId is not a valid ID")
	}
	if r.Tickets < 1 || r.Tickets > MaxTicketsPerBooking {
		return Invalidf("numberOfTickets", "numberOfTickets must be between 1 and %d", MaxTicketsPerBooking)
	}
	return nil
}

// BookingResult is the outcome of one BookingRequest: a confirmed booking,
// or an error (ENOTFOUND, ESOLDOUT, ECONFLICT) that belongs to it alone.
type BookingResult struct {
	Booking *Booking
	Err     error
	// Remaining is the event's available tickets once this request was
	// decided (0 also for an unknown event). The service uses it to refuse
	// bookings for sold-out events without a transaction.
	Remaining int
}

// BookingService books and cancels tickets and lists bookings.
type BookingService interface {
	// CreateBooking books tickets for a user, all or nothing. EINVALID for
	// malformed input, ENOTFOUND for an unknown user or event, ECONFLICT
	// for an event that has already started, ESOLDOUT when fewer tickets
	// are left than asked for.
	CreateBooking(ctx context.Context, req BookingRequest) (*Booking, error)
	// CancelBooking gives the booking's tickets back to its event.
	// ENOTFOUND, EINVALID, ECONFLICT (already cancelled, or the event has
	// started).
	CancelBooking(ctx context.Context, id string) (*Booking, error)
	// FindBookingByID returns ENOTFOUND if there is no such booking.
	FindBookingByID(ctx context.Context, id string) (*Booking, error)
	// FindBookings returns a page of bookings and the total. EINVALID for a
	// bad filter.
	FindBookings(ctx context.Context, filter BookingFilter) ([]*Booking, int, error)
	// FindBookingsByUserIDs returns, for each user id, up to perUser of the
	// user's most recent bookings, in any order. For batched loading.
	FindBookingsByUserIDs(ctx context.Context, ids []string, perUser int) ([]*Booking, error)
	// FindBookingsByEventIDs is FindBookingsByUserIDs for events.
	FindBookingsByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*Booking, error)
}
