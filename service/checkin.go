package service

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
)

// MaxScansPerUpload bounds one upload of offline scans.
const MaxScansPerUpload = 1000

// door returns the event if the caller checks its tickets in: its
// organizer, its staff and admins. ENOTFOUND, EFORBIDDEN,
// EUNAUTHENTICATED.
func (s *Tickets) door(ctx context.Context, eventID string) (*boxoffice.Event, error) {
	if err := validID("eventId", eventID); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanCheckIn(c, nil, false)
	}
	e, err := s.store.Events().ByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return e, s.allowed(ctx, e.ID, func(staff bool) error { return boxoffice.CanCheckIn(c, e, staff) })
}

// CheckIn checks a scanned code in at the door, now. Of two doors scanning
// one ticket at the same moment exactly one is told OK: the ticket is
// marked used by one conditional UPDATE. Every scan is recorded, and a
// check-in goes in its booking's history. Check-ins do not count against
// the caller's change budget: a door scans faster than a person clicks.
func (s *Tickets) CheckIn(ctx context.Context, eventID, code string) (*boxoffice.CheckIn, error) {
	e, err := s.door(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return s.scan(ctx, e, boxoffice.Scan{Code: code, At: s.now()}, false)
}

// CheckInScans uploads scans made offline, each with its time: the
// earliest scan of a ticket wins, whatever the order they arrive in, and
// a later one is answered ALREADY_CHECKED_IN with a Conflict saying so.
// Every scan is kept and answered, in the order given. EINVALID for an
// upload without scans or with more than MaxScansPerUpload, or a scan
// from the future.
func (s *Tickets) CheckInScans(ctx context.Context, eventID string, scans []boxoffice.Scan) ([]*boxoffice.CheckIn, error) {
	if len(scans) == 0 || len(scans) > MaxScansPerUpload {
		return nil, boxoffice.Invalidf("scans", "send 1 to %d scans", MaxScansPerUpload)
	}
	now := s.now()
	for i, sc := range scans {
		if sc.At.IsZero() || sc.At.After(now.Add(time.Minute)) { // a minute of clock skew
			return nil, boxoffice.Invalidf("scans", "scan %d: at must be the time of the scan, not in the future", i+1)
		}
		if len(sc.Device) > 200 || boxoffice.CheckText("device", sc.Device) != nil {
			return nil, boxoffice.Invalidf("scans", "scan %d: device must be at most 200 characters of text", i+1)
		}
	}
	e, err := s.door(ctx, eventID)
	if err != nil {
		return nil, err
	}
	// Earliest first, so that the first scan of a ticket to arrive here is
	// its earliest of this upload; an earlier one uploaded later by another
	// door still moves the check-in back (scan with earliest).
	order := make([]int, len(scans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return scans[a].At.Compare(scans[b].At) })
	out := make([]*boxoffice.CheckIn, len(scans))
	for _, i := range order {
		if out[i], err = s.scan(ctx, e, scans[i], true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scan decides one scan of event e and records it. With offline, the scan
// happened at sc.At, and is earlier than a check-in recorded after it.
func (s *Tickets) scan(ctx context.Context, e *boxoffice.Event, sc boxoffice.Scan, offline bool) (*boxoffice.CheckIn, error) {
	sc.Code = strings.ToUpper(strings.TrimSpace(sc.Code))
	res := &boxoffice.CheckIn{At: sc.At}
	claims, verdict, err := s.verify(ctx, e, sc.Code)
	if err != nil {
		return nil, err
	}
	if verdict != "" { // INVALID or WRONG_EVENT: no ticket of this event
		res.Result = verdict
		if len(sc.Code) > 200 {
			sc.Code = sc.Code[:200] // kept to see what was scanned, bounded
		}
		return res, s.store.Tickets().RecordScan(ctx, "", e.ID, sc, verdict)
	}
	err = s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		before, changed, err := tx.Tickets().CheckIn(ctx, claims.TicketID, claims.Version, sc.At, offline)
		if err != nil {
			return nil, err
		}
		t := before
		if changed {
			t = before.CheckedIn(sc.At)
		}
		res.Ticket = t
		switch {
		case t.Version != claims.Version || t.Status == boxoffice.TicketVoid:
			res.Result = boxoffice.CheckInVoid
		case changed && before.Status == boxoffice.TicketUsed:
			// An offline scan made before the check-in recorded: it wins.
			res.Result = boxoffice.CheckInOK
			res.Conflict = fmt.Sprintf("an earlier scan: the check-in recorded at %s moved back to %s",
				before.CheckedInAt.UTC().Format(time.RFC3339), sc.At.UTC().Format(time.RFC3339))
		case changed:
			res.Result = boxoffice.CheckInOK
		default:
			res.Result, res.FirstCheckedInAt = boxoffice.CheckInAlreadyCheckedIn, t.CheckedInAt
			if offline {
				res.Conflict = "checked in before, at " + t.CheckedInAt.UTC().Format(time.RFC3339)
			}
		}
		if err := tx.Tickets().RecordScan(ctx, t.ID, e.ID, sc, res.Result); err != nil {
			return nil, err
		}
		if !changed || before.Status == boxoffice.TicketUsed {
			return nil, nil
		}
		detail := "ticket " + t.ID
		if offline {
			detail += ", scanned offline at " + sc.At.UTC().Format(time.RFC3339)
		}
		return []*boxoffice.Change{{Kind: boxoffice.ChangeTicketCheckedIn, At: sc.At, ActorID: caller(ctx).UserID,
			UserID: t.OwnerID, EventID: e.ID, BookingID: t.BookingID, Detail: detail}}, nil
	})
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND { // signed by us, yet no such ticket
		res.Result, res.Ticket = boxoffice.CheckInInvalid, nil
		return res, s.store.Tickets().RecordScan(ctx, "", e.ID, sc, res.Result)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// verify checks code's signature with event e's key. verdict is "" for a
// code of e's (claims say which ticket), WRONG_EVENT for a genuine code of
// another event, INVALID for anything else.
func (s *Tickets) verify(ctx context.Context, e *boxoffice.Event, code string) (boxoffice.TicketClaims, boxoffice.CheckInResult, error) {
	parsed, _, _, ok := boxoffice.ParseTicketCode(code)
	if !ok {
		return parsed, boxoffice.CheckInInvalid, nil
	}
	signer := e.ID
	if parsed.EventID != e.ID {
		signer = parsed.EventID
	}
	k, err := s.key(ctx, signer)
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		return parsed, boxoffice.CheckInInvalid, nil
	} else if err != nil {
		return parsed, "", err
	}
	claims, ok := boxoffice.VerifyTicketCode(k.Public().(ed25519.PublicKey), code)
	switch {
	case !ok:
		return claims, boxoffice.CheckInInvalid, nil
	case claims.EventID != e.ID:
		return claims, boxoffice.CheckInWrongEvent, nil
	}
	return claims, "", nil
}

// CheckedIn counts an event's tickets checked in: its organizer and staff,
// admins.
func (s *Tickets) CheckedIn(ctx context.Context, eventID string) (int, error) {
	e, err := s.door(ctx, eventID)
	if err != nil {
		return 0, err
	}
	return s.store.Tickets().CountCheckedIn(ctx, e.ID)
}

// Bundle is what a door needs to check an event's tickets in with no
// network: its public key, every void code (of void tickets, and the
// earlier versions of transferred ones) and the tickets used. Codes are
// signed deterministically, so the void codes are the very codes once
// handed out. The organizer, staff and admins.
func (s *Tickets) Bundle(ctx context.Context, eventID string) (*boxoffice.CheckInBundle, error) {
	e, err := s.door(ctx, eventID)
	if err != nil {
		return nil, err
	}
	k, err := s.key(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	made := s.now()
	ts, err := s.store.Tickets().ByEvent(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	b := &boxoffice.CheckInBundle{EventID: e.ID, PublicKey: base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey)),
		Void: []string{}, Used: []boxoffice.UsedTicket{}, MadeAt: made}
	for _, t := range ts {
		last := t.Version - 1 // its current code is good
		if t.Status == boxoffice.TicketVoid {
			last = t.Version
		}
		for v := 1; v <= last; v++ {
			b.Void = append(b.Void, boxoffice.SignTicketCode(k, t.ID, t.EventID, v))
		}
		if t.Status == boxoffice.TicketUsed {
			b.Used = append(b.Used, boxoffice.UsedTicket{TicketID: t.ID, CheckedInAt: *t.CheckedInAt})
		}
	}
	return b, nil
}

// AddEventStaff lets a user check the event's tickets in: its organizer
// and admins. ENOTFOUND for a user or event that does not exist.
func (s *Tickets) AddEventStaff(ctx context.Context, eventID, userID string) (*boxoffice.Event, error) {
	if err := validID("eventId", eventID); err != nil {
		return nil, err
	}
	if err := validID("userId", userID); err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanManageStaff(c, nil)
	}
	e, err := s.store.Events().ByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanManageStaff(c, e); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	if err := s.store.Events().AddStaff(ctx, e.ID, userID, s.now()); err != nil {
		return nil, err
	}
	return e, nil
}
