package loadtest_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/loadtest"
	"github.com/boxoffice/boxoffice/seed"
	"github.com/boxoffice/boxoffice/server"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/sqlite"
)

// startBoxoffice serves the real HTTP stack on a fresh SQLite database
// with the demo data, wired as `boxoffice serve` wires it, and returns its
// URL and a token of the demo admin.
func startBoxoffice(t *testing.T) (string, string) {
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
	tokens, err := auth.NewTokens([]byte("loadtest-integration-secret-0123456789"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Options{Tokens: tokens, Limits: &service.Limits{}}) // no limits: this is a load test
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(server.Config{
		GraphQL: graph.NewHandler(graph.Config{Users: svc.Users, Events: svc.Events, Bookings: svc.Bookings, Accounts: svc.Accounts, Logger: log}),
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
	return "http://" + ln.Addr().String() + "/graphql", admin.Token
}

func TestAgainstBoxoffice(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real server for a few seconds")
	}
	url, token := startBoxoffice(t)
	run := func(o loadtest.Options) *loadtest.Report {
		t.Helper()
		o.URL, o.Token = url, token
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
}
