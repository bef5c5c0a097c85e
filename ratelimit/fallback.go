package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/sony/gobreaker/v2"
)

// The states of a Fallback limiter, as State reports them.
const (
	// StateRedis: Redis decides, so the limits are shared by every server.
	StateRedis = "redis"
	// StateFallback: Redis failed; this server decides alone, in memory,
	// and does not call Redis until the cool-down is over.
	StateFallback = "fallback"
	// StateProbing: the cool-down is over; one call tries Redis while the
	// others are decided in memory. Its success switches back to Redis,
	// its failure starts another cool-down.
	StateProbing = "probing"
)

// Defaults of FallbackOptions.
const (
	DefaultCallTimeout = 250 * time.Millisecond
	DefaultFailures    = 3
	DefaultCoolDown    = 2 * time.Second
)

// FallbackOptions tune a Fallback; zero values mean the defaults.
type FallbackOptions struct {
	// CallTimeout bounds one call to the shared limiter: a stalled Redis
	// costs a request at most this long, and the call counts as a failure.
	CallTimeout time.Duration
	// Failures is how many calls in a row must fail to switch to memory.
	Failures int
	// CoolDown is how long calls are decided in memory alone before one
	// call probes Redis again.
	CoolDown time.Duration
	// Logger receives one line per change of state (default slog.Default()).
	Logger *slog.Logger
	// OnStateChange, if set, is called with the old and new state (StateRedis,
	// StateFallback or StateProbing) on every change, for metrics and
	// readiness. It runs synchronously inside the state change: it must be
	// quick and must not call Allow (State is fine).
	OnStateChange func(from, to string)
}

// Fallback is a RateLimiter that asks a shared limiter (Redis) and, while
// that one fails, decides in memory instead: it never lets an event through
// because the shared limiter is down, so sign-in brute-force protection
// stays on during a Redis outage, per server.
//
// A circuit breaker (sony/gobreaker) keeps a dead Redis from costing every
// request: after Failures failed calls in a row it opens, and calls are
// decided in memory without touching Redis. After CoolDown, a single call
// probes Redis (half-open); its success closes the breaker, its failure
// opens it again. Each change of state is logged once, never per request.
//
// The memory limiter counts every event, even while Redis decides, so on
// a switch to memory this server starts from the counts it has seen itself
// rather than from zero.
type Fallback struct {
	shared   boxoffice.RateLimiter
	memory   *Memory
	breaker  *gobreaker.CircuitBreaker[time.Duration]
	timeout  time.Duration
	log      *slog.Logger
	onChange func(from, to string)

	state   atomic.Pointer[string]
	lastErr atomic.Pointer[error]     // the latest failure of the shared limiter, for the log
	down    atomic.Pointer[time.Time] // when Redis was last left
}

// NewFallback returns a limiter that asks shared (a *Redis) and falls back
// to an in-memory limiter of its own while shared fails. Close stops the
// in-memory limiter's sweeper.
func NewFallback(shared boxoffice.RateLimiter, opts FallbackOptions) *Fallback {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.Failures <= 0 {
		opts.Failures = DefaultFailures
	}
	if opts.CoolDown <= 0 {
		opts.CoolDown = DefaultCoolDown
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	f := &Fallback{
		shared:   shared,
		memory:   NewMemory(),
		timeout:  opts.CallTimeout,
		log:      opts.Logger,
		onChange: opts.OnStateChange,
	}
	s := StateRedis
	f.state.Store(&s)
	failures := uint32(opts.Failures)
	f.breaker = gobreaker.NewCircuitBreaker[time.Duration](gobreaker.Settings{
		Name:        "redis",
		MaxRequests: 1, // one probe when half-open
		Timeout:     opts.CoolDown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsExcluded:  func(err error) bool { return errors.Is(err, errCallerGone) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			f.changed(stateName(from), stateName(to))
		},
	})
	return f
}

// errCallerGone marks a failure of the shared limiter that is the caller's
// doing (its context ended first): it says nothing of Redis's health.
var errCallerGone = errors.New("ratelimit: caller gone")

// Allow implements boxoffice.RateLimiter. Its only error is
// ErrInvalidLimit: when the shared limiter fails, memory decides.
func (f *Fallback) Allow(ctx context.Context, key string, limit boxoffice.Limit) (time.Duration, error) {
	local, err := f.memory.Allow(ctx, key, limit)
	if err != nil {
		return 0, err
	}
	shared, err := f.breaker.Execute(func() (time.Duration, error) {
		return f.allowShared(ctx, key, limit)
	})
	if err != nil {
		return local, nil
	}
	return shared, nil
}

func (f *Fallback) allowShared(ctx context.Context, key string, limit boxoffice.Limit) (time.Duration, error) {
	callCtx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	d, err := f.shared.Allow(callCtx, key, limit)
	if err != nil {
		if ctx.Err() != nil {
			return 0, errors.Join(errCallerGone, err)
		}
		f.lastErr.Store(&err)
	}
	return d, err
}

// State is StateRedis, StateFallback or StateProbing. The switch from
// StateFallback to StateProbing happens on the first call after the
// cool-down.
func (f *Fallback) State() string { return *f.state.Load() }

// DownSince is when this server last stopped sharing the limits through
// Redis; the zero time while it shares them (StateRedis).
func (f *Fallback) DownSince() time.Time {
	if f.State() == StateRedis {
		return time.Time{}
	}
	if p := f.down.Load(); p != nil {
		return *p
	}
	return time.Time{}
}

// changed runs under the breaker's lock, once per change of state.
func (f *Fallback) changed(from, to string) {
	now := time.Now()
	if from == StateRedis {
		f.down.Store(&now) // before the state, for DownSince
	}
	f.state.Store(&to)
	var cause any
	if p := f.lastErr.Load(); p != nil {
		cause = (*p).Error()
	}
	switch {
	case from == StateRedis && to == StateFallback:
		f.log.Warn("rate limits: Redis is unreachable; this server counts them alone, in memory, until Redis answers again",
			"from", from, "to", to, "err", cause)
	case to == StateRedis:
		f.log.Info("rate limits: Redis answers again; limits are shared again",
			"from", from, "to", to, "after", now.Sub(*f.down.Load()).Round(time.Millisecond).String())
	case to == StateProbing:
		f.log.Debug("rate limits: probing Redis", "from", from, "to", to)
	default: // a failed probe
		f.log.Debug("rate limits: Redis is still unreachable", "from", from, "to", to, "err", cause)
	}
	if f.onChange != nil {
		f.onChange(from, to)
	}
}

func stateName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return StateFallback
	case gobreaker.StateHalfOpen:
		return StateProbing
	default:
		return StateRedis
	}
}

// Close stops the in-memory limiter's sweeper. It does not close the
// shared limiter's Redis client, which its opener owns.
func (f *Fallback) Close() error { return f.memory.Close() }
