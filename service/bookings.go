package service

import (
	"context"
	"sync"

	"github.com/boxoffice/boxoffice"
)

// Bookings implements boxoffice.BookingService.
type Bookings struct {
	*base
	batcher  *Batcher
	soldOut  *soldOutSet
	payments boxoffice.PaymentProvider // nil: bookings are confirmed at once
	terms    boxoffice.BookingTerms
	// sweeping is held by the ExpireHolds running on this server: the
	// periodic job fires every second, and a sweep of many holds lasts
	// longer; sweeps side by side would only queue on the same events'
	// locks and scan the same holds.
	sweeping sync.Mutex
}

// CreateBooking validates the request and hands it to the batcher, which
// decides it in a transaction shared with the other requests waiting then.
// An event seen sold out is refused at once, without a transaction.
//
// A caller whose token is still to be checked (Caller.Token) has it
// checked in that transaction, with the buyer's row, when booking for
// itself. Otherwise, and before any refusal other than bad input, it is
// checked at once: a revoked token is told UNAUTHENTICATED, as it would
// have been at the door.
func (s *Bookings) CreateBooking(ctx context.Context, req boxoffice.BookingRequest) (*boxoffice.Booking, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	c := caller(ctx)
	req.IdempotencyKey = boxoffice.IdempotencyKeyFromContext(ctx)
	if c.Token != nil && (c.UserID != req.UserID || req.IdempotencyKey != "") {
		// Booking for someone else takes the caller's role, and a retry
		// may be answered with the first attempt's booking: check now.
		var err error
		if c, err = c.Token.Now(ctx); err != nil {
			return nil, err
		}
	}
	if err := boxoffice.CanBookFor(c, req.UserID); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, checkedFirst(ctx, c, err)
	}
	if s.soldOut.has(req.EventID) {
		s.metrics.SoldOutRefused()
		return nil, checkedFirst(ctx, c, errSoldOut)
	}
	req.ActorID = c.UserID
	if c.Token != nil {
		req.TokenVersion = &c.Token.Version
	}
	r := s.batcher.Book(ctx, req)
	if c.Token != nil {
		tokenChecked(ctx, c.Token, r)
	}
	if code := boxoffice.ErrorCode(r.Err); (code == "" || code == boxoffice.ESOLDOUT) && r.Remaining == 0 {
		s.soldOut.mark(req.EventID)
	}
	return r.Booking, r.Err
}

// checkedFirst returns err, unless c's token is still to be checked and
// turns out revoked: then that.
func checkedFirst(ctx context.Context, c boxoffice.Caller, err error) error {
	if c.Token != nil {
		if _, terr := c.Token.Now(ctx); terr != nil {
			return terr
		}
	}
	return err
}

// tokenChecked tells a token's check what the booking's transaction found.
// A booking made means the token is current, and its buyer as read there
// gives the caller their role. ErrTokenRevoked means it is not: the user
// is read once more, so that the server remembers the current version and
// refuses the token at the door from then on. Other refusals leave it
// unchecked, and the request ends with them.
func tokenChecked(ctx context.Context, t *boxoffice.TokenCheck, r boxoffice.BookingResult) {
	switch {
	case r.Booking != nil && r.Booking.User != nil:
		t.Passed(r.Booking.User)
	case boxoffice.ErrorCode(r.Err) == boxoffice.EUNAUTHENTICATED: // only ErrTokenRevoked
		_, _ = t.Now(ctx)
		t.Refused() // the answer is UNAUTHENTICATED, whatever that read found
	}
}

// bookBatch is the batcher's BookFunc: Store.BookBatch under the service's
// terms and, with a provider that prepares payments (Stripe), the holds'
// preparation jobs in the same transaction. One commit for the batch: a
// transaction of its own for each hold's job took an on-sale's holds per
// second from 6,940 to 1,533 (60,000 buyers, stripe-mock, one run each).
func (s *Bookings) bookBatch(ctx context.Context, reqs []boxoffice.BookingRequest, skipLocked bool) ([]boxoffice.BookingResult, error) {
	terms := s.terms
	terms.SkipLocked = skipLocked
	if _, none := s.jobs.(noJobs); s.preparer() == nil || none {
		return s.store.Bookings().BookBatch(ctx, reqs, terms)
	}
	var results []boxoffice.BookingResult
	err := s.store.InTx(ctx, func(tx boxoffice.Tx) error {
		var err error
		if results, err = tx.Bookings().BookBatch(ctx, reqs, terms); err != nil {
			return err
		}
		if jobs := preparations(results); len(jobs) > 0 {
			return s.jobs.EnqueueTx(ctx, tx, jobs...)
		}
		return nil
	})
	return results, err
}

