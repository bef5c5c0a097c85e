package service

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Idempotency implements boxoffice.IdempotencyService over the store.
type Idempotency struct {
	*base
	// abandoned is how long a first request may run: after it, a retry
	// takes the key over (the first request's server died).
	abandoned time.Duration
}

// DefaultRequestLifetime is how long a request may take before a retry
// with its Idempotency-Key is let run: HTTP_REQUEST_TIMEOUT's default and
// some.
const DefaultRequestLifetime = 45 * time.Second

// callerKey names the caller whose keys these are: a user, or the client
// address of an anonymous caller.
func callerKey(ctx context.Context) string {
	if c := caller(ctx); c.UserID != "" {
		return "user:" + c.UserID
	}
	return "addr:" + boxoffice.ClientAddrFromContext(ctx)
}

func (s *Idempotency) Begin(ctx context.Context, key, hash string) (*boxoffice.IdempotentAnswer, error) {
	now := s.now()
	return s.store.Idempotency().Begin(ctx, callerKey(ctx), key, hash, now, now.Add(-s.abandoned))
}

func (s *Idempotency) Finish(ctx context.Context, key string, answer boxoffice.IdempotentAnswer) error {
	return s.store.Idempotency().Finish(ctx, callerKey(ctx), key, answer)
}

func (s *Idempotency) Forget(ctx context.Context, key string) error {
	return s.store.Idempotency().Forget(ctx, callerKey(ctx), key)
}
