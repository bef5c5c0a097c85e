package service_test

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// venue is an event with its organizer, a door keeper on its staff, and a
// buyer with confirmed tickets (PAYMENT_PROVIDER=none), on one engine.
type venue struct {
	store           testdb.Engine
	svc             *service.Services
	org, door, ann  *boxoffice.User
	ev              *boxoffice.Event
	booking         *boxoffice.Booking
	tickets         []*boxoffice.Ticket
	codes           []string
	orgCtx, doorCtx context.Context
	annCtx          context.Context
}

func newVenue(t *testing.T, store testdb.Engine, seats int) *venue {
	t.Helper()
	ctx := t.Context()
	svc := service.New(store, service.Options{Limits: &service.Limits{}})
	t.Cleanup(svc.Close)
	v := &venue{store: store, svc: svc}
	n := boxoffice.NewID()[30:] // venues may share a database (the random end of the id)
	v.org = storetest.MustCreateUserWithRole(t, store, "olga"+n, boxoffice.RoleOrganizer)
	v.door = storetest.MustCreateUser(t, store, "dora"+n)
	v.ann = storetest.MustCreateUser(t, store, "ann"+n)
	v.orgCtx, v.doorCtx, v.annCtx = as(ctx, v.org), as(ctx, v.door), as(ctx, v.ann)
	v.ev = storetest.MustCreateOrganizedEvent(t, store, v.org, 100, 2*time.Hour)
	if _, err := svc.Tickets.AddEventStaff(v.orgCtx, v.ev.ID, v.door.ID); err != nil {
		t.Fatalf("AddEventStaff: %v", err)
	}
	b, err := svc.Bookings.CreateBooking(v.annCtx, boxoffice.BookingRequest{UserID: v.ann.ID, EventID: v.ev.ID, Tickets: seats})
	if err != nil {
		t.Fatal(err)
	}
	v.booking = b
	if v.tickets, err = svc.Tickets.MyTickets(v.annCtx); err != nil || len(v.tickets) != seats {
		t.Fatalf("the buyer's tickets: %d, %v; want %d", len(v.tickets), err, seats)
	}
	for _, tk := range v.tickets {
		code, err := svc.Tickets.TicketCode(ctx, tk)
		if err != nil {
			t.Fatal(err)
		}
		v.codes = append(v.codes, code)
	}
	return v
}

func (v *venue) scan(t *testing.T, ctx context.Context, code string) *boxoffice.CheckIn {
	t.Helper()
	res, err := v.svc.Tickets.CheckIn(ctx, v.ev.ID, code)
	if err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	return res
}

