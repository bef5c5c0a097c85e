package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgreSQL error codes the commands act on.
const (
	pgInvalidCatalogName    = "3D000" // the database does not exist
	pgDuplicateDatabase     = "42P04" // it does now: made concurrently
	pgInsufficientPrivilege = "42501"
)

// noDatabaseError is the error of a PostgreSQL database that does not
// exist where a command does not create it: it says what to run.
type noDatabaseError struct{ msg string }

func (e *noDatabaseError) Error() string { return e.msg }

// missingDatabase reports whether err says the database does not exist.
func missingDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgInvalidCatalogName
}

// checkDatabase connects to the database of url once. When it does not
// exist and create is set, it creates it, as createdb would, from a
// maintenance database (postgres, else template1) with the same
// credentials, and says so on out. Otherwise the error says what to run.
func checkDatabase(ctx context.Context, url string, create bool, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse the database URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	if !missingDatabase(err) {
		return fmt.Errorf("connect to PostgreSQL at %s:%d as %s: %w", cfg.Host, cfg.Port, cfg.User, err)
	}
	name := cfg.Database
	if !create {
		return &noDatabaseError{fmt.Sprintf("PostgreSQL at %s:%d has no database %q (DB_NAME, or the path of DATABASE_URL): "+
			"`boxoffice migrate` creates it, or run: createdb -h %s -p %d -U %s %s",
			cfg.Host, cfg.Port, name, cfg.Host, cfg.Port, cfg.User, pgx.Identifier{name}.Sanitize())}
	}
	if err := createDatabase(ctx, cfg, name); err != nil {
		return err
	}
	fmt.Fprintf(out, "created database %q on PostgreSQL at %s:%d (it did not exist)\n", name, cfg.Host, cfg.Port)
	return nil
}

// createDatabase runs CREATE DATABASE name from a maintenance database.
func createDatabase(ctx context.Context, cfg *pgx.ConnConfig, name string) error {
	owner, db := pgx.Identifier{cfg.User}.Sanitize(), pgx.Identifier{name}.Sanitize()
	howTo := fmt.Sprintf("ask a superuser (or a role with CREATEDB) to run\n"+
		"  CREATE DATABASE %s OWNER %s;   -- or: createdb -h %s -p %d -O %s %s\n"+
		"or to let %s create databases: ALTER ROLE %s CREATEDB;",
		db, owner, cfg.Host, cfg.Port, cfg.User, name, cfg.User, owner)
	var conn *pgx.Conn
	var err error
	for _, maintenance := range []string{"postgres", "template1"} {
		c := cfg.Copy()
		c.Database = maintenance
		if conn, err = pgx.ConnectConfig(ctx, c); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("the database %q does not exist, and connecting to the postgres or template1 database to create it failed: %w\nCreate it yourself, or %s", name, err, howTo)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pgErr) && pgErr.Code == pgDuplicateDatabase:
		return nil // made meanwhile by someone else: all the better
	case errors.As(err, &pgErr) && pgErr.Code == pgInsufficientPrivilege:
		return fmt.Errorf("the database %q does not exist, and %s may not create it (%s); %s", name, cfg.User, pgErr.Message, howTo)
	}
	return fmt.Errorf("create the database %q: %w", name, err)
}
