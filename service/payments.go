package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/boxoffice/boxoffice"
)

// errPaymentsOff answers payBooking when nothing is to be paid.
var errPaymentsOff = boxoffice.Errorf(boxoffice.ECONFLICT, "payments are off (PAYMENT_PROVIDER=none): bookings are confirmed at once")

// payAnswerWait bounds how long PayBooking waits for the provider's answer
// before it returns the booking with its payment PROCESSING.
const payAnswerWait = 5 * time.Second

// PayBooking submits the buyer's card for a held booking, then waits, a
// little, for the provider's answer, which arrives as a PaymentEvent like
// a webhook: CONFIRMED, or the payment FAILED and the hold stays.
func (s *Bookings) PayBooking(ctx context.Context, id, card string) (*boxoffice.Booking, error) {
	_, b, err := s.allowed(ctx, id, boxoffice.CanPayBooking)
	if err != nil {
		return nil, err
	}
	if s.payments == nil {
		return nil, errPaymentsOff
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	if err := payable(b, nil); err != nil {
		return nil, err
	}
	p, err := s.store.Payments().ByBookingIDs(ctx, []string{b.ID})
	if err != nil || len(p) == 0 {
		return nil, errors.Join(err, boxoffice.Errorf(boxoffice.ECONFLICT, "nothing to pay"))
	}
	// The provider first, outside any transaction; its answer is delivered
	// once this claim commits, never twice for one payment at a time.
	answer, ok, err := s.payments.Pay(ctx, p[0], card)
	if err != nil || !ok {
		return b, err
	}
	err = s.store.InTx(ctx, func(tx boxoffice.Tx) error {
		_, err := tx.Bookings().Update(ctx, id, func(b *boxoffice.Booking) error {
			p, err := paymentOf(ctx, tx, b.ID)
			if err != nil {
				return err
			}
			if err := payable(b, p); err != nil {
				return err
			}
			p.Status, p.UpdatedAt = boxoffice.PaymentProcessing, s.now()
			return tx.Payments().Save(ctx, p)
		})
		if err != nil {
			return err
		}
		return s.jobs.EnqueueTx(ctx, tx, DeliverPaymentEventJob{Event: *answer})
	})
	if err != nil {
		return nil, err
	}
	return s.awaitAnswer(ctx, p[0].ID, b.ID)
}

// payable says whether a booking (and its payment, if read) can be paid.
func payable(b *boxoffice.Booking, p *boxoffice.Payment) error {
	switch b.Status {
	case boxoffice.BookingPending:
	case boxoffice.BookingExpired:
		return boxoffice.Errorf(boxoffice.ECONFLICT, "the hold has expired: book again")
	default:
		return boxoffice.Errorf(boxoffice.ECONFLICT, "booking is %s: nothing to pay", b.Status)
	}
	if p == nil {
		return nil
	}
	switch p.Status {
	case boxoffice.PaymentRequired, boxoffice.PaymentFailed:
		return nil
	case boxoffice.PaymentProcessing:
		return boxoffice.Errorf(boxoffice.ECONFLICT, "a payment is under way: wait for its answer")
	}
	return boxoffice.Errorf(boxoffice.ECONFLICT, "booking is paid")
}

// awaitAnswer polls the payment until the provider's answer has been
// applied, or payAnswerWait passes, and returns the booking as it is then.
func (s *Bookings) awaitAnswer(ctx context.Context, paymentID, bookingID string) (*boxoffice.Booking, error) {
	deadline := time.Now().Add(payAnswerWait)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		p, err := s.store.Payments().ByID(ctx, paymentID)
		if err != nil {
			return nil, err
		}
		if p.Status != boxoffice.PaymentProcessing || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
	return s.store.Bookings().ByID(ctx, bookingID)
}

// ApplyPaymentEvent applies a provider's answer, once however often it is
// delivered (PaymentStore.FirstDelivery), in one transaction with the
// booking locked, so that it and the hold's expiry cannot both win:
//   - succeeded: the payment SUCCEEDED and the booking CONFIRMED; a hold
//     that expired meanwhile is confirmed if its tickets are still free,
//     and otherwise, like a cancelled booking, refunded by a job: nobody
//     pays without tickets;
//   - failed: the payment FAILED; the hold stays, to pay again;
//   - refunded: the payment REFUNDED; a confirmed booking is cancelled.
func (s *Bookings) ApplyPaymentEvent(ctx context.Context, ev boxoffice.PaymentEvent) error {
	p, err := s.paymentOfEvent(ctx, ev)
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		s.log.WarnContext(ctx, "payment event for no payment of ours: ignored", "provider", ev.Provider, "event", ev.ID)
		return nil
	} else if err != nil {
		return err
	}
	now := s.now()
	return s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		first, err := tx.Payments().FirstDelivery(ctx, ev.Provider, ev.ID, now)
		if err != nil || !first {
			return nil, err
		}
		var changes []*boxoffice.Change
		var refund bool
		_, err = tx.Bookings().Update(ctx, p.BookingID, func(b *boxoffice.Booking) error {
			p, err := paymentOf(ctx, tx, b.ID)
			if err != nil {
				return err
			}
			if p.ProviderRef == "" && ev.ProviderRef != "" && ev.Provider == p.Provider {
				// Prepared, but its reference was never recorded (the
				// server stopped in between): the refund needs it.
				p.ProviderRef = ev.ProviderRef
			}
			record := func(kind boxoffice.ChangeKind, detail string) *boxoffice.Change {
				c := &boxoffice.Change{Kind: kind, At: now, UserID: b.UserID, EventID: b.EventID, BookingID: b.ID, Detail: detail}
				changes = append(changes, c)
				return c
			}
			switch ev.Kind {
			case boxoffice.PaymentEventSucceeded:
				if p.Status == boxoffice.PaymentSucceeded || p.Status == boxoffice.PaymentRefunded {
					return nil // another event said so before
				}
				p.Status = boxoffice.PaymentSucceeded
				record(boxoffice.ChangeBookingPaid, money(p.AmountCents, p.Currency))
				late := b.Status == boxoffice.BookingExpired
				switch err := b.Confirm(now); {
				case err == nil && late:
					record(boxoffice.ChangeBookingConfirmed, "paid after the hold expired: its tickets were still free")
				case err == nil:
					record(boxoffice.ChangeBookingConfirmed, "")
				case boxoffice.ErrorCode(err) == boxoffice.ESOLDOUT || boxoffice.ErrorCode(err) == boxoffice.ECONFLICT:
					refund = true
					changes[len(changes)-1].Detail += "; " + boxoffice.ErrorMessage(err) + ": refunding"
				default:
					return err
				}
			case boxoffice.PaymentEventFailed:
				if p.Status == boxoffice.PaymentSucceeded || p.Status == boxoffice.PaymentRefunded {
					return nil
				}
				p.Status = boxoffice.PaymentFailed
				record(boxoffice.ChangeBookingPaymentFailed, ev.Detail)
			case boxoffice.PaymentEventRefunded:
				if p.Status == boxoffice.PaymentRefunded {
					return nil
				}
				p.Status, p.RefundedCents = boxoffice.PaymentRefunded, min(max(ev.AmountCents, p.RefundedCents), p.AmountCents)
				record(boxoffice.ChangeBookingRefunded, money(p.RefundedCents, p.Currency)+" refunded by the provider")
				if b.Status == boxoffice.BookingConfirmed {
					if err := b.Cancel(now, true); err != nil {
						return err
					}
					c := record(boxoffice.ChangeBookingCancelled, "refunded by the provider")
					c.TicketsReturned = b.NumberOfTickets
				}
			default:
				return fmt.Errorf("service: payment event of kind %q", ev.Kind)
			}
			p.UpdatedAt = now
			return tx.Payments().Save(ctx, p)
		})
		if err != nil {
			return nil, err
		}
		if refund {
			if err := s.jobs.EnqueueTx(ctx, tx, RefundJob{PaymentID: p.ID}); err != nil {
				return nil, err
			}
		}
		return changes, nil
	})
}

