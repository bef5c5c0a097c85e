package sqlite

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// tables lists the tables in the database, SQLite's own excepted.
func tables(t *testing.T, db *DB) []string {
	t.Helper()
	names, err := queryAll(t.Context(), db.read(), scanString,
		`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestMigrateUpDownUp(t *testing.T) {
	db := openEmpty(t)
	ctx := t.Context()
	if err := db.CreateSchema(ctx); err != nil {
		t.Fatal(err)
	}

	status, err := db.MigrationStatus(ctx)
	if err != nil || len(status) == 0 || boxoffice.Pending(status) != len(status) {
		t.Fatalf("fresh status: %+v, %v", status, err)
	}
	if status[0].Version != 1 || status[0].Name != "00001_init.sql" {
		t.Errorf("first migration: %+v", status[0])
	}

	up := func() {
		t.Helper()
		applied, err := db.MigrateUp(ctx)
		if err != nil || len(applied) != len(status) {
			t.Fatalf("MigrateUp: %+v, %v", applied, err)
		}
		for _, s := range applied {
			if !s.Applied || time.Since(s.AppliedAt) > time.Minute {
				t.Errorf("applied migration: %+v", s)
			}
		}
		if got := tables(t, db); !slices.Equal(got, []string{"bookings", "events", "goose_db_version", "users"}) {
			t.Errorf("tables after up: %v", got)
		}
	}
	up()
	if again, err := db.MigrateUp(ctx); err != nil || len(again) != 0 {
		t.Errorf("second MigrateUp: %+v, %v; want nothing to do", again, err)
	}

	for range status {
		s, err := db.MigrateDown(ctx)
		if err != nil || s.Applied {
			t.Fatalf("MigrateDown: %+v, %v", s, err)
		}
	}
	if got := tables(t, db); !slices.Equal(got, []string{"goose_db_version"}) {
		t.Errorf("tables after down: %v, want only goose's", got)
	}
	_, err = db.MigrateDown(ctx)
	wantCode(t, err, boxoffice.ENOTFOUND)

	up()
	// With data in place, which foreign keys reference.
	u := newUser(t, db, "alice")
	ev := newEvent(t, db, 10, time.Now().Add(time.Hour))
	if _, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := db.DropSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tables(t, db); len(got) != 0 {
		t.Errorf("tables after DropSchema: %v", got)
	}
	if err := db.DropSchema(ctx); err != nil {
		t.Errorf("DropSchema of nothing: %v", err)
	}
	up()
}

// schema lists every object of the database as SQLite keeps it, its
// CREATE statement included.
func schema(t *testing.T, db *DB) []string {
	t.Helper()
	objects, err := queryAll(t.Context(), db.read(), scanString,
		`SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '') FROM sqlite_schema
		WHERE name NOT LIKE 'goose%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

// The accounts migration down leaves the schema exactly as 00001_init.sql
// made it, and keeps the rows, their rowids and the bookings' references
// to them (events is rebuilt, being referenced).
func TestAccountsMigrationDownRestoresSchema(t *testing.T) {
	db := openEmpty(t)
	ctx := t.Context()
	p, err := db.migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	before := schema(t, db)
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}

	org := newUser(t, db, "olga")
	role := boxoffice.RoleOrganizer
	if _, err := db.UpdateUser(ctx, org.ID, boxoffice.UserUpdate{Role: &role, BumpTokenVersion: true}); err != nil {
		t.Fatal(err)
	}
	buyer := newUser(t, db, "bea")
	var events []*boxoffice.Event
	for i := range 3 {
		e := &boxoffice.Event{
			ID: boxoffice.NewID(), Title: "Show", Date: boxoffice.Now().Add(time.Hour), Location: "Hall",
			TotalTickets: 10, AvailableTickets: 10, Version: 1, CreatedAt: boxoffice.Now(), UpdatedAt: boxoffice.Now(),
		}
		if i != 1 {
			e.OrganizerID = &org.ID
		}
		if err := db.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
		if _, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: buyer.ID, EventID: e.ID, Tickets: 1 + i}}); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() []string {
		t.Helper()
		r, err := queryAll(ctx, db.read(), scanString, `SELECT 'event ' || rowid || ' ' || id || ' ' || available_tickets FROM events
			UNION ALL SELECT 'user ' || id || ' ' || email || ' ' || updated_at FROM users
			UNION ALL SELECT 'booking ' || rowid || ' ' || id || ' ' || event_id FROM bookings ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	data := rows()

	if s, err := db.MigrateDown(ctx); err != nil || s.Version != 2 {
		t.Fatalf("MigrateDown = %+v, %v; want version 2", s, err)
	}
	if after := schema(t, db); !slices.Equal(after, before) {
		t.Errorf("schema after the accounts migration down:\n%s\nwant, as 00001_init.sql made it:\n%s",
			strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	if after := rows(); !slices.Equal(after, data) {
		t.Errorf("rows after the migration down:\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(data, "\n"))
	}
	var violations int
	if err := db.read().queryRow(ctx, "SELECT count(*) FROM pragma_foreign_key_check").Scan(&violations); err != nil || violations != 0 {
		t.Errorf("foreign_key_check: %d violations, %v", violations, err)
	}
	if got, err := queryAll(ctx, db.read(), scanString, "SELECT * FROM pragma_integrity_check"); err != nil || !slices.Equal(got, []string{"ok"}) {
		t.Errorf("integrity_check = %v, %v", got, err)
	}
	// Foreign keys still hold on the rebuilt table.
	if _, err := db.write().exec(ctx, "DELETE FROM events WHERE id = ?", events[0].ID); err == nil {
		t.Error("deleted an event its bookings reference")
	}

	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("MigrateUp again: %v", err)
	}
	for _, e := range events {
		got, err := db.FindEventByID(ctx, e.ID)
		if err != nil || got.OrganizerID != nil {
			t.Errorf("event after down and up = %+v, %v; want it with no organizer", got, err)
		}
	}
	if got, err := db.FindUserByID(ctx, org.ID); err != nil || got.Role != boxoffice.RoleCustomer || got.TokenVersion != 0 {
		t.Errorf("user after down and up = %+v, %v; want a customer at token version 0", got, err)
	}
}
