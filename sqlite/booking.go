package sqlite

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/boxoffice/boxoffice"
)

const bookingColumns = "id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at"

// bookingOrder is the order of every bookings list: newest first.
const bookingOrder = " ORDER BY created_at DESC, id DESC"

func bookingTargets(b *boxoffice.Booking) []any {
	return []any{&b.ID, &b.UserID, &b.EventID, &b.NumberOfTickets, &b.Status,
		timeColumn{&b.CreatedAt}, timeColumn{&b.UpdatedAt}, nullTimeColumn{&b.CancelledAt}}
}

func scanBooking(s scanner) (*boxoffice.Booking, error) {
	return scanBookingAnd(s)
}

// scanBookingAnd scans the bookingColumns, then extra.
func scanBookingAnd(s scanner, extra ...any) (*boxoffice.Booking, error) {
	var b boxoffice.Booking
	if err := s.Scan(append(bookingTargets(&b), extra...)...); err != nil {
		return nil, err
	}
	return &b, nil
}

// withUserAndEvent wraps a page of bookings (%s, its bookingColumns) to read
// each booking's user and event along: a page's rows joined by primary key.
var withUserAndEvent = "SELECT " + qualify("b", bookingColumns) + ", " + qualify("u", userColumns) + ", " + qualify("e", eventColumns) +
	" FROM (%s) b JOIN users u ON u.id = b.user_id JOIN events e ON e.id = b.event_id ORDER BY b.created_at DESC, b.id DESC"

func scanBookingWithUserAndEvent(s scanner) (*boxoffice.Booking, error) {
	u, e := &boxoffice.User{}, &boxoffice.Event{}
	b, err := scanBookingAnd(s, append(userTargets(u), eventTargets(e)...)...)
	if err != nil {
		return nil, err
	}
	b.User, b.Event = u, e
	return b, nil
}

