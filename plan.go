package boxoffice

import "time"

// BookingTerms are what new bookings are held to, and how their batch
// takes its locks.
type BookingTerms struct {
	// Hold, when positive, makes a booking that costs something PENDING:
	// it holds its tickets for that long while its buyer pays. Zero
	// confirms every booking at once (no payment provider).
	Hold time.Duration
	// Provider names the payment provider of held bookings.
	Provider string
	// SkipLocked makes the batch pass over an event whose row another
	// transaction holds instead of waiting for it: the requests for that
	// event (or for one that does not exist) come back with ErrEventBusy,
	// for the caller to try again in a batch of their own. A batch of many
	// events then never waits behind one that is stuck.
	SkipLocked bool
}

// Stock is what a booking batch decides against, read in its transaction
// with the events' rows locked: the events (missing: unknown), the buyers
// that exist, the ticket types the requests name, and the promo codes they
// name, by PromoKey. PlanBookings takes what it plans from them.
type Stock struct {
	Events map[string]*Event
	Users  map[string]*User
	Types  map[string]*TicketType
	Promos map[PromoKey]*PromoCode
}

// PromoKey names a promo code: codes are per event.
type PromoKey struct{ EventID, Code string }

// BookingPlan is what one booking transaction writes.
type BookingPlan struct {
	Results    []BookingResult // one per request, in request order
	Bookings   []*Booking      // the bookings to insert
	Payments   []*Payment      // the payments of the held ones
	Taken      map[string]int  // event id -> tickets to take from its availability
	TypesTaken map[string]int  // ticket type id -> tickets to take from it
	PromosUsed map[string]int  // promo code id -> uses to count
}

// PlanBookings decides every request of a batch in arrival order, so one
// that cannot be met fails alone and the others go ahead. It takes the
// planned tickets from the stock's events and types, and the uses from its
// promo codes, so each request sees what the ones before it left: a batch
// that crosses a price step charges each booking the price at its own
// place (TicketType.PriceAt with the tickets sold before it), and a code
// with one use left gives it to the first request only. A booking costs
// its type's price, or its event's; under terms with a Hold, one that
// costs something is PENDING with a Payment to make, otherwise (and for
// bulk bookings) it is CONFIRMED. Each booking carries a copy of its event
// and buyer as of its commit (Booking.Event, Booking.User). Both stores
// call it inside their transaction; it does no I/O.
func PlanBookings(reqs []BookingRequest, stock Stock, terms BookingTerms, now time.Time) BookingPlan {
	plan := BookingPlan{Results: make([]BookingResult, len(reqs)), Taken: map[string]int{}, TypesTaken: map[string]int{}, PromosUsed: map[string]int{}}
	for i, r := range reqs {
		ev, ok := stock.Events[r.EventID]
		b, err := planOne(r, ev, stock, terms, now)
		if err != nil {
			plan.Results[i].Err = err
		} else {
			ev.AvailableTickets -= r.Tickets
			plan.Taken[r.EventID] += r.Tickets
			if b.TicketTypeID != "" {
				stock.Types[b.TicketTypeID].AvailableTickets -= r.Tickets
				plan.TypesTaken[b.TicketTypeID] += r.Tickets
			}
			if b.PromoCodeID != "" {
				plan.PromosUsed[b.PromoCodeID]++
			}
			snapshot := *ev
			snapshot.UpdatedAt, snapshot.TicketTypes = now, nil
			b.Event = &snapshot
			if b.Payment != nil {
				plan.Payments = append(plan.Payments, b.Payment)
			}
			plan.Results[i].Booking = b
			plan.Bookings = append(plan.Bookings, b)
		}
		if ok {
			plan.Results[i].Remaining = ev.AvailableTickets
		}
	}
	return plan
}

