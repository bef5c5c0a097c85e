package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/seed"
)

const seedUsage = `Usage: boxoffice seed

Loads the demo data: 10 users (password boxoffice-demo; alice@example.com
is an admin), 12 upcoming events and a few bookings. Whatever already
exists is kept, so it is safe to run twice. PostgreSQL must be migrated
first (boxoffice migrate); the embedded database is migrated here.
`

func runSeed(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("seed", seedUsage, stdout)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fs.fail("takes no arguments")
	}
	return withEngine(ctx, mustExist, stdout, func(cfg config.Config, log *slog.Logger, db engine) error {
		if err := ensureMigrated(ctx, cfg, db, log, false); err != nil {
			return err
		}
		sum, err := seed.Load(ctx, db)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "demo data loaded: %d users, %d events, %d bookings created (existing ones kept)\n", sum.Users, sum.Events, sum.Bookings)
		return nil
	})
}
