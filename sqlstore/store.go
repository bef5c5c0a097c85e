// Package sqlstore is boxoffice's one implementation of boxoffice.Store: a
// store per entity, written once in SQL that both engines run. The postgres
// and sqlite packages are its drivers (Driver): they connect, run
// statements, say what a failed statement broke, and spell the few pieces
// of SQL the engines spell differently (Dialect). Their migrations are
// their own, and the storetest suite holds both to one schema.
package sqlstore

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// Store implements boxoffice.Store over a Driver.
type Store struct {
	scope
}

var _ boxoffice.Store = (*Store)(nil)

// New returns the stores of the database d connects to. Closing the Store
// closes d.
func New(d Driver) *Store { return &Store{scope{d: watchWrites(d)}} }

// InTx runs fn in one transaction and commits it if fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx boxoffice.Tx) error) error {
	err := inTx(ctx, s.d, func(tx Tx) error { return fn(txStores{scope{d: s.d, tx: tx}}) })
	return s.fail(err, "commit", "transaction")
}

// Watch calls fn with every broadcast change committed through any server.
func (s *Store) Watch(ctx context.Context, fn func(boxoffice.Change), listening func(bool)) {
	s.d.Watch(ctx, func(payload string) {
		if c, ok := decodeChange(payload); ok {
			fn(c)
		}
	}, listening)
}

func (s *Store) Ping(ctx context.Context) error         { return s.d.Ping(ctx) }
func (s *Store) StatementCount() int64                  { return s.d.StatementCount() }
func (s *Store) PoolStats() boxoffice.PoolStats         { return s.d.PoolStats() }
func (s *Store) Close() error                           { return s.d.Close() }
func (s *Store) Driver() Driver                         { return s.d }
func (s scope) Users() boxoffice.UserStore              { return users{s} }
func (s scope) Events() boxoffice.EventStore            { return events{s} }
func (s scope) Bookings() boxoffice.BookingStore        { return bookings{s} }
func (s scope) Tickets() boxoffice.TicketStore          { return tickets{s} }
func (s scope) Changes() boxoffice.ChangeStore          { return changes{s} }
func (s scope) Payments() boxoffice.PaymentStore        { return payments{s} }
func (s scope) Idempotency() boxoffice.IdempotencyStore { return idempotency{s} }
func (s scope) Waitlist() boxoffice.WaitlistStore       { return waitlist{s} }
func (s scope) TicketTypes() boxoffice.TicketTypeStore  { return ticketTypes{s} }
func (s scope) PromoCodes() boxoffice.PromoCodeStore    { return promoCodes{s} }
func (s scope) Webhooks() boxoffice.WebhookStore        { return webhooks{s} }
func (s scope) Reminders() boxoffice.ReminderStore      { return reminders{s} }

// scope is where the entity stores run: on the database, or in one
// transaction. The same code serves both.
type scope struct {
	d  Driver
	tx Tx // nil outside a transaction
}

// read runs statements that only read: in the transaction, or outside one.
func (s scope) read(ctx context.Context, qs ...*Query) error {
	if s.tx != nil {
		return s.tx.Run(ctx, qs...)
	}
	return s.d.Run(ctx, qs...)
}

// write runs fn in the scope's transaction, or in one of its own.
func (s scope) write(ctx context.Context, fn func(tx Tx) error) error {
	if s.tx != nil {
		return fn(s.tx)
	}
	return inTx(ctx, s.d, fn)
}

// inTx runs fn in a new transaction of d, committed if fn returns nil.
func inTx(ctx context.Context, d Driver, fn func(Tx) error) error {
	tx, err := d.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() // unless committed; on a panic too
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// txStores is a transaction as the domain sees it.
type txStores struct{ scope }

func (t txStores) Native(ctx context.Context) (any, error) { return t.tx.Native(ctx) }
