package stripe_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/stripemock"
	"github.com/boxoffice/boxoffice/metrics"
	"github.com/boxoffice/boxoffice/payments/stripe"
)

const (
	testKey           = "sk_test_boxoffice"
	testWebhookSecret = "whsec_boxoffice_test"
)

// newProvider is the provider on mock, with the given breaker settings,
// its metrics, and a log to read.
func newProvider(t *testing.T, mock *stripemock.Mock, cfg stripe.Config) (*stripe.Provider, *metrics.Metrics, *syncLog) {
	t.Helper()
	logs := &syncLog{}
	m := metrics.New()
	cfg.SecretKey, cfg.WebhookSecret, cfg.Logger, cfg.Metrics = testKey, testWebhookSecret, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), m
	if mock != nil {
		cfg.APIURL = mock.URL()
	}
	p, err := stripe.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.WatchPaymentBreaker(stripe.Name, stripe.BreakerStates, p.BreakerState)
	return p, m, logs
}

// payment is a payment as a hold makes it.
func payment(cents int64, currency string) *boxoffice.Payment {
	return &boxoffice.Payment{ID: boxoffice.NewID(), BookingID: boxoffice.NewID(), Provider: stripe.Name,
		Status: boxoffice.PaymentRequired, AmountCents: cents, Currency: currency}
}

// TestPaymentIntentRequest: a payment becomes one PaymentIntent request
// that stripe-mock accepts, for its amount in the currency's smallest
// unit, its currency in lower case, the booking's and the payment's ids
// in its metadata, and the payment's id as the idempotency key.
func TestPaymentIntentRequest(t *testing.T) {
	mock := stripemock.New(t)
	p, _, _ := newProvider(t, mock, stripe.Config{})
	for _, c := range []struct {
		cents    int64
		currency string
		amount   string
	}{{7500, "EUR", "7500"}, {150000, "JPY", "1500"}, {1250, "KWD", "12500"}} {
		mock.Reset()
		pay := payment(c.cents, c.currency)
		ref, secret, err := p.PreparePayment(t.Context(), pay)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.currency, err, mock.Logs())
		}
		if !strings.HasPrefix(ref, "pi_") || !strings.Contains(secret, "_secret_") {
			t.Errorf("%s: PaymentIntent %q with secret %q", c.currency, ref, secret)
		}
		reqs := mock.Requests()
		if len(reqs) != 1 {
			t.Fatalf("%s: %d requests, want 1: %+v", c.currency, len(reqs), reqs)
		}
		r := reqs[0]
		want := map[string]string{"amount": c.amount, "currency": strings.ToLower(c.currency),
			"metadata[booking_id]": pay.BookingID, "metadata[payment_id]": pay.ID, "automatic_payment_methods[enabled]": "true"}
		for k, v := range want {
			if got := r.Form.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q (form %v)", c.currency, k, got, v, r.Form)
			}
		}
		if r.Method != "POST" || r.Path != "/v1/payment_intents" || r.IdempotencyKey != pay.ID || r.Status != 200 || r.ID != ref {
			t.Errorf("%s: request %+v; want POST /v1/payment_intents keyed %s, answered 200 with %s", c.currency, r, pay.ID, ref)
		}
	}
	// A fraction of a yen cannot be charged: refused before any call.
	mock.Reset()
	_, _, err := p.PreparePayment(t.Context(), payment(150050, "JPY"))
	if boxoffice.ErrorCode(err) != boxoffice.EINVALID || len(mock.Requests()) != 0 {
		t.Errorf("150050 hundredths of a yen: %v, %d requests; want EINVALID and none", err, len(mock.Requests()))
	}
}

// TestRefundRequest: a refund is one Refunds API request that stripe-mock
// accepts, for the PaymentIntent and the amount, keyed by the key given.
func TestRefundRequest(t *testing.T) {
	mock := stripemock.New(t)
	p, _, _ := newProvider(t, mock, stripe.Config{})
	pay := payment(7500, "EUR")
	pay.Status, pay.ProviderRef = boxoffice.PaymentSucceeded, "pi_123"
	if err := p.Refund(t.Context(), pay, 7500, "refund-"+pay.ID); err != nil {
		t.Fatalf("refund: %v\n%s", err, mock.Logs())
	}
	reqs := mock.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v1/refunds" || r.Form.Get("payment_intent") != "pi_123" || r.Form.Get("amount") != "7500" ||
		r.Form.Get("metadata[payment_id]") != pay.ID || r.IdempotencyKey != "refund-"+pay.ID || r.Status != 200 {
		t.Errorf("refund request %+v", r)
	}
	// A payment without a PaymentIntent cannot be refunded through Stripe.
	if err := p.Refund(t.Context(), payment(100, "EUR"), 100, "k"); err == nil {
		t.Error("a refund of a payment without a PaymentIntent succeeded")
	}
}

