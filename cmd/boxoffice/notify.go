package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/eventstream"
	"github.com/boxoffice/boxoffice/mail"
	"github.com/boxoffice/boxoffice/server"
	"github.com/boxoffice/boxoffice/service"
)

// outboxDir is where mail goes without SMTP_URL: the folder "outbox"
// beside the embedded database (./outbox for PostgreSQL).
func outboxDir(cfg config.Config) string {
	if cfg.Engine == config.SQLite {
		return filepath.Join(filepath.Dir(cfg.SQLitePath), "outbox")
	}
	return "outbox"
}

// notifications sets the services' mail sender (SMTP_URL, or the outbox),
// webhook setting and event stream (NATS_URL) in opts. The stream, if
// any, is returned for its readiness check and to be closed.
func notifications(ctx context.Context, cfg config.Config, log *slog.Logger, opts *service.Options) (*eventstream.Stream, error) {
	if cfg.SMTPURL != "" {
		s, err := mail.NewSMTP(mail.SMTPConfig{URL: cfg.SMTPURL, From: cfg.MailFrom})
		if err != nil {
			return nil, err
		}
		opts.Mail = s
	} else {
		o, err := mail.NewOutbox(outboxDir(cfg), cfg.MailFrom)
		if err != nil {
			return nil, err
		}
		opts.Mail = o
		log.Info("no SMTP_URL: email goes to the outbox folder as .eml files", "outbox", o.Dir())
	}
	opts.WebhookAllowPrivate = cfg.WebhookAllowPrivate
	if cfg.NATSURL == "" {
		return nil, nil
	}
	octx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := eventstream.Open(octx, cfg.NATSURL, cfg.NATSStream, eventstream.WithLogger(log))
	if err != nil {
		return nil, err
	}
	opts.Stream = st
	return st, nil
}

// natsCheck reports the event stream's connection to /readyz: degraded
// while NATS is unreachable. The server stays ready: changes wait in the
// database and are published when NATS is back.
func natsCheck(st *eventstream.Stream) server.Check {
	return server.Check{Name: "nats", Probe: func(context.Context) server.Status {
		if !st.Connected() {
			return server.Status{State: server.StateDegraded, Detail: "NATS unreachable: changes are published when it is back"}
		}
		return server.Status{State: server.StateReady}
	}}
}

// smtpCheck reports the mail server of SMTP_URL to /readyz: degraded
// while it cannot be reached (a TCP connection within 2 s), when email
// waits in its jobs and goes out once the server is back. It does not
// sign in: a refused password shows in the jobs (boxoffice jobs).
func smtpCheck(rawURL string) (server.Check, error) {
	u, err := mail.ParseURL(rawURL)
	if err != nil {
		return server.Check{}, err
	}
	addr := u.Addr()
	return server.Check{Name: "smtp", Probe: func(ctx context.Context) server.Status {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return server.Status{State: server.StateDegraded, Detail: "SMTP server unreachable: email waits in its jobs and is sent when it is back", Err: err}
		}
		conn.Close()
		return server.Status{State: server.StateReady}
	}}, nil
}
