package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	next        http.Handler
	services    services
	loaderWait  time.Duration
	log         *slog.Logger
	idempotency boxoffice.IdempotencyService // nil: Idempotency-Key headers are ignored
	guard       *guard                       // also reads operations before they run (DefersTokenCheck)
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every answer is JSON, never to be sniffed as anything else; some
	// carry tokens (signIn, signUp, changePassword) or private data, and
	// none may be kept by a cache.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	if boxoffice.RequestIDFromContext(ctx) == "" {
		ctx = boxoffice.NewContextWithRequestID(ctx, boxoffice.NewID())
		r = r.WithContext(ctx)
	}
	var body []byte
	switch r.Method {
	case http.MethodPost:
		var status int
		var msg string
		if body, status, msg = bufferJSONBody(w, r); status != 0 {
			h.refuse(w, r, status, msg)
			return
		}
	case http.MethodGet:
		if msg := checkGETParams(r.URL.RawQuery); msg != "" {
			h.refuse(w, r, http.StatusBadRequest, msg)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		h.refuse(w, r, http.StatusMethodNotAllowed, "use POST, or GET for queries")
		return
	}
	if c := boxoffice.CallerFromContext(ctx); c.Token != nil {
		w = &revokedTokenWriter{ResponseWriter: w, check: c.Token}
	}
	ctx = withLoaders(ctx, newLoaders(h.services, h.loaderWait))
	ctx = context.WithValue(ctx, methodKey{}, r.Method)
	r = r.WithContext(ctx)
	if body != nil && h.idempotent(w, r, body, h.next.ServeHTTP) {
		return
	}
	h.next.ServeHTTP(w, r)
}

// bufferJSONBody reads a JSON body of bounded size into memory, so gqlgen
// reads it from there, and returns it; or an HTTP status and message to
// refuse it.
// A body that is not valid JSON is left to gqlgen, whose 400 response
// presentError codes as BAD_REQUEST.
func bufferJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, int, string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, http.StatusUnsupportedMediaType, "Content-Type must be application/json"
	}
	if r.ContentLength > maxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, "request body is too large"
	}
	// One read into a buffer of the announced size, not a doubling one.
	var buf bytes.Buffer
	buf.Grow(int(max(r.ContentLength, 0)) + bytes.MinRead)
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	body := buf.Bytes()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge, "request body is too large"
	case err != nil:
		return nil, http.StatusBadRequest, "request body could not be read"
	case len(bytes.TrimSpace(body)) == 0:
		return nil, http.StatusBadRequest, "request body is empty: send a JSON object with a query"
	}
	if msg := checkJSONShape(body); msg != "" {
		return nil, http.StatusBadRequest, "request body " + msg
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, 0, ""
}

// Bounds of a request's JSON, checked before it is decoded: a megabyte of
// JSON decodes into tens of megabytes of maps when it holds 100,000 small
// values. Real requests hold a query and tens of variables.
const (
	maxJSONValues = 10_000
	maxJSONDepth  = 32
)

// checkJSONShape counts the values and the nesting of raw JSON in one pass
// over its bytes, and returns why it is refused, or "". It leaves the JSON
// being well formed to the decoder.
func checkJSONShape(raw []byte) string {
	values, depth, inString, escaped := 1, 0, false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > maxJSONDepth {
				return fmt.Sprintf("nests JSON more than %d levels deep", maxJSONDepth)
			}
			values++
		case c == '}' || c == ']':
			depth--
		case c == ',' || c == ':':
			if values++; values > maxJSONValues {
				return fmt.Sprintf("holds more than %d JSON values", maxJSONValues)
			}
		}
	}
	return ""
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
		v := params.Get(name)
		if v == "" {
			continue
		}
		if msg := checkJSONShape([]byte(v)); msg != "" {
			return name + " " + msg
		}
		if json.Unmarshal([]byte(v), new(map[string]any)) != nil {
			return name + " must be a JSON object"
		}
	}
	return ""
}

// refuse answers a request that is not a GraphQL request at all, and logs
// it: an attack on the limits leaves a trace.
func (h *httpHandler) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "graphql request refused",
		slog.String("request_id", boxoffice.RequestIDFromContext(r.Context())),
		slog.String("method", r.Method),
		slog.Int("status", status),
		slog.String("reason", msg),
	)
	writeRequestError(w, status, msg)
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
