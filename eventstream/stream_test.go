package eventstream

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/boxoffice/boxoffice/internal/natstest"
)

func open(t *testing.T, url, stream, prefix string) *Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := Open(ctx, url, stream, WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestSubject(t *testing.T) {
	if got := Subject("booking.confirmed"); got != "boxoffice.booking.confirmed" {
		t.Errorf("Subject = %q", got)
	}
	s := &Stream{prefix: "test_x"}
	if got := s.Subject("ticket.checked_in"); got != "test_x.ticket.checked_in" {
		t.Errorf("Stream.Subject = %q", got)
	}
}

// TestOpenCreatesTheStream: a missing stream is made as documented, and
// an existing one is used as it is.
func TestOpenCreatesTheStream(t *testing.T) {
	js := natstest.Require(t, natstest.URL())
	stream, prefix := natstest.Names(t, js)
	open(t, natstest.URL(), stream, prefix)
	ctx := context.Background()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("the stream was not created: %v", err)
	}
	cfg := st.CachedInfo().Config
	if strings.Join(cfg.Subjects, ",") != prefix+".>" || cfg.Storage != jetstream.FileStorage || cfg.Duplicates != DuplicateWindow {
		t.Fatalf("stream made with %v, %v, duplicates %v", cfg.Subjects, cfg.Storage, cfg.Duplicates)
	}
	// Opening again, as a second server does, keeps it.
	open(t, natstest.URL(), stream, prefix)

	// A stream of that name without our subjects is an error that says so.
	other, otherPrefix := natstest.Names(t, js)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: other, Subjects: []string{otherPrefix + ".x.>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, natstest.URL(), other, WithPrefix(otherPrefix)); err == nil || !strings.Contains(err.Error(), "without "+otherPrefix+".>") {
		t.Fatalf("Open on a stream with other subjects: %v", err)
	}
}

// TestPublishInOrder: what is published in order is consumed in order,
// each with its id.
func TestPublishInOrder(t *testing.T) {
	js := natstest.Require(t, natstest.URL())
	stream, prefix := natstest.Names(t, js)
	s := open(t, natstest.URL(), stream, prefix)
	kinds := []string{"booking.confirmed", "booking.cancelled", "ticket.checked_in", "waitlist.offered"}
	const n = 40
	for i := range n {
		subject := s.Subject(kinds[i%len(kinds)])
		if err := s.Publish(context.Background(), subject, fmt.Sprintf("change-%03d", i), []byte(fmt.Sprintf(`{"seq":%d}`, i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	got := consumeAll(t, js, stream, n)
	if len(got) != n {
		t.Fatalf("consumed %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		want := received{Subject: prefix + "." + kinds[i%len(kinds)], ID: fmt.Sprintf("change-%03d", i), Data: fmt.Sprintf(`{"seq":%d}`, i)}
		if m != want {
			t.Fatalf("message %d is %+v, want %+v", i, m, want)
		}
	}
}

// TestPublishDeduplicates: the same id published twice (a retry after a
// lost acknowledgement) is stored once; another id is another message.
func TestPublishDeduplicates(t *testing.T) {
	js := natstest.Require(t, natstest.URL())
	stream, prefix := natstest.Names(t, js)
	s := open(t, natstest.URL(), stream, prefix)
	ctx := context.Background()
	for _, id := range []string{"change-1", "change-1", "change-2", "change-1"} {
		if err := s.Publish(ctx, s.Subject("booking.confirmed"), id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	if n := streamMsgs(t, js, stream); n != 2 {
		t.Fatalf("the stream holds %d messages, want 2", n)
	}
	got := consumeAll(t, js, stream, 2)
	if len(got) != 2 || got[0].ID != "change-1" || got[1].ID != "change-2" {
		t.Fatalf("consumed %+v", got)
	}
}

// TestPublishRefusesBadSubjects: what the stream would not hold, or could
// not de-duplicate, fails before reaching NATS.
func TestPublishRefusesBadSubjects(t *testing.T) {
	js := natstest.Require(t, natstest.URL())
	stream, prefix := natstest.Names(t, js)
	s := open(t, natstest.URL(), stream, prefix)
	for _, c := range []struct{ subject, id string }{
		{"boxoffice.booking.confirmed", "x"}, // another prefix
		{prefix + ".booking.*", "x"},
		{prefix + ".>", "x"},
		{prefix + ".booking..confirmed", "x"},
		{prefix + ".booking confirmed", "x"},
		{prefix, "x"},
		{prefix + ".booking.confirmed", ""},
	} {
		if err := s.Publish(context.Background(), c.subject, c.id, nil); err == nil {
			t.Errorf("Publish(%q, %q): no error", c.subject, c.id)
		}
	}
	if n := streamMsgs(t, js, stream); n != 0 {
		t.Fatalf("the stream holds %d messages", n)
	}
}

func TestOpenRefusesBadArguments(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct{ url, stream, prefix string }{
		"no url":          {"", "S", "p"},
		"bad url":         {"http://[::1", "S", "p"},
		"stream with dot": {"nats://127.0.0.1:1", "A.B", "p"},
		"empty stream":    {"nats://127.0.0.1:1", "", "p"},
		"prefix with dot": {"nats://127.0.0.1:1", "S", "a.b"},
		"wildcard prefix": {"nats://127.0.0.1:1", "S", "*"},
	} {
		if s, err := Open(ctx, c.url, c.stream, WithPrefix(c.prefix)); err == nil {
			s.Close()
			t.Errorf("%s: no error", name)
		}
	}
}

// TestUnreachableNATS: Open does not fail when NATS is down (it connects
// in the background), and Publish fails at once, well within its
// deadline, whether nothing listens or a listener never answers.
func TestUnreachableNATS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "nats://" + l.Addr().String()
	l.Close()

	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never speaks
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	for name, url := range map[string]string{"refused": refused, "silent": "nats://" + silent.Addr().String()} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		start := time.Now()
		s, err := Open(ctx, url, "BOXOFFICE_TEST", WithPrefix("test_down"))
		cancel()
		if err != nil {
			t.Fatalf("%s: Open: %v", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: Open took %v with a 1s deadline", name, d)
		}
		if s.Connected() {
			t.Errorf("%s: connected to nothing", name)
		}
		ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		start = time.Now()
		err = s.Publish(ctx, s.Subject("booking.confirmed"), "change-1", []byte("x"))
		cancel()
		if err == nil {
			t.Fatalf("%s: Publish succeeded", name)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("%s: Publish took %v, past its 1s deadline", name, d)
		}
		s.Close()
		if err := s.Publish(context.Background(), s.Subject("booking.confirmed"), "change-1", nil); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("%s: Publish after Close: %v", name, err)
		}
	}
}
