package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/boxoffice/boxoffice"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// translate turns err from an operation (op, e.g. "find event") on an entity
// ("event") into a domain error where it has a meaning for the client, or
// wraps it with context: it then becomes INTERNAL upstream and is only
// logged. Messages of *boxoffice.Error never carry SQL or driver text. The
// codes and messages are the PostgreSQL store's.
func translate(err error, op, entity string) error {
	var domainErr *boxoffice.Error
	var driverErr *sqlite.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domainErr):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", entity)
	case !errors.As(err, &driverErr):
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	switch driverErr.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		if strings.Contains(driverErr.Error(), "users.email") {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "email already registered")
		}
		return boxoffice.Errorf(boxoffice.ECONFLICT, "%s already exists", entity)
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		// SQLite names the violated CHECK constraint (see migrations).
		for name, e := range checkErrors {
			if strings.Contains(driverErr.Error(), name) {
				return &e
			}
		}
		return boxoffice.Errorf(boxoffice.EINVALID, "invalid %s", entity)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: // SQLite does not say which
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "a referenced record was not found")
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return boxoffice.Errorf(boxoffice.EINVALID, "invalid %s", entity)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// checkErrors are what a violated CHECK constraint means to a client.
var checkErrors = map[string]boxoffice.Error{
	"events_total_tickets_check":       {Code: boxoffice.EINVALID, Field: "totalTickets", Message: "totalTickets must be at least 1"},
	"events_available_tickets_check":   {Code: boxoffice.ECONFLICT, Message: "not enough tickets left"},
	"events_price_cents_check":         {Code: boxoffice.EINVALID, Field: "price", Message: "price must not be negative"},
	"bookings_number_of_tickets_check": {Code: boxoffice.EINVALID, Field: "numberOfTickets", Message: "numberOfTickets must be between 1 and 10"},
	"bookings_status_check":            {Code: boxoffice.EINVALID, Field: "status", Message: "status must be CONFIRMED or CANCELLED"},
	"users_role_check":                 {Code: boxoffice.EINVALID, Field: "role", Message: "role is not valid"},
}

// isForeignKeyViolation reports whether err is SQLite refusing a reference
// to a row that does not exist. SQLite does not say which foreign key:
// callers that write one table with one foreign key know.
func isForeignKeyViolation(err error) bool {
	var driverErr *sqlite.Error
	return errors.As(err, &driverErr) && driverErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
