package stripe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/stripemock"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/metrics"
	"github.com/boxoffice/boxoffice/payments/stripe"
	"github.com/boxoffice/boxoffice/server"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// The payment flows, on each engine, with the real parts: the services
// on a real store, River working the jobs, the Stripe provider talking to
// stripe-mock (which checks every request), and the webhook route of a
// real server on a loopback port, to which the tests deliver events
// signed with the endpoint's secret, as Stripe would.

// shop is one server: services, job queue and HTTP server, on a store.
type shop struct {
	store   testdb.Engine
	svc     *service.Services
	queue   *jobs.Queue
	pay     *stripe.Provider
	metrics *metrics.Metrics
	mock    *stripemock.Mock
	url     string
	logs    *syncLog
}

type shopOptions struct {
	hold   time.Duration // default a minute
	stripe stripe.Config // the breaker's settings
	jobs   jobs.Config   // the queue's
	store  testdb.Engine // default a fresh database of the engine
	idle   bool          // do not work the jobs until work is called
}

func newShop(t *testing.T, engine string, mock *stripemock.Mock, o shopOptions) *shop {
	t.Helper()
	store := o.store
	if store == nil {
		store = testdb.Migrated(t, engine)
	}
	p, m, logs := newProvider(t, mock, o.stripe)
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	jc := o.jobs
	jc.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if jc.Expire == 0 {
		jc.Expire = 200 * time.Millisecond
	}
	if jc.RetryDelay == nil {
		jc.RetryDelay = func(int) time.Duration { return 200 * time.Millisecond }
	}
	q := testdb.Queue(t, store, jc)
	hold := o.hold
	if hold == 0 {
		hold = time.Minute
	}
	svc := service.New(store, service.Options{Payments: p, Hold: hold, Jobs: q, Limits: &service.Limits{}, Logger: log})
	t.Cleanup(svc.Close)
	s := &shop{store: store, svc: svc, queue: q, pay: p, metrics: m, mock: mock, logs: logs}
	if !o.idle {
		s.work(t)
	}
	srv := server.New(server.Config{
		GraphQL: http.NotFoundHandler(), IDE: http.NotFoundHandler(), Logger: log,
		Webhooks: []server.Webhook{{Provider: stripe.Name, Parse: p.ParseWebhook, Apply: svc.Bookings.ApplyPaymentEvent}},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	s.url = "http://" + ln.Addr().String()
	return s
}

// work starts working the jobs.
func (s *shop) work(t *testing.T) {
	t.Helper()
	if err := s.queue.Work(t.Context(), s.svc); err != nil {
		t.Fatal(err)
	}
}

func as(ctx context.Context, u *boxoffice.User) context.Context {
	return boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: u.ID, Role: u.Role})
}

// hold books tickets for u: a hold, with its payment to prepare.
func (s *shop) hold(t *testing.T, u *boxoffice.User, ev *boxoffice.Event, tickets int) *boxoffice.Booking {
	t.Helper()
	b, err := s.svc.Bookings.CreateBooking(as(t.Context(), u), boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: tickets})
	if err != nil {
		t.Fatalf("hold: %v", err)
	}
	if b.Status != boxoffice.BookingPending || b.Payment == nil || b.Payment.Provider != stripe.Name || b.Payment.ProviderRef != "" {
		t.Fatalf("a hold: %+v, payment %+v", b, b.Payment)
	}
	return b
}

func (s *shop) payment(t *testing.T, bookingID string) *boxoffice.Payment {
	t.Helper()
	ps, err := s.store.Payments().ByBookingIDs(context.Background(), []string{bookingID})
	if err != nil || len(ps) != 1 {
		t.Fatalf("payment of %s: %v, %v", bookingID, ps, err)
	}
	return ps[0]
}

func (s *shop) booking(t *testing.T, id string) *boxoffice.Booking {
	t.Helper()
	return storetest.MustFindBooking(t, s.store, id)
}

// prepared waits for the job to make b's PaymentIntent, and returns the
// payment then.
func (s *shop) prepared(t *testing.T, b *boxoffice.Booking) *boxoffice.Payment {
	t.Helper()
	var p *boxoffice.Payment
	stripemock.WaitFor(t, 30*time.Second, "the PaymentIntent of booking "+b.ID, func() bool {
		p = s.payment(t, b.ID)
		return p.ProviderRef != ""
	})
	return p
}

