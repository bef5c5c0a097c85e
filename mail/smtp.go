package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultTimeout bounds each exchange with the SMTP server: connecting,
// and every command and its reply. The context of Send bounds the whole.
const DefaultTimeout = 30 * time.Second

// SMTPConfig configures an SMTP Sender.
type SMTPConfig struct {
	URL  string // SMTP_URL, as ParseURL reads it
	From string // MAIL_FROM: the From address, such as "boxoffice <tickets@example.com>"
	// TLS is the base TLS configuration, for a private CA (RootCAs).
	// nil: the system's roots. ServerName is always the URL's host.
	TLS *tls.Config
	// Timeout bounds each exchange with the server; 0: DefaultTimeout.
	Timeout time.Duration
}

// SMTP sends messages through an SMTP server, one connection a message.
// It is safe for concurrent use.
type SMTP struct {
	server  ServerURL
	from    *mail.Address
	tls     *tls.Config
	timeout time.Duration
}

var _ Sender = (*SMTP)(nil)

// NewSMTP checks c and returns a Sender for it. It does not connect: a
// server that is down makes Send fail, and the job retry, not start-up.
func NewSMTP(c SMTPConfig) (*SMTP, error) {
	server, err := ParseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL %w", err)
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM %q: %w", c.From, err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLS != nil {
		tc = c.TLS.Clone()
	}
	tc.ServerName = server.Host
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &SMTP{server: server, from: from, tls: tc, timeout: timeout}, nil
}

// Send delivers m over a new connection. The context bounds the whole
// exchange: when it ends, the connection is closed and Send returns.
// Errors say through Permanent whether a retry can help.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := compose(s.from, m, time.Now())
	if err != nil {
		return err
	}
	var stop func() bool
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := s.dial(dctx, network, addr)
		if err == nil {
			// go-mail only honours the context while dialling: close the
			// connection when ctx ends, so a stalled server cannot hold
			// the job past its deadline.
			stop = context.AfterFunc(ctx, func() { conn.Close() })
		}
		return conn, err
	}
	client, err := gomail.NewClient(s.server.Host, s.options(dial)...)
	if err != nil {
		return permanent(fmt.Errorf("mail: SMTP client for %s: %w", s.server.Addr(), err))
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if stop != nil {
		stop()
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("mail: send through %s: %w (%w)", s.server.Addr(), ctx.Err(), err)
		}
		return classifySMTP(fmt.Errorf("mail: send through %s: %w", s.server.Addr(), err))
	}
	return nil
}

// options are go-mail's settings for s.
func (s *SMTP) options(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.server.Port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(dial),
	}
	switch s.server.TLS {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case STARTTLSRequired:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case STARTTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.server.Username != "" {
		// The strongest mechanism the server offers. PLAIN and LOGIN are
		// sent only over TLS or to a loopback host (go-mail checks).
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.server.Username), gomail.WithPassword(s.server.Password))
	}
	return opts
}

// dial connects to the server, with TLS from the first byte for smtps://.
// go-mail does its own TLS dial only without a dial function, and needs
// one here to close the connection when the context ends.
func (s *SMTP) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{}
	if s.server.TLS == ImplicitTLS {
		return (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, network, addr)
	}
	return d.DialContext(ctx, network, addr)
}
