package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/boxoffice/boxoffice"
)

const ticketTypeColumns = "id, event_id, name, price_cents, total_tickets, available_tickets, sales_start, sales_end, max_per_booking, " +
	"price_steps, position, created_at"

func scanTicketType(r Rows) (*boxoffice.TicketType, error) {
	var t boxoffice.TicketType
	var steps string
	if err := r.Scan(&t.ID, &t.EventID, &t.Name, &t.PriceCents, &t.TotalTickets, &t.AvailableTickets, &t.SalesStart, &t.SalesEnd,
		&t.MaxPerBooking, &steps, &t.Position, &t.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(steps), &t.PriceSteps); err != nil {
		return nil, fmt.Errorf("sqlstore: ticket type %s: price steps: %w", t.ID, err)
	}
	return &t, nil
}

// ticketTypeTable is the ticket types' columns as events.Create inserts
// them.
var ticketTypeTable = []Column{
	{"id", "uuid"}, {"event_id", "uuid"}, {"name", "text"}, {"price_cents", "bigint"}, {"total_tickets", "int"},
	{"available_tickets", "int"}, {"sales_start", "timestamptz"}, {"sales_end", "timestamptz"}, {"max_per_booking", "int"},
	{"price_steps", "text"}, {"position", "int"}, {"created_at", "timestamptz"},
}

// insertTicketTypes is the one statement that inserts an event's types,
// and the types as stored (ids canonical, times as kept).
func insertTicketTypes(d Dialect, eventID string, at time.Time, types []*boxoffice.TicketType) (*Query, []*boxoffice.TicketType) {
	rows := make([][]any, len(types))
	stored := make([]*boxoffice.TicketType, len(types))
	for i, t := range types {
		s, encoded := storedTicketType(t, eventID, at)
		rows[i] = []any{s.ID, s.EventID, s.Name, s.PriceCents, s.TotalTickets, s.AvailableTickets, timeOrNil(s.SalesStart),
			timeOrNil(s.SalesEnd), s.MaxPerBooking, encoded, s.Position, s.CreatedAt}
		stored[i] = s
	}
	var args Args
	return exec("INSERT INTO ticket_types ("+ticketTypeColumns+") SELECT * FROM "+d.Table(&args, "t", ticketTypeTable, rows), args...), stored
}

// storedTicketType is t as kept (id canonical, times as stored), with its
// price steps encoded as JSON.
func storedTicketType(t *boxoffice.TicketType, eventID string, at time.Time) (*boxoffice.TicketType, string) {
	s := *t
	s.ID, s.EventID, s.CreatedAt = canonicalID(t.ID), eventID, Time(at)
	s.SalesStart, s.SalesEnd = timePtr(t.SalesStart), timePtr(t.SalesEnd)
	steps := make([]boxoffice.PriceStep, len(t.PriceSteps))
	for j, st := range t.PriceSteps {
		steps[j] = st
		steps[j].From = timePtr(st.From)
	}
	s.PriceSteps = steps
	encoded, _ := json.Marshal(steps) // numbers and times: cannot fail
	return &s, string(encoded)
}

// ticketTypes implements boxoffice.TicketTypeStore.
type ticketTypes struct{ scope }

func (s ticketTypes) ByEventIDs(ctx context.Context, ids []string) ([]*boxoffice.TicketType, error) {
	found := []*boxoffice.TicketType{}
	if ids = validIDs(ids); len(ids) == 0 {
		return found, nil
	}
	var args Args
	err := s.read(ctx, rowsOf(&found, scanTicketType, "SELECT "+ticketTypeColumns+" FROM ticket_types WHERE "+
		s.d.In(&args, "event_id", ids)+" ORDER BY event_id, position", args...))
	return found, s.fail(err, "find", "ticket types")
}

func (s ticketTypes) ByID(ctx context.Context, id string) (*boxoffice.TicketType, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("ticket type")
	}
	var t *boxoffice.TicketType
	err := s.read(ctx, rowOf(&t, "ticket type", scanTicketType, "SELECT "+ticketTypeColumns+" FROM ticket_types WHERE id = $1", canonicalID(id)))
	return t, s.fail(err, "find", "ticket type")
}

