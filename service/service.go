// Package service implements the domain services on top of a
// boxoffice.Store: it validates input before anything reaches a database,
// owns the rules that do not depend on the engine (no events in the past),
// and funnels bookings through the group-commit batcher.
package service

import (
	"time"

	"github.com/boxoffice/boxoffice"
)

// Service implements boxoffice.UserService, EventService and BookingService.
type Service struct {
	store   boxoffice.Store
	batcher *Batcher
	soldOut *soldOutSet
	now     func() time.Time
}

var (
	_ boxoffice.UserService    = (*Service)(nil)
	_ boxoffice.EventService   = (*Service)(nil)
	_ boxoffice.BookingService = (*Service)(nil)
)

// Options tune a Service; the zero value is ready for production.
type Options struct {
	Batch BatchOptions
	// SoldOutTTL is how long an event seen sold out is refused without a
	// transaction (default 1s). Cancellations through this server reopen
	// the event at once; the TTL bounds how long a cancellation through
	// another server goes unseen here.
	SoldOutTTL time.Duration
}

// New returns a Service over store. Call Close to stop its batcher.
func New(store boxoffice.Store, opts Options) *Service {
	return &Service{
		store:   store,
		batcher: NewBatcher(store.BookBatch, opts.Batch),
		soldOut: newSoldOutSet(opts.SoldOutTTL),
		now:     boxoffice.Now,
	}
}

// Close waits for the bookings in flight to be decided.
func (s *Service) Close() { s.batcher.Close() }

// validID returns EINVALID naming field when id is not a UUID.
func validID(field, id string) error {
	if !boxoffice.ValidID(id) {
		return boxoffice.Invalidf(field, "%s is not a valid ID", field)
	}
	return nil
}

// validIDs drops malformed ids: batched loaders ask for ids that came from
// the database, so a malformed one can only match nothing.
func validIDs(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if boxoffice.ValidID(id) {
			out = append(out, id)
		}
	}
	return out
}

// validCount returns EINVALID unless 1 <= n <= max.
func validCount(field string, n, max int) error {
	if n < 1 || n > max {
		return boxoffice.Invalidf(field, "%s must be between 1 and %d, got %d", field, max, n)
	}
	return nil
}
