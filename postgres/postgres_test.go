package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

// testSchema is a non-public schema, so most tests exercise DB_SCHEMA.
const testSchema = "boxoffice"

// adminURL is the server the tests make their databases on.
func adminURL() string {
	if u := os.Getenv("BOXOFFICE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// newDatabase creates an empty database for t, dropped when t ends, and
// returns its URL. It skips t if PostgreSQL cannot be reached, unless
// BOXOFFICE_REQUIRE_POSTGRES=1.
func newDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (BOXOFFICE_REQUIRE_POSTGRES=1) but unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set BOXOFFICE_TEST_POSTGRES_URL, or BOXOFFICE_REQUIRE_POSTGRES=1 to fail): %v", err)
	}
	defer admin.Close(ctx)

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "boxoffice_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, adminURL())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return databaseURL(t, adminURL(), name)
}

// databaseURL is admin with its database replaced by name.
func databaseURL(t testing.TB, admin, name string) string {
	if !strings.Contains(admin, "://") { // key=value DSN: the last dbname wins
		return admin + " dbname=" + name
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse BOXOFFICE_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// openDB opens a store on dbURL in schema, closed when t ends; unmigrated.
func openDB(t testing.TB, dbURL, schema string) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{URL: dbURL, Schema: schema, MaxConns: 16})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// newDB is a migrated store in testSchema of a fresh database.
func newDB(t testing.TB) *DB {
	t.Helper()
	db := openDB(t, newDatabase(t), testSchema)
	migrate(t, db)
	return db
}

func migrate(t testing.TB, db *DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateSchema(ctx); err != nil {
		t.Fatalf("CreateSchema: %v", err)
	}
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("MigrateUp: %v", err)
	}
}

// tablesIn lists the tables of schema.
func tablesIn(t testing.TB, db *DB, schema string) []string {
	t.Helper()
	rows, _ := db.pool.Query(context.Background(),
		"SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	return names
}

func mustCreateUser(t testing.TB, db *DB, name string) *boxoffice.User {
	t.Helper()
	now := boxoffice.Now()
	u := &boxoffice.User{ID: boxoffice.NewID(), Username: name, Email: name + "@example.com", CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func mustCreateEvent(t testing.TB, db *DB, title string, date time.Time, tickets int) *boxoffice.Event {
	t.Helper()
	now := boxoffice.Now()
	e := &boxoffice.Event{
		ID: boxoffice.NewID(), Title: title, Date: date, Location: "Hall", TotalTickets: tickets,
		AvailableTickets: tickets, PriceCents: 1999, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if err := db.CreateEvent(context.Background(), e); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	return e
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := boxoffice.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}
