package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readiness is GET /readyz: its status code and its body.
func (s *instance) readiness(t *testing.T) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(s.url + "/readyz")
	if err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	return resp.StatusCode, m
}

// wantReadiness fails t unless /readyz answers code with this status and
// dependency in state; it returns the dependency's detail.
func (s *instance) wantReadiness(t *testing.T, code int, status, dependency, state string) string {
	t.Helper()
	got, m := s.readiness(t)
	if got != code || m["status"] != status || at(m, "dependencies", dependency, "state") != state {
		t.Fatalf("/readyz = %d %v; want %d, status %q, %s %q", got, m, code, status, dependency, state)
	}
	detail, _ := at(m, "dependencies", dependency, "detail").(string)
	return detail
}

// scrape reads the metrics served at addr (METRICS_ADDR).
func scrape(t *testing.T, addr string) map[string]float64 {
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

// wantDependencyState fails t unless boxoffice_dependency_state says
// dependency is in state, and in no other.
func wantDependencyState(t *testing.T, metrics map[string]float64, dependency, state string) {
	t.Helper()
	for _, s := range []string{"ready", "degraded", "down"} {
		series := fmt.Sprintf(`boxoffice_dependency_state{dependency=%q,state=%q}`, dependency, s)
		want := 0.0
		if s == state {
			want = 1
		}
		if got, ok := metrics[series]; !ok || got != want {
			t.Errorf("%s = %v (exported: %v), want %v", series, got, ok, want)
		}
	}
}

// waitLog waits until the server's log holds a line with every part.
func (s *instance) waitLog(t *testing.T, limit time.Duration, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		for _, line := range strings.Split(s.logs.String(), "\n") {
			if containsAll(line, parts) {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q within %v:\n%s", parts, limit, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
