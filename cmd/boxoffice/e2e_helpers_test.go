package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/boxoffice/boxoffice/internal/pgtest"
	"github.com/boxoffice/boxoffice/seed"
)

// binary is the boxoffice command built once for the end-to-end tests.
var binary string

// BOXOFFICE_TEST_BINARY, when set, names a binary to test instead: an
// older build, to see a test fail without the change it covers.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "boxoffice-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "boxoffice")
	if b := os.Getenv("BOXOFFICE_TEST_BINARY"); b != "" {
		binary = b
	} else if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build boxoffice: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// workdir is a directory to run boxoffice in, with the given .env lines.
func workdir(t *testing.T, dotenv ...string) string {
	t.Helper()
	dir := t.TempDir()
	if len(dotenv) > 0 {
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(strings.Join(dotenv, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cli runs a boxoffice command in dir and returns its combined output.
func cli(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// result is a finished command: its output, apart, and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCLI runs a boxoffice command in dir with stdin as its input (none:
// the null device) and env added to the clean environment.
func runCLI(t *testing.T, dir, stdin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir, cmd.Env = dir, append(cleanEnv(), env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("boxoffice %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// cleanEnv is the test process's environment without boxoffice's own
// variables, so only the .env under test configures the binary.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PORT", "HOST", "NODE_ENV", "DATABASE_URL", "DB_HOST", "DB_PORT", "DB_USERNAME", "DB_PASSWORD", "DB_NAME", "DB_SCHEMA", "DB_SSL_ENABLED", "LOG_LEVEL",
			"JWT_SECRET", "TOKEN_TTL", "REDIS_URL", "REDIS_PREFIX", "BOOKING_LANES", "SOLD_OUT_TTL", "PPROF_ADDR", "CORS_ORIGINS", "TRUST_PROXY", "RATE_LIMIT_MUTATIONS_PER_MINUTE", "RATE_LIMIT_SIGNIN_PER_MINUTE",
			"METRICS_ADDR", "GRAPHQL_INTROSPECTION", "AUTH_CACHE_TTL", "DB_MAX_CONNS", "DB_STATEMENT_TIMEOUT", "DB_LOCK_TIMEOUT", "HTTP_REQUEST_TIMEOUT", "SHUTDOWN_TIMEOUT",
			"PAYMENT_PROVIDER", "HOLD_TTL", "WAITLIST_OFFER_TTL", "CURRENCY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_URL",
			"SMTP_URL", "MAIL_FROM", "WEBHOOK_ALLOW_PRIVATE", "NATS_URL", "NATS_STREAM":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// instance is a running `boxoffice serve`.
type instance struct {
	url   string
	token string // sent as Authorization: Bearer when set (see signIn)
	cmd   *exec.Cmd
	logs  *syncBuffer
	done  chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer runs `boxoffice serve` in dir on a free port and waits until
// it answers /healthz. It is stopped with SIGTERM at the end of the test.
func startServer(t *testing.T, dir string, env ...string) *instance {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), append([]string{"HOST=127.0.0.1", "PORT=" + strconv.Itoa(port)}, env...)...)
	s := &instance{url: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("server exited during start-up: %v\n%s", err, s.logs.String())
		default:
		}
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not answer within 60s\n%s", s.logs.String())
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (s *instance) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Errorf("server exited with %v after SIGTERM\n%s", err, s.logs.String())
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("server did not stop within 30s of SIGTERM")
	}
}

// gqlResponse is a GraphQL response with its errors' codes at hand.
type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	status int
}

func (r gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, fmt.Sprint(e.Extensions["code"]))
	}
	return out
}

// query posts a GraphQL operation and decodes the answer.
func (s *instance) query(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", s.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	var r gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decode response (status %d): %v", resp.StatusCode, err)
	}
	r.status = resp.StatusCode
	return r
}

// signIn signs in as a demo user: later queries carry the token.
func (s *instance) signIn(t *testing.T, email string) {
	t.Helper()
	s.token = ""
	d := s.mustQuery(t, `mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token user { role } } }`,
		map[string]any{"e": email, "p": seed.DemoPassword})
	s.token = at(d, "signIn", "token").(string)
}

// mustQuery is query that fails the test on any GraphQL error.
func (s *instance) mustQuery(t *testing.T, query string, vars map[string]any) map[string]any {
	t.Helper()
	r := s.query(t, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("query failed: %+v\nquery: %s", r.Errors, query)
	}
	return r.Data
}

// freshDatabase is an empty PostgreSQL database for t
// (pgtest.NewDatabase): its name.
func freshDatabase(t *testing.T) string {
	_, name := pgtest.NewDatabase(t)
	return name
}

// freshDatabaseURL is freshDatabase's URL.
func freshDatabaseURL(t *testing.T) string {
	u, _ := pgtest.NewDatabase(t)
	return u
}

// at walks a decoded JSON value: at(data, "users", "items", 0, "id").
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
