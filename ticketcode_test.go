package boxoffice_test

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// A code verifies with its event's public key, and with nothing else: not
// with a bit changed anywhere, not with another event's key.
func TestTicketCodeVerifiesOnlyAsSigned(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	ticket, event := boxoffice.NewID(), boxoffice.NewID()
	code := boxoffice.SignTicketCode(key, ticket, event, 2)
	if len(code) > 160 {
		t.Errorf("code of %d characters, want at most 160 for an easy QR code", len(code))
	}
	c, ok := boxoffice.VerifyTicketCode(pub, code)
	if !ok || c.TicketID != ticket || c.EventID != event || c.Version != 2 {
		t.Fatalf("verify: %+v, %v", c, ok)
	}
	if _, ok := boxoffice.VerifyTicketCode(pub, strings.ToLower(" "+code+"\n")); !ok {
		t.Error("a code typed in lower case, with spaces around, does not verify")
	}
	if _, ok := boxoffice.VerifyTicketCode(otherPub, code); ok {
		t.Error("verifies with another event's key")
	}
	raw, err := base32NoPad(code)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(raw) * 8 {
		flipped := append([]byte(nil), raw...)
		flipped[i/8] ^= 1 << (i % 8)
		if _, ok := boxoffice.VerifyTicketCode(pub, encodeBase32NoPad(flipped)); ok {
			t.Fatalf("verifies with bit %d changed", i)
		}
	}
	for _, bad := range []string{"", "HELLO", code[:len(code)-1], code + "A", "0" + code[1:]} {
		if _, ok := boxoffice.VerifyTicketCode(pub, bad); ok {
			t.Errorf("%q verifies", bad)
		}
	}
}

// What a door with only a bundle says of each kind of code.
func TestCheckInBundle(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	event := boxoffice.NewID()
	fresh, used, moved, cancelled := boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID()
	at := time.Date(2027, 1, 2, 20, 0, 0, 0, time.UTC)
	b := &boxoffice.CheckInBundle{EventID: event, PublicKey: base64.StdEncoding.EncodeToString(pub),
		Void: []string{boxoffice.SignTicketCode(key, moved, event, 1), boxoffice.SignTicketCode(key, cancelled, event, 1)},
		Used: []boxoffice.UsedTicket{{TicketID: used, CheckedInAt: at}}}
	for _, tc := range []struct {
		name string
		code string
		want boxoffice.CheckInResult
	}{
		{"a valid ticket", boxoffice.SignTicketCode(key, fresh, event, 1), boxoffice.CheckInOK},
		{"a used ticket", boxoffice.SignTicketCode(key, used, event, 1), boxoffice.CheckInAlreadyCheckedIn},
		{"a transferred ticket's old code", boxoffice.SignTicketCode(key, moved, event, 1), boxoffice.CheckInVoid},
		{"its new code", boxoffice.SignTicketCode(key, moved, event, 2), boxoffice.CheckInOK},
		{"a cancelled ticket", boxoffice.SignTicketCode(key, cancelled, event, 1), boxoffice.CheckInVoid},
		{"another event's ticket", boxoffice.SignTicketCode(otherKey, fresh, boxoffice.NewID(), 1), boxoffice.CheckInWrongEvent},
		{"a forgery for this event", boxoffice.SignTicketCode(otherKey, fresh, event, 1), boxoffice.CheckInInvalid},
		{"no code at all", "https://example.com", boxoffice.CheckInInvalid},
	} {
		got, first := b.Check(tc.code)
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
		if (got == boxoffice.CheckInAlreadyCheckedIn) != (first != nil) || first != nil && !first.Equal(at) {
			t.Errorf("%s: first checked in at %v", tc.name, first)
		}
	}
}

var testCodes = base32.StdEncoding.WithPadding(base32.NoPadding)

func base32NoPad(s string) ([]byte, error) { return testCodes.DecodeString(s) }
func encodeBase32NoPad(b []byte) string    { return testCodes.EncodeToString(b) }
