package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/original"
)

// originalEnv is the original app's .env (its README), pointed at a fresh
// test database.
func originalEnv(dbName string) []string {
	return []string{
		"# Server Configuration", "PORT=3000", "NODE_ENV=development", "HOST=localhost", "",
		"# Database Configuration", "DB_HOST=127.0.0.1", "DB_PORT=5432", "DB_USERNAME=postgres", "DB_PASSWORD=postgres",
		"DB_NAME=" + dbName, "DB_SCHEMA=event_booking_2", "DB_SSL_ENABLED=false",
		"", "# boxoffice's own", "JWT_SECRET=" + testSecret, "RATE_LIMIT_MUTATIONS_PER_MINUTE=0",
	}
}

// testSecret signs the tests' tokens; a real one comes from `openssl rand -hex 32`.
const testSecret = "e2e-test-secret-0123456789abcdef0123456789"

// TestOriginalSetupOnPostgres follows the README's set-up with the original
// .env, then runs every query of the original README.
func TestOriginalSetupOnPostgres(t *testing.T) {
	dir := workdir(t, originalEnv(freshDatabase(t))...)

	out, err := cli(t, dir, "serve")
	if err == nil || !strings.Contains(out, "pending migration") || !strings.Contains(out, "boxoffice migrate") {
		t.Fatalf("serve on an unmigrated database must refuse and name the command to run; got err=%v\n%s", err, out)
	}
	for _, step := range [][]string{{"schema", "drop"}, {"schema", "create"}, {"migrate"}, {"seed"}} {
		if out, err := cli(t, dir, step...); err != nil {
			t.Fatalf("boxoffice %s: %v\n%s", strings.Join(step, " "), err, out)
		}
	}
	out, err = cli(t, dir, "seed")
	if err != nil || !strings.Contains(out, "0 users, 0 events, 0 bookings created") {
		t.Fatalf("second seed must change nothing: %v\n%s", err, out)
	}
	out, err = cli(t, dir, "migrate", "status")
	if err != nil || !strings.Contains(out, "0 pending") {
		t.Fatalf("migrate status: %v\n%s", err, out)
	}

	s := startServer(t, dir)
	runOriginalQueries(t, s)
	raceForLastTickets(t, s)
}

