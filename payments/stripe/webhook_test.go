package stripe_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/stripemock"
	"github.com/boxoffice/boxoffice/payments/stripe"
)

func signed(payload []byte, secret string, at time.Time) http.Header {
	h := http.Header{}
	h.Set("Stripe-Signature", stripemock.Sign(payload, secret, at))
	return h
}

// TestParseWebhook: each event boxoffice acts on becomes its PaymentEvent,
// with the event's id, the payment's id from the metadata, the
// PaymentIntent's id and amounts in hundredths; other events are nil.
func TestParseWebhook(t *testing.T) {
	p, _, logs := newProvider(t, nil, stripe.Config{})
	pay, booking := boxoffice.NewID(), boxoffice.NewID()
	now := time.Now()
	for _, c := range []struct {
		name   string
		typ    string
		object map[string]any
		want   *boxoffice.PaymentEvent // nil: ignored
	}{
		{"succeeded", stripe.EventSucceeded, stripemock.Intent("pi_1", pay, booking, 5000, 5000, "eur", "succeeded"),
			&boxoffice.PaymentEvent{PaymentID: pay, ProviderRef: "pi_1", Kind: boxoffice.PaymentEventSucceeded, AmountCents: 5000}},
		{"succeeded in yen", stripe.EventSucceeded, stripemock.Intent("pi_2", pay, booking, 1500, 1500, "jpy", "succeeded"),
			&boxoffice.PaymentEvent{PaymentID: pay, ProviderRef: "pi_2", Kind: boxoffice.PaymentEventSucceeded, AmountCents: 150000}},
		{"failed", stripe.EventFailed, stripemock.Declined("pi_1", pay, booking, 5000, "eur", "Your card was declined."),
			&boxoffice.PaymentEvent{PaymentID: pay, ProviderRef: "pi_1", Kind: boxoffice.PaymentEventFailed, Detail: "Your card was declined."}},
		{"refunded", stripe.EventRefunded, stripemock.Charge("pi_1", 5000, 5000, "eur"),
			&boxoffice.PaymentEvent{ProviderRef: "pi_1", Kind: boxoffice.PaymentEventRefunded, AmountCents: 5000}},
		{"refunded, expanded", stripe.EventRefunded, func() map[string]any {
			ch := stripemock.Charge("", 5000, 5000, "eur")
			ch["payment_intent"] = map[string]any{"id": "pi_3", "object": "payment_intent"}
			return ch
		}(), &boxoffice.PaymentEvent{ProviderRef: "pi_3", Kind: boxoffice.PaymentEventRefunded, AmountCents: 5000}},
		{"refunded in part", stripe.EventRefunded, stripemock.Charge("pi_1", 5000, 1000, "eur"), nil},
		{"a PaymentIntent of no payment of ours", stripe.EventSucceeded, stripemock.Intent("pi_4", "", "", 100, 100, "eur", "succeeded"),
			&boxoffice.PaymentEvent{ProviderRef: "pi_4", Kind: boxoffice.PaymentEventSucceeded, AmountCents: 100}},
		{"another event", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}, nil},
		{"a PaymentIntent created", "payment_intent.created", stripemock.Intent("pi_1", pay, booking, 5000, 0, "eur", "requires_payment_method"), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, payload := stripemock.Event(c.typ, c.object)
			got, err := p.ParseWebhook(payload, signed(payload, testWebhookSecret, now))
			if err != nil {
				t.Fatal(err)
			}
			if c.want == nil {
				if got != nil {
					t.Fatalf("got %+v, want it ignored", got)
				}
				return
			}
			c.want.Provider, c.want.ID = stripe.Name, id
			if got == nil || *got != *c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}

	// An event rendered in another API version is read, and the version
	// is logged once.
	for range 2 {
		_, payload := stripemock.EventVersion(stripe.EventSucceeded, "2024-06-20", stripemock.Intent("pi_5", pay, booking, 100, 100, "eur", "succeeded"))
		if got, err := p.ParseWebhook(payload, signed(payload, testWebhookSecret, now)); err != nil || got == nil || got.ProviderRef != "pi_5" {
			t.Fatalf("an event of API version 2024-06-20: %+v, %v", got, err)
		}
	}
	if n := strings.Count(logs.String(), "another API version"); n != 1 {
		t.Errorf("%d warnings about the API version, want 1", n)
	}
}

// TestParseWebhookRefuses: what is not Stripe's, or not readable, is
// EINVALID: a signature with another secret, a tampered body, a signature
// older than the tolerance (5 minutes), no signature, a malformed header,
// a body that is not an event.
func TestParseWebhookRefuses(t *testing.T) {
	p, _, _ := newProvider(t, nil, stripe.Config{})
	_, payload := stripemock.Event(stripe.EventSucceeded, stripemock.Intent("pi_1", boxoffice.NewID(), boxoffice.NewID(), 100, 100, "eur", "succeeded"))
	now := time.Now()
	tampered := []byte(strings.Replace(string(payload), `"amount_received":100`, `"amount_received":1`, 1))
	notAnEvent := []byte(`{"id": "evt_1", "object": "customer"}`)
	for name, c := range map[string]struct {
		body   []byte
		header http.Header
		reason string
	}{
		"another secret":   {payload, signed(payload, "whsec_forged", now), "no valid signature"},
		"a tampered body":  {tampered, signed(payload, testWebhookSecret, now), "no valid signature"},
		"10 minutes old":   {payload, signed(payload, testWebhookSecret, now.Add(-10*time.Minute)), "too old"},
		"unsigned":         {payload, http.Header{}, "no Stripe-Signature"},
		"malformed header": {payload, http.Header{"Stripe-Signature": {"t=abc,v1"}}, "no valid signature"},
		"not JSON":         {[]byte("{"), signed([]byte("{"), testWebhookSecret, now), "not a Stripe event"},
		"not an event":     {notAnEvent, signed(notAnEvent, testWebhookSecret, now), "not a Stripe event"},
	} {
		t.Run(name, func(t *testing.T) {
			ev, err := p.ParseWebhook(c.body, c.header)
			if ev != nil || boxoffice.ErrorCode(err) != boxoffice.EINVALID || !strings.Contains(boxoffice.ErrorMessage(err), c.reason) {
				t.Fatalf("got %+v, %v; want EINVALID, %q", ev, err, c.reason)
			}
		})
	}
}
