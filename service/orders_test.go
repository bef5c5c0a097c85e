package service_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/payments/testpay"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// shop is the services with the test payment provider and a working job
// queue, on one engine: orders as a server takes them.
type shop struct {
	store testdb.Engine
	svc   *service.Services
	pay   boxoffice.PaymentProvider
}

func newShop(t *testing.T, engine string, hold time.Duration, pay boxoffice.PaymentProvider) *shop {
	t.Helper()
	store := testdb.Migrated(t, engine)
	q := testdb.Queue(t, store, jobs.Config{Expire: 200 * time.Millisecond,
		AttemptsOf: map[string]int{service.RefundJob{}.Kind(): 5}})
	if pay == nil {
		pay = testpay.New()
	}
	svc := service.New(store, service.Options{Payments: pay, Hold: hold, Jobs: q, Limits: &service.Limits{}})
	t.Cleanup(svc.Close) // after the queue stops (cleanups run last first)
	if err := q.Work(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	return &shop{store: store, svc: svc, pay: pay}
}

func as(ctx context.Context, u *boxoffice.User) context.Context {
	return boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: u.ID, Role: u.Role})
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

func (s *shop) booking(t *testing.T, id string) *boxoffice.Booking {
	t.Helper()
	return storetest.MustFindBooking(t, s.store, id)
}

func (s *shop) payment(t *testing.T, bookingID string) *boxoffice.Payment {
	t.Helper()
	ps, err := s.store.Payments().ByBookingIDs(t.Context(), []string{bookingID})
	if err != nil || len(ps) != 1 {
		t.Fatalf("payment of %s: %v, %v", bookingID, ps, err)
	}
	return ps[0]
}

func (s *shop) history(t *testing.T, b *boxoffice.Booking) []string {
	t.Helper()
	changes, err := s.store.Changes().ByBookingIDs(t.Context(), []string{b.ID})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range boxoffice.History(b, changes) {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// TestHoldsExpireAndSellAgain: 300 buyers race for 50 tickets with holds:
// exactly 50 PENDING; nobody pays, all 50 expire, and the 50 tickets are
// booked again.
func TestHoldsExpireAndSellAgain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		s := newShop(t, engine, 2*time.Second, nil)
		ctx := t.Context()
		buyers := make([]*boxoffice.User, 20)
		for i := range buyers {
			buyers[i] = storetest.MustCreateUser(t, s.store, fmt.Sprintf("buyer%02d", i))
		}
		ev := storetest.MustCreateEvent(t, s.store, 50, time.Hour)

		race := func(n int) (held []*boxoffice.Booking, soldOut int) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					u := buyers[i%len(buyers)]
					b, err := s.svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						held = append(held, b)
					case boxoffice.ErrorCode(err) == boxoffice.ESOLDOUT:
						soldOut++
					default:
						t.Errorf("buyer %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			return held, soldOut
		}
		held, soldOut := race(300)
		if len(held) != 50 || soldOut != 250 {
			t.Fatalf("300 buyers for 50 tickets: %d held, %d sold out", len(held), soldOut)
		}
		for _, b := range held {
			if b.Status != boxoffice.BookingPending || b.ExpiresAt == nil || b.Payment == nil || b.Payment.Status != boxoffice.PaymentRequired {
				t.Fatalf("a hold: %+v", b)
			}
		}
		storetest.WantAvailable(t, s.store, ev.ID, 0)
		storetest.AssertInvariants(t, s.store)

		eventually(t, 20*time.Second, "every hold expired", func() bool {
			return storetest.MustFindEvent(t, s.store, ev.ID).AvailableTickets == 50
		})
		for _, b := range held {
			got := s.booking(t, b.ID)
			if got.Status != boxoffice.BookingExpired {
				t.Errorf("booking %s: %s, want EXPIRED", b.ID, got.Status)
			}
			if h := s.history(t, got); len(h) != 2 || h[0] != "CREATED" || h[1] != "EXPIRED" {
				t.Errorf("history of an expired hold: %v", h)
			}
		}
		storetest.AssertInvariants(t, s.store)

		again, soldOut := race(80)
		if len(again) != 50 || soldOut != 30 {
			t.Fatalf("after the expiry, 80 buyers: %d held, %d sold out; want 50 and 30", len(again), soldOut)
		}
		storetest.AssertInvariants(t, s.store)
	})
}

