// Package stripe is boxoffice's Stripe payment provider
// (PAYMENT_PROVIDER=stripe), on stripe-go.
//
// A held booking's payment is prepared as a PaymentIntent for its total,
// in its currency, with the booking's and the payment's ids in its
// metadata and the payment's id as its idempotency key, so that a retried
// call never makes a second one; its client secret goes to the buyer's
// browser (Stripe.js), where the buyer pays. Stripe's answer arrives by
// webhook (ParseWebhook). Refunds go through the Refunds API, keyed too.
//
// Every call has a time limit (Config.CallTimeout) and goes through a
// circuit breaker (sony/gobreaker): after Config.Failures calls in a row
// that got no answer (a time-out, a refused connection, a 5xx or a 429),
// calls are refused at once for Config.CoolDown, then one call probes
// Stripe; its success closes the breaker. A refused call's error carries
// boxoffice.ErrProviderShedding, and the jobs that make the calls wait for
// the breaker without spending their attempts. Stripe answering 4xx is an
// answer: it never opens the breaker.
package stripe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	stripego "github.com/stripe/stripe-go/v85"

	"github.com/boxoffice/boxoffice"
)

// Name is the provider's name, as payments keep it.
const Name = "stripe"

// Defaults of Config.
const (
	DefaultCallTimeout = 10 * time.Second
	DefaultFailures    = 5
	DefaultCoolDown    = 30 * time.Second
)

// The breaker's states, as BreakerState, the metric and the log name them.
const (
	BreakerClosed   = "closed"    // calls go to Stripe
	BreakerOpen     = "open"      // calls are refused at once, without a try
	BreakerHalfOpen = "half-open" // one call probes Stripe
)

// BreakerStates lists the breaker's states.
var BreakerStates = []string{BreakerClosed, BreakerOpen, BreakerHalfOpen}

// The outcomes of a call, as Metrics.PaymentCall counts them.
const (
	OutcomeOK      = "ok"      // Stripe did it
	OutcomeRefused = "refused" // Stripe answered with a 4xx: it is up, and said no
	OutcomeFailed  = "failed"  // no answer: a time-out, a network error, a 5xx or a 429
	OutcomeShed    = "shed"    // the breaker was open: no call was made
)

// Metrics counts Stripe calls (metrics.Metrics implements it).
type Metrics interface {
	PaymentCall(provider, call, outcome string, took time.Duration)
}

// Config sets the provider up.
type Config struct {
	SecretKey     string // STRIPE_SECRET_KEY: sk_… or a restricted rk_…
	WebhookSecret string // STRIPE_WEBHOOK_SECRET: whsec_…, the webhook endpoint's signing secret
	APIURL        string // STRIPE_API_URL; "": Stripe's own (stripe-mock's address in tests)

	CallTimeout time.Duration // time limit of one call (default 10s)
	Failures    int           // calls in a row without an answer that open the breaker (default 5)
	CoolDown    time.Duration // how long the breaker stays open before a probe (default 30s)

	Logger  *slog.Logger // default slog.Default()
	Metrics Metrics      // default none
}

// Provider is the Stripe payment provider: a boxoffice.PaymentProvider
// and boxoffice.PaymentPreparer.
type Provider struct {
	client        *stripego.Client
	webhookSecret string
	timeout       time.Duration
	coolDown      time.Duration
	breaker       *gobreaker.CircuitBreaker[struct{}]
	log           *slog.Logger
	metrics       Metrics

	openedAt atomic.Pointer[time.Time] // when the breaker last opened (a failed probe opens it again)
	down     atomic.Pointer[time.Time] // when it last left closed
	lastErr  atomic.Pointer[error]     // the latest call that got no answer, for the log
	versions sync.Map                  // API versions of events already warned about
}

var (
	_ boxoffice.PaymentProvider = (*Provider)(nil)
	_ boxoffice.PaymentPreparer = (*Provider)(nil)
)