// Change locks the event, reads its types, lets judge decide the change
// (boxoffice.Event.ChangeTicketType), and saves it: the type inserted or
// updated, the event's totals moved by the same number of tickets, its
// price the lowest, its version bumped. Two round trips, the writes with
// the commit. It returns the type and the event as saved.
func (s ticketTypes) Change(ctx context.Context, eventID string, judge func(*boxoffice.Event, []*boxoffice.TicketType) (*boxoffice.TicketType, int, error),
	now time.Time) (*boxoffice.TicketType, *boxoffice.Event, error) {
	if !boxoffice.ValidID(eventID) {
		return nil, nil, notFound("event")
	}
	eventID = canonicalID(eventID)
	now = Time(now)
	var saved *boxoffice.TicketType
	var ev *boxoffice.Event
	err := s.write(ctx, func(tx Tx) error {
		var types []*boxoffice.TicketType
		err := tx.Run(ctx,
			rowOf(&ev, "event", scanEvent, "SELECT "+eventColumns+" FROM events WHERE id = $1"+s.d.Lock(lockRow), eventID),
			rowsOf(&types, scanTicketType, "SELECT "+ticketTypeColumns+" FROM ticket_types WHERE event_id = $1 ORDER BY position", eventID))
		if err != nil {
			return err
		}
		next, delta, err := judge(ev, types)
		if err != nil {
			return err
		}
		added := true
		for _, t := range types {
			added = added && t.ID != next.ID
		}
		var encoded string
		saved, encoded = storedTicketType(next, eventID, next.CreatedAt)
		if added {
			q, _ := insertTicketTypes(s.d, eventID, saved.CreatedAt, []*boxoffice.TicketType{saved})
			tx.Queue(q)
		} else {
			tx.Queue(exec(`UPDATE ticket_types SET name = $2, price_cents = $3, total_tickets = $4, available_tickets = $5,
				sales_start = $6, sales_end = $7, max_per_booking = $8, price_steps = $9 WHERE id = $1`,
				saved.ID, saved.Name, saved.PriceCents, saved.TotalTickets, saved.AvailableTickets,
				timeOrNil(saved.SalesStart), timeOrNil(saved.SalesEnd), saved.MaxPerBooking, encoded))
		}
		ev.TotalTickets += delta
		ev.AvailableTickets += delta
		ev.PriceCents = boxoffice.LowestPrice(types, saved)
		ev.Version++
		ev.UpdatedAt = now
		tx.Queue(exec(`UPDATE events SET total_tickets = $2, available_tickets = $3, price_cents = $4, version = $5, updated_at = $6 WHERE id = $1`,
			eventID, ev.TotalTickets, ev.AvailableTickets, ev.PriceCents, ev.Version, ev.UpdatedAt))
		return nil
	})
	if err != nil {
		return nil, nil, s.fail(err, "change", "ticket type")
	}
	return saved, ev, nil
}

const promoCodeColumns = "id, event_id, code, percent_off, amount_off_cents, max_uses, uses, valid_until, created_at"

func scanPromoCode(r Rows) (*boxoffice.PromoCode, error) {
	var p boxoffice.PromoCode
	return &p, r.Scan(&p.ID, &p.EventID, &p.Code, &p.PercentOff, &p.AmountOffCents, &p.MaxUses, &p.Uses, &p.ValidUntil, &p.CreatedAt)
}

// promoCodes implements boxoffice.PromoCodeStore.
type promoCodes struct{ scope }

// Create inserts p, its ids canonical and its times as stored.
func (s promoCodes) Create(ctx context.Context, p *boxoffice.PromoCode) error {
	if !boxoffice.ValidID(p.EventID) {
		return notFound("event")
	}
	stored := *p
	stored.ID, stored.EventID = canonicalID(p.ID), canonicalID(p.EventID)
	stored.ValidUntil, stored.CreatedAt = timePtr(p.ValidUntil), Time(p.CreatedAt)
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("INSERT INTO promo_codes ("+promoCodeColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			stored.ID, stored.EventID, stored.Code, intOrNil(stored.PercentOff), int64OrNil(stored.AmountOffCents), intOrNil(stored.MaxUses),
			stored.Uses, timeOrNil(stored.ValidUntil), stored.CreatedAt))
	})
	if err != nil {
		return s.fail(err, "create", "promo code", "event")
	}
	*p = stored
	return nil
}

func (s promoCodes) ByEvent(ctx context.Context, eventID string) ([]*boxoffice.PromoCode, error) {
	found := []*boxoffice.PromoCode{}
	if !boxoffice.ValidID(eventID) {
		return found, nil
	}
	err := s.read(ctx, rowsOf(&found, scanPromoCode, "SELECT "+promoCodeColumns+" FROM promo_codes WHERE event_id = $1 ORDER BY created_at, id",
		canonicalID(eventID)))
	return found, s.fail(err, "find", "promo codes")
}

// intOrNil is *n as a nullable column argument.
func intOrNil(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}

// int64OrNil is *n as a nullable column argument.
func int64OrNil(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}
