package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

const bookingColumns = "id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at"

func bookingTargets(b *boxoffice.Booking) []any {
	return []any{&b.ID, &b.UserID, &b.EventID, &b.NumberOfTickets, &b.Status, &b.CreatedAt, &b.UpdatedAt, &b.CancelledAt}
}

func scanBooking(row pgx.CollectableRow) (*boxoffice.Booking, error) {
	var b boxoffice.Booking
	return &b, row.Scan(bookingTargets(&b)...)
}

// withUserAndEvent wraps a page of bookings (%s, its bookingColumns) to read
// each booking's user and event along: ten rows joined by primary key.
var withUserAndEvent = "SELECT " + qualify("b", bookingColumns) + ", " + qualify("u", userColumns) + ", " + qualify("e", eventColumns) +
	" FROM (%s) b JOIN users u ON u.id = b.user_id JOIN events e ON e.id = b.event_id ORDER BY b.created_at DESC, b.id DESC"

func scanBookingWithUserAndEvent(row pgx.CollectableRow) (*boxoffice.Booking, error) {
	b := &boxoffice.Booking{User: &boxoffice.User{}, Event: &boxoffice.Event{}}
	targets := append(append(bookingTargets(b), userTargets(b.User)...), eventTargets(b.Event)...)
	return b, row.Scan(targets...)
}

// BookBatch decides and writes reqs in one READ COMMITTED transaction of two
// round trips: lock the events (in id order, so concurrent batches cannot
// deadlock) and the users; plan with boxoffice.PlanBookings; insert every
// confirmed booking and take every event's tickets with one statement each.
// The error is for the batch as a whole, and then nothing was written;
// per-request outcomes (ENOTFOUND, ECONFLICT, ESOLDOUT) are in the results.
func (db *DB) BookBatch(ctx context.Context, reqs []boxoffice.BookingRequest) ([]boxoffice.BookingResult, error) {
	if len(reqs) == 0 {
		return []boxoffice.BookingResult{}, nil
	}
	// PostgreSQL answers with lower-case ids; the plan matches them as text.
	reqs = slices.Clone(reqs)
	eventIDs := make([]string, len(reqs))
	userIDs := make([]string, len(reqs))
	for i := range reqs {
		reqs[i].EventID = strings.ToLower(reqs[i].EventID)
		reqs[i].UserID = strings.ToLower(reqs[i].UserID)
		eventIDs[i], userIDs[i] = reqs[i].EventID, reqs[i].UserID
	}

	conn, err := db.acquire(ctx, "bookings")
	if err != nil {
		return nil, err
	}
	defer endTx(conn)

	events := make(map[string]*boxoffice.Event)
	users := make(map[string]*boxoffice.User)
	lock := &pgx.Batch{}
	lock.Queue(beginTx)
	// Whole rows: each confirmation shows its event and buyer as of its
	// commit, without a read after it that could fail (PlanBookings).
	lock.Queue("SELECT "+eventColumns+" FROM events WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
		validIDs(eventIDs)).Query(func(rows pgx.Rows) error {
		found, err := pgx.CollectRows(rows, scanEvent)
		for _, e := range found {
			events[e.ID] = e
		}
		return err
	})
	// KEY SHARE: the user cannot vanish before commit, yet may be edited.
	lock.Queue("SELECT "+userColumns+" FROM users WHERE id = ANY($1::uuid[]) FOR KEY SHARE",
		validIDs(userIDs)).Query(func(rows pgx.Rows) error {
		found, err := pgx.CollectRows(rows, scanUser)
		for _, u := range found {
			users[u.ID] = u
		}
		return err
	})
	if err := conn.SendBatch(ctx, lock).Close(); err != nil {
		return nil, dbError(err, "lock", "events")
	}

	plan := boxoffice.PlanBookings(reqs, events, users, boxoffice.Now())
	if len(plan.Bookings) == 0 {
		return plan.Results, nil // endTx rolls back the locks
	}
	if err := conn.SendBatch(ctx, writePlan(plan)).Close(); err != nil {
		return nil, dbError(err, "write", "bookings")
	}
	return plan.Results, nil
}

