package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/boxoffice/boxoffice"
)

// Authenticator turns a bearer token into a caller (AccountService.Authenticate).
type Authenticator func(ctx context.Context, token string, deferrable func() bool) (boxoffice.Caller, error)

// A TokenDeferrer is a handler some of whose requests can have their
// token's revocation checked where they use it, and need no read before
// (boxoffice.TokenCheck): the GraphQL API's createBooking. The
// Authenticator asks it only when the check would cost a read.
type TokenDeferrer interface {
	DefersTokenCheck(r *http.Request) bool
}

// authenticate puts the caller named by `Authorization: Bearer <token>` in
// the request context. No header: anonymous; the service layer decides
// what anonymous callers may do. A bad token is refused outright with 401
// and UNAUTHENTICATED, so a client never acts anonymously by mistake. A
// token that cannot be checked now (the database timed out) gets 503 and
// UNAVAILABLE with Retry-After.
func authenticate(next http.Handler, check Authenticator, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if header == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, _ := strings.Cut(header, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice"`)
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "the Authorization header must be: Bearer <token>")
			return
		}
		var deferrable func() bool
		if d, ok := next.(TokenDeferrer); ok {
			deferrable = func() bool { return d.DefersTokenCheck(r) }
		}
		c, err := check(r.Context(), strings.TrimSpace(token), deferrable)
		switch boxoffice.ErrorCode(err) {
		case "":
			next.ServeHTTP(w, r.WithContext(boxoffice.NewContextWithCaller(r.Context(), c)))
		case boxoffice.EUNAUTHENTICATED:
			w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", boxoffice.ErrorMessage(err))
		case boxoffice.EUNAVAILABLE: // the token could not be checked now: nothing ran
			log.WarnContext(r.Context(), "authenticate: unavailable", "request_id", boxoffice.RequestIDFromContext(r.Context()), "err", err)
			writeUnavailable(w, boxoffice.ErrorMessage(err), boxoffice.ErrorRetryAfter(err))
		default:
			id := boxoffice.RequestIDFromContext(r.Context())
			log.ErrorContext(r.Context(), "authenticate", "request_id", id, "err", err)
			writeError(w, http.StatusInternalServerError, "INTERNAL", "internal error (request id "+id+")")
		}
	})
}
