package service

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// CreateBooking validates the request and hands it to the batcher, which
// decides it in a transaction shared with the other requests waiting then.
// An event seen sold out is refused at once, without a transaction.
func (s *Service) CreateBooking(ctx context.Context, req boxoffice.BookingRequest) (*boxoffice.Booking, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := boxoffice.CanBookFor(caller(ctx), req.UserID); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	if s.soldOut.has(req.EventID) {
		return nil, errSoldOut
	}
	r := s.batcher.Book(ctx, req)
	if code := boxoffice.ErrorCode(r.Err); (code == "" || code == boxoffice.ESOLDOUT) && r.Remaining == 0 {
		s.soldOut.mark(req.EventID)
	}
	return r.Booking, r.Err
}

var errSoldOut = boxoffice.Errorf(boxoffice.ESOLDOUT, "event is sold out")

// CancelBooking gives the tickets back; the event is bookable again at
// once. The buyer and admins (boxoffice.CanCancelBooking).
func (s *Service) CancelBooking(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	if caller(ctx).Anonymous() { // before the lookup: ids must reveal nothing
		return nil, boxoffice.CanCancelBooking(caller(ctx), nil)
	}
	current, err := s.store.FindBookingByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanCancelBooking(caller(ctx), current); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	b, err := s.store.CancelBooking(ctx, id, s.now())
	if err == nil {
		s.soldOut.clear(b.EventID)
	}
	return b, err
}

// FindBookingByID: the buyer, the event's organizer and admins; for anyone
// else ENOTFOUND (boxoffice.CanReadBooking).
func (s *Service) FindBookingByID(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanReadBooking(c, nil, nil)
	}
	b, err := s.store.FindBookingByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var event *boxoffice.Event
	if c.Role == boxoffice.RoleOrganizer && !c.Is(b.UserID) { // only then does the event matter
		if event, err = s.store.FindEventByID(ctx, b.EventID); err != nil {
			return nil, err
		}
	}
	if err := boxoffice.CanReadBooking(c, b, event); err != nil {
		return nil, err
	}
	return b, nil
}

// FindBookings lists what the caller may see (boxoffice.ScopeBookings).
func (s *Service) FindBookings(ctx context.Context, f boxoffice.BookingFilter) ([]*boxoffice.Booking, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	f, err := boxoffice.ScopeBookings(caller(ctx), f)
	if err != nil {
		return nil, 0, err
	}
	return s.store.FindBookings(ctx, f)
}

// FindBookingsByUserIDs and FindBookingsByEventIDs load bookings in
// batches for nested fields; the GraphQL layer asks
// boxoffice.CanSeeUserPrivate and CanListEventBookings for each parent.
func (s *Service) FindBookingsByUserIDs(ctx context.Context, ids []string, perUser int) ([]*boxoffice.Booking, error) {
	if err := validCount("limit", perUser, boxoffice.MaxNestedBookings); err != nil {
		return nil, err
	}
	return s.store.FindBookingsByUserIDs(ctx, validIDs(ids), perUser)
}

func (s *Service) FindBookingsByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*boxoffice.Booking, error) {
	if err := validCount("limit", perEvent, boxoffice.MaxNestedBookings); err != nil {
		return nil, err
	}
	return s.store.FindBookingsByEventIDs(ctx, validIDs(ids), perEvent)
}
