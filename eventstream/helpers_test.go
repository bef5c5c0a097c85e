package eventstream

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// received is a message as a consumer saw it.
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
