package main

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice/ratelimit"
	"github.com/boxoffice/boxoffice/server"
)

// The dependencies that /readyz and boxoffice_dependency_state report. A
// new one gets a check here (or beside its own wiring, as NATS and SMTP in
// notify.go) and one line in runServe; see docs/operations.md.

// databaseCheck is the one critical check: the server is not ready while
// the database does not answer. While writes are refused for a full disk
// it is degraded: reads still work, so the server stays ready.
func databaseCheck(db engine) server.Check {
	return server.Check{Name: "database", Critical: true, Probe: func(ctx context.Context) server.Status {
		if err := db.Ping(ctx); err != nil {
			return server.Status{State: server.StateDown, Detail: "unreachable", Err: err}
		}
		if w, ok := db.(interface{ WritesRefused() (time.Time, bool) }); ok {
			if since, refused := w.WritesRefused(); refused {
				return server.Status{State: server.StateDegraded,
					Detail: "writes refused since " + since.UTC().Format(time.RFC3339) + ": disk full (reads work)"}
			}
		}
		return server.Status{State: server.StateReady}
	}}
}

// redisCheck reports the rate limiter's Redis: degraded while this server
// counts the limits alone, in memory (ratelimit.Fallback).
func redisCheck(f *ratelimit.Fallback) server.Check {
	return server.Check{Name: "redis", Probe: func(context.Context) server.Status {
		state := f.State()
		if state == ratelimit.StateRedis {
			return server.Status{State: server.StateReady}
		}
		detail := "Redis unreachable: rate limits counted in memory, by this server alone"
		if since := f.DownSince(); !since.IsZero() {
			detail += ", since " + since.UTC().Format(time.RFC3339)
		}
		if state == ratelimit.StateProbing {
			detail += "; probing Redis"
		}
		return server.Status{State: server.StateDegraded, Detail: detail}
	}}
}
