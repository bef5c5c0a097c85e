package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// jobsMigration is the number of the migration that makes River's tables
// (sqlstore.JobsMigration), after the SQL files.
const jobsMigration = 5

func (db *DB) migrations() sqlstore.Migrations {
	return sqlstore.Migrations{Provider: func() (*goose.Provider, error) {
		fsys, err := fs.Sub(migrationFiles, "migrations")
		if err != nil {
			return nil, fmt.Errorf("sqlite: migrations: %w", err)
		}
		// Only this package's migrations: never Go migrations that some
		// other package registered with goose globally.
		p, err := goose.NewProvider(goose.DialectSQLite3, db.driver.migrator, fsys, goose.WithDisableGlobalRegistry(true),
			// River migrates through its own connection: goose's are busy
			// with goose's bookkeeping meanwhile.
			goose.WithGoMigrations(sqlstore.JobsMigration(jobsMigration, func(*sql.DB) riverdriver.Driver[*sql.Tx] {
				return riversqlite.New(db.driver.jobs)
			}, "")))
		if err != nil {
			return nil, fmt.Errorf("sqlite: migrations: %w", err)
		}
		return p, nil
	}}
}

// CreateSchema has nothing to create, as the database file is the
// namespace; it takes and releases the write lock, which proves that the
// file exists and is writable.
func (db *DB) CreateSchema(ctx context.Context) error {
	tx, err := db.driver.Begin(ctx)
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// DropSchema drops every table, goose's version table included, in one
// transaction.
func (db *DB) DropSchema(ctx context.Context) error {
	tx, err := db.driver.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Foreign keys are checked at COMMIT, when all the tables are gone,
	// rather than at each DROP's implicit DELETE.
	var tables []string
	err = tx.Run(ctx, &sqlstore.Query{SQL: "PRAGMA defer_foreign_keys = ON"}, &sqlstore.Query{
		SQL:  `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`,
		Rows: func(r sqlstore.Rows) error { return collect(r, &tables) },
	})
	if err != nil {
		return fmt.Errorf("sqlite: drop schema: %w", err)
	}
	for _, t := range tables {
		tx.Queue(&sqlstore.Query{SQL: "DROP TABLE " + quoteIdent(t)})
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("sqlite: drop schema: %w", err)
	}
	return nil
}

// MigrateUp applies every pending migration and returns those it applied.
func (db *DB) MigrateUp(ctx context.Context) ([]boxoffice.MigrationState, error) {
	states, err := db.migrations().Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return states, nil
}

// MigrateDown rolls back the newest applied migration. ENOTFOUND if none is
// applied.
func (db *DB) MigrateDown(ctx context.Context) (*boxoffice.MigrationState, error) {
	s, err := db.migrations().Down(ctx)
	if err != nil && boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return s, err
}

// MigrationStatus lists every embedded migration, applied or not, oldest
// first.
func (db *DB) MigrationStatus(ctx context.Context) ([]boxoffice.MigrationState, error) {
	states, err := db.migrations().Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return states, nil
}

// Schema lists the migrations' tables with their columns, named
// constraints (read from each table's CREATE statement: SQLite keeps no
// catalog of them) and indexes (SQLite's automatic ones are the
// constraints'), for storetest to hold against the other engine's.
func (db *DB) Schema(ctx context.Context) (boxoffice.Schema, error) {
	var tables, lines []string
	err := db.driver.Run(ctx,
		&sqlstore.Query{SQL: `SELECT name, sql FROM sqlite_schema WHERE type = 'table'`, Rows: func(r sqlstore.Rows) error {
			for r.Next() {
				var name, sql string
				if err := r.Scan(&name, &sql); err != nil {
					return err
				}
				tables = append(tables, name)
				lines = append(lines, "table "+name)
				for _, m := range constraintName.FindAllStringSubmatch(sql, -1) {
					lines = append(lines, "constraint "+name+"."+m[1])
				}
			}
			return r.Err()
		}},
		&sqlstore.Query{SQL: `SELECT 'index ' || tbl_name || '.' || name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL`,
			Rows: func(r sqlstore.Rows) error { return collect(r, &lines) }})
	if err != nil {
		return nil, fmt.Errorf("sqlite: read schema: %w", err)
	}
	for _, t := range tables {
		err := db.driver.Run(ctx, &sqlstore.Query{SQL: "SELECT 'column ' || $1 || '.' || name FROM pragma_table_info($1)",
			Args: []any{t}, Rows: func(r sqlstore.Rows) error { return collect(r, &lines) }})
		if err != nil {
			return nil, fmt.Errorf("sqlite: read schema: %w", err)
		}
	}
	return sqlstore.NewSchema(lines), nil
}

var constraintName = regexp.MustCompile(`(?i)\bCONSTRAINT\s+(\w+)`)

// collect appends the rows' one text column to *dst.
func collect(r sqlstore.Rows, dst *[]string) error {
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			return err
		}
		*dst = append(*dst, s)
	}
	return r.Err()
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
