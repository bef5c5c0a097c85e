package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/loadtest"
	"github.com/boxoffice/boxoffice/loadtest/provision"
)

const benchUsage = `Usage: boxoffice bench [flags] hot|spread|read|mixed|onsale|expiry [flags]

Load-tests a running boxoffice server, then verifies from the API that every
event booked on sold exactly the tickets its bookings hold and the server
acknowledged. Only loopback URLs are allowed without -allow-remote.

Scenarios:
  hot     createBooking of 1 ticket, all on one event (the on-sale hot row)
  spread  createBooking of 1 ticket on one of -events events at random
  read    alternately a page of 10 events and a page of 10 bookings with
          their user and event
  mixed   reads as in read with probability -reads, else bookings as in spread
          (as in hot when -event gives one event)
  onsale  an on-sale with payments, on a server with PAYMENT_PROVIDER=test:
          each of -buyers buyers holds 1 ticket of one priced event (a
          PENDING booking), then, once all have held, each pays its hold
          with the test card (payBooking, 4242424242424242). Reports the
          holds' rate and p99 and the payments' beside them; ends when every
          buyer has held and paid (or after -d), then verifies that the
          event's taken tickets are its PENDING and CONFIRMED bookings' and
          the CONFIRMED ones exactly those paid, with no error at all
  expiry  -holds holds of 1 ticket of one priced event, made in the server's
          database by -buyers buyers, all running out at one moment; then
          reads the event until its availableTickets is back to its total,
          and prints how long after the holds ran out that was (any
          PAYMENT_PROVIDER: the server expires holds either way)

Buyers (the default): bench loads the server as real buyers do. It opens the
server's database, with the server's configuration (run it in the server's
directory, where ./.env or ./boxoffice.db and its boxoffice.db.secret are,
or give it the server's DATABASE_URL or DB_*, and JWT_SECRET), and makes
there -buyers customer accounts, each with a token of its own signed with the
server's secret, an admin account of its own for the set-up and the reads,
and the events (-events, of -tickets tickets each). Every booking is then
made by one of the buyers, for themselves, with their token, so each buyer's
rate limit (RATE_LIMIT_MUTATIONS_PER_MINUTE) applies as it would in an
on-sale: the buyers take turns, so -buyers x 120 bookings a minute pass.
The accounts have no password and cannot sign in; their tokens expire
after an hour. Nothing is deleted afterwards.

Through the API only (-token, -users or -buyers 0): for a server whose
database bench cannot open, or the original NestJS app. Every request
carries -token, and bookings are made on behalf of -users (or up to 100
existing users; 16 are made with createUser when there are none): on
boxoffice that takes an admin's token (boxoffice token --email ADMIN), and
every booking counts against that one account's rate limit, so set
RATE_LIMIT_MUTATIONS_PER_MINUTE=0 on the server for more than 120 a
minute. Without -event, events are made with createEvent.

Examples:
  boxoffice bench hot                                          # in the server's directory
  boxoffice bench -c 8 -d 30s -buyers 5000 spread
  boxoffice bench -tickets 500 -c 200 -d 3s hot                # a sell-out
  boxoffice bench -json read > read.json
  boxoffice bench -buyers 20000 -d 2m onsale                   # server: PAYMENT_PROVIDER=test
  boxoffice bench -holds 100000 expiry
  boxoffice bench -token "$(boxoffice token --email admin@example.com)" hot   # through the API only
  boxoffice bench -event 0190…e1 -users 0190…a1,0190…a2 hot   # the original API
`

// benchTokenTTL is how long the tokens of a run's accounts are valid.
const benchTokenTTL = time.Hour

