// Package stripemock runs stripe-mock (github.com/stripe/stripe-mock) for
// tests: Stripe's API as its OpenAPI specification describes it, which
// checks every request boxoffice sends and answers with fixtures. It is
// stateless, so tests drive payment flows with signed webhook events, not
// through it.
//
// Each Mock is a stripe-mock process of its own, on free loopback ports
// for both HTTP and HTTPS (given only an HTTP address, stripe-mock opens
// HTTPS on every interface), behind a small recording proxy: boxoffice is
// pointed at the proxy (STRIPE_API_URL), and the test reads what was asked
// of Stripe and what it answered. Stop kills the process and Start starts
// it again on the same ports, for outages; Fail and Stall make the proxy
// answer with an error or late, for what stripe-mock cannot do.
//
// The binary is found on PATH or in $(go env GOPATH)/bin. Without it the
// test is skipped, unless BOXOFFICE_REQUIRE_STRIPE_MOCK=1 (as CI sets,
// after `go install github.com/stripe/stripe-mock@v0.203.0`).
package stripemock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Request is one request the proxy passed on, and stripe-mock's answer.
type Request struct {
	Method         string
	Path           string
	Form           url.Values // the form-encoded parameters
	IdempotencyKey string
	Status         int    // the answer's status: 502 while stripe-mock was down
	ID             string // the id of the object answered, if any
}

// Mock is a stripe-mock process and its recording proxy.
type Mock struct {
	t         testing.TB
	bin       string
	httpAddr  string
	httpsAddr string
	proxy     *httptest.Server
	client    *http.Client

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	logs     *bytes.Buffer
	requests []Request
	fail     int           // the status the proxy answers with instead; 0: none
	stall    time.Duration // how long the proxy waits before passing a request on
}

// Binary returns stripe-mock's path, or "" if it is not installed.
func Binary() string {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		if p := filepath.Join(dir, "bin", "stripe-mock"); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// New starts stripe-mock and its proxy for t, and stops both when t
// ends. It skips t when stripe-mock is not installed, unless
// BOXOFFICE_REQUIRE_STRIPE_MOCK=1.
func New(t testing.TB) *Mock {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "stripe-mock is not installed (go install github.com/stripe/stripe-mock@v0.203.0)"
		if os.Getenv("BOXOFFICE_REQUIRE_STRIPE_MOCK") == "1" {
			t.Fatalf("%s, and BOXOFFICE_REQUIRE_STRIPE_MOCK=1", msg)
		}
		t.Skipf("%s: skipped; set BOXOFFICE_REQUIRE_STRIPE_MOCK=1 to fail instead", msg)
	}
	m := &Mock{t: t, bin: bin, client: &http.Client{Timeout: 30 * time.Second}}
	m.proxy = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.proxy.Close)
	t.Cleanup(m.Stop)
	var err error
	for range 3 { // a free port can be taken between its look-up and its use
		m.httpAddr, m.httpsAddr = freeAddr(t), freeAddr(t)
		if err = m.start(); err == nil {
			return m
		}
	}
	t.Fatalf("stripemock: %v", err)
	return nil
}

// URL is the proxy's address, for STRIPE_API_URL.
func (m *Mock) URL() string { return m.proxy.URL }

// Start starts stripe-mock again, on the same ports, after Stop, and
// waits until it answers.
func (m *Mock) Start() {
	m.t.Helper()
	if err := m.start(); err != nil {
		m.t.Fatalf("stripemock: restart: %v", err)
	}
}

func (m *Mock) start() error {
	m.mu.Lock()
	if m.cmd != nil {
		m.mu.Unlock()
		return nil
	}
	cmd := exec.Command(m.bin, "-http-addr", m.httpAddr, "-https-addr", m.httpsAddr)
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &m.mu, w: logs}, &lockedWriter{mu: &m.mu, w: logs}
	if err := cmd.Start(); err != nil {
		m.mu.Unlock()
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	m.cmd, m.exited, m.logs = cmd, exited, logs
	m.mu.Unlock()

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			m.mu.Lock()
			out := logs.String()
			m.cmd = nil
			m.mu.Unlock()
			return fmt.Errorf("stripe-mock exited during start-up:\n%s", out)
		default:
		}
		if m.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			m.Stop()
			return fmt.Errorf("stripe-mock did not answer on %s within 60s:\n%s", m.httpAddr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready reports whether stripe-mock answers.
func (m *Mock) ready() bool {
	req, _ := http.NewRequest(http.MethodGet, "http://"+m.httpAddr+"/v1/balance", nil)
	req.Header.Set("Authorization", "Bearer sk_test_ready")
	resp, err := m.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop kills stripe-mock, as an outage would, and waits for it to exit.
func (m *Mock) Stop() {
	m.mu.Lock()
	cmd, exited := m.cmd, m.exited
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// Fail makes the proxy answer every request with status and an error in
// Stripe's shape, without passing it on; 0 passes them on again. (While
// stripe-mock is stopped, the proxy answers 502 with a body that is not
// Stripe's, as a gateway in front of it would.)
func (m *Mock) Fail(status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = status
}

// Stall makes the proxy wait d before passing each request on.
func (m *Mock) Stall(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stall = d
}

// Requests returns the requests passed on so far, oldest first.
func (m *Mock) Requests() []Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Request(nil), m.requests...)
}

// Reset forgets the requests recorded so far.
func (m *Mock) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = nil
}

// serve is the proxy: it records the request, passes it on to
// stripe-mock, and records the answer.
func (m *Mock) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	rec := Request{Method: r.Method, Path: r.URL.Path, Form: form, IdempotencyKey: r.Header.Get("Idempotency-Key")}
	defer func() {
		m.mu.Lock()
		m.requests = append(m.requests, rec)
		m.mu.Unlock()
	}()
	m.mu.Lock()
	fail, stall := m.fail, m.stall
	m.mu.Unlock()
	if stall > 0 {
		select {
		case <-time.After(stall):
		case <-r.Context().Done():
			rec.Status = 499 // the client gave up
			return
		}
	}
	if fail != 0 {
		// Stripe's own error shape: an api_error for a 5xx, an
		// invalid_request_error (code rate_limit for a 429) otherwise.
		typ, code := "invalid_request_error", ""
		switch {
		case fail >= 500:
			typ = "api_error"
		case fail == http.StatusTooManyRequests:
			code = "rate_limit"
		}
		rec.Status = fail
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fail)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
			"type": typ, "code": code, "message": fmt.Sprintf("stripemock: failing with %d on purpose", fail)}})
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+m.httpAddr+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		rec.Status = http.StatusBadGateway
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := m.client.Do(out)
	if err != nil {
		rec.Status = http.StatusBadGateway // stripe-mock is down: a gateway's answer
		http.Error(w, "stripemock: stripe-mock unreachable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	rec.Status = resp.StatusCode
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(answer, &obj) == nil {
		rec.ID = obj.ID
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// Logs is what stripe-mock printed since it last started.
func (m *Mock) Logs() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logs == nil {
		return ""
	}
	return m.logs.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lockedWriter writes under the mock's lock.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// WaitFor polls cond until it holds or d passes, failing t then.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %v", what, d)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
