package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	rng := rand.New(rand.NewPCG(1, 2))
	var values []time.Duration
	for range 100_000 {
		// Log-uniform from 10 µs to 10 s.
		d := time.Duration(10_000 * math.Pow(10, rng.Float64()*6))
		values = append(values, d)
		h.record(d)
	}
	slices.Sort(values)
	for _, q := range []float64{0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		want := values[max(int(q*float64(len(values)))-1, 0)]
		got := h.quantile(q)
		if diff := float64(got-want) / float64(want); diff < -0.01 || diff > 0.01 {
			t.Errorf("quantile(%g) = %s, want %s ±1%%", q, got, want)
		}
	}
	if got, want := time.Duration(h.max)*time.Microsecond, values[len(values)-1].Truncate(time.Microsecond); got != want {
		t.Errorf("max = %s, want %s", got, want)
	}
	var empty histogram
	if empty.quantile(0.99) != 0 || empty.mean() != 0 {
		t.Error("an empty histogram should give 0")
	}
}

func TestHistogramBuckets(t *testing.T) {
	// Every value falls in a bucket whose upper edge is at or above it,
	// within 1%, and buckets never go backwards.
	prev := -1
	for v := uint64(0); v < 1<<22; v += 1 + v/1000 {
		i := bucketOf(v)
		if i < prev {
			t.Fatalf("bucketOf(%d) = %d after %d", v, i, prev)
		}
		prev = i
		high := uint64(bucketHigh(i))
		if high < v || float64(high-v) > 0.01*float64(v)+1 {
			t.Fatalf("value %d: bucket %d ends at %d", v, i, high)
		}
	}
	if i := bucketOf(1<<maxBits - 1); i >= histBuckets {
		t.Fatalf("largest value in bucket %d of %d", i, histBuckets)
	}
}

func TestCheckTarget(t *testing.T) {
	for _, u := range []string{
		"http://127.0.0.1:3000/graphql", "http://127.9.8.7/graphql", "http://[::1]:3000/graphql",
		"http://localhost:3000/graphql", "https://LOCALHOST./graphql", "http://app.localhost/graphql",
	} {
		if _, err := CheckTarget(u, false); err != nil {
			t.Errorf("CheckTarget(%s) = %v, want ok", u, err)
		}
	}
	for _, u := range []string{
		"http://10.0.0.1:3000/graphql", "http://example.com/graphql", "http://[2001:db8::1]/graphql",
		"http://0.0.0.0:3000/graphql", "http://localhost.example.com/graphql",
	} {
		_, err := CheckTarget(u, false)
		if err == nil || !strings.Contains(err.Error(), "-allow-remote") {
			t.Errorf("CheckTarget(%s) = %v, want a refusal naming -allow-remote", u, err)
		}
		if _, err := CheckTarget(u, true); err != nil {
			t.Errorf("CheckTarget(%s, allowRemote) = %v, want ok", u, err)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1/x", "127.0.0.1:3000", "http:///graphql", "://x"} {
		if _, err := CheckTarget(u, true); err == nil {
			t.Errorf("CheckTarget(%s) = ok, want an error", u)
		}
	}
}

func TestRunRefusesRemoteWithoutTouchingIt(t *testing.T) {
	_, err := Run(context.Background(), Options{URL: "http://192.0.2.1:3000/graphql", Scenario: Hot, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("Run = %v, want a refusal", err)
	}
}

func TestDialerRefusesNonLoopback(t *testing.T) {
	// A name may resolve anywhere: the dialer checks the address itself.
	c := newHTTPClient(1, 2*time.Second, false)
	_, err := c.Get("http://192.0.2.1:9/")
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("Get = %v, want the dialer's refusal", err)
	}
}

func TestOptionsBounds(t *testing.T) {
	for name, o := range map[string]Options{
		"duration":    {Scenario: Hot, Duration: MaxDuration + time.Second},
		"warm-up":     {Scenario: Hot, WarmUp: MaxDuration + time.Second},
		"concurrency": {Scenario: Hot, Concurrency: MaxConcurrency + 1},
		"scenario":    {Scenario: "cold"},
		"hot events":  {Scenario: Hot, EventIDs: []string{"a", "b"}},
		"tickets":     {Scenario: Hot, TicketsPerBooking: 11},
		"reads":       {Scenario: Mixed, ReadFraction: 1.5},
	} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%s: Run accepted %+v", name, o)
		}
	}
	o, err := Options{Scenario: Read}.withDefaults()
	if err != nil || o.Concurrency != 64 || o.Duration != 10*time.Second || o.URL != DefaultURL {
		t.Fatalf("defaults = %+v, %v", o, err)
	}
}

