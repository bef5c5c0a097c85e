package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is goose's bookkeeping table, kept in the store's schema.
const versionTable = "goose_db_version"

// jobsMigration is the number of the migration that makes River's tables
// (sqlstore.JobsMigration), after the SQL files.
const jobsMigration = 5

// migrations runs the embedded goose migrations in one schema.
type migrations struct {
	sqlstore.Migrations
	pool   *pgxpool.Pool
	sqlDB  *sql.DB
	schema string
}

func newMigrations(pool *pgxpool.Pool, schema string) *migrations {
	m := &migrations{pool: pool, sqlDB: stdlib.OpenDBFromPool(pool), schema: schema}
	m.Provider = m.provider
	return m
}

func (m *migrations) close() error { return m.sqlDB.Close() }

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
		goose.WithGoMigrations(sqlstore.JobsMigration(jobsMigration, riverDriver, m.schema)),
	)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, nil
}

// CreateSchema creates the store's schema if it is missing.
func (db *DB) CreateSchema(ctx context.Context) error {
	_, err := db.driver.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{db.migrations.schema}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P06") {
		return nil // created concurrently by another server: IF NOT EXISTS is not atomic
	}
	if err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	return nil
}

// DropSchema drops the store's schema with everything in it. The "public"
// schema is shared and stays: the tables the migrations made there, goose's
// included, go.
func (db *DB) DropSchema(ctx context.Context) error {
	schema := db.migrations.schema
	stmt := "DROP SCHEMA IF EXISTS " + pgx.Identifier{schema}.Sanitize() + " CASCADE"
	if schema == "public" {
		// River's tables, types and functions go the way they came.
		if err := db.dropJobs(ctx); err != nil {
			return err
		}
		rows, _ := db.driver.pool.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("postgres: drop schema: %w", err)
		}
		tables = slices.DeleteFunc(tables, func(t string) bool { return !ours(t) })
		if len(tables) == 0 {
			return nil
		}
		stmt = "DROP TABLE IF EXISTS "
		for i, t := range tables {
			if i > 0 {
				stmt += ", "
			}
			stmt += pgx.Identifier{schema, t}.Sanitize()
		}
		stmt += " CASCADE"
	}
	if _, err := db.driver.pool.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("postgres: drop schema: %w", err)
	}
	return nil
}

// MigrateUp creates the schema if it is missing, applies every pending
// migration and returns those it applied.
func (db *DB) MigrateUp(ctx context.Context) ([]boxoffice.MigrationState, error) {
	if err := db.CreateSchema(ctx); err != nil {
		return nil, err
	}
	states, err := db.migrations.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return states, nil
}

// MigrateDown rolls back the newest applied migration. ENOTFOUND if none is
// applied.
func (db *DB) MigrateDown(ctx context.Context) (*boxoffice.MigrationState, error) {
	s, err := db.migrations.Down(ctx)
	if err != nil && boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, err
}

// MigrationStatus lists every embedded migration, oldest first. It writes
// nothing where the schema does not exist yet: all are pending then.
func (db *DB) MigrationStatus(ctx context.Context) ([]boxoffice.MigrationState, error) {
	var exists bool
	err := db.driver.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", db.migrations.schema).Scan(&exists)
	if err != nil {
		return nil, fmt.Errorf("postgres: migration status: %w", err)
	}
	if !exists {
		return db.migrations.Pending()
	}
	states, err := db.migrations.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return states, nil
}

// ours reports whether a table is one the migrations made: goose's own
// bookkeeping included.
func ours(table string) bool {
	return table == versionTable || slices.Contains(sqlstore.Tables, table)
}

// dropJobs rolls River's migrations all the way back, if it has any.
func (db *DB) dropJobs(ctx context.Context) error {
	var exists bool
	err := db.driver.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", db.migrations.schema+".river_migration").Scan(&exists)
	if err != nil || !exists {
		return err
	}
	if err := sqlstore.MigrateJobs(ctx, riverDriver(db.migrations.sqlDB), db.migrations.schema, false); err != nil {
		return fmt.Errorf("postgres: drop schema: %w", err)
	}
	return nil
}

// riverDriver is River's driver for database/sql on PostgreSQL, for its
// migrations (the job queue itself uses River's pgx driver).
func riverDriver(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riverdatabasesql.New(db) }
