package eventstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// testURL is the NATS the tests use: BOXOFFICE_TEST_NATS_URL, or the local
// server CI starts.
func testURL() string {
	if u := os.Getenv("BOXOFFICE_TEST_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// requireNATS connects a test's own client to the test NATS with
// JetStream, or skips the test if there is none (fails instead if
// BOXOFFICE_REQUIRE_NATS=1).
func requireNATS(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(testURL(), nats.Timeout(2*time.Second))
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
		t.Fatalf("NATS JetStream unreachable at %s (BOXOFFICE_REQUIRE_NATS=1): %v", testURL(), err)
	}
	t.Skipf("NATS unreachable (set BOXOFFICE_TEST_NATS_URL, or BOXOFFICE_REQUIRE_NATS=1 to fail): %v", err)
	return nil
}

// names returns a stream name and a subject prefix of the test's own,
// and deletes the stream when the test ends.
func names(t *testing.T, js jetstream.JetStream) (stream, prefix string) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	id := hex.EncodeToString(b)
	stream, prefix = "TEST_"+strings.ToUpper(id), "test_"+id
	t.Cleanup(func() {
		if js == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := js.DeleteStream(ctx, stream); err != nil && err != jetstream.ErrStreamNotFound {
			t.Errorf("delete stream %s: %v", stream, err)
		}
	})
	return stream, prefix
}

// received is one message a consumer got.
type received struct {
	Subject, ID, Data string
}

// consumeAll reads the whole stream, in order, with a durable-less pull
// consumer from its first message, acknowledging each.
func consumeAll(t *testing.T, js jetstream.JetStream, stream string, want int) []received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	var out []received
	for len(out) < want {
		batch, err := cons.Fetch(want-len(out), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			out = append(out, received{Subject: m.Subject(), ID: m.Headers().Get(jetstream.MsgIDHeader), Data: string(m.Data())})
			if err := m.Ack(); err != nil {
				t.Fatalf("ack: %v", err)
			}
		}
		if batch.Error() != nil {
			t.Fatalf("fetch: %v", batch.Error())
		}
		if n == 0 {
			break // nothing more within the wait
		}
	}
	// Nothing beyond what was expected.
	extra, err := cons.Fetch(1, jetstream.FetchMaxWait(300*time.Millisecond))
	if err == nil {
		for m := range extra.Messages() {
			out = append(out, received{Subject: m.Subject(), ID: m.Headers().Get(jetstream.MsgIDHeader), Data: string(m.Data())})
		}
	}
	return out
}

func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