// TestPostgresNeedsJWTSecret: with PostgreSQL there is no default secret.
func TestPostgresNeedsJWTSecret(t *testing.T) {
	var env []string
	for _, l := range originalEnv(freshDatabase(t)) {
		if !strings.HasPrefix(l, "JWT_SECRET=") {
			env = append(env, l)
		}
	}
	dir := workdir(t, env...)
	if out, err := cli(t, dir, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err := cli(t, dir, "serve")
	if err == nil || !strings.Contains(out, "JWT_SECRET is required") {
		t.Fatalf("serve without JWT_SECRET on PostgreSQL must refuse: %v\n%s", err, out)
	}
}

// TestZeroSetupOnEmbedded starts boxoffice in an empty directory with no
// configuration at all: it must create, migrate and seed its own database.
func TestZeroSetupOnEmbedded(t *testing.T) {
	dir := workdir(t, "RATE_LIMIT_MUTATIONS_PER_MINUTE=0")
	s := startServer(t, dir)
	if !strings.Contains(s.logs.String(), "loaded demo data") {
		t.Fatalf("no demo data log line:\n%s", s.logs.String())
	}
	runOriginalQueries(t, s)
	raceForLastTickets(t, s)

	// A restart keeps every booking and does not seed again.
	before := s.mustQuery(t, `{ bookings(pagination:{limit:1}) { total } }`, nil)
	s.stop(t)
	token := s.token
	s = startServer(t, dir)
	s.token = token // the secret beside the database survives the restart, and so do tokens
	after := s.mustQuery(t, `{ bookings(pagination:{limit:1}) { total } }`, nil)
	if at(before, "bookings", "total") != at(after, "bookings", "total") {
		t.Fatalf("bookings before restart %v, after %v", at(before, "bookings", "total"), at(after, "bookings", "total"))
	}
	if strings.Contains(s.logs.String(), "loaded demo data") {
		t.Fatalf("demo data loaded again on restart")
	}
}

// runOriginalQueries runs the original README's operations unchanged, as
// an admin (alice, in the demo data).
func runOriginalQueries(t *testing.T, s *instance) {
	page := map[string]any{"pagination": map[string]any{"page": 1, "limit": 10}}
	s.signIn(t, "alice@example.com")

	users := s.mustQuery(t, original.Users, page)
	if at(users, "users", "total") != 10.0 || len(at(users, "users", "items").([]any)) != 10 {
		t.Fatalf("users: %v", users)
	}
	var aliceID string
	for _, u := range at(users, "users", "items").([]any) {
		if at(u, "bookings") == nil {
			t.Fatalf("users list must fill bookings: %v", u)
		}
		if at(u, "username") == "alice" {
			aliceID = at(u, "id").(string)
		}
	}
	alice := s.mustQuery(t, original.User, map[string]any{"id": aliceID})
	if at(alice, "user", "email") != "alice@example.com" || len(at(alice, "user", "bookings").([]any)) != 2 ||
		at(alice, "user", "bookings", 0, "event", "title") == nil {
		t.Fatalf("user: %v", alice)
	}

	mine := s.mustQuery(t, original.UserBookings, map[string]any{"filter": map[string]any{"userId": aliceID}, "pagination": map[string]any{"page": 1, "limit": 10}})
	if at(mine, "bookings", "total") != 2.0 || at(mine, "bookings", "items", 0, "event", "price") == nil {
		t.Fatalf("user bookings: %v", mine)
	}

	events := s.mustQuery(t, original.Events, page)
	if at(events, "events", "total") != 12.0 || at(events, "events", "page") != 1.0 || at(events, "events", "limit") != 10.0 {
		t.Fatalf("events: %v", events)
	}
	items := at(events, "events", "items").([]any)
	for i := 1; i < len(items); i++ {
		if at(items[i-1], "date").(string) > at(items[i], "date").(string) {
			t.Fatalf("events not by date: %v then %v", at(items[i-1], "date"), at(items[i], "date"))
		}
	}
	goConf := at(items, 0)
	if at(goConf, "title") != "Go Conference" || at(goConf, "price") != 49.0 || at(goConf, "availableTickets") != 297.0 {
		t.Fatalf("first event: %v", goConf)
	}
	eventID := at(goConf, "id").(string)
	ev := s.mustQuery(t, original.Event, map[string]any{"id": eventID})
	if n := len(at(ev, "event", "bookings").([]any)); n != 2 || at(ev, "event", "bookings", 0, "user", "username") == nil {
		t.Fatalf("event bookings: %v", ev)
	}

	created := s.mustQuery(t, original.CreateBooking, map[string]any{"userId": aliceID, "input": map[string]any{"eventId": eventID, "numberOfTickets": 2}})
	if at(created, "createBooking", "event", "availableTickets") != 295.0 || at(created, "createBooking", "user", "username") != "alice" {
		t.Fatalf("createBooking: %v", created)
	}
	bookingID := at(created, "createBooking", "id").(string)
	b := s.mustQuery(t, original.Booking, map[string]any{"id": bookingID})
	if at(b, "booking", "numberOfTickets") != 2.0 || at(b, "booking", "user", "email") != "alice@example.com" || at(b, "booking", "event", "availableTickets") != 295.0 {
		t.Fatalf("booking: %v", b)
	}

	filtered := strings.NewReplacer(`"user-uuid"`, `"`+aliceID+`"`, `"event-uuid"`, `"`+eventID+`"`)
	old := s.mustQuery(t, filtered.Replace(original.FilteredBookings), nil)
	if at(old, "bookings", "total") != 0.0 {
		t.Fatalf("no booking was made in 2024: %v", old)
	}
	today := time.Now().UTC().Format("2006-01-02")
	todays := s.mustQuery(t, strings.NewReplacer(`"2024-01-01"`, `"`+today+`"`, `"2024-12-31"`, `"`+today+`"`).Replace(filtered.Replace(original.FilteredBookings)), nil)
	if at(todays, "bookings", "total") != 2.0 { // the seed's and the one just made
		t.Fatalf("a plain createdTo date must include that whole day: %v", todays)
	}

	for name, tc := range map[string]struct {
		query string
		vars  map[string]any
		code  string
	}{
		"too many tickets": {original.CreateBooking, map[string]any{"userId": aliceID, "input": map[string]any{"eventId": eventID, "numberOfTickets": 11}}, "BAD_USER_INPUT"},
		"malformed id":     {original.User, map[string]any{"id": "user-uuid"}, "BAD_USER_INPUT"},
		"unknown event":    {original.Event, map[string]any{"id": "00000000-0000-4000-8000-000000000000"}, "NOT_FOUND"},
		"page zero":        {original.Events, map[string]any{"pagination": map[string]any{"page": 0}}, "BAD_USER_INPUT"},
		"limit over max":   {original.Events, map[string]any{"pagination": map[string]any{"limit": 101}}, "BAD_USER_INPUT"},
		"not enough left":  {original.CreateBooking, map[string]any{"userId": aliceID, "input": map[string]any{"eventId": eventID, "numberOfTickets": 10}}, ""},
	} {
		r := s.query(t, tc.query, tc.vars)
		if tc.code == "" {
			continue // checked below with a sold-out event
		}
		if codes := r.codes(); len(codes) != 1 || codes[0] != tc.code {
			t.Errorf("%s: codes %v, want [%s]: %+v", name, codes, tc.code, r.Errors)
		}
	}

	resp, err := http.Post(s.url+"/graphql", "application/json", strings.NewReader(`{"query": `))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed JSON: status %d, want 400", resp.StatusCode)
	}
}

