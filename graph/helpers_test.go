package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
)

// testServer is the real handler over the real service over a fresh
// SQLite database, behind an httptest server and a stand-in for the HTTP
// layer's authentication (withCaller). Its database has one user, an
// admin, who signed in with the signIn mutation: post, data and fails run
// as that admin; as(token) runs as someone else, as("") anonymously.
type testServer struct {
	url    string
	db     engine
	svc    *service.Services
	logs   *lockedBuffer
	client *http.Client
	admin  account
}

// account is a user with their password and a token from signIn or signUp.
type account struct {
	ID       string
	Username string
	Email    string
	Password string
	Token    string
}

const (
	adminEmail    = "admin@example.com"
	adminPassword = "admin-password-for-tests"
)

type serverOption func(*graph.Config)

// engine is a database the tests run on.
type engine = testdb.Engine

// forEachEngine runs a test on each engine.
func forEachEngine(t *testing.T, test func(t *testing.T, engine string)) { testdb.Each(t, test) }

func newTestServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	return newTestServerOn(t, "sqlite", opts...)
}

func openEngine(t *testing.T, name string) engine { return testdb.Open(t, name) }

// newTestServerOn is newTestServer on the named engine.
func newTestServerOn(t *testing.T, engine string, opts ...serverOption) *testServer {
	t.Helper()
	db := openEngine(t, engine)
	if _, err := db.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	secret, err := auth.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(secret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Options{Tokens: tokens})
	logs := &lockedBuffer{}
	cfg := graph.Config{
		Users: svc.Users, Events: svc.Events, Bookings: svc.Bookings, Accounts: svc.Accounts, Tickets: svc.Tickets, Waitlist: svc.Waitlist, Webhooks: svc.Webhooks,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(requestIDFromHeader(withCaller(svc, graph.NewHandler(cfg))))
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
		db.Close()
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	s := &testServer{url: srv.URL, db: db, svc: svc, logs: logs, client: client}
	s.admin = s.firstAdmin(t)
	return s
}

// firstAdmin makes the admin as `boxoffice users create --role admin`
// does, straight in the store (nobody may create the first admin through
// the API), and signs them in through the API.
func (s *testServer) firstAdmin(t *testing.T) account {
	t.Helper()
	hash, err := auth.HashPassword(adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	now := boxoffice.Now()
	u := &boxoffice.User{ID: boxoffice.NewID(), Username: "admin", Email: adminEmail, Role: boxoffice.RoleAdmin,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.db.Users().Create(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return s.signIn(t, adminEmail, adminPassword)
}

// withCaller stands in for the HTTP layer (server.authenticate and
// clientAddr): a bearer token becomes the request's caller through the
// service's Authenticate, a bad one is refused with 401 UNAUTHENTICATED;
// the client address is X-Forwarded-For if the test sets it, else the peer.
func withCaller(svc *service.Services, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := r.Header.Get("X-Forwarded-For")
		if addr == "" {
			addr, _, _ = net.SplitHostPort(r.RemoteAddr)
		}
		ctx := boxoffice.NewContextWithClientAddr(r.Context(), addr)
		if header := r.Header.Get("Authorization"); header != "" {
			// As server.authenticate: createBooking checks a token not seen
			// yet in its transaction (DefersTokenCheck).
			deferrable := func() bool { return h.(interface{ DefersTokenCheck(*http.Request) bool }).DefersTokenCheck(r) }
			c, err := svc.Accounts.Authenticate(ctx, strings.TrimPrefix(header, "Bearer "), deferrable)
			if err != nil {
				code := "INTERNAL"
				if boxoffice.ErrorCode(err) == boxoffice.EUNAUTHENTICATED {
					code = "UNAUTHENTICATED"
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
					"message": boxoffice.ErrorMessage(err), "extensions": map[string]any{"code": code},
				}}})
				return
			}
			ctx = boxoffice.NewContextWithCaller(ctx, c)
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	})
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

// client sends operations as one caller: the bearer of token, or nobody
// for "".
type client struct {
	s     *testServer
	token string
}

func (s *testServer) as(token string) client { return client{s: s, token: token} }

// The admin's shorthands.
func (s *testServer) post(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return s.as(s.admin.Token).post(t, query, vars)
}

func (s *testServer) raw(t *testing.T, method, contentType string, body []byte) gqlResponse {
	t.Helper()
	return s.as(s.admin.Token).raw(t, method, contentType, body)
}

func (s *testServer) send(t *testing.T, req *http.Request) gqlResponse {
	t.Helper()
	return s.as(s.admin.Token).send(t, req)
}

func (s *testServer) data(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	s.as(s.admin.Token).data(t, query, vars, out)
}

func (s *testServer) fails(t *testing.T, query string, vars map[string]any, code, field string) gqlError {
	t.Helper()
	return s.as(s.admin.Token).fails(t, query, vars, code, field)
}

// post sends one operation as a JSON POST.
func (c client) post(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return c.raw(t, http.MethodPost, "application/json", body)
}

func (c client) raw(t *testing.T, method, contentType string, body []byte) gqlResponse {
	t.Helper()
	req, err := http.NewRequest(method, c.s.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.send(t, req)
}

// send sends req with the client's token, unless it has an Authorization
// header already.
func (c client) send(t *testing.T, req *http.Request) gqlResponse {
	t.Helper()
	if c.token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.s.client.Do(req)
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
func (c client) data(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	r := c.post(t, query, vars)
	if len(r.Errors) > 0 || r.status != http.StatusOK {
		t.Fatalf("status %d, errors %+v", r.status, r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// fails runs an operation that must fail with one error of code (and of
// field, if given), and returns that error.
func (c client) fails(t *testing.T, query string, vars map[string]any, code, field string) gqlError {
	t.Helper()
	return oneError(t, c.post(t, query, vars), code, field)
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

// createUser makes a customer without a password (who cannot sign in).
func (s *testServer) createUser(t *testing.T, name string) userOut {
	t.Helper()
	var out struct{ CreateUser userOut }
	s.data(t, `mutation($in: CreateUserInput!) { createUser(input: $in) { id username email } }`,
		map[string]any{"in": map[string]any{"username": name, "email": name + "@example.com"}}, &out)
	return out.CreateUser
}

// newAccount has the admin create a user with a password and a role, who
// then signs in through the API.
func (s *testServer) newAccount(t *testing.T, name string, role boxoffice.Role) account {
	t.Helper()
	password := name + "-password"
	var out struct{ CreateUser userOut }
	s.data(t, `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"username": name, "email": name + "@example.com", "password": password, "role": role,
	}}, &out)
	return s.signIn(t, name+"@example.com", password)
}

// signUp makes a customer through the signUp mutation, anonymously.
func (s *testServer) signUp(t *testing.T, name string) account {
	t.Helper()
	password := name + "-password"
	var out struct{ SignUp authPayloadOut }
	s.as("").data(t, signUpMutation, map[string]any{"in": map[string]any{
		"username": name, "email": name + "@example.com", "password": password,
	}}, &out)
	return out.SignUp.account(password)
}

// signIn signs in through the signIn mutation, anonymously.
func (s *testServer) signIn(t *testing.T, email, password string) account {
	t.Helper()
	var out struct{ SignIn authPayloadOut }
	s.as("").data(t, signInMutation, map[string]any{"in": map[string]any{"email": email, "password": password}}, &out)
	return out.SignIn.account(password)
}

const (
	authFields     = `token expiresAt user { id username email role }`
	signUpMutation = `mutation($in: SignUpInput!) { signUp(input: $in) { ` + authFields + ` } }`
	signInMutation = `mutation($in: SignInInput!) { signIn(input: $in) { ` + authFields + ` } }`
)

type authPayloadOut struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
	User      struct {
		userOut
		Role string `json:"role"`
	} `json:"user"`
}

func (p authPayloadOut) account(password string) account {
	return account{ID: p.User.ID, Username: p.User.Username, Email: p.User.Email, Password: password, Token: p.Token}
}

// createEvent has the admin make an event dated daysAhead days from now.
func (s *testServer) createEvent(t *testing.T, title string, tickets int, price float64, daysAhead int) eventOut {
	t.Helper()
	return s.as(s.admin.Token).createEvent(t, title, tickets, price, daysAhead)
}

func (c client) createEvent(t *testing.T, title string, tickets int, price float64, daysAhead int) eventOut {
	t.Helper()
	var out struct{ CreateEvent eventOut }
	c.data(t, `mutation($in: CreateEventInput!) {
		createEvent(input: $in) { id title date availableTickets totalTickets price version }
	}`, map[string]any{"in": map[string]any{
		"title": title, "description": title + " live", "location": "Hall " + title,
		"date":         time.Now().UTC().Add(time.Duration(daysAhead) * 24 * time.Hour).Format(time.RFC3339),
		"totalTickets": tickets, "price": price,
	}}, &out)
	return out.CreateEvent
}

// book has the admin book for userID.
func (s *testServer) book(t *testing.T, userID, eventID string, tickets int) bookingOut {
	t.Helper()
	return s.as(s.admin.Token).book(t, userID, eventID, tickets)
}

func (c client) book(t *testing.T, userID, eventID string, tickets int) bookingOut {
	t.Helper()
	var out struct{ CreateBooking bookingOut }
	c.data(t, `mutation($u: ID!, $e: ID!, $n: Int!) {
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
