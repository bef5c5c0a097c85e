package sqlstore

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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

// scanString reads a one-column text row.
func scanString(r Rows) (string, error) {
	var s string
	return s, r.Scan(&s)
}

// optionalText scans a nullable text column into a string: "" for NULL.
type optionalText struct{ s *string }

func (o optionalText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*o.s = ""
	case string:
		*o.s = v
	case []byte:
		*o.s = string(v)
	default:
		return fmt.Errorf("sqlstore: text column holds %T", src)
	}
	return nil
}

// nullText is s as a nullable column argument: NULL for "".
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// timeOrNil is *t as a nullable column argument, as the stores keep times.
func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return Time(*t)
}

// timePtr is *t as the stores keep times, or nil.
func timePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Time(*t)
	return &v
}
