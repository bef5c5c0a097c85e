package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/postgres"
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

// openEngine opens the configured database without migrating it.
func openEngine(ctx context.Context, cfg config.Config) (engine, error) {
	switch cfg.Engine {
	case config.Postgres:
		db, err := postgres.Open(ctx, postgres.Config{
			URL: cfg.PostgresURL, Schema: cfg.PostgresSchema,
			MaxConns: int32(cfg.DBMaxConns), StatementTimeout: cfg.StatementTimeout,
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
func withEngine(ctx context.Context, fn func(cfg config.Config, db engine) error) error {
	cfg, _, err := setup()
	if err != nil {
		return err
	}
	db, err := openEngine(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cfg, db)
}

// withServices is withEngine with the domain services over the database:
// the frame of the commands that act as an operator (users, token).
func withServices(ctx context.Context, fn func(cfg config.Config, svc *service.Services) error) error {
	return withEngine(ctx, func(cfg config.Config, db engine) error {
		tokens, err := signer(cfg)
		if err != nil {
			return err
		}
		svc := service.New(db, service.Options{Tokens: tokens, Logger: slog.New(slog.DiscardHandler)})
		defer svc.Close()
		return fn(cfg, svc)
	})
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
