package service

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/boxoffice/boxoffice"
	boxmail "github.com/boxoffice/boxoffice/mail"
	"github.com/boxoffice/boxoffice/qr"
	"github.com/boxoffice/boxoffice/ticketpdf"
)

// The emails a change sends, by template (mail/templates/en): one job per
// message, so a failing address or server holds up nothing else. The
// reminder the day before the event is queued by SendReminders, not by a
// change.
const (
	mailHeld        = "booking_held"
	mailConfirmed   = "booking_confirmed"
	mailExpired     = "hold_expired"
	mailCancelled   = "booking_cancelled"
	mailRefunded    = "booking_refunded"
	mailTicketSent  = "ticket_sent"
	mailTicketGiven = "ticket_received"
	mailReminder    = "event_reminder"
	mailOffer       = "waitlist_offer"
)

// mailJobs are the emails change c calls for.
func mailJobs(c *boxoffice.Change) []boxoffice.Job {
	one := func(template, to string) []boxoffice.Job {
		if to == "" {
			return nil
		}
		return []boxoffice.Job{SendMailJob{Change: *c, Template: template, To: to}}
	}
	switch c.Kind {
	case boxoffice.ChangeBookingCreated:
		return one(mailHeld, c.UserID)
	case boxoffice.ChangeBookingConfirmed:
		return one(mailConfirmed, c.UserID)
	case boxoffice.ChangeBookingExpired:
		return one(mailExpired, c.UserID)
	case boxoffice.ChangeWaitlistOffered:
		return one(mailOffer, c.UserID)
	case boxoffice.ChangeBookingCancelled:
		return one(mailCancelled, c.UserID)
	case boxoffice.ChangeBookingRefunded:
		return one(mailRefunded, c.UserID)
	case boxoffice.ChangeTicketTransferred:
		_, from, _, ok := parseTransferDetail(c.Detail)
		if !ok {
			return nil
		}
		return append(one(mailTicketSent, from), one(mailTicketGiven, c.UserID)...)
	}
	return nil
}

// SendMail sends the email job j asks for, reading what it shows as it is
// now. A message that no longer applies (a hold already paid, a user or
// booking gone) is not sent. Errors say through mail.Permanent whether a
// retry can help.
func (s *Notifications) SendMail(ctx context.Context, j SendMailJob) error {
	if s.mail == nil {
		return nil
	}
	if err := s.afterRush(ctx); err != nil {
		return err
	}
	c := j.Change
	u, err := s.store.Users().ByID(ctx, j.To)
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	e, err := s.store.Events().ByID(ctx, c.EventID)
	if err != nil {
		return ignoreNotFound(err)
	}
	ev := boxmail.Event{Title: e.Title, Date: e.Date, Location: e.Location}
	var b *boxoffice.Booking
	var bv boxmail.Booking
	if c.BookingID != "" {
		if b, err = s.store.Bookings().ByID(ctx, c.BookingID); err != nil {
			return ignoreNotFound(err)
		}
		bv = boxmail.Booking{ID: b.ID, Tickets: b.NumberOfTickets, Total: boxmail.Money{Cents: b.TotalCents, Currency: b.Currency}}
	}
	if b == nil {
		return nil
	}
	var view boxmail.View
	var attach []boxmail.Attachment
	var inline []boxmail.InlineImage
	switch j.Template {
	case mailHeld:
		if b.Status != boxoffice.BookingPending || b.ExpiresAt == nil {
			return nil // paid, expired or cancelled before the mail went: no longer news
		}
		if offer, err := s.isOffer(ctx, b.ID); err != nil || offer {
			return err // a waiting list's offer: its own message says so
		}
		view = boxmail.BookingHeld{Name: u.Username, Event: ev, Booking: bv, ExpiresAt: *b.ExpiresAt}
	case mailOffer:
		if b.Status != boxoffice.BookingPending || b.ExpiresAt == nil {
			return nil // free offers are confirmed at once, and their confirmation says so; paid or run out: no longer news
		}
		view = boxmail.WaitlistOffer{Name: u.Username, Event: ev, Booking: bv, ExpiresAt: *b.ExpiresAt}
	case mailConfirmed:
		if b.Status != boxoffice.BookingConfirmed {
			return nil // cancelled before the mail went: its cancellation says so
		}
		v := boxmail.BookingConfirmed{Name: u.Username, Event: ev, Booking: bv}
		if attach, inline, v.Tickets, err = s.ticketsOf(ctx, e, b); err != nil {
			return err
		}
		view = v
	case mailReminder:
		if b.Status != boxoffice.BookingConfirmed {
			return nil
		}
		v := boxmail.EventReminder{Name: u.Username, Event: ev, Booking: bv}
		if attach, inline, v.Tickets, err = s.ticketsOf(ctx, e, b); err != nil {
			return err
		}
		view = v
	case mailExpired:
		view = boxmail.HoldExpired{Name: u.Username, Event: ev, Booking: bv}
	case mailCancelled:
		view = boxmail.BookingCancelled{Name: u.Username, Event: ev, Booking: bv}
	case mailRefunded:
		ps, err := s.store.Payments().ByBookingIDs(ctx, []string{b.ID})
		if err != nil {
			return err
		}
		refund := boxmail.Money{Currency: b.Currency}
		for _, p := range ps {
			refund.Cents += p.RefundedCents
		}
		view = boxmail.BookingRefunded{Name: u.Username, Event: ev, Booking: bv, Refund: refund}
	case mailTicketSent, mailTicketGiven:
		ticketID, from, to, ok := parseTransferDetail(c.Detail)
		if !ok {
			return nil
		}
		other := to
		if j.Template == mailTicketGiven {
			other = from
		}
		name := "another user"
		if o, err := s.store.Users().ByID(ctx, other); err == nil {
			name = o.Username
		}
		t := boxmail.Ticket{Code: shortCode(ticketID)}
		if j.Template == mailTicketSent {
			view = boxmail.TicketSent{Name: u.Username, Event: ev, Ticket: t, To: name}
		} else {
			view = boxmail.TicketReceived{Name: u.Username, Event: ev, Ticket: t, From: name}
		}
	default:
		return fmt.Errorf("service: no email %q", j.Template)
	}
	m, err := boxmail.Render(boxmail.DefaultLang, view)
	if err != nil {
		return err
	}
	m.To = []string{(&mail.Address{Name: u.Username, Address: u.Email}).String()}
	m.ID = fmt.Sprintf("change-%d-%s-%s@boxoffice", c.ID, strings.ReplaceAll(j.Template, "_", "-"), shortCode(u.ID))
	if j.Template == mailReminder {
		m.ID = fmt.Sprintf("booking-%s-event-reminder@boxoffice", b.ID)
	}
	m.Attachments, m.Inline = attach, inline
	return s.mail.Send(ctx, m)
}