func quick(url string, s Scenario) Options {
	return Options{URL: url, Scenario: s, Concurrency: 8, Duration: 300 * time.Millisecond, WarmUp: 100 * time.Millisecond}
}

func TestHotCreatesItsOwnAndVerifies(t *testing.T) {
	f := newFake(0)
	url := f.start(t)
	start := time.Now()
	rep, err := Run(context.Background(), quick(url, Hot))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a 0.4 s run took %s", took)
	}
	if len(f.order) != 1 || len(f.users) != DefaultNewUsers {
		t.Errorf("created %d events and %d users, want 1 and %d", len(f.order), len(f.users), DefaultNewUsers)
	}
	if rep.Bookings == 0 || rep.Bookings != rep.Requests || rep.BookingsPerSec <= 0 {
		t.Errorf("bookings %d of %d requests at %g/s", rep.Bookings, rep.Requests, rep.BookingsPerSec)
	}
	if len(rep.Errors) != 0 || len(rep.TransportErrors) != 0 {
		t.Errorf("errors %v, transport %v", rep.Errors, rep.TransportErrors)
	}
	if rep.Latency.P50 <= 0 || rep.Latency.P99 < rep.Latency.P50 || rep.Latency.Max < rep.Latency.P99 {
		t.Errorf("latency %+v", rep.Latency)
	}
	v := rep.Verification
	e := f.events["e1"]
	sold := e.total - e.available
	if v == nil || !v.OK || v.Sold != sold || v.SumOfBookings != sold || v.Acknowledged != sold || v.Events != 1 {
		t.Fatalf("verification %+v, sold %d", v, sold)
	}
	// The warm-up books too, but is not in the rates.
	if rep.Bookings >= sold {
		t.Errorf("measured %d bookings of %d sold: the warm-up should not count", rep.Bookings, sold)
	}

	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := "verified: sold " + itoa(sold) + " = sum of bookings " + itoa(sold)
	if !strings.Contains(text.String(), want) {
		t.Errorf("text report lacks %q:\n%s", want, text.String())
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back["bookings_per_sec"].(float64) != rep.BookingsPerSec || back["verification"].(map[string]any)["ok"] != true {
		t.Errorf("JSON report: %s", js.String())
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestSoldOutIsGroupedAndVerified(t *testing.T) {
	f := newFake(5)
	id := f.addEvent(50, 40) // 10 sold before the run
	f.events[id].bookings = []fakeBooking{{tickets: 10}, {tickets: 3, cancelled: true}}
	url := f.start(t)
	o := quick(url, Hot)
	o.EventIDs = []string{id}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	v := rep.Verification
	if v.Sold != 50 || v.SumOfBookings != 50 || v.SoldBefore != 10 || v.Acknowledged != 40 || !v.OK {
		t.Fatalf("verification %+v", v)
	}
	if rep.Errors["SOLD_OUT"] == 0 || rep.ErrorSamples["SOLD_OUT"] != "event is sold out" {
		t.Errorf("errors %v %v, want SOLD_OUT", rep.Errors, rep.ErrorSamples)
	}
	if rep.Errors["SOLD_OUT"]+rep.Bookings != rep.Requests {
		t.Errorf("%d sold out + %d booked != %d requests", rep.Errors["SOLD_OUT"], rep.Bookings, rep.Requests)
	}
	if f.users[0] != "u1" || len(f.users) != 5 {
		t.Errorf("users %v: existing users should be reused", f.users)
	}
}

func TestErrorsAreGroupedByCode(t *testing.T) {
	f := newFake(3)
	f.codeEvery, f.noCodeEvery, f.http502Every = 7, 11, 13
	f.internalEvery = 17 // booked, but the answer is INTERNAL: outcome unknown
	url := f.start(t)
	o := quick(url, Spread)
	o.Events = 20
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"RATE_LIMITED", "NO_CODE", "INTERNAL"} {
		if rep.Errors[code] == 0 {
			t.Errorf("no %s in %v", code, rep.Errors)
		}
	}
	if rep.TransportErrors["HTTP 502 without a GraphQL answer"] == 0 {
		t.Errorf("transport errors %v, want HTTP 502", rep.TransportErrors)
	}
	var errs int64
	for _, n := range rep.Errors {
		errs += n
	}
	for _, n := range rep.TransportErrors {
		errs += n
	}
	if errs+rep.Bookings != rep.Requests {
		t.Errorf("%d errors + %d bookings != %d requests", errs, rep.Bookings, rep.Requests)
	}
	v := rep.Verification
	if !v.OK || v.Uncertain == 0 || v.Events != 20 {
		t.Fatalf("verification %+v: INTERNAL and 502 leave the outcome unknown, within which it holds", v)
	}
	if !strings.Contains(v.Summary, "of unknown outcome") {
		t.Errorf("summary %q", v.Summary)
	}
}

func TestVerificationCatchesLostBookings(t *testing.T) {
	f := newFake(3)
	f.loseEvery = 50
	o := quick(f.start(t), Hot)
	rep, err := Run(context.Background(), o)
	if err == nil || rep == nil || rep.Verification.OK {
		t.Fatalf("Run = %v, want a failed verification", err)
	}
	if !strings.Contains(err.Error(), "lost bookings") {
		t.Errorf("error %q should name lost bookings", err)
	}
	var text bytes.Buffer
	_ = rep.WriteText(&text)
	if !strings.Contains(text.String(), "verification FAILED") {
		t.Errorf("text report:\n%s", text.String())
	}
}

func TestVerificationCatchesOversell(t *testing.T) {
	f := newFake(3)
	f.oversellEvery = 40 // a booking that takes no tickets
	rep, err := Run(context.Background(), quick(f.start(t), Hot))
	if err == nil || rep.Verification.OK || !strings.Contains(err.Error(), "bookings hold") {
		t.Fatalf("Run = %v, verification %+v", err, rep.Verification)
	}
}

func TestVerificationCatchesUnacknowledgedSales(t *testing.T) {
	f := newFake(3)
	f.internalEvery = 25
	rep, err := Run(context.Background(), quick(f.start(t), Hot))
	if err != nil || !rep.Verification.OK {
		t.Fatalf("INTERNAL after booking is an unknown outcome, not a failure: %v", err)
	}
	// Now the same fault under a code that means "nothing happened".
	f2 := newFake(3)
	id := f2.addEvent(1000, 1000)
	url := f2.start(t)
	f2.internalEvery = 25
	o := quick(url, Hot)
	o.EventIDs = []string{id}
	o.NoVerify = true
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	vf := &verifier{c: &client{url: url, http: newHTTPClient(1, time.Second, false)}}
	sold, tl, err := vf.event(context.Background(), id)
	sum := tl.sum
	if err != nil || sold != sum || sold == 0 {
		t.Fatalf("event: sold %d, sum %d, %v", sold, sum, err)
	}
	st := newStats(1)
	st.attempts[0], st.acked[0] = 1, sold-1 // one sale never acknowledged, none uncertain
	v := verify(context.Background(), vf.c, []*event{{id: id}}, st, io.Discard)
	if v.OK || !strings.Contains(v.Summary, "only "+itoa(sold-1)+" acknowledged") {
		t.Fatalf("verification %+v", v)
	}
}

func TestOriginalAPI(t *testing.T) {
	f := newFake(4)
	f.original = true
	id := f.addEvent(100_000, 100_000)
	url := f.start(t)

	o := quick(url, Hot)
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "pass -event") {
		t.Fatalf("Run without events = %v, want advice to pass -event", err)
	}
	o.EventIDs = []string{id}
	o.UserIDs = []string{"u1", "u2"}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if v := rep.Verification; !v.OK || v.Sold == 0 || v.Sold != v.SumOfBookings {
		t.Fatalf("verification %+v", v)
	}
	o.EventIDs = []string{"nope"}
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "NOT_FOUND") {
		t.Fatalf("Run on a missing event = %v", err)
	}
}

