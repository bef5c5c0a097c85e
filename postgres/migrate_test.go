package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/pgtest"
	"github.com/boxoffice/boxoffice/storetest"
)

var firstPage = boxoffice.Page{Page: 1, Limit: 10}

func TestOpenRejectsBadSchemaNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Upper", "has-dash", `quo"te`, "a b", "1abc", "pg_catalog", "x;drop"} {
		if db, err := Open(context.Background(), Config{URL: pgtest.AdminURL(), Schema: name}); err == nil {
			db.Close()
			t.Errorf("Open(Schema: %q) succeeded, want an error", name)
		}
	}
}

// ourTables are the tables the migrations make, with goose's.
var ourTables = []string{"bookings", "changes", "event_keys", "event_staff", "events", "goose_db_version", "idempotency_keys", "payments",
	"provider_events", "reminders", "river_job", "river_leader", "river_migration", "river_notification", "river_queue", "scans", "tickets",
	"users", "webhook_deliveries", "webhooks"}

// Two stores in one database, in two schemas, see nothing of each other.
func TestSchemaIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDatabase(t)
	alpha, beta := openDB(t, dbURL, "alpha"), openDB(t, dbURL, "beta")
	migrate(t, alpha)
	migrate(t, beta)

	for _, schema := range []string{"alpha", "beta"} {
		if got := tablesIn(t, alpha, schema); !slices.Equal(got, ourTables) {
			t.Errorf("tables in %s = %v, want %v", schema, got, ourTables)
		}
	}
	if got := tablesIn(t, alpha, "public"); len(got) != 0 {
		t.Errorf("tables in public = %v, want none", got)
	}

	u := storetest.MustCreateUser(t, alpha, "ann")
	if _, err := beta.Users().ByID(ctx, u.ID); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		t.Errorf("beta sees alpha's user: err = %v", err)
	}
	if _, n, _ := beta.Users().Find(ctx, boxoffice.UserFilter{Page: firstPage}); n != 0 {
		t.Errorf("beta has %d users, want 0", n)
	}

	if err := alpha.DropSchema(ctx); err != nil {
		t.Fatalf("DropSchema: %v", err)
	}
	var n int
	if err := beta.Pool().QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = 'alpha'").Scan(&n); err != nil || n != 0 {
		t.Errorf("schema alpha still exists (%d, %v)", n, err)
	}
	if got := tablesIn(t, beta, "beta"); !slices.Equal(got, ourTables) {
		t.Errorf("dropping alpha changed beta: %v", got)
	}
}

// With no schema the tables go to public, and DropSchema removes them but
// not the shared schema itself, nor tables that are not ours.
func TestPublicSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, newDatabase(t), "")
	if _, err := db.Pool().Exec(ctx, "CREATE TABLE someone_elses (x int)"); err != nil {
		t.Fatal(err)
	}
	migrate(t, db)
	storetest.MustCreateUser(t, db, "before")
	if _, n, err := db.Users().Find(ctx, boxoffice.UserFilter{Page: firstPage}); err != nil || n != 1 {
		t.Fatalf("FindUsers = %d, %v", n, err)
	}
	if got := tablesIn(t, db, "public"); len(got) != len(ourTables)+1 {
		t.Fatalf("tables in public = %v", got)
	}
	if err := db.DropSchema(ctx); err != nil {
		t.Fatalf("DropSchema: %v", err)
	}
	if got := tablesIn(t, db, "public"); !slices.Equal(got, []string{"someone_elses"}) {
		t.Errorf("tables left in public: %v, want only someone_elses", got)
	}
	if err := db.DropSchema(ctx); err != nil {
		t.Errorf("DropSchema again: %v", err)
	}
	migrate(t, db) // and back, on connections that cached statements for the old tables
	if users, n, err := db.Users().Find(ctx, boxoffice.UserFilter{Page: firstPage}); err != nil || n != 0 || len(users) != 0 {
		t.Errorf("FindUsers after drop and migrate = %d, %d, %v; want none", len(users), n, err)
	}
	storetest.MustCreateUser(t, db, "after")
}

// catalog describes the schema's tables as PostgreSQL keeps them: columns
// with their types, defaults and nullability, constraints and indexes with
// their definitions.
func catalog(t *testing.T, db *DB, schema string) []string {
	t.Helper()
	rows, _ := db.Pool().Query(context.Background(), `
		SELECT format('column %s.%s %s %s default %s', table_name, column_name, data_type, is_nullable, coalesce(column_default, '-'))
		FROM information_schema.columns WHERE table_schema = $1 AND table_name NOT LIKE 'goose%'
		UNION ALL
		SELECT format('constraint %s.%s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.conname NOT LIKE 'goose%'
		UNION ALL
		SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = $1 AND tablename NOT LIKE 'goose%'
		UNION ALL
		SELECT format('relation %s %s', relname, relkind) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND relname NOT LIKE 'goose%'
		ORDER BY 1`, schema)
	objects, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	return objects
}

// Every migration's Down leaves the schema exactly as it was before its Up.
// (The suite's MigrateDownUp cases check that the rows survive.)
func TestEveryMigrationDownRestoresTheSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, newDatabase(t), testSchema)
	if err := db.CreateSchema(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := db.migrations.provider()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range p.ListSources() {
		before := catalog(t, db, testSchema)
		if _, err := p.UpTo(ctx, src.Version); err != nil {
			t.Fatal(err)
		}
		if during := catalog(t, db, testSchema); slices.Equal(during, before) {
			t.Errorf("migration %d changed nothing", src.Version)
		}
		if _, err := p.DownTo(ctx, src.Version-1); err != nil {
			t.Fatal(err)
		}
		if after := catalog(t, db, testSchema); !slices.Equal(after, before) {
			t.Errorf("schema after migration %d down:\n%s\nwant, as before its up:\n%s",
				src.Version, strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
		if _, err := p.UpTo(ctx, src.Version); err != nil {
			t.Fatal(err)
		}
	}
}
