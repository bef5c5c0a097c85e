package stripe

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	stripego "github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/boxoffice/boxoffice"
)

// The events boxoffice applies; Stripe may send any others, which are
// acknowledged and ignored.
const (
	EventSucceeded = "payment_intent.succeeded"      // the buyer paid: CONFIRMED (or refunded, for a hold that expired and whose tickets are gone)
	EventFailed    = "payment_intent.payment_failed" // the payment was declined: FAILED, the hold stays
	EventRefunded  = "charge.refunded"               // refunded in full, by us or from the Dashboard: REFUNDED
)

// ParseWebhook checks a webhook request's Stripe-Signature header against
// the endpoint's signing secret, and the signature's timestamp against
// stripe-go's tolerance (5 minutes), then reads the event. It returns the
// PaymentEvent to apply, or nil for an event boxoffice does not act on.
// EINVALID for a request that is not Stripe's (forged, stale, unsigned) or
// that cannot be read: nothing is to be applied.
//
// Events rendered in another API version than stripe-go's
// (stripego.APIVersion) are read all the same: the few fields read here
// have the same shape in every version. The first of each version is
// logged, to have the endpoint set to the SDK's version.
func (p *Provider) ParseWebhook(body []byte, header http.Header) (*boxoffice.PaymentEvent, error) {
	ev, err := webhook.ConstructEventWithOptions(body, header.Get("Stripe-Signature"), p.webhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return nil, errors.Join(boxoffice.Errorf(boxoffice.EINVALID, "no Stripe-Signature header"), err)
	case errors.Is(err, webhook.ErrTooOld):
		return nil, errors.Join(boxoffice.Errorf(boxoffice.EINVALID, "the signature's timestamp is too old"), err)
	case errors.Is(err, webhook.ErrInvalidHeader), errors.Is(err, webhook.ErrNoValidSignature):
		return nil, errors.Join(boxoffice.Errorf(boxoffice.EINVALID, "no valid signature"), err)
	case err != nil:
		return nil, errors.Join(boxoffice.Errorf(boxoffice.EINVALID, "not a Stripe event"), err)
	}
	if ev.ID == "" || ev.Data == nil {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "not a Stripe event: no id or data")
	}
	if v := ev.APIVersion; v != stripego.APIVersion {
		if _, seen := p.versions.LoadOrStore(v, true); !seen {
			p.log.Warn("stripe: webhook event in another API version than boxoffice's: set the webhook endpoint's API version to boxoffice's",
				"event_api_version", v, "api_version", stripego.APIVersion)
		}
	}
	switch string(ev.Type) {
	case EventSucceeded, EventFailed:
		var pi intentObject
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil || pi.ID == "" {
			return nil, errors.Join(boxoffice.Errorf(boxoffice.EINVALID, "%s: not a PaymentIntent", ev.Type), err)
		}
		out := &boxoffice.PaymentEvent{Provider: Name, ID: ev.ID, PaymentID: paymentID(pi.Metadata), ProviderRef: pi.ID}
		if ev.Type == EventSucceeded {
			out.Kind, out.AmountCents = boxoffice.PaymentEventSucceeded, fromMinor(pi.Currency, pi.AmountReceived)
		} else {
			out.Kind, out.Detail = boxoffice.PaymentEventFailed, "declined"
			if e := pi.LastPaymentError; e != nil && e.Message != "" {
				out.Detail = clip(e.Message, 200)
			}
		}
		return out, nil
	case EventRefunded:
		var ch chargeObject
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil || ch.ID == "" {
			return nil, errors.Join(boxoffice.Errorf(boxoffice.EINVALID, "%s: not a Charge", ev.Type), err)
		}
		ref := ch.paymentIntent()
		if !ch.Refunded || (ref == "" && paymentID(ch.Metadata) == "") {
			// A partial refund (boxoffice refunds whole bookings), or a
			// charge made without a PaymentIntent: nothing of ours.
			p.log.Info("stripe: charge.refunded ignored: a partial refund, or a charge that is not a PaymentIntent's",
				"event", ev.ID, "charge", ch.ID, "payment_intent", ref, "amount_refunded", ch.AmountRefunded, "refunded", ch.Refunded)
			return nil, nil
		}
		return &boxoffice.PaymentEvent{Provider: Name, ID: ev.ID, PaymentID: paymentID(ch.Metadata), ProviderRef: ref,
			Kind: boxoffice.PaymentEventRefunded, AmountCents: fromMinor(ch.Currency, ch.AmountRefunded)}, nil
	}
	return nil, nil
}

// intentObject is what boxoffice reads of a PaymentIntent.
type intentObject struct {
	ID               string            `json:"id"`
	AmountReceived   int64             `json:"amount_received"`
	Currency         string            `json:"currency"`
	Metadata         map[string]string `json:"metadata"`
	LastPaymentError *struct {
		Message string `json:"message"`
	} `json:"last_payment_error"`
}

// chargeObject is what boxoffice reads of a Charge.
type chargeObject struct {
	ID             string            `json:"id"`
	PaymentIntent  json.RawMessage   `json:"payment_intent"` // an id, or the object when expanded
	AmountRefunded int64             `json:"amount_refunded"`
	Currency       string            `json:"currency"`
	Refunded       bool              `json:"refunded"` // in full
	Metadata       map[string]string `json:"metadata"`
}

func (c chargeObject) paymentIntent() string {
	if id, ok := stripego.ParseID(c.PaymentIntent); ok {
		return id
	}
	var obj struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(c.PaymentIntent, &obj)
	return obj.ID
}

// paymentID is the payment id boxoffice put in the metadata, if it is one.
func paymentID(metadata map[string]string) string {
	if id := metadata["payment_id"]; boxoffice.ValidID(id) {
		return id
	}
	return ""
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
