package service

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// Bookings implements boxoffice.BookingService.
type Bookings struct {
	*base
	batcher *Batcher
	soldOut *soldOutSet
}

// CreateBooking validates the request and hands it to the batcher, which
// decides it in a transaction shared with the other requests waiting then.
// An event seen sold out is refused at once, without a transaction.
func (s *Bookings) CreateBooking(ctx context.Context, req boxoffice.BookingRequest) (*boxoffice.Booking, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if err := boxoffice.CanBookFor(c, req.UserID); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	if s.soldOut.has(req.EventID) {
		s.metrics.SoldOutRefused()
		return nil, errSoldOut
	}
	req.ActorID = c.UserID
	r := s.batcher.Book(ctx, req)
	if code := boxoffice.ErrorCode(r.Err); (code == "" || code == boxoffice.ESOLDOUT) && r.Remaining == 0 {
		s.soldOut.mark(req.EventID)
	}
	return r.Booking, r.Err
}

var errSoldOut = boxoffice.Errorf(boxoffice.ESOLDOUT, "event is sold out")

// CancelBooking gives the tickets back; the event is bookable again at
// once, through every server. The buyer and admins
// (boxoffice.CanCancelBooking), until the event starts.
func (s *Bookings) CancelBooking(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.Anonymous() { // before the lookup: ids must reveal nothing
		return nil, boxoffice.CanCancelBooking(c, nil)
	}
	current, err := s.store.Bookings().ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanCancelBooking(c, current); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	var b *boxoffice.Booking
	err = s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		var err error
		b, err = tx.Bookings().Update(ctx, id, func(b *boxoffice.Booking) error { return b.Cancel(now) })
		if err != nil {
			return nil, err
		}
		return []*boxoffice.Change{{Kind: boxoffice.ChangeBookingCancelled, At: now, ActorID: c.UserID,
			UserID: b.UserID, EventID: b.EventID, BookingID: b.ID, TicketsReturned: b.NumberOfTickets}}, nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// FindBookingByID: the buyer, the event's organizer and admins; for anyone
// else ENOTFOUND (boxoffice.CanReadBooking).
func (s *Bookings) FindBookingByID(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanReadBooking(c, nil, nil)
	}
	b, err := s.store.Bookings().ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var event *boxoffice.Event
	if c.Role == boxoffice.RoleOrganizer && !c.Is(b.UserID) { // only then does the event matter
		if event, err = s.store.Events().ByID(ctx, b.EventID); err != nil {
			return nil, err
		}
	}
	if err := boxoffice.CanReadBooking(c, b, event); err != nil {
		return nil, err
	}
	return b, nil
}

// FindBookings lists what the caller may see (boxoffice.ScopeBookings).
func (s *Bookings) FindBookings(ctx context.Context, f boxoffice.BookingFilter) ([]*boxoffice.Booking, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	f, err := boxoffice.ScopeBookings(caller(ctx), f)
	if err != nil {
		return nil, 0, err
	}
	return s.store.Bookings().Find(ctx, f)
}

// FindBookingsByUserIDs and FindBookingsByEventIDs load bookings in
// batches for nested fields; the GraphQL layer asks
// boxoffice.CanSeeUserPrivate and CanListEventBookings for each parent.
func (s *Bookings) FindBookingsByUserIDs(ctx context.Context, ids []string, perUser int) ([]*boxoffice.Booking, error) {
	if err := validCount("limit", perUser, boxoffice.MaxNestedBookings); err != nil {
		return nil, err
	}
	return s.store.Bookings().ByUserIDs(ctx, validIDs(ids), perUser)
}

func (s *Bookings) FindBookingsByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*boxoffice.Booking, error) {
	if err := validCount("limit", perEvent, boxoffice.MaxNestedBookings); err != nil {
		return nil, err
	}
	return s.store.Bookings().ByEventIDs(ctx, validIDs(ids), perEvent)
}
