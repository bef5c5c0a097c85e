// Package service implements the domain services on top of a
// boxoffice.Store: it validates input before anything reaches a database,
// owns the rules that do not depend on the engine (no events in the past),
// and funnels bookings through the group-commit batcher.
package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/ratelimit"
)

// Service implements boxoffice.UserService, EventService and BookingService.
type Service struct {
	store   boxoffice.Store
	batcher *Batcher
	soldOut *soldOutSet
	callers *callerCache
	tokens  *auth.Tokens
	limiter boxoffice.RateLimiter
	limits  Limits
	log     *slog.Logger
	now     func() time.Time

	closeLimiter func() // stops the limiter New made, if it made one
	stopWatches  func() // stops watching for changes through other servers
}

var (
	_ boxoffice.UserService    = (*Service)(nil)
	_ boxoffice.EventService   = (*Service)(nil)
	_ boxoffice.BookingService = (*Service)(nil)
	_ boxoffice.AccountService = (*Service)(nil)
)

// Options tune a Service. Tokens is required; the rest have defaults.
type Options struct {
	Tokens  *auth.Tokens          // signs and checks bearer tokens
	Limiter boxoffice.RateLimiter // default: in memory, this process only
	Limits  *Limits               // nil: DefaultLimits; a zero Limits: none
	Logger  *slog.Logger          // default: slog.Default()

	Batch BatchOptions
	// SoldOutTTL is how long an event seen sold out is refused without a
	// transaction (default 1s). Tickets given back reopen it at once,
	// through any server where the store can watch (PostgreSQL); the TTL
	// bounds what a missed notification costs.
	SoldOutTTL time.Duration
	// CallerCacheTTL is how long a user's token version and role, read to
	// check a token, are trusted without reading them again (default 1m;
	// negative: read them on every request). Changes evict them at once,
	// through any server where the store can watch (PostgreSQL); the TTL
	// bounds what a change made by hand in the database costs.
	CallerCacheTTL time.Duration
}

// DefaultCallerCacheTTL is Options.CallerCacheTTL's default.
const DefaultCallerCacheTTL = time.Minute

// New returns a Service over store. Call Close to stop its batcher.
func New(store boxoffice.Store, opts Options) *Service {
	var owned *ratelimit.Memory
	if opts.Limiter == nil {
		owned = ratelimit.NewMemory()
		opts.Limiter = owned
	}
	limits := DefaultLimits
	if opts.Limits != nil {
		limits = *opts.Limits
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	callersTTL := opts.CallerCacheTTL
	if callersTTL == 0 {
		callersTTL = DefaultCallerCacheTTL
	}
	_, shared := store.(boxoffice.UsersWatcher)
	s := &Service{
		store:   store,
		batcher: NewBatcher(store.BookBatch, opts.Batch),
		soldOut: newSoldOutSet(opts.SoldOutTTL),
		// Shared by servers, it waits for the watch to listen; alone, it
		// hears every change already.
		callers: newCallerCache(max(callersTTL, 0), !shared),
		tokens:  opts.Tokens,
		limiter: opts.Limiter,
		limits:  limits,
		log:     opts.Logger,
		now:     boxoffice.Now,
		closeLimiter: func() {
			if owned != nil {
				owned.Close()
			}
		},
	}
	s.stopWatches = s.watch(store)
	return s
}

// watch follows, where the store can tell, what changes through other
// servers: tickets given back reopen events seen sold out here, and users'
// changes evict what checking their tokens remembered. Alone (SQLite), a
// server makes every change itself. It returns a function that stops it.
func (s *Service) watch(store boxoffice.Store) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if w, ok := store.(boxoffice.TicketsWatcher); ok {
		wg.Go(func() { w.WatchTicketsReturned(ctx, s.soldOut.clear) })
	}
	if w, ok := store.(boxoffice.UsersWatcher); ok {
		wg.Go(func() { w.WatchUsersChanged(ctx, s.callers.evict, s.callers.listening) })
	}
	return func() { cancel(); wg.Wait() }
}

// caller is the signed-in user making the request, or anonymous.
func caller(ctx context.Context) boxoffice.Caller { return boxoffice.CallerFromContext(ctx) }

// Close waits for the bookings in flight to be decided.
func (s *Service) Close() {
	s.batcher.Close()
	s.stopWatches()
	s.closeLimiter()
}

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
