package sqlstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/boxoffice/boxoffice"
)

const eventColumns = "id, title, description, date, location, total_tickets, available_tickets, price_cents, currency, no_transfers, waitlist_waiting, version, organizer_id, created_at, updated_at, has_ticket_types"

func eventTargets(e *boxoffice.Event) []any {
	return []any{&e.ID, &e.Title, &e.Description, &e.Date, &e.Location, &e.TotalTickets,
		&e.AvailableTickets, &e.PriceCents, &e.Currency, &e.NoTransfers, &e.WaitlistLength, &e.Version, &e.OrganizerID, &e.CreatedAt, &e.UpdatedAt, &e.HasTicketTypes}
}

func scanEvent(r Rows) (*boxoffice.Event, error) {
	var e boxoffice.Event
	return &e, r.Scan(eventTargets(&e)...)
}

// events implements boxoffice.EventStore.
type events struct{ scope }

func (s events) ByID(ctx context.Context, id string) (*boxoffice.Event, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("event")
	}
	var e *boxoffice.Event
	err := s.read(ctx, rowOf(&e, "event", scanEvent, "SELECT "+eventColumns+" FROM events WHERE id = $1", canonicalID(id)))
	return e, s.fail(err, "find", "event")
}

// Find returns a page of events, soonest first, then newest first.
func (s events) Find(ctx context.Context, f boxoffice.EventFilter) ([]*boxoffice.Event, int, error) {
	return findPage(ctx, s.scope, "events", eventColumns, where{}, "date ASC, created_at DESC, id DESC", f.Page, "", scanEvent)
}

func (s events) ByIDs(ctx context.Context, ids []string) ([]*boxoffice.Event, error) {
	found := []*boxoffice.Event{}
	if ids = validIDs(ids); len(ids) == 0 {
		return found, nil
	}
	var args Args
	return s.list(ctx, "WHERE "+s.d.In(&args, "id", ids), args...)
}

// Popular returns up to limit events, fewest available tickets first, then
// soonest, then by id.
func (s events) Popular(ctx context.Context, limit int) ([]*boxoffice.Event, error) {
	if limit < 1 {
		return []*boxoffice.Event{}, nil // SQLite would read LIMIT -1 as no limit
	}
	return s.list(ctx, "ORDER BY available_tickets ASC, date ASC, id ASC LIMIT $1", limit)
}

func (s events) Upcoming(ctx context.Context, now time.Time, limit int) ([]*boxoffice.Event, error) {
	if limit < 1 {
		return []*boxoffice.Event{}, nil
	}
	return s.list(ctx, "WHERE date > $1 ORDER BY date ASC, id ASC LIMIT $2", Time(now), limit)
}

func (s events) list(ctx context.Context, rest string, args ...any) ([]*boxoffice.Event, error) {
	found := []*boxoffice.Event{}
	err := s.read(ctx, rowsOf(&found, scanEvent, "SELECT "+eventColumns+" FROM events "+rest, args...))
	return found, s.fail(err, "find", "events")
}

// Create inserts e as given, its times as stored and its ids canonical,
// written back to e.
func (s events) Create(ctx context.Context, e *boxoffice.Event) error {
	stored := *e
	stored.ID = canonicalID(e.ID)
	if stored.Currency == "" {
		stored.Currency = "EUR"
	}
	stored.Date, stored.CreatedAt, stored.UpdatedAt = Time(e.Date), Time(e.CreatedAt), Time(e.UpdatedAt)
	if e.OrganizerID != nil {
		if !boxoffice.ValidID(*e.OrganizerID) {
			return notFound("organizer")
		}
		id := canonicalID(*e.OrganizerID)
		stored.OrganizerID = &id
	}
	stored.HasTicketTypes = stored.HasTicketTypes || len(e.TicketTypes) > 0
	err := s.write(ctx, func(tx Tx) error {
		qs := []*Query{exec("INSERT INTO events ("+eventColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
			stored.ID, stored.Title, stored.Description, stored.Date, stored.Location, stored.TotalTickets,
			stored.AvailableTickets, stored.PriceCents, stored.Currency, stored.NoTransfers, stored.WaitlistLength, stored.Version, stored.OrganizerID, stored.CreatedAt,
			stored.UpdatedAt, stored.HasTicketTypes)}
		if len(e.TicketTypes) > 0 {
			q, types := insertTicketTypes(s.d, stored.ID, stored.CreatedAt, e.TicketTypes)
			stored.TicketTypes = types
			qs = append(qs, q)
		}
		return tx.Run(ctx, qs...)
	})
	if err != nil {
		return s.fail(err, "create", "event", "organizer")
	}
	*e = stored
	return nil
}

