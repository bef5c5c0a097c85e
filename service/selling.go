package service

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// FindTicketTypesByEventIDs loads ticket types in batches for
// Event.ticketTypes and Booking.ticketType: anyone sees what is on sale.
func (s *Events) FindTicketTypesByEventIDs(ctx context.Context, ids []string) ([]*boxoffice.TicketType, error) {
	return s.store.TicketTypes().ByEventIDs(ctx, validIDs(ids))
}

// CreatePromoCode: the event's organizer and admins
// (boxoffice.CanManagePromoCodes). The code is stored upper case; the
// event must not have started.
func (s *Events) CreatePromoCode(ctx context.Context, p *boxoffice.PromoCode) error {
	if err := validID("eventId", p.EventID); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return boxoffice.CanManagePromoCodes(c, nil)
	}
	ev, err := s.store.Events().ByID(ctx, p.EventID)
	if err != nil {
		return err
	}
	if err := boxoffice.CanManagePromoCodes(c, ev); err != nil {
		return err
	}
	if err := s.spendMutation(ctx); err != nil {
		return err
	}
	now := s.now()
	if !ev.Date.After(now) {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "event has already started")
	}
	p.ID, p.Uses, p.CreatedAt = boxoffice.NewID(), 0, now
	return s.store.PromoCodes().Create(ctx, p)
}

// FindPromoCodes: the event's organizer and admins.
func (s *Events) FindPromoCodes(ctx context.Context, eventID string) ([]*boxoffice.PromoCode, error) {
	if err := validID("eventId", eventID); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanManagePromoCodes(c, nil)
	}
	ev, err := s.store.Events().ByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanManagePromoCodes(c, ev); err != nil {
		return nil, err
	}
	return s.store.PromoCodes().ByEvent(ctx, eventID)
}

// CreateBulkBooking books up to boxoffice.MaxBulkTickets for a group or a
// box office: the event's organizer and admins (boxoffice.CanBookBulk),
// for any user. It goes through the batcher like any booking, so it takes
// the event's lock as every batch does and can never oversell; it is
// confirmed at once and its tickets are issued in the same transaction.
func (s *Bookings) CreateBulkBooking(ctx context.Context, req boxoffice.BookingRequest) (*boxoffice.Booking, error) {
	req.Bulk = true
	if err := req.Validate(); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanBookBulk(c, nil)
	}
	ev, err := s.store.Events().ByID(ctx, req.EventID)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanBookBulk(c, ev); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	req.ActorID = c.UserID
	req.IdempotencyKey = boxoffice.IdempotencyKeyFromContext(ctx)
	r := s.batcher.Book(ctx, req)
	if code := boxoffice.ErrorCode(r.Err); (code == "" || code == boxoffice.ESOLDOUT) && r.Remaining == 0 {
		s.soldOut.mark(req.EventID)
	}
	return r.Booking, r.Err
}

// AddTicketType: the event's organizer and admins (boxoffice.CanUpdateEvent).
func (s *Events) AddTicketType(ctx context.Context, eventID string, t *boxoffice.TicketType) (*boxoffice.TicketType, error) {
	if err := validID("eventId", eventID); err != nil {
		return nil, err
	}
	return s.changeTicketType(ctx, eventID, "", t)
}

// UpdateTicketType: the event's organizer and admins.
func (s *Events) UpdateTicketType(ctx context.Context, id string, t *boxoffice.TicketType) (*boxoffice.TicketType, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	if caller(ctx).Anonymous() {
		return nil, boxoffice.CanUpdateEvent(caller(ctx), nil)
	}
	current, err := s.store.TicketTypes().ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.changeTicketType(ctx, current.EventID, current.ID, t)
}

// changeTicketType checks who asks, then judges and saves the change under
// the event's lock, with the event's change: tickets added reopen the
// event on every server, as an update's do.
func (s *Events) changeTicketType(ctx context.Context, eventID, id string, t *boxoffice.TicketType) (*boxoffice.TicketType, error) {
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanUpdateEvent(c, nil)
	}
	ev, err := s.store.Events().ByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanUpdateEvent(c, ev); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	var saved *boxoffice.TicketType
	err = s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		delta := 0
		var ev *boxoffice.Event
		var err error
		saved, ev, err = tx.TicketTypes().Change(ctx, eventID, func(e *boxoffice.Event, types []*boxoffice.TicketType) (*boxoffice.TicketType, int, error) {
			next, d, err := e.ChangeTicketType(types, id, t, now)
			delta = d
			return next, d, err
		}, now)
		if err != nil {
			return nil, err
		}
		return []*boxoffice.Change{{Kind: boxoffice.ChangeEventUpdated, At: ev.UpdatedAt, ActorID: c.UserID, EventID: ev.ID,
			TicketsReturned: max(delta, 0), Detail: "ticket type " + saved.Name}}, nil
	})
	return saved, err
}
