package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestMetricsEndpoint: with METRICS_ADDR set, /metrics answers there (and
// not on the API's port), and a booking, a sold-out refusal from memory and
// a rate-limited change move the right series.
func TestMetricsEndpoint(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, workdir(t, "RATE_LIMIT_MUTATIONS_PER_MINUTE=3"), "METRICS_ADDR="+addr)
	s.signIn(t, "alice@example.com")
	scrape := func() map[string]float64 {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("scrape: status %d", resp.StatusCode)
		}
		return parseMetrics(t, resp.Body)
	}
	if resp, err := http.Get(s.url + "/metrics"); err != nil || resp.StatusCode == 200 {
		t.Errorf("/metrics on the API's port: %v %v; want it only on METRICS_ADDR", resp.Status, err)
	}

	before := scrape()
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "boxoffice_db_pool_max_connections",
		"boxoffice_db_pool_open_connections", "boxoffice_db_pool_in_use_connections", "boxoffice_db_pool_waits_total"} {
		if _, ok := before[name]; !ok {
			t.Errorf("no %s", name)
		}
	}

	// An event with one ticket: one booking, then a refusal from memory, as
	// the event was seen sold out, then the change budget (3 a minute) runs out.
	me := at(s.mustQuery(t, `{ me { id } }`, nil), "me", "id")
	ev := at(s.mustQuery(t, `mutation { createEvent(input: {title: "One", date: "2099-01-01T20:00:00Z", location: "Hall", totalTickets: 1, price: 10}) { id } }`, nil),
		"createEvent", "id")
	book := `mutation($u: ID!, $e: ID!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 1}) { id } }`
	s.mustQuery(t, book, map[string]any{"u": me, "e": ev})
	if r := s.query(t, book, map[string]any{"u": me, "e": ev}); strings.Join(r.codes(), ",") != "SOLD_OUT" {
		t.Fatalf("second booking: %v, want SOLD_OUT", r.codes())
	}
	if r := s.query(t, book, map[string]any{"u": me, "e": ev}); strings.Join(r.codes(), ",") != "RATE_LIMITED" {
		t.Fatalf("fourth change: %v, want RATE_LIMITED", r.codes())
	}

	after := scrape()
	for series, want := range map[string]float64{
		`boxoffice_graphql_operations_total{field="createBooking",type="mutation"}`:                 3,
		`boxoffice_graphql_errors_total{code="SOLD_OUT",field="createBooking",type="mutation"}`:     1,
		`boxoffice_graphql_errors_total{code="RATE_LIMITED",field="createBooking",type="mutation"}`: 1,
		`boxoffice_graphql_operation_duration_seconds_count{field="createBooking",type="mutation"}`: 3,
		`boxoffice_graphql_operations_total{field="createEvent",type="mutation"}`:                   1,
		`boxoffice_booking_batch_size_count`:                                                        1,
		`boxoffice_booking_batch_size_sum`:                                                          1,
		`boxoffice_booking_batch_duration_seconds_count`:                                            1,
		`boxoffice_booking_sold_out_refusals_total`:                                                 1,
		`boxoffice_rate_limited_total{limit="changes"}`:                                             1,
	} {
		if got := after[series] - before[series]; got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
}

// parseMetrics reads Prometheus's text format: series -> value.
func parseMetrics(t *testing.T, r io.Reader) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}
