package main

import (
	"context"
	"fmt"
	"io"

	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/seed"
)

func runSeed(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("seed takes no arguments")
	}
	return withEngine(ctx, func(_ config.Config, db engine) error {
		sum, err := seed.Load(ctx, db)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "demo data loaded: %d users, %d events, %d bookings created (existing ones kept)\n", sum.Users, sum.Events, sum.Bookings)
		return nil
	})
}