func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench", benchUsage, stdout)
	var (
		url         = fs.String("url", loadtest.DefaultURL, "GraphQL endpoint")
		conns       = fs.Int("c", loadtest.DefaultConcurrency, "concurrent connections (one worker each)")
		duration    = fs.Duration("d", loadtest.DefaultDuration, "measured duration, at most "+loadtest.MaxDuration.String())
		warmUp      = fs.Duration("warmup", time.Second, "load before measuring, not counted in the rates")
		buyers      = fs.Int("buyers", loadtest.DefaultBuyers, "buyers to make in the server's database, each booking with a token of its own; 0: through the API only")
		eventIDs    = fs.String("event", "", "comma-separated event ids to book on (hot: one); default: make events")
		events      = fs.Int("events", loadtest.DefaultEvents, "spread and mixed: number of events to make")
		tickets     = fs.Int("tickets", loadtest.DefaultTickets, "totalTickets of each event made")
		types       = fs.Int("types", 0, "ticket types of each event made, sharing its tickets, booked at random (0: none; at most 20)")
		users       = fs.String("users", "", "through the API only: comma-separated user ids to book for, or a number N to create N users; default: existing users")
		perBooking  = fs.Int("n", 1, "tickets per booking, 1 to 10")
		holds       = fs.Int("holds", loadtest.DefaultHolds, "expiry: holds to make and let expire at once")
		reads       = fs.Float64("reads", loadtest.DefaultReadFraction, "mixed: share of reads, above 0 and at most 1")
		timeout     = fs.Duration("timeout", loadtest.DefaultRequestTimeout, "time limit of one request")
		jsonOut     = fs.Bool("json", false, "print the report as JSON on stdout")
		quiet       = fs.Bool("q", false, "no progress lines on stderr")
		noVerify    = fs.Bool("no-verify", false, "skip the verification at the end")
		allowRemote = fs.Bool("allow-remote", false, "allow a URL that is not on a loopback address")
		token       = fs.String("token", "", "through the API only: sent as Authorization: Bearer TOKEN with every request")
	)
	soak := soakFlags(fs.FlagSet)
	// Flags may come before and after the scenario.
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return fs.fail("name a scenario: hot, spread, read, mixed, onsale or expiry")
	}
	if len(rest) > 1 {
		return fs.fail("one scenario at a time; unexpected %q", strings.Join(rest[1:], " "))
	}
	scenario := rest[0]
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	opts := loadtest.Options{
		URL: *url, Scenario: loadtest.Scenario(scenario),
		Concurrency: *conns, Duration: *duration, WarmUp: *warmUp,
		EventIDs: splitIDs(*eventIDs), Events: *events, Tickets: *tickets, Types: *types,
		TicketsPerBooking: *perBooking, ReadFraction: *reads, Holds: *holds,
		AllowRemote: *allowRemote, RequestTimeout: *timeout,
		NoVerify: *noVerify, Soak: soak(stdout, *jsonOut),
	}
	if *reads <= 0 || *reads > 1 {
		return fs.fail("-reads %g: want more than 0 and at most 1 (no reads at all is spread)", *reads)
	}
	if *buyers < 0 || *buyers > loadtest.MaxBuyers {
		return fs.fail("-buyers %d: want 0 to %d", *buyers, loadtest.MaxBuyers)
	}
	apiOnly := set["token"] || set["users"] || *buyers == 0
	if apiOnly && set["buyers"] && *buyers > 0 {
		return fs.fail("-buyers makes buyers who book for themselves with tokens of their own; -token and -users book through one token for others: choose one")
	}
	if !*quiet {
		opts.Progress = os.Stderr
	}
	if apiOnly {
		opts.Token = *token
		if n, err := strconv.Atoi(*users); err == nil {
			opts.NewUsers = n
			if n < 1 {
				return fs.fail("-users %d: want user ids or a number of users to create, at least 1", n)
			}
		} else {
			opts.UserIDs = splitIDs(*users)
		}
	} else {
		// Fail on a bad URL or scenario before touching the database.
		if _, err := loadtest.CheckTarget(opts.URL, opts.AllowRemote); err != nil {
			return err
		}
		if err := loadtest.CheckScenario(opts.Scenario); err != nil {
			return fs.fail("%v", err)
		}
		p, closeDB, err := benchProvisioner(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		opts.Provision, opts.Buyers = p, *buyers
	}

	rep, err := loadtest.Run(ctx, opts)
	if rep != nil {
		var werr error
		if *jsonOut {
			werr = rep.WriteJSON(stdout)
		} else {
			werr = rep.WriteText(stdout)
		}
		if err == nil {
			err = werr
		}
	}
	return err
}

// benchNeeds is what bench needs to make buyers, for its errors.
const benchNeeds = "bench makes its buyers in the server's database and signs their tokens with the server's secret, " +
	"so it needs the server's configuration: run it in the server's directory (its ./.env, or its ./boxoffice.db and " +
	"boxoffice.db.secret), or give it the server's DATABASE_URL (or DB_*) and JWT_SECRET. To load a server through " +
	"its API only, pass -token with an admin's token (boxoffice token --email ADMIN), or -buyers 0"

// benchProvisioner opens the server's database as the server's
// configuration says, without creating or migrating anything, and
// returns what makes the run's accounts and events in it.
func benchProvisioner(ctx context.Context) (loadtest.Provisioner, func(), error) {
	cfg, _, err := setup()
	if err != nil {
		return nil, nil, fmt.Errorf("%w\n%s", err, benchNeeds)
	}
	var secret []byte
	switch {
	case cfg.JWTSecret != "":
		secret = []byte(cfg.JWTSecret)
	case cfg.Engine == config.Postgres:
		return nil, nil, fmt.Errorf("JWT_SECRET is not set: %s", benchNeeds)
	default:
		if _, err := os.Stat(cfg.SQLitePath); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("no database here: %s does not exist. %s", cfg.SQLitePath, benchNeeds)
		}
		if secret, err = auth.ReadSecretFile(cfg.SQLitePath + ".secret"); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("no token secret beside the embedded database: %s.secret does not exist (the server makes it on its first start). %s", cfg.SQLitePath, benchNeeds)
		} else if err != nil {
			return nil, nil, fmt.Errorf("token secret beside the embedded database: %w", err)
		}
	}
	tokens, err := auth.NewTokens(secret, benchTokenTTL)
	if err != nil {
		return nil, nil, fmt.Errorf("JWT_SECRET: %w", err)
	}
	cfg.DBMaxConns = min(cfg.DBMaxConns, 4)
	db, err := openEngine(ctx, cfg, mustExist, io.Discard)
	if err != nil {
		return nil, nil, fmt.Errorf("%w\n%s", err, benchNeeds)
	}
	states, err := db.MigrationStatus(ctx)
	if err == nil && boxoffice.Pending(states) > 0 {
		err = fmt.Errorf("the database has %d pending migration(s): is a server running on it? (boxoffice migrate, or serve on the embedded database)", boxoffice.Pending(states))
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return provision.New(db, tokens), func() { db.Close() }, nil
}

func splitIDs(s string) []string {
	var ids []string
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
