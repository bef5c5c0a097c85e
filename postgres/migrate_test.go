package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/pgtest"
)

func TestOpenRejectsBadSchemaNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Upper", "has-dash", `quo"te`, "a b", "1abc", "pg_catalog", "x;drop"} {
		if db, err := Open(context.Background(), Config{URL: pgtest.AdminURL(), Schema: name}); err == nil {
			db.Close()
			t.Errorf("Open(Schema: %q) succeeded, want an error", name)
		}
	}
}

// Two stores in one database, in two schemas, see nothing of each other.
func TestSchemaIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newDatabase(t)
	alpha, beta := openDB(t, dbURL, "alpha"), openDB(t, dbURL, "beta")
	migrate(t, alpha)
	migrate(t, beta)

	want := []string{"bookings", "events", "goose_db_version", "users"}
	for _, schema := range []string{"alpha", "beta"} {
		if got := tablesIn(t, alpha, schema); !slices.Equal(got, want) {
			t.Errorf("tables in %s = %v, want %v", schema, got, want)
		}
	}
	if got := tablesIn(t, alpha, "public"); len(got) != 0 {
		t.Errorf("tables in public = %v, want none", got)
	}

	u := mustCreateUser(t, alpha, "ann")
	if _, err := beta.FindUserByID(ctx, u.ID); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		t.Errorf("beta sees alpha's user: err = %v", err)
	}
	if _, n, _ := beta.FindUsers(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); n != 0 {
		t.Errorf("beta has %d users, want 0", n)
	}

	if err := alpha.DropSchema(ctx); err != nil {
		t.Fatalf("DropSchema: %v", err)
	}
	var n int
	if err := beta.pool.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = 'alpha'").Scan(&n); err != nil || n != 0 {
		t.Errorf("schema alpha still exists (%d, %v)", n, err)
	}
	if got := tablesIn(t, beta, "beta"); !slices.Equal(got, want) {
		t.Errorf("dropping alpha changed beta: %v", got)
	}
}

// With no schema the tables go to public, and DropSchema removes them but
// not the shared schema itself.
func TestPublicSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, newDatabase(t), "")
	migrate(t, db)
	mustCreateUser(t, db, "before")
	if _, n, err := db.FindUsers(ctx, boxoffice.UserFilter{Page: firstPage}); err != nil || n != 1 {
		t.Fatalf("FindUsers = %d, %v", n, err)
	}
	if got := tablesIn(t, db, "public"); len(got) != 4 {
		t.Fatalf("tables in public = %v, want 4", got)
	}
	if err := db.DropSchema(ctx); err != nil {
		t.Fatalf("DropSchema: %v", err)
	}
	if got := tablesIn(t, db, "public"); len(got) != 0 {
		t.Errorf("tables left in public: %v", got)
	}
	if err := db.DropSchema(ctx); err != nil {
		t.Errorf("DropSchema again: %v", err)
	}
	migrate(t, db) // and back, on connections that cached statements for the old tables
	if users, n, err := db.FindUsers(ctx, boxoffice.UserFilter{Page: firstPage}); err != nil || n != 0 || len(users) != 0 {
		t.Errorf("FindUsers after drop and migrate = %d, %d, %v; want none", len(users), n, err)
	}
	mustCreateUser(t, db, "after")
}

func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, newDatabase(t), testSchema)
	if err := db.CreateSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSchema(ctx); err != nil {
		t.Fatalf("CreateSchema is not idempotent: %v", err)
	}

	status, err := db.MigrationStatus(ctx)
	if err != nil || len(status) == 0 || boxoffice.Pending(status) != len(status) {
		t.Fatalf("status before up = %+v, %v: want all pending", status, err)
	}
	applied, err := db.MigrateUp(ctx)
	if err != nil || len(applied) != len(status) {
		t.Fatalf("MigrateUp = %+v, %v", applied, err)
	}
	if a := applied[0]; a.Version != 1 || a.Name != "00001_init.sql" || !a.Applied || a.AppliedAt.IsZero() {
		t.Errorf("applied[0] = %+v", a)
	}
	if again, err := db.MigrateUp(ctx); err != nil || len(again) != 0 {
		t.Errorf("second MigrateUp = %+v, %v: want nothing to do", again, err)
	}
	if status, _ = db.MigrationStatus(ctx); boxoffice.Pending(status) != 0 {
		t.Errorf("pending after up: %+v", status)
	}

	for range status {
		if _, err := db.MigrateDown(ctx); err != nil {
			t.Fatalf("MigrateDown: %v", err)
		}
	}
	if got := tablesIn(t, db, testSchema); !slices.Equal(got, []string{versionTable}) {
		t.Errorf("tables after down = %v, want only %s", got, versionTable)
	}
	var objects int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname NOT LIKE 'goose%'`, testSchema).Scan(&objects); err != nil || objects != 0 {
		t.Errorf("%d relations left after down (%v)", objects, err)
	}
	_, err = db.MigrateDown(ctx)
	wantCode(t, err, boxoffice.ENOTFOUND)

	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("MigrateUp after down: %v", err)
	}
	mustCreateUser(t, db, "bob")
}

