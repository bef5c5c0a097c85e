// Package pgtest gives tests a fresh PostgreSQL database each, on the
// server at BOXOFFICE_TEST_POSTGRES_URL (default: 127.0.0.1:5432 as
// postgres). When the server cannot be reached the test is skipped, unless
// BOXOFFICE_REQUIRE_POSTGRES=1, as CI sets: then it fails.
package pgtest

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
)

// AdminURL is the server the tests make their databases on.
func AdminURL() string {
	if u := os.Getenv("BOXOFFICE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates an empty database for t, dropped (with its
// connections) when t ends, and returns its URL and name.
func NewDatabase(t testing.TB) (dbURL, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (BOXOFFICE_REQUIRE_POSTGRES=1) but unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set BOXOFFICE_TEST_POSTGRES_URL, or BOXOFFICE_REQUIRE_POSTGRES=1 to fail): %v", err)
	}
	defer admin.Close(ctx)

	var b [6]byte
	_, _ = rand.Read(b[:])
	name = "boxoffice_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return URL(t, name), name
}

// URL is the admin URL with its database replaced by name.
func URL(t testing.TB, name string) string {
	admin := AdminURL()
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
