package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// corsHeaders returns the response's Access-Control-* headers.
func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

func serveCORS(origins []string, method, origin string, preflight bool) (*httptest.ResponseRecorder, bool) {
	reached := false
	h := cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.WriteHeader(http.StatusOK)
	}), origins)
	r := httptest.NewRequest(method, "/graphql", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	if preflight {
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, reached
}

func TestCORSNoneAllowedByDefault(t *testing.T) {
	for _, origins := range [][]string{nil, {}} {
		w, reached := serveCORS(origins, http.MethodPost, "https://evil.example", false)
		if !reached || w.Code != http.StatusOK {
			t.Fatalf("POST: reached %v, status %d; want the handler's 200", reached, w.Code)
		}
		if len(w.Header()) != 0 {
			t.Errorf("POST: headers %v, want none", w.Header())
		}
		w, reached = serveCORS(origins, http.MethodOptions, "https://evil.example", true)
		if reached || w.Code != http.StatusForbidden {
			t.Errorf("preflight: reached %v, status %d; want 403", reached, w.Code)
		}
		if c := corsHeaders(w.Header()); len(c) != 0 {
			t.Errorf("preflight: CORS headers %v, want none", c)
		}
	}
}

func TestCORSAllowedOrigin(t *testing.T) {
	origins := []string{"https://tickets.example.com", "HTTP://LOCALHOST:5173/"}

	for _, origin := range []string{"https://tickets.example.com", "http://localhost:5173"} {
		w, reached := serveCORS(origins, http.MethodOptions, origin, true)
		if reached {
			t.Errorf("%s preflight reached the handler", origin)
		}
		if w.Code != http.StatusNoContent {
			t.Errorf("%s preflight: status %d, want 204", origin, w.Code)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":  origin,
			"Access-Control-Allow-Methods": "GET, POST",
			"Access-Control-Allow-Headers": "Authorization, Content-Type, X-Request-ID",
			"Access-Control-Max-Age":       "600",
			"Vary":                         "Origin",
		}
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s preflight: %s = %q, want %q", origin, k, got, v)
			}
		}
		if got := w.Header().Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("%s preflight: Allow-Credentials %q, want none", origin, got)
		}

		w, reached = serveCORS(origins, http.MethodPost, origin, false)
		if !reached || w.Code != http.StatusOK {
			t.Fatalf("%s POST: reached %v, status %d", origin, reached, w.Code)
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("%s POST: Allow-Origin %q, want the origin", origin, got)
		}
		if got := w.Header().Get("Vary"); got != "Origin" {
			t.Errorf("%s POST: Vary %q, want Origin", origin, got)
		}
		if got := w.Header().Get("Access-Control-Expose-Headers"); !strings.Contains(got, "Retry-After") {
			t.Errorf("%s POST: Expose-Headers %q, want Retry-After exposed", origin, got)
		}
	}
}

func TestCORSOtherOrigins(t *testing.T) {
	origins := []string{"https://tickets.example.com"}
	for _, origin := range []string{
		"https://evil.example",
		"http://tickets.example.com",       // other scheme
		"https://tickets.example.com:8443", // other port
		"https://tickets.example.com.evil", // suffix
		"https://sub.tickets.example.com",  // subdomain
		"null",
	} {
		w, reached := serveCORS(origins, http.MethodOptions, origin, true)
		if reached || w.Code != http.StatusForbidden {
			t.Errorf("%s preflight: reached %v, status %d; want 403", origin, reached, w.Code)
		}
		if c := corsHeaders(w.Header()); len(c) != 0 {
			t.Errorf("%s preflight: CORS headers %v, want none", origin, c)
		}
		// Not a preflight: served (same-origin pages need that), unreadable cross-origin.
		w, reached = serveCORS(origins, http.MethodPost, origin, false)
		if !reached || w.Code != http.StatusOK {
			t.Errorf("%s POST: reached %v, status %d; want the handler's 200", origin, reached, w.Code)
		}
		if c := corsHeaders(w.Header()); len(c) != 0 {
			t.Errorf("%s POST: CORS headers %v, want none", origin, c)
		}
		if got := w.Header().Get("Vary"); got != "Origin" {
			t.Errorf("%s POST: Vary %q, want Origin", origin, got)
		}
	}
}

func TestCORSNotPreflight(t *testing.T) {
	origins := []string{"https://tickets.example.com"}
	// No Origin: not a CORS request.
	w, reached := serveCORS(origins, http.MethodPost, "", false)
	if !reached || len(corsHeaders(w.Header())) != 0 {
		t.Errorf("no Origin: reached %v, CORS headers %v", reached, corsHeaders(w.Header()))
	}
	// OPTIONS without Access-Control-Request-Method is not a preflight.
	w, reached = serveCORS(origins, http.MethodOptions, "https://evil.example", false)
	if !reached || w.Code != http.StatusOK {
		t.Errorf("plain OPTIONS: reached %v, status %d; want passed on", reached, w.Code)
	}
}

func TestCORSNeverWildcard(t *testing.T) {
	origins := []string{"*", "https://*.example.com", "null", "https://tickets.example.com/path", "tickets.example.com"}
	for _, origin := range []string{"https://evil.example", "https://a.example.com", "null"} {
		w, _ := serveCORS(origins, http.MethodOptions, origin, true)
		if w.Code != http.StatusForbidden || len(corsHeaders(w.Header())) != 0 {
			t.Errorf("%s preflight: status %d, CORS headers %v; want 403, none", origin, w.Code, corsHeaders(w.Header()))
		}
		w, _ = serveCORS(origins, http.MethodPost, origin, false)
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s POST: Allow-Origin %q, want none", origin, got)
		}
	}
}

func TestCheckOrigins(t *testing.T) {
	if err := CheckOrigins([]string{"https://tickets.example.com", "http://localhost:5173", "http://[::1]:8080", "https://a.example/"}); err != nil {
		t.Errorf("valid origins: %v", err)
	}
	for _, bad := range []string{"*", "null", "", "tickets.example.com", "ftp://example.com", "https://example.com/app",
		"https://example.com?x=1", "https://user@example.com", "https://*.example.com"} {
		if err := CheckOrigins([]string{"https://ok.example", bad}); err == nil {
			t.Errorf("CheckOrigins(%q): nil error", bad)
		}
	}
}
