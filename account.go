package boxoffice

import (
	"context"
	"time"
	"unicode/utf8"
)

// Password length rules: long enough to resist guessing, short enough that
// hashing a hostile input costs nothing special.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 128
)

// ValidatePassword returns EINVALID for a password outside the length rules.
func ValidatePassword(field, password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength || n > MaxPasswordLength {
		return Invalidf(field, "%s must be %d to %d characters", field, MinPasswordLength, MaxPasswordLength)
	}
	return nil
}

// AuthPayload is what signing up or in returns.
type AuthPayload struct {
	Token     string // a signed JWT, sent back as Authorization: Bearer <token>
	ExpiresAt time.Time
	User      *User
}

// SignUpInput is a new customer account.
type SignUpInput struct {
	Username string
	Email    string
	Password string
}

// AccountService signs users up, in and out. The caller comes from the
// context (CallerFromContext).
type AccountService interface {
	// SignUp creates a CUSTOMER and signs them in. EINVALID, ECONFLICT
	// (email taken), ERATELIMITED.
	SignUp(ctx context.Context, in SignUpInput) (*AuthPayload, error)
	// SignIn checks the password. EUNAUTHENTICATED for a wrong email or
	// password (the same message for both), ERATELIMITED.
	SignIn(ctx context.Context, email, password string) (*AuthPayload, error)
	// SignOut revokes every token of the caller. EUNAUTHENTICATED.
	SignOut(ctx context.Context) error
	// ChangePassword revokes every earlier token and returns a new one.
	// EUNAUTHENTICATED (also for a wrong current password), EINVALID.
	ChangePassword(ctx context.Context, current, next string) (*AuthPayload, error)
	// Me returns the caller. EUNAUTHENTICATED.
	Me(ctx context.Context) (*User, error)
	// Authenticate turns a bearer token into a caller. EUNAUTHENTICATED for
	// a tampered, expired, wrongly signed or revoked token; EUNAVAILABLE
	// when its user could not be read now. deferrable (nil: never) is
	// asked when checking the token for revocation would cost a read: if
	// it says yes, the caller comes back with that check still to do
	// (Caller.Token), for the request's booking to do (TokenCheck).
	Authenticate(ctx context.Context, token string, deferrable func() bool) (Caller, error)
}

// IdempotencyService keeps the answers of requests sent with an
// Idempotency-Key, per caller, so that a client that retries (after a
// connection died during a commit, say) gets the first answer, and the
// work is done once.
type IdempotencyService interface {
	// Begin claims key for the caller in ctx and the request with this
	// hash. nil: run the request, then Finish or Forget. Otherwise the
	// first answer, to send again. ECONFLICT while the first request runs;
	// EINVALID if the key was used for another request.
	Begin(ctx context.Context, key, hash string) (*IdempotentAnswer, error)
	// Finish keeps the answer of a request Begin let run.
	Finish(ctx context.Context, key string, answer IdempotentAnswer) error
	// Forget drops the key: the answer is not one to send again.
	Forget(ctx context.Context, key string) error
}
