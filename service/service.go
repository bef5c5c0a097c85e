// Package service implements the domain services on top of a
// boxoffice.Store, one per entity: it validates input before anything
// reaches a database, asks policy.go who may do what, owns the rules that
// do not depend on the engine (no events in the past, when a booking may be
// cancelled), makes each change and its record in one transaction, and
// funnels bookings through the group-commit batcher.
package service

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/mail"
	"github.com/boxoffice/boxoffice/ratelimit"
	"github.com/boxoffice/boxoffice/webhooks"
)

// Services are the domain services over one store.
type Services struct {
	Users       *Users
	Events      *Events
	Bookings    *Bookings
	Accounts    *Accounts
	Tickets     *Tickets
	Waitlist    *Waitlist
	Idempotency *Idempotency
	Webhooks    *Webhooks
	// Notifications relay changes to email, webhooks and the event stream.
	Notifications *Notifications

	stop func() // stops the batcher, the watch and the limiter New made
}

var (
	_ boxoffice.UserService    = (*Users)(nil)
	_ boxoffice.EventService   = (*Events)(nil)
	_ boxoffice.BookingService = (*Bookings)(nil)
	_ boxoffice.AccountService = (*Accounts)(nil)

	_ boxoffice.IdempotencyService = (*Idempotency)(nil)
)

// Options tune the services. Tokens is required to sign users in; the rest
// have defaults.
type Options struct {
	Tokens  *auth.Tokens          // signs and checks bearer tokens
	Limiter boxoffice.RateLimiter // default: in memory, this process only
	Limits  *Limits               // nil: DefaultLimits; a zero Limits: none
	Logger  *slog.Logger          // default: slog.Default()
	Metrics Metrics               // default: none

	// Payments takes payments for held bookings; nil: none, and every
	// booking is confirmed at once (PAYMENT_PROVIDER=none).
	Payments boxoffice.PaymentProvider
	// Hold is how long a booking that costs something holds its tickets
	// while its buyer pays (default 15m); only with Payments.
	Hold time.Duration
	// OfferTTL is how long a waiting list's offer holds its tickets while
	// its buyer pays (default 2h); only with Payments.
	OfferTTL time.Duration
	// Currency of new events (default "EUR").
	Currency string
	// Jobs runs background work (payment answers, refunds); required with
	// Payments.
	Jobs boxoffice.JobQueue

	// Mail sends the emails changes call for (mail.SMTP, or mail.Outbox
	// for the demo); nil: none are sent.
	Mail mail.Sender
	// WebhookAllowPrivate lets webhooks reach loopback and private
	// addresses (WEBHOOK_ALLOW_PRIVATE): for tests and private networks.
	WebhookAllowPrivate bool
	// WebhookClient delivers webhooks; nil: one made with
	// WebhookAllowPrivate. WebhookBackoff is the wait after a failed
	// attempt; nil: webhooks.Backoff.
	WebhookClient  *webhooks.Client
	WebhookBackoff func(attempt int) time.Duration
	// Stream publishes every change (eventstream.Stream, NATS_URL); nil:
	// none, and changes are not kept for a stream configured later.
	Stream Publisher

	Batch BatchOptions
	// SoldOutTTL is how long an event seen sold out is refused without a
	// transaction (default 1s). Tickets given back reopen it at once,
	// through any server (Store.Watch); the TTL bounds what a missed
	// notification costs.
	SoldOutTTL time.Duration
	// RequestLifetime is how long a request may run before a retry with
	// its Idempotency-Key may run it again (default
	// DefaultRequestLifetime).
	RequestLifetime time.Duration
	// CallerCacheTTL is how long a user's token version and role, read to
	// check a token, are trusted without reading them again (default 1m;
	// negative: read them on every request). Changes evict them at once,
	// through any server (Store.Watch); the TTL bounds what a change made
	// by hand in the database costs.
	CallerCacheTTL time.Duration
}

// watchStartWait is how long New waits for the store's watch to listen.
const watchStartWait = time.Second

// DefaultHold is Options.Hold's default: HOLD_TTL.
const DefaultHold = 15 * time.Minute

// DefaultCallerCacheTTL is Options.CallerCacheTTL's default.
const DefaultCallerCacheTTL = time.Minute

// base is what every service shares.
type base struct {
	store    boxoffice.Store
	jobs     boxoffice.JobQueue
	currency string
	limiter  boxoffice.RateLimiter
	limits   Limits
	log      *slog.Logger
	metrics  Metrics
	now      func() time.Time
	// react applies a committed change to what this server keeps in
	// memory. Every change comes back through the store's watch too, but
	// a change made here must hold from this server's next request on.
	react func(boxoffice.Change)
}

