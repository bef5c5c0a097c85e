package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/boxoffice/boxoffice/internal/pgtest"
	"github.com/boxoffice/boxoffice/postgres"
	"github.com/boxoffice/boxoffice/sqlite"
)

// These run the suite against both engines from here, whether or not
// their packages wire their own TestConformance yet.

func TestSQLite(t *testing.T) {
	t.Parallel()
	Run(t, sqliteOpen)
}

func sqliteOpen(t *testing.T) Engine {
	{
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "boxoffice.db"))
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return db
	}
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	for _, schema := range []string{"boxoffice", "public"} {
		t.Run(schema, func(t *testing.T) {
			Run(t, pgOpen(schema))
		})
	}
}

// pgOpen opens engines on fresh databases, their tables in schema.
func pgOpen(schema string) Opener {
	return func(t *testing.T) Engine {
		db, err := postgres.Open(context.Background(), postgres.Config{URL: newPostgresDatabase(t), Schema: schema, MaxConns: 16})
		if err != nil {
			t.Fatalf("postgres.Open: %v", err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return db
	}
}

// newPostgresDatabase is an empty database for t; its URL.
func newPostgresDatabase(t *testing.T) string {
	u, _ := pgtest.NewDatabase(t)
	return u
}
