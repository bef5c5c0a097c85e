package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
)

// Accounts implements boxoffice.AccountService: signing up, in and out,
// and turning bearer tokens into callers.
type Accounts struct {
	*base
	tokens  *auth.Tokens
	callers *callerCache
	// tokenUsers reads the users of tokens the cache does not know, those
	// of requests arriving within tokenUserWait of each other in one
	// query: at an on-sale's opening, thousands of buyers arrive with
	// tokens this server has not seen, and one query (and one database
	// connection) each would make the bookings wait for connections.
	tokenUsers *dataloadgen.Loader[string, *boxoffice.User]
}

// tokenUserWait is how long a token's user lookup waits for others to go
// with it, and tokenUserBatch how many go in one query at most. The wait
// is added to a new buyer's first request; shorter waits make more
// queries, which take the database from the bookings (an on-sale's holds
// per second, 60,000 buyers: 0.5 ms 4,914; 1 ms 5,582 to 6,015; 2 ms 5,425
// to 5,640; 4 ms 5,320; one machine, one run each, noisy).
const (
	tokenUserWait  = time.Millisecond
	tokenUserBatch = 500
	// tokenUserTimeout bounds one lookup, which serves many requests and
	// so outlives the one that started it.
	tokenUserTimeout = 10 * time.Second
)

func newAccounts(b *base, tokens *auth.Tokens, callers *callerCache) *Accounts {
	s := &Accounts{base: b, tokens: tokens, callers: callers}
	s.tokenUsers = dataloadgen.NewLoader(s.usersByID, dataloadgen.WithWait(tokenUserWait),
		dataloadgen.WithBatchCapacity(tokenUserBatch), dataloadgen.WithoutCache())
	return s
}

// usersByID is tokenUsers' query: one user, or ENOTFOUND, per id.
func (s *Accounts) usersByID(ctx context.Context, ids []string) ([]*boxoffice.User, []error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenUserTimeout)
	defer cancel()
	users := make([]*boxoffice.User, len(ids))
	errs := make([]error, len(ids))
	found, err := s.store.Users().ByIDs(ctx, ids)
	byID := make(map[string]*boxoffice.User, len(found))
	for _, u := range found {
		byID[strings.ToLower(u.ID)] = u
	}
	for i, id := range ids {
		switch users[i] = byID[strings.ToLower(id)]; {
		case err != nil:
			errs[i] = err
		case users[i] == nil:
			errs[i] = boxoffice.Errorf(boxoffice.ENOTFOUND, "user not found")
		}
	}
	return users, errs
}

var errWrongCredentials = boxoffice.Errorf(boxoffice.EUNAUTHENTICATED, "wrong email or password")

// SignUp creates a customer account and signs it in.
func (s *Accounts) SignUp(ctx context.Context, in boxoffice.SignUpInput) (*boxoffice.AuthPayload, error) {
	u := &boxoffice.User{Username: in.Username, Email: in.Email, Role: boxoffice.RoleCustomer}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := boxoffice.ValidatePassword("password", in.Password); err != nil {
		return nil, err
	}
	if err := s.guardAddr(ctx, "sign-up", "signup:addr:", s.limits.SignUpPerAddr); err != nil {
		return nil, err
	}
	if err := s.insertUser(ctx, u, in.Password); err != nil {
		return nil, err
	}
	return s.issue(u)
}

// SignIn checks the email and password. A wrong email and a wrong password
// get the same answer, after the same work, so ids of accounts stay secret.
func (s *Accounts) SignIn(ctx context.Context, email, password string) (*boxoffice.AuthPayload, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, boxoffice.Invalidf("email", "email is required")
	}
	if len(password) > 4*boxoffice.MaxPasswordLength {
		return nil, errWrongCredentials // never hash a hostile megabyte
	}
	if err := s.guardAddr(ctx, "sign-in", "signin:addr:", s.limits.SignInPerAddr); err != nil {
		return nil, err
	}
	if err := s.guard(ctx, "sign-in", "signin:email:"+email, s.limits.SignInPerEmail); err != nil {
		return nil, err
	}
	u, err := s.store.Users().ByEmail(ctx, email)
	hash := ""
	if err == nil {
		hash = u.PasswordHash
	} else if boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		return nil, err
	}
	ok, err := auth.CheckPassword(hash, password) // hashes even without an account: same timing
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errWrongCredentials
	}
	s.rehash(ctx, u, password)
	return s.issue(u)
}

// rehash replaces a password hash made with weaker parameters than
// HashPassword uses now, once the password is known to be right. Signing
// in does not fail for it: the old hash still works.
func (s *Accounts) rehash(ctx context.Context, u *boxoffice.User, password string) {
	if !auth.NeedsRehash(u.PasswordHash) {
		return
	}
	hash, err := auth.HashPassword(password)
	if err == nil {
		_, err = s.store.Users().Update(ctx, u.ID, boxoffice.UserUpdate{PasswordHash: &hash})
	}
	if err != nil {
		s.log.WarnContext(ctx, "could not replace a weak password hash", "user_id", u.ID, "err", err)
	}
}

