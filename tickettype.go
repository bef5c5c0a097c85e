package boxoffice

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Ticket type limits.
const (
	MaxTicketTypes = 20 // per event: a seating plan has a handful, not hundreds
	MaxPriceSteps  = 10 // per type: early-bird, regular, late and a few more
)

// PriceStep raises a ticket type's price once enough of its tickets are
// sold, or once a date has passed, whichever comes first: dynamic pricing
// as organizers describe it (early-bird, then regular, then late).
type PriceStep struct {
	SoldAtLeast *int       `json:"soldAtLeast,omitempty"`
	From        *time.Time `json:"from,omitempty"`
	PriceCents  int64      `json:"priceCents"`
}

// applies reports whether the step is reached with sold tickets at now.
func (s PriceStep) applies(sold int, now time.Time) bool {
	return s.SoldAtLeast != nil && sold >= *s.SoldAtLeast || s.From != nil && !now.Before(*s.From)
}

// TicketType is one kind of ticket an event sells (standing, seated,
// student), with its own price, stock, sales window and limit per booking.
// An event with types sells only through them, and its own totals are
// their sums, so the event's row stays the one lock every booking takes.
type TicketType struct {
	ID               string
	EventID          string
	Name             string
	PriceCents       int64 // the base price, before any step
	TotalTickets     int
	AvailableTickets int
	SalesStart       *time.Time // nil: on sale from the start
	SalesEnd         *time.Time // nil: until the event starts
	MaxPerBooking    int
	PriceSteps       []PriceStep
	Position         int // its place in the event's list
	CreatedAt        time.Time
}

// Sold is the number of tickets of the type held by bookings.
func (t *TicketType) Sold() int { return t.TotalTickets - t.AvailableTickets }

// PriceAt is the price of the next ticket once sold tickets are gone, at
// now: the price of the last step reached, in the order the organizer
// gave them, else the base price. Planning a batch calls it with the
// tickets sold before each booking, so each pays the price at its place.
func (t *TicketType) PriceAt(sold int, now time.Time) int64 {
	price := t.PriceCents
	for _, s := range t.PriceSteps {
		if s.applies(sold, now) {
			price = s.PriceCents
		}
	}
	return price
}

// CurrentPrice is what the next ticket costs now (TicketType.price).
func (t *TicketType) CurrentPrice(now time.Time) int64 { return t.PriceAt(t.Sold(), now) }

// Price is CurrentPrice in currency units, as the API shows it.
func (t *TicketType) Price(now time.Time) float64 { return float64(t.CurrentPrice(now)) / 100 }

// OnSale returns ECONFLICT outside the type's sales window.
func (t *TicketType) OnSale(now time.Time) error {
	if t.SalesStart != nil && now.Before(*t.SalesStart) {
		return Errorf(ECONFLICT, "%s tickets are not on sale before %s", t.Name, t.SalesStart.Format(time.RFC3339))
	}
	if t.SalesEnd != nil && !now.Before(*t.SalesEnd) {
		return Errorf(ECONFLICT, "%s tickets are no longer on sale", t.Name)
	}
	return nil
}

