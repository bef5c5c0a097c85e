package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/original"
)

// TestSeveralServersOneDatabase runs three boxoffice servers on one
// PostgreSQL database and races 600 buyers, spread over the three, for an
// event of 200 tickets: the row lock taken by every booking transaction
// (postgres.BookBatch) must keep the servers from overselling between them,
// and every server must see the same bookings afterwards. Then a
// cancellation through one server must reopen the event on another at once,
// though that server remembers the event sold out for ten minutes; and a
// sign-out through one server must revoke the token on the others at once,
// though they remember its user.
func TestSeveralServersOneDatabase(t *testing.T) {
	const (
		tickets  = 200
		requests = 600
	)
	dir := workdir(t, "DATABASE_URL="+freshDatabaseURL(t), "JWT_SECRET="+testSecret, "RATE_LIMIT_MUTATIONS_PER_MINUTE=0")
	for _, step := range [][]string{{"migrate"}, {"seed"}} {
		if out, err := cli(t, dir, step...); err != nil {
			t.Fatalf("boxoffice %s: %v\n%s", strings.Join(step, " "), err, out)
		}
	}
	// 8 connections each: plenty for four booking lanes, and the three
	// pools stay well below max_connections of a PostgreSQL shared with
	// the other packages' tests.
	// SOLD_OUT_TTL=10m: only the servers' LISTEN/NOTIFY watch can reopen a
	// sold-out event within this test.
	env := []string{"DB_MAX_CONNS=8", "SOLD_OUT_TTL=10m"}
	servers := []*instance{startServer(t, dir, env...), startServer(t, dir, env...), startServer(t, dir, env...)}
	a, b := servers[0], servers[1]
	a.signIn(t, "alice@example.com") // an admin, booking for the demo users; one secret, so valid on every server
	for _, s := range servers {
		s.token = a.token
	}
	client := newGQLClient(t)
	client.token = a.token

	ev := a.mustQuery(t, fmt.Sprintf(`mutation { createEvent(input: {title: "Cluster Show", date: "2099-01-01T20:00:00Z", location: "Arena", totalTickets: %d, price: 10}) { id } }`, tickets), nil)
	eventID := at(ev, "createEvent", "id").(string)
	users := a.mustQuery(t, `{ users(pagination: {limit: 10}) { items { id } } }`, nil)
	var userIDs []string
	for _, u := range at(users, "users", "items").([]any) {
		userIDs = append(userIDs, at(u, "id").(string))
	}

	// Mostly 1-ticket requests, with a few of 2 and 3. As long as more
	// 1-ticket requests than tickets are sent, the event must end sold out
	// exactly: availability only goes down during the race, so tickets left
	// at the end would mean every 1-ticket request had succeeded.
	size := func(i int) int {
		switch i % 40 {
		case 0:
			return 3
		case 20:
			return 2
		}
		return 1
	}
	type outcome struct {
		server  int
		tickets int
		id      string   // the booking, when it succeeded
		codes   []string // the error codes, when it failed
		err     error    // a transport or decoding failure
		raw     string
	}
	outcomes := make([]outcome, requests)
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			o := outcome{server: i % len(servers), tickets: size(i)}
			r, err := client.do(t.Context(), servers[o.server].url, original.CreateBooking, map[string]any{
				"userId": userIDs[i%len(userIDs)],
				"input":  map[string]any{"eventId": eventID, "numberOfTickets": o.tickets},
			})
			switch {
			case err != nil:
				o.err = err
			case len(r.Errors) > 0:
				o.codes = r.codes()
				o.raw = fmt.Sprint(r.Errors)
			default:
				id, _ := at(r.Data, "createBooking", "id").(string)
				if id == "" || at(r.Data, "createBooking", "numberOfTickets") != float64(o.tickets) {
					o.err = fmt.Errorf("malformed success: %v", r.Data)
				}
				o.id = id
			}
			outcomes[i] = o
		}()
	}
	close(start)
	wg.Wait()
	t.Logf("%d bookings on %d servers decided in %v", requests, len(servers), time.Since(began).Round(time.Millisecond))

	sold, soldOut := 0, 0
	acked := map[string]int{} // booking id -> tickets
	perServer := make([]int, len(servers))
	for i, o := range outcomes {
		switch {
		case o.err != nil:
			t.Errorf("request %d (server %d): %v", i, o.server, o.err)
		case o.id != "":
			if _, dup := acked[o.id]; dup {
				t.Errorf("booking id %s acknowledged twice", o.id)
			}
			acked[o.id] = o.tickets
			sold += o.tickets
			perServer[o.server] += o.tickets
		case len(o.codes) == 1 && o.codes[0] == "SOLD_OUT":
			soldOut++
		default:
			t.Errorf("request %d (server %d, %d tickets): codes %v, want SOLD_OUT: %s", i, o.server, o.tickets, o.codes, o.raw)
		}
	}
	t.Logf("tickets sold per server: %v; %d bookings, %d SOLD_OUT", perServer, len(acked), soldOut)
	if sold != tickets || len(acked)+soldOut != requests {
		t.Fatalf("%d requests for %d tickets: %d tickets sold in %d bookings, %d SOLD_OUT; want exactly %d sold and every other request SOLD_OUT",
			requests, tickets, sold, len(acked), soldOut, tickets)
	}
	for i, s := range servers {
		checkEventBookings(t, client, s, fmt.Sprintf("server %d", i), eventID, 0, acked)
	}

	// Cancel two bookings through A, then buy their tickets back through B.
	//
	// Each server remembers, in memory, the events it has seen sold out
	// (service/soldout.go), and refuses bookings for them without a
	// transaction; here for ten minutes. A's cancellation notifies every
	// server through PostgreSQL (postgres/notify.go), so B must sell the
	// tickets again at once: it is polled for up to 10 s, slack for a
	// loaded machine, far below the TTL.
	if r, err := client.do(t.Context(), b.url, original.CreateBooking, map[string]any{
		"userId": userIDs[0], "input": map[string]any{"eventId": eventID, "numberOfTickets": 1},
	}); err != nil || fmt.Sprint(r.codes()) != "[SOLD_OUT]" {
		t.Fatalf("server B before the cancellations: err %v, codes %v; want SOLD_OUT", err, r.codes())
	}
	ids := make([]string, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	freed := 0
	for _, id := range ids[:2] {
		got := a.mustQuery(t, `mutation($id: ID!) { cancelBooking(id: $id) { id status } }`, map[string]any{"id": id})
		if at(got, "cancelBooking", "status") != "CANCELLED" {
			t.Fatalf("cancelBooking(%s): %v", id, got)
		}
		freed += acked[id]
		delete(acked, id)
	}
	cancelled := time.Now()
	rebooked := 0
	deadline := cancelled.Add(10 * time.Second)
	for rebooked < freed && time.Now().Before(deadline) {
		r, err := client.do(t.Context(), b.url, original.CreateBooking, map[string]any{
			"userId": userIDs[1], "input": map[string]any{"eventId": eventID, "numberOfTickets": 1},
		})
		switch {
		case err != nil:
			t.Fatalf("server B: %v", err)
		case len(r.Errors) == 0:
			acked[at(r.Data, "createBooking", "id").(string)] = 1
			rebooked++
		case fmt.Sprint(r.codes()) == "[SOLD_OUT]":
			time.Sleep(50 * time.Millisecond)
		default:
			t.Fatalf("server B: codes %v: %+v", r.codes(), r.Errors)
		}
	}
	if rebooked < freed {
		t.Fatalf("server B sold %d of the %d tickets cancelled through server A within %v: it was not told the tickets came back",
			rebooked, freed, time.Since(cancelled).Round(time.Millisecond))
	}
	t.Logf("server B sold the %d cancelled tickets again %v after the cancellations", freed, time.Since(cancelled).Round(time.Millisecond))

	// Sold out again, and every server agrees on the bookings.
	if r, err := client.do(t.Context(), b.url, original.CreateBooking, map[string]any{
		"userId": userIDs[0], "input": map[string]any{"eventId": eventID, "numberOfTickets": 1},
	}); err != nil || fmt.Sprint(r.codes()) != "[SOLD_OUT]" {
		t.Fatalf("server B after buying back the cancelled tickets: err %v, codes %v; want SOLD_OUT", err, r.codes())
	}
	for i, s := range servers {
		checkEventBookings(t, client, s, fmt.Sprintf("server %d", i), eventID, 0, acked)
	}

	// Every server has checked the admin's token hundreds of times, and
	// remembers its user (AUTH_CACHE_TTL, a minute by default). Signing out
	// through A must still revoke it on B and C at once.
	if _, err := client.must(t.Context(), a.url, `mutation { signOut }`, nil); err != nil {
		t.Fatal(err)
	}
	signedOut := time.Now()
	for i, s := range servers[1:] {
		for {
			r, err := client.do(t.Context(), s.url, `{ me { id } }`, nil)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(r.codes()) == "[UNAUTHENTICATED]" {
				t.Logf("server %d refused the token %v after the sign-out through A", i+1, time.Since(signedOut).Round(time.Microsecond))
				break
			}
			if time.Since(signedOut) > 5*time.Second {
				t.Fatalf("server %d still accepts the token 5 s after the sign-out through A: %v", i+1, r.Data)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// checkEventBookings checks, through s, that the event has `available`
// tickets left, that its CONFIRMED bookings are exactly want (id ->
// tickets, read over every page of the bookings query), and that they hold
// all the tickets sold.
func checkEventBookings(t *testing.T, c *gqlClient, s *instance, name, eventID string, available int, want map[string]int) {
	t.Helper()
	ev, err := c.must(t.Context(), s.url, `query($id: ID!) { event(id: $id) { totalTickets availableTickets } }`, map[string]any{"id": eventID})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	total := int(at(ev, "event", "totalTickets").(float64))
	avail := int(at(ev, "event", "availableTickets").(float64))
	got, err := eventBookings(t.Context(), c, s.url, eventID, "CONFIRMED")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	sum := 0
	for _, n := range got {
		sum += n
	}
	if avail != available || sum != total-available {
		t.Errorf("%s: availableTickets %d (want %d), CONFIRMED bookings hold %d tickets (want %d of %d)", name, avail, available, sum, total-available, total)
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("%s: acknowledged booking %s of %d tickets is listed with %d", name, id, n, got[id])
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: CONFIRMED booking %s was never acknowledged", name, id)
		}
	}
}

// eventBookings lists an event's bookings with the given status (all if
// empty) over every page: booking id -> tickets.
func eventBookings(ctx context.Context, c *gqlClient, url, eventID, status string) (map[string]int, error) {
	filter := map[string]any{"eventId": eventID}
	if status != "" {
		filter["status"] = status
	}
	out := map[string]int{}
	for page := 1; ; page++ {
		data, err := c.must(ctx, url, `query($f: BookingFilterInput, $p: PaginationInput) {
			bookings(filter: $f, pagination: $p) { total items { id numberOfTickets status } } }`,
			map[string]any{"f": filter, "p": map[string]any{"page": page, "limit": 100}})
		if err != nil {
			return nil, err
		}
		items, _ := at(data, "bookings", "items").([]any)
		for _, b := range items {
			if status != "" && at(b, "status") != status {
				return nil, fmt.Errorf("bookings(status: %s) listed a %v booking", status, at(b, "status"))
			}
			out[at(b, "id").(string)] = int(at(b, "numberOfTickets").(float64))
		}
		total := int(at(data, "bookings", "total").(float64))
		if len(items) == 0 || len(out) >= total {
			if len(out) != total {
				return nil, fmt.Errorf("bookings listed %d distinct bookings over %d pages; total says %d", len(out), page, total)
			}
			return out, nil
		}
	}
}

// gqlClient posts GraphQL operations from any goroutine: it reports
// failures as errors, where instance.query may only run on the test's own.
// Its connection pool is large enough for hundreds of concurrent requests.
type gqlClient struct {
	http  *http.Client
	token string // sent as Authorization: Bearer when set
}

func newGQLClient(t *testing.T) *gqlClient {
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &gqlClient{http: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// do posts one operation to the server at url and decodes the answer.
func (c *gqlClient) do(ctx context.Context, url, query string, vars map[string]any) (gqlAnswer, error) {
	var r gqlAnswer
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return r, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return r, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return r, fmt.Errorf("read response (status %d): %w", resp.StatusCode, err)
	}
	var paths struct {
		Errors []struct{ Path []any } `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r.gqlResponse); err != nil {
		return r, fmt.Errorf("decode response (status %d): %w: %.200s", resp.StatusCode, err, raw)
	}
	_ = json.Unmarshal(raw, &paths)
	for _, e := range paths.Errors {
		var path []string
		for _, p := range e.Path {
			path = append(path, fmt.Sprint(p))
		}
		r.paths = append(r.paths, strings.Join(path, "."))
	}
	r.status = resp.StatusCode
	return r, nil
}

// gqlAnswer is a response with the path of each error, such as
// "createBooking.event".
type gqlAnswer struct {
	gqlResponse
	paths []string
}

// must is do that turns GraphQL errors into an error too.
func (c *gqlClient) must(ctx context.Context, url, query string, vars map[string]any) (map[string]any, error) {
	r, err := c.do(ctx, url, query, vars)
	if err == nil && len(r.Errors) > 0 {
		err = fmt.Errorf("query failed: %+v\nquery: %s", r.Errors, query)
	}
	return r.Data, err
}
