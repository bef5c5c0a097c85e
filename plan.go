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

// BookingPlan is what one booking transaction writes.
type BookingPlan struct {
	Results  []BookingResult // one per request, in request order
	Bookings []*Booking      // the bookings to insert
	Payments []*Payment      // the payments of the held ones
	Taken    map[string]int  // event id -> tickets to take from its availability
}

// PlanBookings decides every request of a batch in arrival order, so one
// that cannot be met fails alone and the others go ahead. events holds the
// events involved, read with their rows locked (missing: unknown event);
// PlanBookings takes the planned tickets from their AvailableTickets.
// users holds the buyers that exist. A booking costs its event's price at
// the moment it is planned; under terms with a Hold, one that costs
// something is PENDING with a Payment to make, otherwise it is CONFIRMED.
// Each booking carries a copy of its event and buyer as of its commit
// (Booking.Event, Booking.User). Both stores call it inside their
// transaction; it does no I/O.
func PlanBookings(reqs []BookingRequest, events map[string]*Event, users map[string]*User, terms BookingTerms, now time.Time) BookingPlan {
	plan := BookingPlan{Results: make([]BookingResult, len(reqs)), Taken: map[string]int{}}
	for i, r := range reqs {
		ev, ok := events[r.EventID]
		buyer := users[r.UserID]
		switch {
		case !ok:
			plan.Results[i].Err = Errorf(ENOTFOUND, "event %s not found", r.EventID)
		case buyer == nil:
			plan.Results[i].Err = Errorf(ENOTFOUND, "user %s not found", r.UserID)
		case !ev.Date.After(now):
			plan.Results[i].Err = Errorf(ECONFLICT, "event has already started: bookings are closed")
		case ev.AvailableTickets == 0:
			plan.Results[i].Err = Errorf(ESOLDOUT, "event is sold out")
		case ev.AvailableTickets < r.Tickets:
			plan.Results[i].Err = Errorf(ESOLDOUT, "only %d tickets left", ev.AvailableTickets)
		default:
			ev.AvailableTickets -= r.Tickets
			plan.Taken[r.EventID] += r.Tickets
			snapshot := *ev
			snapshot.UpdatedAt = now
			b := &Booking{
				ID: NewID(), UserID: r.UserID, EventID: r.EventID, NumberOfTickets: r.Tickets,
				Status: BookingConfirmed, UnitPriceCents: ev.PriceCents, TotalCents: ev.PriceCents * int64(r.Tickets),
				Currency: ev.Currency, CreatedAt: now, UpdatedAt: now, IdempotencyKey: r.IdempotencyKey,
				Event: &snapshot, User: buyer,
			}
			if terms.Hold > 0 && b.TotalCents > 0 {
				expires := now.Add(terms.Hold)
				b.Status, b.ExpiresAt = BookingPending, &expires
				b.Payment = &Payment{ID: NewID(), BookingID: b.ID, Provider: terms.Provider, Status: PaymentRequired,
					AmountCents: b.TotalCents, Currency: b.Currency, CreatedAt: now, UpdatedAt: now}
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
