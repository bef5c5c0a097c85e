package boxoffice

import (
	"context"
	"time"
)

// Store is the database: a store per entity, transactions that span them,
// and the feed of changes that other servers make. The sqlstore package
// implements it once, in SQL both engines run; the postgres and sqlite
// packages are its drivers, and both pass the storetest conformance suite.
//
// Stores trust their input to be validated by the service layer, except
// where a method says otherwise; they translate driver errors into *Error
// codes and never return driver text to show.
type Store interface {
	Stores
	// InTx runs fn in one transaction: what fn writes through tx commits
	// when fn returns nil, and nothing of it does otherwise. Writes whose
	// results fn does not read may be sent with the transaction's next
	// round trip or its commit, so an error they cause can come back from
	// a later call or from InTx itself. tx must not be used after fn returns.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// Watch calls fn with every change that other servers must hear of
	// (Change.Kind.Broadcast), committed through any server sharing this
	// database, this one included, until ctx ends. Changes of one kind
	// that give tickets back to one event, recorded together (holds
	// expired by one transaction), come as the first of them: a server
	// reopens the event, whichever booking it was. It calls listening(true)
	// once it hears every change and listening(false) when it may miss some
	// (a lost connection); it reconnects by itself.
	Watch(ctx context.Context, fn func(Change), listening func(bool))

	// Ping returns an error if the database cannot be reached.
	Ping(ctx context.Context) error
	// StatementCount is the number of SQL statements sent since Open, for
	// metrics and for tests that prove batching.
	StatementCount() int64
	// PoolStats describes the connection pool, for metrics.
	PoolStats() PoolStats
	// Close releases the connections.
	Close() error
}

// Stores are the entity stores, of the database or of one transaction.
type Stores interface {
	Users() UserStore
	Events() EventStore
	Bookings() BookingStore
	Tickets() TicketStore
	Payments() PaymentStore
	Changes() ChangeStore
	Idempotency() IdempotencyStore
	Waitlist() WaitlistStore
	TicketTypes() TicketTypeStore
	PromoCodes() PromoCodeStore
	Webhooks() WebhookStore
	Reminders() ReminderStore
}

// Tx is a transaction in progress: the entity stores, all writing in it.
type Tx interface {
	Stores
	// Native returns the engine's own transaction (a pgx.Tx or a *sql.Tx),
	// for a library written for that engine to write in it too, such as a
	// job queue's transactional insert.
	Native(ctx context.Context) (any, error)
}

// UserStore keeps users. ENOTFOUND where a user is missing.
type UserStore interface {
	ByID(ctx context.Context, id string) (*User, error)
	// ByEmail matches the email case-insensitively.
	ByEmail(ctx context.Context, email string) (*User, error)
	// Find returns a page of users, newest first, and how many match.
	Find(ctx context.Context, filter UserFilter) ([]*User, int, error)
	// ByIDs returns the users with these ids that exist, in any order.
	ByIDs(ctx context.Context, ids []string) ([]*User, error)
	// Create inserts u as given (ID, Role, PasswordHash and timestamps set
	// by the caller), its email lower-cased and its times as stored.
	// ECONFLICT if the email or the id is taken.
	Create(ctx context.Context, u *User) error
	// Update applies upd and sets UpdatedAt, atomically, and returns the
	// user as updated.
	Update(ctx context.Context, id string, upd UserUpdate) (*User, error)
}

// EventStore keeps events. ENOTFOUND where an event is missing.
type EventStore interface {
	ByID(ctx context.Context, id string) (*Event, error)
	// Find returns a page of events, soonest first, and how many there are.
	Find(ctx context.Context, filter EventFilter) ([]*Event, int, error)
	// ByIDs returns the events with these ids that exist, in any order.
	ByIDs(ctx context.Context, ids []string) ([]*Event, error)
	// Popular returns up to limit events, fewest tickets left first.
	Popular(ctx context.Context, limit int) ([]*Event, error)
	// Upcoming returns up to limit events dated after now, soonest first.
	Upcoming(ctx context.Context, now time.Time, limit int) ([]*Event, error)
	// Create inserts e as given (ID, Version, OrganizerID, timestamps set
	// by the caller), its times as stored. ECONFLICT if the id is taken;
	// ENOTFOUND if the organizer does not exist.
	Create(ctx context.Context, e *Event) error
	// Update locks the event, and saves what apply makes of it (apply must
	// not keep or change its argument): apply judges the change against
	// the event as it is, and nothing changes the event in between.
	// ENOTFOUND, or apply's error.
	Update(ctx context.Context, id string, apply func(current *Event) (*Event, error)) (*Event, error)
	// SigningKey returns the seed of the event's ticket-signing key (32
	// bytes), made the first time it is asked for. ENOTFOUND.
	SigningKey(ctx context.Context, eventID string) ([]byte, error)
	// AddStaff lets a user check the event's tickets in; again is a no-op.
	AddStaff(ctx context.Context, eventID, userID string, at time.Time) error
	// IsStaff reports whether a user checks the event's tickets in.
	IsStaff(ctx context.Context, eventID, userID string) (bool, error)
}

