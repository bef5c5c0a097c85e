package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/boxoffice/boxoffice"
)

// maxDeferredBody bounds the body DefersTokenCheck reads before the
// token is checked: a createBooking is a few hundred bytes.
const maxDeferredBody = 8 << 10

// DefersTokenCheck reports whether r's bearer token can have its
// revocation checked by the booking's transaction instead of by a read
// before (boxoffice.TokenCheck, server.TokenDeferrer): r is a POST of one
// createBooking and nothing else, sent without an Idempotency-Key, whose
// replay must not reach a revoked token. The server asks only for tokens
// whose user it has not read yet: the first request of each buyer of an
// on-sale.
func (h *httpHandler) DefersTokenCheck(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get(idempotencyHeader) != "" ||
		r.ContentLength <= 0 || r.ContentLength > maxDeferredBody {
		return false
	}
	body := make([]byte, r.ContentLength)
	n, err := io.ReadFull(r.Body, body)
	// The handler reads the body again: what was read, then the rest.
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body[:n]), r.Body), r.Body}
	if err != nil {
		return false
	}
	op := h.operation(r.Context(), body)
	if op == nil || op.Operation != ast.Mutation || len(op.SelectionSet) != 1 {
		return false
	}
	f, ok := op.SelectionSet[0].(*ast.Field)
	return ok && f.Name == "createBooking" && len(f.Directives) == 0
}

// operation is the operation a JSON request body names, parsed and
// validated by the guard (and so bounded, and cached), or nil when the
// body is not a valid request: gqlgen then answers it.
func (h *httpHandler) operation(ctx context.Context, body []byte) *ast.OperationDefinition {
	var req struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	doc, errs := h.guard.prepare(ctx, req.Query)
	if len(errs) > 0 {
		return nil
	}
	return doc.Operations.ForName(req.OperationName)
}

// revokedTokenWriter answers 401, as the server does for a token it
// refuses itself, when the booking's transaction found the request's token
// revoked.
type revokedTokenWriter struct {
	http.ResponseWriter
	check   *boxoffice.TokenCheck
	written bool
}

func (w *revokedTokenWriter) WriteHeader(status int) {
	if !w.written {
		w.written = true
		if w.check.Revoked() {
			w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice", error="invalid_token"`)
			status = http.StatusUnauthorized
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *revokedTokenWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}
