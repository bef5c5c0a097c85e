package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/ratelimit"
)

// TestAccountsAsANewcomerWould follows the README: the first admin from the
// CLI, two customers who sign up, and the rules between them, on
// PostgreSQL with rate limits shared through Redis.
func TestAccountsAsANewcomerWould(t *testing.T) {
	redisURL := os.Getenv("BOXOFFICE_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	if client, err := ratelimit.OpenRedis(t.Context(), redisURL); err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_REDIS") == "1" {
			t.Fatalf("Redis is required (BOXOFFICE_REQUIRE_REDIS=1) but unreachable: %v", err)
		}
		t.Skipf("Redis unreachable, skipping (set BOXOFFICE_REQUIRE_REDIS=1 to fail instead): %v", err)
	} else {
		client.Close()
	}
	// A prefix of its own: Redis keeps counts across runs (and CI shares
	// this machine's Redis), and this test signs up from 127.0.0.1 each time.
	prefix := fmt.Sprintf("boxoffice-test-%d:", time.Now().UnixNano())
	dir := workdir(t, "DATABASE_URL="+freshDatabaseURL(t), "JWT_SECRET="+testSecret, "REDIS_URL="+redisURL, "REDIS_PREFIX="+prefix)
	if out, err := cli(t, dir, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	// Unique emails: Redis keeps rate-limit counts across test runs.
	run := fmt.Sprint(time.Now().UnixNano())
	adminEmail := "admin-" + run + "@example.com"
	out, err := cliWithInput(t, dir, "a-long-admin-password\n", "users", "create", "--email", adminEmail, "--username", "admin", "--role", "admin", "--password-stdin")
	if err != nil || !strings.Contains(out, "created admin") {
		t.Fatalf("users create: %v\n%s", err, out)
	}
	token, err := cli(t, dir, "token", "--email", adminEmail)
	if err != nil {
		t.Fatalf("token: %v\n%s", err, token)
	}
	s := startServer(t, dir)
	if err := redisReachable(s); err != "" {
		t.Fatal(err)
	}

	admin := *s
	admin.token = strings.TrimSpace(token)
	if me := admin.mustQuery(t, `{ me { role email } }`, nil); at(me, "me", "role") != "ADMIN" {
		t.Fatalf("the CLI's token: %v", me)
	}
	ev := admin.mustQuery(t, `mutation { createEvent(input: {title: "Premiere", date: "2099-05-01T19:00:00Z", location: "Hall", totalTickets: 10, price: 25}) { id } }`, nil)
	eventID := at(ev, "createEvent", "id").(string)

	signUp := func(name string) (*instance, string) {
		c := *s
		c.token = ""
		d := c.mustQuery(t, `mutation($in: SignUpInput!) { signUp(input: $in) { token user { id role } } }`,
			map[string]any{"in": map[string]any{"username": name, "email": name + "-" + run + "@example.com", "password": "a-long-password-" + name}})
		if at(d, "signUp", "user", "role") != "CUSTOMER" {
			t.Fatalf("signUp %s: %v", name, d)
		}
		c.token = at(d, "signUp", "token").(string)
		return &c, at(d, "signUp", "user", "id").(string)
	}
	carol, carolID := signUp("carol")
	dan, danID := signUp("dan")

	book := `mutation($u: ID!, $e: ID!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 1}) { id } }`
	b := carol.mustQuery(t, book, map[string]any{"u": carolID, "e": eventID})
	carolsBooking := at(b, "createBooking", "id").(string)
	if r := carol.query(t, book, map[string]any{"u": danID, "e": eventID}); len(r.codes()) != 1 || r.codes()[0] != "FORBIDDEN" {
		t.Errorf("carol books as dan: %v", r.codes())
	}

	for _, tc := range []struct {
		name  string
		who   *instance
		query string
		vars  map[string]any
		code  string
	}{
		{"dan books as carol", dan, book, map[string]any{"u": carolID, "e": eventID}, "FORBIDDEN"},
		{"dan reads carol's booking", dan, `query($id: ID!) { booking(id: $id) { id } }`, map[string]any{"id": carolsBooking}, "NOT_FOUND"},
		{"dan reads carol", dan, `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": carolID}, "NOT_FOUND"},
		{"dan lists carol's bookings", dan, `query($id: ID!) { bookings(filter: {userId: $id}) { total } }`, map[string]any{"id": carolID}, "FORBIDDEN"},
		{"dan cancels carol's booking", dan, `mutation($id: ID!) { cancelBooking(id: $id) { id } }`, map[string]any{"id": carolsBooking}, "NOT_FOUND"},
		{"carol lists users", carol, `{ users { total } }`, nil, "FORBIDDEN"},
		{"anonymous lists users", s, `{ users { total } }`, nil, "UNAUTHENTICATED"},
		{"anonymous reads a booking", s, `query($id: ID!) { booking(id: $id) { id } }`, map[string]any{"id": carolsBooking}, "UNAUTHENTICATED"},
		{"anonymous books", s, book, map[string]any{"u": carolID, "e": eventID}, "UNAUTHENTICATED"},
	} {
		if codes := tc.who.query(t, tc.query, tc.vars).codes(); len(codes) != 1 || codes[0] != tc.code {
			t.Errorf("%s: codes %v, want [%s]", tc.name, codes, tc.code)
		}
	}
	if mine := dan.mustQuery(t, `{ bookings { total } }`, nil); at(mine, "bookings", "total") != 0.0 {
		t.Errorf("dan sees bookings that are not his: %v", mine)
	}

	// Anonymous callers see public event data, not who booked.
	pub := s.query(t, `query($id: ID!) { event(id: $id) { title availableTickets bookings { id } } }`, map[string]any{"id": eventID})
	if at(pub.Data, "event", "title") != "Premiere" || at(pub.Data, "event", "availableTickets") != 9.0 || at(pub.Data, "event", "bookings") != nil ||
		len(pub.codes()) != 1 || pub.codes()[0] != "UNAUTHENTICATED" {
		t.Errorf("anonymous event: %+v %v", pub.Data, pub.codes())
	}

	// A tampered token is refused, never taken as anonymous.
	forged := *carol
	forged.token = carol.token[:len(carol.token)-2] + "xx"
	if r := forged.query(t, `{ me { id } }`, nil); r.status != 401 || len(r.codes()) != 1 || r.codes()[0] != "UNAUTHENTICATED" {
		t.Errorf("tampered token: status %d codes %v", r.status, r.codes())
	}

	// Brute force on carol's account stops after a handful of tries.
	signIn := `mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }`
	var last gqlResponse
	for range 6 {
		last = s.query(t, signIn, map[string]any{"e": "carol-" + run + "@example.com", "p": "guess-guess-guess"})
	}
	if codes := last.codes(); len(codes) != 1 || codes[0] != "RATE_LIMITED" || last.Errors[0].Extensions["retryAfter"] == nil {
		t.Errorf("6th wrong sign-in: %+v, want RATE_LIMITED with retryAfter", last.Errors)
	}

	// Signing out revokes the token.
	carol.mustQuery(t, `mutation { signOut }`, nil)
	if r := carol.query(t, `{ me { id } }`, nil); r.status != 401 {
		t.Errorf("token after signOut: status %d %v", r.status, r.codes())
	}
}

// cliWithInput is cli with standard input.
func cliWithInput(t *testing.T, dir, input string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, cleanEnv(), strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// redisReachable reports, as a test failure message, a server that fell
// back from Redis: the point here is the shared limiter.
func redisReachable(s *instance) string {
	if strings.Contains(s.logs.String(), "REDIS_URL") {
		return "the server could not use Redis:\n" + s.logs.String()
	}
	return ""
}
