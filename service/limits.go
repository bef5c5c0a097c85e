package service

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Limits are the rate limits the service enforces.
type Limits struct {
	SignInPerAddr    boxoffice.Limit // sign-in attempts from one client address
	SignInPerEmail   boxoffice.Limit // sign-in attempts for one account: stops brute force
	SignUpPerAddr    boxoffice.Limit // accounts created from one client address
	MutationsPerUser boxoffice.Limit // bookings, cancellations and other changes by one user
}

// DefaultLimits are generous for people and tight for scripts.
var DefaultLimits = Limits{
	SignInPerAddr:    boxoffice.Limit{Events: 20, Per: time.Minute},
	SignInPerEmail:   boxoffice.Limit{Events: 5, Per: time.Minute},
	SignUpPerAddr:    boxoffice.Limit{Events: 10, Per: time.Hour},
	MutationsPerUser: boxoffice.Limit{Events: 120, Per: time.Minute},
}

// guard counts one event against a security limit: over it, or when the
// limiter itself fails, the request is refused (fail closed).
func (b *base) guard(ctx context.Context, what, key string, l boxoffice.Limit) error {
	if l.Events <= 0 {
		return nil
	}
	wait, err := b.limiter.Allow(ctx, key, l)
	if err != nil {
		return err // INTERNAL: never let an outage open the door to brute force
	}
	if wait > 0 {
		b.metrics.RateLimited(what)
		return boxoffice.RateLimited(what, wait)
	}
	return nil
}

// guardAddr is guard keyed on the client's address. Without one (a call
// that did not come over the network) there is nothing to key on.
func (b *base) guardAddr(ctx context.Context, what, prefix string, l boxoffice.Limit) error {
	addr := boxoffice.ClientAddrFromContext(ctx)
	if addr == "" {
		return nil
	}
	return b.guard(ctx, what, prefix+addr, l)
}

// spendMutation counts a change against the caller's budget. A failing
// limiter lets the change through (fail open): a limiter outage must not
// stop ticket sales.
func (b *base) spendMutation(ctx context.Context) error {
	c := caller(ctx)
	if c.UserID == "" || b.limits.MutationsPerUser.Events <= 0 { // anonymous, or an operator
		return nil
	}
	wait, err := b.limiter.Allow(ctx, "mutation:user:"+c.UserID, b.limits.MutationsPerUser)
	if err != nil {
		b.log.ErrorContext(ctx, "rate limiter failed; letting the mutation through", "err", err,
			"request_id", boxoffice.RequestIDFromContext(ctx))
		return nil
	}
	if wait > 0 {
		b.metrics.RateLimited("changes")
		return boxoffice.RateLimited("changes", wait)
	}
	return nil
}
