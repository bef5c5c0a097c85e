// Package mail composes and sends boxoffice's email: a Message holds the
// recipients, the subject, the plain-text and HTML bodies, attachments and
// inline images; a Sender delivers it. Two Senders exist: SMTP, for a real
// mail server (SMTP_URL), and Outbox, which writes each message as an
// .eml file into a folder so that the zero-setup demo shows its mail
// without any server. Both write the same MIME, built once (compose.go).
//
// The texts come from templates kept in this package (templates/LANG/),
// filled from plain view models (views.go) by Render.
//
// Sending is meant to run in a background job that retries: Permanent
// tells the job whether another attempt can help.
package mail

import "context"

// Message is one email to send.
type Message struct {
	// To holds one or more recipients, each an RFC 5322 address such as
	// "ann@example.com" or "Ann Lee <ann@example.com>".
	To      []string
	Subject string
	Text    string // the plain-text body
	HTML    string // the HTML body; with Text, the two are sent as alternatives
	// Attachments are files the reader saves, such as the tickets' PDF.
	Attachments []Attachment
	// Inline holds images the HTML body shows, referenced as
	// <img src="cid:CONTENT-ID">.
	Inline []InlineImage
	// ID is the Message-ID without its angle brackets, such as
	// "booking-42-confirmed@boxoffice". Empty: one is generated. A job
	// that sets a stable ID lets mail clients recognise the copy a retry
	// may send after a lost reply.
	ID string
}

// Attachment is a file attached to a message.
type Attachment struct {
	Name        string // the file name the reader sees, such as "tickets.pdf"
	ContentType string // such as "application/pdf"; empty: guessed from Name
	Data        []byte
}

// InlineImage is a PNG image shown inside the HTML body.
type InlineImage struct {
	// ContentID names the image for the HTML (src="cid:ContentID"). It
	// may hold letters, digits and . _ - @ only, so it is safe in a header.
	ContentID string
	PNG       []byte
}

// Sender delivers messages. Implementations are safe for concurrent use.
type Sender interface {
	// Send delivers m, or returns an error that Permanent classifies.
	Send(ctx context.Context, m Message) error
}