// asked is the buyer asking for b's client secret at once, as a web page
// does with the booking's answer: the payment is prepared then.
func (s *shop) asked(t *testing.T, u *boxoffice.User, b *boxoffice.Booking) *boxoffice.Payment {
	t.Helper()
	secret, err := s.svc.Bookings.PaymentClientSecret(as(t.Context(), u), b, b.Payment)
	if err != nil || secret == "" {
		t.Fatalf("the client secret of %s: %q, %v", b.ID, secret, err)
	}
	return s.payment(t, b.ID)
}

func (s *shop) history(t *testing.T, id string) []string {
	t.Helper()
	b := s.booking(t, id)
	changes, err := s.store.Changes().ByBookingIDs(context.Background(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range boxoffice.History(b, changes) {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// deliver posts an event to the webhook route, as Stripe does, and
// returns the status and the body.
func deliver(t *testing.T, url string, payload []byte, signature string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/stripe", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// deliverSigned delivers payload signed now with the endpoint's secret,
// and wants 200.
func (s *shop) deliverSigned(t *testing.T, payload []byte) {
	t.Helper()
	if status, body := deliver(t, s.url, payload, stripemock.Sign(payload, testWebhookSecret, time.Now())); status != http.StatusOK {
		t.Fatalf("delivery: %d %s\n%s", status, body, s.logs)
	}
}

// paid is Stripe's event that p was paid in full.
func paid(p *boxoffice.Payment) (string, []byte) {
	return stripemock.Event(stripe.EventSucceeded, stripemock.Intent(p.ProviderRef, p.ID, p.BookingID, p.AmountCents, p.AmountCents, "eur", "succeeded"))
}

func wantHistory(t *testing.T, s *shop, id string, want ...string) {
	t.Helper()
	if got := s.history(t, id); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("history of %s: %v, want %v", id, got, want)
	}
}

// creates returns the PaymentIntent creations stripe-mock accepted, by
// idempotency key.
func creates(mock *stripemock.Mock) map[string][]stripemock.Request {
	out := map[string][]stripemock.Request{}
	for _, r := range mock.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v1/payment_intents" && r.Status == http.StatusOK {
			out[r.IdempotencyKey] = append(out[r.IdempotencyKey], r)
		}
	}
	return out
}

// refunds returns the refunds stripe-mock accepted.
func refunds(mock *stripemock.Mock) []stripemock.Request {
	var out []stripemock.Request
	for _, r := range mock.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v1/refunds" && r.Status == http.StatusOK {
			out = append(out, r)
		}
	}
	return out
}

// TestPricedBookingCreatesPaymentIntent: a priced booking is held at once,
// and a job then makes its PaymentIntent, once: for the booking's total in
// cents, in its currency, with the booking's and the payment's ids as
// metadata and the payment's id as idempotency key. The client secret is
// the buyer's alone. A free booking is confirmed and calls nothing.
func TestPricedBookingCreatesPaymentIntent(t *testing.T) {
	mock := stripemock.New(t)
	testdb.Each(t, func(t *testing.T, engine string) {
		mock.Reset()
		s := newShop(t, engine, mock, shopOptions{})
		ctx := t.Context()
		u := storetest.MustCreateUser(t, s.store, "ann")
		other := storetest.MustCreateUser(t, s.store, "bob")
		ev := storetest.MustCreateEvent(t, s.store, 10, time.Hour) // 25.00 a ticket
		b := s.hold(t, u, ev, 2)
		if b.TotalCents != 5000 || b.Payment.AmountCents != 5000 || b.Payment.Status != boxoffice.PaymentRequired {
			t.Fatalf("hold %+v, payment %+v", b, b.Payment)
		}
		p := s.prepared(t, b)
		made := creates(mock)
		if len(made) != 1 || len(made[p.ID]) != 1 {
			t.Fatalf("PaymentIntents made: %+v; want one, keyed %s", made, p.ID)
		}
		r := made[p.ID][0]
		for k, v := range map[string]string{"amount": "5000", "currency": "eur", "metadata[booking_id]": b.ID, "metadata[payment_id]": p.ID} {
			if got := r.Form.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if r.ID != p.ProviderRef || p.ClientSecret == "" || p.Status != boxoffice.PaymentRequired {
			t.Errorf("payment %+v; want the PaymentIntent %s and its secret", p, r.ID)
		}

		// The buyer gets the secret on record, with no call; anyone else a refusal.
		secret, err := s.svc.Bookings.PaymentClientSecret(as(ctx, u), s.booking(t, b.ID), b.Payment)
		if err != nil || secret != p.ClientSecret {
			t.Errorf("the buyer's client secret: %q, %v; want %q", secret, err, p.ClientSecret)
		}
		_, err = s.svc.Bookings.PaymentClientSecret(as(ctx, other), s.booking(t, b.ID), b.Payment)
		storetest.WantCode(t, err, boxoffice.EFORBIDDEN)
		if n := len(creates(mock)[p.ID]); n != 1 {
			t.Errorf("%d PaymentIntents made for the payment, want still 1", n)
		}

		free := storetest.NewEvent(10, time.Hour)
		free.PriceCents = 0
		storetest.MustInsertEvent(t, s.store, free)
		fb, err := s.svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: free.ID, Tickets: 1})
		if err != nil || fb.Status != boxoffice.BookingConfirmed || fb.Payment != nil {
			t.Fatalf("a free booking: %+v, %v", fb, err)
		}
		time.Sleep(300 * time.Millisecond) // time for a job that should not exist
		if n := len(creates(mock)); n != 1 {
			t.Errorf("%d PaymentIntents made, want 1: a free booking calls nothing", n)
		}
		wantHistory(t, s, b.ID, "CREATED")
		storetest.AssertInvariants(t, s.store)
	})
}

