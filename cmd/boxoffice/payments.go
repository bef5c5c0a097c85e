package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/metrics"
	"github.com/boxoffice/boxoffice/payments/stripe"
	"github.com/boxoffice/boxoffice/server"
)

// payments is PAYMENT_PROVIDER's provider (nil for none), and with
// PAYMENT_PROVIDER=stripe the Stripe provider itself, for its webhook, its
// check and its breaker's metric.
func payments(cfg config.Config, log *slog.Logger, m *metrics.Metrics) (boxoffice.PaymentProvider, *stripe.Provider, error) {
	if cfg.PaymentProvider != config.PaymentsStripe {
		return paymentProvider(cfg), nil, nil
	}
	p, err := stripe.New(stripe.Config{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret,
		APIURL: cfg.StripeAPIURL, Logger: log, Metrics: m})
	if err != nil {
		return nil, nil, err
	}
	m.WatchPaymentBreaker(stripe.Name, stripe.BreakerStates, p.BreakerState)
	api := cfg.StripeAPIURL
	if api == "" {
		api = "Stripe's"
	}
	log.Info("payments through Stripe", "api", api, "webhook", "POST /webhooks/stripe")
	return p, p, nil
}

// stripeWebhook is POST /webhooks/stripe: Stripe's signed events, applied
// by the bookings service.
func stripeWebhook(p *stripe.Provider, apply func(ctx context.Context, ev boxoffice.PaymentEvent) error) []server.Webhook {
	if p == nil {
		return nil
	}
	return []server.Webhook{{Provider: stripe.Name, Parse: p.ParseWebhook, Apply: apply}}
}

// paymentsCheck reports Stripe: degraded while its circuit breaker is open
// (calls refused after repeated failures) or probing. It asks the breaker,
// not Stripe: probes cost Stripe nothing.
func paymentsCheck(p *stripe.Provider) server.Check {
	return server.Check{Name: "payments", Probe: func(context.Context) server.Status {
		state := p.BreakerState()
		if state == stripe.BreakerClosed {
			return server.Status{State: server.StateReady}
		}
		detail := "Stripe unreachable"
		if since := p.OpenSince(); !since.IsZero() {
			detail += " since " + since.UTC().Format(time.RFC3339)
		}
		detail += ": holds are kept; payments are prepared and refunded when it answers"
		if state == stripe.BreakerHalfOpen {
			detail += "; probing Stripe"
		}
		return server.Status{State: server.StateDegraded, Detail: detail}
	}}
}
