package sqlstore

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

const ticketColumns = "id, booking_id, event_id, owner_id, attendee_name, status, version, checked_in_at, created_at, updated_at"

func scanTicket(r Rows) (*boxoffice.Ticket, error) {
	var t boxoffice.Ticket
	return &t, r.Scan(&t.ID, &t.BookingID, &t.EventID, &t.OwnerID, optionalText{&t.AttendeeName}, &t.Status, &t.Version,
		&t.CheckedInAt, &t.CreatedAt, &t.UpdatedAt)
}

// tickets implements boxoffice.TicketStore.
type tickets struct{ scope }

func (s tickets) ByID(ctx context.Context, id string) (*boxoffice.Ticket, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("ticket")
	}
	var t *boxoffice.Ticket
	err := s.read(ctx, rowOf(&t, "ticket", scanTicket, "SELECT "+ticketColumns+" FROM tickets WHERE id = $1", canonicalID(id)))
	return t, s.fail(err, "find", "ticket")
}

func (s tickets) ByBookingIDs(ctx context.Context, ids []string) ([]*boxoffice.Ticket, error) {
	if ids = validIDs(ids); len(ids) == 0 {
		return []*boxoffice.Ticket{}, nil
	}
	var args Args
	return s.list(ctx, "WHERE "+s.d.In(&args, "booking_id", ids)+" ORDER BY booking_id, created_at, id", args...)
}

func (s tickets) ByOwner(ctx context.Context, userID string) ([]*boxoffice.Ticket, error) {
	if !boxoffice.ValidID(userID) {
		return []*boxoffice.Ticket{}, nil
	}
	return s.list(ctx, "WHERE owner_id = $1 ORDER BY created_at DESC, id DESC", canonicalID(userID))
}

func (s tickets) ByEvent(ctx context.Context, eventID string) ([]*boxoffice.Ticket, error) {
	if !boxoffice.ValidID(eventID) {
		return []*boxoffice.Ticket{}, nil
	}
	return s.list(ctx, "WHERE event_id = $1 ORDER BY created_at, id", canonicalID(eventID))
}

func (s tickets) list(ctx context.Context, rest string, args ...any) ([]*boxoffice.Ticket, error) {
	found := []*boxoffice.Ticket{}
	err := s.read(ctx, rowsOf(&found, scanTicket, "SELECT "+ticketColumns+" FROM tickets "+rest, args...))
	return found, s.fail(err, "find", "tickets")
}

// CheckIn locks the ticket, then marks it used with one conditional
// UPDATE, in one round trip: of two doors scanning one ticket at the same
// moment, the second waits for the first and finds it used.
func (s tickets) CheckIn(ctx context.Context, id string, version int, at time.Time, earliest bool) (*boxoffice.Ticket, bool, error) {
	if !boxoffice.ValidID(id) {
		return nil, false, notFound("ticket")
	}
	id, at = canonicalID(id), Time(at)
	cond := "status = 'VALID'"
	if earliest {
		cond = "(status = 'VALID' OR (status = 'USED' AND checked_in_at > $3))"
	}
	var before *boxoffice.Ticket
	update := exec("UPDATE tickets SET status = 'USED', checked_in_at = $3, updated_at = $3 WHERE id = $1 AND version = $2 AND "+cond,
		id, version, at)
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx,
			rowOf(&before, "ticket", scanTicket, "SELECT "+ticketColumns+" FROM tickets WHERE id = $1"+s.d.Lock("UPDATE"), id),
			update)
	})
	if err != nil {
		return nil, false, s.fail(err, "check in", "ticket")
	}
	return before, update.Affected == 1, nil
}

// Update locks the ticket, applies apply and saves what may change of it.
func (s tickets) Update(ctx context.Context, id string, apply func(*boxoffice.Ticket) error) (*boxoffice.Ticket, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("ticket")
	}
	var t *boxoffice.Ticket
	err := s.write(ctx, func(tx Tx) error {
		err := tx.Run(ctx, rowOf(&t, "ticket", scanTicket, "SELECT "+ticketColumns+" FROM tickets WHERE id = $1"+s.d.Lock("UPDATE"), canonicalID(id)))
		if err != nil {
			return err
		}
		if err := apply(t); err != nil {
			return err
		}
		t.OwnerID, t.UpdatedAt = canonicalID(t.OwnerID), Time(t.UpdatedAt)
		tx.Queue(exec("UPDATE tickets SET owner_id = $2, attendee_name = $3, status = $4, version = $5, updated_at = $6 WHERE id = $1",
			t.ID, t.OwnerID, nullText(t.AttendeeName), string(t.Status), t.Version, t.UpdatedAt))
		return nil
	})
	return t, s.fail(err, "update", "ticket", "user")
}

func (s tickets) CountCheckedIn(ctx context.Context, eventID string) (int, error) {
	var n int
	if !boxoffice.ValidID(eventID) {
		return 0, nil
	}
	err := s.read(ctx, rowOf(&n, "count", scanInt, "SELECT count(*) FROM tickets WHERE event_id = $1 AND status = 'USED'", canonicalID(eventID)))
	return n, s.fail(err, "count", "tickets")
}

func (s tickets) RecordScan(ctx context.Context, ticketID, eventID string, sc boxoffice.Scan, result boxoffice.CheckInResult) error {
	var ticket any
	if ticketID != "" {
		ticket = canonicalID(ticketID)
	}
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("INSERT INTO scans (ticket_id, event_id, code, at, device, result, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			ticket, canonicalID(eventID), sc.Code, Time(sc.At), nullText(sc.Device), string(result), Time(boxoffice.Now())))
	})
	return s.fail(err, "record", "scan")
}

// ticketTable is the tickets' columns as a booking's confirmation inserts
// them.
var ticketTable = []Column{
	{"id", "uuid"}, {"booking_id", "uuid"}, {"event_id", "uuid"}, {"owner_id", "uuid"}, {"attendee_name", "text"},
	{"status", "text"}, {"created_at", "timestamptz"}, {"updated_at", "timestamptz"},
}

// issueTickets queues one INSERT for the tickets of confirmed bookings.
func issueTickets(tx Tx, d Dialect, ts []*boxoffice.Ticket) {
	if len(ts) == 0 {
		return
	}
	rows := make([][]any, len(ts))
	for i, t := range ts {
		rows[i] = []any{t.ID, t.BookingID, t.EventID, t.OwnerID, nullText(t.AttendeeName), string(t.Status), Time(t.CreatedAt), Time(t.UpdatedAt)}
	}
	var args Args
	tx.Queue(exec("INSERT INTO tickets (id, booking_id, event_id, owner_id, attendee_name, status, created_at, updated_at) SELECT * FROM "+
		d.Table(&args, "t", ticketTable, rows), args...))
}

// voidTickets queues the voiding of a booking's valid tickets: it stopped
// being CONFIRMED. Tickets already used stay as they were.
func voidTickets(tx Tx, bookingID string, at time.Time) {
	tx.Queue(exec("UPDATE tickets SET status = 'VOID', updated_at = $2 WHERE booking_id = $1 AND status = 'VALID'", bookingID, Time(at)))
}