// TestClientSecretOnDemand: a buyer who asks for the client secret before
// the job has run gets it at once, prepared then; the job later finds it
// done and calls nothing. While Stripe is down, asking answers
// UNAVAILABLE, in bounded time, and the booking stands.
func TestClientSecretOnDemand(t *testing.T) {
	mock := stripemock.New(t)
	testdb.Each(t, func(t *testing.T, engine string) {
		mock.Reset()
		s := newShop(t, engine, mock, shopOptions{idle: true, stripe: stripe.Config{Failures: 2, CoolDown: time.Minute}})
		ctx := t.Context()
		u := storetest.MustCreateUser(t, s.store, "ann")
		ev := storetest.MustCreateEvent(t, s.store, 10, time.Hour)
		b := s.hold(t, u, ev, 1)
		secret, err := s.svc.Bookings.PaymentClientSecret(as(ctx, u), b, b.Payment)
		if err != nil || secret == "" {
			t.Fatalf("client secret on demand: %q, %v", secret, err)
		}
		p := s.payment(t, b.ID)
		if p.ClientSecret != secret || p.ProviderRef == "" {
			t.Fatalf("payment %+v: the secret given is not on record", p)
		}
		s.work(t)
		time.Sleep(500 * time.Millisecond) // the job runs, finds it prepared
		if made := creates(mock); len(made) != 1 || len(made[p.ID]) != 1 {
			t.Errorf("PaymentIntents made: %d keys, %d for the payment; want 1 and 1", len(made), len(made[p.ID]))
		}

		mock.Stop()
		defer mock.Start()
		down := s.hold(t, u, ev, 1)
		for i := range 4 { // failures, then the breaker refuses at once
			start := time.Now()
			secret, err := s.svc.Bookings.PaymentClientSecret(as(ctx, u), down, down.Payment)
			storetest.WantCode(t, err, boxoffice.EUNAVAILABLE)
			if secret != "" || time.Since(start) > 10*time.Second {
				t.Fatalf("ask %d with Stripe down: %q after %v", i+1, secret, time.Since(start))
			}
		}
		if got := s.booking(t, down.ID); got.Status != boxoffice.BookingPending {
			t.Errorf("the hold after failed asks: %s", got.Status)
		}
	})
}

