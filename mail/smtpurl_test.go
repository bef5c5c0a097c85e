package mail

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for raw, want := range map[string]ServerURL{
		"smtp://mail.example.com":                           {Host: "mail.example.com", Port: 587, TLS: STARTTLSRequired},
		"smtp://mail.example.com:25?starttls=opportunistic": {Host: "mail.example.com", Port: 25, TLS: STARTTLSOpportunistic},
		"smtp://relay.internal:25?starttls=off":             {Host: "relay.internal", Port: 25, TLS: NoTLS},
		"smtps://u%40x:p%2Fw@mail.example.com":              {Host: "mail.example.com", Port: 465, Username: "u@x", Password: "p/w", TLS: ImplicitTLS},
		"smtps://mail.example.com:2465":                     {Host: "mail.example.com", Port: 2465, TLS: ImplicitTLS},
		// Loopback: opportunistic unless said otherwise.
		"smtp://localhost:1025":                     {Host: "localhost", Port: 1025, TLS: STARTTLSOpportunistic},
		"smtp://127.0.0.1:1025":                     {Host: "127.0.0.1", Port: 1025, TLS: STARTTLSOpportunistic},
		"smtp://[::1]:1025":                         {Host: "::1", Port: 1025, TLS: STARTTLSOpportunistic},
		"smtp://localhost:1025?starttls=required":   {Host: "localhost", Port: 1025, TLS: STARTTLSRequired},
		"smtp://user:pw@localhost:25?starttls=off":  {Host: "localhost", Port: 25, Username: "user", Password: "pw", TLS: NoTLS},
		"smtp://apikey:secret@smtp.example.net:587": {Host: "smtp.example.net", Port: 587, Username: "apikey", Password: "secret", TLS: STARTTLSRequired},
	} {
		got, err := ParseURL(raw)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
}

func TestParseURLRefuses(t *testing.T) {
	for raw, why := range map[string]string{
		"mail.example.com:587":                              "smtp://",
		"http://mail.example.com":                           "smtp://",
		"smtp://":                                           "host",
		"smtp://mail.example.com:0":                         "port",
		"smtp://mail.example.com:99999":                     "port",
		"smtp://mail.example.com/inbox":                     "path",
		"smtp://mail.example.com?tls=1":                     "unknown parameter",
		"smtp://mail.example.com?starttls=maybe":            "starttls",
		"smtps://mail.example.com?starttls=required":        "smtps",
		"smtp://user:hunter2@mail.example.com?starttls=off": "in clear",
		"smtp://user:hunter2@mail example.com":              "valid URL",
	} {
		_, err := ParseURL(raw)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseURL(%q): error %v, want one about %q", raw, err, why)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL(%q): the error shows the password: %v", raw, err)
		}
	}
}

func TestNewSMTPChecksItsConfig(t *testing.T) {
	if _, err := NewSMTP(SMTPConfig{URL: "smtp://localhost", From: "not an address"}); err == nil || !strings.HasPrefix(err.Error(), "MAIL_FROM") {
		t.Errorf("bad MAIL_FROM: %v", err)
	}
	if _, err := NewSMTP(SMTPConfig{URL: "localhost:25", From: "a@b.c"}); err == nil || !strings.HasPrefix(err.Error(), "SMTP_URL") {
		t.Errorf("bad SMTP_URL: %v", err)
	}
}
