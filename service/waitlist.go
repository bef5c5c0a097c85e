package service

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Waitlist implements boxoffice.WaitlistService, and serves the waiting
// lists (Serve) from the periodic job that expires holds.
type Waitlist struct {
	*base
	// terms are the offers': held for the offer's TTL where there is
	// something to pay, as any hold is paid.
	terms boxoffice.BookingTerms
}

var _ boxoffice.WaitlistService = (*Waitlist)(nil)

// DefaultOfferTTL is Options.OfferTTL's default: WAITLIST_OFFER_TTL.
const DefaultOfferTTL = 2 * time.Hour

func (s *Waitlist) JoinWaitlist(ctx context.Context, eventID string, n int) (*boxoffice.WaitlistEntry, error) {
	if err := validID("eventId", eventID); err != nil {
		return nil, err
	}
	if err := validCount("numberOfTickets", n, boxoffice.MaxTicketsPerBooking); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if err := boxoffice.CanJoinWaitlist(c); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	w := &boxoffice.WaitlistEntry{ID: boxoffice.NewID(), EventID: eventID, UserID: c.UserID, NumberOfTickets: n,
		CreatedAt: now, UpdatedAt: now}
	if err := s.store.Waitlist().Join(ctx, w, now); err != nil {
		return nil, err
	}
	return s.store.Waitlist().ByID(ctx, w.ID) // with its position
}

func (s *Waitlist) LeaveWaitlist(ctx context.Context, id string) (*boxoffice.WaitlistEntry, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanLeaveWaitlist(c, &boxoffice.WaitlistEntry{})
	}
	w, err := s.store.Waitlist().ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanLeaveWaitlist(c, w); err != nil {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "waiting-list entry not found") // not theirs: not there
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	return s.store.Waitlist().Leave(ctx, id, s.now())
}

func (s *Waitlist) MyWaitlist(ctx context.Context) ([]*boxoffice.WaitlistEntry, error) {
	c := caller(ctx)
	if err := boxoffice.CanJoinWaitlist(c); err != nil {
		return nil, err
	}
	return s.store.Waitlist().ByUser(ctx, c.UserID)
}

func (s *Waitlist) Waitlist(ctx context.Context, eventID string) ([]*boxoffice.WaitlistEntry, error) {
	if err := validID("eventId", eventID); err != nil {
		return nil, err
	}
	ev, err := s.store.Events().ByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanReadWaitlist(caller(ctx), ev); err != nil {
		return nil, err
	}
	return s.store.Waitlist().ByEvent(ctx, eventID)
}

// Serve offers the tickets free on events with people waiting, until no
// more can be offered, and returns how many entries it offered tickets.
func (s *Waitlist) Serve(ctx context.Context) (int, error) {
	total := 0
	for {
		offered, err := s.store.Waitlist().Serve(ctx, s.terms, s.now())
		total += len(offered)
		if err != nil || len(offered) == 0 {
			return total, err
		}
	}
}
