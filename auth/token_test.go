package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/golang-jwt/jwt/v5"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newTokens(t *testing.T) (*Tokens, []byte) {
	t.Helper()
	secret, err := GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	tk, err := NewTokens(secret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tk, secret
}

// wantUnauthenticated fails unless err is an EUNAUTHENTICATED *boxoffice.Error
// with message msg.
func wantUnauthenticated(t *testing.T, err error, msg string) {
	t.Helper()
	var e *boxoffice.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *boxoffice.Error", err, err)
	}
	if e.Code != boxoffice.EUNAUTHENTICATED || e.Message != msg {
		t.Fatalf("err = %v, want code %s message %q", err, boxoffice.EUNAUTHENTICATED, msg)
	}
}

func TestNewTokensShortSecret(t *testing.T) {
	_, err := NewTokens(make([]byte, 31), time.Hour)
	if err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("31-byte secret: err = %v", err)
	}
	if _, err := NewTokens(nil, time.Hour); err == nil {
		t.Fatal("nil secret accepted")
	}
	if _, err := NewTokens(make([]byte, 32), 0); err == nil {
		t.Fatal("zero ttl accepted")
	}
}

func TestTokenRoundTrip(t *testing.T) {
	tk, _ := newTokens(t)
	tok, exp, err := tk.Issue("user-1", 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(t0.Add(time.Hour)) {
		t.Fatalf("expiresAt = %v, want %v", exp, t0.Add(time.Hour))
	}
	c, err := tk.Verify(tok, t0.Add(59*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != "user-1" || c.Version != 7 || !c.ExpiresAt.Equal(exp) {
		t.Fatalf("claims = %+v", c)
	}
	// Version 0 is a real version, not a missing one.
	tok0, _, _ := tk.Issue("user-2", 0, t0)
	if c, err := tk.Verify(tok0, t0); err != nil || c.Version != 0 || c.UserID != "user-2" {
		t.Fatalf("version 0: %+v, %v", c, err)
	}
	// The payload carries the promised claims.
	var m map[string]any
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sub", "ver", "iat", "exp", "iss", "jti"} {
		if _, ok := m[k]; !ok {
			t.Errorf("claim %s missing from %s", k, payload)
		}
	}
	if m["iss"] != "boxoffice" {
		t.Errorf("iss = %v", m["iss"])
	}
	tok2, _, _ := tk.Issue("user-1", 7, t0)
	if tok2 == tok {
		t.Error("two tokens issued at the same moment are equal: jti not random")
	}
}

func TestTokenExpired(t *testing.T) {
	tk, _ := newTokens(t)
	tok, exp, _ := tk.Issue("user-1", 1, t0)
	if _, err := tk.Verify(tok, exp.Add(leeway/2)); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	_, err := tk.Verify(tok, exp.Add(leeway+time.Second))
	wantUnauthenticated(t, err, "token expired")
}

func TestTokenIssuedInFuture(t *testing.T) {
	tk, _ := newTokens(t)
	tok, _, _ := tk.Issue("user-1", 1, t0.Add(time.Hour))
	_, err := tk.Verify(tok, t0)
	wantUnauthenticated(t, err, "invalid token")
}

// sign signs claims with method and key, as an attacker or a misconfigured
// peer might.
func sign(t *testing.T, method jwt.SigningMethod, claims jwt.Claims, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestTokenRefused(t *testing.T) {
	tk, secret := newTokens(t)
	good, _, _ := tk.Issue("user-1", 3, t0)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if !strings.Contains(string(payload), `"ver":3`) {
		t.Fatalf("payload %s: cannot tamper with ver", payload)
	}

	valid := jwt.MapClaims{"sub": "user-1", "ver": 3, "iss": "boxoffice", "iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix()}
	without := func(k string) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, v := range valid {
			if kk != k {
				c[kk] = v
			}
		}
		return c
	}
	with := func(k string, v any) jwt.MapClaims { c := without(k); c[k] = v; return c }

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string) string { // change the first character (all 6 bits count)
		c := byte('A')
		if s[0] == 'A' {
			c = 'B'
		}
		return string(c) + s[1:]
	}

	cases := map[string]string{
		"empty":            "",
		"garbage":          "not.a.token",
		"two segments":     parts[0] + "." + parts[1],
		"tampered payload": parts[0] + "." + b64(strings.Replace(string(payload), `"ver":3`, `"ver":4`, 1)) + "." + parts[2],
		"tampered sig":     parts[0] + "." + parts[1] + "." + flip(parts[2]),
		"no signature":     parts[0] + "." + parts[1] + ".",
		"other secret":     sign(t, jwt.SigningMethodHS256, valid, []byte(strings.Repeat("x", 32))),
		"alg none":         b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".",
		"alg none lib":     sign(t, jwt.SigningMethodNone, valid, jwt.UnsafeAllowNoneSignatureType),
		"HS512 same key":   sign(t, jwt.SigningMethodHS512, valid, secret),
		"HS384 same key":   sign(t, jwt.SigningMethodHS384, valid, secret),
		"RS256":            sign(t, jwt.SigningMethodRS256, valid, rsaKey),
		"missing exp":      sign(t, jwt.SigningMethodHS256, without("exp"), secret),
		"missing sub":      sign(t, jwt.SigningMethodHS256, without("sub"), secret),
		"empty sub":        sign(t, jwt.SigningMethodHS256, with("sub", ""), secret),
		"missing ver":      sign(t, jwt.SigningMethodHS256, without("ver"), secret),
		"string ver":       sign(t, jwt.SigningMethodHS256, with("ver", "3"), secret),
		"fractional ver":   sign(t, jwt.SigningMethodHS256, with("ver", 3.5), secret),
		"negative ver":     sign(t, jwt.SigningMethodHS256, with("ver", -1), secret),
		"missing iss":      sign(t, jwt.SigningMethodHS256, without("iss"), secret),
		"other iss":        sign(t, jwt.SigningMethodHS256, with("iss", "someone-else"), secret),
		"too long":         good + strings.Repeat("A", maxTokenLength),
	}
	// Sanity: the hand-made valid claims do verify.
	if _, err := tk.Verify(sign(t, jwt.SigningMethodHS256, valid, secret), t0); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := tk.Verify(tok, t0)
			wantUnauthenticated(t, err, "invalid token")
			if c != (Claims{}) {
				t.Fatalf("claims %+v returned with an error", c)
			}
		})
	}
	// An expired token signed by someone else is "invalid", not "expired".
	old := sign(t, jwt.SigningMethodHS256, with("exp", t0.Add(-time.Hour).Unix()), []byte(strings.Repeat("y", 32)))
	_, err = tk.Verify(old, t0)
	wantUnauthenticated(t, err, "invalid token")
}
