package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchAsBuyers runs `boxoffice bench` as the README says, beside a
// server with its default rate limits, on both engines: it makes buyers
// in the server's database, each booking with a token of its own, and
// nothing is refused.
func TestBenchAsBuyers(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var dir string
			if engine == "postgres" {
				dir = workdir(t, "DATABASE_URL="+freshDatabaseURL(t), "JWT_SECRET="+testSecret)
				if r := runCLI(t, dir, "", nil, "migrate"); r.code != 0 {
					t.Fatal(r)
				}
			} else {
				dir = workdir(t)
			}
			s := startServer(t, dir)
			for _, scenario := range []string{"hot", "spread", "read"} {
				r := runCLI(t, dir, "", nil, "bench", "-url", s.url+"/graphql", "-c", "8", "-d", "1s", "-warmup", "200ms",
					"-buyers", "300", "-events", "20", "-json", scenario)
				var rep struct {
					Bookings, Reads, Buyers int
					Errors                  map[string]int
					Verification            *struct{ OK bool }
				}
				if err := json.Unmarshal([]byte(r.stdout), &rep); r.code != 0 || err != nil {
					t.Fatalf("bench %s: %v\n%s\nserver:\n%s", scenario, err, r, s.logs.String())
				}
				if len(rep.Errors) != 0 {
					t.Errorf("bench %s: errors %v", scenario, rep.Errors)
				}
				if scenario == "read" {
					if rep.Reads == 0 {
						t.Errorf("bench read: no reads\n%s", r.stdout)
					}
					continue
				}
				if rep.Bookings == 0 || rep.Buyers != 300 || rep.Verification == nil || !rep.Verification.OK {
					t.Errorf("bench %s: %d bookings by %d buyers, verification %+v\n%s", scenario, rep.Bookings, rep.Buyers, rep.Verification, r.stderr)
				}
				if !strings.Contains(r.stderr, "made 300 buyers, each with its own token") {
					t.Errorf("bench %s: progress lines\n%s", scenario, r.stderr)
				}
			}
			// Through the API only, without a token: boxoffice refuses, and
			// bench says what to pass.
			r := runCLI(t, dir, "", nil, "bench", "-url", s.url+"/graphql", "-buyers", "0", "-d", "1s", "hot")
			if r.code != 1 || !strings.Contains(r.stderr, "UNAUTHENTICATED") || !strings.Contains(r.stderr, "pass -token") {
				t.Errorf("bench -buyers 0 without a token: %s", r)
			}
		})
	}
}

// TestBenchSaysWhatItNeeds: without the server's configuration, or with
// flags that do not go together, bench says what it needs.
func TestBenchSaysWhatItNeeds(t *testing.T) {
	url := "-url=http://127.0.0.1:1/graphql"
	for _, c := range []struct {
		name  string
		env   []string
		args  []string
		code  int
		wants []string
	}{
		{"no database here", nil, []string{url, "hot"}, 1,
			[]string{"boxoffice.db does not exist", "the server's configuration", "DATABASE_URL", "JWT_SECRET", "-token", "-buyers 0"}},
		{"PostgreSQL without JWT_SECRET", []string{"DATABASE_URL=postgres://postgres@127.0.0.1:1/x"}, []string{url, "hot"}, 1,
			[]string{"JWT_SECRET is not set", "-token"}},
		{"buyers and a token", nil, []string{url, "-buyers", "10", "-token", "x", "hot"}, 2,
			[]string{"choose one"}},
		{"no scenario", nil, []string{url}, 2, []string{"name a scenario"}},
		{"a remote URL", nil, []string{"-url=http://192.0.2.1/graphql", "hot"}, 1, []string{"-allow-remote"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := workdir(t)
			r := runCLI(t, dir, "", c.env, append([]string{"bench", "-q"}, c.args...)...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d: %s", r.code, c.code, r)
			}
			for _, w := range c.wants {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r)
				}
			}
		})
	}
}
