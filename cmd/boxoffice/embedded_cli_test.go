package main

import (
	"strings"
	"testing"
)

// TestCommandsOnEmbeddedDatabase runs the set-up commands on the embedded
// database, as on PostgreSQL: schema create, migrate, status, seed (twice),
// migrate down to nothing, schema drop, and a database a server then uses.
func TestCommandsOnEmbeddedDatabase(t *testing.T) {
	dir := workdir(t, "DATABASE_URL=sqlite:data/box.db")
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"schema", "create"}, "schema created"},
		{[]string{"migrate", "status"}, "2 pending"},
		{[]string{"migrate"}, "2 migration(s) applied"},
		{[]string{"migrate", "status"}, "0 pending"},
		{[]string{"seed"}, "10 users, 12 events, 12 bookings created"},
		{[]string{"seed"}, "0 users, 0 events, 0 bookings created"},
		{[]string{"migrate", "down"}, "rolled back 00002"},
		{[]string{"migrate", "down"}, "rolled back 00001"},
		{[]string{"migrate", "down"}, "no migration is applied"},
		{[]string{"migrate"}, "2 migration(s) applied"},
		{[]string{"schema", "drop"}, "every table is gone"},
		{[]string{"migrate", "status"}, "2 pending"},
		{[]string{"migrate"}, "2 migration(s) applied"},
	}
	for _, st := range steps {
		out, err := cli(t, dir, st.args...)
		if err != nil || !strings.Contains(out, st.want) {
			t.Fatalf("boxoffice %s: %v\n%s\nwant %q", strings.Join(st.args, " "), err, out, st.want)
		}
	}
	// Migrated but empty: serve applies nothing and, the database not being
	// new, loads no demo data.
	s := startServer(t, dir)
	if strings.Contains(s.logs.String(), "loaded demo data") {
		t.Fatalf("demo data loaded into a database that was migrated by hand:\n%s", s.logs.String())
	}
	if d := s.mustQuery(t, `{ events { total } }`, nil); at(d, "events", "total") != 0.0 {
		t.Fatalf("events after schema drop and migrate: %v", d)
	}
}
