package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
)

func runMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	action := "up"
	if len(args) > 0 {
		action = args[0]
	}
	if len(args) > 1 || (action != "up" && action != "down" && action != "status") {
		return fmt.Errorf("usage: boxoffice migrate [up|down|status]")
	}
	return withEngine(ctx, func(_ config.Config, db engine) error {

		switch action {
		case "down":
			s, err := db.MigrateDown(ctx)
			if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
				fmt.Fprintln(stdout, "no migration is applied")
				return nil
			} else if err != nil {
				return fmt.Errorf("migrate down: %w", err)
			}
			fmt.Fprintf(stdout, "rolled back %05d %s\n", s.Version, s.Name)
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
