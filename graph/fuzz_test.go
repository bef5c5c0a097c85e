package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	gqlcomplexity "github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"

	"github.com/boxoffice/boxoffice/graph/generated"
	"github.com/boxoffice/boxoffice/internal/original"
)

// Fuzz targets of document handling and of input validation. CI runs
// each for 30 seconds (.ci/run); the README's Tests section has the longer
// run. Seeds: the hostile shapes at small sizes, GraphiQL's introspection
// query and the original API's operations.

// fuzzSchema is the executable schema with the cost model, without
// resolvers: enough to parse, validate and price.
var fuzzSchema = sync.OnceValue(func() graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{Complexity: complexity()})
})

func newTestGuard(introspection bool) *guard {
	es := fuzzSchema()
	return newGuard(es.Schema(), validationRules(DefaultMaxDepth, introspection)(), newDocCache(100, 1<<20), introspection,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func documentSeeds() []string {
	seeds := []string{
		introspectionQuery,
		"{ __typename }",
		"{ events { items { id title } total } }",
		"query($p: PaginationInput) { users(pagination: $p) { total items { ...U } } } fragment U on User { id email bookings(limit: 2) { event { title } } }",
		"{ users(filter: {email: \"\\u0000\"}) { total } }",
		"{ a: events { total } a: users { total } }",
		"{ events { items { ... on Event { id } ... @include(if: true) { title } } } }",
		"subscription { x }",
		"{ __schema { types { fields { type { fields { type { name } } } } } } }",
		"query Q { ...F } fragment F on Query { ...F }",
		"{",
	}
	seeds = append(seeds, original.Users, original.User, original.UserBookings, original.Events, original.Event,
		original.Booking, original.CreateBooking, original.FilteredBookings)
	for _, shape := range hostileShapes() {
		for _, n := range shape.sizes {
			if q, _ := shape.body(min(n, 40))["query"].(string); len(q) < 4<<10 {
				seeds = append(seeds, q)
			}
		}
	}
	return seeds
}

// FuzzDocument: whatever the document, preparing it ends (here within
// seconds, in production within milliseconds: see the benchmark) with
// either a document within every limit or at most maxErrors coded errors;
// with introspection off no error suggests a name; and the cost of each
// operation is exactly gqlgen's, computed without its repeated walks.
func FuzzDocument(f *testing.F) {
	for _, s := range documentSeeds() {
		f.Add(s, true)
		f.Add(s, false)
	}
	guards := map[bool]*guard{true: newTestGuard(true), false: newTestGuard(false)}
	es := fuzzSchema()
	f.Fuzz(func(t *testing.T, query string, introspection bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		g := guards[introspection]
		doc, errs := g.prepare(ctx, query)
		if len(errs) > maxErrors {
			t.Fatalf("%d errors", len(errs))
		}
		for _, e := range errs {
			if code, _ := e.Extensions["code"].(string); code != "GRAPHQL_PARSE_FAILED" && code != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("error without a document code: %+v", e)
			}
			if !introspection && strings.Contains(e.Message, "Did you mean") {
				t.Fatalf("suggestion with introspection off: %q", e.Message)
			}
		}
		if len(errs) > 0 {
			return
		}
		if doc == nil {
			t.Fatal("no document and no error")
		}
		if err := shapeOf(doc).check(); err != nil {
			t.Fatalf("a document past the limits was accepted: %v", err)
		}
		for _, op := range doc.Operations {
			want := gqlcomplexity.Calculate(ctx, es, op, nil)
			if got := operationCost(ctx, es, op, nil); got != min(want, maxCost) {
				t.Fatalf("cost %d, gqlgen's %d, for %q", got, want, query)
			}
		}
	})
}

// fuzzHandler is the real handler over SQLite, made once per process.
var fuzzHandler struct {
	once sync.Once
	h    http.Handler
}

// FuzzRequest sends arbitrary bodies to the real handler, anonymously:
// every answer is JSON; every error carries a code from the README's
// table, and none is INTERNAL (with a healthy database, an INTERNAL answer
// is a bug: a NUL byte or a date a store refused).
func FuzzRequest(f *testing.F) {
	for _, s := range documentSeeds() {
		body, _ := json.Marshal(map[string]any{"query": s})
		f.Add(body)
	}
	for _, b := range []string{
		`{"query": "query($p: PaginationInput) { events(pagination: $p) { total } }", "variables": {"p": {"page": "2"}}}`,
		`{"query": "query($p: PaginationInput) { events(pagination: $p) { total } }", "variables": {"p": {"page": 9223372036854775807, "limit": 100}}}`,
		`{"query": "query($id: ID!) { event(id: $id) { id } }", "variables": {"id": "\u0000"}}`,
		`{"query": "mutation($in: SignInInput!) { signIn(input: $in) { token } }", "variables": {"in": {"email": "a\u0000@example.com", "password": "x"}}}`,
		`{"query": "{ upcomingEvents(limit: 3) { date } }", "operationName": "x"}`,
		`[1, 2]`, `{"query": 1}`, `{`, ``,
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzHandler.once.Do(func() { fuzzHandler.h = benchHandler(&onceTB{T: t}) })
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		ctx, cancel := context.WithTimeout(req.Context(), 20*time.Second)
		defer cancel()
		rec := httptest.NewRecorder()
		fuzzHandler.h.ServeHTTP(rec, req.WithContext(ctx))
		var resp struct {
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("status %d, not JSON: %q", rec.Code, rec.Body.String())
		}
		if len(resp.Errors) > maxErrors {
			t.Fatalf("%d errors", len(resp.Errors))
		}
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if !readmeCodes[code] || code == codeInternal {
				t.Fatalf("status %d, error %q with code %q, for %q", rec.Code, e.Message, code, body)
			}
		}
	})
}

// readmeCodes are the codes of the README's error table.
var readmeCodes = map[string]bool{
	codeBadUserInput: true, codeNotFound: true, codeUnauthenticated: true, codeForbidden: true,
	codeRateLimited: true, codeSoldOut: true, codeConflict: true, "GRAPHQL_PARSE_FAILED": true,
	"GRAPHQL_VALIDATION_FAILED": true, codeComplexityLimitExceeded: true, codeBadRequest: true, codeUnavailable: true, codeInternal: true,
}

// onceTB lets the handler made in the first fuzz call outlive that call:
// its database lives until the process ends.
type onceTB struct {
	*testing.T
	dir string
}

func (o *onceTB) Cleanup(func())           {}
func (o *onceTB) Context() context.Context { return context.Background() }
func (o *onceTB) TempDir() string {
	if o.dir == "" {
		dir, err := os.MkdirTemp("", "boxoffice-fuzz-")
		if err != nil {
			o.Fatal(err)
		}
		o.dir = dir
	}
	return o.dir
}
