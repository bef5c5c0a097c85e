package webhooks

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks test vector, as the specification's reference
// libraries test it (standard-webhooks/standard-webhooks, libraries/go
// and the others): this secret, id, time and body sign to this signature.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var vectorTime = time.Unix(vectorTimestamp, 0)

func vectorHeader(sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, vectorID)
	h.Set(HeaderTimestamp, strconv.Itoa(vectorTimestamp))
	h.Set(HeaderSignature, sig)
	return h
}

func TestSignMatchesTheSpecificationsVector(t *testing.T) {
	got, err := Sign(vectorSecret, vectorID, vectorTime, []byte(vectorBody))
	if err != nil || got != vectorSignature {
		t.Fatalf("Sign = %q, %v; want %q", got, err, vectorSignature)
	}
	// Receivers are often given the secret without its prefix.
	if got, _ := Sign(strings.TrimPrefix(vectorSecret, SecretPrefix), vectorID, vectorTime, []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("Sign with the bare secret = %q", got)
	}
}

func TestVerifyTheSpecificationsVector(t *testing.T) {
	body := []byte(vectorBody)
	if err := VerifyAt(vectorSecret, vectorHeader(vectorSignature), body, vectorTime, DefaultTolerance); err != nil {
		t.Fatalf("the vector does not verify: %v", err)
	}
	// Several signatures, for secret rotation: one valid among others,
	// and another scheme's (v1a) ignored.
	multi := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== " + vectorSignature
	if err := VerifyAt(vectorSecret, vectorHeader(multi), body, vectorTime, DefaultTolerance); err != nil {
		t.Fatalf("a valid signature among several: %v", err)
	}

	for name, c := range map[string]struct {
		secret string
		header http.Header
		body   string
		now    time.Time
		want   error
	}{
		"wrong signature":     {vectorSecret, vectorHeader("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), vectorBody, vectorTime, ErrSignature},
		"only v1a":            {vectorSecret, vectorHeader("v1a," + strings.TrimPrefix(vectorSignature, "v1,")), vectorBody, vectorTime, ErrSignature},
		"body changed":        {vectorSecret, vectorHeader(vectorSignature), `{"test": 2432232315}`, vectorTime, ErrSignature},
		"body re-encoded":     {vectorSecret, vectorHeader(vectorSignature), `{"test":2432232314}`, vectorTime, ErrSignature},
		"other secret":        {"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 24)), vectorHeader(vectorSignature), vectorBody, vectorTime, ErrSignature},
		"too old":             {vectorSecret, vectorHeader(vectorSignature), vectorBody, vectorTime.Add(DefaultTolerance + time.Second), ErrTimestamp},
		"from the future":     {vectorSecret, vectorHeader(vectorSignature), vectorBody, vectorTime.Add(-DefaultTolerance - time.Second), ErrTimestamp},
		"no id":               {vectorSecret, without(vectorHeader(vectorSignature), HeaderID), vectorBody, vectorTime, ErrMissingHeaders},
		"no timestamp":        {vectorSecret, without(vectorHeader(vectorSignature), HeaderTimestamp), vectorBody, vectorTime, ErrMissingHeaders},
		"no signature":        {vectorSecret, without(vectorHeader(vectorSignature), HeaderSignature), vectorBody, vectorTime, ErrMissingHeaders},
		"timestamp not a int": {vectorSecret, with(vectorHeader(vectorSignature), HeaderTimestamp, "1614265330.0"), vectorBody, vectorTime, ErrTimestamp},
		"id changed":          {vectorSecret, with(vectorHeader(vectorSignature), HeaderID, "msg_other"), vectorBody, vectorTime, ErrSignature},
		"timestamp changed":   {vectorSecret, with(vectorHeader(vectorSignature), HeaderTimestamp, strconv.Itoa(vectorTimestamp+1)), vectorBody, vectorTime, ErrSignature},
	} {
		if err := VerifyAt(c.secret, c.header, []byte(c.body), c.now, DefaultTolerance); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// At the edge of the tolerance, both ways, it still verifies.
	for _, now := range []time.Time{vectorTime.Add(DefaultTolerance), vectorTime.Add(-DefaultTolerance)} {
		if err := VerifyAt(vectorSecret, vectorHeader(vectorSignature), body, now, DefaultTolerance); err != nil {
			t.Errorf("at %v from the timestamp: %v", now.Sub(vectorTime), err)
		}
	}
}

func without(h http.Header, key string) http.Header { h.Del(key); return h }
func with(h http.Header, key, v string) http.Header { h.Set(key, v); return h }

// TestSignVerifyRoundTrip: what Sign makes now, Verify accepts now.
func TestSignVerifyRoundTrip(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"booking.confirmed"}`)
	now := time.Now()
	sig, err := Sign(secret, "evt_123", now, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderID, "evt_123")
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderSignature, sig)
	if err := Verify(secret, h, body); err != nil {
		t.Fatal(err)
	}
}

func TestSignRefusesAmbiguousIDs(t *testing.T) {
	for _, id := range []string{"", "a.b", "a b", "a\nb"} {
		if _, err := Sign(vectorSecret, id, vectorTime, nil); err == nil {
			t.Errorf("Sign with id %q: no error", id)
		}
	}
}

func TestSecrets(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		s, err := NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		key, err := ParseSecret(s)
		if err != nil || !strings.HasPrefix(s, SecretPrefix) || len(key) != 32 || seen[s] {
			t.Fatalf("NewSecret = %q: %d bytes, %v, seen before %v", s, len(key), err, seen[s])
		}
		seen[s] = true
	}
	for n, ok := range map[int]bool{0: false, 23: false, 24: true, 64: true, 65: false} {
		_, err := ParseSecret(SecretPrefix + base64.StdEncoding.EncodeToString(make([]byte, n)))
		if (err == nil) != ok {
			t.Errorf("a secret of %d bytes: %v", n, err)
		}
	}
	if _, err := ParseSecret("whsec_not base64!"); err == nil {
		t.Errorf("a secret that is not base64 was accepted")
	}
}

func TestPayload(t *testing.T) {
	b, err := Payload("booking.confirmed", time.Date(2026, 5, 1, 12, 0, 0, 500, time.FixedZone("x", 3600)), map[string]string{"bookingId": "b1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"booking.confirmed","timestamp":"2026-05-01T11:00:00.0000005Z","data":{"bookingId":"b1"}}`; string(b) != want {
		t.Fatalf("Payload = %s, want %s", b, want)
	}
	for _, typ := range []string{"", "booking.", ".x", "booking confirmed", "a..b", "é"} {
		if _, err := Payload(typ, time.Now(), nil); err == nil {
			t.Errorf("event type %q accepted", typ)
		}
	}
}
