package sqlite

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

const eventColumns = "id, title, description, date, location, total_tickets, available_tickets, price_cents, version, organizer_id, created_at, updated_at"

// eventOrder is the order of the events list: soonest first, then newest.
const eventOrder = " ORDER BY date ASC, created_at DESC, id DESC"

func eventTargets(e *boxoffice.Event) []any {
	return []any{&e.ID, &e.Title, &e.Description, timeColumn{&e.Date}, &e.Location,
		&e.TotalTickets, &e.AvailableTickets, &e.PriceCents, &e.Version, &e.OrganizerID,
		timeColumn{&e.CreatedAt}, timeColumn{&e.UpdatedAt}}
}

func scanEvent(s scanner) (*boxoffice.Event, error) {
	var e boxoffice.Event
	if err := s.Scan(eventTargets(&e)...); err != nil {
		return nil, err
	}
	return &e, nil
}

// FindEventByID returns the event with this id. ENOTFOUND if there is none.
func (db *DB) FindEventByID(ctx context.Context, id string) (*boxoffice.Event, error) {
	e, err := findEvent(ctx, db.read(), id)
	if err != nil {
		return nil, translate(err, "find event", "event")
	}
	return e, nil
}

func findEvent(ctx context.Context, c conn, id string) (*boxoffice.Event, error) {
	return scanEvent(c.queryRow(ctx, "SELECT "+eventColumns+" FROM events WHERE id = ?", canonicalID(id)))
}

// FindEvents returns a page of events, soonest first, then newest first,
// and how many there are in all.
func (db *DB) FindEvents(ctx context.Context, filter boxoffice.EventFilter) ([]*boxoffice.Event, int, error) {
	events := []*boxoffice.Event{}
	var total int
	err := db.inReadTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, "SELECT count(*) FROM events").Scan(&total); err != nil {
			return err
		}
		if total <= filter.Page.Offset() {
			return nil
		}
		var err error
		events, err = queryAll(ctx, c, scanEvent,
			"SELECT "+eventColumns+" FROM events"+eventOrder+" LIMIT ? OFFSET ?",
			filter.Page.Limit, filter.Page.Offset())
		return err
	})
	if err != nil {
		return nil, 0, translate(err, "find events", "event")
	}
	return events, total, nil
}

// FindEventsByIDs returns the events with these ids that exist, in any order.
func (db *DB) FindEventsByIDs(ctx context.Context, ids []string) ([]*boxoffice.Event, error) {
	events, err := queryByIDs(ctx, db.read(), scanEvent, "SELECT "+eventColumns+" FROM events WHERE id IN (%s)", ids)
	if err != nil {
		return nil, translate(err, "find events by ids", "event")
	}
	return events, nil
}

// PopularEvents returns up to limit events, fewest available tickets first,
// then soonest, then by id.
func (db *DB) PopularEvents(ctx context.Context, limit int) ([]*boxoffice.Event, error) {
	if limit < 1 {
		return []*boxoffice.Event{}, nil // SQLite reads LIMIT -1 as no limit
	}
	events, err := queryAll(ctx, db.read(), scanEvent,
		"SELECT "+eventColumns+" FROM events ORDER BY available_tickets ASC, date ASC, id ASC LIMIT ?", limit)
	if err != nil {
		return nil, translate(err, "popular events", "event")
	}
	return events, nil
}

// UpcomingEvents returns up to limit events dated after now, soonest first,
// then by id.
func (db *DB) UpcomingEvents(ctx context.Context, now time.Time, limit int) ([]*boxoffice.Event, error) {
	if limit < 1 {
		return []*boxoffice.Event{}, nil // SQLite reads LIMIT -1 as no limit
	}
	events, err := queryAll(ctx, db.read(), scanEvent,
		"SELECT "+eventColumns+" FROM events WHERE date > ? ORDER BY date ASC, id ASC LIMIT ?", formatTime(now), limit)
	if err != nil {
		return nil, translate(err, "upcoming events", "event")
	}
	return events, nil
}

// CreateEvent inserts e as given, its id and its organizer's lower-cased
// (and so set in e). ECONFLICT if the id is taken, ENOTFOUND if the
// organizer does not exist, EINVALID if a number is out of range.
func (db *DB) CreateEvent(ctx context.Context, e *boxoffice.Event) error {
	id := canonicalID(e.ID)
	var organizer *string
	if e.OrganizerID != nil {
		o := canonicalID(*e.OrganizerID)
		organizer = &o
	}
	_, err := db.write().exec(ctx, "INSERT INTO events ("+eventColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		id, e.Title, e.Description, formatTime(e.Date), e.Location,
		e.TotalTickets, e.AvailableTickets, e.PriceCents, e.Version, organizer,
		formatTime(e.CreatedAt), formatTime(e.UpdatedAt))
	if isForeignKeyViolation(err) { // organizer_id is the table's only reference
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "organizer not found")
	} else if err != nil {
		return translate(err, "create event", "event")
	}
	e.ID, e.OrganizerID = id, organizer
	return nil
}

// UpdateEvent applies upd to the event with upd.Apply and saves the result,
// in one write transaction. ENOTFOUND if there is no such event; ECONFLICT
// for a stale version or fewer total tickets than sold; EINVALID for a
// malformed field.
func (db *DB) UpdateEvent(ctx context.Context, id string, upd boxoffice.EventUpdate) (*boxoffice.Event, error) {
	var next *boxoffice.Event
	err := db.inWriteTx(ctx, func(c conn) error {
		current, err := findEvent(ctx, c, id)
		if err != nil {
			return err
		}
		if next, err = upd.Apply(current); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE events SET title = ?, description = ?, date = ?, location = ?,
			total_tickets = ?, available_tickets = ?, price_cents = ?, version = ?, updated_at = ?
			WHERE id = ?`,
			next.Title, next.Description, formatTime(next.Date), next.Location,
			next.TotalTickets, next.AvailableTickets, next.PriceCents, next.Version, formatTime(next.UpdatedAt),
			next.ID)
		return err
	})
	if err != nil {
		return nil, translate(err, "update event", "event")
	}
	return next, nil
}
