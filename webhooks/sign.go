// Package webhooks delivers boxoffice's events to the HTTP endpoints
// organizers register, as the Standard Webhooks specification
// (https://www.standardwebhooks.com) says:
//
//   - every request carries webhook-id (the event's stable id, the same on
//     every retry, so receivers can de-duplicate), webhook-timestamp (the
//     attempt's time, so receivers can refuse replays) and
//     webhook-signature, an HMAC-SHA256 of both and the body under the
//     endpoint's secret (Sign; Verify is the receiver's side);
//   - a 2xx answer delivers; 410 Gone asks the sender to disable the
//     endpoint; anything else is retried on a schedule of about three
//     days (Backoff);
//   - endpoints cannot reach this machine or its private networks (no
//     server-side request forgery) unless AllowPrivate says so.
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock, either way, before Verify calls it a replay.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrMissingHeaders = errors.New("webhooks: a webhook-id, webhook-timestamp or webhook-signature header is missing")
	ErrTimestamp      = errors.New("webhooks: webhook-timestamp is not a Unix time within the tolerance")
	ErrSignature      = errors.New("webhooks: no valid signature")
)

// Sign returns the webhook-signature of one attempt to deliver body:
// "v1," and the base64 HMAC-SHA256, under secret, of msgID, the attempt's
// Unix time in seconds and body, joined by full stops. msgID must not
// contain a full stop, which would make two different (id, time) pairs
// sign the same bytes.
func Sign(secret, msgID string, at time.Time, body []byte) (string, error) {
	key, err := ParseSecret(secret)
	if err != nil {
		return "", err
	}
	if msgID == "" || strings.ContainsAny(msgID, ". \r\n") {
		return "", fmt.Errorf("webhooks: message id %q must be non-empty, without full stops or spaces", msgID)
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, msgID, strconv.FormatInt(at.Unix(), 10), body)), nil
}

func mac(key []byte, msgID, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify is what a receiver does with a delivery: it checks that header's
// webhook-timestamp is within DefaultTolerance of now and that one of the
// signatures in webhook-signature (a space-separated list, so a sender
// can rotate secrets) is body's under secret. body must be the bytes
// received, not re-encoded JSON.
func Verify(secret string, header http.Header, body []byte) error {
	return VerifyAt(secret, header, body, time.Now(), DefaultTolerance)
}

// VerifyAt is Verify with the receiver's clock and tolerance given.
func VerifyAt(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := ParseSecret(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if at := time.Unix(sec, 0); at.Before(now.Add(-tolerance)) || at.After(now.Add(tolerance)) {
		return ErrTimestamp
	}
	want := mac(key, id, ts, body)
	for _, sig := range strings.Fields(sigs) {
		version, encoded, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue // another scheme (v1a) or garbage: not ours to judge
		}
		got, err := base64.StdEncoding.DecodeString(encoded)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}
