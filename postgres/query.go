package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice"
)

// A locking transaction costs two round trips: BEGIN rides in the first
// batch with the locking reads, COMMIT in the last batch with the writes.
// Row locks are then held for one round trip, not the two or three of
// separate BEGIN and COMMIT calls: that bounds the bookings per second on
// one hot event.
const (
	beginTx  = "BEGIN ISOLATION LEVEL READ COMMITTED"
	commitTx = "COMMIT"
)

// acquire takes a connection for a transaction run with beginTx/commitTx;
// release it with endTx.
func (db *DB) acquire(ctx context.Context, noun string) (*pgxpool.Conn, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, dbError(err, "connect for", noun)
	}
	return conn, nil
}

// endTx rolls back whatever transaction a failure or an early return left
// open, then gives the connection back. A connection that cannot be rolled
// back is discarded by the pool, which ends the transaction too.
func endTx(conn *pgxpool.Conn) {
	if pc := conn.Conn().PgConn(); !pc.IsClosed() && pc.TxStatus() != 'I' {
		// The caller's context may be the reason we are here.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = conn.Exec(ctx, "ROLLBACK")
		cancel()
	}
	conn.Release()
}

// where collects the conditions of a dynamic WHERE clause and their
// arguments. Built per filter rather than `$1 IS NULL OR …`, so that cached
// generic plans can still use the indexes.
type where struct {
	conds []string
	args  []any
}

// add appends cond, in which %d stands for the placeholder of arg.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, fmt.Sprintf(cond, len(w.args)))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// containsPattern is an ILIKE pattern matching s anywhere, s's own
// wildcards and escape character taken literally.
func containsPattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// findPage returns one page of table's rows matching w in the given order,
// and the number of all rows matching w: two statements, one round trip.
// A non-empty wrap is a statement around the page's SELECT (at its %s),
// whose rows scan reads.
func findPage[T any](ctx context.Context, db *DB, table, cols string, w where, order string, page boxoffice.Page, wrap string, scan pgx.RowToFunc[T]) ([]T, int, error) {
	if err := page.Validate(); err != nil {
		return nil, 0, err
	}
	var (
		total int
		items []T
		b     pgx.Batch
	)
	b.Queue("SELECT count(*) FROM "+table+w.String(), w.args...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&total)
	})
	n := len(w.args)
	list := fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s LIMIT $%d OFFSET $%d", cols, table, w.String(), order, n+1, n+2)
	if wrap != "" {
		list = fmt.Sprintf(wrap, list)
	}
	b.Queue(list, append(slices.Clip(w.args), page.Limit, page.Offset())...).Query(func(rows pgx.Rows) (err error) {
		items, err = pgx.CollectRows(rows, scan)
		return err
	})
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, 0, dbError(err, "list", table)
	}
	return items, total, nil
}

// validIDs returns the distinct valid UUIDs of ids, sorted. Malformed ids
// cannot name anything, and would fail the whole statement's uuid cast.
func validIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if boxoffice.ValidID(id) {
			out = append(out, strings.ToLower(id))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// qualify prefixes each column of a comma-separated list with alias.
func qualify(alias, cols string) string {
	return alias + "." + strings.ReplaceAll(cols, ", ", ", "+alias+".")
}