// TestWebhookEvents: what each signed event does, through the route.
func TestWebhookEvents(t *testing.T) {
	mock := stripemock.New(t)
	testdb.Each(t, func(t *testing.T, engine string) {
		s := newShop(t, engine, mock, shopOptions{})
		u := storetest.MustCreateUser(t, s.store, "ann")
		ev := storetest.MustCreateEvent(t, s.store, 20, time.Hour)

		t.Run("SucceededConfirms", func(t *testing.T) {
			b := s.hold(t, u, ev, 2)
			_, payload := paid(s.asked(t, u, b))
			s.deliverSigned(t, payload)
			got, p := s.booking(t, b.ID), s.payment(t, b.ID)
			if got.Status != boxoffice.BookingConfirmed || got.ExpiresAt != nil || p.Status != boxoffice.PaymentSucceeded {
				t.Fatalf("after payment_intent.succeeded: booking %s, payment %s", got.Status, p.Status)
			}
			wantHistory(t, s, b.ID, "CREATED", "PAID", "CONFIRMED")
		})

		t.Run("DeliveredTwiceAppliedOnce", func(t *testing.T) {
			b := s.hold(t, u, ev, 1)
			id, payload := paid(s.asked(t, u, b))
			done := make(chan int, 8)
			for range 8 { // at once, as retries racing
				go func() {
					status, _ := deliver(t, s.url, payload, stripemock.Sign(payload, testWebhookSecret, time.Now()))
					done <- status
				}()
			}
			for range 8 {
				if status := <-done; status != http.StatusOK {
					t.Errorf("a delivery: %d, want 200", status)
				}
			}
			s.deliverSigned(t, payload) // and once more, later
			wantHistory(t, s, b.ID, "CREATED", "PAID", "CONFIRMED")
			if first, err := s.store.Payments().FirstDelivery(t.Context(), stripe.Name, id, time.Now()); first || err != nil {
				t.Errorf("the event is not recorded as delivered: %v, %v", first, err)
			}
		})

		t.Run("FailedKeepsTheHold", func(t *testing.T) {
			b := s.hold(t, u, ev, 1)
			p := s.asked(t, u, b)
			_, payload := stripemock.Event(stripe.EventFailed, stripemock.Declined(p.ProviderRef, p.ID, b.ID, 2500, "eur", "Your card was declined."))
			s.deliverSigned(t, payload)
			if got, p := s.booking(t, b.ID), s.payment(t, b.ID); got.Status != boxoffice.BookingPending || p.Status != boxoffice.PaymentFailed {
				t.Fatalf("after payment_intent.payment_failed: booking %s, payment %s; want PENDING and FAILED", got.Status, p.Status)
			}
			changes, _ := s.store.Changes().ByBookingIDs(t.Context(), []string{b.ID})
			if last := changes[len(changes)-1]; last.Detail != "Your card was declined." {
				t.Errorf("the failure's detail: %q", last.Detail)
			}
			// The buyer tries again, with the same PaymentIntent, and pays.
			_, payload = paid(p)
			s.deliverSigned(t, payload)
			if got := s.booking(t, b.ID); got.Status != boxoffice.BookingConfirmed {
				t.Fatalf("paid after a decline: %s", got.Status)
			}
			wantHistory(t, s, b.ID, "CREATED", "PAYMENT_FAILED", "PAID", "CONFIRMED")
		})

		t.Run("RefundedCancels", func(t *testing.T) {
			before := storetest.MustFindEvent(t, s.store, ev.ID).AvailableTickets
			b := s.hold(t, u, ev, 2)
			p := s.asked(t, u, b)
			_, payload := paid(p)
			s.deliverSigned(t, payload)
			// Refunded from Stripe's Dashboard: the charge's event carries no metadata of ours.
			_, payload = stripemock.Event(stripe.EventRefunded, stripemock.Charge(p.ProviderRef, 5000, 5000, "eur"))
			s.deliverSigned(t, payload)
			got, p := s.booking(t, b.ID), s.payment(t, b.ID)
			if got.Status != boxoffice.BookingCancelled || p.Status != boxoffice.PaymentRefunded || p.RefundedCents != 5000 {
				t.Fatalf("after charge.refunded: booking %s, payment %+v", got.Status, p)
			}
			storetest.WantAvailable(t, s.store, ev.ID, before)
			// A partial refund is not ours to apply: acknowledged, nothing changes.
			b = s.hold(t, u, ev, 2)
			p = s.asked(t, u, b)
			_, payload = paid(p)
			s.deliverSigned(t, payload)
			_, payload = stripemock.Event(stripe.EventRefunded, stripemock.Charge(p.ProviderRef, 5000, 1000, "eur"))
			s.deliverSigned(t, payload)
			if got := s.booking(t, b.ID); got.Status != boxoffice.BookingConfirmed {
				t.Fatalf("after a partial refund: %s, want CONFIRMED", got.Status)
			}
		})

		t.Run("ForgedStaleOrUnreadableChangesNothing", func(t *testing.T) {
			b := s.hold(t, u, ev, 1)
			p := s.asked(t, u, b)
			_, payload := paid(p)
			garbage := []byte(`{"id": "evt_x", "object": "event", "type": "payment_intent.succeeded", "data": `)
			for name, c := range map[string]struct {
				body      []byte
				signature string
			}{
				"another secret": {payload, stripemock.Sign(payload, "whsec_forged", time.Now())},
				"10 minutes old": {payload, stripemock.Sign(payload, testWebhookSecret, time.Now().Add(-10*time.Minute))},
				"unsigned":       {payload, ""},
				"unreadable":     {garbage, stripemock.Sign(garbage, testWebhookSecret, time.Now())},
			} {
				status, body := deliver(t, s.url, c.body, c.signature)
				var answer struct {
					Errors []struct {
						Extensions struct{ Code string }
					}
				}
				if status != http.StatusBadRequest || json.Unmarshal([]byte(body), &answer) != nil || len(answer.Errors) != 1 ||
					answer.Errors[0].Extensions.Code != "BAD_REQUEST" {
					t.Errorf("%s: %d %s; want 400 BAD_REQUEST", name, status, body)
				}
			}
			if got, p := s.booking(t, b.ID), s.payment(t, b.ID); got.Status != boxoffice.BookingPending || p.Status != boxoffice.PaymentRequired {
				t.Fatalf("after refused deliveries: booking %s, payment %s", got.Status, p.Status)
			}
			wantHistory(t, s, b.ID, "CREATED")
			// Nothing was recorded either: the genuine delivery of the same event applies.
			s.deliverSigned(t, payload)
			if got := s.booking(t, b.ID); got.Status != boxoffice.BookingConfirmed {
				t.Fatalf("the genuine event after forged ones: %s", got.Status)
			}
		})

		t.Run("NothingOfOursIsAcknowledged", func(t *testing.T) {
			_, payload := stripemock.Event(stripe.EventSucceeded, stripemock.Intent("pi_elsewhere", boxoffice.NewID(), boxoffice.NewID(), 100, 100, "eur", "succeeded"))
			s.deliverSigned(t, payload)
			_, payload = stripemock.Event(stripe.EventSucceeded, stripemock.Intent("pi_elsewhere", "", "", 100, 100, "eur", "succeeded"))
			s.deliverSigned(t, payload)
			_, payload = stripemock.Event("customer.created", map[string]any{"id": "cus_1", "object": "customer"})
			s.deliverSigned(t, payload)
		})
		storetest.AssertInvariants(t, s.store)
	})
}