var errSoldOut = boxoffice.Errorf(boxoffice.ESOLDOUT, "event is sold out")

// CancelBooking gives the tickets back, at once and through every server;
// a paid booking is refunded in full, by a job. The buyer until the event
// starts; the event's organizer and admins at any time
// (boxoffice.CanCancelBooking).
func (s *Bookings) CancelBooking(ctx context.Context, id string) (*boxoffice.Booking, error) {
	c, current, err := s.allowed(ctx, id, boxoffice.CanCancelBooking)
	if err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	staff := !c.Is(current.UserID) || c.Role == boxoffice.RoleAdmin
	now := s.now()
	var b *boxoffice.Booking
	err = s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		var err error
		if b, err = tx.Bookings().Update(ctx, id, func(b *boxoffice.Booking) error { return b.Cancel(now, staff) }); err != nil {
			return nil, err
		}
		cancelled := &boxoffice.Change{Kind: boxoffice.ChangeBookingCancelled, At: now, ActorID: c.UserID,
			UserID: b.UserID, EventID: b.EventID, BookingID: b.ID, TicketsReturned: b.NumberOfTickets}
		p, err := paymentOf(ctx, tx, b.ID)
		if err != nil {
			return nil, err
		}
		if p != nil && p.Status == boxoffice.PaymentSucceeded {
			cancelled.Detail = "paid: refunding " + money(p.AmountCents-p.RefundedCents, p.Currency)
			if err := s.jobs.EnqueueTx(ctx, tx, RefundJob{PaymentID: p.ID}); err != nil {
				return nil, err
			}
		}
		return []*boxoffice.Change{cancelled}, nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// bookingPolicy is a boxoffice policy on one booking, such as
// boxoffice.CanCancelBooking.
type bookingPolicy func(boxoffice.Caller, *boxoffice.Booking, *boxoffice.Event) error

// allowed reads booking id for the caller, if allow lets them have it:
// the caller, the booking, or allow's error (ENOTFOUND for a booking they
// may not see, as for one that does not exist). An anonymous caller is
// refused before the lookup, so that ids reveal nothing. The booking's
// event is read only for an organizer who did not make it: only then does
// the event matter to the policy.
func (s *Bookings) allowed(ctx context.Context, id string, allow bookingPolicy) (boxoffice.Caller, *boxoffice.Booking, error) {
	if err := validID("id", id); err != nil {
		return boxoffice.Caller{}, nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return c, nil, allow(c, nil, nil)
	}
	b, err := s.store.Bookings().ByID(ctx, id)
	if err != nil {
		return c, nil, err
	}
	var event *boxoffice.Event
	if c.Role == boxoffice.RoleOrganizer && !c.Is(b.UserID) {
		if event, err = s.store.Events().ByID(ctx, b.EventID); err != nil {
			return c, nil, err
		}
	}
	if err := allow(c, b, event); err != nil {
		return c, nil, err
	}
	return c, b, nil
}

// paymentOf reads a booking's payment in tx; nil if it has none.
func paymentOf(ctx context.Context, tx boxoffice.Tx, bookingID string) (*boxoffice.Payment, error) {
	ps, err := tx.Payments().ByBookingIDs(ctx, []string{bookingID})
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return ps[0], nil
}

// FindBookingByID: the buyer, the event's organizer and admins; for anyone
// else ENOTFOUND (boxoffice.CanReadBooking).
func (s *Bookings) FindBookingByID(ctx context.Context, id string) (*boxoffice.Booking, error) {
	_, b, err := s.allowed(ctx, id, boxoffice.CanReadBooking)
	return b, err
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

// FindPaymentsByBookingIDs loads payments in batches for Booking.payment;
// the GraphQL layer shows them with the booking they belong to.
func (s *Bookings) FindPaymentsByBookingIDs(ctx context.Context, ids []string) ([]*boxoffice.Payment, error) {
	return s.store.Payments().ByBookingIDs(ctx, validIDs(ids))
}

// FindChangesByBookingIDs loads histories in batches for Booking.history.
func (s *Bookings) FindChangesByBookingIDs(ctx context.Context, ids []string) ([]*boxoffice.Change, error) {
	return s.store.Changes().ByBookingIDs(ctx, validIDs(ids))
}
