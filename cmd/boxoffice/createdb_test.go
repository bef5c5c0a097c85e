package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice/internal/pgtest"
)

// TestMissingPostgresDatabase follows the README with the original .env
// on a server where its database does not exist yet: schema drop has
// nothing to drop, serve says what to run, and schema create creates the
// database, saying so.
func TestMissingPostgresDatabase(t *testing.T) {
	admin := adminConn(t)
	name := "boxoffice_test_missing_" + randomHex(6)
	t.Cleanup(func() { dropDatabase(t, name) })
	dir := workdir(t, originalEnv(name)...)

	r := runCLI(t, dir, "", nil, "schema", "drop")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to drop") || !strings.Contains(r.stdout, name) {
		t.Fatalf("schema drop without the database: %s", r)
	}
	for _, args := range [][]string{{"serve"}, {"seed"}, {"migrate", "status"}, {"token", "--email", "alice@example.com"}} {
		r := runCLI(t, dir, "", nil, args...)
		if r.code != 1 || !strings.Contains(r.stderr, `has no database "`+name+`"`) ||
			!strings.Contains(r.stderr, "boxoffice migrate` creates it") || !strings.Contains(r.stderr, "createdb") {
			t.Errorf("boxoffice %s without the database: %s", strings.Join(args, " "), r)
		}
	}
	if exists(t, admin, name) {
		t.Fatal("a command that does not prepare the database created it")
	}

	r = runCLI(t, dir, "", nil, "schema", "create")
	if r.code != 0 || !strings.Contains(r.stdout, `created database "`+name+`"`) || !strings.Contains(r.stdout, "schema created") {
		t.Fatalf("schema create without the database: %s", r)
	}
	if !exists(t, admin, name) {
		t.Fatal("schema create did not create the database")
	}
	for _, args := range [][]string{{"migrate"}, {"seed"}} {
		if r := runCLI(t, dir, "", nil, args...); r.code != 0 || strings.Contains(r.stdout, "created database") {
			t.Fatalf("boxoffice %s: %s", strings.Join(args, " "), r)
		}
	}

	// migrate creates it too.
	other := "boxoffice_test_missing_" + randomHex(6)
	t.Cleanup(func() { dropDatabase(t, other) })
	r = runCLI(t, workdir(t, originalEnv(other)...), "", nil, "migrate")
	if r.code != 0 || !strings.Contains(r.stdout, `created database "`+other+`"`) || !strings.Contains(r.stdout, "migration(s) applied") {
		t.Fatalf("migrate without the database: %s", r)
	}
}

// TestMissingPostgresDatabaseWithoutTheRight: a user who may not create
// databases is told exactly what to ask for.
func TestMissingPostgresDatabaseWithoutTheRight(t *testing.T) {
	admin := adminConn(t)
	role := "boxoffice_test_role_" + randomHex(4)
	if _, err := admin.Exec(t.Context(), "CREATE ROLE "+role+" LOGIN NOCREATEDB"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgtest.AdminURL())
		if err == nil {
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, "DROP ROLE IF EXISTS "+role)
		}
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	name := "boxoffice_test_missing_" + randomHex(6)
	t.Cleanup(func() { dropDatabase(t, name) })
	u, err := url.Parse(pgtest.URL(t, name))
	if err != nil {
		t.Skipf("BOXOFFICE_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	u.User = url.User(role)
	dir := workdir(t, "DATABASE_URL="+u.String(), "JWT_SECRET="+testSecret)
	r := runCLI(t, dir, "", nil, "migrate")
	for _, want := range []string{`the database "` + name + `" does not exist`, role + " may not create it",
		`CREATE DATABASE "` + name + `" OWNER "` + role + `"`, `ALTER ROLE "` + role + `" CREATEDB`} {
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("migrate as a role without CREATEDB: want %q in the error; got %s", want, r)
		}
	}
	if exists(t, admin, name) {
		t.Error("the database exists")
	}
}

// adminConn connects to the tests' PostgreSQL server as its admin, or
// skips (pgtest's rules).
func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	pgtest.NewDatabase(t) // skips, or fails under BOXOFFICE_REQUIRE_POSTGRES=1, when unreachable
	conn, err := pgx.Connect(t.Context(), pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exists(t *testing.T, admin *pgx.Conn, name string) bool {
	t.Helper()
	var ok bool
	if err := admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func dropDatabase(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Errorf("drop database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("drop database %s: %v", name, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
