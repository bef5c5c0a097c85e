package config

import (
	"strings"
	"testing"
)

func TestParseDeliveryDefaults(t *testing.T) {
	c, err := Parse(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "" || c.MailFrom != DefaultMailFrom || c.WebhookAllowPrivate || c.NATSURL != "" || c.NATSStream != "BOXOFFICE" {
		t.Fatalf("delivery defaults: SMTP %q, from %q, allow private %v, NATS %q stream %q",
			c.SMTPURL, c.MailFrom, c.WebhookAllowPrivate, c.NATSURL, c.NATSStream)
	}
}

func TestParseDeliverySettings(t *testing.T) {
	c, err := Parse(lookupFrom(map[string]string{
		"SMTP_URL":              " smtps://mailer:s%40cret@mail.example.com ",
		"MAIL_FROM":             "Jazz Club <tickets@jazz.example>",
		"WEBHOOK_ALLOW_PRIVATE": "true",
		"NATS_URL":              "nats://10.0.0.1:4222, nats://10.0.0.2:4222",
		"NATS_STREAM":           "TICKETS",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "smtps://mailer:s%40cret@mail.example.com" || c.MailFrom != "Jazz Club <tickets@jazz.example>" ||
		!c.WebhookAllowPrivate || c.NATSURL != "nats://10.0.0.1:4222, nats://10.0.0.2:4222" || c.NATSStream != "TICKETS" {
		t.Fatalf("unexpected: %+v", c)
	}
	for _, u := range []string{"smtp://localhost:1025", "smtp://mail.example.com?starttls=opportunistic", "smtp://relay:25?starttls=off"} {
		if _, err := Parse(lookupFrom(map[string]string{"SMTP_URL": u})); err != nil {
			t.Errorf("SMTP_URL=%s: %v", u, err)
		}
	}
	for _, u := range []string{"tls://nats.example.com:4222", "wss://nats.example.com", "nats://user:pw@127.0.0.1:4222"} {
		if _, err := Parse(lookupFrom(map[string]string{"NATS_URL": u})); err != nil {
			t.Errorf("NATS_URL=%s: %v", u, err)
		}
	}
}

func TestParseDeliveryBadValuesNameTheVariable(t *testing.T) {
	for _, c := range []struct{ key, val, says string }{
		{"SMTP_URL", "mail.example.com:587", "smtp://"},
		{"SMTP_URL", "smtp://mail.example.com?starttls=yes", "starttls"},
		{"SMTP_URL", "smtp://u:hunter2@mail.example.com?starttls=off", "in clear"},
		{"SMTP_URL", "smtps://mail.example.com:99999", "port"},
		{"MAIL_FROM", "tickets", "email address"},
		{"MAIL_FROM", "a@b.c, d@e.f", "email address"},
		{"WEBHOOK_ALLOW_PRIVATE", "sometimes", "true or false"},
		{"NATS_URL", "localhost:4222", "nats://"},
		{"NATS_URL", "http://nats.example.com", "nats://"},
		{"NATS_URL", "nats://a:4222,", "nats://"},
		{"NATS_URL", "natz://u:hunter2@nats.example.com", "nats://"},
		{"NATS_STREAM", "boxoffice.events", "stream name"},
		{"NATS_STREAM", "BOX OFFICE", "stream name"},
	} {
		_, err := Parse(lookupFrom(map[string]string{c.key: c.val}))
		if err == nil || !strings.HasPrefix(err.Error(), c.key+" ") || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s=%s: error %v, want one naming %s and saying %q", c.key, c.val, err, c.key, c.says)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s=%s: the error shows the password: %v", c.key, c.val, err)
		}
	}
}
