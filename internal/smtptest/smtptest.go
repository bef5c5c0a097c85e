// Package smtptest is a real SMTP server (emersion/go-smtp) on a loopback
// port for tests outside the mail package: it records what it accepts, can
// refuse the next messages with a temporary error (to test retries), and
// reads messages back as a mail client would (Parse).
package smtptest

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Envelope is one message the server accepted.
type Envelope struct {
	From string
	To   []string
	Data []byte
}

// Server is the test server.
type Server struct {
	Addr string

	mu       sync.Mutex
	received []Envelope
	refuse   int  // messages still to refuse with 451
	reject   bool // refuse every recipient with 550, for good
}

// Start starts a server, stopped when t ends. Its URL for SMTP_URL is
// URL().
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the server's SMTP_URL: plain SMTP, no TLS.
func (s *Server) URL() string { return "smtp://" + s.Addr + "?starttls=off" }

// RefuseNext makes the server answer the next n messages' DATA with 451,
// a temporary failure a sender retries.
func (s *Server) RefuseNext(n int) {
	s.mu.Lock()
	s.refuse = n
	s.mu.Unlock()
}

// RejectRecipients makes the server refuse every recipient with 550: a
// permanent failure no retry cures.
func (s *Server) RejectRecipients() {
	s.mu.Lock()
	s.reject = true
	s.mu.Unlock()
}

// Received returns the messages accepted so far.
func (s *Server) Received() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Envelope(nil), s.received...)
}

type session struct {
	s   *Server
	env Envelope
}

func (ss *session) AuthMechanisms() []string { return nil }
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.env = Envelope{From: from}
	return nil
}
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	reject := ss.s.reject
	ss.s.mu.Unlock()
	if reject {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	ss.env.To = append(ss.env.To, to)
	return nil
}
func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.refuse > 0 {
		ss.s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.env.Data = data
	ss.s.received = append(ss.s.received, ss.env)
	return nil
}
func (ss *session) Reset()        { ss.env = Envelope{} }
func (ss *session) Logout() error { return nil }

// Message is a message read back with the standard library alone.
type Message struct {
	Header      mail.Header
	Subject     string            // decoded
	Text, HTML  string            // the bodies
	Inline      map[string][]byte // Content-ID without <> → bytes
	Attachments map[string]Part   // file name → part
}

// Part is an attachment.
type Part struct {
	ContentType string
	Data        []byte
}

// Parse reads raw, walking every multipart level.
func Parse(t testing.TB, raw []byte) *Message {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	m := &Message{Header: msg.Header, Subject: subject, Inline: map[string][]byte{}, Attachments: map[string]Part{}}
	m.walk(t, textproto(msg.Header), msg.Body)
	return m
}

type header interface{ Get(string) string }

func textproto(h mail.Header) header { return h }

func (m *Message) walk(t testing.TB, h header, body io.Reader) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			m.walk(t, p.Header, p)
		}
	}
	var r io.Reader = body
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read part %s: %v", mediaType, err)
	}
	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	switch {
	case disposition == "attachment":
		m.Attachments[dparams["filename"]] = Part{ContentType: mediaType, Data: data}
	case h.Get("Content-ID") != "":
		m.Inline[strings.Trim(h.Get("Content-ID"), "<>")] = data
	case mediaType == "text/plain":
		m.Text = string(data)
	case mediaType == "text/html":
		m.HTML = string(data)
	}
}