// TestPayingWithTheTestCards: a declined card leaves the hold, with its
// payment FAILED; the good card then confirms it. Both answers arrive as
// the provider's events, through the job queue.
func TestPayingWithTheTestCards(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		s := newShop(t, engine, time.Minute, nil)
		ctx := t.Context()
		u := storetest.MustCreateUser(t, s.store, "ann")
		other := storetest.MustCreateUser(t, s.store, "bob")
		ev := storetest.MustCreateEvent(t, s.store, 10, time.Hour) // 25.00 a ticket
		b, err := s.svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 2})
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != boxoffice.BookingPending || b.TotalCents != 5000 || b.UnitPriceCents != 2500 || b.Currency != "EUR" {
			t.Fatalf("hold: %+v", b)
		}
		_, err = s.svc.Bookings.PayBooking(as(ctx, other), b.ID, testpay.CardPays)
		storetest.WantCode(t, err, boxoffice.ENOTFOUND) // not theirs
		_, err = s.svc.Bookings.PayBooking(as(ctx, u), b.ID, "1234")
		storetest.WantCode(t, err, boxoffice.EINVALID)

		got, err := s.svc.Bookings.PayBooking(as(ctx, u), b.ID, testpay.CardDeclined)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != boxoffice.BookingPending || s.payment(t, b.ID).Status != boxoffice.PaymentFailed {
			t.Fatalf("after a declined card: booking %s, payment %s; want PENDING and FAILED", got.Status, s.payment(t, b.ID).Status)
		}
		storetest.WantAvailable(t, s.store, ev.ID, 8)

		got, err = s.svc.Bookings.PayBooking(as(ctx, u), b.ID, testpay.CardPays)
		if err != nil {
			t.Fatal(err)
		}
		p := s.payment(t, b.ID)
		if got.Status != boxoffice.BookingConfirmed || got.ExpiresAt != nil || p.Status != boxoffice.PaymentSucceeded || p.AmountCents != 5000 {
			t.Fatalf("after the good card: booking %+v, payment %+v", got, p)
		}
		want := []string{"CREATED", "PAYMENT_FAILED", "PAID", "CONFIRMED"}
		if h := s.history(t, got); fmt.Sprint(h) != fmt.Sprint(want) {
			t.Errorf("history %v, want %v", h, want)
		}
		_, err = s.svc.Bookings.PayBooking(as(ctx, u), b.ID, testpay.CardPays)
		storetest.WantCode(t, err, boxoffice.ECONFLICT) // nothing left to pay
		storetest.WantAvailable(t, s.store, ev.ID, 8)
		storetest.AssertInvariants(t, s.store)
	})
}

// TestCancellingRefundsOnce: cancelling a paid booking gives its tickets
// back at once and refunds it in full by a job, whose retries never refund
// twice: the provider fails the first refund after making it, as a
// provider whose answer is lost would.
func TestCancellingRefundsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		pay := &lossyRefunds{Provider: testpay.New()}
		s := newShop(t, engine, time.Minute, pay)
		ctx := t.Context()
		u := storetest.MustCreateUser(t, s.store, "ann")
		ev := storetest.MustCreateEvent(t, s.store, 10, time.Hour)
		b, err := s.svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 3})
		if err != nil {
			t.Fatal(err)
		}
		if b, err = s.svc.Bookings.PayBooking(as(ctx, u), b.ID, testpay.CardPays); err != nil || b.Status != boxoffice.BookingConfirmed {
			t.Fatalf("pay: %+v, %v", b, err)
		}
		got, err := s.svc.Bookings.CancelBooking(as(ctx, u), b.ID)
		if err != nil || got.Status != boxoffice.BookingCancelled {
			t.Fatalf("cancel: %+v, %v", got, err)
		}
		storetest.WantAvailable(t, s.store, ev.ID, 10)
		eventually(t, 30*time.Second, "the refund", func() bool { return s.payment(t, b.ID).Status == boxoffice.PaymentRefunded })
		// The job's retry, and a refund job run again by hand, change nothing.
		if err := s.svc.Bookings.Refund(ctx, s.payment(t, b.ID).ID); err != nil {
			t.Fatal(err)
		}
		n, cents := pay.Refunded()
		if p := s.payment(t, b.ID); n != 1 || cents != 7500 || p.RefundedCents != 7500 || pay.calls.Load() < 2 {
			t.Errorf("refunds at the provider: %d for %d cents (over %d calls); payment %+v; want one of 7500", n, cents, pay.calls.Load(), p)
		}
		want := []string{"CREATED", "PAID", "CONFIRMED", "CANCELLED", "REFUNDED"}
		if h := s.history(t, s.booking(t, b.ID)); fmt.Sprint(h) != fmt.Sprint(want) {
			t.Errorf("history %v, want %v", h, want)
		}
		storetest.AssertInvariants(t, s.store)
	})
}