// BookBatch decides and writes a batch of booking requests in one write
// transaction: it reads the events and users involved, plans with
// boxoffice.PlanBookings, inserts the confirmed bookings and takes their
// tickets. Per-request outcomes (ENOTFOUND, ECONFLICT, ESOLDOUT) are in the
// results, in request order; an error is for the whole batch, of which
// nothing was written.
//
// The transaction holds SQLite's single write lock from BEGIN, so the
// events read cannot change before the commit: no row locks needed.
func (db *DB) BookBatch(ctx context.Context, reqs []boxoffice.BookingRequest) ([]boxoffice.BookingResult, error) {
	if len(reqs) == 0 {
		return []boxoffice.BookingResult{}, nil
	}
	reqs = slices.Clone(reqs) // the caller's, left alone
	eventIDs := make([]string, len(reqs))
	userIDs := make([]string, len(reqs))
	for i, r := range reqs {
		reqs[i].EventID, reqs[i].UserID = canonicalID(r.EventID), canonicalID(r.UserID)
		eventIDs[i], userIDs[i] = reqs[i].EventID, reqs[i].UserID
	}
	var plan boxoffice.BookingPlan
	err := db.inWriteTx(ctx, func(c conn) error {
		// Whole rows: each confirmation shows its event and buyer as of its
		// commit, without a read after it that could fail (PlanBookings).
		events, err := queryByIDs(ctx, c, scanEvent, "SELECT "+eventColumns+" FROM events WHERE id IN (%s)", eventIDs)
		if err != nil {
			return err
		}
		users, err := queryByIDs(ctx, c, scanUser, "SELECT "+userColumns+" FROM users WHERE id IN (%s)", userIDs)
		if err != nil {
			return err
		}
		now := boxoffice.Now()
		plan = boxoffice.PlanBookings(reqs, byID(events, func(e *boxoffice.Event) string { return e.ID }),
			byID(users, func(u *boxoffice.User) string { return u.ID }), now)
		if err := insertBookings(ctx, c, plan.Bookings); err != nil {
			return err
		}
		// Sales leave events.version alone: it guards organizer edits,
		// which must not fail because of them.
		for id, n := range plan.Taken {
			if _, err := c.exec(ctx, "UPDATE events SET available_tickets = available_tickets - ?, updated_at = ? WHERE id = ?",
				n, formatTime(now), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "book batch", "booking")
	}
	return plan.Results, nil
}

// byID indexes rows by their id.
func byID[T any](rows []T, id func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	return m
}

// insertBookings inserts new, confirmed bookings, many rows a statement.
func insertBookings(ctx context.Context, c conn, bookings []*boxoffice.Booking) error {
	const columns = "id, user_id, event_id, number_of_tickets, status, created_at, updated_at"
	const rowsPerStatement = 100 // 700 parameters
	for len(bookings) > 0 {
		n := min(len(bookings), rowsPerStatement)
		query := "INSERT INTO bookings (" + columns + ") VALUES "
		args := make([]any, 0, 7*n)
		for i, b := range bookings[:n] {
			if i > 0 {
				query += ", "
			}
			query += "(?, ?, ?, ?, ?, ?, ?)"
			args = append(args, b.ID, b.UserID, b.EventID, b.NumberOfTickets, string(b.Status),
				formatTime(b.CreatedAt), formatTime(b.UpdatedAt))
		}
		if _, err := c.exec(ctx, query, args...); err != nil {
			return err
		}
		bookings = bookings[n:]
	}
	return nil
}

// CancelBooking marks a confirmed booking cancelled at now and gives its
// tickets back to its event, in one write transaction. ENOTFOUND if there
// is no such booking; ECONFLICT if it is already cancelled or its event has
// started by now.
func (db *DB) CancelBooking(ctx context.Context, id string, now time.Time) (*boxoffice.Booking, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var b *boxoffice.Booking
	err := db.inWriteTx(ctx, func(c conn) error {
		var date time.Time
		var err error
		b, err = scanBookingAnd(c.queryRow(ctx, `SELECT b.id, b.user_id, b.event_id, b.number_of_tickets, b.status,
			b.created_at, b.updated_at, b.cancelled_at, e.date
			FROM bookings b JOIN events e ON e.id = b.event_id WHERE b.id = ?`, canonicalID(id)), timeColumn{&date})
		if err != nil {
			return err
		}
		if b.Status == boxoffice.BookingCancelled {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "booking is already cancelled")
		}
		if !date.After(now) {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "event has already started: the booking can no longer be cancelled")
		}
		b.Status, b.UpdatedAt, b.CancelledAt = boxoffice.BookingCancelled, now, &now
		if _, err := c.exec(ctx, "UPDATE bookings SET status = ?, updated_at = ?, cancelled_at = ? WHERE id = ?",
			string(b.Status), formatTime(now), formatTime(now), b.ID); err != nil {
			return err
		}
		_, err = c.exec(ctx, "UPDATE events SET available_tickets = available_tickets + ?, updated_at = ? WHERE id = ?",
			b.NumberOfTickets, formatTime(now), b.EventID)
		return err
	})
	if err != nil {
		return nil, translate(err, "cancel booking", "booking")
	}
	return b, nil
}

// FindBookingByID returns the booking with this id. ENOTFOUND if there is
// none.
func (db *DB) FindBookingByID(ctx context.Context, id string) (*boxoffice.Booking, error) {
	b, err := findBooking(ctx, db.read(), id)
	if err != nil {
		return nil, translate(err, "find booking", "booking")
	}
	return b, nil
}

func findBooking(ctx context.Context, c conn, id string) (*boxoffice.Booking, error) {
	return scanBooking(c.queryRow(ctx, "SELECT "+bookingColumns+" FROM bookings WHERE id = ?", canonicalID(id)))
}

