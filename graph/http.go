package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/boxoffice/boxoffice"
)

// maxBodyBytes bounds a POST body; real operations are a few kilobytes.
const maxBodyBytes = 1 << 20

// httpHandler sets up each request for the gqlgen server: a request id,
// fresh loaders, and refusals, with a coded JSON error, of what gqlgen
// would refuse with an uncoded one.
type httpHandler struct {
	next       http.Handler
	services   services
	loaderWait time.Duration
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		if status, msg := bufferJSONBody(w, r); status != 0 {
			writeRequestError(w, status, msg)
			return
		}
	case http.MethodGet:
		if msg := checkGETParams(r.URL.RawQuery); msg != "" {
			writeRequestError(w, http.StatusBadRequest, msg)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeRequestError(w, http.StatusMethodNotAllowed, "use POST, or GET for queries")
		return
	}
	ctx := r.Context()
	if boxoffice.RequestIDFromContext(ctx) == "" {
		ctx = boxoffice.NewContextWithRequestID(ctx, boxoffice.NewID())
	}
	ctx = withLoaders(ctx, newLoaders(h.services, h.loaderWait))
	ctx = context.WithValue(ctx, methodKey{}, r.Method)
	h.next.ServeHTTP(w, r.WithContext(ctx))
}

// bufferJSONBody reads a JSON body of bounded size into memory, so gqlgen
// reads it from there. It returns an HTTP status and message to refuse it.
// A body that is not valid JSON is left to gqlgen, whose 400 response
// presentError codes as BAD_REQUEST.
func bufferJSONBody(w http.ResponseWriter, r *http.Request) (int, string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, "Content-Type must be application/json"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, "request body is too large"
	case err != nil:
		return http.StatusBadRequest, "request body could not be read"
	case len(bytes.TrimSpace(body)) == 0:
		return http.StatusBadRequest, "request body is empty: send a JSON object with a query"
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return 0, ""
}

// checkGETParams refuses what gqlgen's GET transport would refuse without
// an error code: an unparsable query string, variables or extensions that
// are not JSON objects.
func checkGETParams(rawQuery string) string {
	params, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "the URL's query string is malformed"
	}
	for _, name := range []string{"variables", "extensions"} {
		if v := params.Get(name); v != "" && json.Unmarshal([]byte(v), new(map[string]any)) != nil {
			return name + " must be a JSON object"
		}
	}
	return ""
}

func writeRequestError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(graphql.Response{Errors: gqlerror.List{{
		Message:    msg,
		Extensions: map[string]any{"code": codeBadRequest},
	}}})
}

type methodKey struct{}

// queriesOnlyOverGET refuses mutations sent with GET: a GET must be safe
// to repeat, prefetch and cache.
type queriesOnlyOverGET struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = queriesOnlyOverGET{}

func (queriesOnlyOverGET) ExtensionName() string                   { return "QueriesOnlyOverGET" }
func (queriesOnlyOverGET) Validate(graphql.ExecutableSchema) error { return nil }

func (queriesOnlyOverGET) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if ctx.Value(methodKey{}) == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		return &gqlerror.Error{
			Message:    "GET accepts queries only: send " + string(opCtx.Operation.Operation) + " operations with POST",
			Extensions: map[string]any{"code": codeBadRequest},
		}
	}
	return nil
}
