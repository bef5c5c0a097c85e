// Package sqlite is the embedded driver of the boxoffice stores (sqlstore):
// one SQLite database file, pure Go (modernc.org/sqlite), nothing to set up.
//
// SQLite allows one writer at a time. Rather than let writers race for the
// file lock and fail with SQLITE_BUSY, all writes go through a single writer
// connection whose transactions take the lock at BEGIN (BEGIN IMMEDIATE):
// writers queue in the Go connection pool instead. Reads use a separate pool
// of read-only connections which, in WAL mode, never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
)

// DB is the boxoffice stores on one SQLite database file, and its
// migrations. It is safe for concurrent use.
type DB struct {
	*sqlstore.Store
	driver *driver
}

var (
	_ boxoffice.Store    = (*DB)(nil)
	_ boxoffice.Migrator = (*DB)(nil)
)

// busyTimeout is how long a connection waits for a lock another process
// holds (this process never contends with itself) before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Every pooled connection gets its pragmas from the DSN, as the pool opens
// connections on its own. journal_mode is persistent in the file, so only
// the writer sets it; readers inherit it.
var (
	commonPragmas = []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"foreign_keys(1)",
		"synchronous(NORMAL)", // durable enough in WAL mode: a crash loses no committed data, a power loss only the last commits
	}
	writerPragmas = append([]string{"journal_mode(WAL)"}, commonPragmas...)
	readerPragmas = append([]string{"query_only(1)"}, commonPragmas...)
)

// Open opens the database file at path, creating it (and its directory) if
// missing. It does not migrate: see MigrateUp. In-memory databases are not
// supported, as the reader and writer pools must share one file.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.Contains(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: need the path of a database file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	// The file holds password hashes: create it readable by its owner
	// only. SQLite gives its -wal and -shm files the mode of the database.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	f.Close()

	d := &driver{hub: newHub()}
	// The writer connects first so the file is in WAL mode before any reader.
	d.writer, err = openPool(ctx, dsn(abs, writerPragmas, "immediate"), 1)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: writer: %w", path, err)
	}
	d.reader, err = openPool(ctx, dsn(abs, readerPragmas, ""), max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		d.writer.Close()
		return nil, fmt.Errorf("sqlite: open %q: readers: %w", path, err)
	}
	// River (the job queue) writes through a connection of its own: its
	// polling and bookkeeping must not queue for the writer, nor the
	// writer for them; SQLite's file lock and busy timeout order the two.
	d.jobs, err = openPool(ctx, dsn(abs, commonPragmas, "immediate"), 1)
	if err != nil {
		d.writer.Close()
		d.reader.Close()
		return nil, fmt.Errorf("sqlite: open %q: jobs: %w", path, err)
	}
	// goose holds one connection while it migrates, and records each
	// migration that runs outside a transaction on another.
	d.migrator, err = openPool(ctx, dsn(abs, commonPragmas, "immediate"), 2)
	if err != nil {
		d.writer.Close()
		d.reader.Close()
		d.jobs.Close()
		return nil, fmt.Errorf("sqlite: open %q: migrations: %w", path, err)
	}
	return &DB{Store: sqlstore.New(d), driver: d}, nil
}

// dsn returns a modernc.org/sqlite URI for the file at path. txlock
// "immediate" makes BeginTx take the write lock at BEGIN, so a transaction
// never fails upgrading a read lock to a write lock.
func dsn(path string, pragmas []string, txlock string) string {
	q := url.Values{"_pragma": pragmas}
	if txlock != "" {
		q.Set("_txlock", txlock)
	}
	// A file: URI, because a plain path would be cut at its first '?'.
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?" + q.Encode()
}

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns) // keep them: opening one runs its pragmas
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// Writer is the writer connection's pool.
func (db *DB) Writer() *sql.DB { return db.driver.writer }

// Jobs is the pool of the job queue's own connection (River's).
func (db *DB) Jobs() *sql.DB { return db.driver.jobs }
