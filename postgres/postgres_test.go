package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice/internal/pgtest"
)

// testSchema is a non-public schema, so most tests exercise DB_SCHEMA.
const testSchema = "boxoffice"

// newDatabase is an empty database for t (pgtest.NewDatabase); its URL.
func newDatabase(t testing.TB) string {
	u, _ := pgtest.NewDatabase(t)
	return u
}

// openDB opens a store on dbURL in schema, closed when t ends; unmigrated.
func openDB(t testing.TB, dbURL, schema string) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{URL: dbURL, Schema: schema, MaxConns: 16})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// newDB is a migrated store in testSchema of a fresh database.
func newDB(t testing.TB) *DB {
	t.Helper()
	db := openDB(t, newDatabase(t), testSchema)
	migrate(t, db)
	return db
}

func migrate(t testing.TB, db *DB) {
	t.Helper()
	if _, err := db.MigrateUp(context.Background()); err != nil {
		t.Fatalf("MigrateUp: %v", err)
	}
}

// tablesIn lists the tables of schema.
func tablesIn(t testing.TB, db *DB, schema string) []string {
	t.Helper()
	rows, _ := db.Pool().Query(context.Background(),
		"SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	return names
}
