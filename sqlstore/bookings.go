package sqlstore

import (
	"context"
	"maps"
	"slices"

	"github.com/boxoffice/boxoffice"
)

const bookingColumns = "id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at"

// bookingOrder is the order of every bookings list: newest first.
const bookingOrder = "created_at DESC, id DESC"

func bookingTargets(b *boxoffice.Booking) []any {
	return []any{&b.ID, &b.UserID, &b.EventID, &b.NumberOfTickets, &b.Status, &b.CreatedAt, &b.UpdatedAt, &b.CancelledAt}
}

func scanBooking(r Rows) (*boxoffice.Booking, error) {
	var b boxoffice.Booking
	return &b, r.Scan(bookingTargets(&b)...)
}

// withUserAndEvent wraps a page of bookings (%s, its bookingColumns) to read
// each booking's user and event along: a page's rows joined by primary key.
var withUserAndEvent = "SELECT " + Qualify("b", bookingColumns) + ", " + Qualify("u", userColumns) + ", " + Qualify("e", eventColumns) +
	" FROM (%s) b JOIN users u ON u.id = b.user_id JOIN events e ON e.id = b.event_id ORDER BY b.created_at DESC, b.id DESC"

func scanBookingWithUserAndEvent(r Rows) (*boxoffice.Booking, error) {
	b := &boxoffice.Booking{User: &boxoffice.User{}, Event: &boxoffice.Event{}}
	targets := append(append(bookingTargets(b), userTargets(b.User)...), eventTargets(b.Event)...)
	return b, r.Scan(targets...)
}

// bookings implements boxoffice.BookingStore.
type bookings struct{ scope }

func (s bookings) ByID(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("booking")
	}
	var b *boxoffice.Booking
	err := s.read(ctx, rowOf(&b, "booking", scanBooking, "SELECT "+bookingColumns+" FROM bookings WHERE id = $1", canonicalID(id)))
	return b, s.fail(err, "find", "booking")
}

// Update locks the booking and its event (the event's date must not move
// while apply judges the booking by it), applies apply and saves the
// booking's status; tickets the booking stops holding go back to the
// event. Two round trips: the writes go with the commit.
func (s bookings) Update(ctx context.Context, id string, apply func(*boxoffice.Booking) error) (*boxoffice.Booking, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("booking")
	}
	scan := func(r Rows) (*boxoffice.Booking, error) {
		b := &boxoffice.Booking{Event: &boxoffice.Event{}}
		return b, r.Scan(append(bookingTargets(b), eventTargets(b.Event)...)...)
	}
	var b *boxoffice.Booking
	err := s.write(ctx, func(tx Tx) error {
		err := tx.Run(ctx, rowOf(&b, "booking", scan, "SELECT "+Qualify("b", bookingColumns)+", "+Qualify("e", eventColumns)+
			" FROM bookings b JOIN events e ON e.id = b.event_id WHERE b.id = $1"+s.d.Lock("UPDATE OF b, e"), canonicalID(id)))
		if err != nil {
			return err
		}
		held := b.Status.HoldsTickets()
		if err := apply(b); err != nil {
			return err
		}
		b.UpdatedAt = Time(b.UpdatedAt)
		if b.CancelledAt != nil {
			at := Time(*b.CancelledAt)
			b.CancelledAt = &at
		}
		tx.Queue(exec("UPDATE bookings SET status = $2, updated_at = $3, cancelled_at = $4 WHERE id = $1",
			b.ID, string(b.Status), b.UpdatedAt, b.CancelledAt))
		if held && !b.Status.HoldsTickets() {
			tx.Queue(exec("UPDATE events SET available_tickets = available_tickets + $2, updated_at = $3 WHERE id = $1",
				b.EventID, b.NumberOfTickets, b.UpdatedAt))
			// The event as of the commit, without a read after it.
			b.Event.AvailableTickets += b.NumberOfTickets
			b.Event.UpdatedAt = b.UpdatedAt
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "update", "booking")
	}
	return b, nil
}

// Find returns a page of the bookings that match f, newest first, and how
// many match in all; with an OrganizerID, only the bookings of the events
// that user organizes.
func (s bookings) Find(ctx context.Context, f boxoffice.BookingFilter) ([]*boxoffice.Booking, int, error) {
	var w where
	for _, c := range []struct{ cond, id string }{
		{"user_id = %s", f.UserID},
		{"event_id = %s", f.EventID},
		// The organizer's events by events_organizer_id_idx, then their
		// bookings by bookings_event_id_idx.
		{"event_id IN (SELECT id FROM events WHERE organizer_id = %s)", f.OrganizerID},
	} {
		switch {
		case c.id == "":
		case boxoffice.ValidID(c.id):
			w.add(c.cond, canonicalID(c.id))
		default:
			if err := f.Page.Validate(); err != nil {
				return nil, 0, err
			}
			return []*boxoffice.Booking{}, 0, nil
		}
	}
	if f.Status != "" {
		w.add("status = %s", string(f.Status))
	}
	if f.CreatedFrom != nil {
		w.add("created_at >= %s", Time(*f.CreatedFrom))
	}
	if f.CreatedBefore != nil {
		w.add("created_at < %s", Time(*f.CreatedBefore))
	}
	wrap, scan := "", scanBooking
	if f.WithUserAndEvent {
		wrap, scan = withUserAndEvent, scanBookingWithUserAndEvent
	}
	return findPage(ctx, s.scope, "bookings", bookingColumns, w, bookingOrder, f.Page, wrap, scan)
}

