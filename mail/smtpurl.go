package mail

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode says how a connection to the SMTP server is encrypted.
type TLSMode string

// TLS modes, chosen by SMTP_URL (see ParseURL).
const (
	// ImplicitTLS: TLS from the first byte (smtps://, port 465 by default).
	ImplicitTLS TLSMode = "implicit"
	// STARTTLSRequired: plain connection upgraded with STARTTLS; a server
	// that does not offer it is an error, so nothing is ever sent in clear.
	STARTTLSRequired TLSMode = "required"
	// STARTTLSOpportunistic: STARTTLS when the server offers it, else
	// clear text.
	STARTTLSOpportunistic TLSMode = "opportunistic"
	// NoTLS: clear text, for a relay on a trusted network.
	NoTLS TLSMode = "off"
)

// ServerURL is a parsed SMTP_URL.
type ServerURL struct {
	Host     string
	Port     int
	Username string // "": no authentication
	Password string
	TLS      TLSMode
}

// Addr is host:port.
func (u ServerURL) Addr() string { return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) }

// ParseURL reads an SMTP_URL:
//
//	smtp://[user[:password]@]host[:port][?starttls=required|opportunistic|off]
//	smtps://[user[:password]@]host[:port]
//
// smtps:// is TLS from the first byte, port 465 by default. smtp:// is a
// plain connection upgraded with STARTTLS, port 587 (submission) by
// default. Its starttls parameter defaults to required, except for a
// loopback host (localhost, 127.0.0.0/8, ::1), where it defaults to
// opportunistic: a local relay or test server rarely has a certificate,
// and nothing leaves the machine. A user name and password are percent-
// decoded; they are refused with starttls=off on a non-loopback host,
// which would send them in clear.
func ParseURL(raw string) (ServerURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return ServerURL{}, fmt.Errorf("not a valid URL: %w", redact(err))
	}
	var s ServerURL
	switch u.Scheme {
	case "smtps":
		s.TLS, s.Port = ImplicitTLS, 465
	case "smtp":
		s.TLS, s.Port = STARTTLSRequired, 587
	default:
		return ServerURL{}, fmt.Errorf("must start with smtp:// or smtps://, got %q", u.Scheme+"://")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return ServerURL{}, fmt.Errorf("needs a host, as in smtp://mail.example.com:587")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return ServerURL{}, fmt.Errorf("port must be 1 to 65535, got %q", p)
		}
		s.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return ServerURL{}, fmt.Errorf("takes no path, got %q", u.Path)
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	q := u.Query()
	for key := range q {
		if key != "starttls" {
			return ServerURL{}, fmt.Errorf("unknown parameter %q (the only one is starttls)", key)
		}
	}
	if q.Has("starttls") {
		if s.TLS == ImplicitTLS {
			return ServerURL{}, fmt.Errorf("starttls has no meaning with smtps://, which is TLS from the start")
		}
		switch mode := TLSMode(q.Get("starttls")); mode {
		case STARTTLSRequired, STARTTLSOpportunistic, NoTLS:
			s.TLS = mode
		default:
			return ServerURL{}, fmt.Errorf("starttls must be required, opportunistic or off, got %q", mode)
		}
	} else if s.TLS == STARTTLSRequired && isLoopback(s.Host) {
		s.TLS = STARTTLSOpportunistic
	}
	if s.Username != "" && s.TLS == NoTLS && !isLoopback(s.Host) {
		return ServerURL{}, fmt.Errorf("would send the password in clear to %s: drop starttls=off or use smtps://", s.Host)
	}
	return s, nil
}

// isLoopback reports whether host is this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redact drops the URL from a url.Error, which would print the password.
func redact(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
