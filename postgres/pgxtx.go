package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgxTx is a begun tx as a pgx.Tx, for libraries that write in a
// transaction given to them (River's InsertTx). The transaction stays the
// store's: it cannot be committed, rolled back or nested through here.
type pgxTx struct{ t *tx }

var _ pgx.Tx = pgxTx{}

var errNotYours = errors.New("postgres: the transaction belongs to the store: it commits or rolls back when the store's InTx returns")

func (p pgxTx) Begin(context.Context) (pgx.Tx, error) { return nil, errNotYours }
func (p pgxTx) Commit(context.Context) error          { return errNotYours }
func (p pgxTx) Rollback(context.Context) error        { return errNotYours }
func (p pgxTx) Conn() *pgx.Conn                       { return p.t.conn.Conn() }
func (p pgxTx) LargeObjects() pgx.LargeObjects        { return pgx.LargeObjects{} }

func (p pgxTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	return p.t.conn.CopyFrom(ctx, table, columns, src)
}

func (p pgxTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return p.t.conn.SendBatch(ctx, b)
}

func (p pgxTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return p.t.conn.Conn().Prepare(ctx, name, sql)
}

func (p pgxTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return p.t.conn.Exec(ctx, sql, args...)
}

func (p pgxTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return p.t.conn.Query(ctx, sql, args...)
}

func (p pgxTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return p.t.conn.QueryRow(ctx, sql, args...)
}
