package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/sqlite"
)

// testServer is the real handler over the real service over a fresh
// SQLite database, behind an httptest server.
type testServer struct {
	url    string
	db     *sqlite.DB
	svc    *service.Service
	logs   *lockedBuffer
	client *http.Client
}

type serverOption func(*graph.Config)

func newTestServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "boxoffice.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Options{})
	logs := &lockedBuffer{}
	cfg := graph.Config{
		Users: svc, Events: svc, Bookings: svc,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(requestIDFromHeader(graph.NewHandler(cfg)))
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
		db.Close()
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	return &testServer{url: srv.URL, db: db, svc: svc, logs: logs, client: client}
}

// gqlResponse is a GraphQL response with its data left raw.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	status int
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string  { s, _ := e.Extensions["code"].(string); return s }
func (e gqlError) field() string { s, _ := e.Extensions["field"].(string); return s }

// post sends one operation as a JSON POST.
func (s *testServer) post(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return s.raw(t, http.MethodPost, "application/json", body)
}

func (s *testServer) raw(t *testing.T, method, contentType string, body []byte) gqlResponse {
	t.Helper()
	req, err := http.NewRequest(method, s.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return s.send(t, req)
}

func (s *testServer) send(t *testing.T, req *http.Request) gqlResponse {
	t.Helper()
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", res.StatusCode, raw)
	}
	r.status = res.StatusCode
	return r
}

// data runs an operation that must succeed and decodes its data into out.
func (s *testServer) data(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.post(t, query, vars)
	if len(r.Errors) > 0 || r.status != http.StatusOK {
		t.Fatalf("status %d, errors %+v", r.status, r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// fails runs an operation that must fail with one error of code (and of
// field, if given), and returns that error.
func (s *testServer) fails(t *testing.T, query string, vars map[string]any, code, field string) gqlError {
	t.Helper()
	return oneError(t, s.post(t, query, vars), code, field)
}

func oneError(t *testing.T, r gqlResponse, code, field string) gqlError {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want one %s error, got status %d, errors %+v, data %s", code, r.status, r.Errors, r.Data)
	}
	e := r.Errors[0]
	if e.code() != code || (field != "" && e.field() != field) {
		t.Fatalf("want code %s field %q, got %+v", code, field, e)
	}
	return e
}

// Seed data, made through the API itself.

type userOut struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

type eventOut struct {
	ID               string  `json:"id"`
	Title            string  `json:"title"`
	Date             string  `json:"date"`
	AvailableTickets int     `json:"availableTickets"`
	TotalTickets     int     `json:"totalTickets"`
	Price            float64 `json:"price"`
	Version          int     `json:"version"`
}

type bookingOut struct {
	ID              string `json:"id"`
	NumberOfTickets int    `json:"numberOfTickets"`
	Status          string `json:"status"`
	CreatedAt       string `json:"createdAt"`
}

func (s *testServer) createUser(t *testing.T, name string) userOut {
	t.Helper()
	var out struct{ CreateUser userOut }
	s.data(t, `mutation($in: CreateUserInput!) { createUser(input: $in) { id username email } }`,
		map[string]any{"in": map[string]any{"username": name, "email": name + "@example.com"}}, &out)
	return out.CreateUser
}

// createEvent makes an event dated daysAhead days from now.
func (s *testServer) createEvent(t *testing.T, title string, tickets int, price float64, daysAhead int) eventOut {
	t.Helper()
	var out struct{ CreateEvent eventOut }
	s.data(t, `mutation($in: CreateEventInput!) {
		createEvent(input: $in) { id title date availableTickets totalTickets price version }
	}`, map[string]any{"in": map[string]any{
		"title": title, "description": title + " live", "location": "Hall " + title,
		"date":         time.Now().UTC().Add(time.Duration(daysAhead) * 24 * time.Hour).Format(time.RFC3339),
		"totalTickets": tickets, "price": price,
	}}, &out)
	return out.CreateEvent
}

func (s *testServer) book(t *testing.T, userID, eventID string, tickets int) bookingOut {
	t.Helper()
	var out struct{ CreateBooking bookingOut }
	s.data(t, `mutation($u: ID!, $e: ID!, $n: Int!) {
		createBooking(userId: $u, input: {eventId: $e, numberOfTickets: $n}) { id numberOfTickets status createdAt }
	}`, map[string]any{"u": userID, "e": eventID, "n": tickets}, &out)
	return out.CreateBooking
}

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines that contain every one of subs.
func (b *lockedBuffer) lines(subs ...string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
next:
	for _, line := range strings.Split(b.buf.String(), "\n") {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				continue next
			}
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// requestIDFromHeader stands in for the server's request-id middleware:
// a test picks the id with the X-Request-ID header.
func requestIDFromHeader(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("X-Request-ID"); id != "" {
			r = r.WithContext(boxoffice.NewContextWithRequestID(r.Context(), id))
		}
		h.ServeHTTP(w, r)
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}
