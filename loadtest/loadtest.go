// Package loadtest is a GraphQL load generator for boxoffice. It speaks
// the original Event Ticket Booking App's API, so it can load the original
// NestJS server too; only its "create your own events and users" set-up
// needs boxoffice's createEvent and createUser.
//
// Each scenario runs a number of workers, each with one kept-alive
// connection, for a bounded time. A run records every request's latency,
// its outcome by extensions.code, and the tickets the server acknowledged
// per event, then verifies from the API that no ticket was lost or
// oversold: for each event booked on, totalTickets - availableTickets
// equals the sum of its confirmed bookings and grew by exactly the
// acknowledged tickets.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario is what the workers do.
type Scenario string

const (
	// Hot books 1 ticket per request on one event: the on-sale hot row.
	Hot Scenario = "hot"
	// Spread books 1 ticket per request on one of many events at random.
	Spread Scenario = "spread"
	// Read alternates a page of 10 events and a page of 10 bookings with
	// their user and event.
	Read Scenario = "read"
	// Mixed does reads (as Read) with probability ReadFraction, else
	// bookings (as Spread, or Hot when given one event).
	Mixed Scenario = "mixed"
)

// Scenarios lists every scenario.
var Scenarios = []Scenario{Hot, Spread, Read, Mixed}

// Defaults and bounds of Options.
const (
	DefaultURL            = "http://127.0.0.1:3000/graphql"
	DefaultConcurrency    = 64
	MaxConcurrency        = 4096
	DefaultDuration       = 10 * time.Second
	MaxDuration           = 10 * time.Minute
	DefaultEvents         = 1000
	DefaultTickets        = 1_000_000 // boxoffice's largest totalTickets
	DefaultNewUsers       = 16        // created when the server has no users
	DefaultReadFraction   = 0.8
	DefaultRequestTimeout = 30 * time.Second
	verifyTimeout         = 3 * time.Minute
	setupParallelism      = 16
)

// Options configures a run. Zero values take the defaults.
type Options struct {
	URL         string
	Scenario    Scenario
	Concurrency int           // workers, each with its own connection; default 64
	Duration    time.Duration // measured time; default 10s, at most MaxDuration
	WarmUp      time.Duration // load before measuring, not counted; at most MaxDuration

	// EventIDs are the events to book on (hot: exactly one). Without
	// them, the run creates its own with createEvent: one for hot, Events
	// for spread and mixed, each with Tickets tickets.
	EventIDs []string
	Events   int // default 1000
	Tickets  int // default 1,000,000

	// UserIDs book. Without them the run creates NewUsers users with
	// createUser if NewUsers > 0, else reuses up to 100 existing users
	// (the users query), creating 16 if there are none.
	UserIDs  []string
	NewUsers int

	TicketsPerBooking int     // 1 to 10; default 1
	ReadFraction      float64 // mixed: share of reads, 0 to 1; default 0.8

	Token          string        // sent as "Authorization: Bearer TOKEN" when set
	AllowRemote    bool          // allow a non-loopback URL
	RequestTimeout time.Duration // default 30s
	NoVerify       bool          // skip the verification at the end
	Progress       io.Writer     // a line per second and set-up notes; nil: none
}

