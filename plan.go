package boxoffice

import "time"

// EventStock is what a booking transaction needs to know of an event, read
// with the event's row locked.
type EventStock struct {
	Available int
	Date      time.Time
}

// BookingPlan is what one booking transaction writes.
type BookingPlan struct {
	Results  []BookingResult // one per request, in request order
	Bookings []*Booking      // the confirmed bookings to insert
	Taken    map[string]int  // event id -> tickets to take from its availability
}

// PlanBookings decides every request of a batch in arrival order, so one
// that cannot be met fails alone and the others go ahead. stock holds the
// locked events (missing: unknown event), users the ids that exist. Both
// stores call it inside their transaction; it does no I/O.
func PlanBookings(reqs []BookingRequest, stock map[string]*EventStock, users map[string]bool, now time.Time) BookingPlan {
	plan := BookingPlan{Results: make([]BookingResult, len(reqs)), Taken: map[string]int{}}
	for i, r := range reqs {
		ev, ok := stock[r.EventID]
		switch {
		case !ok:
			plan.Results[i].Err = Errorf(ENOTFOUND, "event %s not found", r.EventID)
		case !users[r.UserID]:
			plan.Results[i].Err = Errorf(ENOTFOUND, "user %s not found", r.UserID)
		case !ev.Date.After(now):
			plan.Results[i].Err = Errorf(ECONFLICT, "event has already started: bookings are closed")
		case ev.Available == 0:
			plan.Results[i].Err = Errorf(ESOLDOUT, "event is sold out")
		case ev.Available < r.Tickets:
			plan.Results[i].Err = Errorf(ESOLDOUT, "only %d tickets left", ev.Available)
		default:
			ev.Available -= r.Tickets
			plan.Taken[r.EventID] += r.Tickets
			b := &Booking{
				ID: NewID(), UserID: r.UserID, EventID: r.EventID, NumberOfTickets: r.Tickets,
				Status: BookingConfirmed, CreatedAt: now, UpdatedAt: now,
			}
			plan.Results[i].Booking = b
			plan.Bookings = append(plan.Bookings, b)
		}
		if ok {
			plan.Results[i].Remaining = ev.Available
		}
	}
	return plan
}
