package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/ratelimit"
	"github.com/boxoffice/boxoffice/service"
)

// signer returns the token signer: JWT_SECRET, or on the embedded database
// a random secret made once and kept beside the database file. There is
// never a built-in secret.
func signer(cfg config.Config) (*auth.Tokens, error) {
	secret := []byte(cfg.JWTSecret)
	if len(secret) == 0 {
		if cfg.Engine == config.Postgres {
			return nil, fmt.Errorf("JWT_SECRET is required with PostgreSQL: at least %d bytes, e.g. from `openssl rand -hex 32`", config.MinJWTSecret)
		}
		var err error
		if secret, err = auth.LoadOrCreateSecretFile(cfg.SQLitePath + ".secret"); err != nil {
			return nil, fmt.Errorf("token secret beside the embedded database: %w", err)
		}
	}
	return auth.NewTokens(secret, cfg.TokenTTL)
}

// serviceOptions are the service's settings from the configuration. The
// limiter is shared through Redis when REDIS_URL is set, and falls back to
// memory while Redis is unreachable; close is its clean-up.
func serviceOptions(ctx context.Context, cfg config.Config, tokens *auth.Tokens, log *slog.Logger) (service.Options, func(), error) {
	opts := service.Options{
		Tokens:     tokens,
		Batch:      service.BatchOptions{Lanes: cfg.BookingLanes},
		SoldOutTTL: cfg.SoldOutTTL,
		// 0 turns the cache off; for Options, 0 means the default.
		CallerCacheTTL: cmp.Or(cfg.AuthCacheTTL, -1),
		Limits: &service.Limits{
			SignInPerAddr:    boxoffice.Limit{Events: 4 * cfg.SignInAttemptsMin, Per: time.Minute},
			SignInPerEmail:   boxoffice.Limit{Events: cfg.SignInAttemptsMin, Per: time.Minute},
			SignUpPerAddr:    service.DefaultLimits.SignUpPerAddr,
			MutationsPerUser: boxoffice.Limit{Events: cfg.MutationsPerMin, Per: time.Minute},
		},
	}
	if cfg.RedisURL == "" {
		return opts, func() {}, nil
	}
	client, err := ratelimit.OpenRedis(ctx, cfg.RedisURL)
	if err != nil {
		return opts, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	limiter := ratelimit.NewFallback(ratelimit.NewRedis(client, cfg.RedisPrefix+"ratelimit:"), ratelimit.FallbackOptions{Logger: log})
	opts.Limiter = limiter
	return opts, func() { limiter.Close(); client.Close() }, nil
}
