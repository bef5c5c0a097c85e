package eventstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Stream publishes to one JetStream stream. It is safe for concurrent use.
type Stream struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	name   string
	prefix string
	log    *slog.Logger

	mu    sync.Mutex
	ready bool // the stream is known to exist
}

// Option tunes Open.
type Option func(*options)

type options struct {
	prefix string
	log    *slog.Logger
}

// WithPrefix sets the first token of the stream's subjects (default
// "boxoffice"): the stream holds PREFIX.>, and Publish refuses subjects
// outside it. Tests use their own, as two streams cannot share subjects.
func WithPrefix(prefix string) Option { return func(o *options) { o.prefix = prefix } }

// WithLogger logs the connection's losses and returns (default: none).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// connectTimeout bounds one attempt to reach a NATS server.
const connectTimeout = 2 * time.Second

// Open connects to NATS at url (NATS_URL: nats://host:4222, several
// comma-separated for a cluster) for the stream named stream
// (NATS_STREAM), and creates the stream if it is missing: subjects
// PREFIX.>, file storage, DuplicateWindow. An existing stream's settings
// are left as the operator made them (limits, replicas), but it must take
// PREFIX.>.
//
// Open fails for bad arguments, or when the server it reaches refuses
// (no JetStream, subjects taken by another stream). A server that cannot
// be reached is no error: nats.go keeps trying in the background, the
// stream is created on the first Publish after it is back, and Publish
// fails until then. ctx bounds the first attempt.
func Open(ctx context.Context, url, stream string, opts ...Option) (*Stream, error) {
	o := options{prefix: DefaultPrefix, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if err := validSubject(o.prefix); err != nil || strings.Contains(o.prefix, ".") {
		return nil, fmt.Errorf("eventstream: prefix %q must be one subject token", o.prefix)
	}
	if stream == "" || strings.ContainsAny(stream, ".*> \t\r\n/\\") {
		return nil, fmt.Errorf("NATS_STREAM %q must be a name without spaces, dots, wildcards or slashes", stream)
	}
	if url == "" {
		return nil, errors.New("NATS_URL is empty")
	}
	timeout := connectTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(min(timeout, time.Until(d)), 10*time.Millisecond)
	}
	s := &Stream{name: stream, prefix: o.prefix, log: o.log}
	nc, err := nats.Connect(url,
		nats.Name("boxoffice"),
		nats.Timeout(timeout),
		nats.RetryOnFailedConnect(true), // down at start: connect in the background
		nats.MaxReconnects(-1),          // and reconnect for ever
		nats.ReconnectWait(500*time.Millisecond),
		nats.ReconnectBufSize(-1), // no buffering while disconnected: Publish fails, the job retries
		nats.PingInterval(10*time.Second),
		nats.MaxPingsOutstanding(2), // a silent server is noticed within about 20 s
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			o.log.Warn("NATS connection lost; publishing waits for it", "stream", stream, "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			o.log.Info("NATS connection back", "stream", stream, "server", c.ConnectedUrlRedacted())
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("eventstream: NATS_URL: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("eventstream: %w", err)
	}
	s.nc, s.js = nc, js
	if nc.IsConnected() {
		if err := s.ensure(ctx); err != nil && !transient(err) {
			nc.Close()
			return nil, err
		}
	} else {
		o.log.Warn("NATS unreachable at start; publishing waits for it", "stream", stream, "err", nc.LastError())
	}
	return s, nil
}

// Name is the stream's name.
func (s *Stream) Name() string { return s.name }

// Subject is the subject of a change kind in this stream:
// "booking.confirmed" is "PREFIX.booking.confirmed".
func (s *Stream) Subject(kind string) string { return s.prefix + "." + kind }

// Connected reports whether the connection to NATS is up, for a
// readiness check.
func (s *Stream) Connected() bool { return s.nc.IsConnected() }

// Close closes the connection; Publish fails after it.
func (s *Stream) Close() { s.nc.Close() }

// Publish stores data under subject with msgID as its Nats-Msg-Id, and
// returns once the stream has acknowledged it (a copy of an id already
// stored within DuplicateWindow is acknowledged and dropped). It fails
// at once while NATS is unreachable, and when ctx ends before the
// acknowledgement; then the message may or may not be stored, and
// publishing it again under the same id is what to do. To keep messages
// in order, publish the next only after this one returned nil.
func (s *Stream) Publish(ctx context.Context, subject, msgID string, data []byte) error {
	if !strings.HasPrefix(subject, s.prefix+".") {
		return fmt.Errorf("eventstream: subject %q is outside the stream's %s.>", subject, s.prefix)
	}
	if err := validSubject(subject); err != nil {
		return fmt.Errorf("eventstream: %w", err)
	}
	if msgID == "" {
		return errors.New("eventstream: a message needs an id, for JetStream to de-duplicate")
	}
	if !s.nc.IsConnected() {
		state := "NATS is " + strings.ToLower(s.nc.Status().String())
		if err := s.nc.LastError(); err != nil {
			return fmt.Errorf("eventstream: %s: %w", state, err)
		}
		return errors.New("eventstream: " + state)
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	_, err := s.js.Publish(ctx, subject, data, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(s.name))
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			s.setReady(false) // deleted under us? look again next time
		}
		return fmt.Errorf("eventstream: publish %s (%s): %w", subject, msgID, err)
	}
	return nil
}

func (s *Stream) setReady(v bool) {
	s.mu.Lock()
	s.ready = v
	s.mu.Unlock()
}

// ensure makes the stream exist, once; a failure is tried again on the
// next call.
func (s *Stream) ensure(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	subjects := s.prefix + ".>"
	st, err := s.js.Stream(ctx, s.name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = s.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        s.name,
			Description: "boxoffice domain changes",
			Subjects:    []string{subjects},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Duplicates:  DuplicateWindow,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = s.js.Stream(ctx, s.name) // another server made it first
		}
	}
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("eventstream: stream %s: no JetStream answered; is it enabled (nats-server -js)? %w", s.name, err)
	}
	if err != nil {
		return fmt.Errorf("eventstream: stream %s: %w", s.name, err)
	}
	if have := st.CachedInfo().Config.Subjects; !slices.Contains(have, subjects) {
		return fmt.Errorf("eventstream: stream %s exists with subjects %v, without %s: change NATS_STREAM or the stream", s.name, have, subjects)
	}
	s.ready = true
	return nil
}

// transient reports whether err is about reaching NATS rather than what
// NATS said: such an error at Open is left for Publish to retry.
func transient(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrConnectionReconnecting)
}