// TestLatePayments: a payment that arrives after its hold expired confirms
// the booking if its tickets are still free; if they were sold, it is
// refunded in full through the Refunds API, by a job: nobody pays without
// tickets.
func TestLatePayments(t *testing.T) {
	mock := stripemock.New(t)
	testdb.Each(t, func(t *testing.T, engine string) {
		mock.Reset()
		const hold = 400 * time.Millisecond
		s := newShop(t, engine, mock, shopOptions{hold: hold})
		u := storetest.MustCreateUser(t, s.store, "ann")
		rival := storetest.MustCreateUser(t, s.store, "rita")
		expired := func(b *boxoffice.Booking) {
			t.Helper()
			stripemock.WaitFor(t, 20*time.Second, "the hold's expiry", func() bool { return s.booking(t, b.ID).Status == boxoffice.BookingExpired })
		}

		ev := storetest.MustCreateEvent(t, s.store, 2, time.Hour)
		b := s.hold(t, u, ev, 2)
		p := s.asked(t, u, b)
		expired(b)
		_, payload := paid(p)
		s.deliverSigned(t, payload)
		if got := s.booking(t, b.ID); got.Status != boxoffice.BookingConfirmed {
			t.Fatalf("paid late, tickets free: %s, want CONFIRMED", got.Status)
		}
		storetest.WantAvailable(t, s.store, ev.ID, 0)

		gone := storetest.MustCreateEvent(t, s.store, 2, time.Hour)
		b = s.hold(t, u, gone, 2)
		p = s.asked(t, u, b)
		expired(b)
		if _, err := s.svc.Bookings.CreateBooking(as(t.Context(), rival), boxoffice.BookingRequest{UserID: rival.ID, EventID: gone.ID, Tickets: 2}); err != nil {
			t.Fatal(err)
		}
		_, payload = paid(p)
		s.deliverSigned(t, payload)
		stripemock.WaitFor(t, 30*time.Second, "the refund", func() bool { return s.payment(t, b.ID).Status == boxoffice.PaymentRefunded })
		if got := s.booking(t, b.ID); got.Status != boxoffice.BookingExpired {
			t.Errorf("paid late, tickets sold: %s, want EXPIRED", got.Status)
		}
		rs := refunds(mock)
		if len(rs) != 1 || rs[0].Form.Get("payment_intent") != p.ProviderRef || rs[0].Form.Get("amount") != "5000" || rs[0].IdempotencyKey != "refund-"+p.ID {
			t.Fatalf("refunds at Stripe: %+v; want one of 5000 for %s keyed refund-%s", rs, p.ProviderRef, p.ID)
		}
		// Stripe then says the charge was refunded: nothing more happens.
		_, payload = stripemock.Event(stripe.EventRefunded, stripemock.Charge(p.ProviderRef, 5000, 5000, "eur"))
		s.deliverSigned(t, payload)
		wantHistory(t, s, b.ID, "CREATED", "EXPIRED", "PAID", "REFUNDED")
		storetest.AssertInvariants(t, s.store)
	})
}