// catalog describes the schema's tables as PostgreSQL keeps them: columns
// in order with their types, defaults and nullability, constraints and
// indexes with their definitions.
func catalog(t *testing.T, db *DB, schema string) []string {
	t.Helper()
	rows, _ := db.pool.Query(context.Background(), `
		SELECT format('column %s.%s %s %s default %s', table_name, column_name, data_type, is_nullable, coalesce(column_default, '-'))
		FROM information_schema.columns WHERE table_schema = $1 AND table_name NOT LIKE 'goose%'
		UNION ALL
		SELECT format('constraint %s.%s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1
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

// The accounts migration down leaves the schema as 00001_init.sql made it,
// and keeps the rows.
func TestAccountsMigrationDownRestoresSchema(t *testing.T) {
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
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	before := catalog(t, db, testSchema)
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if during := catalog(t, db, testSchema); slices.Equal(during, before) {
		t.Fatal("the accounts migration changed nothing")
	}

	org := mustCreateUser(t, db, "olga")
	role := boxoffice.RoleOrganizer
	if _, err := db.UpdateUser(ctx, org.ID, boxoffice.UserUpdate{Role: &role, BumpTokenVersion: true}); err != nil {
		t.Fatal(err)
	}
	e := mustCreateEvent(t, db, "Show", boxoffice.Now().Add(time.Hour), 10)
	organized := *e
	organized.ID, organized.OrganizerID = boxoffice.NewID(), &org.ID
	if err := db.CreateEvent(ctx, &organized); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: org.ID, EventID: organized.ID, Tickets: 2}}); err != nil {
		t.Fatal(err)
	}
	rows := func() []string {
		t.Helper()
		r, _ := db.pool.Query(ctx, `SELECT format('event %s %s', id, available_tickets) FROM events
			UNION ALL SELECT format('user %s %s %s', id, email, updated_at) FROM users
			UNION ALL SELECT format('booking %s %s', id, event_id) FROM bookings ORDER BY 1`)
		out, err := pgx.CollectRows(r, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	data := rows()

	if s, err := db.MigrateDown(ctx); err != nil || s.Version != 2 {
		t.Fatalf("MigrateDown = %+v, %v; want version 2", s, err)
	}
	if after := catalog(t, db, testSchema); !slices.Equal(after, before) {
		t.Errorf("schema after the accounts migration down:\n%s\nwant, as 00001_init.sql made it:\n%s",
			strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	if after := rows(); !slices.Equal(after, data) {
		t.Errorf("rows after the migration down:\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(data, "\n"))
	}

	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("MigrateUp again: %v", err)
	}
	if got, err := db.FindEventByID(ctx, organized.ID); err != nil || got.OrganizerID != nil {
		t.Errorf("event after down and up = %+v, %v; want it with no organizer", got, err)
	}
	if got, err := db.FindUserByID(ctx, org.ID); err != nil || got.Role != boxoffice.RoleCustomer || got.TokenVersion != 0 {
		t.Errorf("user after down and up = %+v, %v; want a customer at token version 0", got, err)
	}
}
