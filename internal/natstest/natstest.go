// Package natstest gives tests outside the eventstream package a NATS with
// JetStream: the local one CI runs (Require), or a private nats-server on
// a spare port that a test stops and starts (Start), as
// eventstream/restart_test.go does.
package natstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// URL is the NATS the tests use: BOXOFFICE_TEST_NATS_URL, or the local
// server CI starts.
func URL() string {
	if u := os.Getenv("BOXOFFICE_TEST_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// Require connects to url with JetStream, or skips t if it cannot (fails
// instead with BOXOFFICE_REQUIRE_NATS=1). The connection closes when t
// ends.
func Require(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var js jetstream.JetStream
		if js, err = jetstream.New(nc); err == nil {
			if _, err = js.AccountInfo(ctx); err == nil {
				t.Cleanup(nc.Close)
				return js
			}
		}
		nc.Close()
	}
	if os.Getenv("BOXOFFICE_REQUIRE_NATS") == "1" {
		t.Fatalf("NATS JetStream unreachable at %s (BOXOFFICE_REQUIRE_NATS=1): %v", url, err)
	}
	t.Skipf("NATS unreachable (set BOXOFFICE_TEST_NATS_URL, or BOXOFFICE_REQUIRE_NATS=1 to fail): %v", err)
	return nil
}

// Names returns a stream name and a subject prefix of the test's own; the
// stream is deleted when the test ends (if js can still reach it).
func Names(t testing.TB, js jetstream.JetStream) (stream, prefix string) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	id := hex.EncodeToString(b)
	stream, prefix = "TEST_"+strings.ToUpper(id), "test_"+id
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		js.DeleteStream(ctx, stream)
	})
	return stream, prefix
}

// Msg is one message a consumer got.
type Msg struct {
	Subject, ID string
	Data        []byte
}

// ReadAll reads the whole stream in order, with an ephemeral pull
// consumer from its first message, until no message comes for a second.
func ReadAll(t testing.TB, js jetstream.JetStream, stream string) []Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	var out []Msg
	for {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			out = append(out, Msg{Subject: m.Subject(), ID: m.Headers().Get(jetstream.MsgIDHeader), Data: m.Data()})
			m.Ack()
		}
		if n == 0 {
			return out
		}
	}
}

// Server is a private nats-server with JetStream on a spare loopback port
// and a store in a temporary folder.
type Server struct {
	t     testing.TB
	path  string
	port  int
	store string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    lockedBuffer
}

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

// Start starts one, or skips t if nats-server is not installed (fails
// instead with BOXOFFICE_REQUIRE_NATS=1). It is stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_NATS") == "1" {
			t.Fatalf("BOXOFFICE_REQUIRE_NATS=1 but nats-server is not installed: %v", err)
		}
		t.Skipf("nats-server is not installed, skipping: %v", err)
	}
	s := &Server{t: t, path: path, store: t.TempDir()}
	for range 5 { // a spare port can be taken before nats-server binds it
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

// URL is the server's address.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// Start runs the server and waits until it takes connections.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.path, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port), "-js", "-sd", s.store)
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
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
	}
	cmd.Process.Kill()
	<-exited
	return fmt.Errorf("nats-server did not come up in 10s: %s", s.out.String())
}

// Stop shuts the server down (SIGTERM: it flushes its store) and waits
// for it to exit.
func (s *Server) Stop() {
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
