package eventstream

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsServer is a private nats-server with JetStream on a free loopback
// port and a store in a temporary folder, which a test stops and starts.
type natsServer struct {
	t     *testing.T
	path  string
	port  int
	store string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	out    lockedBuffer
}

// lockedBuffer is the server's output, written by exec's copying
// goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startNATSServer starts one, or skips t if nats-server is not installed
// (fails instead if BOXOFFICE_REQUIRE_NATS=1). It is stopped when t ends.
func startNATSServer(t *testing.T) *natsServer {
	t.Helper()
	path, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_NATS") == "1" {
			t.Fatalf("BOXOFFICE_REQUIRE_NATS=1 but nats-server is not installed: %v", err)
		}
		t.Skipf("nats-server is not installed, skipping (set BOXOFFICE_REQUIRE_NATS=1 to fail instead): %v", err)
	}
	s := &natsServer{t: t, path: path, store: t.TempDir()}
	for range 5 { // a free port can be taken before nats-server binds it
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.port = l.Addr().(*net.TCPAddr).Port
		l.Close()
		if err = s.Start(); err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		t.Logf("nats-server on port %d: %v", s.port, err)
	}
	t.Fatalf("could not start nats-server")
	return nil
}

func (s *natsServer) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// Start runs the server and waits until it takes connections.
func (s *natsServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.path, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port), "-js", "-sd", s.store)
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("nats-server exited: %s", s.out.String())
		default:
		}
		if nc, err := nats.Connect(s.URL(), nats.Timeout(time.Second)); err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				s.cmd, s.exited = cmd, exited
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return fmt.Errorf("nats-server did not come up in 10s: %s", s.out.String())
}

// Stop shuts the server down (SIGTERM: it flushes its store) and waits
// for it to exit.
func (s *natsServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// publishRetrying publishes as a job does: each failure is retried, with
// the same id, until the stream acknowledges it.
func publishRetrying(t *testing.T, s *Stream, subject, id string, data []byte) (attempts int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		attempts++
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := s.Publish(ctx, subject, id, data)
		cancel()
		if err == nil {
			return attempts
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %s: still failing after 30s: %v", id, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestNATSRestartLosesNothing: messages published before NATS stops, while
// it is down (retried, as the relay job does) and after it is back are all
// in the stream, each once and in order, and a retry of a message stored
// before the restart is still recognised as a copy.
func TestNATSRestartLosesNothing(t *testing.T) {
	srv := startNATSServer(t)
	s := open(t, srv.URL(), "RESTART", "test_restart")
	subject := s.Subject("booking.confirmed")
	data := func(i int) []byte { return []byte(fmt.Sprintf(`{"seq":%d}`, i)) }
	id := func(i int) string { return fmt.Sprintf("change-%02d", i) }

	for i := 1; i <= 10; i++ {
		publishRetrying(t, s, subject, id(i), data(i))
	}

	srv.Stop()
	// Down: a publish fails at once, never hanging past its deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	start := time.Now()
	err := s.Publish(ctx, subject, id(11), data(11))
	cancel()
	if err == nil || time.Since(start) > 2500*time.Millisecond {
		t.Fatalf("publish with NATS down: %v after %v; want an error within the deadline", err, time.Since(start))
	}

	// Start NATS again in a while, meanwhile publishing with retries.
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		restarted <- srv.Start()
	}()
	attempts := publishRetrying(t, s, subject, id(11), data(11))
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if attempts < 2 {
		t.Errorf("message 11 went through at its first attempt, with NATS down")
	}
	for i := 12; i <= 20; i++ {
		publishRetrying(t, s, subject, id(i), data(i))
	}
	// A retry of a message stored before the restart (its acknowledgement
	// lost, say) is a copy JetStream still drops.
	publishRetrying(t, s, subject, id(10), data(10))

	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	got := consumeAll(t, js, "RESTART", 20)
	if len(got) != 20 {
		t.Fatalf("the stream holds %d messages after the restart, want 20: %+v", len(got), got)
	}
	for i, m := range got {
		if m.ID != id(i+1) || m.Data != string(data(i+1)) {
			t.Fatalf("message %d is %+v, want %s", i, m, id(i+1))
		}
	}
}