// TestBreaker: calls that get no answer (stripe-mock killed: the gateway
// answers 502; a 500; a 429; a time-out) open the breaker after Failures
// in a row; then calls are refused at once, without a request, as
// UNAVAILABLE and ErrProviderShedding, with the wait in RetryAfter. Once
// the cool-down has passed one call probes: a failure opens it again, a
// success closes it. A 4xx answer is an answer: it never opens it. The
// state is a metric, and each change is logged once.
func TestBreaker(t *testing.T) {
	mock := stripemock.New(t)
	const coolDown = 400 * time.Millisecond
	p, m, logs := newProvider(t, mock, stripe.Config{Failures: 3, CoolDown: coolDown, CallTimeout: 300 * time.Millisecond})
	ctx := t.Context()
	prepare := func() error {
		_, _, err := p.PreparePayment(ctx, payment(2500, "EUR"))
		return err
	}
	wantState := func(want string) {
		t.Helper()
		if got := p.BreakerState(); got != want {
			t.Fatalf("breaker %s, want %s", got, want)
		}
		if v := scrape(t, m, fmt.Sprintf(`boxoffice_payment_provider_breaker_state{provider="stripe",state=%q}`, want)); v != "1" {
			t.Fatalf("metric for %s: %q, want 1", want, v)
		}
	}
	wantState(stripe.BreakerClosed)

	// 4xx answers, many in a row, keep it closed.
	mock.Fail(http.StatusBadRequest)
	for range 5 {
		if err := prepare(); boxoffice.ErrorCode(err) != boxoffice.ECONFLICT {
			t.Fatalf("a 400: %v, want CONFLICT", err)
		}
	}
	wantState(stripe.BreakerClosed)
	mock.Fail(0)

	for _, outage := range []struct {
		name  string
		start func()
		end   func()
	}{
		{"stripe-mock killed", mock.Stop, mock.Start},
		{"500", func() { mock.Fail(500) }, func() { mock.Fail(0) }},
		{"429", func() { mock.Fail(429) }, func() { mock.Fail(0) }},
		{"time-out", func() { mock.Stall(2 * time.Second) }, func() { mock.Stall(0) }},
	} {
		t.Run(outage.name, func(t *testing.T) {
			outage.start()
			for i := range 3 {
				err := prepare()
				if boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
					t.Fatalf("call %d: %v, want UNAVAILABLE", i+1, err)
				}
				if tripped := i == 2; errors.Is(err, boxoffice.ErrProviderShedding) != tripped {
					t.Fatalf("call %d: shedding %v, want %v (%v)", i+1, !tripped, tripped, err)
				}
			}
			wantState(stripe.BreakerOpen)
			before := len(mock.Requests())
			start := time.Now()
			err := prepare()
			if !errors.Is(err, boxoffice.ErrProviderShedding) || boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE ||
				boxoffice.ErrorRetryAfter(err) <= 0 || time.Since(start) > 100*time.Millisecond {
				t.Fatalf("with the breaker open: %v after %v; want UNAVAILABLE, shedding, a RetryAfter, at once", err, time.Since(start))
			}
			if len(mock.Requests()) != before {
				t.Fatal("a call went out with the breaker open")
			}
			// A probe that fails opens it again.
			time.Sleep(coolDown + 50*time.Millisecond)
			wantState(stripe.BreakerHalfOpen)
			if err := prepare(); !errors.Is(err, boxoffice.ErrProviderShedding) {
				t.Fatalf("a failed probe: %v, want shedding", err)
			}
			wantState(stripe.BreakerOpen)
			outage.end()
			time.Sleep(coolDown + 50*time.Millisecond)
			if err := prepare(); err != nil {
				t.Fatalf("the probe after the outage: %v", err)
			}
			wantState(stripe.BreakerClosed)
		})
	}
	for _, outcome := range []string{"ok", "refused", "failed", "shed"} {
		if v := scrape(t, m, fmt.Sprintf(`boxoffice_payment_provider_calls_total{call="create_payment_intent",outcome=%q,provider="stripe"}`, outcome)); v == "" || v == "0" {
			t.Errorf("calls with outcome %s: %q", outcome, v)
		}
	}
	// One warning per outage, one line when Stripe is back: never one per call.
	if n := strings.Count(logs.String(), "the circuit breaker is open"); n != 4 {
		t.Errorf("%d warnings that the breaker opened, want 4 (one per outage):\n%s", n, logs)
	}
	if n := strings.Count(logs.String(), "answers again"); n != 4 {
		t.Errorf("%d lines that Stripe is back, want 4", n)
	}
}

// TestCallerGoneIsNoFailure: calls cut short by their caller (a buyer's
// request with a short time limit) say nothing of Stripe's health: they
// never open the breaker.
func TestCallerGoneIsNoFailure(t *testing.T) {
	mock := stripemock.New(t)
	p, _, _ := newProvider(t, mock, stripe.Config{Failures: 2})
	mock.Stall(time.Second)
	for range 4 {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		_, _, err := p.PreparePayment(ctx, payment(2500, "EUR"))
		cancel()
		if err == nil {
			t.Fatal("a call cut short succeeded")
		}
	}
	if got := p.BreakerState(); got != stripe.BreakerClosed {
		t.Fatalf("breaker %s after calls cut short by their callers, want closed", got)
	}
}

// scrape returns a series' value from the metrics, "" if absent.
func scrape(t *testing.T, m *metrics.Metrics, series string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v
		}
	}
	return ""
}

// syncLog is a log that tests read while it is written.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var _ io.Writer = (*syncLog)(nil)