func (o Options) withDefaults() (Options, error) {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	switch o.Scenario {
	case Hot, Spread, Read, Mixed:
	default:
		return o, fmt.Errorf("unknown scenario %q: want hot, spread, read or mixed", o.Scenario)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		return o, fmt.Errorf("concurrency %d: want 1 to %d", o.Concurrency, MaxConcurrency)
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration < 0 || o.Duration > MaxDuration {
		return o, fmt.Errorf("duration %s: want at most %s", o.Duration, MaxDuration)
	}
	if o.WarmUp < 0 || o.WarmUp > MaxDuration {
		return o, fmt.Errorf("warm-up %s: want 0 to %s", o.WarmUp, MaxDuration)
	}
	if o.Events == 0 {
		o.Events = DefaultEvents
	}
	if o.Events < 1 || o.Events > 100_000 {
		return o, fmt.Errorf("events %d: want 1 to 100000", o.Events)
	}
	if o.Tickets == 0 {
		o.Tickets = DefaultTickets
	}
	if o.Tickets < 1 {
		return o, fmt.Errorf("tickets %d: want at least 1", o.Tickets)
	}
	if o.NewUsers < 0 || o.NewUsers > 100_000 {
		return o, fmt.Errorf("new users %d: want 0 to 100000", o.NewUsers)
	}
	if o.TicketsPerBooking == 0 {
		o.TicketsPerBooking = 1
	}
	if o.TicketsPerBooking < 1 || o.TicketsPerBooking > 10 {
		return o, fmt.Errorf("tickets per booking %d: want 1 to 10", o.TicketsPerBooking)
	}
	if o.ReadFraction == 0 {
		o.ReadFraction = DefaultReadFraction
	}
	if o.ReadFraction < 0 || o.ReadFraction > 1 {
		return o, fmt.Errorf("read fraction %g: want 0 to 1", o.ReadFraction)
	}
	if o.Scenario == Hot && len(o.EventIDs) > 1 {
		return o, fmt.Errorf("hot books on one event: give one event id, not %d", len(o.EventIDs))
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o, nil
}

func (o Options) books() bool { return o.Scenario != Read }
func (o Options) reads() bool { return o.Scenario == Read || o.Scenario == Mixed }

// The operations, in the original API.
const (
	bookingQuery = `mutation Book($userId: ID!, $input: CreateBookingInput!) { createBooking(userId: $userId, input: $input) { id numberOfTickets } }`

	eventsPageQuery = `query Events($pagination: PaginationInput) { events(pagination: $pagination) { items { id title description date location availableTickets totalTickets price } total page limit } }`

	bookingsPageQuery = `query Bookings($pagination: PaginationInput) { bookings(pagination: $pagination) { items { id numberOfTickets createdAt user { id username email } event { id title date location price } } total page limit } }`
)

// op is a kind of request the workers send.
type op int

const (
	opBooking op = iota
	opReadEvents
	opReadBookings
	opCount
)

var opNames = [opCount]string{"createBooking", "events page", "bookings page"}

// event is a target of bookings.
type event struct {
	id         string
	quoted     []byte // id as a JSON string
	total      int64
	soldBefore int64 // totalTickets - availableTickets before the run
}

// stats is one worker's record, merged at the end.
type stats struct {
	hist      [opCount]histogram
	requests  [opCount]int64 // in the measured window
	ok        [opCount]int64
	errs      map[string]int64 // by extensions.code, measured window
	samples   map[string]string
	transport map[string]int64 // exchanges without a GraphQL answer, measured window

	// Whole run, warm-up included, for the verification.
	acked     []int64 // tickets acknowledged per event
	uncertain []int64 // tickets of bookings whose outcome is unknown
	attempts  []int64
	failedAll int64 // requests without a GraphQL answer, warm-up included
}

func newStats(events int) *stats {
	return &stats{
		errs: map[string]int64{}, samples: map[string]string{}, transport: map[string]int64{},
		acked: make([]int64, events), uncertain: make([]int64, events), attempts: make([]int64, events),
	}
}

func (s *stats) merge(o *stats) {
	for i := range s.hist {
		s.hist[i].merge(&o.hist[i])
		s.requests[i] += o.requests[i]
		s.ok[i] += o.ok[i]
	}
	for k, v := range o.errs {
		s.errs[k] += v
	}
	for k, v := range o.samples {
		if _, ok := s.samples[k]; !ok {
			s.samples[k] = v
		}
	}
	for k, v := range o.transport {
		s.transport[k] += v
	}
	for i := range s.acked {
		s.acked[i] += o.acked[i]
		s.uncertain[i] += o.uncertain[i]
		s.attempts[i] += o.attempts[i]
	}
	s.failedAll += o.failedAll
}

// live counters for the progress line.
type live struct {
	requests, bookings, errors atomic.Int64
}

// Run sets up the scenario, loads the server for opts.WarmUp plus
// opts.Duration, then verifies the bookings. It returns the report, and
// an error if the run could not be done or the verification failed (the
// report is then still returned when there is one).
func Run(ctx context.Context, opts Options) (*Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	u, err := CheckTarget(o.URL, o.AllowRemote)
	if err != nil {
		return nil, err
	}
	c := &client{
		url:   u.String(),
		http:  newHTTPClient(o.Concurrency, o.RequestTimeout, o.AllowRemote),
		token: o.Token,
	}
	defer c.http.CloseIdleConnections()

	var (
		events []*event
		users  []string
	)
	if o.books() {
		if events, err = setupEvents(ctx, c, o); err != nil {
			return nil, err
		}
		if users, err = setupUsers(ctx, c, o); err != nil {
			return nil, err
		}
	}

	total, elapsed := load(ctx, c, o, events, users)
	rep := newReport(o, total, elapsed, len(events), len(users))
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("interrupted: %w", err)
	}
	if o.books() && !o.NoVerify {
		vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
		defer cancel()
		rep.Verification = verify(vctx, c, events, total, o.Progress)
		if !rep.Verification.OK {
			return rep, errors.New("verification failed: " + rep.Verification.Summary)
		}
	}
	return rep, nil
}

// load runs the workers and returns their merged stats and the measured
// time.
func load(ctx context.Context, c *client, o Options, events []*event, userIDs []string) (*stats, time.Duration) {
	users := make([][]byte, len(userIDs))
	for i, id := range userIDs {
		users[i] = jsonString(id)
	}
	start := time.Now()
	measureFrom := start.Add(o.WarmUp)
	end := measureFrom.Add(o.Duration)

	var (
		lv   live
		wg   sync.WaitGroup
		all  = make([]*stats, o.Concurrency)
		done = make(chan struct{})
	)
	for i := range o.Concurrency {
		all[i] = newStats(len(events))
		w := &worker{
			c: c, o: o, events: events, users: users, st: all[i], live: &lv,
			rng:         rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))),
			measureFrom: measureFrom, end: end,
			readToggle: i%2 == 1,
		}
		wg.Go(func() { w.run(ctx) })
	}
	go progress(o.Progress, &lv, start, measureFrom, end, done)
	wg.Wait()
	close(done)
	elapsed := o.Duration
	if now := time.Now(); now.Before(end) { // interrupted
		elapsed = max(now.Sub(measureFrom), 0)
	}

	total := newStats(len(events))
	for _, s := range all {
		total.merge(s)
	}
	return total, elapsed
}