// FindBookings returns a page of the bookings that match filter, newest
// first, and how many match in all; with an OrganizerID, only the bookings
// of the events that user organizes.
func (db *DB) FindBookings(ctx context.Context, filter boxoffice.BookingFilter) ([]*boxoffice.Booking, int, error) {
	var w where
	if filter.UserID != "" {
		w.add("user_id = ?", canonicalID(filter.UserID))
	}
	if filter.EventID != "" {
		w.add("event_id = ?", canonicalID(filter.EventID))
	}
	if filter.OrganizerID != "" {
		// The organizer's events by events_organizer_id_idx, then their
		// bookings by bookings_event_id_created_at_id_idx.
		w.add("event_id IN (SELECT id FROM events WHERE organizer_id = ?)", canonicalID(filter.OrganizerID))
	}
	if filter.Status != "" {
		w.add("status = ?", string(filter.Status))
	}
	if filter.CreatedFrom != nil {
		w.add("created_at >= ?", formatTime(*filter.CreatedFrom))
	}
	if filter.CreatedBefore != nil {
		w.add("created_at < ?", formatTime(*filter.CreatedBefore))
	}
	bookings := []*boxoffice.Booking{}
	var total int
	err := db.inReadTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, "SELECT count(*) FROM bookings"+w.String(), w.args...).Scan(&total); err != nil {
			return err
		}
		if total <= filter.Page.Offset() {
			return nil
		}
		list, scan := "SELECT "+bookingColumns+" FROM bookings"+w.String()+bookingOrder+" LIMIT ? OFFSET ?", scanBooking
		if filter.WithUserAndEvent {
			list, scan = fmt.Sprintf(withUserAndEvent, list), scanBookingWithUserAndEvent
		}
		var err error
		bookings, err = queryAll(ctx, c, scan, list, append(w.args, filter.Page.Limit, filter.Page.Offset())...)
		return err
	})
	if err != nil {
		return nil, 0, translate(err, "find bookings", "booking")
	}
	return bookings, total, nil
}

// FindBookingsByUserIDs returns, for each user id, up to perUser of the
// user's most recent bookings, newest first: one statement per 500 ids.
func (db *DB) FindBookingsByUserIDs(ctx context.Context, ids []string, perUser int) ([]*boxoffice.Booking, error) {
	bookings, err := db.recentBookings(ctx, "users", "user_id", ids, perUser)
	if err != nil {
		return nil, translate(err, "find bookings by user ids", "booking")
	}
	return bookings, nil
}

// FindBookingsByEventIDs returns, for each event id, up to perEvent of the
// event's most recent bookings, newest first: one statement per 500 ids.
func (db *DB) FindBookingsByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*boxoffice.Booking, error) {
	bookings, err := db.recentBookings(ctx, "events", "event_id", ids, perEvent)
	if err != nil {
		return nil, translate(err, "find bookings by event ids", "booking")
	}
	return bookings, nil
}

// recentBookings returns up to per most recent bookings of each of the rows
// of parent (users, events) with these ids; column is the bookings' column
// that references parent. Both are constants.
//
// Not ROW_NUMBER() OVER (PARTITION BY column ...) <= per: SQLite would
// number every booking of an event before filtering (350 ms for an event
// with 100,000 bookings). The correlated LIMIT reads per rows of the index
// for each id instead (0.5 ms).
func (db *DB) recentBookings(ctx context.Context, parent, column string, ids []string, per int) ([]*boxoffice.Booking, error) {
	if per < 1 {
		return []*boxoffice.Booking{}, nil
	}
	return queryByIDs(ctx, db.read(), scanBooking, `WITH p AS (SELECT id FROM `+parent+` WHERE id IN (%s))
		SELECT b.id, b.user_id, b.event_id, b.number_of_tickets, b.status, b.created_at, b.updated_at, b.cancelled_at
		FROM p JOIN bookings b ON b.rowid IN (
			SELECT rowid FROM bookings WHERE `+column+` = p.id`+bookingOrder+` LIMIT ?)
		ORDER BY b.created_at DESC, b.id DESC`, ids, per)
}