// New returns the provider. It calls nothing: a Stripe that is down at
// start-up delays payments, not the server.
func New(cfg Config) (*Provider, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("stripe: no secret key (STRIPE_SECRET_KEY)")
	}
	if cfg.WebhookSecret == "" {
		return nil, errors.New("stripe: no webhook signing secret (STRIPE_WEBHOOK_SECRET)")
	}
	p := &Provider{
		webhookSecret: cfg.WebhookSecret,
		timeout:       cmp.Or(cfg.CallTimeout, DefaultCallTimeout),
		coolDown:      cmp.Or(cfg.CoolDown, DefaultCoolDown),
		log:           cmp.Or(cfg.Logger, slog.Default()),
		metrics:       cfg.Metrics,
	}
	backend := &stripego.BackendConfig{
		// The breaker and the jobs retry, with backoff; the SDK's own
		// retries would hide failures from both and stretch each call.
		MaxNetworkRetries: stripego.Int64(0),
		HTTPClient:        &http.Client{Timeout: p.timeout},
		LeveledLogger:     &stripego.LeveledLogger{Level: stripego.LevelNull}, // calls are logged here, once
	}
	if cfg.APIURL != "" {
		backend.URL = stripego.String(cfg.APIURL)
	}
	backends := stripego.NewBackendsWithConfig(backend)
	p.client = stripego.NewClient(cfg.SecretKey, stripego.WithBackends(backends))
	failures := uint32(cmp.Or(cfg.Failures, DefaultFailures))
	p.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:          Name,
		MaxRequests:   1, // one probe when half-open
		Timeout:       p.coolDown,
		ReadyToTrip:   func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsSuccessful:  func(err error) bool { return err == nil || answered(err) },
		IsExcluded:    func(err error) bool { return errors.Is(err, errCallerGone) },
		OnStateChange: func(_ string, from, to gobreaker.State) { p.changed(stateName(from), stateName(to)) },
	})
	return p, nil
}

// Name implements boxoffice.PaymentProvider.
func (*Provider) Name() string { return Name }

// Pay implements boxoffice.PaymentProvider: with Stripe the buyer pays in
// the browser, with the client secret, so no card is taken here.
func (*Provider) Pay(context.Context, *boxoffice.Payment, string) (*boxoffice.PaymentEvent, bool, error) {
	return nil, false, nil
}

// PreparePayment creates p's PaymentIntent: p's amount in its currency,
// any payment method the account has switched on (the Payment Element
// shows them), metadata booking_id and payment_id, and p.ID as the
// idempotency key, so that however often it is retried, by a job or a
// buyer's request, Stripe makes one PaymentIntent and answers each retry
// with it.
func (p *Provider) PreparePayment(ctx context.Context, pay *boxoffice.Payment) (string, string, error) {
	amount, err := toMinor(pay.Currency, pay.AmountCents)
	if err != nil {
		return "", "", err
	}
	var intent *stripego.PaymentIntent
	err = p.call(ctx, "create_payment_intent", func(ctx context.Context) error {
		params := &stripego.PaymentIntentCreateParams{
			Amount:                  stripego.Int64(amount),
			Currency:                stripego.String(strings.ToLower(pay.Currency)),
			AutomaticPaymentMethods: &stripego.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripego.Bool(true)},
			Metadata:                map[string]string{"booking_id": pay.BookingID, "payment_id": pay.ID},
		}
		params.SetIdempotencyKey(pay.ID)
		var err error
		intent, err = p.client.V1PaymentIntents.Create(ctx, params)
		return err
	})
	if err != nil {
		return "", "", err
	}
	if intent.ID == "" || intent.ClientSecret == "" {
		return "", "", fmt.Errorf("stripe: PaymentIntent for payment %s came back without an id or a client secret", pay.ID)
	}
	p.log.DebugContext(ctx, "stripe: PaymentIntent ready", "payment", pay.ID, "booking", pay.BookingID, "payment_intent", intent.ID)
	return intent.ID, intent.ClientSecret, nil
}

// Refund implements boxoffice.PaymentProvider: a refund of amountCents of
// p's PaymentIntent, with key as its idempotency key. A PaymentIntent
// already refunded in full (from Stripe's Dashboard, say) counts as done.
func (p *Provider) Refund(ctx context.Context, pay *boxoffice.Payment, amountCents int64, key string) error {
	if pay.ProviderRef == "" {
		return fmt.Errorf("stripe: refund of payment %s: it has no PaymentIntent", pay.ID)
	}
	amount, err := toMinor(pay.Currency, amountCents)
	if err != nil {
		return err
	}
	err = p.call(ctx, "refund", func(ctx context.Context) error {
		params := &stripego.RefundCreateParams{
			PaymentIntent: stripego.String(pay.ProviderRef),
			Amount:        stripego.Int64(amount),
			Metadata:      map[string]string{"booking_id": pay.BookingID, "payment_id": pay.ID},
		}
		params.SetIdempotencyKey(key)
		_, err := p.client.V1Refunds.Create(ctx, params)
		return err
	})
	var se *stripego.Error
	if errors.As(err, &se) && se.Code == stripego.ErrorCodeChargeAlreadyRefunded {
		p.log.InfoContext(ctx, "stripe: the payment was already refunded", "payment", pay.ID, "payment_intent", pay.ProviderRef)
		return nil
	}
	return err
}

// errCallerGone marks a call that ended because its caller gave up: it
// says nothing of Stripe's health.
var errCallerGone = errors.New("stripe: caller gone")

