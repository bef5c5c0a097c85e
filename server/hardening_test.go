package server

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// A method the routes do not take gets the API's JSON error, BAD_REQUEST
// with status 405 and an Allow header, not the mux's plain text.
func TestMethodNotAllowedIsJSON(t *testing.T) {
	ts := newTestServer(t, nil, &bytes.Buffer{})
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPut, "/graphql", "GET, POST"},
		{http.MethodDelete, "/graphql", "GET, POST"},
		{http.MethodPatch, "/graphql", "GET, POST"},
		{http.MethodPost, "/healthz", "GET"},
		{http.MethodPut, "/readyz", "GET"},
	} {
		req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(`{"query":"{ events { total } }"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tc.allow ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: status %d, Allow %q, Content-Type %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"))
		}
		m := decode(t, resp)
		errs, _ := m["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "BAD_REQUEST" {
			t.Errorf("%s %s: %v", tc.method, tc.path, m)
		}
	}
}

// Every answer forbids content sniffing; the API's answers, which may
// carry tokens, forbid caching.
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, nil, &bytes.Buffer{})
	for _, tc := range []struct {
		method, path string
		noStore      bool
	}{
		{"POST", "/graphql", true},
		{"GET", "/graphql?query=%7Bevents%7Btotal%7D%7D", true},
		{"GET", "/graphql", false},
		{"GET", "/healthz", false},
		{"GET", "/readyz", false},
		{"PUT", "/graphql", false},
		{"GET", "/nowhere", false},
	} {
		req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q", tc.method, tc.path, got)
		}
		if got := resp.Header.Get("Cache-Control"); tc.noStore && got != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", tc.method, tc.path, got)
		}
	}
}
