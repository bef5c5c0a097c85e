package boxoffice

import (
	"context"
	"errors"
	"time"
)

// PaymentStatus is where a payment is.
type PaymentStatus string

const (
	PaymentRequired   PaymentStatus = "REQUIRES_PAYMENT" // waiting for the buyer to pay
	PaymentProcessing PaymentStatus = "PROCESSING"       // submitted; the provider's answer is on its way
	PaymentSucceeded  PaymentStatus = "SUCCEEDED"        // paid
	PaymentFailed     PaymentStatus = "FAILED"           // declined; the buyer may pay again while the hold lasts
	PaymentRefunded   PaymentStatus = "REFUNDED"         // paid, then given back in full
)

// Payment is what a held booking's buyer owes, and what became of it. One
// per booking; attempts and refunds are in the booking's history.
type Payment struct {
	ID            string
	BookingID     string
	Provider      string // "test", "stripe"
	Status        PaymentStatus
	AmountCents   int64
	Currency      string
	RefundedCents int64
	// ProviderRef is the provider's id for the payment (a Stripe
	// PaymentIntent), once it has one.
	ProviderRef string
	// ClientSecret is what the buyer's browser needs to pay (Stripe.js);
	// only the buyer sees it.
	ClientSecret string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Amount is what is to be paid, in currency units, as the API shows it.
func (p *Payment) Amount() float64 { return float64(p.AmountCents) / 100 }

// RefundedAmount is what was given back, in currency units.
func (p *Payment) RefundedAmount() float64 { return float64(p.RefundedCents) / 100 }

// PaymentEventKind is what a provider says happened to a payment.
type PaymentEventKind string

const (
	PaymentEventSucceeded PaymentEventKind = "succeeded"
	PaymentEventFailed    PaymentEventKind = "failed"
	PaymentEventRefunded  PaymentEventKind = "refunded"
)

// PaymentEvent is a provider's word about a payment, as a webhook or the
// test provider delivers it. Each is applied once, by (Provider, ID).
type PaymentEvent struct {
	Provider    string
	ID          string // the provider's id for this event: de-duplicates deliveries
	PaymentID   string // ours, when the provider carries it (metadata)
	ProviderRef string // the provider's id for the payment, otherwise
	Kind        PaymentEventKind
	AmountCents int64  // succeeded: paid; refunded: refunded in all
	Detail      string // e.g. why a card was declined
}

// PaymentProvider takes and refunds payments. Calls to it never run inside
// a database transaction: they can be slow, and they are retried.
type PaymentProvider interface {
	// Name is the provider's name, as Payment.Provider keeps it.
	Name() string
	// Pay submits the buyer's card for p. The provider answers later, with
	// the PaymentEvent Pay returns (the test provider) or by webhook; ok
	// false means the provider takes no card here (Stripe: the buyer pays
	// in the browser). EINVALID for a card the provider refuses to read.
	Pay(ctx context.Context, p *Payment, card string) (ev *PaymentEvent, ok bool, err error)
	// Refund gives amountCents of p back to the buyer. Calls with the same
	// key refund once, however often they are retried.
	Refund(ctx context.Context, p *Payment, amountCents int64, key string) error
}

// PaymentStore keeps payments.
type PaymentStore interface {
	// ByID returns ENOTFOUND if there is none.
	ByID(ctx context.Context, id string) (*Payment, error)
	// ByProviderRef finds a payment by the provider's id for it.
	ByProviderRef(ctx context.Context, provider, ref string) (*Payment, error)
	// ByBookingIDs returns the payments of these bookings, in any order.
	ByBookingIDs(ctx context.Context, ids []string) ([]*Payment, error)
	// Save writes p's status, amounts, provider reference and secret.
	Save(ctx context.Context, p *Payment) error
	// SetProviderRef records the provider's reference for p and the
	// buyer's client secret, if p has no reference yet, and reports
	// whether it did: when two preparations of one payment race, the
	// first to commit wins and the other changes nothing. Nothing else of
	// the payment is written.
	SetProviderRef(ctx context.Context, id, ref, clientSecret string, at time.Time) (bool, error)
	// FirstDelivery records that a provider's event was received, and
	// reports whether it is the first time: a webhook delivered twice, or
	// to two servers, is applied once.
	FirstDelivery(ctx context.Context, provider, eventID string, at time.Time) (bool, error)
}

// PaymentPreparer is a PaymentProvider that must set a payment up before
// the buyer can pay: Stripe creates a PaymentIntent, whose client secret
// the buyer's browser needs. The services check for it by type assertion
// (as alf.io's capabilities), and prepare a held booking's payment by job,
// after the hold commits: never inside a booking transaction.
type PaymentPreparer interface {
	// PreparePayment creates the provider's side of p, once however often
	// it is called (p.ID is its idempotency key), and returns the
	// provider's reference for it and the buyer's client secret.
	// EUNAVAILABLE when the provider cannot be reached now.
	PreparePayment(ctx context.Context, p *Payment) (ref, clientSecret string, err error)
}

// ErrProviderShedding is in the chain of a provider's EUNAVAILABLE error
// when it made no call at all: its circuit breaker is open after repeated
// failures. Jobs that get it wait for the error's RetryAfter without
// spending one of their attempts, so an outage of any length loses no work.
var ErrProviderShedding = errors.New("payment provider: circuit breaker open, no call made")
