package boxoffice

import "context"

type requestIDKey struct{}

// NewContextWithRequestID returns ctx carrying the request ID that logs and
// INTERNAL error messages quote, so an operator can find one in the other.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request ID in ctx, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Caller is who makes a request: a signed-in user, or nobody (the zero
// value). The HTTP layer puts it in the context from the bearer token;
// every service call reads it from there.
type Caller struct {
	UserID string
	Role   Role
	// Operator is someone at the server's command line (boxoffice users
	// create): an admin without an account, whose changes are recorded as
	// the system's.
	Operator bool
	// Token, when not nil, is the check of the caller's token still to be
	// done (TokenCheck): until it passes, the caller has no role and may
	// only book for itself.
	Token *TokenCheck
}

// Operator is the caller of the command-line tools.
var Operator = Caller{Role: RoleAdmin, Operator: true}

// Anonymous reports whether nobody is signed in.
func (c Caller) Anonymous() bool { return c.UserID == "" && !c.Operator }

// Is reports whether the caller is the user with this id: never while the
// caller's token is still to be checked.
func (c Caller) Is(userID string) bool { return c.UserID != "" && c.Token == nil && c.UserID == userID }

type callerKey struct{}

// NewContextWithCaller returns ctx carrying c.
func NewContextWithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFromContext returns the caller in ctx: anonymous if none. A caller
// whose token's check was put off and has passed since comes back checked,
// with their role.
func CallerFromContext(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	if c.Token != nil {
		if role, ok := c.Token.passedAs(); ok {
			return Caller{UserID: c.UserID, Role: role}
		}
	}
	return c
}

type clientAddrKey struct{}

// NewContextWithClientAddr returns ctx carrying the client's network
// address (IP), which rate limits key on.
func NewContextWithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddrFromContext returns the client's address in ctx, or "".
func ClientAddrFromContext(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}

type idempotencyKeyKey struct{}

// NewContextWithIdempotencyKey returns ctx carrying the Idempotency-Key the
// request was sent with: a booking it makes is found again by a retry.
func NewContextWithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyKey{}, key)
}

// IdempotencyKeyFromContext returns the request's Idempotency-Key, or "".
func IdempotencyKeyFromContext(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKeyKey{}).(string)
	return k
}
