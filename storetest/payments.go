package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// testPayments covers what a provider that prepares payments (Stripe)
// needs of the store: the reference and the client secret set once, the
// first of two racing preparations winning, and nothing else of the
// payment touched.
func testPayments(t *testing.T, open Opener) {
	t.Run("SetProviderRefOnce", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		ev := MustCreateEvent(t, s, 10, 2*time.Hour)
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 2}},
			boxoffice.BookingTerms{Hold: time.Hour, Provider: "stripe"})
		if err != nil || res[0].Err != nil {
			t.Fatalf("BookBatch: %v, %+v", err, res)
		}
		p := res[0].Booking.Payment
		// Another payment, with a reference already, to show the others are left alone.
		other := MustCreateEvent(t, s, 10, 2*time.Hour)
		res, err = s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: other.ID, Tickets: 1}},
			boxoffice.BookingTerms{Hold: time.Hour, Provider: "stripe"})
		if err != nil || res[0].Err != nil {
			t.Fatalf("BookBatch: %v, %+v", err, res)
		}
		q := res[0].Booking.Payment
		if ok, err := s.Payments().SetProviderRef(ctx, q.ID, "pi_other", "pi_other_secret", Tick()); !ok || err != nil {
			t.Fatalf("SetProviderRef of the other payment: %v, %v", ok, err)
		}

		// Two preparations race: exactly one sets the reference.
		var wg sync.WaitGroup
		won := make([]bool, 8)
		for i := range won {
			wg.Go(func() {
				ok, err := s.Payments().SetProviderRef(ctx, p.ID, "pi_"+string(rune('a'+i)), "secret_"+string(rune('a'+i)), Tick())
				if err != nil {
					t.Error(err)
				}
				won[i] = ok
			})
		}
		wg.Wait()
		winner := -1
		for i, ok := range won {
			if ok && winner >= 0 {
				t.Fatalf("preparations %d and %d both set the reference", winner, i)
			}
			if ok {
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no preparation set the reference")
		}
		got, err := s.Payments().ByID(ctx, p.ID)
		ref := "pi_" + string(rune('a'+winner))
		if err != nil || got.ProviderRef != ref || got.ClientSecret != "secret_"+string(rune('a'+winner)) ||
			got.Status != boxoffice.PaymentRequired || got.AmountCents != p.AmountCents || got.RefundedCents != 0 {
			t.Fatalf("payment after the race: %+v, %v; want reference %s and nothing else changed", got, err, ref)
		}
		if byRef, err := s.Payments().ByProviderRef(ctx, "stripe", ref); err != nil || byRef.ID != p.ID {
			t.Errorf("ByProviderRef(%s): %+v, %v", ref, byRef, err)
		}
		if got, _ := s.Payments().ByID(ctx, q.ID); got.ProviderRef != "pi_other" || got.ClientSecret != "pi_other_secret" {
			t.Errorf("the other payment changed: %+v", got)
		}

		// A reference never replaces another, whatever the payment's status.
		got.Status, got.UpdatedAt = boxoffice.PaymentSucceeded, Tick()
		if err := s.Payments().Save(ctx, got); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Payments().SetProviderRef(ctx, p.ID, "pi_late", "late", Tick()); ok || err != nil {
			t.Errorf("SetProviderRef over a reference: %v, %v; want false", ok, err)
		}
		if got, _ := s.Payments().ByID(ctx, p.ID); got.ProviderRef != ref || got.Status != boxoffice.PaymentSucceeded {
			t.Errorf("after a late preparation: %+v", got)
		}
		_, err = s.Payments().SetProviderRef(ctx, "not-an-id", "pi", "s", Tick())
		WantCode(t, err, boxoffice.ENOTFOUND)
		if ok, err := s.Payments().SetProviderRef(ctx, boxoffice.NewID(), "pi_none", "s", Tick()); ok || err != nil {
			t.Errorf("SetProviderRef of no payment: %v, %v; want false", ok, err)
		}
		AssertInvariants(t, s)
	})
}