// paymentOfEvent finds the payment an event is about.
func (s *Bookings) paymentOfEvent(ctx context.Context, ev boxoffice.PaymentEvent) (*boxoffice.Payment, error) {
	if ev.PaymentID != "" {
		return s.store.Payments().ByID(ctx, ev.PaymentID)
	}
	return s.store.Payments().ByProviderRef(ctx, ev.Provider, ev.ProviderRef)
}

// Refund gives back what is left of a paid payment through its provider,
// then marks it REFUNDED. A job does it, and may retry it: the provider
// refunds once per key, and a payment already refunded is left alone.
func (s *Bookings) Refund(ctx context.Context, paymentID string) error {
	p, err := s.store.Payments().ByID(ctx, paymentID)
	if err != nil {
		return err
	}
	if p.Status != boxoffice.PaymentSucceeded || p.RefundedCents >= p.AmountCents {
		return nil // refunded already, or nothing was paid
	}
	if s.payments == nil || s.payments.Name() != p.Provider {
		return fmt.Errorf("service: refund of payment %s: its provider %q is not configured", p.ID, p.Provider)
	}
	amount := p.AmountCents - p.RefundedCents
	if err := s.payments.Refund(ctx, p, amount, "refund-"+p.ID); err != nil {
		return err
	}
	now := s.now()
	return s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		var changes []*boxoffice.Change
		_, err := tx.Bookings().Update(ctx, p.BookingID, func(b *boxoffice.Booking) error {
			p, err := paymentOf(ctx, tx, b.ID)
			if err != nil || p.Status == boxoffice.PaymentRefunded {
				return err
			}
			p.Status, p.RefundedCents, p.UpdatedAt = boxoffice.PaymentRefunded, p.AmountCents, now
			changes = append(changes, &boxoffice.Change{Kind: boxoffice.ChangeBookingRefunded, At: now, UserID: b.UserID,
				EventID: b.EventID, BookingID: b.ID, Detail: money(amount, p.Currency)})
			return tx.Payments().Save(ctx, p)
		})
		return changes, err
	})
}

