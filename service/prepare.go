package service

import (
	"context"
	"fmt"
	"time"

	"github.com/boxoffice/boxoffice"
)

// PreparePaymentJob sets a held booking's payment up with a provider that
// needs it (boxoffice.PaymentPreparer: Stripe's PaymentIntent), through
// Bookings.PreparePayment.
type PreparePaymentJob struct {
	PaymentID string `json:"payment_id"`
	// NotBefore is when the job is first worked: PrepareDelay after the
	// hold. Zero: at once.
	NotBefore time.Time `json:"not_before,omitzero"`
}

func (PreparePaymentJob) Kind() string { return "prepare_payment" }

// RunAt is when the queue first works the job (jobs.Scheduled).
func (j PreparePaymentJob) RunAt() time.Time { return j.NotBefore }

// PrepareDelay is how long after a hold its payment's preparation job
// waits: a buyer who asks for the client secret with the booking's
// answer, as a web page does, prepares the payment first, on demand, and
// the job then finds it done. Stripe is called once, not twice at once.
const PrepareDelay = time.Second

// Later is a job's answer that it is not its time yet: run it again after
// Wait, without counting an attempt.
type Later struct{ Wait time.Duration }

func (l *Later) Error() string { return fmt.Sprintf("service: not yet: again in %v", l.Wait) }

// PreparePayment does PreparePaymentJob (the jobs package's Handlers).
func (s *Services) PreparePayment(ctx context.Context, paymentID string) error {
	return s.Bookings.PreparePayment(ctx, paymentID)
}

// clientSecretWait bounds how long a buyer's request waits for the
// provider when it asks for a client secret that no job has made yet.
const clientSecretWait = 3 * time.Second

// preparer is the provider, if it prepares payments.
func (s *Bookings) preparer() boxoffice.PaymentPreparer {
	p, _ := s.payments.(boxoffice.PaymentPreparer)
	return p
}

// preparations are the jobs that prepare the payments of the holds among
// results (Bookings.bookBatch).
func preparations(results []boxoffice.BookingResult) []boxoffice.Job {
	var jobs []boxoffice.Job
	for _, r := range results {
		if b := r.Booking; r.Err == nil && b != nil && b.Payment != nil && b.Status == boxoffice.BookingPending {
			jobs = append(jobs, PreparePaymentJob{PaymentID: b.Payment.ID, NotBefore: b.CreatedAt.Add(PrepareDelay)})
		}
	}
	return jobs
}

// PreparePayment sets a payment up with its provider (a Stripe
// PaymentIntent) and records the provider's reference and the client
// secret, once: the provider makes one however often it is asked (the
// payment's id is the idempotency key), and the store keeps the first
// reference recorded. A payment that needs nothing more (prepared, paid,
// or its booking no longer held) is left alone. The provider is called
// outside any transaction, with no database connection held. As a job, it
// is scheduled PrepareDelay after the hold (PreparePaymentJob.NotBefore),
// for the buyer to ask first; one worked sooner (a job enqueued without a
// time) answers Later.
func (s *Bookings) PreparePayment(ctx context.Context, paymentID string) error {
	p, err := s.store.Payments().ByID(ctx, paymentID)
	if err != nil {
		return err
	}
	if wait := PrepareDelay - s.now().Sub(p.CreatedAt); p.ProviderRef == "" && wait > 0 {
		return &Later{Wait: wait}
	}
	_, err = s.prepare(ctx, p)
	return err
}

// prepare is PreparePayment of p as just read, returning the payment as it
// is then.
func (s *Bookings) prepare(ctx context.Context, p *boxoffice.Payment) (*boxoffice.Payment, error) {
	if p.ProviderRef != "" || (p.Status != boxoffice.PaymentRequired && p.Status != boxoffice.PaymentFailed) {
		return p, nil
	}
	preparer := s.preparer()
	if preparer == nil || s.payments.Name() != p.Provider {
		return nil, fmt.Errorf("service: prepare payment %s: its provider %q is not configured", p.ID, p.Provider)
	}
	b, err := s.store.Bookings().ByID(ctx, p.BookingID)
	if err != nil {
		return nil, err
	}
	if b.Status != boxoffice.BookingPending {
		return p, nil // expired or cancelled before it was needed
	}
	ref, secret, err := preparer.PreparePayment(ctx, p)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Payments().SetProviderRef(ctx, p.ID, ref, secret, s.now()); err != nil {
		return nil, err
	}
	// Read back: a rival preparation may have recorded its reference
	// first (the same PaymentIntent, made with the same key).
	return s.store.Payments().ByID(ctx, p.ID)
}

// PaymentClientSecret is a held booking's client secret, for its buyer
// alone (boxoffice.CanSeePaymentSecret): the one on record, or, if no
// job has prepared the payment yet, one prepared now, waiting at most
// clientSecretWait for the provider. "" when there is none to give: the
// provider prepares nothing, or the payment is past paying. EUNAVAILABLE
// when the provider is down: the booking stands, and the buyer asks
// again later.
func (s *Bookings) PaymentClientSecret(ctx context.Context, b *boxoffice.Booking, p *boxoffice.Payment) (string, error) {
	if p.ClientSecret != "" || s.preparer() == nil || p.Provider != s.payments.Name() || b.Status != boxoffice.BookingPending ||
		(p.Status != boxoffice.PaymentRequired && p.Status != boxoffice.PaymentFailed) {
		return p.ClientSecret, nil
	}
	if err := boxoffice.CanSeePaymentSecret(caller(ctx), b); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, clientSecretWait)
	defer cancel()
	p, err := s.store.Payments().ByID(ctx, p.ID) // the job may have been first
	if err == nil {
		p, err = s.prepare(ctx, p)
	}
	if err != nil {
		if boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE && ctx.Err() != nil {
			return "", &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, RetryAfter: time.Second,
				Message: "the payment service did not answer in time: try again"}
		}
		return "", err
	}
	return p.ClientSecret, nil
}
