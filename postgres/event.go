package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

const eventColumns = "id, title, description, date, location, total_tickets, available_tickets, price_cents, version, organizer_id, created_at, updated_at"

func eventTargets(e *boxoffice.Event) []any {
	return []any{&e.ID, &e.Title, &e.Description, &e.Date, &e.Location, &e.TotalTickets,
		&e.AvailableTickets, &e.PriceCents, &e.Version, &e.OrganizerID, &e.CreatedAt, &e.UpdatedAt}
}

func scanEvent(row pgx.CollectableRow) (*boxoffice.Event, error) {
	var e boxoffice.Event
	return &e, row.Scan(eventTargets(&e)...)
}

// FindEventByID returns ENOTFOUND if there is no such event.
func (db *DB) FindEventByID(ctx context.Context, id string) (*boxoffice.Event, error) {
	if !boxoffice.ValidID(id) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "event not found")
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+eventColumns+" FROM events WHERE id = $1", id)
	e, err := pgx.CollectExactlyOneRow(rows, scanEvent)
	if err != nil {
		return nil, dbError(err, "find", "event")
	}
	return e, nil
}

// FindEvents returns a page of events, soonest first, then newest first, and
// how many there are. EINVALID for a bad page.
func (db *DB) FindEvents(ctx context.Context, f boxoffice.EventFilter) ([]*boxoffice.Event, int, error) {
	return findPage(ctx, db, "events", eventColumns, where{}, "date ASC, created_at DESC, id DESC", f.Page, "", scanEvent)
}

// FindEventsByIDs returns the events with these ids that exist, in no
// particular order.
func (db *DB) FindEventsByIDs(ctx context.Context, ids []string) ([]*boxoffice.Event, error) {
	ids = validIDs(ids)
	if len(ids) == 0 {
		return []*boxoffice.Event{}, nil
	}
	return db.findEvents(ctx, "WHERE id = ANY($1::uuid[])", ids)
}

// PopularEvents returns up to limit events, fewest available tickets first.
func (db *DB) PopularEvents(ctx context.Context, limit int) ([]*boxoffice.Event, error) {
	if limit < 1 {
		return []*boxoffice.Event{}, nil
	}
	return db.findEvents(ctx, "ORDER BY available_tickets ASC, date ASC, id ASC LIMIT $1", limit)
}

// UpcomingEvents returns up to limit events dated after now, soonest first.
func (db *DB) UpcomingEvents(ctx context.Context, now time.Time, limit int) ([]*boxoffice.Event, error) {
	if limit < 1 {
		return []*boxoffice.Event{}, nil
	}
	return db.findEvents(ctx, "WHERE date > $1 ORDER BY date ASC, id ASC LIMIT $2", now, limit)
}

func (db *DB) findEvents(ctx context.Context, rest string, args ...any) ([]*boxoffice.Event, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+eventColumns+" FROM events "+rest, args...)
	events, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return nil, dbError(err, "find", "events")
	}
	return events, nil
}

// CreateEvent inserts e as given, its times as stored (UTC, microseconds)
// and its organizer's id lower-cased written back to e. ECONFLICT if the id
// is taken; ENOTFOUND if the organizer does not exist; EINVALID or
// ECONFLICT if its ticket counts or price break the table's rules.
func (db *DB) CreateEvent(ctx context.Context, e *boxoffice.Event) error {
	stored := *e
	stored.Date, stored.CreatedAt, stored.UpdatedAt = dbTime(e.Date), dbTime(e.CreatedAt), dbTime(e.UpdatedAt)
	if e.OrganizerID != nil {
		if !boxoffice.ValidID(*e.OrganizerID) { // would fail the uuid cast: names nobody
			return boxoffice.Errorf(boxoffice.ENOTFOUND, "organizer not found")
		}
		id := strings.ToLower(*e.OrganizerID) // as PostgreSQL answers
		stored.OrganizerID = &id
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO events (`+eventColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		stored.ID, stored.Title, stored.Description, stored.Date, stored.Location, stored.TotalTickets,
		stored.AvailableTickets, stored.PriceCents, stored.Version, stored.OrganizerID, stored.CreatedAt, stored.UpdatedAt)
	if err != nil {
		return dbError(err, "create", "event")
	}
	*e = stored
	return nil
}

// UpdateEvent locks the event, applies upd with EventUpdate.Apply and saves
// every field, in one transaction. ENOTFOUND; ECONFLICT for a stale version
// or fewer total tickets than sold; EINVALID for a bad field.
func (db *DB) UpdateEvent(ctx context.Context, id string, upd boxoffice.EventUpdate) (*boxoffice.Event, error) {
	if !boxoffice.ValidID(id) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "event not found")
	}
	conn, err := db.acquire(ctx, "event")
	if err != nil {
		return nil, err
	}
	defer endTx(conn)

	var current *boxoffice.Event
	lock := &pgx.Batch{}
	lock.Queue(beginTx)
	lock.Queue("SELECT "+eventColumns+" FROM events WHERE id = $1 FOR UPDATE", id).Query(func(rows pgx.Rows) (err error) {
		current, err = pgx.CollectExactlyOneRow(rows, scanEvent)
		return err
	})
	if err := conn.SendBatch(ctx, lock).Close(); err != nil {
		return nil, dbError(err, "lock", "event")
	}
	next, err := upd.Apply(current)
	if err != nil {
		return nil, err
	}
	next.Date = dbTime(next.Date)

	save := &pgx.Batch{}
	save.Queue(`UPDATE events SET title = $2, description = $3, date = $4, location = $5,
		total_tickets = $6, available_tickets = $7, price_cents = $8, version = $9, updated_at = $10
		WHERE id = $1`,
		next.ID, next.Title, next.Description, next.Date, next.Location, next.TotalTickets,
		next.AvailableTickets, next.PriceCents, next.Version, next.UpdatedAt)
	if next.AvailableTickets > current.AvailableTickets {
		queueNotify(save, ticketsChannel, next.ID)
	}
	save.Queue(commitTx)
	if err := conn.SendBatch(ctx, save).Close(); err != nil {
		return nil, dbError(err, "update", "event")
	}
	return next, nil
}
