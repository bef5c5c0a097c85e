package graph

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// httpStatuses are the statuses of the API's error codes outside GraphQL,
// where a status is all many clients look at.
var httpStatuses = map[string]int{
	codeBadUserInput:    http.StatusBadRequest,
	codeBadRequest:      http.StatusBadRequest,
	codeNotFound:        http.StatusNotFound,
	codeConflict:        http.StatusConflict,
	codeSoldOut:         http.StatusConflict,
	codeUnauthenticated: http.StatusUnauthorized,
	codeForbidden:       http.StatusForbidden,
	codeRateLimited:     http.StatusTooManyRequests,
	codeUnavailable:     http.StatusServiceUnavailable,
}

// ServeError answers a request outside GraphQL (a file to download) with
// err as the API shows errors: the same codes and messages, logged the same
// way, as {"errors": [...]}, with the HTTP status of its code and
// Retry-After where it has one.
func ServeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := presentError(log)(r.Context(), err)
	code, _ := e.Extensions["code"].(string)
	status, ok := httpStatuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if secs, ok := e.Extensions["retryAfter"].(int); ok {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []*gqlerror.Error{e}})
}
