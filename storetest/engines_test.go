package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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

func postgresAdminURL() string {
	if u := os.Getenv("BOXOFFICE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// newPostgresDatabase creates an empty database, dropped when t ends, and
// returns its URL. It skips t if PostgreSQL cannot be reached, unless
// BOXOFFICE_REQUIRE_POSTGRES=1.
func newPostgresDatabase(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, postgresAdminURL())
	if err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (BOXOFFICE_REQUIRE_POSTGRES=1) but unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set BOXOFFICE_TEST_POSTGRES_URL, or BOXOFFICE_REQUIRE_POSTGRES=1 to fail): %v", err)
	}
	defer admin.Close(ctx)

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "boxoffice_storetest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, postgresAdminURL())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})

	admURL := postgresAdminURL()
	if !strings.Contains(admURL, "://") { // key=value DSN: the last dbname wins
		return admURL + " dbname=" + name
	}
	u, err := url.Parse(admURL)
	if err != nil {
		t.Fatalf("parse BOXOFFICE_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
