package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/boxoffice/boxoffice/config"
)

const schemaUsage = `Usage: boxoffice schema create|drop

  schema create   creates the PostgreSQL schema DB_SCHEMA (and the database,
                  if it does not exist); a no-op on the embedded database
  schema drop     drops every table, in DB_SCHEMA on PostgreSQL or in the
                  embedded database file, with all their data
`

func runSchema(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("schema", schemaUsage, stdout)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || (rest[0] != "create" && rest[0] != "drop") {
		return fs.fail("want create or drop")
	}
	if rest[0] == "drop" {
		err := withEngine(ctx, mustExist, stdout, func(_ config.Config, _ *slog.Logger, db engine) error {
			if err := db.DropSchema(ctx); err != nil {
				return fmt.Errorf("schema drop: %w", err)
			}
			fmt.Fprintln(stdout, "schema dropped: every table is gone")
			return nil
		})
		if ne := (*noDatabaseError)(nil); errors.As(err, &ne) {
			fmt.Fprintf(stdout, "nothing to drop: %v\n", err)
			return nil
		}
		return err
	}
	return withEngine(ctx, createMissing, stdout, func(_ config.Config, _ *slog.Logger, db engine) error {
		if err := db.CreateSchema(ctx); err != nil {
			return fmt.Errorf("schema create: %w", err)
		}
		fmt.Fprintln(stdout, "schema created (run `boxoffice migrate` next)")
		return nil
	})
}