// TestCancellingRefundsThroughStripe: cancelling a paid booking gives its
// tickets back at once and refunds it in full through the Refunds API, by
// a job, keyed so that a retry never refunds twice.
func TestCancellingRefundsThroughStripe(t *testing.T) {
	mock := stripemock.New(t)
	testdb.Each(t, func(t *testing.T, engine string) {
		mock.Reset()
		s := newShop(t, engine, mock, shopOptions{})
		u := storetest.MustCreateUser(t, s.store, "ann")
		ev := storetest.MustCreateEvent(t, s.store, 10, time.Hour)
		b := s.hold(t, u, ev, 3)
		p := s.asked(t, u, b)
		_, payload := paid(p)
		s.deliverSigned(t, payload)
		got, err := s.svc.Bookings.CancelBooking(as(t.Context(), u), b.ID)
		if err != nil || got.Status != boxoffice.BookingCancelled {
			t.Fatalf("cancel: %+v, %v", got, err)
		}
		storetest.WantAvailable(t, s.store, ev.ID, 10)
		stripemock.WaitFor(t, 30*time.Second, "the refund", func() bool { return s.payment(t, b.ID).Status == boxoffice.PaymentRefunded })
		rs := refunds(mock)
		if len(rs) != 1 || rs[0].Form.Get("payment_intent") != p.ProviderRef || rs[0].Form.Get("amount") != "7500" || rs[0].IdempotencyKey != "refund-"+p.ID {
			t.Fatalf("refunds at Stripe: %+v", rs)
		}
		if err := s.svc.Bookings.Refund(t.Context(), p.ID); err != nil || len(refunds(mock)) != 1 {
			t.Errorf("a refund job run again: %v, %d refunds; want nothing more", err, len(refunds(mock)))
		}
		_, payload = stripemock.Event(stripe.EventRefunded, stripemock.Charge(p.ProviderRef, 7500, 7500, "eur"))
		s.deliverSigned(t, payload)
		wantHistory(t, s, b.ID, "CREATED", "PAID", "CONFIRMED", "CANCELLED", "REFUNDED")
		storetest.AssertInvariants(t, s.store)
	})
}

// TestTwoServersOneEvent: Stripe delivers an event to two servers on one
// PostgreSQL database at once (a retry racing the first delivery, behind
// a load balancer): it is applied once.
func TestTwoServersOneEvent(t *testing.T) {
	mock := stripemock.New(t)
	stores := testdb.Servers(t, 2)
	a := newShop(t, "postgres", mock, shopOptions{store: stores[0]})
	b := newShop(t, "postgres", mock, shopOptions{store: stores[1]})
	u := storetest.MustCreateUser(t, a.store, "ann")
	ev := storetest.MustCreateEvent(t, a.store, 50, time.Hour)
	for round := range 10 {
		bk := a.hold(t, u, ev, 1)
		_, payload := paid(a.asked(t, u, bk))
		statuses := make(chan int, 2)
		for _, s := range []*shop{a, b} {
			go func() {
				status, _ := deliver(t, s.url, payload, stripemock.Sign(payload, testWebhookSecret, time.Now()))
				statuses <- status
			}()
		}
		for range 2 {
			if status := <-statuses; status != http.StatusOK {
				t.Fatalf("round %d: a delivery got %d", round, status)
			}
		}
		wantHistory(t, b, bk.ID, "CREATED", "PAID", "CONFIRMED")
	}
	storetest.WantAvailable(t, b.store, ev.ID, 40)
	storetest.AssertInvariants(t, a.store)
}