// TestCheckInAtTheDoor: codes verify with the event's public key; the
// door staff check a ticket in once and are told, on a second scan, when
// it was first scanned; other events' codes, forgeries and cancelled
// tickets are told apart; only the organizer, staff and admins scan.
func TestCheckInAtTheDoor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		v := newVenue(t, testdb.Migrated(t, engine), 2)
		ctx := t.Context()
		key, err := v.svc.Tickets.CheckInKey(ctx, v.ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, code := range v.codes {
			if c, ok := boxoffice.VerifyTicketCode(ed25519.PublicKey(key), code); !ok || c.TicketID != v.tickets[i].ID {
				t.Errorf("ticket %d's code does not verify with checkInKey: %+v", i, c)
			}
		}

		_, err = v.svc.Tickets.CheckIn(v.annCtx, v.ev.ID, v.codes[0])
		wantCode(t, err, boxoffice.EFORBIDDEN)
		_, err = v.svc.Tickets.CheckIn(ctx, v.ev.ID, v.codes[0])
		wantCode(t, err, boxoffice.EUNAUTHENTICATED)
		_, err = v.svc.Tickets.AddEventStaff(v.annCtx, v.ev.ID, v.ann.ID)
		wantCode(t, err, boxoffice.EFORBIDDEN)

		first := v.scan(t, v.doorCtx, v.codes[0])
		if first.Result != boxoffice.CheckInOK || first.Ticket == nil || first.Ticket.Status != boxoffice.TicketUsed {
			t.Fatalf("first scan: %+v", first)
		}
		again := v.scan(t, v.orgCtx, v.codes[0])
		if again.Result != boxoffice.CheckInAlreadyCheckedIn || again.FirstCheckedInAt == nil ||
			again.FirstCheckedInAt.Sub(first.At).Abs() > time.Millisecond {
			t.Errorf("second scan: %+v, want ALREADY_CHECKED_IN at %v", again, first.At)
		}

		other := newVenue(t, v.store, 1) // another event, on the same database
		for _, tc := range []struct {
			name, code string
			want       boxoffice.CheckInResult
		}{
			{"another event's ticket", other.codes[0], boxoffice.CheckInWrongEvent},
			{"a forgery", forge(v.tickets[1].ID, v.ev.ID), boxoffice.CheckInInvalid},
			{"not a code", "ADMIT ONE", boxoffice.CheckInInvalid},
		} {
			if got := v.scan(t, v.doorCtx, tc.code); got.Result != tc.want || got.Ticket != nil && tc.want == boxoffice.CheckInInvalid {
				t.Errorf("%s: %+v, want %s", tc.name, got, tc.want)
			}
		}
		if _, err := v.svc.Bookings.CancelBooking(v.annCtx, v.booking.ID); err != nil {
			t.Fatal(err)
		}
		if got := v.scan(t, v.doorCtx, v.codes[1]); got.Result != boxoffice.CheckInVoid {
			t.Errorf("a cancelled booking's ticket: %+v, want VOID", got)
		}
		if got := v.scan(t, v.doorCtx, v.codes[0]); got.Result != boxoffice.CheckInAlreadyCheckedIn {
			t.Errorf("a ticket used before its booking was cancelled: %+v", got)
		}
		if n, err := v.svc.Tickets.CheckedIn(v.doorCtx, v.ev.ID); err != nil || n != 1 {
			t.Errorf("checked in: %d, %v", n, err)
		}
		_, err = v.svc.Tickets.CheckedIn(v.annCtx, v.ev.ID)
		wantCode(t, err, boxoffice.EFORBIDDEN)
		if h := historyOf(t, v.store, v.booking.ID); !contains(h, "CHECKED_IN") || !contains(h, "CANCELLED") {
			t.Errorf("history: %v, want the check-in and the cancellation", h)
		}
	})
}

