package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/boxoffice/boxoffice/downloads"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/metrics"
	"github.com/boxoffice/boxoffice/ratelimit"
	"github.com/boxoffice/boxoffice/server"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/web"
)

const serveUsage = `Usage: boxoffice serve

Runs the GraphQL server on HOST:PORT (default localhost:3000): the API at
POST /graphql, the GraphiQL IDE at GET /graphql, /healthz and /readyz.

Settings come from the environment and ./.env (the environment wins); see
the README's Configuration. With no database configured, it uses the
embedded database ./boxoffice.db, and on first start migrates it and loads
the demo data. PostgreSQL must be migrated first (boxoffice migrate).
`

func runServe(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("serve", serveUsage, stdout)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fs.fail("takes no arguments; configure it with environment variables (see the README)")
	}
	cfg, log, err := setup()
	if err != nil {
		return err
	}
	if err := cfg.RequirePaymentSecrets(); err != nil {
		return err
	}
	tuneGC()
	if err := server.CheckOrigins(cfg.CORSOrigins); err != nil {
		return fmt.Errorf("CORS_ORIGINS: %w", err)
	}
	// What can fail for reasons outside the database is checked before the
	// database is touched: a busy port or an unreachable Redis leaves a new
	// directory as it was.
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s (HOST, PORT): %w", cfg.Addr(), err)
	}
	defer ln.Close() // when start-up fails; Serve closes it otherwise
	m := metrics.New()
	if cfg.MetricsAddr != "" {
		stop, err := serveMetrics(cfg.MetricsAddr, m, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	opts, closeLimiter, err := serviceOptions(ctx, cfg, nil, log)
	if err != nil {
		return err
	}
	defer closeLimiter()

	db, err := openEngine(ctx, cfg, mustExist, stdout)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureMigrated(ctx, cfg, db, log, true); err != nil {
		return err
	}
	if opts.Tokens, err = signer(cfg); err != nil {
		return err
	}
	opts.Logger = log
	m.WatchPool(db.PoolStats)
	opts.Metrics = m
	q, err := openJobs(db, cfg, log)
	if err != nil {
		return err
	}
	pay, stripeProvider, err := payments(cfg, log, m)
	if err != nil {
		return err
	}
	opts.Jobs, opts.Payments, opts.Hold, opts.OfferTTL, opts.Currency = q, pay, cfg.HoldTTL, cfg.OfferTTL, cfg.Currency
	opts.RequestLifetime = cfg.RequestTimeout + 15*time.Second // what server.New allows a request, and some
	stream, err := notifications(ctx, cfg, log, &opts)
	if err != nil {
		return err
	}
	if stream != nil {
		defer stream.Close()
	}
	svc := service.New(db, opts)
	defer svc.Close() // after the server has drained: bookings in flight are decided
	if err := q.Work(ctx, svc); err != nil {
		return err
	}

	// The dependencies /readyz and the metrics report (health.go).
	checks := []server.Check{databaseCheck(db)}
	if f, ok := opts.Limiter.(*ratelimit.Fallback); ok {
		checks = append(checks, redisCheck(f))
	}
	if stripeProvider != nil {
		checks = append(checks, paymentsCheck(stripeProvider))
	}
	if stream != nil {
		checks = append(checks, natsCheck(stream))
	}
	if cfg.SMTPURL != "" {
		c, err := smtpCheck(cfg.SMTPURL)
		if err != nil {
			return err
		}
		checks = append(checks, c)
	}
	srv := server.New(server.Config{
		GraphQL: graph.NewHandler(graph.Config{
			Users: svc.Users, Events: svc.Events, Bookings: svc.Bookings, Accounts: svc.Accounts, Tickets: svc.Tickets, Waitlist: svc.Waitlist, Webhooks: svc.Webhooks, Logger: log,
			Introspection: cfg.Introspection, Metrics: m, Idempotency: svc.Idempotency,
		}),
		IDE:            web.GraphiQLHandler("/graphql", log),
		Downloads:      downloads.Routes(svc.Tickets, log),
		Checks:         checks,
		Logger:         log,
		RequestTimeout: cfg.RequestTimeout,
		Authenticate:   svc.Accounts.Authenticate,
		CORSOrigins:    cfg.CORSOrigins,
		TrustProxy:     cfg.TrustProxy,
		Webhooks:       stripeWebhook(stripeProvider, svc.Bookings.ApplyPaymentEvent),
	})
	m.WatchDependencies(server.States, func() map[string]string { return srv.Dependencies(context.Background()) })
	log.Info("database ready", describe(cfg)...)
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Jobs running finish within what is left of SHUTDOWN_TIMEOUT; others
	// are retried later, here or on another server.
	if err := q.Stop(shutdownCtx); err != nil {
		log.Warn("stopping the job queue", "err", err)
	}
	log.Info("stopped")
	return <-served
}
