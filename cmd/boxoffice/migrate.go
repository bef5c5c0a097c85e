package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/postgres"
	"github.com/boxoffice/boxoffice/sqlite"
)

const migrateUsage = `Usage: boxoffice migrate [up|down|status] [--force]

  migrate, migrate up   applies every pending migration (on PostgreSQL,
                        creates the database first if it does not exist)
  migrate down          rolls back the newest applied migration. What its
                        rollback drops is gone for good, so it first says
                        what that is, and asks for confirmation on a
                        terminal; elsewhere pass --force.
  migrate status        lists the migrations and whether each is applied
`

func runMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("migrate", migrateUsage, stdout)
	force := fs.Bool("force", false, "migrate down: roll back without asking, dropping what the migration's rollback drops")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	action := "up"
	if len(rest) > 0 {
		action = rest[0]
	}
	if len(rest) > 1 || (action != "up" && action != "down" && action != "status") {
		return fs.fail("unexpected %q: want up, down or status", strings.Join(rest, " "))
	}
	if *force && action != "down" {
		return fs.fail("--force is for migrate down")
	}
	mode := mustExist
	if action == "up" {
		mode = createMissing
	}
	return withEngine(ctx, mode, stdout, func(cfg config.Config, _ *slog.Logger, db engine) error {
		switch action {
		case "down":
			return migrateDown(ctx, cfg, db, *force, stdout)
		case "status":
			states, err := db.MigrationStatus(ctx)
			if err != nil {
				return fmt.Errorf("migration status: %w", err)
			}
			for _, s := range states {
				applied := "pending"
				if s.Applied {
					applied = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(stdout, "%05d %-30s %s\n", s.Version, s.Name, applied)
			}
			fmt.Fprintf(stdout, "%d pending\n", boxoffice.Pending(states))
		default:
			applied, err := db.MigrateUp(ctx)
			if err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			for _, s := range applied {
				fmt.Fprintf(stdout, "applied %05d %s\n", s.Version, s.Name)
			}
			fmt.Fprintf(stdout, "%d migration(s) applied; the database is up to date\n", len(applied))
		}
		return nil
	})
}

// migrateDown rolls back the newest applied migration once it has said
// what that drops and been told to go on: --force, or "yes" on a terminal.
func migrateDown(ctx context.Context, cfg config.Config, db engine, force bool, stdout io.Writer) error {
	states, err := db.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	var newest *boxoffice.MigrationState
	for i := range states {
		if states[i].Applied {
			newest = &states[i]
		}
	}
	if newest == nil {
		fmt.Fprintln(stdout, "no migration is applied")
		return nil
	}
	drops, err := downDrops(migrationFiles(cfg), newest.Name)
	if err != nil {
		return err
	}
	if drops != "nothing" {
		fmt.Fprintf(stdout, "rolling back %s drops %s\n", newest.Name, drops)
		if !force {
			if err := confirm(os.Stdin, stdinIsTerminal(), stdout); err != nil {
				return err
			}
		}
	}
	s, err := db.MigrateDown(ctx)
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		fmt.Fprintln(stdout, "no migration is applied")
		return nil
	} else if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	fmt.Fprintf(stdout, "rolled back %05d %s\n", s.Version, s.Name)
	return nil
}

// errNotConfirmed stops a rollback nobody confirmed.
var errNotConfirmed = errors.New("migrate down: nothing rolled back. Pass --force to roll back, " +
	"after a backup if the data matters (pg_dump, or a copy of the embedded database file)")

// confirm asks on a terminal for "yes"; anywhere else it refuses, as a
// script must say --force.
func confirm(in io.Reader, terminal bool, out io.Writer) error {
	if !terminal {
		return errNotConfirmed
	}
	fmt.Fprint(out, "Type yes to roll it back: ")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the answer: %w", err)
	}
	if strings.TrimSpace(line) != "yes" {
		return errNotConfirmed
	}
	return nil
}

// migrationFiles are the configured engine's embedded migrations.
func migrationFiles(cfg config.Config) fs.FS {
	if cfg.Engine == config.Postgres {
		return postgres.MigrationFiles()
	}
	return sqlite.MigrationFiles()
}

// downDrops is what migration file name's Down section drops, in words:
// the "-- drops: …" line that follows its "-- +goose Down" line, with the
// comment lines right after it (up to a blank line, a line of SQL or
// another "-- drops:" line), joined. Every SQL migration has one ("--
// drops: nothing" for one that drops no data); the tests check it. A
// migration written in Go is said to drop what it made.
func downDrops(fsys fs.FS, name string) (string, error) {
	if !strings.HasSuffix(name, ".sql") {
		// A migration written in Go has no file to read.
		return "what it made, and all of its data (a migration written in Go: its Down function says what that is)", nil
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", fmt.Errorf("migration %s: %w", name, err)
	}
	var drops []string
	down, in := false, false
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-- +goose Down") {
			down = true
			continue
		}
		if !down {
			continue
		}
		if text, ok := strings.CutPrefix(line, "-- drops:"); ok {
			drops, in = append(drops, strings.TrimSpace(text)), true
			continue
		}
		text, comment := strings.CutPrefix(line, "--")
		if in && comment && strings.TrimSpace(text) != "" && !strings.HasPrefix(text, " +goose") {
			drops[len(drops)-1] += " " + strings.TrimSpace(text)
			continue
		}
		in = false
	}
	if len(drops) == 0 {
		return "", fmt.Errorf("migration %s: its Down section says nothing of what it drops (a \"-- drops:\" line)", name)
	}
	return strings.Join(drops, " "), nil
}
