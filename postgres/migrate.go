package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/boxoffice/boxoffice"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is goose's bookkeeping table, kept in the store's schema.
const versionTable = "goose_db_version"

// tables are the tables the migrations create, dependents first: what
// DropSchema removes from "public", where it cannot drop the schema itself.
var tables = []string{"bookings", "events", "users", versionTable}

// migrations runs the embedded goose migrations in one schema.
type migrations struct {
	sqlDB  *sql.DB
	schema string
}

func newMigrations(pool *pgxpool.Pool, schema string) *migrations {
	return &migrations{sqlDB: stdlib.OpenDBFromPool(pool), schema: schema}
}

func (m *migrations) close() error { return m.sqlDB.Close() }

// provider is made afresh for every call: a goose Provider checks for its
// version table only once in its life (DropSchema removes it), and its lock
// keeps retry state.
func (m *migrations) provider() (*goose.Provider, error) {
	dir, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	// One advisory lock per schema: servers starting together migrate once,
	// and stores in other schemas of the database do not wait on each other.
	h := fnv.New64a()
	h.Write([]byte("boxoffice migrations " + m.schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())))
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, m.sqlDB, dir,
		goose.WithTableName(m.schema+"."+versionTable), // a plain identifier: see schemaName
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, nil
}

// CreateSchema creates the store's schema if it is missing.
func (db *DB) CreateSchema(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{db.schema}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P06") {
		return nil // created concurrently by another server: IF NOT EXISTS is not atomic
	}
	return dbError(err, "create", "schema")
}

// DropSchema drops the store's schema with everything in it. The "public"
// schema is shared and stays: its tables of ours, goose's included, go.
func (db *DB) DropSchema(ctx context.Context) error {
	stmt := "DROP SCHEMA IF EXISTS " + pgx.Identifier{db.schema}.Sanitize() + " CASCADE"
	if db.schema == "public" {
		stmt = "DROP TABLE IF EXISTS "
		for i, t := range tables {
			if i > 0 {
				stmt += ", "
			}
			stmt += pgx.Identifier{db.schema, t}.Sanitize()
		}
		stmt += " CASCADE"
	}
	_, err := db.pool.Exec(ctx, stmt)
	return dbError(err, "drop", "schema")
}

// MigrateUp creates the schema if it is missing, applies every pending
// migration and returns those it applied.
func (db *DB) MigrateUp(ctx context.Context) ([]boxoffice.MigrationState, error) {
	if err := db.CreateSchema(ctx); err != nil {
		return nil, err
	}
	p, err := db.migrations.provider()
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate up: %w", err)
	}
	states := make([]boxoffice.MigrationState, 0, len(results))
	for _, r := range results {
		states = append(states, migrationState(r.Source, true))
	}
	return db.withAppliedAt(ctx, states)
}

// MigrateDown rolls back the newest applied migration. ENOTFOUND if none is
// applied.
func (db *DB) MigrateDown(ctx context.Context) (*boxoffice.MigrationState, error) {
	p, err := db.migrations.provider()
	if err != nil {
		return nil, err
	}
	r, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no migration is applied")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: migrate down: %w", err)
	}
	s := migrationState(r.Source, false)
	return &s, nil
}

// MigrationStatus lists every embedded migration, oldest first. It writes
// nothing where the schema does not exist yet: all are pending then.
func (db *DB) MigrationStatus(ctx context.Context) ([]boxoffice.MigrationState, error) {
	p, err := db.migrations.provider()
	if err != nil {
		return nil, err
	}
	var exists bool
	err = db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", db.schema).Scan(&exists)
	if err != nil {
		return nil, fmt.Errorf("postgres: migration status: %w", err)
	}
	if !exists {
		var states []boxoffice.MigrationState
		for _, src := range p.ListSources() {
			states = append(states, migrationState(src, false))
		}
		return states, nil
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migration status: %w", err)
	}
	states := make([]boxoffice.MigrationState, 0, len(statuses))
	for _, st := range statuses {
		s := migrationState(st.Source, st.State == goose.StateApplied)
		s.AppliedAt = st.AppliedAt.UTC()
		states = append(states, s)
	}
	return states, nil
}

// withAppliedAt fills in when each of states was applied; goose's results
// do not say.
func (db *DB) withAppliedAt(ctx context.Context, states []boxoffice.MigrationState) ([]boxoffice.MigrationState, error) {
	if len(states) == 0 {
		return states, nil
	}
	all, err := db.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	}
	at := make(map[int64]boxoffice.MigrationState, len(all))
	for _, s := range all {
		at[s.Version] = s
	}
	for i := range states {
		states[i].AppliedAt = at[states[i].Version].AppliedAt
	}
	return states, nil
}

func migrationState(src *goose.Source, applied bool) boxoffice.MigrationState {
	return boxoffice.MigrationState{Version: src.Version, Name: path.Base(src.Path), Applied: applied}
}
