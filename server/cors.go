package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORS answers, sent only to allowed origins.
const (
	corsAllowMethods  = "GET, POST"
	corsAllowHeaders  = "Authorization, Content-Type, X-Request-ID"
	corsExposeHeaders = "X-Request-ID, Retry-After"
	corsMaxAge        = "600"
)

// CheckOrigins reports the first entry of a CORS allow-list that is not an
// exact origin, scheme://host[:port] with scheme http or https (no path,
// no "*", no "null"). Config should call it; cors ignores such entries.
func CheckOrigins(origins []string) error {
	for _, o := range origins {
		if _, ok := normalizeOrigin(o); !ok {
			return fmt.Errorf("CORS origin %q: want scheme://host[:port], such as https://tickets.example.com", o)
		}
	}
	return nil
}

// normalizeOrigin returns o as browsers send it in Origin (lower-case scheme
// and host, no trailing slash), and whether o is an exact http(s) origin.
func normalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(o), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		strings.Contains(u.Host, "*") {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// cors lets browser pages on the allowed origins call the API. With no
// origins (the default) it adds no CORS headers at all, and browsers keep
// cross-origin pages out. An allowed origin is echoed back, never "*", and
// no credentials (cookies) are allowed: the API authenticates with the
// Authorization header, which a page sets itself.
//
// Preflights (OPTIONS with Access-Control-Request-Method) are answered here:
// 204 for allowed origins, 403 for others. Other requests go on to next
// whatever their Origin, so same-origin pages (the IDE) work; only allowed
// origins get Access-Control-Allow-Origin, so browsers let only them read
// the response.
func cors(next http.Handler, origins []string) http.Handler {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		if n, ok := normalizeOrigin(o); ok {
			allowed[n] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		preflight := r.Method == http.MethodOptions && origin != "" &&
			r.Header.Get("Access-Control-Request-Method") != ""
		ok := origin != "" && allowed[origin]
		if len(allowed) > 0 && !preflight {
			// The response depends on Origin: caches must not mix them.
			w.Header().Add("Vary", "Origin")
		}
		switch {
		case preflight && ok:
			h := w.Header()
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
		case preflight:
			http.Error(w, "origin not allowed", http.StatusForbidden)
		default:
			if ok {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
			next.ServeHTTP(w, r)
		}
	})
}
