package eventstream

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/boxoffice/boxoffice/internal/natstest"
)

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
	srv := natstest.Start(t)
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
