package main

import (
	"context"
	"fmt"
	"io"

	"github.com/boxoffice/boxoffice/config"
)

func runSchema(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "create" && args[0] != "drop") {
		return fmt.Errorf("usage: boxoffice schema create|drop")
	}
	return withEngine(ctx, func(_ config.Config, db engine) error {
		if args[0] == "create" {
			if err := db.CreateSchema(ctx); err != nil {
				return fmt.Errorf("schema create: %w", err)
			}
			fmt.Fprintln(stdout, "schema created (run `boxoffice migrate` next)")
			return nil
		}
		if err := db.DropSchema(ctx); err != nil {
			return fmt.Errorf("schema drop: %w", err)
		}
		fmt.Fprintln(stdout, "schema dropped: every table is gone")
		return nil
	})
}
