package config

import (
	"net/mail"
	"net/url"
	"strings"

	boxmail "github.com/boxoffice/boxoffice/mail"
)

// DefaultMailFrom is the From address when MAIL_FROM is not set: fine for
// the outbox, which delivers nothing; a real server wants a real address.
const DefaultMailFrom = "boxoffice <tickets@localhost>"

// DefaultNATSStream is the JetStream stream's name when NATS_STREAM is
// not set.
const DefaultNATSStream = "BOXOFFICE"

// delivery reads the settings of email, webhooks and the event stream.
func (e *env) delivery(c *Config) {
	c.SMTPURL = strings.TrimSpace(e.str("SMTP_URL", ""))
	c.MailFrom = e.str("MAIL_FROM", DefaultMailFrom)
	c.WebhookAllowPrivate = e.boolean("WEBHOOK_ALLOW_PRIVATE", false)
	c.NATSURL = strings.TrimSpace(e.str("NATS_URL", ""))
	c.NATSStream = strings.TrimSpace(e.str("NATS_STREAM", DefaultNATSStream))

	if c.SMTPURL != "" {
		// The rules are the mail package's, which uses the URL.
		if _, err := boxmail.ParseURL(c.SMTPURL); err != nil {
			e.fail("SMTP_URL", "%v (e.g. smtp://user:password@mail.example.com:587 or smtps://mail.example.com)", err)
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		e.fail("MAIL_FROM", "must be an email address such as tickets@example.com or \"boxoffice <tickets@example.com>\", got %q", c.MailFrom)
	}
	if c.NATSURL != "" {
		for _, raw := range strings.Split(c.NATSURL, ",") {
			if !natsURL(strings.TrimSpace(raw)) {
				e.fail("NATS_URL", "must be nats://host:port (tls://, ws:// and wss:// too; several comma-separated for a cluster), got %q", redacted(raw))
				break
			}
		}
	}
	if c.NATSStream == "" || strings.ContainsAny(c.NATSStream, ".*> \t\r\n/\\") {
		e.fail("NATS_STREAM", "must be a stream name without spaces, dots, wildcards or slashes, got %q", c.NATSStream)
	}
}

// natsURL reports whether raw is one server's URL, as nats.go takes it.
func natsURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return false
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
		return true
	}
	return false
}

// redacted is raw with any password hidden, for an error message.
func redacted(raw string) string {
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil {
		return u.Redacted()
	}
	return "a value that is not a URL"
}
