package boxoffice

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// A ticket code is what a ticket's QR code holds: who it is, signed with
// its event's Ed25519 key, so that a door verifies it with the event's
// public key alone, offline, and nobody can guess or forge one. It is
//
//	base32(format 1 | ticket id | event id | version (2 bytes) | signature)
//
// upper-case without padding: 99 bytes, 159 characters of the alphabet a
// QR code packs densest (alphanumeric mode). It holds no personal data.
const ticketCodeFormat = 1

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// TicketClaims is what a ticket code says.
type TicketClaims struct {
	TicketID string
	EventID  string
	Version  int
}

// TicketKey is an event's signing key, from its 32-byte seed.
func TicketKey(seed []byte) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(seed) }

// SignTicketCode returns the code of version v of a ticket.
func SignTicketCode(key ed25519.PrivateKey, ticketID, eventID string, v int) string {
	payload := make([]byte, 0, 1+16+16+2+ed25519.SignatureSize)
	payload = append(payload, ticketCodeFormat)
	payload = append(payload, uuidBytes(ticketID)...)
	payload = append(payload, uuidBytes(eventID)...)
	payload = binary.BigEndian.AppendUint16(payload, uint16(v))
	return codeEncoding.EncodeToString(append(payload, ed25519.Sign(key, payload)...))
}

// ParseTicketCode reads a code without verifying it: ok false for what is
// not a ticket code at all.
func ParseTicketCode(code string) (c TicketClaims, signed, sig []byte, ok bool) {
	raw, err := codeEncoding.DecodeString(strings.ToUpper(strings.TrimSpace(code)))
	if err != nil || len(raw) != 1+16+16+2+ed25519.SignatureSize || raw[0] != ticketCodeFormat {
		return c, nil, nil, false
	}
	tid, _ := uuid.FromBytes(raw[1:17])
	eid, _ := uuid.FromBytes(raw[17:33])
	c = TicketClaims{TicketID: tid.String(), EventID: eid.String(), Version: int(binary.BigEndian.Uint16(raw[33:35]))}
	return c, raw[:35], raw[35:], true
}

// VerifyTicketCode checks a code's signature with an event's public key.
func VerifyTicketCode(pub ed25519.PublicKey, code string) (TicketClaims, bool) {
	c, signed, sig, ok := ParseTicketCode(code)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return TicketClaims{}, false
	}
	return c, ed25519.Verify(pub, signed, sig)
}

func uuidBytes(id string) []byte {
	u, err := uuid.Parse(id)
	if err != nil {
		return make([]byte, 16)
	}
	return u[:]
}

// CheckInBundle is what a door needs to check an event's tickets in with
// no network: the key that verifies the codes, the codes that are void
// (cancelled, refunded, transferred away), and the tickets already used.
// A scanner verifies a code with the key, then looks it up here; its scans
// are uploaded later (TicketService.CheckInScans).
type CheckInBundle struct {
	EventID   string       `json:"eventId"`
	PublicKey string       `json:"publicKey"` // base64 (standard), 32 bytes
	Void      []string     `json:"void"`
	Used      []UsedTicket `json:"used"`
	MadeAt    time.Time    `json:"madeAt"`
}

// UsedTicket is a ticket checked in, in a bundle.
type UsedTicket struct {
	TicketID    string    `json:"ticketId"`
	CheckedInAt time.Time `json:"checkedInAt"`
}

// Check says what a door with only this bundle makes of code: INVALID if
// the event's key does not verify it (WRONG_EVENT if it is a code of
// another event), VOID if it is listed void, ALREADY_CHECKED_IN if its
// ticket was used, else OK. firstAt is when a used ticket was checked in.
func (b *CheckInBundle) Check(code string) (result CheckInResult, firstAt *time.Time) {
	pub, err := base64.StdEncoding.DecodeString(b.PublicKey)
	if err != nil {
		return CheckInInvalid, nil
	}
	c, ok := VerifyTicketCode(pub, code)
	switch {
	case !ok:
		if claims, _, _, parsed := ParseTicketCode(code); parsed && claims.EventID != b.EventID {
			return CheckInWrongEvent, nil
		}
		return CheckInInvalid, nil
	case c.EventID != b.EventID:
		return CheckInWrongEvent, nil
	case slices.Contains(b.Void, strings.ToUpper(strings.TrimSpace(code))):
		return CheckInVoid, nil
	}
	for _, u := range b.Used {
		if u.TicketID == c.TicketID {
			at := u.CheckedInAt
			return CheckInAlreadyCheckedIn, &at
		}
	}
	return CheckInOK, nil
}
