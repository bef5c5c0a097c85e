// Package postgres is the PostgreSQL implementation of boxoffice.Store and
// boxoffice.Migrator, over a pgx connection pool, with its goose migrations
// embedded in the binary.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice"
)

// DefaultStatementTimeout bounds every statement when Config leaves it unset,
// so that no database call hangs forever.
const DefaultStatementTimeout = 10 * time.Second

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
}

// DB is a pool of connections to one schema of a PostgreSQL database.
type DB struct {
	pool       *pgxpool.Pool
	schema     string
	statements atomic.Int64
	migrations *migrations
}

var (
	_ boxoffice.Store          = (*DB)(nil)
	_ boxoffice.TicketsWatcher = (*DB)(nil)
	_ boxoffice.Migrator       = (*DB)(nil)
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

	db := &DB{schema: schema}
	pcfg.ConnConfig.Tracer = statementCounter{&db.statements}
	pcfg.AfterConnect = scanTimesInUTC
	db.pool, err = pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	db.migrations = newMigrations(db.pool, schema)
	return db, nil
}

// Close releases the connections.
func (db *DB) Close() error {
	err := db.migrations.close()
	db.pool.Close()
	return err
}

// Ping returns an error if the database cannot be reached.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// StatementCount is the number of SQL statements sent since Open, each
// statement of a batch included (BEGIN and COMMIT too).
func (db *DB) StatementCount() int64 { return db.statements.Load() }

// statementCounter counts statements as pgx sends them.
type statementCounter struct{ n *atomic.Int64 }

func (c statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart counts the whole batch up front: a failing statement makes
// the server skip the rest, but they were sent.
func (c statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	c.n.Add(int64(data.Batch.Len()))
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

// dbTime is t as the database keeps it: UTC, to the microsecond (pgx
// truncates the rest), so what a method returns equals what it stored.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// constraintErrors are what a violated constraint means to a client.
var constraintErrors = map[string]boxoffice.Error{
	"users_pkey":                       {Code: boxoffice.ECONFLICT, Message: "user already exists"},
	"users_email_key":                  {Code: boxoffice.ECONFLICT, Message: "email already registered"},
	"events_pkey":                      {Code: boxoffice.ECONFLICT, Message: "event already exists"},
	"bookings_pkey":                    {Code: boxoffice.ECONFLICT, Message: "booking already exists"},
	"bookings_user_id_fkey":            {Code: boxoffice.ENOTFOUND, Message: "user not found"},
	"bookings_event_id_fkey":           {Code: boxoffice.ENOTFOUND, Message: "event not found"},
	"events_organizer_id_fkey":         {Code: boxoffice.ENOTFOUND, Message: "organizer not found"},
	"users_role_check":                 {Code: boxoffice.EINVALID, Field: "role", Message: "role is not valid"},
	"events_total_tickets_check":       {Code: boxoffice.EINVALID, Field: "totalTickets", Message: "totalTickets must be at least 1"},
	"events_available_tickets_check":   {Code: boxoffice.ECONFLICT, Message: "not enough tickets left"},
	"events_price_cents_check":         {Code: boxoffice.EINVALID, Field: "price", Message: "price must not be negative"},
	"bookings_number_of_tickets_check": {Code: boxoffice.EINVALID, Field: "numberOfTickets", Message: "numberOfTickets must be between 1 and 10"},
	"bookings_status_check":            {Code: boxoffice.EINVALID, Field: "status", Message: "status must be CONFIRMED or CANCELLED"},
}

// dbError is the one place driver errors become what callers see: an
// *boxoffice.Error with a plain message for the outcomes a client may cause,
// otherwise err wrapped with what we were doing (logged, shown as internal).
// verb and noun say what failed: ("find", "event").
func dbError(err error, verb, noun string) error {
	var be *boxoffice.Error
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &be):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", noun)
	case errors.As(err, &pgErr):
		if e, ok := constraintErrors[pgErr.ConstraintName]; ok {
			return &e
		}
		switch pgErr.Code {
		case "23505": // unique_violation
			return boxoffice.Errorf(boxoffice.ECONFLICT, "%s already exists", noun)
		case "23503": // foreign_key_violation
			return boxoffice.Errorf(boxoffice.ENOTFOUND, "a referenced record was not found")
		case "23514", "23502": // check_violation, not_null_violation
			return boxoffice.Errorf(boxoffice.EINVALID, "invalid %s", noun)
		}
	}
	return fmt.Errorf("postgres: %s %s: %w", verb, noun, err)
}
