package boxoffice

import (
	"context"
	"time"
)

// MaxTicketsPerBooking bounds one booking; MaxBulkTickets one bulk
// booking (a group or a box office). The stores enforce the larger.
const (
	MaxTicketsPerBooking = 10
	MaxBulkTickets       = 10_000
)

// DefaultNestedBookings and MaxNestedBookings bound the bookings listed
// under one user or event (User.bookings, Event.bookings): most recent first.
const (
	DefaultNestedBookings = 100
	MaxNestedBookings     = 1000
)

// BookingStatus is where a booking is in its life.
type BookingStatus string

const (
	BookingPending   BookingStatus = "PENDING"   // holds its tickets until ExpiresAt while it waits for payment
	BookingConfirmed BookingStatus = "CONFIRMED" // paid, free, or confirmed at once: holds its tickets
	BookingCancelled BookingStatus = "CANCELLED" // gave its tickets back; a paid one is refunded
	BookingExpired   BookingStatus = "EXPIRED"   // was not paid in time: gave its tickets back
)

// Valid reports whether s is one of the statuses.
func (s BookingStatus) Valid() bool {
	return s == BookingPending || s == BookingConfirmed || s == BookingCancelled || s == BookingExpired
}

// HoldsTickets reports whether a booking in this status keeps its tickets
// from being sold to anyone else.
func (s BookingStatus) HoldsTickets() bool { return s == BookingPending || s == BookingConfirmed }

// Booking is a number of tickets for one event, held by one user.
type Booking struct {
	ID              string
	UserID          string
	EventID         string
	NumberOfTickets int
	Status          BookingStatus
	ExpiresAt       *time.Time // PENDING: when the hold ends unless paid
	UnitPriceCents  int64      // one ticket's price when the booking was made
	TotalCents      int64      // what the buyer pays: unit price × tickets, less DiscountCents
	DiscountCents   int64      // what its promo code took off
	TicketTypeID    string     // "": an event without ticket types
	PromoCodeID     string     // "": no promo code
	Currency        string     // ISO 4217, as the event's
	CreatedAt       time.Time
	UpdatedAt       time.Time
	CancelledAt     *time.Time
	// IdempotencyKey is the key of the request that made the booking, if it
	// sent one: a retry with the same key gets this booking back.
	IdempotencyKey string
	// Payment is set on a booking just made that is to be paid; read back,
	// it comes from PaymentStore.
	Payment *Payment

	// Event and User are set on a booking just made: its event and buyer as
	// of the commit, read in the booking's own transaction, so a
	// confirmation can show them without another read that could fail
	// after the booking is already made. Bookings read back have them only
	// when asked for (BookingFilter.WithUserAndEvent); otherwise nil.
	Event *Event
	User  *User
}

// UnitPrice is one ticket's price in currency units, as the API shows it.
func (b *Booking) UnitPrice() float64 { return float64(b.UnitPriceCents) / 100 }

// Discount is what its promo code took off, in currency units.
func (b *Booking) Discount() float64 { return float64(b.DiscountCents) / 100 }

// Total is what the buyer pays, in currency units, as the API shows it.
func (b *Booking) Total() float64 { return float64(b.TotalCents) / 100 }

// Cancel marks the booking cancelled at now: a PENDING or CONFIRMED one,
// until its event (b.Event, which must be set) starts, or at any time when
// staff (the event's organizer or an admin) cancel it. ECONFLICT otherwise.
func (b *Booking) Cancel(now time.Time, staff bool) error {
	switch b.Status {
	case BookingCancelled:
		return Errorf(ECONFLICT, "booking is already cancelled")
	case BookingExpired:
		return Errorf(ECONFLICT, "booking has expired: its tickets went back")
	}
	if !staff && !b.Event.Date.After(now) {
		return Errorf(ECONFLICT, "event has already started: the booking can no longer be cancelled")
	}
	b.Status, b.UpdatedAt, b.CancelledAt, b.ExpiresAt = BookingCancelled, now, &now, nil
	return nil
}

// Confirm marks a paid booking CONFIRMED at now: a PENDING one, or an
// EXPIRED one whose tickets are still free (b.Event, as locked, says) and
// whose event has not started. ECONFLICT otherwise: the payment then has
// to be refunded.
func (b *Booking) Confirm(now time.Time) error {
	switch b.Status {
	case BookingPending:
	case BookingExpired:
		if !b.Event.Date.After(now) {
			return Errorf(ECONFLICT, "event has already started")
		}
		if b.Event.AvailableTickets < b.NumberOfTickets {
			return Errorf(ESOLDOUT, "its tickets were sold while the hold was expired")
		}
	default:
		return Errorf(ECONFLICT, "booking is %s", b.Status)
	}
	b.Status, b.UpdatedAt, b.ExpiresAt = BookingConfirmed, now, nil
	return nil
}

