package sqlite

import (
	"slices"
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
