package sqlite

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
	"github.com/boxoffice/boxoffice/storetest"
)

// query runs a read of one text column on db's read pool.
func query(t *testing.T, db *DB, sql string, args ...any) []string {
	t.Helper()
	var out []string
	err := db.driver.Run(t.Context(), &sqlstore.Query{SQL: sql, Args: args, Rows: func(r sqlstore.Rows) error { return collect(r, &out) }})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// schema lists every object of the database as SQLite keeps it, its
// CREATE statement included.
func schema(t *testing.T, db *DB) []string {
	t.Helper()
	return query(t, db, `SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '') FROM sqlite_schema
		WHERE name NOT LIKE 'goose%' AND name NOT LIKE 'sqlite_sequence' ORDER BY type, name`)
}

// healthy fails t unless SQLite finds the file sound and every foreign key
// satisfied.
func healthy(t *testing.T, db *DB) {
	t.Helper()
	if got := query(t, db, "SELECT * FROM pragma_integrity_check"); !slices.Equal(got, []string{"ok"}) {
		t.Errorf("integrity_check = %v", got)
	}
	if got := query(t, db, "SELECT 'violation in ' || \"table\" FROM pragma_foreign_key_check"); len(got) != 0 {
		t.Errorf("foreign_key_check: %v", got)
	}
}

// Every migration's Down leaves the schema exactly as it was before its Up.
func TestEveryMigrationDownRestoresTheSchema(t *testing.T) {
	db := openEmpty(t)
	ctx := t.Context()
	p, err := db.migrations().Provider()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range p.ListSources() {
		before := schema(t, db)
		if _, err := p.UpTo(ctx, src.Version); err != nil {
			t.Fatal(err)
		}
		if during := schema(t, db); slices.Equal(during, before) {
			t.Errorf("migration %d changed nothing", src.Version)
		}
		if _, err := p.DownTo(ctx, src.Version-1); err != nil {
			t.Fatal(err)
		}
		if after := schema(t, db); !slices.Equal(after, before) {
			t.Errorf("schema after migration %d down:\n%s\nwant, as before its up:\n%s",
				src.Version, strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
		if _, err := p.UpTo(ctx, src.Version); err != nil {
			t.Fatal(err)
		}
	}
}

// Migrations 3 and 4 rebuild tables (to name their constraints, to change
// a CHECK): down to before 3 and up again keep every row, its rowid and the
// references between them, and the foreign keys hold on the rebuilt tables.
func TestChangesMigrationKeepsRowsThroughRebuilds(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	org := storetest.MustCreateUser(t, db, "olga")
	buyer := storetest.MustCreateUser(t, db, "bea")
	var events []*boxoffice.Event
	for i := range 3 {
		e := storetest.MustCreateEvent(t, db, 10, time.Hour)
		if i != 1 {
			e.OrganizerID = &org.ID
		}
		events = append(events, e)
		if _, err := db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: buyer.ID, EventID: e.ID, Tickets: 1 + i}}, boxoffice.BookingTerms{}); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() []string {
		t.Helper()
		return query(t, db, `SELECT 'event ' || rowid || ' ' || id || ' ' || available_tickets FROM events
			UNION ALL SELECT 'user ' || rowid || ' ' || id || ' ' || email || ' ' || role || ' ' || updated_at FROM users
			UNION ALL SELECT 'booking ' || rowid || ' ' || id || ' ' || event_id || ' ' || user_id FROM bookings ORDER BY 1`)
	}
	data := rows()
	for range 2 { // down, then up
		for {
			s, err := db.MigrateDown(ctx)
			if err != nil {
				t.Fatalf("MigrateDown: %v", err)
			}
			if s.Version == 3 {
				break
			}
		}
		if got := rows(); !slices.Equal(got, data) {
			t.Errorf("rows after migration 3 down:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(data, "\n"))
		}
		healthy(t, db)
		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rows(); !slices.Equal(got, data) {
			t.Errorf("rows after migration 3 up again:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(data, "\n"))
		}
		healthy(t, db)
	}
	tx, err := db.driver.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	err = tx.Run(ctx, &sqlstore.Query{SQL: "DELETE FROM events WHERE id = $1", Args: []any{events[0].ID}})
	if kind, _ := db.driver.Classify(err); kind != sqlstore.ForeignKey {
		t.Errorf("deleting an event its bookings reference: %v, want a foreign-key violation", err)
	}
}
