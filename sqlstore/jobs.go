package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
)

// RiverVersion is the version of River's own migrations (its job, queue
// and leader tables) that the job queue needs: River v0.51's. A River
// upgrade that brings new migrations gets a new goose migration, with the
// new version.
const RiverVersion = 8

// JobsDriver makes the engine's River driver for database/sql over db.
type JobsDriver func(db *sql.DB) riverdriver.Driver[*sql.Tx]

// JobsMigration is the goose migration, numbered version, that brings
// River's tables up to RiverVersion, and down to none. It runs outside a
// goose transaction: River runs each of its own migrations in one (on
// PostgreSQL a new enum value cannot be used in the transaction that adds
// it), and records them, so that a failure part way resumes where it
// stopped. schema is the engine's namespace ("" for none).
func JobsMigration(version int64, driver JobsDriver, schema string) *goose.Migration {
	return goose.NewGoMigration(version,
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return MigrateJobs(ctx, driver(db), schema, true) }},
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return MigrateJobs(ctx, driver(db), schema, false) }})
}

// MigrateJobs runs River's migrations: up to RiverVersion, or down to none.
func MigrateJobs(ctx context.Context, driver riverdriver.Driver[*sql.Tx], schema string, up bool) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: schema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	direction, target := rivermigrate.DirectionUp, RiverVersion
	if !up {
		direction, target = rivermigrate.DirectionDown, -1
	}
	if _, err := m.Migrate(ctx, direction, &rivermigrate.MigrateOpts{TargetVersion: target}); err != nil {
		return fmt.Errorf("river migrations %s: %w", direction, err)
	}
	return nil
}
