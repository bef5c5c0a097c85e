// Package smtptest is a real SMTP server (emersion/go-smtp) on a loopback
// port for tests: it records what it accepts; can require STARTTLS or
// implicit TLS with a certificate of its own, and credentials; can refuse
// recipients or messages with the replies a test sets, or stall at the end
// of DATA; and reads messages back as a mail client would (Parse).
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Envelope is one message the server accepted.
type Envelope struct {
	From string
	To   []string
	Data []byte
	User string // who authenticated; "" if nobody
	TLS  bool   // whether the session was encrypted
}

// Options set up a server; the zero value is plain SMTP with no AUTH.
type Options struct {
	TLS      bool // offer STARTTLS with a certificate that Server.CA trusts
	Implicit bool // with TLS: speak TLS from the first byte (smtps://)
	User     string
	Pass     string // with User: the credentials AUTH PLAIN requires before MAIL FROM
}

// Server is the test server.
type Server struct {
	Addr string
	CA   *x509.CertPool // trusts the server's certificate, when it has one

	opts      Options
	mu        sync.Mutex
	received  []Envelope
	refuse    int             // messages still to refuse with 451
	rcptErr   *smtp.SMTPError // answer to every RCPT TO, if set
	dataErr   *smtp.SMTPError // answer at the end of every DATA, if set
	dataStall chan struct{}   // DATA waits for it to close, if set
}

// Start starts a plain server, stopped when t ends. Its URL for SMTP_URL
// is URL().
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith starts a server set up by o, stopped when t ends.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{s: s, tls: isTLS, env: Envelope{TLS: isTLS}}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = testLogger{t}
	srv.AllowInsecureAuth = o.User == ""
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.TLS {
		cert, pool := selfSigned(t)
		s.CA = pool
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		if o.Implicit {
			l = tls.NewListener(l, srv.TLSConfig)
		}
	}
	s.Addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() {
		s.mu.Lock()
		if s.dataStall != nil {
			close(s.dataStall)
			s.dataStall = nil
		}
		s.mu.Unlock()
		srv.Close()
	})
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
	s.FailRecipients(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"})
}

// FailRecipients makes the server answer every RCPT TO with err; nil
// accepts them again.
func (s *Server) FailRecipients(err *smtp.SMTPError) {
	s.mu.Lock()
	s.rcptErr = err
	s.mu.Unlock()
}

// FailData makes the server answer the end of every DATA with err; nil
// accepts messages again.
func (s *Server) FailData(err *smtp.SMTPError) {
	s.mu.Lock()
	s.dataErr = err
	s.mu.Unlock()
}

// StallData makes the server never answer the end of DATA, until the test
// ends.
func (s *Server) StallData() {
	s.mu.Lock()
	if s.dataStall == nil {
		s.dataStall = make(chan struct{})
	}
	s.mu.Unlock()
}

// Received returns the messages accepted so far.
func (s *Server) Received() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Envelope(nil), s.received...)
}

type session struct {
	s    *Server
	tls  bool
	env  Envelope
	auth string // who authenticated
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != ss.s.opts.User || password != ss.s.opts.Pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		ss.auth = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.User != "" && ss.auth == "" {
		return smtp.ErrAuthRequired
	}
	ss.env = Envelope{From: from, User: ss.auth, TLS: ss.tls}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	err := ss.s.rcptErr
	ss.s.mu.Unlock()
	if err != nil {
		return err
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
	stall := ss.s.dataStall
	ss.s.mu.Unlock()
	if stall != nil {
		<-stall
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.refuse > 0 {
		ss.s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	if ss.s.dataErr != nil {
		return ss.s.dataErr
	}
	ss.env.Data = data
	ss.s.received = append(ss.s.received, ss.env)
	return nil
}

func (ss *session) Reset()        { ss.env = Envelope{User: ss.auth, TLS: ss.tls} }
func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "boxoffice test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// testLogger sends the server's complaints to the test log, where they
// belong, instead of standard error. Closed-connection noise at the end of
// a test is dropped.
type testLogger struct{ t testing.TB }

func (l testLogger) Printf(format string, v ...any) { l.log(format, v...) }
func (l testLogger) Println(v ...any)               { l.log(strings.Repeat("%v ", len(v)), v...) }
func (l testLogger) log(format string, v ...any) {
	for _, a := range v {
		if err, ok := a.(error); ok && errors.Is(err, net.ErrClosed) {
			return
		}
	}
	defer func() { _ = recover() }() // t may have ended
	l.t.Logf("smtp server: "+format, v...)
}

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
