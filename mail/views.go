package mail

import "time"

// The view models below are what the templates show: plain values the
// caller fills from its own types, so this package knows nothing of the
// domain. Times are shown in their own location: pass them .In(zone) to
// show them in the event's or the reader's time zone.

// View is the data of one kind of message; its type picks the template.
type View interface {
	template() string
}

// Event is the event a message is about.
type Event struct {
	Title    string
	Date     time.Time
	Location string
}

// Booking is the booking a message is about.
type Booking struct {
	ID      string
	Tickets int   // number of tickets
	Total   Money // what the buyer pays (or paid) for them
}

// Ticket is one ticket, as a confirmation or a reminder lists it.
type Ticket struct {
	Code     string // the code printed and scanned at the door
	Attendee string // the name on the ticket; "" if none
	// QRContentID is the content ID of the ticket's QR code image, sent
	// as an InlineImage of the message; "": no image shown.
	QRContentID string
}

// BookingHeld: tickets are held until ExpiresAt while the buyer pays.
type BookingHeld struct {
	Name      string // the recipient's name
	Event     Event
	Booking   Booking
	ExpiresAt time.Time
	PayURL    string // where to pay; "": the message says to pay in boxoffice
}

// BookingConfirmed: the booking is paid (or free); the caller attaches the
// tickets' PDF and the QR codes as inline images.
type BookingConfirmed struct {
	Name    string
	Event   Event
	Booking Booking
	Tickets []Ticket
}

// HoldExpired: the hold ran out unpaid and the tickets went back on sale.
type HoldExpired struct {
	Name    string
	Event   Event
	Booking Booking
}

// BookingCancelled: the booking was cancelled and its tickets given back.
type BookingCancelled struct {
	Name    string
	Event   Event
	Booking Booking
}

// BookingRefunded: the payment was given back.
type BookingRefunded struct {
	Name    string
	Event   Event
	Booking Booking
	Refund  Money
}

// TicketSent: the recipient transferred a ticket to someone else; its old
// code no longer works.
type TicketSent struct {
	Name   string
	Event  Event
	Ticket Ticket
	To     string // who received it: a name or an email address
}

// TicketReceived: someone transferred a ticket to the recipient.
type TicketReceived struct {
	Name   string
	Event  Event
	Ticket Ticket
	From   string // who sent it: a name or an email address
}

// WaitlistOffer: tickets came back and are held for the recipient, who
// was waiting for them, until ExpiresAt.
type WaitlistOffer struct {
	Name      string
	Event     Event
	Booking   Booking // the booking held for the recipient
	ExpiresAt time.Time
	PayURL    string // where to pay; "": the message says to pay in boxoffice
}

// EventReminder: the event is tomorrow.
type EventReminder struct {
	Name    string
	Event   Event
	Booking Booking
	Tickets []Ticket
}

func (BookingHeld) template() string      { return "booking_held" }
func (BookingConfirmed) template() string { return "booking_confirmed" }
func (HoldExpired) template() string      { return "hold_expired" }
func (BookingCancelled) template() string { return "booking_cancelled" }
func (BookingRefunded) template() string  { return "booking_refunded" }
func (TicketSent) template() string       { return "ticket_sent" }
func (TicketReceived) template() string   { return "ticket_received" }
func (WaitlistOffer) template() string    { return "waitlist_offer" }
func (EventReminder) template() string    { return "event_reminder" }
