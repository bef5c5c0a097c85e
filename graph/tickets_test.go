package graph_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/qrtest"
)

type ticketOut struct {
	ID           string  `json:"id"`
	Code         string  `json:"code"`
	QRSvg        string  `json:"qrSvg"`
	Status       string  `json:"status"`
	AttendeeName *string `json:"attendeeName"`
	CheckedInAt  *string `json:"checkedInAt"`
	Owner        struct {
		ID string `json:"id"`
	} `json:"owner"`
	Booking struct {
		ID      string `json:"id"`
		History []struct {
			Kind string `json:"kind"`
		} `json:"history"`
	} `json:"booking"`
	Event struct {
		ID string `json:"id"`
	} `json:"event"`
}

const ticketFields = `id code qrSvg status attendeeName checkedInAt owner { id } booking { id history { kind } } event { id }`

// The tickets API over HTTP, on both engines: a confirmed booking's
// tickets with codes that verify with checkInKey and QR codes that decode
// back to them; check-in by the event's staff; a transfer seen by both
// sides; and who sees what.
func TestTicketsOverTheAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		olga := s.newAccount(t, "olga", boxoffice.RoleOrganizer)
		dora := s.newAccount(t, "dora", boxoffice.RoleCustomer)
		ann, bob := s.signUp(t, "ann"), s.signUp(t, "bob")
		ev := s.as(olga.Token).createEvent(t, "Gala", 10, 0, 3)
		booked := s.as(ann.Token).book(t, ann.ID, ev.ID, 2)

		var got struct {
			Booking struct {
				Status  string      `json:"status"`
				Tickets []ticketOut `json:"tickets"`
			}
		}
		s.as(ann.Token).data(t, `query($id: ID!) { booking(id: $id) { status tickets { `+ticketFields+` } } }`,
			map[string]any{"id": booked.ID}, &got)
		if got.Booking.Status != "CONFIRMED" || len(got.Booking.Tickets) != 2 {
			t.Fatalf("booking: %+v", got.Booking)
		}
		var key struct{ CheckInKey string }
		s.as("").data(t, `query($e: ID!) { checkInKey(eventId: $e) }`, map[string]any{"e": ev.ID}, &key)
		pub, err := base64.StdEncoding.DecodeString(key.CheckInKey)
		if err != nil {
			t.Fatal(err)
		}
		for i, tk := range got.Booking.Tickets {
			if tk.Status != "VALID" || tk.Owner.ID != ann.ID || tk.Event.ID != ev.ID || tk.Booking.ID != booked.ID || tk.AttendeeName != nil {
				t.Errorf("ticket %d: %+v", i, tk)
			}
			if c, ok := boxoffice.VerifyTicketCode(ed25519.PublicKey(pub), tk.Code); !ok || c.TicketID != tk.ID {
				t.Errorf("ticket %d's code does not verify with checkInKey", i)
			}
			if read := qrtest.DecodeSVG(t, tk.QRSvg, 600); read != tk.Code {
				t.Errorf("ticket %d's qrSvg reads %q, want its code", i, read)
			}
		}
		first, second := got.Booking.Tickets[0], got.Booking.Tickets[1]

		// Who sees a ticket.
		s.as(bob.Token).fails(t, `query($id: ID!) { ticket(id: $id) { id } }`, map[string]any{"id": first.ID}, "NOT_FOUND", "")
		s.as("").fails(t, `{ myTickets { id } }`, nil, "UNAUTHENTICATED", "")
		var org struct{ Ticket ticketOut }
		s.as(olga.Token).data(t, `query($id: ID!) { ticket(id: $id) { `+ticketFields+` } }`, map[string]any{"id": first.ID}, &org)
		if org.Ticket.Code != first.Code {
			t.Errorf("the organizer sees another code: %+v", org.Ticket)
		}

		// The door.
		const checkIn = `mutation($e: ID!, $c: String!) { checkIn(eventId: $e, code: $c) { result at firstCheckedInAt ticket { id status checkedInAt } } }`
		type checkInOut struct {
			Result           string  `json:"result"`
			At               string  `json:"at"`
			FirstCheckedInAt *string `json:"firstCheckedInAt"`
			Ticket           *struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"ticket"`
		}
		s.as(dora.Token).fails(t, checkIn, map[string]any{"e": ev.ID, "c": first.Code}, "FORBIDDEN", "")
		var staff struct{ AddEventStaff struct{ ID string } }
		s.as(olga.Token).data(t, `mutation($e: ID!, $u: ID!) { addEventStaff(eventId: $e, userId: $u) { id } }`,
			map[string]any{"e": ev.ID, "u": dora.ID}, &staff)
		var scan1, scan2 struct{ CheckIn checkInOut }
		s.as(dora.Token).data(t, checkIn, map[string]any{"e": ev.ID, "c": first.Code}, &scan1)
		s.as(dora.Token).data(t, checkIn, map[string]any{"e": ev.ID, "c": first.Code}, &scan2)
		if scan1.CheckIn.Result != "OK" || scan1.CheckIn.Ticket == nil || scan1.CheckIn.Ticket.Status != "USED" {
			t.Errorf("first scan: %+v", scan1.CheckIn)
		}
		if scan2.CheckIn.Result != "ALREADY_CHECKED_IN" || scan2.CheckIn.FirstCheckedInAt == nil || !sameInstant(*scan2.CheckIn.FirstCheckedInAt, scan1.CheckIn.At) {
			t.Errorf("second scan: %+v, first at %s", scan2.CheckIn, scan1.CheckIn.At)
		}
		var junk struct{ CheckIn checkInOut }
		s.as(dora.Token).data(t, checkIn, map[string]any{"e": ev.ID, "c": "NOT A TICKET"}, &junk)
		if junk.CheckIn.Result != "INVALID" || junk.CheckIn.Ticket != nil {
			t.Errorf("junk: %+v", junk.CheckIn)
		}
		var counts struct {
			Event struct {
				CheckedIn        int  `json:"checkedIn"`
				TransfersAllowed bool `json:"transfersAllowed"`
			}
		}
		s.as(dora.Token).data(t, `query($e: ID!) { event(id: $e) { checkedIn transfersAllowed } }`, map[string]any{"e": ev.ID}, &counts)
		if counts.Event.CheckedIn != 1 || !counts.Event.TransfersAllowed {
			t.Errorf("event: %+v", counts.Event)
		}
		s.as(ann.Token).fails(t, `query($e: ID!) { event(id: $e) { checkedIn } }`, map[string]any{"e": ev.ID}, "FORBIDDEN", "")

		// Offline scans, uploaded.
		var uploaded struct {
			CheckInScans []struct {
				Result   string  `json:"result"`
				Conflict *string `json:"conflict"`
			}
		}
		earlier := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		s.as(dora.Token).data(t, `mutation($e: ID!, $s: [ScanInput!]!) { checkInScans(eventId: $e, scans: $s) { result conflict } }`,
			map[string]any{"e": ev.ID, "s": []map[string]any{{"code": first.Code, "at": earlier, "device": "door 2"}}}, &uploaded)
		if r := uploaded.CheckInScans; len(r) != 1 || r[0].Result != "OK" || r[0].Conflict == nil {
			t.Errorf("an earlier offline scan: %+v, want OK with the conflict reported", r)
		}

		// A transfer: bob holds it, ann no longer sees it, both see it in the history.
		var moved struct{ TransferTicket ticketOut }
		s.as(ann.Token).data(t, `mutation($id: ID!, $to: String!) { transferTicket(id: $id, toEmail: $to) { `+ticketFields+` } }`,
			map[string]any{"id": second.ID, "to": bob.Email}, &moved)
		if moved.TransferTicket.Owner.ID != bob.ID || moved.TransferTicket.Code == second.Code {
			t.Errorf("moved: %+v", moved.TransferTicket)
		}
		var bobs struct{ MyTickets []ticketOut }
		s.as(bob.Token).data(t, `{ myTickets { `+ticketFields+` } }`, nil, &bobs)
		if len(bobs.MyTickets) != 1 || bobs.MyTickets[0].ID != second.ID || !hasKind(bobs.MyTickets[0].Booking.History, "TICKET_TRANSFERRED") {
			t.Errorf("bob's tickets: %+v", bobs.MyTickets)
		}
		s.as(ann.Token).data(t, `query($id: ID!) { booking(id: $id) { status tickets { `+ticketFields+` } } }`, map[string]any{"id": booked.ID}, &got)
		if len(got.Booking.Tickets) != 1 || got.Booking.Tickets[0].ID != first.ID {
			t.Errorf("ann's booking shows %d tickets, want only the one she holds", len(got.Booking.Tickets))
		}
		if h := got.Booking.Tickets[0].Booking.History; !hasKind(h, "TICKET_TRANSFERRED") || !hasKind(h, "CHECKED_IN") {
			t.Errorf("ann's history: %+v", h)
		}
		var old struct{ CheckIn checkInOut }
		s.as(dora.Token).data(t, checkIn, map[string]any{"e": ev.ID, "c": second.Code}, &old)
		if old.CheckIn.Result != "VOID" {
			t.Errorf("the code before the transfer: %+v", old.CheckIn)
		}
		s.as(ann.Token).fails(t, `mutation($id: ID!, $to: String!) { transferTicket(id: $id, toEmail: $to) { id } }`,
			map[string]any{"id": first.ID, "to": "nobody@example.com"}, "NOT_FOUND", "")
		var named struct{ SetAttendeeName ticketOut }
		s.as(bob.Token).data(t, `mutation($id: ID!) { setAttendeeName(ticketId: $id, name: "Bob B.") { `+ticketFields+` } }`,
			map[string]any{"id": second.ID}, &named)
		if named.SetAttendeeName.AttendeeName == nil || *named.SetAttendeeName.AttendeeName != "Bob B." {
			t.Errorf("named: %+v", named.SetAttendeeName)
		}
	})
}

func hasKind(h []struct {
	Kind string `json:"kind"`
}, kind string) bool {
	for _, c := range h {
		if c.Kind == kind {
			return true
		}
	}
	return false
}

func sameInstant(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	return errA == nil && errB == nil && ta.Sub(tb).Abs() < time.Millisecond
}
