// Package ticketpdf prints a booking's tickets as one PDF: a page per
// ticket with its event, date, place, attendee, booking and QR code, for
// the buyer to print or show on a phone. The PDF is codeberg.org/go-pdf/fpdf's;
// the text is set in the Go fonts, so any language prints.
package ticketpdf

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/qr"
)

// Ticket is one ticket to print: the ticket and its code.
type Ticket struct {
	*boxoffice.Ticket
	Code string
}

// qrScale is the pixels a QR module gets in the image: sharp when printed
// at qrSide.
const (
	qrScale = 8
	qrSide  = 90.0 // mm
)

// Write returns the PDF of tickets of booking b for event e, made at now.
func Write(e *boxoffice.Event, b *boxoffice.Booking, tickets []Ticket, now time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Tickets: "+e.Title, true)
	pdf.SetProducer("boxoffice", true)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	for i, t := range tickets {
		code, err := qr.Encode(t.Code)
		if err != nil {
			return nil, err
		}
		png, err := code.PNG(qrScale)
		if err != nil {
			return nil, err
		}
		name := "qr-" + t.ID
		pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
		page(pdf, e, b, t, name, i+1, len(tickets))
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("ticketpdf: %w", err)
	}
	return out.Bytes(), nil
}

// page lays one ticket out on A4: what it is for on top, the QR code in
// the middle, the fine print below.
func page(pdf *fpdf.Fpdf, e *boxoffice.Event, b *boxoffice.Booking, t Ticket, image string, n, of int) {
	pdf.AddPage()
	const left, width = 20.0, 170.0
	pdf.SetXY(left, 20)
	pdf.SetFont("go", "B", 22)
	pdf.MultiCell(width, 10, e.Title, "", "L", false)
	pdf.SetFont("go", "", 13)
	pdf.SetX(left)
	pdf.MultiCell(width, 7, e.Date.UTC().Format("Monday 2 January 2006, 15:04 MST"), "", "L", false)
	pdf.SetX(left)
	pdf.MultiCell(width, 7, e.Location, "", "L", false)
	pdf.Ln(4)
	pdf.SetX(left)
	attendee := t.AttendeeName
	if attendee == "" {
		attendee = "not named"
	}
	pdf.MultiCell(width, 7, "Attendee: "+attendee, "", "L", false)

	pdf.ImageOptions(image, (210-qrSide)/2, 90, qrSide, qrSide, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")

	pdf.SetFont("go", "", 9)
	pdf.SetXY(left, 190)
	fine := []string{
		fmt.Sprintf("Ticket %d of %d · ticket %s", n, of, t.ID),
		"Booking " + b.ID,
		"Show this code at the door. It is checked once: keep it to yourself.",
	}
	pdf.MultiCell(width, 5, strings.Join(fine, "\n"), "", "C", false)
}