// progress prints a line per second until done.
func progress(w io.Writer, lv *live, start, measureFrom, end time.Time, done <-chan struct{}) {
	if w == io.Discard {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastReq, lastBook int64
	last := start
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			req, book, errs := lv.requests.Load(), lv.bookings.Load(), lv.errors.Load()
			secs := now.Sub(last).Seconds()
			phase := ""
			if now.Before(measureFrom) {
				phase = "  (warm-up)"
			} else if now.After(end) {
				phase = "  (finishing)"
			}
			fmt.Fprintf(w, "%5.0fs  %9s req/s  %9s bookings/s  %s errors%s\n",
				now.Sub(start).Seconds(), thousands(float64(req-lastReq)/secs),
				thousands(float64(book-lastBook)/secs), thousands(float64(errs)), phase)
			lastReq, lastBook, last = req, book, now
		}
	}
}

type worker struct {
	c           *client
	o           Options
	events      []*event
	users       [][]byte
	st          *stats
	live        *live
	rng         *rand.Rand
	measureFrom time.Time
	end         time.Time
	readToggle  bool

	buf  bytes.Buffer
	body []byte
}

var (
	bookPrefix  = []byte(`{"query":` + string(jsonString(bookingQuery)) + `,"variables":{"userId":`)
	bookMiddle  = []byte(`,"input":{"eventId":`)
	bookTickets = []byte(`,"numberOfTickets":`)

	readBodies = [opCount][]byte{
		opReadEvents:   []byte(`{"query":` + string(jsonString(eventsPageQuery)) + `,"variables":{"pagination":{"page":1,"limit":10}}}`),
		opReadBookings: []byte(`{"query":` + string(jsonString(bookingsPageQuery)) + `,"variables":{"pagination":{"page":1,"limit":10}}}`),
	}
	errorsKey = []byte(`"errors"`)
)

