package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/boxoffice/boxoffice"
)

// idempotencyHeader names the key a client sends with a mutation so that a
// retry of it gets the first answer, with pretix's semantics: the same key
// from the same caller within a day replays the first answer, errors
// included, and does the work once; a key whose first request still runs
// gets CONFLICT (409); the same key with another request gets
// BAD_USER_INPUT (422); answers of 429 and 5xx, and INTERNAL, RATE_LIMITED
// and UNAVAILABLE errors, are not kept, so a retry runs again.
const idempotencyHeader = "Idempotency-Key"

// maxIdempotencyKey bounds a key's length.
const maxIdempotencyKey = 255

// idempotent runs a buffered POST whose operation is a mutation, sent with
// an Idempotency-Key, once per caller and key (see idempotencyHeader), and
// reports whether it answered; otherwise the request is left to run as is.
func (h *httpHandler) idempotent(w http.ResponseWriter, r *http.Request, body []byte, run func(http.ResponseWriter, *http.Request)) bool {
	key := r.Header.Get(idempotencyHeader)
	if key == "" || h.idempotency == nil {
		return false
	}
	if op := h.operation(r.Context(), body); op == nil || op.Operation != ast.Mutation {
		return false // keys are for changes: a query with one runs as usual
	}
	ctx := r.Context()
	if len(key) > maxIdempotencyKey || !printable(key) {
		writeCodedError(w, http.StatusBadRequest, codeBadUserInput, "Idempotency-Key must be 1 to 255 printable ASCII characters")
		return true
	}
	sum := sha256.Sum256(body)
	first, err := h.idempotency.Begin(ctx, key, hex.EncodeToString(sum[:]))
	switch code := boxoffice.ErrorCode(err); {
	case code == boxoffice.ECONFLICT:
		w.Header().Set("Retry-After", "1")
		writeCodedError(w, http.StatusConflict, codeConflict, boxoffice.ErrorMessage(err))
		return true
	case code == boxoffice.EINVALID:
		writeCodedError(w, http.StatusUnprocessableEntity, codeBadUserInput, boxoffice.ErrorMessage(err))
		return true
	case err != nil:
		h.log.ErrorContext(ctx, "idempotency key", "request_id", boxoffice.RequestIDFromContext(ctx), "err", err)
		writeCodedError(w, http.StatusServiceUnavailable, codeUnavailable, "the request could not be checked against its Idempotency-Key: try again")
		return true
	case first != nil:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(first.Status)
		_, _ = w.Write(first.Body)
		return true
	}

	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	run(rec, r.WithContext(boxoffice.NewContextWithIdempotencyKey(ctx, key)))
	answer := boxoffice.IdempotentAnswer{Status: rec.status, Body: rec.body.Bytes()}
	if keep(answer) {
		err = h.idempotency.Finish(ctx, key, answer)
	} else {
		err = h.idempotency.Forget(ctx, key)
	}
	if err != nil { // the answer went out; a retry will run the request again
		h.log.ErrorContext(ctx, "idempotency key: keeping the answer", "request_id", boxoffice.RequestIDFromContext(ctx), "err", err)
	}
	return true
}

// keep says whether an answer is one to send again: not a refusal to try
// later (429, 5xx, RATE_LIMITED, UNAVAILABLE) nor a fault of ours
// (INTERNAL), after which a retry must run again.
func keep(a boxoffice.IdempotentAnswer) bool {
	if a.Status == http.StatusTooManyRequests || a.Status >= 500 {
		return false
	}
	var resp struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(a.Body, &resp) != nil {
		return false
	}
	for _, e := range resp.Errors {
		switch e.Extensions.Code {
		case codeInternal, codeRateLimited, codeUnavailable:
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// recorder passes an answer on and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// writeCodedError writes a GraphQL-shaped error with a code and status.
func writeCodedError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	ext := map[string]any{"code": code}
	if status == http.StatusConflict || status == http.StatusServiceUnavailable {
		ext["retryAfter"], _ = strconv.Atoi(w.Header().Get("Retry-After"))
	}
	_ = json.NewEncoder(w).Encode(struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{{Message: msg, Extensions: ext}}})
}
