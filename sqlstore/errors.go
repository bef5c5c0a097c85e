package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The kinds of failure that break no constraint and are no fault of ours:
// the database could not do the work now. The statement's transaction is
// rolled back, so nothing was written, and the caller may try again later
// (EUNAVAILABLE). Their values stand apart from the constraint kinds.
const (
	// Unavailable: a statement or a lock wait ran out of time
	// (statement_timeout, lock_timeout, SQLite's busy timeout), or the
	// database is overloaded (no connection slot left).
	Unavailable ErrorKind = 100 + iota
	// DiskFull: the database has no space left to write.
	DiskFull
)

// How long EUNAVAILABLE asks callers to wait: a timeout may pass at once,
// a full disk waits for an operator.
const (
	retryUnavailable = time.Second
	retryDiskFull    = 10 * time.Second
)

// constraintErrors are what a broken constraint means to a client. Both
// engines name their constraints alike (storetest checks the schemas), so
// one table serves both.
var constraintErrors = map[string]boxoffice.Error{
	"users_pkey":                       {Code: boxoffice.ECONFLICT, Message: "user already exists"},
	"users_email_key":                  {Code: boxoffice.ECONFLICT, Message: "email already registered"},
	"users_role_check":                 {Code: boxoffice.EINVALID, Field: "role", Message: "role is not valid"},
	"events_pkey":                      {Code: boxoffice.ECONFLICT, Message: "event already exists"},
	"events_organizer_id_fkey":         {Code: boxoffice.ENOTFOUND, Message: "organizer not found"},
	"events_total_tickets_check":       {Code: boxoffice.EINVALID, Field: "totalTickets", Message: "totalTickets must be at least 1"},
	"events_available_tickets_check":   {Code: boxoffice.ECONFLICT, Message: "not enough tickets left"},
	"events_price_cents_check":         {Code: boxoffice.EINVALID, Field: "price", Message: "price must not be negative"},
	"bookings_pkey":                    {Code: boxoffice.ECONFLICT, Message: "booking already exists"},
	"bookings_user_id_fkey":            {Code: boxoffice.ENOTFOUND, Message: "user not found"},
	"bookings_event_id_fkey":           {Code: boxoffice.ENOTFOUND, Message: "event not found"},
	"bookings_number_of_tickets_check": {Code: boxoffice.EINVALID, Field: "numberOfTickets", Message: "numberOfTickets must be between 1 and 10000"},
	"ticket_types_tickets_check":       {Code: boxoffice.ECONFLICT, Message: "not enough tickets of this type left"},
	"promo_codes_event_id_code_key":    {Code: boxoffice.ECONFLICT, Field: "code", Message: "the event has this promo code already"},
	"promo_codes_event_id_fkey":        {Code: boxoffice.ENOTFOUND, Message: "event not found"},
	"promo_codes_uses_check":           {Code: boxoffice.ECONFLICT, Message: "the promo code has been used up"},
	"bookings_status_check":            {Code: boxoffice.EINVALID, Field: "status", Message: "status is not valid"},
	"waitlist_entries_waiting_idx":     {Code: boxoffice.ECONFLICT, Message: errAlreadyWaiting},
	"waitlist_entries_user_id_fkey":    {Code: boxoffice.ENOTFOUND, Message: "user not found"},
}

// fail is the one place driver errors become what callers see: an
// *boxoffice.Error with a plain message for the outcomes a client may
// cause; EUNAVAILABLE, with the driver's error kept in the chain for the
// log, when the database timed out, was overloaded or is full (also when
// the caller's time ran out during the call, unless it cut the COMMIT
// short: commitUnknown); otherwise err wrapped with
// what we were doing (logged, shown as internal). verb and noun say what
// failed: ("find", "event"). A broken foreign key the engine does not name
// is reported as fkNoun not found.
func (s scope) fail(err error, verb, noun string, fkNoun ...string) error {
	var be *boxoffice.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &be):
		return err
	}
	kind, constraint := s.d.Classify(err)
	if kind == NoConstraint && errors.Is(err, context.DeadlineExceeded) {
		kind = Unavailable
	}
	if e, ok := constraintErrors[constraint]; ok {
		return &e
	}
	switch kind {
	case Unavailable:
		return unavailable(err, verb, noun, retryUnavailable, "the database did not answer in time: try again")
	case DiskFull:
		return unavailable(err, verb, noun, retryDiskFull, "storage is full: changes cannot be saved now, try again later")
	case Unique:
		return boxoffice.Errorf(boxoffice.ECONFLICT, "%s already exists", noun)
	case ForeignKey:
		if len(fkNoun) > 0 {
			return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", fkNoun[0])
		}
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "a referenced record was not found")
	case Check, NotNull:
		return boxoffice.Errorf(boxoffice.EINVALID, "invalid %s", noun)
	}
	return fmt.Errorf("sqlstore: %s %s: %w", verb, noun, err)
}

// commitUnknown is a COMMIT that the caller's deadline cut short: the
// database may have committed, so it is never EUNAVAILABLE ("nothing was
// done") but a fault (INTERNAL) whose outcome the client must check. It
// hides the deadline from errors.Is on purpose, and keeps its words for
// the log.
type commitUnknown struct{ err error }

func (e commitUnknown) Error() string {
	return "commit cut short, its outcome unknown: " + e.err.Error()
}

// unavailable is EUNAVAILABLE for the client, wrapping err for the log.
func unavailable(err error, verb, noun string, retry time.Duration, msg string) error {
	return fmt.Errorf("sqlstore: %s %s: %w: %w", verb, noun,
		&boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: msg, RetryAfter: retry}, err)
}

// notFound is the error of a lookup that found nothing.
func notFound(noun string) error { return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", noun) }
