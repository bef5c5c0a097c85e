package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a private redis-server on a free loopback port, for tests
// that kill, stall and restart it. Exported for the package's external
// tests (service-level ones); it exists only in test builds.
type RedisServer struct {
	t    *testing.T
	Addr string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  bytes.Buffer
}

// StartRedisServer starts a private redis-server, or skips t if there is
// none installed (fails instead if BOXOFFICE_REQUIRE_REDIS=1). It is killed
// when t ends.
func StartRedisServer(t *testing.T) *RedisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_REDIS") == "1" {
			t.Fatalf("BOXOFFICE_REQUIRE_REDIS=1 but redis-server is not installed: %v", err)
		}
		t.Skipf("redis-server is not installed, skipping (set BOXOFFICE_REQUIRE_REDIS=1 to fail instead): %v", err)
	}
	s := &RedisServer{t: t}
	// A free port can be taken between our check and redis-server's bind:
	// try a few.
	for range 5 {
		s.port = freePort(t)
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.tryStart(path); err == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("start redis-server: %v", err)
	return nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *RedisServer) tryStart(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Reset()
	cmd := exec.Command(path, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	client := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialerRetries: 1})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, s.out.String())
		default:
		}
		// Dial first: go-redis would log each refused dial on stderr.
		err := errors.New("not listening yet")
		if conn, dialErr := net.DialTimeout("tcp", s.Addr, time.Second); dialErr == nil {
			_ = conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = client.Ping(ctx).Err()
			cancel()
		}
		if err == nil {
			s.cmd, s.done = cmd, done
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on port %d does not answer: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill stops the server at once (SIGKILL), as a crash would.
func (s *RedisServer) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // in case it was stalled
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts the server again on the same port, empty.
func (s *RedisServer) Restart() {
	s.t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.tryStart(path); err != nil {
		s.t.Fatal(err)
	}
}

// Stall freezes the server (SIGSTOP): connections open, nothing answers.
func (s *RedisServer) Stall() { s.signal(syscall.SIGSTOP) }

// Resume undoes Stall.
func (s *RedisServer) Resume() { s.signal(syscall.SIGCONT) }

func (s *RedisServer) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// URL is the server's redis:// URL.
func (s *RedisServer) URL() string { return "redis://" + s.Addr + "/0" }

// Open is OpenRedis on the server, with the production options, and a
// counter of the commands the client attempts (whether they reach Redis or
// fail to connect) and of its dial attempts.
func (s *RedisServer) Open(t *testing.T) (*redis.Client, *Attempts) {
	t.Helper()
	client, err := OpenRedis(context.Background(), s.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	a := &Attempts{}
	client.AddHook(a)
	return client, a
}

// Attempts is a go-redis hook that counts commands and dials.
type Attempts struct {
	commands, dials atomic.Int64
}

// Commands is how many commands the client has attempted.
func (a *Attempts) Commands() int64 { return a.commands.Load() }

// Dials is how many connections the client has tried to open.
func (a *Attempts) Dials() int64 { return a.dials.Load() }

func (a *Attempts) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		a.dials.Add(1)
		return next(ctx, network, addr)
	}
}

func (a *Attempts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		a.commands.Add(1)
		return next(ctx, cmd)
	}
}

func (a *Attempts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		a.commands.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// LogLines is a concurrency-safe buffer for a slog handler that tests count
// the lines of.
type LogLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Lines returns the lines written so far.
func (l *LogLines) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lines []string
	for _, line := range bytes.Split(bytes.TrimSpace(l.buf.Bytes()), []byte("\n")) {
		if len(line) > 0 {
			lines = append(lines, string(line))
		}
	}
	return lines
}

func (l *LogLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// debugLogger logs everything, as text, to w.
func debugLogger(w *LogLines) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
