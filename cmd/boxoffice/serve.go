package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/metrics"
	"github.com/boxoffice/boxoffice/ratelimit"
	"github.com/boxoffice/boxoffice/seed"
	"github.com/boxoffice/boxoffice/server"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/web"
)

func runServe(ctx context.Context, args []string, _ io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments; configure it with environment variables (see the README)")
	}
	cfg, log, err := setup()
	if err != nil {
		return err
	}
	if err := cfg.RequirePaymentSecrets(); err != nil {
		return err
	}
	tuneGC()
	db, err := openEngine(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareSchema(ctx, cfg, db, log); err != nil {
		return err
	}

	if err := server.CheckOrigins(cfg.CORSOrigins); err != nil {
		return fmt.Errorf("CORS_ORIGINS: %w", err)
	}
	tokens, err := signer(cfg)
	if err != nil {
		return err
	}
	opts, closeLimiter, err := serviceOptions(ctx, cfg, tokens, log)
	if err != nil {
		return err
	}
	defer closeLimiter()
	opts.Logger = log
	m := metrics.New()
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
	opts.Jobs, opts.Payments, opts.Hold, opts.Currency = q, pay, cfg.HoldTTL, cfg.Currency
	opts.RequestLifetime = cfg.RequestTimeout + 15*time.Second // what server.New allows a request, and some
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
	srv := server.New(server.Config{
		GraphQL: graph.NewHandler(graph.Config{
			Users: svc.Users, Events: svc.Events, Bookings: svc.Bookings, Accounts: svc.Accounts, Logger: log,
			Introspection: cfg.Introspection, Metrics: m, Idempotency: svc.Idempotency,
		}),
		IDE:            web.GraphiQLHandler("/graphql", log),
		Checks:         checks,
		Logger:         log,
		RequestTimeout: cfg.RequestTimeout,
		Authenticate:   svc.Accounts.Authenticate,
		CORSOrigins:    cfg.CORSOrigins,
		TrustProxy:     cfg.TrustProxy,
		Webhooks:       stripeWebhook(stripeProvider, svc.Bookings.ApplyPaymentEvent),
	})
	m.WatchDependencies(server.States, func() map[string]string { return srv.Dependencies(context.Background()) })
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s (HOST, PORT): %w", cfg.Addr(), err)
	}
	log.Info("database ready", describe(cfg)...)
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	if cfg.MetricsAddr != "" {
		stop, err := serveMetrics(cfg.MetricsAddr, m, log)
		if err != nil {
			return err
		}
		defer stop()
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

// prepareSchema checks the migrations before serving. The embedded database
// sets itself up (migrations, and demo data when it was empty); PostgreSQL
// is never migrated or seeded implicitly.
func prepareSchema(ctx context.Context, cfg config.Config, db engine, log *slog.Logger) error {
	states, err := db.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("read migration status: %w", err)
	}
	pending := boxoffice.Pending(states)
	if pending == 0 {
		return nil
	}
	if cfg.Engine == config.Postgres {
		return fmt.Errorf("the database has %d pending migration(s): run `boxoffice migrate` first", pending)
	}
	empty := pending == len(states)
	start := time.Now()
	if _, err := db.MigrateUp(ctx); err != nil {
		return fmt.Errorf("migrate embedded database: %w", err)
	}
	log.Info("applied migrations to the embedded database", "count", pending, "path", cfg.SQLitePath)
	if empty {
		sum, err := seed.Load(ctx, db)
		if err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		log.Info("loaded demo data into the new embedded database", "users", sum.Users, "events", sum.Events,
			"bookings", sum.Bookings, "duration", time.Since(start).String())
	}
	return nil
}