// writePlan is the batch that writes plan and commits: one INSERT for all
// the bookings, one UPDATE for all the events. Sales leave events.version
// alone: it guards organizer edits, which must not fail because of them.
func writePlan(plan boxoffice.BookingPlan) *pgx.Batch {
	n := len(plan.Bookings)
	var (
		ids, userIDs, eventIDs = make([]string, n), make([]string, n), make([]string, n)
		tickets                = make([]int32, n)
		statuses               = make([]string, n)
		created, updated       = make([]time.Time, n), make([]time.Time, n)
	)
	for i, b := range plan.Bookings {
		ids[i], userIDs[i], eventIDs[i] = b.ID, b.UserID, b.EventID
		tickets[i], statuses[i] = int32(b.NumberOfTickets), string(b.Status)
		created[i], updated[i] = b.CreatedAt, b.UpdatedAt
	}
	taken := make([]string, 0, len(plan.Taken))
	for id := range plan.Taken {
		taken = append(taken, id)
	}
	slices.Sort(taken)
	counts := make([]int32, len(taken))
	for i, id := range taken {
		counts[i] = int32(plan.Taken[id])
	}

	b := &pgx.Batch{}
	b.Queue(`INSERT INTO bookings (id, user_id, event_id, number_of_tickets, status, created_at, updated_at)
		SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::timestamptz[], $7::timestamptz[])`,
		ids, userIDs, eventIDs, tickets, statuses, created, updated)
	b.Queue(`UPDATE events e SET available_tickets = e.available_tickets - d.n, updated_at = $3
		FROM unnest($1::uuid[], $2::int[]) AS d(id, n) WHERE e.id = d.id`,
		taken, counts, plan.Bookings[0].CreatedAt)
	// No checks on these results: they are read after COMMIT has run, when
	// an error could no longer undo anything. The rows are locked since the
	// first round trip, so every event is there.
	b.Queue(commitTx)
	return b
}

// CancelBooking marks a confirmed booking cancelled and gives its tickets
// back to its event, in one transaction. ENOTFOUND; ECONFLICT if it is
// already cancelled or its event is not after now.
func (db *DB) CancelBooking(ctx context.Context, id string, now time.Time) (*boxoffice.Booking, error) {
	if !boxoffice.ValidID(id) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "booking not found")
	}
	conn, err := db.acquire(ctx, "booking")
	if err != nil {
		return nil, err
	}
	defer endTx(conn)

	var b boxoffice.Booking
	var eventDate time.Time
	lock := &pgx.Batch{}
	lock.Queue(beginTx)
	// The event's row too: its date must not move while we judge it.
	lock.Queue(`SELECT b.id, b.user_id, b.event_id, b.number_of_tickets, b.status, b.created_at, b.updated_at, b.cancelled_at, e.date
		FROM bookings b JOIN events e ON e.id = b.event_id WHERE b.id = $1 FOR UPDATE OF b, e`, id).QueryRow(func(row pgx.Row) error {
		return row.Scan(&b.ID, &b.UserID, &b.EventID, &b.NumberOfTickets, &b.Status,
			&b.CreatedAt, &b.UpdatedAt, &b.CancelledAt, &eventDate)
	})
	if err := conn.SendBatch(ctx, lock).Close(); err != nil {
		return nil, dbError(err, "lock", "booking")
	}
	if b.Status == boxoffice.BookingCancelled {
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "booking is already cancelled")
	}
	if !eventDate.After(now) {
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "event has already started: the booking can no longer be cancelled")
	}

	now = now.UTC().Truncate(time.Microsecond)
	b.Status, b.UpdatedAt, b.CancelledAt = boxoffice.BookingCancelled, now, &now
	save := &pgx.Batch{}
	save.Queue("UPDATE bookings SET status = $2, cancelled_at = $3, updated_at = $3 WHERE id = $1", b.ID, b.Status, now)
	save.Queue("UPDATE events SET available_tickets = available_tickets + $2, updated_at = $3 WHERE id = $1",
		b.EventID, b.NumberOfTickets, now)
	queueNotify(save, ticketsChannel, b.EventID)
	save.Queue(commitTx)
	if err := conn.SendBatch(ctx, save).Close(); err != nil {
		return nil, dbError(err, "cancel", "booking")
	}
	return &b, nil
}

