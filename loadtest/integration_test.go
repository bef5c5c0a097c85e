package loadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bo "github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/loadtest"
	"github.com/boxoffice/boxoffice/loadtest/provision"
	"github.com/boxoffice/boxoffice/seed"
	"github.com/boxoffice/boxoffice/server"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/sqlite"
)

// boxoffice is a real server for the tests: its URL, a token of the demo
// admin, and what a run needs to make buyers in its database.
type boxoffice struct {
	url, adminToken string
	db              *sqlite.DB
	tokens          *auth.Tokens
}

// startBoxoffice serves the real HTTP stack on a fresh SQLite database
// with the demo data, wired as `boxoffice serve` wires it, with limits
// (nil: the server's defaults).
func startBoxoffice(t *testing.T, limits *service.Limits) *boxoffice {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bench.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens([]byte(testSecret), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Options{Tokens: tokens, Limits: limits})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(server.Config{
		GraphQL: graph.NewHandler(graph.Config{Users: svc.Users, Events: svc.Events, Bookings: svc.Bookings, Accounts: svc.Accounts, Tickets: svc.Tickets, Waitlist: svc.Waitlist, Logger: log}),
		IDE:     http.NotFoundHandler(), Ready: db.Ping, Logger: log, Authenticate: svc.Accounts.Authenticate,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()); svc.Close() }) // LIFO: before db.Close
	admin, err := svc.Accounts.IssueToken(ctx, "alice@example.com")           // the demo admin
	if err != nil {
		t.Fatal(err)
	}
	return &boxoffice{url: "http://" + ln.Addr().String() + "/graphql", adminToken: admin.Token, db: db, tokens: tokens}
}

const testSecret = "loadtest-integration-secret-0123456789"

func TestAgainstBoxoffice(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real server for a few seconds")
	}
	b := startBoxoffice(t, &service.Limits{}) // no limits: one token books for everyone
	run := func(o loadtest.Options) *loadtest.Report {
		t.Helper()
		o.URL, o.Token = b.url, b.adminToken
		o.Concurrency, o.WarmUp = 16, 200*time.Millisecond
		if o.Duration == 0 {
			o.Duration = time.Second
		}
		rep, err := loadtest.Run(context.Background(), o)
		if err != nil {
			t.Fatalf("%s: %v", o.Scenario, err)
		}
		return rep
	}

	hot := run(loadtest.Options{Scenario: loadtest.Hot, Duration: 2 * time.Second})
	if hot.Bookings == 0 || len(hot.Errors) != 0 || len(hot.TransportErrors) != 0 {
		t.Errorf("hot: %d bookings, errors %v %v", hot.Bookings, hot.Errors, hot.TransportErrors)
	}
	if v := hot.Verification; !v.OK || v.Sold != v.Acknowledged || v.Sold < hot.Bookings || v.Uncertain != 0 {
		t.Errorf("hot verification %+v", v)
	}
	if hot.Users != 10 {
		t.Errorf("hot booked as %d users, want the 10 demo users", hot.Users)
	}

	// A sell-out: exactly the tickets there are, the rest SOLD_OUT.
	sell := run(loadtest.Options{Scenario: loadtest.Hot, Tickets: 50, NewUsers: 20})
	if v := sell.Verification; !v.OK || v.Sold != 50 || v.SumOfBookings != 50 {
		t.Errorf("sell-out verification %+v", v)
	}
	if sell.Errors["SOLD_OUT"] == 0 {
		t.Errorf("sell-out errors %v, want SOLD_OUT", sell.Errors)
	}

	spread := run(loadtest.Options{Scenario: loadtest.Spread, Events: 50})
	if v := spread.Verification; !v.OK || spread.Bookings == 0 || v.Events == 0 {
		t.Errorf("spread: %d bookings, verification %+v", spread.Bookings, v)
	}

	read := run(loadtest.Options{Scenario: loadtest.Read})
	if read.Reads == 0 || read.Reads != read.Requests {
		t.Errorf("read: %d reads of %d requests, errors %v %v %v", read.Reads, read.Requests, read.Errors, read.ErrorSamples, read.TransportErrors)
	}

	mixed := run(loadtest.Options{Scenario: loadtest.Mixed, Events: 5})
	if mixed.Reads == 0 || mixed.Bookings == 0 || !mixed.Verification.OK {
		t.Errorf("mixed: %d reads, %d bookings, verification %+v", mixed.Reads, mixed.Bookings, mixed.Verification)
	}

	// Events made with createEvent and three ticket types, booked by type.
	typed := run(loadtest.Options{Scenario: loadtest.Spread, Events: 5, Types: 3, Tickets: 30_000})
	if v := typed.Verification; !v.OK || typed.Bookings == 0 || len(typed.Errors) != 0 {
		t.Errorf("spread over ticket types: %d bookings, errors %v %v, verification %+v", typed.Bookings, typed.Errors, typed.ErrorSamples, v)
	}
}

