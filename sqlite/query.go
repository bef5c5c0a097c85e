package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan. It never returns a
// nil slice without an error: lists are never null.
func queryAll[T any](ctx context.Context, c conn, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryByIDs runs query, whose "(%s)" is filled with placeholders, once per
// chunk of the distinct canonical ids (SQLite bounds the parameters of a
// statement), with the ids followed by extra as arguments.
func queryByIDs[T any](ctx context.Context, c conn, scan func(scanner) (T, error), query string, ids []string, extra ...any) ([]T, error) {
	const chunk = 500
	ids = canonicalIDs(ids)
	out := []T{}
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		args := make([]any, 0, n+len(extra))
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		part, err := queryAll(ctx, c, scan, fmt.Sprintf(query, placeholders(n)), append(args, extra...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
		ids = ids[n:]
	}
	return out, nil
}

// placeholders returns "?, ?, …", n of them.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// canonicalID is id in the form the tables hold, lower case. UUIDs are
// case-insensitive (boxoffice.ValidID accepts either case, and PostgreSQL's
// uuid type compares them so); TEXT columns are not.
func canonicalID(id string) string { return strings.ToLower(id) }

// canonicalIDs returns the distinct canonical forms of ids.
func canonicalIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = canonicalID(id); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// qualify prefixes each column of a comma-separated list with alias.
func qualify(alias, cols string) string {
	return alias + "." + strings.ReplaceAll(cols, ", ", ", "+alias+".")
}
