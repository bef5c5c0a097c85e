package sqlstore

import (
	"slices"
	"strconv"
	"strings"

	"github.com/boxoffice/boxoffice"
)

// exec is a statement whose rows, if any, nobody reads.
func exec(sql string, args ...any) *Query { return &Query{SQL: sql, Args: args} }

// rowsOf is a statement whose rows, scanned by scan, replace *dst. A
// statement with no rows leaves an empty slice, never nil: lists are never
// null.
func rowsOf[T any](dst *[]T, scan func(Rows) (T, error), sql string, args ...any) *Query {
	return &Query{SQL: sql, Args: args, Rows: func(rows Rows) error {
		out := []T{}
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		*dst = out
		return nil
	}}
}

// rowOf is a statement whose one row, scanned by scan, goes to *dst;
// ENOTFOUND ("noun not found") if there is none.
func rowOf[T any](dst *T, noun string, scan func(Rows) (T, error), sql string, args ...any) *Query {
	return &Query{SQL: sql, Args: args, Rows: func(rows Rows) error {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return notFound(noun)
		}
		v, err := scan(rows)
		if err != nil {
			return err
		}
		*dst = v
		return nil
	}}
}

// scanInt reads a one-column integer row.
func scanInt(r Rows) (int, error) {
	var n int
	return n, r.Scan(&n)
}

// where collects the conditions of a dynamic WHERE clause and their
// arguments. Built per filter rather than `$1 IS NULL OR …`, so that cached
// generic plans can still use the indexes.
type where struct {
	conds []string
	args  Args
}

// add appends cond, in which %s stands for the placeholder of arg.
func (w *where) add(cond string, arg any) {
	w.conds = append(w.conds, strings.Replace(cond, "%s", w.args.Add(arg), 1))
}

// addSQL appends a condition that numbered its own arguments in w.args.
func (w *where) addSQL(cond string) { w.conds = append(w.conds, cond) }

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func placeholder(n int) string { return "$" + strconv.Itoa(n) }

// canonicalID is id as the tables hold it: lower case. UUIDs are
// case-insensitive (boxoffice.ValidID accepts either case), text columns
// are not.
func canonicalID(id string) string { return strings.ToLower(id) }

// validIDs returns the distinct valid UUIDs of ids, canonical and sorted.
// A malformed id cannot name anything.
func validIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if boxoffice.ValidID(id) {
			out = append(out, canonicalID(id))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Qualify prefixes each column of a comma-separated list with alias.
func Qualify(alias, cols string) string {
	return alias + "." + strings.ReplaceAll(cols, ", ", ", "+alias+".")
}

// likeEscaper makes a LIKE pattern match s's own wildcards literally
// (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ContainsPattern is a LIKE pattern (ESCAPE '\') matching s anywhere, s's
// own wildcards taken literally: for Dialect.ContainsFold.
func ContainsPattern(s string) string { return "%" + likeEscaper.Replace(s) + "%" }
