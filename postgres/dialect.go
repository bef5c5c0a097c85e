package postgres

import (
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/boxoffice/boxoffice/sqlstore"
)

// dialect is PostgreSQL's spelling of sqlstore.Dialect.
type dialect struct{}

// In compares with an array parameter: one statement text for any number
// of ids, so its plan is prepared once.
func (dialect) In(args *sqlstore.Args, column string, ids []string) string {
	return column + " = ANY(" + args.Add(uuids(ids)) + "::uuid[])"
}

// ContainsFold is ILIKE, which folds case over all of Unicode.
func (dialect) ContainsFold(args *sqlstore.Args, column, s string) string {
	return column + " ILIKE " + args.Add(sqlstore.ContainsPattern(s))
}

// Table unnests one array parameter per column, in binary: the cheapest way
// to send many rows in one statement.
func (dialect) Table(args *sqlstore.Args, alias string, columns []sqlstore.Column, rows [][]any) string {
	arrays := make([]string, len(columns))
	names := make([]string, len(columns))
	for j, c := range columns {
		values := make([]any, len(rows))
		for i, r := range rows {
			values[i] = r[j]
		}
		var array any = values
		if c.Type == "uuid" {
			array = uuids(values)
		}
		arrays[j] = args.Add(array) + "::" + c.Type + "[]"
		names[j] = c.Name
	}
	return "unnest(" + strings.Join(arrays, ", ") + ") AS " + alias + "(" + strings.Join(names, ", ") + ")"
}

func (dialect) Lock(mode string) string { return " FOR " + mode }

// Latest takes up to per rows for each owner with a LATERAL LIMIT, which
// walks the (owner, order) index and stops after per rows, where
// ROW_NUMBER() over all of an owner's rows would read every one of them
// (a sold-out event has many).
func (dialect) Latest(args *sqlstore.Args, table, cols, owner string, ids []string, per int, order string) string {
	return "SELECT " + sqlstore.Qualify("t", cols) + " FROM unnest(" + args.Add(uuids(ids)) + "::uuid[]) AS o(id) CROSS JOIN LATERAL (SELECT " +
		cols + " FROM " + table + " WHERE " + owner + " = o.id ORDER BY " + order + " LIMIT " + args.Add(per) + ") t"
}

// uuids is an array parameter of ids as pgx sends it in binary: 16 bytes
// an id. pgx cannot send strings as a binary uuid[]; it tries, formats an
// error describing the whole array, and then sends it as text, which
// PostgreSQL parses again: a few percent of a booking batch's CPU, in the
// server and in the database. Values that are not canonical ids (nor nil)
// leave the array as it was, so PostgreSQL judges them as before.
func uuids[T any](values []T) any {
	out := make([]pgtype.UUID, len(values))
	for i, v := range values {
		var s string
		switch v := any(v).(type) {
		case nil:
			continue // NULL
		case string:
			s = v
		default:
			return values
		}
		id, err := uuid.Parse(s)
		if len(s) != 36 || err != nil { // Parse also takes forms PostgreSQL does not
			return values
		}
		out[i] = pgtype.UUID{Bytes: id, Valid: true}
	}
	return out
}