// Validate returns EINVALID for a malformed type; it trims the name and
// fills in MaxPerBooking (default MaxTicketsPerBooking).
func (t *TicketType) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if err := CheckText("name", t.Name); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(t.Name); n < 1 || n > 100 {
		return Invalidf("ticketTypes.name", "a ticket type's name must be 1 to 100 characters")
	}
	if t.PriceCents < 0 || t.PriceCents > MaxPriceCents {
		return Invalidf("ticketTypes.price", "price must be between 0 and 999999.99")
	}
	if t.TotalTickets < 1 || t.TotalTickets > MaxEventTickets {
		return Invalidf("ticketTypes.totalTickets", "a ticket type's totalTickets must be between 1 and %d", MaxEventTickets)
	}
	if t.MaxPerBooking == 0 {
		t.MaxPerBooking = MaxTicketsPerBooking
	}
	if t.MaxPerBooking < 1 || t.MaxPerBooking > MaxTicketsPerBooking {
		return Invalidf("ticketTypes.maxPerBooking", "maxPerBooking must be between 1 and %d", MaxTicketsPerBooking)
	}
	for _, w := range []*time.Time{t.SalesStart, t.SalesEnd} {
		if w != nil {
			if err := CheckTime("ticketTypes.salesStart", *w); err != nil {
				return err
			}
		}
	}
	if t.SalesStart != nil && t.SalesEnd != nil && !t.SalesStart.Before(*t.SalesEnd) {
		return Invalidf("ticketTypes.salesEnd", "salesEnd must be after salesStart")
	}
	if len(t.PriceSteps) > MaxPriceSteps {
		return Invalidf("ticketTypes.priceSteps", "at most %d price steps", MaxPriceSteps)
	}
	for _, s := range t.PriceSteps {
		if s.PriceCents < 0 || s.PriceCents > MaxPriceCents {
			return Invalidf("ticketTypes.priceSteps.price", "price must be between 0 and 999999.99")
		}
		if (s.SoldAtLeast == nil) == (s.From == nil) {
			return Invalidf("ticketTypes.priceSteps", "a price step has either soldAtLeast or from")
		}
		if s.SoldAtLeast != nil && (*s.SoldAtLeast < 1 || *s.SoldAtLeast >= t.TotalTickets) {
			return Invalidf("ticketTypes.priceSteps.soldAtLeast", "soldAtLeast must be between 1 and the type's totalTickets - 1")
		}
		if s.From != nil {
			if err := CheckTime("ticketTypes.priceSteps.from", *s.From); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetTicketTypes gives the event its types: their stock is the event's
// (totalTickets and availableTickets are their sums) and the event's price
// is the lowest base price, what "from" shows in a listing. Each type gets
// the event's id and its position.
func (e *Event) SetTicketTypes(types []*TicketType) error {
	if len(types) == 0 || len(types) > MaxTicketTypes {
		return Invalidf("ticketTypes", "an event has 1 to %d ticket types", MaxTicketTypes)
	}
	total, price, names := 0, int64(-1), map[string]bool{}
	for i, t := range types {
		if err := t.Validate(); err != nil {
			return err
		}
		if names[strings.ToLower(t.Name)] {
			return Invalidf("ticketTypes.name", "ticket type names must differ: %q is there twice", t.Name)
		}
		names[strings.ToLower(t.Name)] = true
		t.EventID, t.Position, t.AvailableTickets = e.ID, i, t.TotalTickets
		total += t.TotalTickets
		if price < 0 || t.PriceCents < price {
			price = t.PriceCents
		}
	}
	if total > MaxEventTickets {
		return Invalidf("ticketTypes.totalTickets", "an event has at most %d tickets in all", MaxEventTickets)
	}
	e.TicketTypes, e.HasTicketTypes = types, true
	e.TotalTickets, e.AvailableTickets, e.PriceCents = total, total, price
	return nil
}

// TicketTypeStore reads ticket types; events.Create writes them with their
// event, and bookings move their stock.
type TicketTypeStore interface {
	// ByEventIDs returns the types of these events, each event's in its
	// organizer's order.
	ByEventIDs(ctx context.Context, ids []string) ([]*TicketType, error)
	// ByID returns a type. ENOTFOUND.
	ByID(ctx context.Context, id string) (*TicketType, error)
	// Change locks the event, and saves the type judge makes of the event
	// and its types as they are (Event.ChangeTicketType): added, or
	// replacing the one with its id. It moves the event's totalTickets
	// and availableTickets by judge's delta, sets its price to its types'
	// lowest, bumps its version, and returns the type and the event as
	// saved. ENOTFOUND for an unknown event, or judge's error.
	Change(ctx context.Context, eventID string, judge func(*Event, []*TicketType) (*TicketType, int, error), now time.Time) (*TicketType, *Event, error)
}

// ChangeTicketType judges an organizer's change to an event's types,
// against the event and its types as they are (read under the event's
// lock): id "" adds next as a new type; otherwise next replaces type id's
// settings. A type's totalTickets may not go below the tickets of it
// already sold. It returns the type as it will be, and what the event's
// totalTickets and availableTickets move by. EINVALID for a bad type or a
// name taken; ENOTFOUND for an unknown id; ECONFLICT for an event without
// types, an event that has started, or too few tickets left to take away.
func (e *Event) ChangeTicketType(types []*TicketType, id string, next *TicketType, now time.Time) (*TicketType, int, error) {
	if !e.HasTicketTypes {
		return nil, 0, Errorf(ECONFLICT, "this event sells no ticket types: change its totalTickets and price instead")
	}
	if !e.Date.After(now) {
		return nil, 0, Errorf(ECONFLICT, "event has already started: its ticket types are final")
	}
	if err := next.Validate(); err != nil {
		return nil, 0, err
	}
	var current *TicketType
	for _, t := range types {
		switch {
		case t.ID == id:
			current = t
		case strings.EqualFold(t.Name, next.Name):
			return nil, 0, Invalidf("ticketTypes.name", "ticket type names must differ: %q is taken", next.Name)
		}
	}
	out := *next
	out.EventID = e.ID
	switch {
	case id == "" && len(types) >= MaxTicketTypes:
		return nil, 0, Invalidf("ticketTypes", "an event has 1 to %d ticket types", MaxTicketTypes)
	case id == "":
		out.ID, out.Position, out.AvailableTickets, out.CreatedAt = NewID(), len(types), next.TotalTickets, now
	case current == nil:
		return nil, 0, Errorf(ENOTFOUND, "ticket type %s not found", id)
	case next.TotalTickets < current.Sold():
		return nil, 0, Errorf(ECONFLICT, "%d %s tickets are sold: totalTickets cannot go below that", current.Sold(), current.Name)
	default:
		out.ID, out.Position, out.CreatedAt = current.ID, current.Position, current.CreatedAt
		out.AvailableTickets = next.TotalTickets - current.Sold()
	}
	delta := out.TotalTickets
	if current != nil {
		delta -= current.TotalTickets
	}
	if e.TotalTickets+delta > MaxEventTickets {
		return nil, 0, Invalidf("ticketTypes.totalTickets", "an event has at most %d tickets", MaxEventTickets)
	}
	return &out, delta, nil
}

// LowestPrice is the lowest base price of types, with one of them
// replaced or added (changed): the event's price, what "from" shows.
func LowestPrice(types []*TicketType, changed *TicketType) int64 {
	price := changed.PriceCents
	for _, t := range types {
		if t.ID != changed.ID && t.PriceCents < price {
			price = t.PriceCents
		}
	}
	return price
}
