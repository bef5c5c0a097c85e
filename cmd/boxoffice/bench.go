package main

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/loadtest"
)

const benchUsage = `Usage: boxoffice bench [flags] hot|spread|read|mixed [flags]

Load-tests a running boxoffice server, or the original NestJS app (it speaks
only the original API, plus boxoffice's createEvent and createUser when it
creates its own events and users), then verifies from the API that every
event booked on sold exactly the tickets its bookings hold and the server
acknowledged. Only loopback URLs are allowed without -allow-remote.

Scenarios:
  hot     createBooking of 1 ticket, all on one event (the on-sale hot row)
  spread  createBooking of 1 ticket on one of -events events at random
  read    alternately a page of 10 events and a page of 10 bookings with
          their user and event
  mixed   reads as in read with probability -reads, else bookings as in spread
          (as in hot when -event gives one event)

Without -event, bench creates its events with createEvent (-tickets tickets
each). Without -users, it books as up to 100 existing users, or creates 16
with createUser when there are none.

Examples:
  boxoffice bench hot
  boxoffice bench -c 8 -d 30s spread
  boxoffice bench -event 0190…e1 -users 0190…a1,0190…a2 hot   # original API
  boxoffice bench -tickets 500 -c 200 -d 3s hot                # a sell-out
  boxoffice bench -json read > read.json
`

func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench", benchUsage, stdout)
	var (
		url         = fs.String("url", loadtest.DefaultURL, "GraphQL endpoint")
		conns       = fs.Int("c", loadtest.DefaultConcurrency, "concurrent connections (one worker each)")
		duration    = fs.Duration("d", loadtest.DefaultDuration, "measured duration, at most "+loadtest.MaxDuration.String())
		warmUp      = fs.Duration("warmup", time.Second, "load before measuring, not counted in the rates")
		eventIDs    = fs.String("event", "", "comma-separated event ids to book on (hot: one); default: create events")
		events      = fs.Int("events", loadtest.DefaultEvents, "spread and mixed: number of events to create")
		tickets     = fs.Int("tickets", loadtest.DefaultTickets, "totalTickets of each created event")
		users       = fs.String("users", "", "comma-separated user ids, or a number N to create N users; default: existing users")
		perBooking  = fs.Int("n", 1, "tickets per booking, 1 to 10")
		reads       = fs.Float64("reads", loadtest.DefaultReadFraction, "mixed: share of reads, above 0 and at most 1")
		timeout     = fs.Duration("timeout", loadtest.DefaultRequestTimeout, "time limit of one request")
		jsonOut     = fs.Bool("json", false, "print the report as JSON on stdout")
		quiet       = fs.Bool("q", false, "no progress lines on stderr")
		noVerify    = fs.Bool("no-verify", false, "skip the verification at the end")
		allowRemote = fs.Bool("allow-remote", false, "allow a URL that is not on a loopback address")
		token       = fs.String("token", "", "sent as Authorization: Bearer TOKEN")
	)
	// Flags may come before and after the scenario.
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return fs.fail("name a scenario: hot, spread, read or mixed")
	}
	if len(rest) > 1 {
		return fs.fail("one scenario at a time; unexpected %q", strings.Join(rest[1:], " "))
	}
	scenario := rest[0]

	opts := loadtest.Options{
		URL: *url, Scenario: loadtest.Scenario(scenario),
		Concurrency: *conns, Duration: *duration, WarmUp: *warmUp,
		EventIDs: splitIDs(*eventIDs), Events: *events, Tickets: *tickets,
		TicketsPerBooking: *perBooking, ReadFraction: *reads,
		Token: *token, AllowRemote: *allowRemote, RequestTimeout: *timeout,
		NoVerify: *noVerify,
	}
	if *reads <= 0 || *reads > 1 {
		return fs.fail("-reads %g: want more than 0 and at most 1 (no reads at all is spread)", *reads)
	}
	if n, err := strconv.Atoi(*users); err == nil {
		opts.NewUsers = n
		if n < 1 {
			return fs.fail("-users %d: want user ids or a number of users to create, at least 1", n)
		}
	} else {
		opts.UserIDs = splitIDs(*users)
	}
	if !*quiet {
		opts.Progress = os.Stderr
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

func splitIDs(s string) []string {
	var ids []string
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
