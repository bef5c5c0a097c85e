package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// envelope is one message the test server accepted.
type envelope struct {
	From string
	To   []string
	Data []byte
	User string // who authenticated; "" if nobody
	TLS  bool   // whether the session was encrypted
}

// testServer is a real SMTP server (emersion/go-smtp) on a loopback port
// that records what it accepts, and answers with the errors a test sets.
type testServer struct {
	Addr string
	CA   *x509.CertPool // trusts the server's certificate, when it has one

	mu        sync.Mutex
	received  []envelope
	rcptErr   *smtp.SMTPError // answer to RCPT TO, if set
	dataErr   *smtp.SMTPError // answer at the end of DATA, if set
	dataStall chan struct{}   // DATA waits for it to close, if set
	user      string          // required credentials, if set
	pass      string
}

type serverOpts struct {
	tls      bool // offer STARTTLS (or, with implicit, speak TLS at once)
	implicit bool
	user     string
	pass     string
}

// startServer starts a test server, stopped when t ends.
func startServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	s := &testServer{user: o.user, pass: o.pass}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{s: s, tls: isTLS}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = testLogger{t}
	var l net.Listener
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls {
		cert, pool := selfSigned(t)
		s.CA = pool
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		if o.implicit {
			l = tls.NewListener(l, srv.TLSConfig)
		}
	}
	if o.user == "" {
		srv.AllowInsecureAuth = true
	}
	s.Addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() {
		s.mu.Lock()
		if s.dataStall != nil {
			select {
			case <-s.dataStall:
			default:
				close(s.dataStall)
			}
		}
		s.mu.Unlock()
		srv.Close()
	})
	return s
}

func (s *testServer) Received() []envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]envelope(nil), s.received...)
}

type session struct {
	s    *testServer
	tls  bool
	env  envelope
	auth string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.user || password != ss.s.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		ss.auth = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && ss.auth == "" {
		return smtp.ErrAuthRequired
	}
	ss.env = envelope{From: from, User: ss.auth, TLS: ss.tls}
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
	dataErr, stall := ss.s.dataErr, ss.s.dataStall
	ss.s.mu.Unlock()
	if stall != nil {
		<-stall
	}
	if dataErr != nil {
		return dataErr
	}
	ss.env.Data = data
	ss.s.mu.Lock()
	ss.s.received = append(ss.s.received, ss.env)
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.env = envelope{User: ss.auth, TLS: ss.tls} }
func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
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
type testLogger struct{ t *testing.T }

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