func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(w.end) {
			return
		}
		measured := !t0.Before(w.measureFrom)
		books := w.o.Scenario == Hot || w.o.Scenario == Spread ||
			(w.o.Scenario == Mixed && w.rng.Float64() >= w.o.ReadFraction)
		if books {
			w.book(ctx, t0, measured)
			continue
		}
		o := opReadEvents
		if w.readToggle {
			o = opReadBookings
		}
		w.readToggle = !w.readToggle
		w.read(ctx, o, t0, measured)
	}
}

func (w *worker) book(ctx context.Context, t0 time.Time, measured bool) {
	ev := 0
	if len(w.events) > 1 {
		ev = w.rng.IntN(len(w.events))
	}
	n := w.o.TicketsPerBooking
	b := append(w.body[:0], bookPrefix...)
	b = append(b, w.users[w.rng.IntN(len(w.users))]...)
	b = append(b, bookMiddle...)
	b = append(b, w.events[ev].quoted...)
	b = append(b, bookTickets...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "}}}"...)
	w.body = b

	w.st.attempts[ev]++
	status, err := w.c.post(ctx, b, &w.buf)
	lat := time.Since(t0)
	w.live.requests.Add(1)
	if measured {
		w.st.requests[opBooking]++
	}
	if err != nil {
		w.st.uncertain[ev] += int64(n)
		w.transportError(transportClass(err), measured)
		return
	}
	var resp struct {
		Data *struct {
			CreateBooking *struct {
				ID              string `json:"id"`
				NumberOfTickets int64  `json:"numberOfTickets"`
			} `json:"createBooking"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if json.Unmarshal(w.buf.Bytes(), &resp) != nil || (len(resp.Errors) == 0 && (resp.Data == nil || resp.Data.CreateBooking == nil)) {
		w.st.uncertain[ev] += int64(n)
		w.transportError("HTTP "+strconv.Itoa(status)+" without a GraphQL answer", measured)
		return
	}
	if measured {
		w.st.hist[opBooking].record(lat)
	}
	if len(resp.Errors) > 0 {
		code := resp.Errors[0].code()
		if uncertainCode(code) {
			w.st.uncertain[ev] += int64(n)
		}
		w.graphQLError(resp.Errors[0], measured)
		return
	}
	w.st.acked[ev] += resp.Data.CreateBooking.NumberOfTickets
	w.live.bookings.Add(1)
	if measured {
		w.st.ok[opBooking]++
	}
}

// uncertainCode tells the codes after which a booking may have been
// made after all: faults rather than decisions.
func uncertainCode(code string) bool {
	switch code {
	case "SOLD_OUT", "NOT_FOUND", "CONFLICT", "BAD_USER_INPUT", "BAD_REQUEST",
		"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "COMPLEXITY_LIMIT_EXCEEDED",
		"UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED":
		return false
	}
	return true
}

func (w *worker) read(ctx context.Context, o op, t0 time.Time, measured bool) {
	status, err := w.c.post(ctx, readBodies[o], &w.buf)
	lat := time.Since(t0)
	w.live.requests.Add(1)
	if measured {
		w.st.requests[o]++
	}
	if err != nil {
		w.transportError(transportClass(err), measured)
		return
	}
	body := w.buf.Bytes()
	if bytes.Contains(body, errorsKey) {
		var resp struct {
			Errors []gqlError `json:"errors"`
		}
		if json.Unmarshal(body, &resp) == nil && len(resp.Errors) > 0 {
			if measured {
				w.st.hist[o].record(lat)
			}
			w.graphQLError(resp.Errors[0], measured)
			return
		}
	}
	if status != 200 || !bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{"data"`)) {
		w.transportError("HTTP "+strconv.Itoa(status)+" without a GraphQL answer", measured)
		return
	}
	if measured {
		w.st.hist[o].record(lat)
		w.st.ok[o]++
	}
}

func (w *worker) graphQLError(e gqlError, measured bool) {
	w.live.errors.Add(1)
	if !measured {
		return
	}
	code := e.code()
	w.st.errs[code]++
	if _, ok := w.st.samples[code]; !ok {
		w.st.samples[code] = e.Message
	}
}

func (w *worker) transportError(class string, measured bool) {
	w.live.errors.Add(1)
	w.st.failedAll++
	if measured {
		w.st.transport[class]++
	}
	// Do not spin on a server that is down.
	if class == "connection refused" {
		time.Sleep(10 * time.Millisecond)
	}
}