// lossyRefunds is the test provider, whose first refund is made but
// answered with an error.
type lossyRefunds struct {
	*testpay.Provider
	calls atomic.Int64
}

func (l *lossyRefunds) Refund(ctx context.Context, p *boxoffice.Payment, amount int64, key string) error {
	err := l.Provider.Refund(ctx, p, amount, key)
	if l.calls.Add(1) == 1 {
		return errors.New("the provider's answer was lost")
	}
	return err
}

// TestPaymentRacingExpiry: a payment's answer and the hold's expiry race,
// many times over; in some rounds the payment comes after the expiry, and
// a rival buyer has taken the tickets meanwhile or not. Exactly one of the
// two wins each time, and nobody is charged without tickets: a booking
// whose payment succeeded is CONFIRMED, or its payment is refunded in full.
func TestPaymentRacingExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		const rounds = 24
		const hold = 300 * time.Millisecond
		s := newShop(t, engine, hold, nil)
		ctx := t.Context()
		u := storetest.MustCreateUser(t, s.store, "ann")
		rival := storetest.MustCreateUser(t, s.store, "rita")
		type round struct {
			b    *boxoffice.Booking
			want string // "", either outcome; else the one expected
		}
		var played []round
		for i := range rounds {
			ev := storetest.MustCreateEvent(t, s.store, 2, time.Hour)
			b, err := s.svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 2})
			if err != nil {
				t.Fatal(err)
			}
			pay := func() {
				ev := boxoffice.PaymentEvent{Provider: testpay.Name, ID: fmt.Sprintf("race-%d", i), PaymentID: b.Payment.ID,
					Kind: boxoffice.PaymentEventSucceeded, AmountCents: b.TotalCents}
				if err := s.svc.Bookings.ApplyPaymentEvent(ctx, ev); err != nil {
					t.Error(err)
				}
			}
			expire := func() {
				if _, err := s.svc.Bookings.ExpireHolds(ctx); err != nil {
					t.Error(err)
				}
			}
			r := round{b: b}
			switch i % 3 {
			case 0: // the answer and the sweeper, at once, about when the hold runs out
				time.Sleep(hold - time.Duration(i%4)*10*time.Millisecond)
				var wg sync.WaitGroup
				wg.Go(pay)
				wg.Go(expire)
				wg.Wait()
			case 1: // expired, the tickets sold to another, then paid: refunded
				time.Sleep(hold)
				expire()
				if _, err := s.svc.Bookings.CreateBooking(as(ctx, rival), boxoffice.BookingRequest{UserID: rival.ID, EventID: ev.ID, Tickets: 2}); err != nil {
					t.Fatal(err)
				}
				pay()
				r.want = "refunded"
			case 2: // expired, then paid while the tickets are still free: confirmed late
				time.Sleep(hold)
				expire()
				pay()
				r.want = "confirmed"
			}
			played = append(played, r)
		}
		// Refunds run as jobs: wait until none is due.
		outcome := map[string]string{}
		eventually(t, 30*time.Second, "every payment settled", func() bool {
			for _, r := range played {
				got, p := s.booking(t, r.b.ID), s.payment(t, r.b.ID)
				switch {
				case got.Status == boxoffice.BookingConfirmed && p.Status == boxoffice.PaymentSucceeded:
					outcome[got.ID] = "confirmed"
				case got.Status == boxoffice.BookingExpired && p.Status == boxoffice.PaymentRefunded && p.RefundedCents == p.AmountCents:
					outcome[got.ID] = "refunded"
				case got.Status == boxoffice.BookingExpired && p.Status == boxoffice.PaymentSucceeded:
					return false // its refund is on its way
				default:
					t.Fatalf("booking %s %s with payment %s: neither outcome", got.ID, got.Status, p.Status)
				}
			}
			return true
		})
		counts := map[string]int{}
		for _, r := range played {
			counts[outcome[r.b.ID]]++
			if r.want != "" && outcome[r.b.ID] != r.want {
				t.Errorf("booking %s: %s, want %s", r.b.ID, outcome[r.b.ID], r.want)
			}
		}
		t.Logf("%d rounds: %v", rounds, counts)
		storetest.AssertInvariants(t, s.store)
	})
}

