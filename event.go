package boxoffice

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Event limits.
const (
	MaxEventTickets  = 1_000_000
	MaxPriceCents    = 99_999_999 // decimal(10,2)
	DefaultTopEvents = 5          // popularEvents and upcomingEvents
	MaxTopEvents     = MaxLimit   // popularEvents and upcomingEvents at most
)

// Event is something people book tickets for.
type Event struct {
	ID               string
	Title            string
	Description      *string
	Date             time.Time
	Location         string
	TotalTickets     int
	AvailableTickets int     // TotalTickets minus the tickets of confirmed bookings
	PriceCents       int64   // price of one ticket in cents: never binary floating point
	Currency         string  // ISO 4217 code of the price, e.g. "EUR"
	NoTransfers      bool    // its organizer forbids giving its tickets to someone else
	WaitlistLength   int     // entries WAITING on its waiting list: while any wait, the public cannot book
	Version          int     // bumped by every update; the optimistic-concurrency token
	OrganizerID      *string // the user who runs the event; nil: none (only admins edit it)
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// HasTicketTypes says the event sells through ticket types: every
	// booking names one, and the totals above are their sums.
	HasTicketTypes bool
	// TicketTypes are set on an event being created with types
	// (SetTicketTypes); events read back leave them nil (TicketTypeStore).
	TicketTypes []*TicketType
}

// Price is the price of one ticket in currency units, as the API shows it.
// Computations use PriceCents.
func (e *Event) Price() float64 { return float64(e.PriceCents) / 100 }

// Validate returns EINVALID if a field of e is malformed. It trims the texts.
// It does not look at the clock: the service refuses new events in the past.
func (e *Event) Validate() error {
	e.Title = strings.TrimSpace(e.Title)
	e.Location = strings.TrimSpace(e.Location)
	for _, f := range []struct{ name, text string }{{"title", e.Title}, {"description", deref(e.Description)}, {"location", e.Location}} {
		if err := CheckText(f.name, f.text); err != nil {
			return err
		}
	}
	if n := utf8.RuneCountInString(e.Title); n < 1 || n > 200 {
		return Invalidf("title", "title must be 1 to 200 characters")
	}
	if e.Description != nil && utf8.RuneCountInString(*e.Description) > 5000 {
		return Invalidf("description", "description must be at most 5000 characters")
	}
	if n := utf8.RuneCountInString(e.Location); n < 1 || n > 200 {
		return Invalidf("location", "location must be 1 to 200 characters")
	}
	if e.Date.IsZero() {
		return Invalidf("date", "date is required")
	}
	if err := CheckTime("date", e.Date); err != nil {
		return err
	}
	if e.TotalTickets < 1 || e.TotalTickets > MaxEventTickets {
		return Invalidf("totalTickets", "totalTickets must be between 1 and %d", MaxEventTickets)
	}
	if e.AvailableTickets < 0 || e.AvailableTickets > e.TotalTickets {
		return Invalidf("availableTickets", "availableTickets must be between 0 and totalTickets")
	}
	if e.Currency != "" && !ValidCurrency(e.Currency) {
		return Invalidf("currency", "currency must be an ISO 4217 code such as EUR")
	}
	if e.PriceCents < 0 || e.PriceCents > MaxPriceCents {
		return Invalidf("price", "price must be between 0 and 999999.99")
	}
	return nil
}

// EventUpdate changes the fields that are not nil. Version must be the
// event's current version, or the update fails with ECONFLICT.
type EventUpdate struct {
	Title        *string
	Description  *string
	Date         *time.Time
	Location     *string
	TotalTickets *int // available tickets move by the same amount
	PriceCents   *int64
	NoTransfers  *bool
	Version      int
}

