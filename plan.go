package boxoffice

import "time"

// BookingPlan is what one booking transaction writes.
type BookingPlan struct {
	Results  []BookingResult // one per request, in request order
	Bookings []*Booking      // the confirmed bookings to insert
	Taken    map[string]int  // event id -> tickets to take from its availability
}

// PlanBookings decides every request of a batch in arrival order, so one
// that cannot be met fails alone and the others go ahead. events holds the
// events involved, read with their rows locked (missing: unknown event);
// PlanBookings takes the planned tickets from their AvailableTickets.
// users holds the buyers that exist. Each confirmed booking carries a copy
// of its event and buyer as of its commit (Booking.Event, Booking.User).
// Both stores call it inside their transaction; it does no I/O.
func PlanBookings(reqs []BookingRequest, events map[string]*Event, users map[string]*User, now time.Time) BookingPlan {
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
				Status: BookingConfirmed, CreatedAt: now, UpdatedAt: now,
				Event: &snapshot, User: buyer,
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
