package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/boxoffice/boxoffice/internal/smtptest"
)

// testPNG is a small real PNG image.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 21, 21))
	for i := range img.Pix {
		img.Pix[i] = color.Gray{Y: uint8(i * 37)}.Y
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testPDF is PDF-like bytes with every byte value in it, so any lossy
// encoding (line ends, 8-bit) shows.
func testPDF(t *testing.T) []byte {
	t.Helper()
	b := []byte("%PDF-1.7\r\n%\xe2\xe3\xcf\xd3\n")
	for i := range 256 {
		b = append(b, byte(i))
	}
	rnd := make([]byte, 64<<10)
	if _, err := rand.Read(rnd); err != nil {
		t.Fatal(err)
	}
	return append(append(b, rnd...), "\n%%EOF\n"...)
}

func fullMessage(t *testing.T) Message {
	return Message{
		To:      []string{"Ann Lée <ann@example.com>", "bob@example.org"},
		Subject: "Your tickets for Café Müller – 2 tickets",
		Text:    "Hello Ann,\n\nYour booking is confirmed.\n",
		HTML:    `<p>Hello Ann,</p><img src="cid:qr-t1@boxoffice" alt="QR">`,
		Attachments: []Attachment{
			{Name: "tickets.pdf", ContentType: "application/pdf", Data: testPDF(t)},
		},
		Inline: []InlineImage{{ContentID: "qr-t1@boxoffice", PNG: testPNG(t)}},
		ID:     "booking-42.confirmed@boxoffice.test",
	}
}

func newSMTP(t *testing.T, rawURL string) *SMTP {
	t.Helper()
	s, err := NewSMTP(SMTPConfig{URL: rawURL, From: "boxoffice <tickets@boxoffice.test>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkDelivered asserts that env is m as a mail client reads it.
func checkDelivered(t *testing.T, env smtptest.Envelope, m Message) {
	t.Helper()
	if env.From != "tickets@boxoffice.test" {
		t.Errorf("MAIL FROM %q, want tickets@boxoffice.test", env.From)
	}
	if want := []string{"ann@example.com", "bob@example.org"}; !slices.Equal(env.To, want) {
		t.Errorf("RCPT TO %v, want %v", env.To, want)
	}
	p := parseMessage(t, env.Data)
	checkParts(t, p, m)
}

// checkParts asserts that p, read back, holds every part of m.
func checkParts(t *testing.T, p parsed, m Message) {
	t.Helper()
	if p.Subject != m.Subject {
		t.Errorf("Subject %q, want %q", p.Subject, m.Subject)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Ann Lée" || to[0].Address != "ann@example.com" || to[1].Address != "bob@example.org" {
		t.Errorf("To %v (%v), want Ann Lée <ann@example.com>, bob@example.org", to, err)
	}
	if from, err := p.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "boxoffice" || from[0].Address != "tickets@boxoffice.test" {
		t.Errorf("From %v (%v)", from, err)
	}
	if got := p.Header.Get("Message-Id"); got != "<"+m.ID+">" {
		t.Errorf("Message-ID %q, want <%s>", got, m.ID)
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	want := []string{"multipart/mixed", "  multipart/related", "    multipart/alternative",
		"      text/plain", "      text/html", "    image/png", "  application/pdf"}
	if !slices.Equal(p.Structure, want) {
		t.Errorf("MIME structure\n%s\nwant\n%s", strings.Join(p.Structure, "\n"), strings.Join(want, "\n"))
	}
	if crlf(p.Text) != m.Text {
		t.Errorf("text part %q, want %q", p.Text, m.Text)
	}
	if crlf(p.HTML) != m.HTML {
		t.Errorf("HTML part %q, want %q", p.HTML, m.HTML)
	}
	for _, img := range m.Inline {
		if !bytes.Equal(p.Inline[img.ContentID], img.PNG) || p.InlineType[img.ContentID] != "image/png" {
			t.Errorf("inline image %s: %d bytes of %s, want the %d PNG bytes sent (have %v)",
				img.ContentID, len(p.Inline[img.ContentID]), p.InlineType[img.ContentID], len(img.PNG), keys(p.Inline))
		}
		if !strings.Contains(p.HTML, "cid:"+img.ContentID) {
			t.Errorf("HTML does not reference cid:%s", img.ContentID)
		}
	}
	for _, a := range m.Attachments {
		got, ok := p.Attachments[a.Name]
		if !ok || !bytes.Equal(got.Data, a.Data) || got.ContentType != a.ContentType {
			t.Errorf("attachment %s: %d bytes of %q, want %d identical bytes of %q",
				a.Name, len(got.Data), got.ContentType, len(a.Data), a.ContentType)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSMTPDeliversEveryPart(t *testing.T) {
	srv := smtptest.Start(t)
	m := fullMessage(t)
	if err := newSMTP(t, "smtp://"+srv.Addr).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	checkDelivered(t, got[0], m)
	if got[0].TLS {
		t.Errorf("a server without TLS had a TLS session")
	}
}

// TestSMTPTemporaryFailureIsRetryable: a 451 at the end of DATA (a busy or
// greylisting server) is an error a job retries.
func TestSMTPTemporaryFailureIsRetryable(t *testing.T) {
	srv := smtptest.Start(t)
	srv.FailData(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"})
	err := newSMTP(t, "smtp://"+srv.Addr).Send(context.Background(), fullMessage(t))
	if err == nil || Permanent(err) {
		t.Fatalf("451: error %v, permanent %v; want a retryable error", err, Permanent(err))
	}
	if !strings.Contains(err.Error(), "451") {
		t.Errorf("error %q does not show the server's 451", err)
	}
	if len(srv.Received()) != 0 {
		t.Errorf("the server kept a message it refused")
	}
}

// TestSMTPRejectionIsPermanent: a 550 to RCPT TO (no such mailbox) will be
// the same answer tomorrow, so the job stops.
func TestSMTPRejectionIsPermanent(t *testing.T) {
	srv := smtptest.Start(t)
	srv.FailRecipients(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	err := newSMTP(t, "smtp://"+srv.Addr).Send(context.Background(), fullMessage(t))
	if err == nil || !Permanent(err) {
		t.Fatalf("550: error %v, permanent %v; want a permanent error", err, Permanent(err))
	}
	if !strings.Contains(err.Error(), "550") {
		t.Errorf("error %q does not show the server's 550", err)
	}
}

// TestSMTPPermanentAtData: a 554 after the content (rejected as spam) is
// permanent too; a 4xx at RCPT TO (mailbox busy) is not.
func TestSMTPReplyCodesDecide(t *testing.T) {
	srv := smtptest.Start(t)
	s := newSMTP(t, "smtp://"+srv.Addr)
	srv.FailData(&smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected"})
	if err := s.Send(context.Background(), fullMessage(t)); !Permanent(err) {
		t.Errorf("554 at DATA: %v, want permanent", err)
	}
	srv.FailData(nil)
	srv.FailRecipients(&smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"})
	if err := s.Send(context.Background(), fullMessage(t)); err == nil || Permanent(err) {
		t.Errorf("452 at RCPT TO: %v, want a retryable error", err)
	}
}

// TestSMTPConnectionRefusedIsRetryable: a server that is down fails at
// once, and the job retries later.
func TestSMTPConnectionRefusedIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	start := time.Now()
	err = newSMTP(t, "smtp://"+addr).Send(context.Background(), fullMessage(t))
	if err == nil || Permanent(err) {
		t.Fatalf("connection refused: error %v, permanent %v; want a retryable error", err, Permanent(err))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a refused connection took %v to fail", d)
	}
}

// TestSMTPStalledServerEndsWithContext: a server that never answers the
// end of DATA cannot hold Send past its context's deadline.
func TestSMTPStalledServerEndsWithContext(t *testing.T) {
	srv := smtptest.Start(t)
	srv.StallData()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := newSMTP(t, "smtp://"+srv.Addr).Send(ctx, fullMessage(t))
	if err == nil || Permanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled server: error %v; want a retryable deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send returned %v after start, past its 500ms deadline", d)
	}
}

// TestSMTPStartTLSWithAuth: credentials go over STARTTLS to a server with
// a private CA (SMTPConfig.TLS), and the server sees the session as TLS.
func TestSMTPStartTLSWithAuth(t *testing.T) {
	srv := smtptest.StartWith(t, smtptest.Options{TLS: true, User: "mailer", Pass: "p@ss:word/1"})
	u := fmt.Sprintf("smtp://mailer:%s@%s?starttls=required", "p%40ss%3Aword%2F1", srv.Addr)
	s, err := NewSMTP(SMTPConfig{URL: u, From: "tickets@boxoffice.test", TLS: &tls.Config{RootCAs: srv.CA}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), fullMessage(t)); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 || !got[0].TLS || got[0].User != "mailer" {
		t.Fatalf("received %d messages (TLS %v, user %q); want 1 over TLS by mailer", len(got), len(got) > 0 && got[0].TLS, firstUser(got))
	}

	// The wrong password: a 535, which is the configuration's fault, not the
	// message's, so the job keeps retrying until it is fixed.
	bad, _ := NewSMTP(SMTPConfig{URL: "smtp://mailer:nope@" + srv.Addr, From: "tickets@boxoffice.test", TLS: &tls.Config{RootCAs: srv.CA}})
	if err := bad.Send(context.Background(), fullMessage(t)); err == nil || Permanent(err) || !strings.Contains(err.Error(), "535") {
		t.Errorf("bad password: %v; want a retryable error showing 535", err)
	}
}

func firstUser(e []smtptest.Envelope) string {
	if len(e) == 0 {
		return ""
	}
	return e[0].User
}

// TestSMTPImplicitTLS: smtps:// speaks TLS from the first byte.
func TestSMTPImplicitTLS(t *testing.T) {
	srv := smtptest.StartWith(t, smtptest.Options{TLS: true, Implicit: true, User: "mailer", Pass: "secret"})
	s, err := NewSMTP(SMTPConfig{URL: "smtps://mailer:secret@" + srv.Addr, From: "tickets@boxoffice.test", TLS: &tls.Config{RootCAs: srv.CA}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), fullMessage(t)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Received(); len(got) != 1 || !got[0].TLS || got[0].User != "mailer" {
		t.Fatalf("received %d messages; want 1 over TLS by mailer", len(got))
	}
}

// TestSMTPRequiredTLSRefusesPlainServer: with starttls=required, a server
// that offers no STARTTLS gets nothing, and the error is retryable (the
// server may be fixed).
func TestSMTPRequiredTLSRefusesPlainServer(t *testing.T) {
	srv := smtptest.Start(t)
	err := newSMTP(t, "smtp://"+srv.Addr+"?starttls=required").Send(context.Background(), fullMessage(t))
	if err == nil || Permanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("plain server with starttls=required: %v; want a retryable STARTTLS error", err)
	}
	if len(srv.Received()) != 0 {
		t.Fatalf("a message went out in clear")
	}
}

// TestSMTPUntrustedCertificate: a certificate the client does not trust
// stops the exchange before anything is sent.
func TestSMTPUntrustedCertificate(t *testing.T) {
	srv := smtptest.StartWith(t, smtptest.Options{TLS: true})
	err := newSMTP(t, "smtp://"+srv.Addr+"?starttls=required").Send(context.Background(), fullMessage(t))
	if err == nil || Permanent(err) {
		t.Fatalf("untrusted certificate: %v; want a retryable error", err)
	}
	if len(srv.Received()) != 0 {
		t.Fatalf("a message went to an untrusted server")
	}
}

// TestBadMessagesArePermanent: what cannot be built fails before any
// connection, for good.
func TestBadMessagesArePermanent(t *testing.T) {
	srv := smtptest.Start(t)
	s := newSMTP(t, "smtp://"+srv.Addr)
	for name, m := range map[string]Message{
		"no recipient":      {Subject: "x", Text: "x"},
		"bad address":       {To: []string{"not an address"}, Text: "x"},
		"no body":           {To: []string{"a@example.com"}},
		"header injection":  {To: []string{"a@example.com"}, Text: "x", Inline: []InlineImage{{ContentID: "a>\r\nBcc: evil@example.com", PNG: []byte{1}}}},
		"bad message id":    {To: []string{"a@example.com"}, Text: "x", ID: "x\r\nBcc: evil@example.com"},
		"nameless document": {To: []string{"a@example.com"}, Text: "x", Attachments: []Attachment{{Data: []byte{1}}}},
	} {
		if err := s.Send(context.Background(), m); err == nil || !Permanent(err) {
			t.Errorf("%s: error %v, want a permanent one", name, err)
		}
	}
	if len(srv.Received()) != 0 {
		t.Fatalf("a bad message was sent")
	}
}

// TestSubjectCannotAddHeaders: line breaks in a subject (from an event
// title, say) are folded into spaces.
func TestSubjectCannotAddHeaders(t *testing.T) {
	srv := smtptest.Start(t)
	m := Message{To: []string{"a@example.com"}, Subject: "Hi\r\nBcc: evil@example.com", Text: "x"}
	if err := newSMTP(t, "smtp://"+srv.Addr).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 || !slices.Equal(got[0].To, []string{"a@example.com"}) {
		t.Fatalf("received %+v", got)
	}
	p := parseMessage(t, got[0].Data)
	if p.Header.Get("Bcc") != "" || p.Subject != "Hi Bcc: evil@example.com" {
		t.Fatalf("subject %q, Bcc %q: a header was injected", p.Subject, p.Header.Get("Bcc"))
	}
}
