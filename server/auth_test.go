package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func TestAuthenticate(t *testing.T) {
	check := func(_ context.Context, token string, _ func() bool) (boxoffice.Caller, error) {
		switch token {
		case "good":
			return boxoffice.Caller{UserID: "u1", Role: boxoffice.RoleAdmin}, nil
		case "broken-db":
			return boxoffice.Caller{}, errors.New("connection refused: secret detail")
		case "slow-db":
			return boxoffice.Caller{}, fmt.Errorf("sqlstore: find user: %w: %w",
				&boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: "the database did not answer in time: try again", RetryAfter: 1500 * time.Millisecond},
				errors.New("canceling statement due to statement timeout: secret detail"))
		}
		return boxoffice.Caller{}, boxoffice.Errorf(boxoffice.EUNAUTHENTICATED, "invalid token")
	}
	var seen boxoffice.Caller
	h := authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = boxoffice.CallerFromContext(r.Context())
	}), check, discardLogger())
	for _, tc := range []struct {
		header, code string
		status       int
		caller       string
	}{
		{"", "", 200, ""},
		{"Bearer good", "", 200, "u1"},
		{"bearer good", "", 200, "u1"},
		{"Bearer forged", "UNAUTHENTICATED", 401, ""},
		{"Basic dXNlcjpwYXNz", "UNAUTHENTICATED", 401, ""},
		{"Bearer ", "UNAUTHENTICATED", 401, ""},
		{"Bearer broken-db", "INTERNAL", 500, ""},
		{"Bearer slow-db", "UNAVAILABLE", 503, ""},
	} {
		seen = boxoffice.Caller{}
		req := httptest.NewRequest("POST", "/graphql", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != tc.status || seen.UserID != tc.caller || (tc.code != "" && !strings.Contains(body, `"code":"`+tc.code+`"`)) {
			t.Errorf("%q: status %d caller %q body %s; want %d %q %s", tc.header, rec.Code, seen.UserID, body, tc.status, tc.caller, tc.code)
		}
		if strings.Contains(body, "secret detail") {
			t.Errorf("%q leaks the error: %s", tc.header, body)
		}
		if tc.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%q: 401 without WWW-Authenticate", tc.header)
		}
		if tc.status == 503 && (rec.Header().Get("Retry-After") != "2" || !strings.Contains(body, `"retryAfter":2`)) {
			t.Errorf("%q: 503 without a wait of 2 s: Retry-After %q, body %s", tc.header, rec.Header().Get("Retry-After"), body)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
