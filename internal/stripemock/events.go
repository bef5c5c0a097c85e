package stripemock

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	stripego "github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// Event is a webhook event's payload, as Stripe renders it in stripe-go's
// API version, about object; its id is new.
func Event(typ string, object map[string]any) (id string, payload []byte) {
	return EventVersion(typ, stripego.APIVersion, object)
}

// EventVersion is Event rendered in another API version.
func EventVersion(typ, apiVersion string, object map[string]any) (id string, payload []byte) {
	id = "evt_" + randomHex(12)
	payload, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": apiVersion, "created": time.Now().Unix(), "type": typ,
		"livemode": false, "pending_webhooks": 1, "request": map[string]any{"id": nil, "idempotency_key": nil},
		"data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return id, payload
}

// Sign is the Stripe-Signature header Stripe sends with payload, signed
// with secret at the given time.
func Sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// Intent is a PaymentIntent as events carry it: boxoffice's metadata,
// amount and received amount in the currency's smallest unit.
func Intent(ref, paymentID, bookingID string, amount, received int64, currency, status string) map[string]any {
	return map[string]any{
		"id": ref, "object": "payment_intent", "amount": amount, "amount_received": received, "currency": currency,
		"status": status, "metadata": map[string]string{"payment_id": paymentID, "booking_id": bookingID},
		"client_secret": ref + "_secret_x", "livemode": false,
	}
}

// Declined is a PaymentIntent whose payment failed, with Stripe's message.
func Declined(ref, paymentID, bookingID string, amount int64, currency, message string) map[string]any {
	pi := Intent(ref, paymentID, bookingID, amount, 0, currency, "requires_payment_method")
	pi["last_payment_error"] = map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": message}
	return pi
}

// Charge is a PaymentIntent's charge, refunded by amountRefunded (in full
// when it equals amount). Charges carry no metadata of boxoffice's.
func Charge(ref string, amount, amountRefunded int64, currency string) map[string]any {
	return map[string]any{
		"id": "ch_" + randomHex(10), "object": "charge", "payment_intent": ref, "amount": amount, "amount_refunded": amountRefunded,
		"currency": currency, "refunded": amountRefunded == amount, "status": "succeeded", "metadata": map[string]string{},
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
