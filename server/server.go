// Package server is boxoffice's HTTP front: routes, middleware (request
// IDs, logging, panics, limits, time limits) and graceful shutdown. It
// knows the GraphQL API only as an http.Handler.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Config wires the server's parts.
type Config struct {
	GraphQL        http.Handler                    // POST /graphql, GET /graphql?query=…
	IDE            http.Handler                    // GET /graphql from a browser (no query)
	Ready          func(ctx context.Context) error // /readyz without Checks: the database, nil when it answers
	Checks         []Check                         // the dependencies /readyz reports, the database first
	Logger         *slog.Logger
	RequestTimeout time.Duration // limit of one request's work
	MaxBodyBytes   int64         // larger request bodies get 413 (default 1 MiB)
	Authenticate   Authenticator // bearer token -> caller
	CORSOrigins    []string      // origins allowed to call the API from a browser; none by default
	TrustProxy     bool          // take the client address from X-Forwarded-For
	// Downloads are files served by GET at these ServeMux paths (a
	// booking's tickets as a PDF), behind the same bearer-token check as
	// the API.
	Downloads map[string]http.Handler
	Webhooks  []Webhook // payment providers' events: POST /webhooks/{provider}
}

// Server serves boxoffice over HTTP.
type Server struct {
	http   *http.Server
	log    *slog.Logger
	health *health
}

// New returns a server; call Serve to start it.
func New(cfg Config) *Server {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if len(cfg.Checks) == 0 && cfg.Ready != nil {
		cfg.Checks = []Check{PingCheck("database", true, cfg.Ready)}
	}
	h := newHealth(cfg.Checks, cfg.Logger)
	return &Server{
		log:    cfg.Logger,
		health: h,
		http: &http.Server{
			Handler:           routes(cfg, h),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       15 * time.Second,
			WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		},
	}
}

// Serve accepts connections on ln until Shutdown; it returns nil after a
// graceful shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.log.Info("listening", "addr", ln.Addr().String(), "graphql", "http://"+ln.Addr().String()+"/graphql")
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits, until ctx ends, for the
// requests in flight to finish.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// Dependencies probes every dependency, as /readyz does, and returns their
// states by name (for the metrics).
func (s *Server) Dependencies(ctx context.Context) map[string]string { return s.health.states(ctx) }

func routes(cfg Config, health *health) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rep := health.probe(r.Context())
		status := http.StatusOK
		if rep.Status == Unavailable {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, rep)
	})
	api := authenticate(cfg.GraphQL, cfg.Authenticate, cfg.Logger)
	mux.Handle("POST /graphql", api)
	mux.Handle("GET /graphql", ideOrQuery(cfg.IDE, api))
	mux.Handle("GET /graphql/", cfg.IDE) // the IDE's own assets
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/graphql", http.StatusFound)
	})
	allowed := map[string]string{"/graphql": "GET, POST", "/healthz": "GET", "/readyz": "GET"}
	for path, h := range cfg.Downloads {
		mux.Handle("GET "+path, authenticate(h, cfg.Authenticate, cfg.Logger))
		allowed[path] = "GET"
	}
	for _, wh := range cfg.Webhooks {
		mux.Handle("POST /webhooks/"+wh.Provider, webhookHandler(wh, cfg.MaxBodyBytes, cfg.Logger))
		allowed["/webhooks/"+wh.Provider] = "POST"
	}
	// Other methods on these paths get the JSON error the API speaks, not
	// the mux's plain-text 405.
	for path, allow := range allowed {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "BAD_REQUEST", "method "+r.Method+" is not allowed here: use "+allow)
		})
	}

	var h http.Handler = mux
	h = cors(h, cfg.CORSOrigins)
	h = limitBody(h, cfg.MaxBodyBytes)
	h = withTimeout(h, cfg.RequestTimeout)
	h = clientAddr(h, cfg.TrustProxy)
	h = logRequests(h, cfg.Logger)
	h = recoverPanics(h, cfg.Logger)
	h = withRequestID(h)
	h = securityHeaders(h)
	return h
}

// ideOrQuery sends GET /graphql?query=… to the API (queries only; the
// GraphQL handler refuses mutations over GET) and everything else to the IDE.
func ideOrQuery(ide, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("query") {
			api.ServeHTTP(w, r)
			return
		}
		ide.ServeHTTP(w, r)
	})
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeUnavailable writes 503 and UNAVAILABLE, with the wait in whole
// seconds (at least 1) in Retry-After and extensions.retryAfter.
func writeUnavailable(w http.ResponseWriter, message string, retryAfter time.Duration) {
	secs := max(1, int((retryAfter+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": []map[string]any{{
		"message": message, "extensions": map[string]any{"code": "UNAVAILABLE", "retryAfter": secs},
	}}})
}

// writeError writes a GraphQL-shaped error response for failures that
// happen before the GraphQL layer, so clients see one error format.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"message": message, "extensions": map[string]string{"code": code},
	}}})
}