// Update locks the event, applies apply and saves every field an update may
// change: two round trips, the save going with the commit.
func (s events) Update(ctx context.Context, id string, apply func(*boxoffice.Event) (*boxoffice.Event, error)) (*boxoffice.Event, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("event")
	}
	var next *boxoffice.Event
	err := s.write(ctx, func(tx Tx) error {
		var current *boxoffice.Event
		err := tx.Run(ctx, rowOf(&current, "event", scanEvent,
			"SELECT "+eventColumns+" FROM events WHERE id = $1"+s.d.Lock(lockRow), canonicalID(id)))
		if err != nil {
			return err
		}
		if next, err = apply(current); err != nil {
			return err
		}
		next.Date, next.UpdatedAt = Time(next.Date), Time(next.UpdatedAt)
		tx.Queue(exec(`UPDATE events SET title = $2, description = $3, date = $4, location = $5,
			total_tickets = $6, available_tickets = $7, price_cents = $8, no_transfers = $9, version = $10, updated_at = $11
			WHERE id = $1`,
			current.ID, next.Title, next.Description, next.Date, next.Location, next.TotalTickets,
			next.AvailableTickets, next.PriceCents, next.NoTransfers, next.Version, next.UpdatedAt))
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "update", "event")
	}
	return next, nil
}

// SigningKey makes the event's key the first time (of two servers asking at
// once, the first insert wins and both read it), then reads it.
func (s events) SigningKey(ctx context.Context, eventID string) ([]byte, error) {
	if !boxoffice.ValidID(eventID) {
		return nil, notFound("event")
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("sqlstore: make a signing key: %w", err)
	}
	id := canonicalID(eventID)
	var stored []byte
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx,
			exec("INSERT INTO event_keys (event_id, seed, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", id, seed, Time(boxoffice.Now())),
			rowOf(&stored, "event", scanBytes, "SELECT seed FROM event_keys WHERE event_id = $1", id))
	})
	return stored, s.fail(err, "find", "signing key", "event")
}

func (s events) AddStaff(ctx context.Context, eventID, userID string, at time.Time) error {
	if !boxoffice.ValidID(eventID) {
		return notFound("event")
	}
	if !boxoffice.ValidID(userID) {
		return notFound("user")
	}
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("INSERT INTO event_staff (event_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			canonicalID(eventID), canonicalID(userID), Time(at)))
	})
	return s.fail(err, "add", "staff", "user")
}

func (s events) IsStaff(ctx context.Context, eventID, userID string) (bool, error) {
	if !boxoffice.ValidID(eventID) || !boxoffice.ValidID(userID) {
		return false, nil
	}
	var n int
	err := s.read(ctx, rowOf(&n, "count", scanInt, "SELECT count(*) FROM event_staff WHERE event_id = $1 AND user_id = $2",
		canonicalID(eventID), canonicalID(userID)))
	return n > 0, s.fail(err, "find", "staff")
}

// scanBytes reads a one-column binary row.
func scanBytes(r Rows) ([]byte, error) {
	var b []byte
	return b, r.Scan(&b)
}
