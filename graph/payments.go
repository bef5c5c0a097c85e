package graph

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// secretPreparer is a booking service that can prepare a payment on
// demand when its buyer asks for the client secret before any job has
// (service.Bookings, with a provider such as Stripe).
type secretPreparer interface {
	PaymentClientSecret(ctx context.Context, b *boxoffice.Booking, p *boxoffice.Payment) (string, error)
}

// clientSecret is Payment.clientSecret: the one on record, shown to the
// buyer alone, or one the service prepares now. A provider that cannot be
// reached leaves the field null with an UNAVAILABLE error: the booking
// itself is answered all the same.
func (r *paymentResolver) clientSecret(ctx context.Context, b *boxoffice.Booking, p *boxoffice.Payment) (*string, error) {
	if p.ClientSecret == "" {
		sp, ok := r.bookings.(secretPreparer)
		if !ok {
			return nil, nil
		}
		secret, err := sp.PaymentClientSecret(ctx, b, p)
		if err != nil || secret == "" {
			return nil, err
		}
		p.ClientSecret = secret
	}
	if err := boxoffice.CanSeePaymentSecret(boxoffice.CallerFromContext(ctx), b); err != nil {
		return nil, err
	}
	return &p.ClientSecret, nil
}