// TestDiscardedRefundRetriedByHand: a refund whose attempts run out is
// kept as discarded, listed among the failed jobs (what `boxoffice jobs`
// prints), and refunds once when an operator retries it after the
// provider is fixed.
func TestDiscardedRefundRetriedByHand(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		store := testdb.Migrated(t, engine)
		pay := &brokenRefunds{Provider: testpay.New()}
		pay.broken.Store(true)
		q := testdb.Queue(t, store, jobs.Config{Expire: time.Hour,
			AttemptsOf: map[string]int{service.RefundJob{}.Kind(): 2},
			RetryDelay: func(int) time.Duration { return 10 * time.Millisecond }})
		svc := service.New(store, service.Options{Payments: pay, Hold: time.Minute, Jobs: q, Limits: &service.Limits{}})
		t.Cleanup(svc.Close)
		if err := q.Work(t.Context(), svc); err != nil {
			t.Fatal(err)
		}
		s := &shop{store: store, svc: svc, pay: pay}
		ctx := t.Context()
		u := storetest.MustCreateUser(t, store, "ann")
		ev := storetest.MustCreateEvent(t, store, 10, time.Hour)
		b, err := svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 2})
		if err == nil {
			b, err = svc.Bookings.PayBooking(as(ctx, u), b.ID, testpay.CardPays)
		}
		if err == nil {
			_, err = svc.Bookings.CancelBooking(as(ctx, u), b.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		var refund jobs.Job
		eventually(t, 30*time.Second, "the refund job discarded", func() bool {
			failed, err := q.Failed(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range failed {
				if j.Kind == (service.RefundJob{}).Kind() && j.State == "discarded" {
					refund = j
					return true
				}
			}
			return false
		})
		if refund.Attempt != 2 || len(refund.Errors) != 2 || s.payment(t, b.ID).Status == boxoffice.PaymentRefunded {
			t.Fatalf("discarded refund %+v, payment %+v: want 2 attempts, 2 errors, not refunded", refund, s.payment(t, b.ID))
		}
		pay.broken.Store(false)
		if _, err := q.Retry(ctx, refund.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "the refund after the retry", func() bool { return s.payment(t, b.ID).Status == boxoffice.PaymentRefunded })
		if n, cents := pay.Refunded(); n != 1 || cents != 5000 {
			t.Errorf("refunds at the provider: %d for %d cents, want 1 for %d", n, cents, 5000)
		}
		if failed, err := q.Failed(ctx, 10); err != nil || len(failed) != 0 {
			t.Errorf("failed jobs after the retry: %+v, %v; want none", failed, err)
		}
	})
}

// brokenRefunds is the test provider whose refunds fail while broken.
type brokenRefunds struct {
	*testpay.Provider
	broken atomic.Bool
}

func (p *brokenRefunds) Refund(ctx context.Context, pm *boxoffice.Payment, amount int64, key string) error {
	if p.broken.Load() {
		return errors.New("the provider is down")
	}
	return p.Provider.Refund(ctx, pm, amount, key)
}