func TestReadAndMixed(t *testing.T) {
	f := newFake(2)
	url := f.start(t)
	rep, err := Run(context.Background(), quick(url, Read))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reads == 0 || rep.Reads != rep.Requests || rep.Bookings != 0 || rep.Verification != nil {
		t.Fatalf("read report %+v", rep)
	}
	if len(rep.Operations) != 2 || rep.Operations[0].Name != "events page" || rep.Operations[1].Name != "bookings page" {
		t.Fatalf("operations %+v", rep.Operations)
	}
	if d := rep.Operations[0].Requests - rep.Operations[1].Requests; d < -8 || d > 8 {
		t.Errorf("reads should alternate: %+v", rep.Operations)
	}

	o := quick(url, Mixed)
	o.Events = 3
	o.ReadFraction = 0.5
	rep, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reads == 0 || rep.Bookings == 0 || rep.Reads+rep.Bookings != rep.Requests || !rep.Verification.OK {
		t.Fatalf("mixed report %+v", rep)
	}
	share := float64(rep.Reads) / float64(rep.Requests)
	if share < 0.35 || share > 0.65 {
		t.Errorf("reads are %.0f%% of requests, want about 50%%", share*100)
	}
}

func TestDurationAndInterruption(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		_, _ = w.Write([]byte(`{"data":{"events":{"items":[],"total":0,"page":1,"limit":10}}}`))
	})
	srv := startHandler(t, slow)

	o := Options{URL: srv, Scenario: Read, Concurrency: 4, Duration: 500 * time.Millisecond}
	start := time.Now()
	rep, err := Run(context.Background(), o)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took < 500*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("a 0.5 s run took %s", took)
	}
	// 4 workers, 20 ms a request: at most 100 requests in 0.5 s.
	if rep.Requests < 20 || rep.Requests > 110 || rep.Latency.P50 < 20 {
		t.Errorf("%d requests, latency %+v", rep.Requests, rep.Latency)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	o.Duration = time.Minute
	start = time.Now()
	rep, err = Run(ctx, o)
	if err == nil || rep == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("interrupted run: %v after %s", err, time.Since(start))
	}
	if rep.DurationSec > 1 {
		t.Errorf("interrupted run reports %g s", rep.DurationSec)
	}
}

