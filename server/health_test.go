package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// state is a dependency whose state the test sets.
type state struct {
	mu sync.Mutex
	s  Status
}

func (d *state) set(s Status) { d.mu.Lock(); d.s = s; d.mu.Unlock() }
func (d *state) probe(context.Context) Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.s
}

// at walks a decoded JSON object.
func at(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		o, _ := v.(map[string]any)
		v = o[k]
	}
	return v
}

// lockedBuffer is a log the server writes from its handlers' goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// /readyz reports every dependency; only the critical one (the database)
// being down makes it 503. A degraded database or a dependency down that
// is not critical leave the server ready, and say so. Each change of state
// is logged once, however often /readyz is asked.
func TestReadinessPerDependency(t *testing.T) {
	db := &state{s: Status{State: StateReady}}
	redis := &state{s: Status{State: StateReady}}
	logs := &lockedBuffer{}
	srv := New(Config{
		GraphQL: http.NotFoundHandler(), IDE: http.NotFoundHandler(),
		Checks: []Check{
			{Name: "database", Critical: true, Probe: db.probe},
			{Name: "redis", Probe: redis.probe},
		},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	ts := httptest.NewServer(srv.http.Handler)
	defer ts.Close()
	ready := func() (int, map[string]any) {
		t.Helper()
		resp, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, decode(t, resp)
	}

	for _, tc := range []struct {
		name         string
		db, redis    Status
		code         int
		status       string
		dbState      string
		redisState   string
		redisDetail  string
		wantLogLines []string
	}{
		{"all ready", Status{State: StateReady}, Status{State: StateReady}, 200, Ready, "ready", "ready", "", nil},
		{"redis on its fallback", Status{State: StateReady},
			Status{State: StateDegraded, Detail: "counting in memory since 12:00", Err: errors.New("dial tcp: refused")},
			200, Degraded, "ready", "degraded", "counting in memory since 12:00",
			[]string{`msg="dependency degraded" dependency=redis from=ready to=degraded detail="counting in memory since 12:00" err="dial tcp: refused"`}},
		{"redis down too: not critical", Status{State: StateReady}, Status{State: StateDown, Detail: "unreachable"},
			200, Degraded, "ready", "down", "unreachable",
			[]string{`msg="dependency down" dependency=redis from=degraded to=down`}},
		{"database refusing writes", Status{State: StateDegraded, Detail: "writes refused: disk full"}, Status{State: StateReady},
			200, Degraded, "degraded", "ready", "",
			[]string{`msg="dependency degraded" dependency=database from=ready to=degraded`, `msg="dependency ready again" dependency=redis from=down to=ready`}},
		{"database down", Status{State: StateDown, Detail: "unreachable", Err: errors.New("connection refused")}, Status{State: StateReady},
			503, Unavailable, "down", "ready", "",
			[]string{`msg="dependency down" dependency=database from=degraded to=down detail=unreachable err="connection refused"`}},
		{"all ready again", Status{State: StateReady}, Status{State: StateReady}, 200, Ready, "ready", "ready", "",
			[]string{`msg="dependency ready again" dependency=database from=down to=ready`}},
	} {
		db.set(tc.db)
		redis.set(tc.redis)
		before := len(logs.String())
		for range 3 { // asked again and again: the same answer, one log line per change
			code, m := ready()
			if code != tc.code || m["status"] != tc.status || at(m, "dependencies", "database", "state") != tc.dbState ||
				at(m, "dependencies", "redis", "state") != tc.redisState {
				t.Fatalf("%s: /readyz = %d %v", tc.name, code, m)
			}
			if d, _ := at(m, "dependencies", "redis", "detail").(string); d != tc.redisDetail {
				t.Errorf("%s: redis detail %q, want %q", tc.name, d, tc.redisDetail)
			}
		}
		if dbErr := tc.db.Err; dbErr != nil && !strings.Contains(logs.String(), dbErr.Error()) {
			t.Errorf("%s: the cause %q is not logged", tc.name, dbErr)
		}
		got := logs.String()[before:]
		if n := strings.Count(got, "\n"); n != len(tc.wantLogLines) {
			t.Errorf("%s: %d log lines, want %d:\n%s", tc.name, n, len(tc.wantLogLines), got)
		}
		for _, want := range tc.wantLogLines {
			if !strings.Contains(got, want) {
				t.Errorf("%s: log lacks %s:\n%s", tc.name, want, got)
			}
		}
	}

	// The metrics read the same states.
	redis.set(Status{State: StateDegraded})
	if got := srv.Dependencies(context.Background()); got["database"] != StateReady || got["redis"] != StateDegraded || len(got) != 2 {
		t.Errorf("Dependencies = %v", got)
	}
}

// A probe that does not answer in time is down, and does not hold up the
// others or /readyz beyond the limit; the cause never reaches the client.
func TestReadinessProbeTimeLimit(t *testing.T) {
	srv := New(Config{
		GraphQL: http.NotFoundHandler(), IDE: http.NotFoundHandler(),
		Checks: []Check{
			PingCheck("database", true, func(context.Context) error { return nil }),
			{Name: "smtp", Probe: func(ctx context.Context) Status {
				time.Sleep(3 * probeLimit) // ignores ctx, as a broken client would
				return Status{State: StateReady}
			}},
			PingCheck("nats", false, func(context.Context) error { return errors.New("secret detail: nats://user:pass@host") }),
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	ts := httptest.NewServer(srv.http.Handler)
	defer ts.Close()
	start := time.Now()
	resp, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(body.String(), `"smtp":{"state":"down","detail":"no answer within 2s"}`) ||
		!strings.Contains(body.String(), `"database":{"state":"ready"}`) || !strings.Contains(body.String(), `"status":"degraded"`) {
		t.Errorf("/readyz = %d %s", resp.StatusCode, body.String())
	}
	if strings.Contains(body.String(), "secret") {
		t.Errorf("/readyz shows a probe's error: %s", body.String())
	}
	if took > probeLimit+2*time.Second {
		t.Errorf("/readyz took %v with a stuck probe, limit %v", took, probeLimit)
	}
}
