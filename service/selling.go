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
