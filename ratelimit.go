package boxoffice

import (
	"context"
	"fmt"
	"time"
)

// Limit allows Events per Per window.
type Limit struct {
	Events int
	Per    time.Duration
}

// RateLimiter counts events per key in fixed windows. The ratelimit package
// has an in-memory one (one server) and a Redis one (shared by servers).
type RateLimiter interface {
	// Allow counts one event for key and returns 0 if it is within limit,
	// or how long until the key's window resets. An error means the
	// limiter itself failed (Redis unreachable): callers fail open or
	// closed as the limit's purpose demands.
	Allow(ctx context.Context, key string, limit Limit) (retryAfter time.Duration, err error)
}

// RateLimited returns the ERATELIMITED error for a wait of retryAfter.
func RateLimited(what string, retryAfter time.Duration) *Error {
	secs := int(retryAfter.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return &Error{Code: ERATELIMITED, RetryAfter: time.Duration(secs) * time.Second,
		Message: fmt.Sprintf("%s: too many attempts, try again in %d s", what, secs)}
}