// BookingStore keeps bookings. ENOTFOUND where a booking is missing.
type BookingStore interface {
	ByID(ctx context.Context, id string) (*Booking, error)
	// ByIDs returns the bookings with these ids, in any order; malformed
	// and unknown ids match nothing.
	ByIDs(ctx context.Context, ids []string) ([]*Booking, error)
	// Find returns a page of bookings, newest first, and how many match.
	// A malformed id in the filter matches nothing.
	Find(ctx context.Context, filter BookingFilter) ([]*Booking, int, error)
	// ByUserIDs returns, for each user id, up to perUser of the user's most
	// recent bookings, in any order. For batched loading.
	ByUserIDs(ctx context.Context, ids []string, perUser int) ([]*Booking, error)
	// ByEventIDs is ByUserIDs for events.
	ByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*Booking, error)
	// BookBatch decides and writes a batch of booking requests in one
	// transaction: it locks the events involved (in id order, so concurrent
	// batches cannot deadlock), then the ticket types and promo codes the
	// requests name, expires their holds that ran out, plans with
	// PlanBookings under terms, inserts the bookings and their payments,
	// takes their tickets (of their events and types), counts their promo
	// codes' uses and records a change for each. A
	// request with an IdempotencyKey its user used before gets the booking
	// made then. With terms.SkipLocked it locks only the events no other
	// transaction holds, and the requests for the others get ErrEventBusy.
	// The error is for the batch as a whole (nothing was written);
	// per-request outcomes are in the results, in request order.
	BookBatch(ctx context.Context, reqs []BookingRequest, terms BookingTerms) ([]BookingResult, error)
	// ExpireHolds expires up to limit PENDING bookings whose hold ran out
	// by now: they become EXPIRED, their tickets go back, and each gets a
	// change. It returns the bookings it expired.
	ExpireHolds(ctx context.Context, now time.Time, limit int) ([]*Booking, error)
	// Update locks the booking and its event, lets apply change the
	// booking's status (b.Event is set, as locked; apply may read through
	// the transaction's stores), and saves it if apply changed it. A booking
	// whose new status no longer holds its tickets gives them back to the
	// event and its ticket type, and its promo code's use back to the code;
	// one that holds them again takes them (ECONFLICT if they are gone). A booking that becomes CONFIRMED gets its tickets (Ticket),
	// one that stops being CONFIRMED voids its valid ones. It returns the
	// booking as saved, with its Event as of then. ENOTFOUND, or apply's
	// error.
	Update(ctx context.Context, id string, apply func(b *Booking) error) (*Booking, error)
}

// ChangeStore keeps the record of changes: every change is recorded in the
// transaction that makes it, and other servers hear of it from there
// (Store.Watch).
type ChangeStore interface {
	// Record appends c. Its ID is the store's to set; a change of a
	// broadcast kind is announced to every server when it commits.
	Record(ctx context.Context, c *Change) error
	// After returns up to limit changes with ids above id, oldest first.
	After(ctx context.Context, id int64, limit int) ([]*Change, error)
	// ByBookingIDs returns the changes of these bookings, oldest first:
	// their histories.
	ByBookingIDs(ctx context.Context, ids []string) ([]*Change, error)

	// The relay (notifications, webhooks, the event stream) reads the
	// changes by flag, not by an "after id N" cursor: ids are numbered at
	// insert, so a change whose transaction commits after a later-numbered
	// one would be skipped by a cursor that had passed it. A flag cannot
	// skip: every committed change is unflagged until it is handled.

	// ClaimUnrelayed marks up to limit changes not yet relayed as relayed
	// at now, oldest first, and returns them: a change is claimed once,
	// however many relays run at once, and only if the caller's
	// transaction commits. With published, they are marked published too
	// (no event stream is configured: there is nothing to publish them to).
	ClaimUnrelayed(ctx context.Context, now time.Time, limit int, published bool) ([]*Change, error)
	// Unpublished returns up to limit changes not yet published to the
	// event stream, oldest first.
	Unpublished(ctx context.Context, limit int) ([]*Change, error)
	// MarkPublished marks changes published at now.
	MarkPublished(ctx context.Context, ids []int64, now time.Time) error
}

// IdempotencyStore keeps the answers to requests sent with an
// Idempotency-Key, so that a retry gets the first answer again.
type IdempotencyStore interface {
	// Begin claims key for caller's request (its hash). It returns nil when
	// the caller is to run the request: the key is new, or its first
	// request was abandoned (started before abandonedBefore and never
	// finished). Otherwise it returns the first request's answer;
	// ECONFLICT while that request still runs, EINVALID if hash differs.
	Begin(ctx context.Context, caller, key, hash string, now, abandonedBefore time.Time) (*IdempotentAnswer, error)
	// Finish keeps the answer of the request that Begin let run.
	Finish(ctx context.Context, caller, key string, answer IdempotentAnswer) error
	// Forget drops the key, so that a retry runs again (an answer not kept).
	Forget(ctx context.Context, caller, key string) error
	// Prune drops the keys of requests started before before.
	Prune(ctx context.Context, before time.Time) (int, error)
}

// IdempotentAnswer is a kept answer: an HTTP status and body.
type IdempotentAnswer struct {
	Status int
	Body   []byte
}

// PoolStats describes a store's connection pool.
type PoolStats struct {
	MaxConns     int           // the most connections the pool opens
	OpenConns    int           // open now, in use or idle
	InUse        int           // in use now
	WaitCount    int64         // acquisitions that had to wait for a connection
	WaitDuration time.Duration // the time they waited, in all
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
	// Schema describes the tables the migrations made, by name, so that
	// engines can be checked against each other.
	Schema(ctx context.Context) (Schema, error)
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

// Schema is what a schema holds, by name: "table users", "column
// users.email", "constraint users_pkey", "index users_email_key", sorted.
// Types are left out: the engines spell them differently.
type Schema []string
