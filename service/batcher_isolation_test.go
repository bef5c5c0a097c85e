package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// A held event (another transaction has its row) delays only its own
// bookings: with a single lane, a hundred bookings for other events go
// through while its own batch waits for the lock, and its requests are
// decided once it is free, each once.
func TestBatcherHeldEventDelaysOnlyItself(t *testing.T) {
	var held atomic.Bool
	held.Store(true)
	release := make(chan struct{})
	entered := make(chan struct{})
	var enteredOnce sync.Once
	var confirmed sync.Map // user -> times confirmed
	e := &echo{held: func(id string) bool { return id == "stuck" && held.Load() }}
	book := func(ctx context.Context, reqs []boxoffice.BookingRequest, skipLocked bool) ([]boxoffice.BookingResult, error) {
		for _, r := range reqs {
			if r.EventID == "stuck" && !skipLocked {
				// The held event's own batch waits for the row, as
				// PostgreSQL does, until the lock timeout.
				enteredOnce.Do(func() { close(entered) })
				select {
				case <-release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				break
			}
		}
		res, err := e.book(ctx, reqs, skipLocked)
		for _, r := range res {
			if r.Booking != nil {
				n, _ := confirmed.LoadOrStore(r.Booking.UserID, new(atomic.Int32))
				n.(*atomic.Int32).Add(1)
			}
		}
		return res, err
	}
	b := NewBatcher(book, BatchOptions{Lanes: 1, Waiters: 1}, nil)
	defer b.Close()

	const stuck = 5
	stuckResults := make([]boxoffice.BookingResult, stuck)
	var stuckWG sync.WaitGroup
	for i := range stuck {
		stuckWG.Go(func() { stuckResults[i] = b.Book(context.Background(), req(fmt.Sprintf("stuck%d", i), "stuck", 1)) })
	}
	within(t, 10*time.Second, "the held event's own batch", func() bool { <-entered; return true })

	const others = 100
	reqs := make([]boxoffice.BookingRequest, others)
	results := make([]boxoffice.BookingResult, others)
	for i := range reqs {
		reqs[i] = req(fmt.Sprintf("user%03d", i), fmt.Sprintf("event%d", i%10), 1)
	}
	wait := startAll(others, func(i int) { results[i] = b.Book(context.Background(), reqs[i]) })
	within(t, 10*time.Second, "bookings for other events while one is held", func() bool { wait(); return true })
	for i := range reqs {
		wantEcho(t, reqs[i], results[i])
	}
	select {
	case <-release:
		t.Fatal("the held event was released early")
	default:
	}

	held.Store(false)
	close(release)
	within(t, 10*time.Second, "the held event's bookings once free", func() bool { stuckWG.Wait(); return true })
	for i, r := range stuckResults {
		wantEcho(t, req(fmt.Sprintf("stuck%d", i), "stuck", 1), r)
	}
	confirmed.Range(func(user, n any) bool {
		if c := n.(*atomic.Int32).Load(); c != 1 {
			t.Errorf("request %s was confirmed %d times", user, c)
		}
		return true
	})
}

// A batch that runs out of time (its lock wait timed out: EUNAVAILABLE)
// answers the requests queued behind it for the same event at once, with
// its error, instead of making each wait as long again; other events go
// on.
func TestBatcherTimedOutBatchAnswersTheQueueBehindIt(t *testing.T) {
	errLock := &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: "the database did not answer in time: try again", RetryAfter: time.Second}
	entered := make(chan struct{})
	var calls atomic.Int32
	e := &echo{}
	book := func(ctx context.Context, reqs []boxoffice.BookingRequest, skipLocked bool) ([]boxoffice.BookingResult, error) {
		if reqs[0].EventID == "stuck" {
			calls.Add(1)
			close(entered) // a second call panics: the test fails
			<-ctx.Done()
			return nil, fmt.Errorf("book: %w: %w", errLock, ctx.Err())
		}
		return e.book(ctx, reqs, skipLocked)
	}
	b := NewBatcher(book, BatchOptions{Lanes: 1, Timeout: 300 * time.Millisecond}, nil)
	defer b.Close()

	first := make(chan boxoffice.BookingResult, 1)
	go func() { first <- b.Book(context.Background(), req("first", "stuck", 1)) }()
	<-entered
	behind := make([]chan boxoffice.BookingResult, 5)
	for i := range behind {
		behind[i] = make(chan boxoffice.BookingResult, 1)
		go func() { behind[i] <- b.Book(context.Background(), req(fmt.Sprintf("behind%d", i), "stuck", 1)) }()
	}
	other := req("other", "free", 1)
	wantEcho(t, other, within(t, 10*time.Second, "a booking for another event", func() boxoffice.BookingResult {
		return b.Book(context.Background(), other)
	}))
	for i, ch := range append([]chan boxoffice.BookingResult{first}, behind...) {
		r := within(t, 10*time.Second, "a request of the timed-out event", func() boxoffice.BookingResult { return <-ch })
		if boxoffice.ErrorCode(r.Err) != boxoffice.EUNAVAILABLE || boxoffice.ErrorRetryAfter(r.Err) != time.Second || r.Booking != nil {
			t.Errorf("request %d of the timed-out event: %+v, want UNAVAILABLE with retryAfter 1s", i, r)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the timed-out event had %d batches, want 1", n)
	}
}

// A request that would queue behind more of its event's batches than fit
// in MaxWait (at the measured batch duration) is refused at once with
// EUNAVAILABLE and a retryAfter, and never reaches the store; so is one
// whose own deadline comes too soon. The others are booked.
func TestBatcherRefusesWhatCannotBeServedInTime(t *testing.T) {
	e := &echo{delay: 100 * time.Millisecond}
	m := &queueMetrics{}
	b := NewBatcher(e.book, BatchOptions{Lanes: 1, MaxBatch: 1, MaxWait: 250 * time.Millisecond}, m)
	defer b.Close()
	warm := req("warm", "hot", 1)
	wantEcho(t, warm, b.Book(context.Background(), warm)) // measures a batch: 100 ms

	const n = 20
	results := make([]boxoffice.BookingResult, n)
	wait := startAll(n, func(i int) { results[i] = b.Book(context.Background(), req(fmt.Sprintf("user%02d", i), "hot", 1)) })
	within(t, 30*time.Second, "20 bookings for one event", func() bool { wait(); return true })
	booked, refused := 0, 0
	for i, r := range results {
		q := req(fmt.Sprintf("user%02d", i), "hot", 1)
		if r.Err == nil {
			wantEcho(t, q, r)
			booked++
			continue
		}
		refused++
		if boxoffice.ErrorCode(r.Err) != boxoffice.EUNAVAILABLE || boxoffice.ErrorRetryAfter(r.Err) < time.Second {
			t.Errorf("request %d: %v, want UNAVAILABLE with a retryAfter", i, r.Err)
		}
		if _, ok := e.batchOf(t)[q.UserID]; ok {
			t.Errorf("refused request %d reached the store", i)
		}
	}
	t.Logf("%d booked, %d refused at once", booked, refused)
	if got := m.full.Load(); got != int64(refused) {
		t.Errorf("metric: %d refusals counted, want %d", got, refused)
	}
	if booked == 0 || refused == 0 {
		t.Errorf("%d booked, %d refused: want both, 250 ms holding two or three 100 ms batches", booked, refused)
	}

	// Its own deadline too soon for the batch in flight and its own.
	inFlight := make(chan boxoffice.BookingResult, 1)
	go func() { inFlight <- b.Book(context.Background(), req("in-flight", "hot", 1)) }()
	settle()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	r := b.Book(ctx, req("hurried", "hot", 1))
	if boxoffice.ErrorCode(r.Err) != boxoffice.EUNAVAILABLE {
		t.Errorf("a request whose deadline is too soon: %+v, want UNAVAILABLE", r)
	}
	if err := (<-inFlight).Err; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("the request in flight: %v", err)
	}
}

// queueMetrics counts the refusals for a full queue.
type queueMetrics struct {
	noMetrics
	full atomic.Int64
}

func (m *queueMetrics) BookingQueueFull() { m.full.Add(1) }