func TestProgressLines(t *testing.T) {
	f := newFake(2)
	var buf syncBuffer
	o := quick(f.start(t), Hot)
	o.Duration = 1200 * time.Millisecond
	o.Progress = &buf
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"created 1 event(s)", "booking as 2 existing user(s)", "req/s", "bookings/s", "verifying 1 event(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
}

func startHandler(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/graphql"
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestVerificationByWindowsOfCreatedAt(t *testing.T) {
	for _, coarse := range []bool{false, true} {
		f := newFake(3)
		f.coarse = coarse
		id := f.addEvent(100_000, 100_000)
		url := f.start(t)
		for i := range 2500 {
			f.book(f.users[i%3], map[string]any{"eventId": id, "numberOfTickets": float64(1 + i%3)})
		}
		f.events[id].bookings[7].cancelled = true
		f.events[id].available += f.events[id].bookings[7].tickets

		vf := &verifier{c: &client{url: url, http: newHTTPClient(8, 5*time.Second, false)}}
		e := f.events[id]
		sold, tl, err := vf.event(context.Background(), id)
		sum := tl.sum
		if err != nil || sold != e.total-e.available || sum != sold {
			t.Fatalf("coarse %v: sold %d, sum %d, %v; want %d", coarse, sold, sum, err, e.total-e.available)
		}
		// By pages: 25 of them. By windows: about twice as many, none skipping rows.
		if n := vf.requests.Load(); n < 30 || n > 150 {
			t.Errorf("coarse %v: %d requests", coarse, n)
		}
		first, err := vf.page(context.Background(), map[string]string{"eventId": id}, 1)
		if err != nil {
			t.Fatal(err)
		}
		wsum, ok, err := vf.windows(context.Background(), id, first)
		if err != nil || ok == coarse || (ok && wsum.sum != sum) {
			t.Errorf("coarse %v: windows = %d, %v, %v; want ok %v, sum %d", coarse, wsum.sum, ok, err, !coarse, sum)
		}
	}
}
