package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func TestPresentErrorCodes(t *testing.T) {
	var logs bytes.Buffer
	present := presentError(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := boxoffice.NewContextWithRequestID(context.Background(), "r1")

	for _, tc := range []struct {
		err           error
		code, message string
	}{
		{boxoffice.Invalidf("email", "bad email"), codeBadUserInput, "bad email"},
		{boxoffice.Errorf(boxoffice.ENOTFOUND, "no user"), codeNotFound, "no user"},
		{boxoffice.Errorf(boxoffice.ESOLDOUT, "sold out"), codeSoldOut, "sold out"},
		{boxoffice.Errorf(boxoffice.ECONFLICT, "stale"), codeConflict, "stale"},
		{boxoffice.Errorf(boxoffice.EUNAUTHENTICATED, "who?"), codeUnauthenticated, "who?"},
		{boxoffice.Errorf(boxoffice.EFORBIDDEN, "no"), codeForbidden, "no"},
		{boxoffice.Errorf(boxoffice.ERATELIMITED, "slow down"), codeRateLimited, "slow down"},
		{boxoffice.Errorf(boxoffice.EUNAVAILABLE, "try later"), codeUnavailable, "try later"},
		{fmt.Errorf("sqlstore: book bookings: %w: %w", boxoffice.Errorf(boxoffice.EUNAVAILABLE, "storage is full"),
			errors.New("sqlite: commit: database or disk is full (13)")), codeUnavailable, "storage is full"},
		{fmt.Errorf("%w: %w", errTimeUp, context.DeadlineExceeded), codeUnavailable, "the request's time limit ran out (request id r1): try again"},
		{fmt.Errorf("%w: %w", errTimeUp, context.Canceled), codeInternal, "internal error (request id r1)"},
		{fmt.Errorf("sqlite: SELECT * FROM users: %w", boxoffice.Errorf(boxoffice.ENOTFOUND, "no user")), codeNotFound, "no user"},
		{boxoffice.Errorf(boxoffice.EINTERNAL, "disk on fire"), codeInternal, "internal error (request id r1)"},
		{errors.New(`pq: relation "users" does not exist`), codeInternal, "internal error (request id r1)"},
		{recoverPanic(ctx, "nil map"), codeInternal, "internal error (request id r1)"},
	} {
		got := present(ctx, tc.err)
		if got.Extensions["code"] != tc.code || got.Message != tc.message {
			t.Errorf("%v: got %q %v", tc.err, got.Message, got.Extensions)
		}
	}
	if got := present(ctx, boxoffice.Invalidf("email", "bad")); got.Extensions["field"] != "email" {
		t.Errorf("field: %v", got.Extensions)
	}
	for _, secret := range []string{"disk on fire", "does not exist", "nil map", "database or disk is full (13)", "level=WARN msg=\"graphql unavailable\""} {
		if !strings.Contains(logs.String(), secret) {
			t.Errorf("%q not logged", secret)
		}
	}
}

// RATE_LIMITED and UNAVAILABLE tell how many whole seconds to wait, at least 1.
func TestPresentErrorRetryAfter(t *testing.T) {
	present := presentError(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		want any
	}{
		{boxoffice.RateLimited("sign-in", 42*time.Second), 42},
		{boxoffice.RateLimited("sign-in", 1500*time.Millisecond), 2},
		{&boxoffice.Error{Code: boxoffice.ERATELIMITED, Message: "m", RetryAfter: 2100 * time.Millisecond}, 3},
		{boxoffice.Errorf(boxoffice.ERATELIMITED, "no wait given"), 1},
		{fmt.Errorf("wrapped: %w", boxoffice.RateLimited("changes", 7*time.Second)), 7},
		{&boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: "m", RetryAfter: 10 * time.Second}, 10},
		{boxoffice.Errorf(boxoffice.EUNAVAILABLE, "no wait given"), 1},
		{context.DeadlineExceeded, 1},
		{boxoffice.Errorf(boxoffice.EFORBIDDEN, "no"), nil},
	} {
		got := present(ctx, tc.err)
		if got.Extensions["retryAfter"] != tc.want {
			t.Errorf("%v: retryAfter %v, want %v (%v)", tc.err, got.Extensions["retryAfter"], tc.want, got.Extensions)
		}
	}
}