// planOne decides one request against the stock as the requests before it
// left it, and returns its booking (without its Event) or its error. It
// redeems the request's promo code, the last thing that can fail.
func planOne(r BookingRequest, ev *Event, stock Stock, terms BookingTerms, now time.Time) (*Booking, error) {
	buyer := stock.Users[r.UserID]
	switch {
	case r.TokenRevoked(stock):
		return nil, ErrTokenRevoked // before anything about the event is told
	case ev == nil:
		return nil, Errorf(ENOTFOUND, "event %s not found", r.EventID)
	case buyer == nil:
		return nil, Errorf(ENOTFOUND, "user %s not found", r.UserID)
	case !ev.Date.After(now):
		return nil, Errorf(ECONFLICT, "event has already started: bookings are closed")
	case ev.WaitlistLength > 0 && !r.Offer && !r.Bulk:
		return nil, Errorf(ESOLDOUT, "event is sold out: the tickets that come back go to its waiting list (joinWaitlist)")
	}
	unit := ev.PriceCents
	var tt *TicketType
	switch {
	case ev.HasTicketTypes && r.TicketTypeID == "":
		return nil, Invalidf("ticketTypeId", "this event sells ticket types: name one with ticketTypeId")
	case !ev.HasTicketTypes && r.TicketTypeID != "":
		return nil, Invalidf("ticketTypeId", "this event has no ticket types")
	case ev.HasTicketTypes:
		tt = stock.Types[r.TicketTypeID]
		if tt == nil || tt.EventID != ev.ID {
			return nil, Errorf(ENOTFOUND, "ticket type %s not found", r.TicketTypeID)
		}
		if !r.Bulk {
			if err := tt.OnSale(now); err != nil {
				return nil, err
			}
			if r.Tickets > tt.MaxPerBooking {
				return nil, Invalidf("numberOfTickets", "at most %d %s tickets per booking", tt.MaxPerBooking, tt.Name)
			}
		}
		switch {
		case tt.AvailableTickets == 0:
			return nil, Errorf(ESOLDOUT, "%s tickets are sold out", tt.Name)
		case tt.AvailableTickets < r.Tickets:
			return nil, Errorf(ESOLDOUT, "only %d %s tickets left", tt.AvailableTickets, tt.Name)
		}
		unit = tt.PriceAt(tt.Sold(), now)
	}
	switch {
	case ev.AvailableTickets == 0:
		return nil, Errorf(ESOLDOUT, "event is sold out")
	case ev.AvailableTickets < r.Tickets:
		return nil, Errorf(ESOLDOUT, "only %d tickets left", ev.AvailableTickets)
	}
	b := &Booking{
		ID: NewID(), UserID: r.UserID, EventID: r.EventID, NumberOfTickets: r.Tickets,
		Status: BookingConfirmed, UnitPriceCents: unit, TotalCents: unit * int64(r.Tickets),
		Currency: ev.Currency, CreatedAt: now, UpdatedAt: now, IdempotencyKey: r.IdempotencyKey, User: buyer,
	}
	if tt != nil {
		b.TicketTypeID = tt.ID
	}
	if code := NormalizePromoCode(r.PromoCode); code != "" {
		p := stock.Promos[PromoKey{ev.ID, code}]
		if p == nil {
			return nil, Invalidf("promoCode", "no promo code %s for this event", code)
		}
		off, err := p.Redeem(unit, r.Tickets, now)
		if err != nil {
			return nil, err
		}
		b.PromoCodeID, b.DiscountCents, b.TotalCents = p.ID, off, b.TotalCents-off
	}
	if terms.Hold > 0 && b.TotalCents > 0 && !r.Bulk {
		expires := now.Add(terms.Hold)
		b.Status, b.ExpiresAt = BookingPending, &expires
		b.Payment = &Payment{ID: NewID(), BookingID: b.ID, Provider: terms.Provider, Status: PaymentRequired,
			AmountCents: b.TotalCents, Currency: b.Currency, CreatedAt: now, UpdatedAt: now}
	}
	return b, nil
}

// TokenRevoked reports whether the request came with a token still to be
// checked (TokenVersion) that is not its buyer's current one, or whose
// buyer is gone.
func (r BookingRequest) TokenRevoked(stock Stock) bool {
	if r.TokenVersion == nil {
		return false
	}
	buyer := stock.Users[r.UserID]
	return buyer == nil || buyer.TokenVersion != *r.TokenVersion
}
