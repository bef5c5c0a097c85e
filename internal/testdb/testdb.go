// Package testdb opens fresh databases of every engine for tests above the
// stores (services, GraphQL, commands): one way to open each, so that what
// those tests prove holds on both.
package testdb

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/pgtest"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/postgres"
	"github.com/boxoffice/boxoffice/sqlite"
)

// Engines name the engines, for Open.
var Engines = []string{"sqlite", "postgres"}

// Engine is a database: its stores and its migrations.
type Engine interface {
	boxoffice.Store
	boxoffice.Migrator
}

// Open returns a fresh, empty, unmigrated database of the named engine,
// closed when t ends: a SQLite file in t's temporary directory, or a
// PostgreSQL database of its own (pgtest.NewDatabase: skipped when
// PostgreSQL is unreachable, unless BOXOFFICE_REQUIRE_POSTGRES=1).
func Open(t testing.TB, engine string) Engine {
	t.Helper()
	var db Engine
	var err error
	switch engine {
	case "postgres":
		dbURL, _ := pgtest.NewDatabase(t)
		db, err = postgres.Open(t.Context(), postgres.Config{URL: dbURL, Schema: "boxoffice", MaxConns: 16})
	case "sqlite":
		db, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "boxoffice.db"))
	default:
		t.Fatalf("testdb: no engine %q", engine)
	}
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Migrated is Open with every migration applied.
func Migrated(t testing.TB, engine string) Engine {
	t.Helper()
	db := Open(t, engine)
	if _, err := db.MigrateUp(t.Context()); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return db
}

// Each runs test once per engine, as a subtest named after it.
func Each(t *testing.T, test func(t *testing.T, engine string)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) { test(t, e) })
	}
}

// Servers returns n stores on one fresh, migrated PostgreSQL database, as
// n servers sharing it would have: each with its own pool and its own
// watch. (The embedded database has one server by design.)
func Servers(t testing.TB, n int) []Engine {
	t.Helper()
	dbURL, _ := pgtest.NewDatabase(t)
	var out []Engine
	for i := range n {
		db, err := postgres.Open(t.Context(), postgres.Config{URL: dbURL, Schema: "boxoffice", MaxConns: 16})
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if i == 0 {
			if _, err := db.MigrateUp(t.Context()); err != nil {
				t.Fatalf("migrate postgres: %v", err)
			}
		}
		out = append(out, db)
	}
	return out
}

// Queue returns the job queue of db (jobs.Open), not yet working: Work
// starts it, and Stop is a cleanup of t's.
func Queue(t testing.TB, db Engine, cfg jobs.Config) *jobs.Queue {
	t.Helper()
	q, err := jobs.Open(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop the job queue: %v", err)
		}
	})
	return q
}