// Expire marks a PENDING booking whose hold has ended EXPIRED at now.
func (b *Booking) Expire(now time.Time) error {
	if b.Status != BookingPending || b.ExpiresAt == nil || b.ExpiresAt.After(now) {
		return Errorf(ECONFLICT, "booking is not an expired hold")
	}
	b.Status, b.UpdatedAt, b.ExpiresAt = BookingExpired, now, nil
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
	if f.Status != "" && !f.Status.Valid() {
		return Invalidf("status", "status must be PENDING, CONFIRMED, CANCELLED or EXPIRED")
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
	// IdempotencyKey, if set, makes a retry of the same request return the
	// booking the first made instead of booking again.
	IdempotencyKey string
	// AttendeeNames, if given, name who uses each ticket, in seat order.
	AttendeeNames []string
	// TicketTypeID names the type to book: required for an event that
	// sells ticket types, refused for one that does not.
	TicketTypeID string
	// PromoCode, if given, takes a discount off the booking.
	PromoCode string
	// Bulk is a booking by the event's organizer or an admin for a group
	// or a box office: up to MaxBulkTickets, confirmed at once (paid
	// offline), outside the type's sales window and per-booking limit.
	Bulk bool
	// Offer marks a waiting list's offer: it may take the tickets kept
	// for the people waiting.
	Offer bool
	// TokenVersion, when not nil, is the version of the token the buyer
	// (who is the actor) asked with, not checked yet (TokenCheck):
	// PlanBookings refuses the request with ErrTokenRevoked unless it is
	// still the buyer's.
	TokenVersion *int
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
	limit := MaxTicketsPerBooking
	if r.Bulk {
		limit = MaxBulkTickets
	}
	if r.Tickets < 1 || r.Tickets > limit {
		return Invalidf("numberOfTickets", "numberOfTickets must be between 1 and %d", limit)
	}
	if r.TicketTypeID != "" && !ValidID(r.TicketTypeID) {
		return Invalidf("ticketTypeId", "ticketTypeId is not a valid ID")
	}
	if len(r.AttendeeNames) > r.Tickets {
		return Invalidf("attendeeNames", "at most one attendee name per ticket")
	}
	for _, n := range r.AttendeeNames {
		if err := ValidAttendeeName("attendeeNames", n); err != nil {
			return err
		}
	}
	if err := CheckText("promoCode", r.PromoCode); err != nil {
		return err
	}
	if len(NormalizePromoCode(r.PromoCode)) > MaxPromoCodeLength {
		return Invalidf("promoCode", "no such promo code")
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
	// CreateBulkBooking books up to MaxBulkTickets for a user (req.Bulk),
	// all or nothing, confirmed at once: the event's organizer and admins
	// (CanBookBulk). Errors as CreateBooking's.
	CreateBulkBooking(ctx context.Context, req BookingRequest) (*Booking, error)
	// CreateBooking books tickets for a user, all or nothing. EINVALID for
	// malformed input, ENOTFOUND for an unknown user or event, ECONFLICT
	// for an event that has already started, ESOLDOUT when fewer tickets
	// are left than asked for, EUNAUTHENTICATED when the caller's token,
	// still to be checked (Caller.Token), turns out revoked.
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
	// PayBooking pays a PENDING booking with a card (the test provider),
	// and returns it as the provider's answer left it (or, if the answer
	// is slow, with its payment PROCESSING). The buyer and admins.
	// ENOTFOUND, ECONFLICT (not PENDING), EINVALID (a card the provider
	// cannot read).
	PayBooking(ctx context.Context, id, card string) (*Booking, error)
	// FindPaymentsByBookingIDs returns the payments of these bookings, for
	// batched loading; the GraphQL layer shows them to whoever may see the
	// booking.
	FindPaymentsByBookingIDs(ctx context.Context, ids []string) ([]*Payment, error)
	// FindChangesByBookingIDs returns these bookings' changes, oldest
	// first, for batched loading of their histories.
	FindChangesByBookingIDs(ctx context.Context, ids []string) ([]*Change, error)
}

// BookingHistoryEntry is one step of a booking's history, as shown.
type BookingHistoryEntry struct {
	At      time.Time
	Kind    string // CREATED, PAID, PAYMENT_FAILED, CONFIRMED, EXPIRED, CANCELLED, REFUNDED, …
	ActorID string // "": the system
	Detail  string
}

// History turns a booking's recorded changes, oldest first, into its
// history. A booking made and confirmed at once has one change; it shows as
// CREATED, then CONFIRMED.
func History(b *Booking, changes []*Change) []BookingHistoryEntry {
	out := make([]BookingHistoryEntry, 0, len(changes)+1)
	for i, c := range changes {
		kind := c.Kind.HistoryKind()
		if i == 0 && c.Kind != ChangeBookingCreated {
			out = append(out, BookingHistoryEntry{At: b.CreatedAt, Kind: "CREATED", ActorID: c.ActorID})
		}
		out = append(out, BookingHistoryEntry{At: c.At, Kind: kind, ActorID: c.ActorID, Detail: c.Detail})
	}
	if len(out) == 0 {
		out = append(out, BookingHistoryEntry{At: b.CreatedAt, Kind: "CREATED"})
	}
	return out
}
