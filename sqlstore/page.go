package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/boxoffice/boxoffice"
)

// findPage returns one page of table's rows matching w in the given order,
// and the number of all rows matching w: two statements, one round trip,
// one snapshot where the engine allows. A non-empty wrap is a statement
// around the page's SELECT (at its %s), whose rows scan reads.
//
// count, when given, is a statement that gives the same number more
// cheaply than counting the rows.
func findPage[T any](ctx context.Context, s scope, table, cols string, w where, order string, page boxoffice.Page,
	wrap string, scan func(Rows) (T, error), count ...counter) ([]T, int, error) {
	if err := page.Validate(); err != nil {
		return nil, 0, err
	}
	var total int
	items := []T{}
	args := slices.Clone(w.args)
	list := fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s LIMIT %s OFFSET %s",
		cols, table, w.String(), order, args.Add(page.Limit), args.Add(page.Offset()))
	if wrap != "" {
		list = fmt.Sprintf(wrap, list)
	}
	err := s.read(ctx,
		countOf(&total, table, w, count),
		rowsOf(&items, scan, list, args...))
	if err != nil {
		return nil, 0, s.fail(err, "list", table)
	}
	return items, total, nil
}

// counter is a statement of one row and one integer column, and its
// arguments.
type counter struct {
	sql  string
	args Args
}

// countOf is the statement that counts the rows matching w: count's own
// if given, else COUNT(*) over them.
func countOf(total *int, table string, w where, count []counter) *Query {
	if len(count) > 0 {
		return rowOf(total, table, scanInt, count[0].sql, count[0].args...)
	}
	return rowOf(total, table, scanInt, "SELECT count(*) FROM "+table+w.String(), w.args...)
}
