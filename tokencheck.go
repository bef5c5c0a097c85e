package boxoffice

import (
	"context"
	"sync"
)

// ErrTokenRevoked refuses a token that was good when issued but whose user
// has since signed out, changed password or role (User.TokenVersion), or
// is gone.
var ErrTokenRevoked = Errorf(EUNAUTHENTICATED, "token revoked: sign in again")

// A TokenCheck is the part of checking a bearer token that a request put
// off: the token's signature and expiry are good, and whether it was
// revoked since it was issued (its Version against the user's
// TokenVersion) is left to the transaction that uses it.
//
// createBooking does this for a buyer whose user the server has not read
// yet (AccountService.Authenticate): the booking's transaction reads the
// buyer's row anyway, so the check costs no query of its own, where a
// read before it kept every new buyer of an on-sale waiting. Until the
// check is done its Caller has no role, and the policies let it book for
// itself and do nothing else (CanBookFor).
type TokenCheck struct {
	Version int // the token's: its user's TokenVersion when it was issued

	now    func(context.Context) (Caller, error)
	passed func(*User)

	mu      sync.Mutex
	outcome tokenOutcome
	role    Role
}

type tokenOutcome int8

const (
	tokenUnchecked tokenOutcome = iota
	tokenPassed
	tokenRevoked
)

// NewTokenCheck puts off the check of a token of this version. now checks
// it at once by reading its user, for a request that cannot wait; passed
// is told of the user when a transaction found the token current, with
// the row it read.
func NewTokenCheck(version int, now func(context.Context) (Caller, error), passed func(*User)) *TokenCheck {
	return &TokenCheck{Version: version, now: now, passed: passed}
}

// Now checks the token at once and returns its caller with their role:
// for a request that needs the role first. EUNAUTHENTICATED for a revoked
// token; EUNAVAILABLE or EINTERNAL when the user could not be read.
func (t *TokenCheck) Now(ctx context.Context) (Caller, error) {
	c, err := t.now(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case err == nil:
		t.outcome, t.role = tokenPassed, c.Role
	case ErrorCode(err) == EUNAUTHENTICATED:
		t.outcome = tokenRevoked
	}
	return c, err
}

// Passed records that a transaction found the token current; u is its
// user as the transaction read it, whose role the caller now has.
func (t *TokenCheck) Passed(u *User) {
	t.mu.Lock()
	t.outcome, t.role = tokenPassed, u.Role
	t.mu.Unlock()
	if t.passed != nil {
		t.passed(u)
	}
}

// Refused records that a transaction found the token revoked.
func (t *TokenCheck) Refused() {
	t.mu.Lock()
	t.outcome = tokenRevoked
	t.mu.Unlock()
}

// Revoked reports whether the token was found revoked: the HTTP layer then
// answers 401, as it does for a token it refuses itself.
func (t *TokenCheck) Revoked() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.outcome == tokenRevoked
}

// passedAs returns the caller's role once the token passed.
func (t *TokenCheck) passedAs() (Role, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.role, t.outcome == tokenPassed
}