// TestPaymentOfALostPreparation: a PaymentIntent was made but its
// reference never recorded (the server stopped between Stripe's answer
// and the write). Its succeeded event, found by the payment id in its
// metadata, records it, so that cancelling can still refund through it.
func TestPaymentOfALostPreparation(t *testing.T) {
	mock := stripemock.New(t)
	testdb.Each(t, func(t *testing.T, engine string) {
		mock.Reset()
		s := newShop(t, engine, mock, shopOptions{idle: true}) // no job prepares anything
		u := storetest.MustCreateUser(t, s.store, "ann")
		ev := storetest.MustCreateEvent(t, s.store, 10, time.Hour)
		b := s.hold(t, u, ev, 1)
		_, payload := stripemock.Event(stripe.EventSucceeded, stripemock.Intent("pi_lost", b.Payment.ID, b.ID, 2500, 2500, "eur", "succeeded"))
		s.deliverSigned(t, payload)
		if p := s.payment(t, b.ID); p.Status != boxoffice.PaymentSucceeded || p.ProviderRef != "pi_lost" {
			t.Fatalf("payment after the event: %+v; want SUCCEEDED with pi_lost recorded", p)
		}
		s.work(t)
		if _, err := s.svc.Bookings.CancelBooking(as(t.Context(), u), b.ID); err != nil {
			t.Fatal(err)
		}
		stripemock.WaitFor(t, 30*time.Second, "the refund", func() bool { return s.payment(t, b.ID).Status == boxoffice.PaymentRefunded })
		if rs := refunds(mock); len(rs) != 1 || rs[0].Form.Get("payment_intent") != "pi_lost" {
			t.Fatalf("refunds: %+v, want one of pi_lost", rs)
		}
		if n := len(creates(mock)); n != 0 {
			t.Errorf("%d PaymentIntents made for a paid payment, want none", n)
		}
	})
}

// TestHoldsArePreparedTogether: the preparation jobs of holds booked
// together are enqueued in their batch's transaction, not in one more
// transaction each (which cut an on-sale's holds per second by three
// quarters), and each payment is then prepared once.
func TestHoldsArePreparedTogether(t *testing.T) {
	mock := stripemock.New(t)
	testdb.Each(t, func(t *testing.T, engine string) {
		mock.Reset()
		s := newShop(t, engine, mock, shopOptions{idle: true})
		const n = 100
		ev := storetest.MustCreateEvent(t, s.store, n, time.Hour)
		buyers := make([]*boxoffice.User, n)
		for i := range buyers {
			buyers[i] = storetest.MustCreateUser(t, s.store, fmt.Sprintf("buyer%d", i))
		}
		before := s.store.StatementCount()
		holds := make([]*boxoffice.Booking, n)
		var wg sync.WaitGroup
		for i, u := range buyers {
			wg.Go(func() { holds[i] = s.hold(t, u, ev, 1) })
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		// A transaction of its own for each job would be 3 statements a hold
		// or more; the batches' whole work is far less.
		if sent := s.store.StatementCount() - before; sent >= n {
			t.Errorf("%d statements for %d holds booked at once, want their jobs in the batches' transactions (under %d)", sent, n, n)
		} else {
			t.Logf("%d holds booked at once: %d statements", n, sent)
		}
		s.work(t)
		for _, b := range holds {
			s.prepared(t, b)
		}
		made := creates(mock)
		for _, b := range holds {
			if len(made[b.Payment.ID]) != 1 {
				t.Errorf("payment %s: %d PaymentIntents made, want 1", b.Payment.ID, len(made[b.Payment.ID]))
			}
		}
		storetest.AssertInvariants(t, s.store)
	})
}
