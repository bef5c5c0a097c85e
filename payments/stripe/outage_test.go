package stripe_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/stripemock"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/payments/stripe"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// TestStripeOutage: stripe-mock is killed while buyers book, and started
// again on the same port. Booking never waits for Stripe: every hold is
// made, at once, throughout. The preparation jobs fail, the breaker
// opens (its metric says so) and refuses calls without trying, the jobs
// wait without spending their attempts, and once stripe-mock is back the
// breaker closes and every payment is prepared: no hold lost, no job left
// failed, and one PaymentIntent made per payment.
func TestStripeOutage(t *testing.T) {
	mock := stripemock.New(t)
	testdb.Each(t, func(t *testing.T, engine string) {
		mock.Reset()
		s := newShop(t, engine, mock, shopOptions{
			stripe: stripe.Config{Failures: 3, CoolDown: 500 * time.Millisecond, CallTimeout: 2 * time.Second},
			jobs:   jobs.Config{AttemptsOf: map[string]int{service.PreparePaymentJob{}.Kind(): 3}},
		})
		ctx := t.Context()
		breaker := func(state string) bool {
			return scrape(t, s.metrics, fmt.Sprintf(`boxoffice_payment_provider_breaker_state{provider="stripe",state=%q}`, state)) == "1"
		}
		buyers := make([]*boxoffice.User, 8)
		for i := range buyers {
			buyers[i] = storetest.MustCreateUser(t, s.store, fmt.Sprintf("buyer%d", i))
		}
		events := []*boxoffice.Event{storetest.MustCreateEvent(t, s.store, 100, time.Hour), storetest.MustCreateEvent(t, s.store, 100, time.Hour)}
		var mu sync.Mutex
		var held []*boxoffice.Booking
		book := func(n int) time.Duration {
			start := time.Now()
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					u := buyers[i%len(buyers)]
					b, err := s.svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: events[i%2].ID, Tickets: 1})
					if err != nil {
						t.Errorf("booking %d: %v", i, err)
						return
					}
					mu.Lock()
					held = append(held, b)
					mu.Unlock()
				})
			}
			wg.Wait()
			return time.Since(start)
		}

		book(10)
		stripemock.WaitFor(t, 30*time.Second, "the first PaymentIntents", func() bool { return len(creates(mock)) == 10 })
		if !breaker(stripe.BreakerClosed) {
			t.Fatal("the breaker is not closed while Stripe answers")
		}

		mock.Stop()
		// Holds go on at once while Stripe is down: 40 buyers, in rounds,
		// while the jobs fail and the breaker opens.
		for round := range 4 {
			if took := book(10); took > 10*time.Second {
				t.Errorf("round %d of bookings with Stripe down took %v: booking waits on Stripe", round, took)
			}
			time.Sleep(100 * time.Millisecond)
		}
		stripemock.WaitFor(t, 30*time.Second, "the breaker opening", func() bool { return !breaker(stripe.BreakerClosed) })
		stripemock.WaitFor(t, 30*time.Second, "calls refused by the open breaker", func() bool {
			shed := scrape(t, s.metrics, `boxoffice_payment_provider_calls_total{call="create_payment_intent",outcome="shed",provider="stripe"}`)
			return shed != "" && shed != "0"
		})
		// Outage time passes, many times the jobs' retry delay: they wait
		// for the breaker, spending no attempt (they have 3 here).
		time.Sleep(3 * time.Second)
		if got := len(creates(mock)); got != 10 {
			t.Fatalf("%d PaymentIntents made with Stripe down, want the 10 from before", got)
		}
		failed, err := s.queue.Failed(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range failed {
			if j.State == "discarded" || j.Attempt > 2 {
				t.Errorf("job %d (%s) during the outage: %s after %d attempts: attempts spent waiting for Stripe", j.ID, j.Kind, j.State, j.Attempt)
			}
		}

		mock.Start()
		stripemock.WaitFor(t, 60*time.Second, "every payment prepared after the outage", func() bool {
			for _, b := range held {
				if s.payment(t, b.ID).ProviderRef == "" {
					return false
				}
			}
			return true
		})
		stripemock.WaitFor(t, 10*time.Second, "the breaker closing", func() bool { return breaker(stripe.BreakerClosed) })

		if len(held) != 50 {
			t.Fatalf("%d holds made, want 50", len(held))
		}
		made := creates(mock)
		for _, b := range held {
			got, p := s.booking(t, b.ID), s.payment(t, b.ID)
			if got.Status != boxoffice.BookingPending || p.Status != boxoffice.PaymentRequired {
				t.Errorf("hold %s after the outage: %s, payment %s", b.ID, got.Status, p.Status)
			}
			if rs := made[p.ID]; len(rs) != 1 || rs[0].ID != p.ProviderRef {
				t.Errorf("payment %s: %d PaymentIntents made (%+v), want one, %s", p.ID, len(rs), rs, p.ProviderRef)
			}
		}
		if len(made) != 50 {
			t.Errorf("PaymentIntents made for %d payments, want 50", len(made))
		}
		storetest.WantAvailable(t, s.store, events[0].ID, 75)
		storetest.WantAvailable(t, s.store, events[1].ID, 75)
		if failed, err := s.queue.Failed(ctx, 100); err != nil || len(failed) != 0 {
			t.Errorf("jobs left failed after the outage: %+v, %v", failed, err)
		}
		storetest.AssertInvariants(t, s.store)
	})
}
