package loadtest_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/loadtest"
	"github.com/boxoffice/boxoffice/metrics"
	"github.com/boxoffice/boxoffice/service"
)

// A soak against a real server: a line per interval with the server's
// memory and goroutines read from real metrics (this process's, as the
// server runs in it), a summary, and the run's report and verification
// over the whole soak.
func TestSoakAgainstBoxoffice(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real server for a few seconds")
	}
	b := startBoxoffice(t, &service.Limits{})
	m := httptest.NewServer(metrics.New().Handler())
	defer m.Close()
	var out strings.Builder
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		URL: b.url, Token: b.adminToken, Scenario: loadtest.Mixed, Events: 20, Concurrency: 8, WarmUp: 100 * time.Millisecond,
		Soak: &loadtest.Soak{Duration: 3 * time.Second, Every: time.Second, MetricsURL: m.URL + "/metrics", Out: &out},
	})
	if err != nil {
		t.Fatalf("soak: %v\n%s", err, out.String())
	}
	text := out.String()
	line := regexp.MustCompile(`(?m)^ +\d+s +[\d,]+ +[\d,]+ +[\d,]+ +[\d.]+ +[\d,]+ +[\d.]+ +[\d.]+ +[\d,]+ +[\d,]+$`)
	if n := len(line.FindAllString(text, -1)); n != 3 {
		t.Errorf("%d interval lines with the server's numbers, want 3:\n%s", n, text)
	}
	for _, want := range []string{"soak: 3s of mixed, 8 connections, a line every 1s", "server before the load: RSS",
		"soak summary over 3s, 3 intervals:", "throughput", "p99", "errors      none", "server RSS", "goroutines", "open files"} {
		if !strings.Contains(text, want) {
			t.Errorf("soak output lacks %q:\n%s", want, text)
		}
	}
	if rep.DurationSec < 2.9 || rep.DurationSec > 4 || rep.Reads == 0 || rep.Bookings == 0 {
		t.Errorf("report over the soak: %.1f s, %d reads, %d bookings", rep.DurationSec, rep.Reads, rep.Bookings)
	}
	if v := rep.Verification; v == nil || !v.OK || v.Acknowledged < rep.Bookings { // the warm-up books too
		t.Errorf("verification over the soak's intervals: %+v (bookings %d)", v, rep.Bookings)
	}
}

// Without a metrics URL the soak says the server was not sampled; bad
// durations and a remote metrics URL are refused before any load.
func TestSoakOptions(t *testing.T) {
	for _, tc := range []struct {
		soak loadtest.Soak
		want string
	}{
		{loadtest.Soak{}, "soak duration 0s"},
		{loadtest.Soak{Duration: 25 * time.Hour}, "soak duration 25h0m0s"},
		{loadtest.Soak{Duration: time.Minute, Every: time.Millisecond}, "soak interval 1ms"},
		{loadtest.Soak{Duration: time.Minute, MetricsURL: "http://example.com/metrics"}, "metrics URL: refusing"},
	} {
		_, err := loadtest.Run(context.Background(), loadtest.Options{Scenario: loadtest.Mixed, Soak: &tc.soak})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.soak, err, tc.want)
		}
	}

	b := startBoxoffice(t, &service.Limits{})
	var out strings.Builder
	_, err := loadtest.Run(context.Background(), loadtest.Options{
		URL: b.url, Token: b.adminToken, Scenario: loadtest.Read, Concurrency: 2,
		Soak: &loadtest.Soak{Duration: time.Second, Every: time.Second, Out: &out},
	})
	if err != nil || !strings.Contains(out.String(), "server      not sampled") || !strings.Contains(out.String(), "       -") {
		t.Errorf("soak without metrics: %v\n%s", err, out.String())
	}
}
