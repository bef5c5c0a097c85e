package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// newTestServer mounts handlers that say who answered, so the routing and
// the middleware are observable.
func newTestServer(t *testing.T, ready error, logs *bytes.Buffer) *httptest.Server {
	t.Helper()
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("panic") == "1" {
				panic("boom: secret detail")
			}
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "read: "+err.Error(), http.StatusBadRequest)
				return
			}
			_, deadline := r.Context().Deadline()
			_ = json.NewEncoder(w).Encode(map[string]any{
				"handler": name, "requestID": boxoffice.RequestIDFromContext(r.Context()),
				"bytes": len(body), "deadline": deadline,
			})
		})
	}
	srv := New(Config{
		GraphQL: named("graphql"), IDE: named("ide"),
		Ready:          func(context.Context) error { return ready },
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RequestTimeout: time.Second, MaxBodyBytes: 1024,
	})
	ts := httptest.NewServer(srv.http.Handler)
	t.Cleanup(ts.Close)
	return ts
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return m
}

func TestRouting(t *testing.T) {
	ts := newTestServer(t, nil, &bytes.Buffer{})
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/graphql", "ide"},
		{"GET", "/graphql/assets/graphiql.js", "ide"},
		{"GET", "/graphql?query=%7Bevents%7Btotal%7D%7D", "graphql"},
		{"POST", "/graphql", "graphql"},
	} {
		req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		m := decode(t, resp)
		if m["handler"] != tc.want {
			t.Errorf("%s %s answered by %v, want %s", tc.method, tc.path, m["handler"], tc.want)
		}
		if m["deadline"] != true {
			t.Errorf("%s %s: request has no deadline", tc.method, tc.path)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	ts := newTestServer(t, nil, &bytes.Buffer{})
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	down := newTestServer(t, errors.New("connection refused"), &bytes.Buffer{})
	resp, err := http.Get(down.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	if m := decode(t, resp); resp.StatusCode != http.StatusServiceUnavailable || m["status"] != "unavailable" ||
		at(m, "dependencies", "database", "state") != "down" {
		t.Fatalf("readyz with the database down: %d %v", resp.StatusCode, m)
	}
}

func TestRequestID(t *testing.T) {
	ts := newTestServer(t, nil, &bytes.Buffer{})
	req, _ := http.NewRequest("POST", ts.URL+"/graphql", strings.NewReader("{}"))
	req.Header.Set("X-Request-ID", "abc-123")
	resp, _ := http.DefaultClient.Do(req)
	if m := decode(t, resp); m["requestID"] != "abc-123" || resp.Header.Get("X-Request-ID") != "abc-123" {
		t.Fatalf("caller's request id not kept: %v %q", m["requestID"], resp.Header.Get("X-Request-ID"))
	}
	req, _ = http.NewRequest("POST", ts.URL+"/graphql", strings.NewReader("{}"))
	req.Header.Set("X-Request-ID", "evil id=forged level=ERROR")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, resp)
	if id, _ := m["requestID"].(string); len(id) != 16 || id != resp.Header.Get("X-Request-ID") {
		t.Fatalf("unsafe request id not replaced: %q", id)
	}
}

func TestBodyLimit(t *testing.T) {
	ts := newTestServer(t, nil, &bytes.Buffer{})
	resp, err := http.Post(ts.URL+"/graphql", "application/json", strings.NewReader(strings.Repeat("x", 2048)))
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, resp)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if code := m["errors"].([]any)[0].(map[string]any)["extensions"].(map[string]any)["code"]; code != "BAD_REQUEST" {
		t.Fatalf("code %v", code)
	}
}

func TestPanicIsInternalWithoutDetails(t *testing.T) {
	logs := &bytes.Buffer{}
	ts := newTestServer(t, nil, logs)
	resp, err := http.Post(ts.URL+"/graphql?panic=1", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || strings.Contains(string(body), "secret") || strings.Contains(string(body), "goroutine") {
		t.Fatalf("panic response leaks or has the wrong status: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), `"code":"INTERNAL"`) || !strings.Contains(string(body), resp.Header.Get("X-Request-ID")) {
		t.Fatalf("panic response: %s", body)
	}
	if !strings.Contains(logs.String(), "boom: secret detail") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}