// SignOut revokes every token the caller holds.
func (s *Accounts) SignOut(ctx context.Context) error {
	c := caller(ctx)
	if c.Anonymous() {
		return boxoffice.Errorf(boxoffice.EUNAUTHENTICATED, "sign in first")
	}
	_, err := s.updateUser(ctx, c.UserID, boxoffice.UserUpdate{BumpTokenVersion: true})
	return err
}

// ChangePassword checks the current password, sets the new one, revokes
// every earlier token and returns a fresh one.
func (s *Accounts) ChangePassword(ctx context.Context, current, next string) (*boxoffice.AuthPayload, error) {
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.Errorf(boxoffice.EUNAUTHENTICATED, "sign in first")
	}
	if err := boxoffice.ValidatePassword("newPassword", next); err != nil {
		return nil, err
	}
	if err := s.guard(ctx, "password change", "signin:user:"+c.UserID, s.limits.SignInPerEmail); err != nil {
		return nil, err
	}
	u, err := s.store.Users().ByID(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	if ok, err := auth.CheckPassword(u.PasswordHash, current); err != nil {
		return nil, err
	} else if !ok {
		return nil, boxoffice.Invalidf("currentPassword", "the current password is wrong")
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return nil, err
	}
	u, err = s.updateUser(ctx, u.ID, boxoffice.UserUpdate{PasswordHash: &hash, BumpTokenVersion: true})
	if err != nil {
		return nil, err
	}
	return s.issue(u)
}

// Me returns the signed-in user.
func (s *Accounts) Me(ctx context.Context) (*boxoffice.User, error) {
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.Errorf(boxoffice.EUNAUTHENTICATED, "sign in first")
	}
	return s.store.Users().ByID(ctx, c.UserID)
}

// Authenticate checks a bearer token's signature and expiry, then that it
// was not revoked since (the user's token version), and returns the caller
// with the user's current role. A token whose user this server does not
// know (callerCache) costs a read of the user, unless deferrable, asked
// only then, says the request can have that check done where it books
// (TokenCheck): the caller then comes back with its Token to check.
func (s *Accounts) Authenticate(ctx context.Context, token string, deferrable func() bool) (boxoffice.Caller, error) {
	if s.tokens == nil {
		return boxoffice.Caller{}, errors.New("service: no token signer configured")
	}
	now := s.now()
	claims, err := s.tokens.Verify(token, now)
	if err != nil {
		return boxoffice.Caller{}, err
	}
	known, ok := s.callers.get(claims.UserID, now)
	if !ok {
		epoch := s.callers.begin()
		if deferrable != nil && deferrable() {
			return boxoffice.Caller{UserID: claims.UserID, Token: s.checkLater(claims, epoch, now)}, nil
		}
		if known, err = s.readCaller(ctx, claims.UserID, epoch, now); err != nil {
			return boxoffice.Caller{}, err
		}
	}
	return callerOf(claims, known)
}

// readCaller reads what checking a token needs from its user, with others
// (tokenUsers), and caches it unless something was evicted since epoch.
func (s *Accounts) readCaller(ctx context.Context, userID string, epoch uint64, now time.Time) (cachedCaller, error) {
	u, err := s.tokenUsers.Load(ctx, userID)
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		return cachedCaller{}, boxoffice.Errorf(boxoffice.EUNAUTHENTICATED, "invalid token")
	} else if err != nil {
		return cachedCaller{}, err
	}
	known := cachedCaller{tokenVersion: u.TokenVersion, role: u.Role, at: now}
	s.callers.put(u.ID, known, epoch)
	return known, nil
}

// checkLater is the check of a token put off: done by a read when asked
// now, and cached when a booking's transaction finds the token current, so
// that the buyer's next request (paying) costs no read either.
func (s *Accounts) checkLater(claims auth.Claims, epoch uint64, now time.Time) *boxoffice.TokenCheck {
	return boxoffice.NewTokenCheck(claims.Version,
		func(ctx context.Context) (boxoffice.Caller, error) {
			known, err := s.readCaller(ctx, claims.UserID, epoch, now)
			if err != nil {
				return boxoffice.Caller{}, err
			}
			return callerOf(claims, known)
		},
		func(u *boxoffice.User) {
			s.callers.put(u.ID, cachedCaller{tokenVersion: u.TokenVersion, role: u.Role, at: now}, epoch)
		})
}

// callerOf is the caller of a token whose user is known: ErrTokenRevoked
// unless the token has the user's current version.
func callerOf(claims auth.Claims, known cachedCaller) (boxoffice.Caller, error) {
	if known.tokenVersion != claims.Version {
		return boxoffice.Caller{}, boxoffice.ErrTokenRevoked
	}
	return boxoffice.Caller{UserID: claims.UserID, Role: known.role}, nil
}

// IssueToken signs a token for the user with this email: for operators
// (`boxoffice token`), not for the API.
func (s *Accounts) IssueToken(ctx context.Context, email string) (*boxoffice.AuthPayload, error) {
	u, err := s.store.Users().ByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return s.issue(u)
}

func (s *Accounts) issue(u *boxoffice.User) (*boxoffice.AuthPayload, error) {
	if s.tokens == nil {
		return nil, errors.New("service: no token signer configured")
	}
	token, exp, err := s.tokens.Issue(u.ID, u.TokenVersion, s.now())
	if err != nil {
		return nil, err
	}
	return &boxoffice.AuthPayload{Token: token, ExpiresAt: exp, User: u}, nil
}