// New returns the services over store. Call Close to stop them.
func New(store boxoffice.Store, opts Options) *Services {
	var owned *ratelimit.Memory
	if opts.Limiter == nil {
		owned = ratelimit.NewMemory()
		opts.Limiter = owned
	}
	limits := DefaultLimits
	if opts.Limits != nil {
		limits = *opts.Limits
	}
	b := &base{store: store, jobs: opts.Jobs, currency: cmp.Or(opts.Currency, "EUR"), limiter: opts.Limiter, limits: limits,
		log: opts.Logger, metrics: opts.Metrics, now: boxoffice.Now}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.metrics == nil {
		b.metrics = noMetrics{}
	}
	if b.jobs == nil {
		b.jobs = noJobs{}
	}
	callersTTL := opts.CallerCacheTTL
	if callersTTL == 0 {
		callersTTL = DefaultCallerCacheTTL
	}
	bookings := &Bookings{base: b, soldOut: newSoldOutSet(opts.SoldOutTTL), payments: opts.Payments}
	if opts.Payments != nil {
		bookings.terms = boxoffice.BookingTerms{Hold: cmp.Or(opts.Hold, DefaultHold), Provider: opts.Payments.Name()}
	}
	bookings.batcher = NewBatcher(bookings.bookBatch, opts.Batch, b.metrics)
	// The caches hold nothing until the watch listens: they could miss a change.
	accounts := newAccounts(b, opts.Tokens, newCallerCache(max(callersTTL, 0), false))
	waitlist := &Waitlist{base: b}
	if opts.Payments != nil {
		waitlist.terms = boxoffice.BookingTerms{Hold: cmp.Or(opts.OfferTTL, DefaultOfferTTL), Provider: opts.Payments.Name()}
	}
	s := &Services{Users: &Users{base: b}, Events: &Events{base: b}, Bookings: bookings, Accounts: accounts, Tickets: &Tickets{base: b},
		Waitlist:    waitlist,
		Idempotency: &Idempotency{base: b, abandoned: cmp.Or(opts.RequestLifetime, DefaultRequestLifetime)},
		Webhooks:    &Webhooks{base: b, allowPrivate: opts.WebhookAllowPrivate}}
	s.Notifications = &Notifications{base: b, mail: opts.Mail, hooks: opts.WebhookClient, stream: opts.Stream, backoff: opts.WebhookBackoff,
		rushing: bookings.batcher.Rushing}
	if s.Notifications.hooks == nil {
		s.Notifications.hooks = webhooks.NewClient(webhooks.Options{AllowPrivate: opts.WebhookAllowPrivate})
	}
	if s.Notifications.backoff == nil {
		s.Notifications.backoff = webhooks.Backoff
	}
	b.react = s.react

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	heard := make(chan struct{})
	var once sync.Once
	wg.Go(func() {
		store.Watch(ctx, s.react, func(on bool) {
			s.listening(on)
			if on {
				once.Do(func() { close(heard) })
			}
		})
	})
	// The caches work from the first request where the watch is quick to
	// listen (at once on the embedded database); a database slow to answer
	// only delays them.
	select {
	case <-heard:
	case <-time.After(watchStartWait):
	}
	s.stop = func() {
		bookings.batcher.Close()
		cancel()
		wg.Wait()
		if owned != nil {
			owned.Close()
		}
	}
	return s
}

// react applies a change, committed here or through another server, to
// what this server keeps in memory: tickets given back reopen an event
// seen sold out, and a user's new role or token version evicts what
// checking their tokens remembered.
func (s *Services) react(c boxoffice.Change) {
	if c.TicketsReturned > 0 && c.EventID != "" {
		s.Bookings.soldOut.clear(c.EventID)
	}
	if c.Kind == boxoffice.ChangeUserChanged && c.UserID != "" {
		s.Accounts.callers.evict(c.UserID)
	}
}

// listening is the store watch's state. What this server remembers about
// other servers' changes holds only while it hears all of them.
func (s *Services) listening(on bool) {
	s.Accounts.callers.listening(on)
	s.Bookings.soldOut.listening(on)
}

// Close waits for the bookings in flight to be decided, and stops watching.
func (s *Services) Close() { s.stop() }

// caller is the signed-in user making the request, or anonymous.
func caller(ctx context.Context) boxoffice.Caller { return boxoffice.CallerFromContext(ctx) }

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

// change runs fn in one transaction and records, in the same transaction,
// the changes fn returns; once they are committed it applies them to this
// server's memory (react).
func (b *base) change(ctx context.Context, fn func(tx boxoffice.Tx) ([]*boxoffice.Change, error)) error {
	var changes []*boxoffice.Change
	err := b.store.InTx(ctx, func(tx boxoffice.Tx) error {
		var err error
		if changes, err = fn(tx); err != nil {
			return err
		}
		for _, c := range changes {
			if err := tx.Changes().Record(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		b.react(*c)
	}
	return nil
}

// noJobs is the job queue of services made without one: what needs a job
// fails, saying so.
type noJobs struct{}

func (noJobs) EnqueueTx(context.Context, boxoffice.Tx, ...boxoffice.Job) error {
	return errors.New("service: no job queue configured")
}
