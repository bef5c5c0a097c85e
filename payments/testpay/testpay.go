// Package testpay is boxoffice's built-in payment provider for development,
// demos and tests (PAYMENT_PROVIDER=test). It behaves like a real one: it
// answers a payment later, as a PaymentEvent delivered in the background
// (as a webhook would be), it declines a card, and it refunds once per
// key. It moves no money and keeps its ledger in memory.
package testpay

import (
	"context"
	"strings"
	"sync"

	"github.com/boxoffice/boxoffice"
)

// The test cards, as Stripe's test mode has them.
const (
	CardPays     = "4242424242424242"
	CardDeclined = "4000000000000002"
)

// Name is the provider's name, as payments keep it.
const Name = "test"

// Provider is the test payment provider. The zero value is ready.
type Provider struct {
	mu      sync.Mutex
	refunds map[string]int64 // refund key -> amount refunded
}

var _ boxoffice.PaymentProvider = (*Provider)(nil)

// New returns a test provider.
func New() *Provider { return &Provider{} }

func (*Provider) Name() string { return Name }

// Pay reads the card and returns the answer a real provider would send
// later: CardPays pays the payment's amount, CardDeclined is declined.
// Spaces and dashes in the card number are ignored.
func (*Provider) Pay(_ context.Context, p *boxoffice.Payment, card string) (*boxoffice.PaymentEvent, bool, error) {
	card = strings.NewReplacer(" ", "", "-", "").Replace(card)
	ev := &boxoffice.PaymentEvent{Provider: Name, ID: "testpay_" + boxoffice.NewID(), PaymentID: p.ID, AmountCents: p.AmountCents}
	switch card {
	case CardPays:
		ev.Kind = boxoffice.PaymentEventSucceeded
	case CardDeclined:
		ev.Kind, ev.Detail = boxoffice.PaymentEventFailed, "your card was declined"
	default:
		return nil, false, boxoffice.Invalidf("card", "use a test card: %s pays, %s is declined", CardPays, CardDeclined)
	}
	return ev, true, nil
}

// Refund records a refund once per key: a retried call refunds nothing
// more.
func (t *Provider) Refund(_ context.Context, p *boxoffice.Payment, amountCents int64, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refunds == nil {
		t.refunds = map[string]int64{}
	}
	if _, done := t.refunds[key]; !done {
		t.refunds[key] = amountCents
	}
	return nil
}

// Refunded returns how many refunds the provider made, and their total:
// what a buyer got back.
func (t *Provider) Refunded() (n int, cents int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.refunds {
		n++
		cents += c
	}
	return n, cents
}
