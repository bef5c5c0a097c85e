package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommandsOnEmbeddedDatabase runs the set-up commands on the embedded
// database, as on PostgreSQL: schema create, migrate, status, seed (twice),
// migrate down to nothing, schema drop, and a database a server then uses.
func TestCommandsOnEmbeddedDatabase(t *testing.T) {
	dir := workdir(t, "DATABASE_URL=sqlite:data/box.db")
	files, err := filepath.Glob("../../sqlite/migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("the embedded engine's migrations: %v, %v", files, err)
	}
	n := len(files) + 1 // and the one in Go that makes River's tables
	pending, applied := fmt.Sprintf("%d pending", n), fmt.Sprintf("%d migration(s) applied", n)
	type step struct {
		args []string
		want string
	}
	steps := []step{
		{[]string{"schema", "create"}, "schema created"},
		{[]string{"migrate", "status"}, pending},
		{[]string{"migrate"}, applied},
		{[]string{"migrate", "status"}, "0 pending"},
		{[]string{"seed"}, "10 users, 12 events, 12 bookings created"},
		{[]string{"seed"}, "0 users, 0 events, 0 bookings created"},
	}
	// The versions, newest first: the files' and River's (numbers may skip
	// one that another branch holds).
	versions := []string{fmt.Sprintf("%05d", jobsMigrationVersion)}
	for _, f := range files {
		versions = append(versions, filepath.Base(f)[:5])
	}
	slices.Sort(versions)
	for i := len(versions) - 1; i >= 0; i-- {
		steps = append(steps, step{[]string{"migrate", "down", "--force"}, "rolled back " + versions[i]})
	}
	steps = append(steps,
		step{[]string{"migrate", "down", "--force"}, "no migration is applied"},
		step{[]string{"migrate"}, applied},
		step{[]string{"schema", "drop"}, "every table is gone"},
		step{[]string{"migrate", "status"}, pending},
		step{[]string{"migrate"}, applied},
	)
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

// jobsMigrationVersion is the number of the Go migration that makes
// River's tables on the embedded database (the sqlite package's
// jobsMigration).
const jobsMigrationVersion = 5