// call runs fn through the breaker with the call time limit, counts it,
// and turns its failure into a boxoffice error.
func (p *Provider) call(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	start := time.Now()
	_, err := p.breaker.Execute(func() (struct{}, error) {
		callCtx, cancel := context.WithTimeout(ctx, p.timeout)
		defer cancel()
		err := fn(callCtx)
		switch {
		case err == nil || answered(err):
		case ctx.Err() != nil:
			err = errors.Join(errCallerGone, err)
		default:
			p.lastErr.Store(&err)
		}
		return struct{}{}, err
	})
	outcome := OutcomeOK
	switch {
	case err == nil:
	case errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests):
		outcome = OutcomeShed
	case answered(err):
		outcome = OutcomeRefused
	default:
		outcome = OutcomeFailed
	}
	if p.metrics != nil && !errors.Is(err, errCallerGone) {
		p.metrics.PaymentCall(Name, name, outcome, time.Since(start))
	}
	switch outcome {
	case OutcomeOK:
		return nil
	case OutcomeShed:
		return errors.Join(&boxoffice.Error{Code: boxoffice.EUNAVAILABLE, RetryAfter: p.shedFor(),
			Message: "the payment service is unavailable: try again later"}, boxoffice.ErrProviderShedding)
	case OutcomeRefused:
		var se *stripego.Error
		errors.As(err, &se)
		cause := fmt.Errorf("stripe: %s: %d %s (%s, request %s): %w", name, se.HTTPStatusCode, se.Msg, se.Code, se.RequestID, err)
		if se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden {
			return fmt.Errorf("%w: check STRIPE_SECRET_KEY", cause) // ours to fix: INTERNAL
		}
		if se.Code == stripego.ErrorCodeChargeAlreadyRefunded {
			return se
		}
		return errors.Join(boxoffice.Errorf(boxoffice.ECONFLICT, "the payment service refused this payment"), cause)
	}
	if errors.Is(err, errCallerGone) {
		return fmt.Errorf("stripe: %s: %w", name, errors.Join(ctx.Err(), err))
	}
	unavailable := &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, RetryAfter: time.Second, Message: "the payment service did not answer: try again"}
	if p.BreakerState() == BreakerOpen {
		// This failure opened the breaker (or was a failed probe): the
		// retry is the breaker's to time, as for the calls it refuses.
		unavailable.RetryAfter = p.shedFor()
		return errors.Join(unavailable, boxoffice.ErrProviderShedding, fmt.Errorf("stripe: %s: %w", name, err))
	}
	return errors.Join(unavailable, fmt.Errorf("stripe: %s: %w", name, err))
}

// answered reports whether err is Stripe's answer, other than "try later":
// a 4xx other than 429. Stripe is up; the breaker counts it a success.
func answered(err error) bool {
	var se *stripego.Error
	return errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 && se.HTTPStatusCode != http.StatusTooManyRequests
}

// shedFor is how long the breaker has left to stay open: the wait before
// trying again (at least a second).
func (p *Provider) shedFor() time.Duration {
	if at := p.openedAt.Load(); at != nil {
		if left := p.coolDown - time.Since(*at); left > time.Second {
			return left
		}
	}
	return time.Second
}

// BreakerState is the breaker's state now: BreakerClosed, BreakerOpen or
// BreakerHalfOpen (once the cool-down has passed, the next call probes).
func (p *Provider) BreakerState() string { return stateName(p.breaker.State()) }

// OpenSince is when the breaker last left BreakerClosed; the zero time
// while it is closed.
func (p *Provider) OpenSince() time.Time {
	if p.BreakerState() == BreakerClosed {
		return time.Time{}
	}
	if at := p.down.Load(); at != nil {
		return *at
	}
	return time.Time{}
}

// changed runs under the breaker's lock, once per change of state.
func (p *Provider) changed(from, to string) {
	now := time.Now()
	var cause any
	if e := p.lastErr.Load(); e != nil {
		cause = (*e).Error()
	}
	switch {
	case to == BreakerOpen && from == BreakerClosed:
		p.down.Store(&now)
		p.openedAt.Store(&now)
		p.log.Warn("stripe: calls get no answer; the circuit breaker is open: holds stay, and payments are prepared and refunded by their jobs once Stripe answers",
			"from", from, "to", to, "cool_down", p.coolDown.String(), "err", cause)
	case to == BreakerOpen: // a probe failed
		p.openedAt.Store(&now)
		p.log.Debug("stripe: still no answer", "from", from, "to", to, "err", cause)
	case to == BreakerHalfOpen:
		p.log.Debug("stripe: probing", "from", from, "to", to)
	case to == BreakerClosed:
		var after string
		if at := p.down.Load(); at != nil {
			after = now.Sub(*at).Round(time.Millisecond).String()
		}
		p.log.Info("stripe: answers again; the circuit breaker is closed", "from", from, "to", to, "after", after)
	}
}

func stateName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return BreakerOpen
	case gobreaker.StateHalfOpen:
		return BreakerHalfOpen
	default:
		return BreakerClosed
	}
}