// TestTwoHundredDoorsScanOneTicket: one OK, 199 ALREADY_CHECKED_IN.
func TestTwoHundredDoorsScanOneTicket(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		v := newVenue(t, testdb.Migrated(t, engine), 1)
		results := make([]*boxoffice.CheckIn, 200)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() {
				var err error
				if results[i], err = v.svc.Tickets.CheckIn(v.doorCtx, v.ev.ID, v.codes[0]); err != nil {
					t.Errorf("scan %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		count := map[boxoffice.CheckInResult]int{}
		var okAt time.Time
		for _, r := range results {
			if r == nil {
				continue
			}
			count[r.Result]++
			if r.Result == boxoffice.CheckInOK {
				okAt = r.At
			}
		}
		if count[boxoffice.CheckInOK] != 1 || count[boxoffice.CheckInAlreadyCheckedIn] != 199 {
			t.Fatalf("200 doors at once: %v", count)
		}
		for _, r := range results {
			if r.Result == boxoffice.CheckInAlreadyCheckedIn && r.FirstCheckedInAt.Sub(okAt).Abs() > time.Millisecond {
				t.Errorf("told it was first scanned at %v, but the OK was at %v", r.FirstCheckedInAt, okAt)
			}
		}
		if h := historyOf(t, v.store, v.booking.ID); countOf(h, "CHECKED_IN") != 1 {
			t.Errorf("history: %v, want one check-in", h)
		}
	})
}

// TestOfflineScansResolveToTheEarliest: two doors work offline from a
// bundle, then upload; whatever the order of the uploads, each ticket is
// checked in at its earliest scan, the later scans are reported as
// conflicts, and every scan is answered.
func TestOfflineScansResolveToTheEarliest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		v := newVenue(t, testdb.Migrated(t, engine), 3)
		bundle, err := v.svc.Tickets.Bundle(v.doorCtx, v.ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, code := range v.codes {
			if r, _ := bundle.Check(code); r != boxoffice.CheckInOK {
				t.Errorf("offline, ticket %d: %s", i, r)
			}
		}
		_, err = v.svc.Tickets.Bundle(v.annCtx, v.ev.ID)
		wantCode(t, err, boxoffice.EFORBIDDEN)

		base := time.Now().Add(-time.Hour).Truncate(time.Second)
		at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
		doorA := []boxoffice.Scan{{Code: v.codes[0], At: at(10), Device: "A"}, {Code: v.codes[1], At: at(5), Device: "A"}}
		doorB := []boxoffice.Scan{{Code: v.codes[1], At: at(7), Device: "B"}, {Code: v.codes[0], At: at(2), Device: "B"},
			{Code: v.codes[2], At: at(1), Device: "B"}, {Code: v.codes[2], At: at(3), Device: "B"}}
		a, err := v.svc.Tickets.CheckInScans(v.doorCtx, v.ev.ID, doorA)
		if err != nil {
			t.Fatal(err)
		}
		b, err := v.svc.Tickets.CheckInScans(v.doorCtx, v.ev.ID, doorB)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != 2 || len(b) != 4 {
			t.Fatalf("answers: %d and %d, want one per scan", len(a), len(b))
		}
		want := []struct {
			got      *boxoffice.CheckIn
			result   boxoffice.CheckInResult
			conflict bool
		}{
			{a[0], boxoffice.CheckInOK, false},
			{a[1], boxoffice.CheckInOK, false},
			{b[0], boxoffice.CheckInAlreadyCheckedIn, true}, // door A scanned it at 5
			{b[1], boxoffice.CheckInOK, true},               // earlier than door A's 10: it wins
			{b[2], boxoffice.CheckInOK, false},
			{b[3], boxoffice.CheckInAlreadyCheckedIn, true}, // the same door, later
		}
		for i, w := range want {
			if w.got.Result != w.result || (w.got.Conflict != "") != w.conflict {
				t.Errorf("scan %d: %s, conflict %q; want %s, conflict %v", i, w.got.Result, w.got.Conflict, w.result, w.conflict)
			}
		}
		for i, wantAt := range []time.Time{at(2), at(5), at(1)} {
			got, err := v.store.Tickets().ByID(t.Context(), v.tickets[i].ID)
			if err != nil || got.Status != boxoffice.TicketUsed || !got.CheckedInAt.Equal(wantAt) {
				t.Errorf("ticket %d checked in at %v (%v), want the earliest scan's %v", i, got.CheckedInAt, err, wantAt)
			}
		}
		bundle, _ = v.svc.Tickets.Bundle(v.doorCtx, v.ev.ID)
		if r, first := bundle.Check(v.codes[0]); r != boxoffice.CheckInAlreadyCheckedIn || !first.Equal(at(2)) {
			t.Errorf("a fresh bundle says %s, first at %v", r, first)
		}
		_, err = v.svc.Tickets.CheckInScans(v.doorCtx, v.ev.ID, []boxoffice.Scan{{Code: v.codes[0], At: time.Now().Add(time.Hour)}})
		wantCode(t, err, boxoffice.EINVALID)
		_, err = v.svc.Tickets.CheckInScans(v.doorCtx, v.ev.ID, nil)
		wantCode(t, err, boxoffice.EINVALID)
	})
}