// TestBuyersAgainstBoxoffice loads a server with its default rate limits
// as buyers made in its database, each booking for themselves with a
// token of its own: nothing is refused, and the verification holds.
func TestBuyersAgainstBoxoffice(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real server for a few seconds")
	}
	b := startBoxoffice(t, nil) // 120 changes a minute per user
	recorder := &recordingProvisioner{Provisioner: provision.New(b.db, b.tokens)}
	run := func(o loadtest.Options) (*loadtest.Report, error) {
		t.Helper()
		o.URL, o.Provision = b.url, recorder
		o.Concurrency, o.WarmUp = 16, 200*time.Millisecond
		if o.Duration == 0 {
			o.Duration = time.Second
		}
		return loadtest.Run(context.Background(), o)
	}

	hot, err := run(loadtest.Options{Scenario: loadtest.Hot, Buyers: 500, Duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if hot.Bookings == 0 || len(hot.Errors) != 0 || len(hot.TransportErrors) != 0 || len(hot.Notes) != 0 {
		t.Errorf("hot as buyers: %d bookings, errors %v %v %v, notes %q", hot.Bookings, hot.Errors, hot.ErrorSamples, hot.TransportErrors, hot.Notes)
	}
	if v := hot.Verification; !v.OK || v.Sold != v.Acknowledged || v.Uncertain != 0 {
		t.Errorf("hot verification %+v", v)
	}
	if hot.Buyers != 500 || hot.Users != 0 {
		t.Errorf("hot: %d buyers, %d users; want 500 buyers", hot.Buyers, hot.Users)
	}
	// Each buyer booked for themselves, with their own token: their
	// bookings are theirs, and they see them with that token. The buyers
	// take turns, so the first n booked, n being the bookings of the whole
	// run (warm-up included) up to the 500 buyers.
	buyers := recorder.last()
	n := int(min(hot.Verification.Acknowledged, int64(len(buyers))))
	for _, i := range []int{0, n / 2, n - 1} {
		var data struct {
			Me struct {
				ID       string
				Role     string
				Bookings []struct{ User struct{ ID string } }
			}
		}
		if err := query(b.url, buyers[i].Token, `{ me { id role bookings { user { id } } } }`, &data); err != nil {
			t.Fatalf("buyer %d: %v", i, err)
		}
		if data.Me.ID != buyers[i].ID || data.Me.Role != "CUSTOMER" || len(data.Me.Bookings) == 0 {
			t.Errorf("buyer %d (%s): %+v", i, buyers[i].ID, data.Me)
		}
	}

	// A sell-out: exactly the tickets there are, the rest SOLD_OUT.
	sell, err := run(loadtest.Options{Scenario: loadtest.Hot, Tickets: 50, Buyers: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if v := sell.Verification; !v.OK || v.Sold != 50 || v.SumOfBookings != 50 || sell.Errors["SOLD_OUT"] == 0 {
		t.Errorf("sell-out as buyers: errors %v, verification %+v", sell.Errors, v)
	}

	spread, err := run(loadtest.Options{Scenario: loadtest.Spread, Events: 50, Buyers: 300})
	if err != nil || !spread.Verification.OK || spread.Bookings == 0 || spread.Events != 50 || len(spread.Errors) != 0 {
		t.Errorf("spread as buyers: %v; %d bookings on %d events, errors %v", err, spread.Bookings, spread.Events, spread.Errors)
	}
	// read needs an admin for the pages of bookings: the run's own.
	read, err := run(loadtest.Options{Scenario: loadtest.Read})
	if err != nil || read.Reads == 0 || read.Reads != read.Requests {
		t.Errorf("read: %v; %d reads of %d requests, errors %v %v", err, read.Reads, read.Requests, read.Errors, read.ErrorSamples)
	}
	mixed, err := run(loadtest.Options{Scenario: loadtest.Mixed, Events: 5, Buyers: 300})
	if err != nil || mixed.Reads == 0 || mixed.Bookings == 0 || len(mixed.Errors) != 0 || !mixed.Verification.OK {
		t.Errorf("mixed: %v; %d reads, %d bookings, errors %v", err, mixed.Reads, mixed.Bookings, mixed.Errors)
	}
	// A hot event made in the database with four ticket types, booked by type.
	typed, err := run(loadtest.Options{Scenario: loadtest.Hot, Types: 4, Tickets: 40_000, Buyers: 300})
	if err != nil || typed.Bookings == 0 || len(typed.Errors) != 0 || !typed.Verification.OK {
		t.Errorf("hot over ticket types: %v; %d bookings, errors %v %v", err, typed.Bookings, typed.Errors, typed.ErrorSamples)
	}
}

// TestRateLimitsApplyPerAccount: with the server's limits on (5 changes a
// minute per user here, so that any machine reaches them in a second), the
// limit applies to each buyer, and to the one token that books for
// everyone; each report says what to change.
func TestRateLimitsApplyPerAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real server")
	}
	limits := service.DefaultLimits
	limits.MutationsPerUser = boxofficeLimit(5)
	b := startBoxoffice(t, &limits)
	few, err := loadtest.Run(context.Background(), loadtest.Options{
		URL: b.url, Scenario: loadtest.Hot, Provision: provision.New(b.db, b.tokens), Buyers: 2,
		Concurrency: 8, Duration: time.Second, WarmUp: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if few.Errors["RATE_LIMITED"] == 0 || !few.Verification.OK || few.Verification.Sold != 2*5 || len(few.Notes) != 1 || !strings.Contains(few.Notes[0], "-buyers") {
		t.Errorf("2 buyers: errors %v, sold %d (want 10), notes %q", few.Errors, few.Verification.Sold, few.Notes)
	}
	one, err := loadtest.Run(context.Background(), loadtest.Options{
		URL: b.url, Scenario: loadtest.Hot, Token: b.adminToken,
		Concurrency: 8, Duration: time.Second, WarmUp: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The admin's budget of 5 paid for its createEvent, then 4 bookings.
	if one.Errors["RATE_LIMITED"] == 0 || one.Verification.Sold != 4 || len(one.Notes) != 1 || !strings.Contains(one.Notes[0], "RATE_LIMIT_MUTATIONS_PER_MINUTE=0") {
		t.Errorf("one token: errors %v, sold %d (want 4), notes %q", one.Errors, one.Verification.Sold, one.Notes)
	}
}

// TestBuyersOfAnotherDatabase: buyers made where the server does not look
// stop the run before the load, with a message that says so.
func TestBuyersOfAnotherDatabase(t *testing.T) {
	b := startBoxoffice(t, nil)
	other := startBoxoffice(t, nil) // same secret, another database
	_, err := loadtest.Run(context.Background(), loadtest.Options{
		URL: b.url, Scenario: loadtest.Hot, Provision: provision.New(other.db, other.tokens), Buyers: 10,
		Duration: time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "does not accept the tokens of the run's admin made in the database") ||
		!strings.Contains(err.Error(), "DATABASE_URL and JWT_SECRET") {
		t.Errorf("buyers of another database: %v", err)
	}
}

func boxofficeLimit(perMinute int) bo.Limit { return bo.Limit{Events: perMinute, Per: time.Minute} }

// recordingProvisioner keeps the buyers it made last.
type recordingProvisioner struct {
	loadtest.Provisioner
	mu     sync.Mutex
	buyers []loadtest.Buyer
}

func (r *recordingProvisioner) Buyers(ctx context.Context, n int) ([]loadtest.Buyer, error) {
	bs, err := r.Provisioner.Buyers(ctx, n)
	r.mu.Lock()
	r.buyers = bs
	r.mu.Unlock()
	return bs, err
}

func (r *recordingProvisioner) last() []loadtest.Buyer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buyers
}

// query posts one GraphQL operation with a token and decodes its data.
func query(url, token, q string, out any) error {
	body, _ := json.Marshal(map[string]string{"query": q})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return err
	}
	if len(r.Errors) > 0 {
		return errors.New(r.Errors[0].Message)
	}
	return json.Unmarshal(r.Data, out)
}
