package ticketpdf_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/qrtest"
	"github.com/boxoffice/boxoffice/ticketpdf"
)

// One page per ticket, each with a QR code that reads back as that
// ticket's code and verifies with the event's key; names in any script
// print.
func TestOnePageAndScannableCodePerTicket(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	e := &boxoffice.Event{ID: boxoffice.NewID(), Title: "Sommerfest — 夏祭り", Location: "Łódź", Date: time.Date(2027, 7, 1, 19, 30, 0, 0, time.UTC)}
	b := &boxoffice.Booking{ID: boxoffice.NewID(), EventID: e.ID, NumberOfTickets: 3}
	var tickets []ticketpdf.Ticket
	for i, name := range []string{"Zoë", "", "Ærø Ω"} {
		tk := &boxoffice.Ticket{ID: boxoffice.NewID(), BookingID: b.ID, EventID: e.ID, AttendeeName: name, Version: i + 1}
		tickets = append(tickets, ticketpdf.Ticket{Ticket: tk, Code: boxoffice.SignTicketCode(key, tk.ID, e.ID, tk.Version)})
	}
	pdf, err := ticketpdf.Write(e, b, tickets, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pages, codes := qrtest.PDFCodes(t, pdf)
	if pages != 3 || len(codes) != 3 {
		t.Fatalf("%d pages, %d QR codes; want 3 of each", pages, len(codes))
	}
	for i, code := range codes {
		if code != tickets[i].Code {
			t.Errorf("page %d reads %q, want ticket %d's code", i+1, code, i+1)
		}
		if c, ok := boxoffice.VerifyTicketCode(pub, code); !ok || c.TicketID != tickets[i].ID {
			t.Errorf("page %d: the code does not verify as ticket %s: %+v", i+1, tickets[i].ID, c)
		}
	}
}