// TestTransferVoidsTheOldCode: the new holder has the ticket and a new
// code; the old code is VOID at once, also on a server that had used the
// event's key before, and in every bundle fetched afterwards; both sides
// see the transfer in the booking's history.
func TestTransferVoidsTheOldCode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		var here, there testdb.Engine
		if engine == "postgres" {
			dbs := testdb.Servers(t, 2)
			here, there = dbs[0], dbs[1]
		} else {
			here = testdb.Migrated(t, engine)
			there = here
		}
		v := newVenue(t, here, 2)
		other := service.New(there, service.Options{Limits: &service.Limits{}})
		t.Cleanup(other.Close)
		// The other server has seen the ticket's old code: it verified it.
		if _, err := other.Tickets.TicketCode(t.Context(), v.tickets[0]); err != nil {
			t.Fatal(err)
		}
		bob := storetest.MustCreateUser(t, here, "bob")
		bobCtx := as(t.Context(), bob)

		_, err := v.svc.Tickets.TransferTicket(v.annCtx, v.tickets[0].ID, "nobody@example.com")
		wantCode(t, err, boxoffice.ENOTFOUND)
		_, err = v.svc.Tickets.TransferTicket(bobCtx, v.tickets[0].ID, bob.Email)
		wantCode(t, err, boxoffice.ENOTFOUND)
		_, err = v.svc.Tickets.TransferTicket(v.orgCtx, v.tickets[0].ID, bob.Email)
		wantCode(t, err, boxoffice.EFORBIDDEN)

		moved, err := v.svc.Tickets.TransferTicket(v.annCtx, v.tickets[0].ID, " "+bob.Email+" ")
		if err != nil {
			t.Fatal(err)
		}
		if moved.OwnerID != bob.ID || moved.Version != 2 {
			t.Errorf("moved: %+v", moved)
		}
		newCode, err := v.svc.Tickets.TicketCode(t.Context(), moved)
		if err != nil || newCode == v.codes[0] {
			t.Fatalf("new code: %v (same as the old: %v)", err, newCode == v.codes[0])
		}
		res, err := other.Tickets.CheckIn(v.orgCtx, v.ev.ID, v.codes[0])
		if err != nil || res.Result != boxoffice.CheckInVoid {
			t.Errorf("the old code on the other server: %+v, %v; want VOID", res, err)
		}
		bundle, err := other.Tickets.Bundle(v.orgCtx, v.ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := bundle.Check(v.codes[0]); r != boxoffice.CheckInVoid {
			t.Errorf("a bundle fetched after the transfer says %s of the old code", r)
		}
		if r, _ := bundle.Check(newCode); r != boxoffice.CheckInOK {
			t.Errorf("a bundle fetched after the transfer says %s of the new code", r)
		}

		if mine, _ := v.svc.Tickets.MyTickets(bobCtx); len(mine) != 1 || mine[0].ID != moved.ID {
			t.Errorf("bob's tickets: %v", mine)
		}
		if mine, _ := v.svc.Tickets.MyTickets(v.annCtx); len(mine) != 1 {
			t.Errorf("ann's tickets: %d, want the one she kept", len(mine))
		}
		_, err = v.svc.Tickets.FindTicketByID(v.annCtx, moved.ID)
		wantCode(t, err, boxoffice.ENOTFOUND)
		if h := historyOf(t, here, v.booking.ID); !contains(h, "TICKET_TRANSFERRED") {
			t.Errorf("history: %v", h)
		}

		res, err = other.Tickets.CheckIn(v.orgCtx, v.ev.ID, newCode)
		if err != nil || res.Result != boxoffice.CheckInOK {
			t.Errorf("the new code: %+v, %v", res, err)
		}
		_, err = v.svc.Tickets.TransferTicket(bobCtx, moved.ID, v.ann.Email)
		wantCode(t, err, boxoffice.ECONFLICT) // used

		no := true
		if _, err := v.svc.Events.UpdateEvent(v.orgCtx, v.ev.ID, boxoffice.EventUpdate{NoTransfers: &no, Version: v.ev.Version}); err != nil {
			t.Fatal(err)
		}
		_, err = v.svc.Tickets.TransferTicket(v.annCtx, v.tickets[1].ID, bob.Email)
		wantCode(t, err, boxoffice.ECONFLICT) // not allowed by the organizer

		named, err := v.svc.Tickets.SetAttendeeName(v.annCtx, v.tickets[1].ID, "Ann A.")
		if err != nil || named.AttendeeName != "Ann A." {
			t.Errorf("SetAttendeeName: %+v, %v", named, err)
		}
		_, err = v.svc.Tickets.SetAttendeeName(v.annCtx, v.tickets[1].ID, "")
		wantCode(t, err, boxoffice.EINVALID)
	})
}

// forge signs a code for a ticket of event with a key that is not the
// event's.
func forge(ticketID, eventID string) string {
	_, key, _ := ed25519.GenerateKey(nil)
	return boxoffice.SignTicketCode(key, ticketID, eventID, 1)
}

func historyOf(t *testing.T, s boxoffice.Store, bookingID string) []string {
	t.Helper()
	b := storetest.MustFindBooking(t, s, bookingID)
	changes, err := s.Changes().ByBookingIDs(t.Context(), []string{bookingID})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range boxoffice.History(b, changes) {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func contains(list []string, s string) bool { return countOf(list, s) > 0 }

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