// expireBatch bounds the holds one transaction of ExpireHolds expires.
// Measured on PostgreSQL with 100,000 holds running out at once, on a busy
// 2-core machine: 2,000 a transaction took 9.5 s in all, 5,000 took 5.5 s,
// 10,000 and 20,000 took longer again (15 s and more).
const expireBatch = 5000

// ExpireHolds expires every hold that has run out, in transactions of
// expireBatch, and reopens their events on this server at once (the others
// hear of it through the change feed). It returns how many it expired. A
// sweep running on this server is waited for first.
func (s *Bookings) ExpireHolds(ctx context.Context) (int, error) {
	s.sweeping.Lock()
	defer s.sweeping.Unlock()
	return s.expireHolds(ctx)
}

// expireHoldsUnlessRunning is ExpireHolds for the periodic job: while a
// sweep runs on this server it returns 0 at once, as that sweep goes on
// until no hold is left to expire, rather than hold a worker of the job
// queue waiting.
func (s *Bookings) expireHoldsUnlessRunning(ctx context.Context) (int, error) {
	if !s.sweeping.TryLock() {
		return 0, nil
	}
	defer s.sweeping.Unlock()
	return s.expireHolds(ctx)
}

func (s *Bookings) expireHolds(ctx context.Context) (int, error) {
	total := 0
	for {
		var expired []*boxoffice.Booking
		err := s.store.InTx(ctx, func(tx boxoffice.Tx) error {
			var err error
			expired, err = tx.Bookings().ExpireHolds(ctx, s.now(), expireBatch)
			// Reopened before the commit, not after: a buyer who sees a
			// hold EXPIRED must find its event open on this server. Were
			// the commit to fail, a request would only go to the batcher,
			// which decides from the database.
			for _, b := range expired {
				s.soldOut.clear(b.EventID)
			}
			return err
		})
		if err != nil {
			expired = nil
		}
		total += len(expired)
		if err != nil || len(expired) < expireBatch {
			return total, err
		}
	}
}

// money is an amount as people read it: "25.00 EUR".
func money(cents int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", cents/100, cents%100, currency)
}
