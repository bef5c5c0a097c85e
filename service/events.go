package service

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// Events implements boxoffice.EventService.
type Events struct{ *base }

func (s *Events) FindEventByID(ctx context.Context, id string) (*boxoffice.Event, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	return s.store.Events().ByID(ctx, id)
}

func (s *Events) FindEvents(ctx context.Context, f boxoffice.EventFilter) ([]*boxoffice.Event, int, error) {
	if err := f.Page.Validate(); err != nil {
		return nil, 0, err
	}
	return s.store.Events().Find(ctx, f)
}

func (s *Events) FindEventsByIDs(ctx context.Context, ids []string) ([]*boxoffice.Event, error) {
	return s.store.Events().ByIDs(ctx, validIDs(ids))
}

func (s *Events) PopularEvents(ctx context.Context, limit int) ([]*boxoffice.Event, error) {
	if err := validCount("limit", limit, boxoffice.MaxTopEvents); err != nil {
		return nil, err
	}
	return s.store.Events().Popular(ctx, limit)
}

func (s *Events) UpcomingEvents(ctx context.Context, limit int) ([]*boxoffice.Event, error) {
	if err := validCount("limit", limit, boxoffice.MaxTopEvents); err != nil {
		return nil, err
	}
	return s.store.Events().Upcoming(ctx, s.now(), limit)
}

// CreateEvent: organizers and admins; the creator organizes the event. An
// event given ticket types gets its totals and price from them, and they
// are inserted with it, in one transaction.
func (s *Events) CreateEvent(ctx context.Context, e *boxoffice.Event) error {
	c := caller(ctx)
	if err := boxoffice.CanCreateEvent(c); err != nil {
		return err
	}
	e.ID = boxoffice.NewID()
	if len(e.TicketTypes) > 0 {
		for _, t := range e.TicketTypes {
			t.ID = boxoffice.NewID()
		}
		if err := e.SetTicketTypes(e.TicketTypes); err != nil { // the event's totals and price are theirs
			return err
		}
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
	e.OrganizerID = &c.UserID
	e.Version = 1
	e.CreatedAt, e.UpdatedAt = now, now
	return s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		if err := tx.Events().Create(ctx, e); err != nil {
			return nil, err
		}
		return []*boxoffice.Change{{Kind: boxoffice.ChangeEventCreated, At: now, ActorID: c.UserID, EventID: e.ID}}, nil
	})
}

// UpdateEvent: the event's organizer and admins. The event is locked while
// the update is judged against it (boxoffice.EventUpdate.Apply) and saved,
// with its change.
func (s *Events) UpdateEvent(ctx context.Context, id string, upd boxoffice.EventUpdate) (*boxoffice.Event, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	if upd.Date != nil && !upd.Date.After(s.now()) {
		return nil, boxoffice.Invalidf("date", "date must be in the future")
	}
	c := caller(ctx)
	current, err := s.store.Events().ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanUpdateEvent(c, current); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	var next *boxoffice.Event
	err = s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		returned := 0
		var err error
		next, err = tx.Events().Update(ctx, id, func(current *boxoffice.Event) (*boxoffice.Event, error) {
			next, err := upd.Apply(current)
			if err == nil {
				returned = max(next.AvailableTickets-current.AvailableTickets, 0)
			}
			return next, err
		})
		if err != nil {
			return nil, err
		}
		return []*boxoffice.Change{{Kind: boxoffice.ChangeEventUpdated, At: next.UpdatedAt, ActorID: c.UserID,
			EventID: next.ID, TicketsReturned: returned}}, nil
	})
	return next, err
}
