package service

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// MaxTopEvents bounds popularEvents and upcomingEvents.
const MaxTopEvents = boxoffice.MaxLimit

func (s *Service) FindEventByID(ctx context.Context, id string) (*boxoffice.Event, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	return s.store.FindEventByID(ctx, id)
}

func (s *Service) FindEvents(ctx context.Context, f boxoffice.EventFilter) ([]*boxoffice.Event, int, error) {
	if err := f.Page.Validate(); err != nil {
		return nil, 0, err
	}
	return s.store.FindEvents(ctx, f)
}

func (s *Service) FindEventsByIDs(ctx context.Context, ids []string) ([]*boxoffice.Event, error) {
	return s.store.FindEventsByIDs(ctx, validIDs(ids))
}

func (s *Service) PopularEvents(ctx context.Context, limit int) ([]*boxoffice.Event, error) {
	if err := validCount("limit", limit, MaxTopEvents); err != nil {
		return nil, err
	}
	return s.store.PopularEvents(ctx, limit)
}

func (s *Service) UpcomingEvents(ctx context.Context, limit int) ([]*boxoffice.Event, error) {
	if err := validCount("limit", limit, MaxTopEvents); err != nil {
		return nil, err
	}
	return s.store.UpcomingEvents(ctx, s.now(), limit)
}

// CreateEvent: organizers and admins; the creator organizes the event.
func (s *Service) CreateEvent(ctx context.Context, e *boxoffice.Event) error {
	c := caller(ctx)
	if err := boxoffice.CanCreateEvent(c); err != nil {
		return err
	}
	e.AvailableTickets = e.TotalTickets
	if err := e.Validate(); err != nil {
		return err
	}
	now := s.now()
	if !e.Date.After(now) {
		return boxoffice.Invalidf("date", "date must be in the future")
	}
	if err := s.spendMutation(ctx); err != nil {
		return err
	}
	e.ID = boxoffice.NewID()
	e.OrganizerID = &c.UserID
	e.Version = 1
	e.CreatedAt, e.UpdatedAt = now, now
	return s.store.CreateEvent(ctx, e)
}

// UpdateEvent: the event's organizer and admins.
func (s *Service) UpdateEvent(ctx context.Context, id string, upd boxoffice.EventUpdate) (*boxoffice.Event, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	if upd.Date != nil && !upd.Date.After(s.now()) {
		return nil, boxoffice.Invalidf("date", "date must be in the future")
	}
	current, err := s.store.FindEventByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanUpdateEvent(caller(ctx), current); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	e, err := s.store.UpdateEvent(ctx, id, upd)
	if err == nil {
		s.soldOut.clear(id) // more tickets may be on sale now
	}
	return e, err
}
