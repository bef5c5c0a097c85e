// Package postgres is the PostgreSQL driver of the boxoffice stores
// (sqlstore), over a pgx connection pool, with its goose migrations
// embedded in the binary.
package postgres

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
)

// DefaultStatementTimeout bounds every statement when Config leaves it unset,
// so that no database call hangs forever.
const DefaultStatementTimeout = 10 * time.Second

// DefaultLockTimeout bounds every wait for a lock when Config leaves it
// unset: a row another transaction holds (a long transaction in psql, a
// stuck server) fails its waiter with SQLSTATE 55P03, which the stores
// answer UNAVAILABLE, well before the statement or request time limit.
// Batches of bookings do not wait for a locked event at all (see
// BookBatch's SkipLocked); this bounds the one that waits for it alone.
const DefaultLockTimeout = 2 * time.Second

// Config says how to reach the database.
type Config struct {
	// URL is a libpq connection URL or key=value DSN.
	URL string
	// Schema is the PostgreSQL schema every table lives in, goose's version
	// table included; empty means "public". Lower-case letters, digits and
	// underscores only.
	Schema string
	// MaxConns caps the pool; 0 keeps pgxpool's default (or the URL's
	// pool_max_conns).
	MaxConns int32
	// StatementTimeout bounds every statement; 0 means
	// DefaultStatementTimeout unless the URL sets statement_timeout.
	StatementTimeout time.Duration
	// LockTimeout bounds every wait for a lock; 0 means DefaultLockTimeout
	// unless the URL sets lock_timeout.
	LockTimeout time.Duration
}

// DB is the boxoffice stores on one schema of a PostgreSQL database, and
// that schema's migrations.
type DB struct {
	*sqlstore.Store
	driver     *driver
	migrations *migrations
}

var (
	_ boxoffice.Store    = (*DB)(nil)
	_ boxoffice.Migrator = (*DB)(nil)
)

// schemaName accepts exactly the identifiers PostgreSQL folds to themselves,
// so the name means the same quoted and unquoted (goose uses it unquoted).
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open configures a pool of connections to cfg.URL whose search_path is
// cfg.Schema. It connects lazily and does not migrate: see Ping and
// MigrateUp.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	schema := cfg.Schema
	if schema == "" {
		schema = "public"
	}
	if !schemaName.MatchString(schema) || (len(schema) > 2 && schema[:3] == "pg_") {
		return nil, fmt.Errorf("postgres: invalid schema name %q: want lower-case letters, digits and underscores, not starting with pg_", schema)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	params := pcfg.ConnConfig.RuntimeParams
	params["search_path"] = pgx.Identifier{schema}.Sanitize()
	// Session-local times (goose's tstamp column) read the same on every server.
	params["timezone"] = "UTC"
	if cfg.StatementTimeout > 0 || params["statement_timeout"] == "" {
		timeout := cfg.StatementTimeout
		if timeout <= 0 {
			timeout = DefaultStatementTimeout
		}
		params["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	}
	if cfg.LockTimeout > 0 || params["lock_timeout"] == "" {
		params["lock_timeout"] = strconv.FormatInt(cmp.Or(cfg.LockTimeout, DefaultLockTimeout).Milliseconds(), 10)
	}

	d := &driver{}
	pcfg.ConnConfig.Tracer = statementCounter{&d.statements, &d.roundTrips}
	pcfg.AfterConnect = scanTimesInUTC
	d.pool, err = pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	return &DB{Store: sqlstore.New(d), driver: d, migrations: newMigrations(d.pool, schema)}, nil
}

// Close releases the connections.
func (db *DB) Close() error {
	err := db.migrations.close()
	db.Store.Close()
	return err
}

// SchemaName is the PostgreSQL schema the tables live in.
func (db *DB) SchemaName() string { return db.migrations.schema }

// Pool is the connection pool, for libraries that keep their own tables in
// the same database, such as a job queue.
func (db *DB) Pool() *pgxpool.Pool { return db.driver.pool }

// statementCounter counts statements, and the round trips that send them,
// as pgx sends them.
type statementCounter struct{ n, trips *atomic.Int64 }

func (c statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	c.trips.Add(1)
	return ctx
}

func (statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart counts the whole batch up front: a failing statement makes
// the server skip the rest, but they were sent.
func (c statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	c.n.Add(int64(data.Batch.Len()))
	c.trips.Add(1)
	return ctx
}

func (statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// scanTimesInUTC makes timestamptz values scan as UTC, as the domain keeps
// them, instead of in the server process's local zone.
func scanTimesInUTC(_ context.Context, conn *pgx.Conn) error {
	conn.TypeMap().RegisterType(&pgtype.Type{
		Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
	return nil
}