// FindBookingByID returns ENOTFOUND if there is no such booking.
func (db *DB) FindBookingByID(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if !boxoffice.ValidID(id) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "booking not found")
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+bookingColumns+" FROM bookings WHERE id = $1", id)
	b, err := pgx.CollectExactlyOneRow(rows, scanBooking)
	if err != nil {
		return nil, dbError(err, "find", "booking")
	}
	return b, nil
}

// FindBookings returns a page of the bookings that match f, newest first,
// and how many match in all; with an OrganizerID, only the bookings of the
// events that user organizes. EINVALID for a bad page. A malformed id in f
// matches nothing.
func (db *DB) FindBookings(ctx context.Context, f boxoffice.BookingFilter) ([]*boxoffice.Booking, int, error) {
	var w where
	for _, c := range []struct{ cond, id string }{
		{"user_id = $%d", f.UserID},
		{"event_id = $%d", f.EventID},
		// The organizer's events by events_organizer_id_idx, then their
		// bookings by bookings_event_id_idx.
		{"event_id IN (SELECT id FROM events WHERE organizer_id = $%d)", f.OrganizerID},
	} {
		switch {
		case c.id == "":
		case boxoffice.ValidID(c.id):
			w.add(c.cond, c.id)
		default:
			if err := f.Page.Validate(); err != nil {
				return nil, 0, err
			}
			return []*boxoffice.Booking{}, 0, nil
		}
	}
	if f.Status != "" {
		w.add("status = $%d", string(f.Status))
	}
	if f.CreatedFrom != nil {
		w.add("created_at >= $%d", *f.CreatedFrom)
	}
	if f.CreatedBefore != nil {
		w.add("created_at < $%d", *f.CreatedBefore)
	}
	wrap, scan := "", scanBooking
	if f.WithUserAndEvent {
		wrap, scan = withUserAndEvent, scanBookingWithUserAndEvent
	}
	return findPage(ctx, db, "bookings", bookingColumns, w, "created_at DESC, id DESC", f.Page, wrap, scan)
}

// FindBookingsByUserIDs returns, for each user id, up to perUser of the
// user's most recent bookings, in no particular order.
func (db *DB) FindBookingsByUserIDs(ctx context.Context, ids []string, perUser int) ([]*boxoffice.Booking, error) {
	return db.recentBookings(ctx, "user_id", ids, perUser)
}

// FindBookingsByEventIDs returns, for each event id, up to perEvent of the
// event's most recent bookings, in no particular order.
func (db *DB) FindBookingsByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*boxoffice.Booking, error) {
	return db.recentBookings(ctx, "event_id", ids, perEvent)
}

// recentBookings is one statement for any number of owners. A LATERAL
// LIMIT per owner walks the (owner, created_at DESC, id DESC) index and
// stops after per rows, where ROW_NUMBER() over all of an owner's bookings
// would read every one of them (a sold-out event has many).
func (db *DB) recentBookings(ctx context.Context, owner string, ids []string, per int) ([]*boxoffice.Booking, error) {
	ids = validIDs(ids)
	if len(ids) == 0 || per < 1 {
		return []*boxoffice.Booking{}, nil
	}
	rows, _ := db.pool.Query(ctx, `SELECT b.id, b.user_id, b.event_id, b.number_of_tickets, b.status, b.created_at, b.updated_at, b.cancelled_at
		FROM unnest($1::uuid[]) AS o(id)
		CROSS JOIN LATERAL (
			SELECT * FROM bookings WHERE `+owner+` = o.id ORDER BY created_at DESC, id DESC LIMIT $2
		) b`, ids, per)
	bookings, err := pgx.CollectRows(rows, scanBooking)
	if err != nil {
		return nil, dbError(err, "find", "bookings")
	}
	return bookings, nil
}
