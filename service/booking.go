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

// CancelBooking gives the tickets back; the event is bookable again at once.
func (s *Service) CancelBooking(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	b, err := s.store.CancelBooking(ctx, id, s.now())
	if err == nil {
		s.soldOut.clear(b.EventID)
	}
	return b, err
}

func (s *Service) FindBookingByID(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	return s.store.FindBookingByID(ctx, id)
}

func (s *Service) FindBookings(ctx context.Context, f boxoffice.BookingFilter) ([]*boxoffice.Booking, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	return s.store.FindBookings(ctx, f)
}

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
