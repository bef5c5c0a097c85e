package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
)

// Schema lists the tables of the migrations in the store's schema, with
// their columns, named constraints and indexes (those that back a
// constraint are the constraint's), for storetest to hold against the
// other engine's. NOT NULL is left out: PostgreSQL 15 does not name it.
func (db *DB) Schema(ctx context.Context) (boxoffice.Schema, error) {
	rows, _ := db.driver.pool.Query(ctx, `
		SELECT 'table ' || c.relname FROM pg_class c
			WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'
		UNION ALL
		SELECT 'column ' || c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
			WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT 'constraint ' || c.relname || '.' || k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
			WHERE c.relnamespace = $1::regnamespace
		UNION ALL
		SELECT 'index ' || c.relname || '.' || i.relname FROM pg_index x
			JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
			WHERE c.relnamespace = $1::regnamespace
			AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`,
		pgx.Identifier{db.migrations.schema}.Sanitize())
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: read schema: %w", err)
	}
	return sqlstore.NewSchema(lines), nil
}
