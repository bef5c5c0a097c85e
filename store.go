package boxoffice

import (
	"context"
	"time"
)

// Store is a database engine's implementation of the domain's persistence.
// The postgres and sqlite packages provide one each, and both pass the
// storetest conformance suite. Stores trust their input to be validated by
// the service layer, except where a method says otherwise; they translate
// driver errors into *Error codes and never return driver text to show.
type Store interface {
	// Users: as UserService, without validation.
	FindUserByID(ctx context.Context, id string) (*User, error)
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, int, error)
	FindUsersByIDs(ctx context.Context, ids []string) ([]*User, error)
	// CreateUser inserts u as given (ID, Role, PasswordHash and timestamps
	// set by the caller; the email is stored lower-cased). ECONFLICT if the
	// email or the id is taken.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByEmail matches the email case-insensitively. ENOTFOUND.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser applies upd and sets UpdatedAt, atomically. ENOTFOUND.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)

	// Events: as EventService, without validation.
	FindEventByID(ctx context.Context, id string) (*Event, error)
	FindEvents(ctx context.Context, filter EventFilter) ([]*Event, int, error)
	FindEventsByIDs(ctx context.Context, ids []string) ([]*Event, error)
	PopularEvents(ctx context.Context, limit int) ([]*Event, error)
	// UpcomingEvents returns events dated after now, soonest first.
	UpcomingEvents(ctx context.Context, now time.Time, limit int) ([]*Event, error)
	// CreateEvent inserts e as given (ID, Version, OrganizerID, timestamps
	// set by the caller). ECONFLICT if the id is taken; ENOTFOUND if the
	// organizer does not exist.
	CreateEvent(ctx context.Context, e *Event) error
	// UpdateEvent locks the event, applies upd with EventUpdate.Apply and
	// saves the result, in one transaction. ENOTFOUND, ECONFLICT, EINVALID.
	UpdateEvent(ctx context.Context, id string, upd EventUpdate) (*Event, error)

	// BookBatch decides and writes a batch of booking requests in one
	// transaction: it locks the events involved (in id order, so concurrent
	// batches cannot deadlock), plans with PlanBookings, inserts the
	// confirmed bookings and takes their tickets. The error is for the
	// batch as a whole (nothing was written); per-request outcomes are in
	// the results, in request order.
	BookBatch(ctx context.Context, reqs []BookingRequest) ([]BookingResult, error)
	// CancelBooking marks a confirmed booking cancelled and gives its
	// tickets back, in one transaction. ENOTFOUND; ECONFLICT if it is
	// already cancelled or its event has started (by now).
	CancelBooking(ctx context.Context, id string, now time.Time) (*Booking, error)
	FindBookingByID(ctx context.Context, id string) (*Booking, error)
	FindBookings(ctx context.Context, filter BookingFilter) ([]*Booking, int, error)
	FindBookingsByUserIDs(ctx context.Context, ids []string, perUser int) ([]*Booking, error)
	FindBookingsByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*Booking, error)

	// Ping returns an error if the database cannot be reached.
	Ping(ctx context.Context) error
	// StatementCount is the number of SQL statements sent since Open, for
	// metrics and for tests that prove batching.
	StatementCount() int64
	// Close releases the connections.
	Close() error
}

// Migrator manages a store's schema: its namespace and its migrations,
// which are embedded in the binary.
type Migrator interface {
	// CreateSchema creates the namespace the tables live in, if missing.
	CreateSchema(ctx context.Context) error
	// DropSchema removes every table, the migrations' bookkeeping included.
	DropSchema(ctx context.Context) error
	// MigrateUp applies every pending migration.
	MigrateUp(ctx context.Context) ([]MigrationState, error)
	// MigrateDown rolls back the newest applied migration; ENOTFOUND if
	// none is applied.
	MigrateDown(ctx context.Context) (*MigrationState, error)
	// MigrationStatus lists every known migration, applied or not.
	MigrationStatus(ctx context.Context) ([]MigrationState, error)
}

// MigrationState is one migration and whether it is applied.
type MigrationState struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// Pending counts the migrations of states that are not applied.
func Pending(states []MigrationState) int {
	n := 0
	for _, s := range states {
		if !s.Applied {
			n++
		}
	}
	return n
}

// TicketsWatcher is implemented by stores that several servers can share
// (PostgreSQL). A server that has seen an event sold out refuses its
// bookings from memory; when tickets come back through another server, the
// watch tells it at once.
type TicketsWatcher interface {
	// WatchTicketsReturned calls fn with the id of every event that gets
	// tickets back (a cancellation, an update), through any server, until
	// ctx ends. It reconnects by itself; what it misses while reconnecting
	// the caller must tolerate (the sold-out memory also expires).
	WatchTicketsReturned(ctx context.Context, fn func(eventID string))
}

// UsersWatcher is implemented by stores that several servers can share
// (PostgreSQL). A server may remember, per user, what checking a token
// needs (token version, role); when either changes through another server,
// the watch tells it at once.
type UsersWatcher interface {
	// WatchUsersChanged calls changed with the id of every user whose token
	// version or role changes, through any server, until ctx ends. It calls
	// listening(true) once it listens and listening(false) when it stops:
	// in between it hears every change; outside, it may miss some. It
	// reconnects by itself.
	WatchUsersChanged(ctx context.Context, changed func(userID string), listening func(bool))
}
