package postgres

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/boxoffice/boxoffice/sqlstore"
)

// TestIDArraysGoInBinary: the id arrays of In, Latest and Table encode in
// pgx's binary format, which the statements prefer; strings did not (pgx
// then built an error describing the whole array and sent it as text).
func TestIDArraysGoInBinary(t *testing.T) {
	const id = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
	m := pgtype.NewMap()
	encodes := func(t *testing.T, what string, arg any) {
		t.Helper()
		if _, err := m.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, arg, nil); err != nil {
			t.Errorf("%s: not in binary: %v", what, err)
		}
	}
	var d dialect
	var args sqlstore.Args
	d.In(&args, "id", []string{id, strings.ToUpper(id)})
	d.Latest(&args, "bookings", "id", "user_id", []string{id}, 5, "id")
	d.Table(&args, "t", []sqlstore.Column{{Name: "id", Type: "uuid"}, {Name: "n", Type: "int"}, {Name: "ref", Type: "uuid"}},
		[][]any{{id, 1, nil}, {id, 2, id}})
	// args: In's ids; Latest's ids and limit; Table's three columns.
	encodes(t, "In", args[0])
	encodes(t, "Latest", args[1])
	encodes(t, "Table's uuid column", args[3])
	encodes(t, "Table's nullable uuid column", args[5])

	// What is not an id is left for PostgreSQL to refuse, as before.
	args = nil
	d.In(&args, "id", []string{id, "urn:uuid:" + id})
	if _, ok := args[0].([]string); !ok {
		t.Errorf("In with a non-id: the array is %T, want the []string as given", args[0])
	}
}
