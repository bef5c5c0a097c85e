// Package ratelimit implements boxoffice.RateLimiter with fixed windows per
// key: Memory for a single server, Redis for servers that share limits.
//
// A key's window starts at its first event and lasts limit.Per; the first
// limit.Events events in it are allowed, later ones get the time until the
// window ends. Callers should put the limit's purpose in the key ("login:" +
// addr), since one key's window has one length.
package ratelimit

import (
	"errors"
	"fmt"

	"github.com/boxoffice/boxoffice"
)

// ErrInvalidLimit is returned for a limit without events or a window.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

func checkLimit(l boxoffice.Limit) error {
	if l.Events < 1 || l.Per <= 0 {
		return fmt.Errorf("%w: %d per %v", ErrInvalidLimit, l.Events, l.Per)
	}
	return nil
}