func (s bookings) ByUserIDs(ctx context.Context, ids []string, perUser int) ([]*boxoffice.Booking, error) {
	return s.latest(ctx, "user_id", ids, perUser)
}

func (s bookings) ByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*boxoffice.Booking, error) {
	return s.latest(ctx, "event_id", ids, perEvent)
}

// latest reads up to per of the newest bookings of each owner, one
// statement for any number of owners.
func (s bookings) latest(ctx context.Context, owner string, ids []string, per int) ([]*boxoffice.Booking, error) {
	found := []*boxoffice.Booking{}
	if ids = validIDs(ids); len(ids) == 0 || per < 1 {
		return found, nil
	}
	var args Args
	query := s.d.Latest(&args, "bookings", bookingColumns, owner, ids, per, bookingOrder)
	err := s.read(ctx, rowsOf(&found, scanBooking, query, args...))
	return found, s.fail(err, "find", "bookings")
}

// BookBatch decides and writes reqs in one transaction of two round trips:
// lock the events (in id order, so concurrent batches cannot deadlock) and
// the users; plan with boxoffice.PlanBookings; then insert every booking,
// take every event's tickets and record every change with one statement
// each, sent with COMMIT. The error is for the batch as a whole, and then
// nothing was written; per-request outcomes (ENOTFOUND, ECONFLICT,
// ESOLDOUT) are in the results.
func (s bookings) BookBatch(ctx context.Context, reqs []boxoffice.BookingRequest) ([]boxoffice.BookingResult, error) {
	if len(reqs) == 0 {
		return []boxoffice.BookingResult{}, nil
	}
	reqs = slices.Clone(reqs) // the caller's, left alone
	eventIDs := make([]string, len(reqs))
	userIDs := make([]string, len(reqs))
	for i := range reqs {
		reqs[i].EventID, reqs[i].UserID = canonicalID(reqs[i].EventID), canonicalID(reqs[i].UserID)
		eventIDs[i], userIDs[i] = reqs[i].EventID, reqs[i].UserID
	}
	var results []boxoffice.BookingResult
	err := s.write(ctx, func(tx Tx) error {
		// Whole rows: each confirmation shows its event and buyer as of its
		// commit, without a read after it that could fail (PlanBookings).
		var found []*boxoffice.Event
		var buyers []*boxoffice.User
		var eargs, uargs Args
		err := tx.Run(ctx,
			rowsOf(&found, scanEvent, "SELECT "+eventColumns+" FROM events WHERE "+s.d.In(&eargs, "id", validIDs(eventIDs))+
				" ORDER BY id"+s.d.Lock("UPDATE"), eargs...),
			// KEY SHARE: the user cannot vanish before commit, yet may be edited.
			rowsOf(&buyers, scanUser, "SELECT "+userColumns+" FROM users WHERE "+s.d.In(&uargs, "id", validIDs(userIDs))+
				s.d.Lock("KEY SHARE"), uargs...))
		if err != nil {
			return err
		}
		plan := boxoffice.PlanBookings(reqs,
			byID(found, func(e *boxoffice.Event) string { return e.ID }),
			byID(buyers, func(u *boxoffice.User) string { return u.ID }), boxoffice.Now())
		results = plan.Results
		if len(plan.Bookings) > 0 {
			s.writePlan(tx, reqs, plan)
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "book", "bookings")
	}
	return results, nil
}

// bookingTable is the bookings' columns as BookBatch inserts them.
var bookingTable = []Column{
	{"id", "uuid"}, {"user_id", "uuid"}, {"event_id", "uuid"}, {"number_of_tickets", "int"},
	{"status", "text"}, {"created_at", "timestamptz"}, {"updated_at", "timestamptz"},
}

// writePlan queues what writes plan, to go with COMMIT: one INSERT for all
// the bookings, one UPDATE for all the events and one INSERT for all the
// changes. Sales leave events.version alone: it guards organizer edits,
// which must not fail because of them.
func (s bookings) writePlan(tx Tx, reqs []boxoffice.BookingRequest, plan boxoffice.BookingPlan) {
	rows := make([][]any, 0, len(plan.Bookings))
	recorded := make([]*boxoffice.Change, 0, len(plan.Bookings))
	for i, r := range plan.Results {
		if b := r.Booking; b != nil {
			rows = append(rows, []any{b.ID, b.UserID, b.EventID, b.NumberOfTickets, string(b.Status), b.CreatedAt, b.UpdatedAt})
			recorded = append(recorded, &boxoffice.Change{Kind: boxoffice.ChangeBookingCreated, At: b.CreatedAt,
				ActorID: reqs[i].ActorID, UserID: b.UserID, EventID: b.EventID, BookingID: b.ID})
		}
	}
	ids := slices.Sorted(maps.Keys(plan.Taken))
	taken := make([][]any, len(ids))
	for i, id := range ids {
		taken[i] = []any{id, plan.Taken[id]}
	}

	var insert, update Args
	at := update.Add(plan.Bookings[0].CreatedAt)
	tx.Queue(
		exec("INSERT INTO bookings (id, user_id, event_id, number_of_tickets, status, created_at, updated_at) SELECT * FROM "+
			s.d.Table(&insert, "b", bookingTable, rows), insert...),
		exec("UPDATE events SET available_tickets = available_tickets - t.n, updated_at = "+at+" FROM "+
			s.d.Table(&update, "t", []Column{{"id", "uuid"}, {"n", "int"}}, taken)+" WHERE events.id = t.id", update...))
	record(tx, s.d, recorded...)
}

// byID indexes rows by their key.
func byID[T any](rows []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[key(r)] = r
	}
	return m
}