// raceForLastTickets sends 300 concurrent bookings for an event with 50
// tickets: exactly 50 must succeed and the rest be SOLD_OUT.
func raceForLastTickets(t *testing.T, s *instance) {
	ev := s.mustQuery(t, `mutation { createEvent(input: {title: "Hot Show", date: "2099-01-01T20:00:00Z", location: "Arena", totalTickets: 50, price: 10.5}) { id } }`, nil)
	eventID := at(ev, "createEvent", "id").(string)
	users := s.mustQuery(t, `{ users(pagination: {limit: 10}) { items { id } } }`, nil)
	userIDs := at(users, "users", "items").([]any)

	var ok, soldOut atomic.Int64
	var other sync.Map
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := s.query(t, original.CreateBooking, map[string]any{"userId": at(userIDs[i%len(userIDs)], "id"), "input": map[string]any{"eventId": eventID, "numberOfTickets": 1}})
			switch codes := r.codes(); {
			case len(codes) == 0:
				ok.Add(1)
			case len(codes) == 1 && codes[0] == "SOLD_OUT":
				soldOut.Add(1)
			default:
				other.Store(fmt.Sprint(codes), r.Errors)
			}
		}()
	}
	close(start)
	wg.Wait()
	other.Range(func(k, v any) bool { t.Errorf("unexpected outcome %v: %v", k, v); return true })
	if ok.Load() != 50 || soldOut.Load() != 250 {
		t.Fatalf("300 bookings for 50 tickets: %d succeeded, %d sold out; want 50 and 250", ok.Load(), soldOut.Load())
	}
	got := s.mustQuery(t, `query($id: ID!) { event(id: $id) { availableTickets bookings(limit: 1000) { numberOfTickets } } }`, map[string]any{"id": eventID})
	sum := 0.0
	for _, b := range at(got, "event", "bookings").([]any) {
		sum += at(b, "numberOfTickets").(float64)
	}
	if at(got, "event", "availableTickets") != 0.0 || sum != 50 {
		t.Fatalf("after the race: available %v, booked %v; want 0 and 50", at(got, "event", "availableTickets"), sum)
	}
}
