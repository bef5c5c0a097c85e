package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/postgres"
	"github.com/boxoffice/boxoffice/seed"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/sqlite"
)

// engine is a database: the store and its schema management.
type engine interface {
	boxoffice.Store
	boxoffice.Migrator
}

// setup loads the configuration from the environment and ./.env and makes
// the logger every command uses.
func setup() (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(".")
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration: %w", err)
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.Production {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	return cfg, slog.New(h), nil
}

// openMode says what a command may do about a PostgreSQL database that
// does not exist.
type openMode int

const (
	// mustExist: say so, and how to create it (serve, users, token, …).
	mustExist openMode = iota
	// createMissing: create it, and say so (the commands that prepare a
	// database: schema create, migrate, seed).
	createMissing
)

// openEngine opens the configured database without migrating it. On
// PostgreSQL it connects once first, so that a database that does not
// exist is created (createMissing, said on out) or reported with what to
// run (errNoDatabase).
func openEngine(ctx context.Context, cfg config.Config, mode openMode, out io.Writer) (engine, error) {
	switch cfg.Engine {
	case config.Postgres:
		if err := checkDatabase(ctx, cfg.PostgresURL, mode == createMissing, out); err != nil {
			return nil, err
		}
		db, err := postgres.Open(ctx, postgres.Config{
			URL: cfg.PostgresURL, Schema: cfg.PostgresSchema,
			MaxConns: int32(cfg.DBMaxConns), StatementTimeout: cfg.StatementTimeout,
			LockTimeout: cfg.LockTimeout,
		})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return db, nil
	default:
		db, err := sqlite.Open(ctx, cfg.SQLitePath)
		if err != nil {
			return nil, fmt.Errorf("open embedded database %s: %w", cfg.SQLitePath, err)
		}
		return db, nil
	}
}

// describe names the database for log lines, without credentials.
func describe(cfg config.Config) []any {
	if cfg.Engine == config.Postgres {
		return []any{"engine", "postgres", "schema", cfg.PostgresSchema}
	}
	return []any{"engine", "sqlite", "path", cfg.SQLitePath}
}

// withEngine loads the configuration, opens the database, runs fn on it
// and closes it: the frame of every command but serve.
func withEngine(ctx context.Context, mode openMode, out io.Writer, fn func(cfg config.Config, log *slog.Logger, db engine) error) error {
	cfg, log, err := setup()
	if err != nil {
		return err
	}
	db, err := openEngine(ctx, cfg, mode, out)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cfg, log, db)
}

// withServices is withEngine with the domain services over a migrated
// database: the frame of the commands that act as an operator (users,
// token). The embedded database is set up as serve sets it up; PostgreSQL
// must be migrated already.
func withServices(ctx context.Context, out io.Writer, fn func(cfg config.Config, svc *service.Services) error) error {
	return withEngine(ctx, mustExist, out, func(cfg config.Config, log *slog.Logger, db engine) error {
		if err := ensureMigrated(ctx, cfg, db, log, true); err != nil {
			return err
		}
		tokens, err := signer(cfg)
		if err != nil {
			return err
		}
		svc := service.New(db, service.Options{Tokens: tokens, Logger: slog.New(slog.DiscardHandler)})
		defer svc.Close()
		return fn(cfg, svc)
	})
}

// ensureMigrated checks that every migration is applied. The embedded
// database sets itself up: its pending migrations are applied, and a new
// one gets the demo data when seedIfNew is set. PostgreSQL is never
// migrated or seeded implicitly: the error names the command to run.
func ensureMigrated(ctx context.Context, cfg config.Config, db engine, log *slog.Logger, seedIfNew bool) error {
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
	if empty && seedIfNew {
		sum, err := seed.Load(ctx, db)
		if err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		log.Info("loaded demo data into the new embedded database", "users", sum.Users, "events", sum.Events,
			"bookings", sum.Bookings, "duration", time.Since(start).String())
	}
	return nil
}

// operator is ctx as the command line's: an admin without an account.
func operator(ctx context.Context) context.Context {
	return boxoffice.NewContextWithCaller(ctx, boxoffice.Operator)
}

// cliError is err as a command prints it: the client-safe message of a
// domain error, naming the field at fault; anything else in full, since
// the operator is the one who reads the log.
func cliError(err error) error {
	var e *boxoffice.Error
	if !errors.As(err, &e) {
		return err
	}
	if e.Field != "" {
		return fmt.Errorf("--%s: %s", e.Field, e.Message)
	}
	return errors.New(e.Message)
}