// Apply returns a copy of e with the update's fields set, available tickets
// moved by the change in total tickets, and the version bumped. It returns
// ECONFLICT if the version is stale or the new total is below the tickets
// already sold, EINVALID if a field is malformed.
func (u EventUpdate) Apply(e *Event) (*Event, error) {
	if u.Version != e.Version {
		return nil, Errorf(ECONFLICT, "event was changed by someone else (version %d, current %d): reload and retry", u.Version, e.Version)
	}
	if e.HasTicketTypes && (u.TotalTickets != nil || u.PriceCents != nil) {
		return nil, Invalidf("totalTickets", "this event sells ticket types: its totalTickets and price are theirs")
	}
	next := *e
	if u.Title != nil {
		next.Title = *u.Title
	}
	if u.Description != nil {
		next.Description = u.Description
	}
	if u.Date != nil {
		next.Date = u.Date.UTC().Truncate(time.Microsecond) // as the stores keep it
	}
	if u.Location != nil {
		next.Location = *u.Location
	}
	if u.PriceCents != nil {
		next.PriceCents = *u.PriceCents
	}
	if u.NoTransfers != nil {
		next.NoTransfers = *u.NoTransfers
	}
	if u.TotalTickets != nil {
		sold := e.TotalTickets - e.AvailableTickets
		if *u.TotalTickets < sold {
			return nil, Errorf(ECONFLICT, "totalTickets cannot go below the %d tickets already sold", sold)
		}
		next.TotalTickets = *u.TotalTickets
		next.AvailableTickets = *u.TotalTickets - sold
	}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	next.Version++
	next.UpdatedAt = Now()
	return &next, nil
}

// EventFilter selects events. Events come by date, soonest first, then
// newest first.
type EventFilter struct {
	Page Page
}

// EventService manages events.
type EventService interface {
	// FindEventByID returns ENOTFOUND if there is no such event, EINVALID if
	// id is not a UUID.
	FindEventByID(ctx context.Context, id string) (*Event, error)
	// FindEvents returns a page of events and the total. EINVALID for a bad page.
	FindEvents(ctx context.Context, filter EventFilter) ([]*Event, int, error)
	// FindEventsByIDs returns the events with these ids that exist, in any order.
	FindEventsByIDs(ctx context.Context, ids []string) ([]*Event, error)
	// PopularEvents returns up to limit events, fewest available tickets first.
	PopularEvents(ctx context.Context, limit int) ([]*Event, error)
	// UpcomingEvents returns up to limit events dated after now, soonest first.
	UpcomingEvents(ctx context.Context, limit int) ([]*Event, error)
	// CreateEvent sets e.ID, AvailableTickets (= TotalTickets), Version and
	// the timestamps. EINVALID for bad fields or a date in the past.
	CreateEvent(ctx context.Context, e *Event) error
	// UpdateEvent applies upd atomically. ENOTFOUND, EINVALID, ECONFLICT
	// (stale version, or fewer total tickets than already sold).
	UpdateEvent(ctx context.Context, id string, upd EventUpdate) (*Event, error)
	// FindTicketTypesByEventIDs returns the types of these events, for
	// batched loading of Event.ticketTypes and Booking.ticketType.
	FindTicketTypesByEventIDs(ctx context.Context, ids []string) ([]*TicketType, error)
	// AddTicketType gives a typed event one more type: its organizer and
	// admins. EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT (an event
	// without types, or one that has started).
	AddTicketType(ctx context.Context, eventID string, t *TicketType) (*TicketType, error)
	// UpdateTicketType replaces a type's settings (its totalTickets not
	// below the tickets sold): its event's organizer and admins. EINVALID,
	// ENOTFOUND, EFORBIDDEN, ECONFLICT.
	UpdateTicketType(ctx context.Context, id string, t *TicketType) (*TicketType, error)
	// CreatePromoCode gives the event a code: its organizer and admins
	// (CanManagePromoCodes). EINVALID, ENOTFOUND, ECONFLICT (the event has
	// the code already).
	CreatePromoCode(ctx context.Context, p *PromoCode) error
	// FindPromoCodes lists the event's codes: its organizer and admins.
	FindPromoCodes(ctx context.Context, eventID string) ([]*PromoCode, error)
}

// ValidCurrency reports whether code looks like an ISO 4217 currency code:
// three upper-case letters.
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, r := range code {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