// ticketsOf is the confirmation's tickets: those the buyer still holds,
// as a PDF attached and each QR code shown inline.
func (s *Notifications) ticketsOf(ctx context.Context, e *boxoffice.Event, b *boxoffice.Booking) ([]boxmail.Attachment, []boxmail.InlineImage, []boxmail.Ticket, error) {
	all, err := s.store.Tickets().ByBookingIDs(ctx, []string{b.ID})
	if err != nil {
		return nil, nil, nil, err
	}
	seed, err := s.store.Events().SigningKey(ctx, e.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	key := boxoffice.TicketKey(seed)
	var pages []ticketpdf.Ticket
	var inline []boxmail.InlineImage
	var shown []boxmail.Ticket
	for i, t := range all {
		if t.OwnerID != b.UserID || t.Status == boxoffice.TicketVoid {
			continue
		}
		code := boxoffice.SignTicketCode(key, t.ID, t.EventID, t.Version)
		pages = append(pages, ticketpdf.Ticket{Ticket: t, Code: code})
		q, err := qr.Encode(code)
		if err != nil {
			return nil, nil, nil, err
		}
		png, err := q.PNG(4)
		if err != nil {
			return nil, nil, nil, err
		}
		cid := fmt.Sprintf("ticket-%d@boxoffice", i+1)
		inline = append(inline, boxmail.InlineImage{ContentID: cid, PNG: png})
		shown = append(shown, boxmail.Ticket{Code: shortCode(t.ID), Attendee: t.AttendeeName, QRContentID: cid})
	}
	if len(pages) == 0 {
		return nil, nil, nil, nil
	}
	pdf, err := ticketpdf.Write(e, b, pages, s.now())
	if err != nil {
		return nil, nil, nil, err
	}
	return []boxmail.Attachment{{Name: "tickets.pdf", ContentType: "application/pdf", Data: pdf}}, inline, shown, nil
}

// shortCode is the first block of an id, as a person reads it out.
func shortCode(id string) string {
	first, _, _ := strings.Cut(id, "-")
	return strings.ToUpper(first)
}

func ignoreNotFound(err error) error {
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		return nil
	}
	return err
}

// isOffer reports whether a booking is a waiting list's offer.
func (s *Notifications) isOffer(ctx context.Context, bookingID string) (bool, error) {
	cs, err := s.store.Changes().ByBookingIDs(ctx, []string{bookingID})
	for _, c := range cs {
		if c.Kind == boxoffice.ChangeWaitlistOffered {
			return true, err
		}
	}
	return false, err
}
