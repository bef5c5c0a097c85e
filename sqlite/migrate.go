package sqlite

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/boxoffice/boxoffice"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns a goose Provider for the embedded migrations. A new
// one each time: a Provider remembers that it made its version table, which
// DropSchema may have dropped since.
func (db *DB) migrations() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	// Only this package's migrations: never Go migrations that some other
	// package registered with goose globally.
	p, err := goose.NewProvider(goose.DialectSQLite3, db.writer, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return p, nil
}

// CreateSchema has nothing to create, as the database file is the
// namespace; it takes and releases the write lock, which proves that the
// file exists and is writable.
func (db *DB) CreateSchema(ctx context.Context) error {
	return db.inWriteTx(ctx, func(conn) error { return nil })
}

// DropSchema drops every table, goose's version table included, in one
// transaction.
func (db *DB) DropSchema(ctx context.Context) error {
	return db.inWriteTx(ctx, func(c conn) error {
		// Foreign keys are checked at COMMIT, when all the tables are gone,
		// rather than at each DROP's implicit DELETE.
		if _, err := c.exec(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
			return fmt.Errorf("sqlite: drop schema: %w", err)
		}
		tables, err := queryAll(ctx, c, scanString,
			`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
		if err != nil {
			return fmt.Errorf("sqlite: drop schema: list tables: %w", err)
		}
		for _, t := range tables {
			if _, err := c.exec(ctx, "DROP TABLE "+quoteIdent(t)); err != nil {
				return fmt.Errorf("sqlite: drop schema: drop %s: %w", t, err)
			}
		}
		return nil
	})
}

// MigrateUp applies every pending migration and returns those it applied.
func (db *DB) MigrateUp(ctx context.Context) ([]boxoffice.MigrationState, error) {
	p, err := db.migrations()
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate up: %w", err)
	}
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	}
	applied := make(map[int64]bool, len(results))
	for _, r := range results {
		applied[r.Source.Version] = true
	}
	out := []boxoffice.MigrationState{}
	for _, s := range status {
		if applied[s.Version] {
			out = append(out, s)
		}
	}
	return out, nil
}

// MigrateDown rolls back the newest applied migration. ENOTFOUND if none is
// applied.
func (db *DB) MigrateDown(ctx context.Context) (*boxoffice.MigrationState, error) {
	p, err := db.migrations()
	if err != nil {
		return nil, err
	}
	r, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no migration is applied")
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: migrate down: %w", err)
	}
	return &boxoffice.MigrationState{Version: r.Source.Version, Name: path.Base(r.Source.Path)}, nil
}

// MigrationStatus lists every embedded migration, applied or not, oldest
// first.
func (db *DB) MigrationStatus(ctx context.Context) ([]boxoffice.MigrationState, error) {
	p, err := db.migrations()
	if err != nil {
		return nil, err
	}
	status, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migration status: %w", err)
	}
	out := make([]boxoffice.MigrationState, 0, len(status))
	for _, s := range status {
		out = append(out, boxoffice.MigrationState{
			Version:   s.Source.Version,
			Name:      path.Base(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt.UTC(),
		})
	}
	return out, nil
}

func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
