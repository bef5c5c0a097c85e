package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// echo is a BookFunc that is no store: it records every batch it gets and
// confirms each request with a booking that echoes it. Hooks, when set,
// run first and may block, panic or fail the batch.
type echo struct {
	delay time.Duration
	hook  func(ctx context.Context, reqs []boxoffice.BookingRequest) error
	// held says which events another transaction holds: a batch that
	// skips locked events answers their requests ErrEventBusy, as the
	// store does.
	held func(eventID string) bool

	mu      sync.Mutex
	batches [][]boxoffice.BookingRequest
}

func (e *echo) book(ctx context.Context, reqs []boxoffice.BookingRequest, skipLocked bool) ([]boxoffice.BookingResult, error) {
	e.mu.Lock()
	e.batches = append(e.batches, slices.Clone(reqs))
	e.mu.Unlock()
	if e.hook != nil {
		if err := e.hook(ctx, reqs); err != nil {
			return nil, err
		}
	}
	time.Sleep(e.delay)
	res := make([]boxoffice.BookingResult, len(reqs))
	for i, r := range reqs {
		if skipLocked && e.held != nil && e.held(r.EventID) {
			res[i].Err = boxoffice.ErrEventBusy
			continue
		}
		res[i] = boxoffice.BookingResult{
			Booking:   &boxoffice.Booking{ID: boxoffice.NewID(), UserID: r.UserID, EventID: r.EventID, NumberOfTickets: r.Tickets, Status: boxoffice.BookingConfirmed},
			Remaining: 100 + r.Tickets,
		}
	}
	return res, nil
}

// seen returns the batches so far.
func (e *echo) seen() [][]boxoffice.BookingRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.batches)
}

// batchOf maps each request's UserID to the index of the batch it was in.
func (e *echo) batchOf(t *testing.T) map[string]int {
	t.Helper()
	m := map[string]int{}
	for i, b := range e.seen() {
		for _, r := range b {
			if _, dup := m[r.UserID]; dup {
				t.Errorf("request %s was decided twice", r.UserID)
			}
			m[r.UserID] = i
		}
	}
	return m
}

// req is a request told apart by its UserID.
func req(name, event string, tickets int) boxoffice.BookingRequest {
	return boxoffice.BookingRequest{UserID: name, EventID: event, Tickets: tickets}
}

// wantEcho fails t unless r is the echo of q.
func wantEcho(t *testing.T, q boxoffice.BookingRequest, r boxoffice.BookingResult) {
	t.Helper()
	switch b := r.Booking; {
	case r.Err != nil:
		t.Errorf("request %s: %v", q.UserID, r.Err)
	case b == nil || b.UserID != q.UserID || b.EventID != q.EventID || b.NumberOfTickets != q.Tickets || r.Remaining != 100+q.Tickets:
		t.Errorf("request %+v got another's result: %+v", q, r)
	}
}

// within runs fn and fails t if it takes longer than d: a hang is a failure.
func within[T any](t *testing.T, d time.Duration, what string, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("%s: still waiting after %v", what, d)
		panic("unreachable")
	}
}

// blocker makes a hook that holds the batch holding the request named
// "blocker" until release is closed, closing entered once it is held.
func blocker() (hook func(context.Context, []boxoffice.BookingRequest) error, entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	return func(_ context.Context, reqs []boxoffice.BookingRequest) error {
		for _, r := range reqs {
			if r.UserID == "blocker" {
				close(entered)
				<-release
			}
		}
		return nil
	}, entered, release
}

// settle gives goroutines just started the time to queue their requests.
func settle() { time.Sleep(50 * time.Millisecond) }

// startAll runs fn(0) … fn(n-1) on n goroutines released at once, and
// returns a function that waits for them.
func startAll(n int, fn func(i int)) (wait func()) {
	start := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(n)
	for i := range n {
		wg.Go(func() {
			ready.Done()
			<-start
			fn(i)
		})
	}
	ready.Wait()
	close(start)
	return wg.Wait
}

func TestBatcherEveryCallerGetsItsOwnResult(t *testing.T) {
	e := &echo{delay: time.Millisecond}
	b := NewBatcher(e.book, BatchOptions{}, nil)
	defer b.Close()

	const n = 200
	reqs := make([]boxoffice.BookingRequest, n)
	results := make([]boxoffice.BookingResult, n)
	for i := range reqs {
		reqs[i] = req(fmt.Sprintf("user%03d", i), fmt.Sprintf("event%d", i%7), 1+i%10)
	}
	wait := startAll(n, func(i int) { results[i] = b.Book(context.Background(), reqs[i]) })
	within(t, 30*time.Second, "200 bookings", func() bool { wait(); return true })

	for i := range reqs {
		wantEcho(t, reqs[i], results[i])
	}
	total := 0
	for _, batch := range e.seen() {
		total += len(batch)
	}
	if total != n {
		t.Errorf("the BookFunc decided %d requests, want %d", total, n)
	}
	if m := e.batchOf(t); len(m) != n {
		t.Errorf("%d distinct requests decided, want %d", len(m), n)
	}
}

func TestBatcherCoalesces(t *testing.T) {
	e := &echo{delay: 20 * time.Millisecond} // a slow transaction
	b := NewBatcher(e.book, BatchOptions{}, nil)
	defer b.Close()

	const n = 200
	wait := startAll(n, func(i int) {
		q := req(fmt.Sprintf("user%03d", i), "hot-event", 1)
		wantEcho(t, q, b.Book(context.Background(), q))
	})
	within(t, 30*time.Second, "200 bookings", func() bool { wait(); return true })

	calls := len(e.seen())
	t.Logf("%d requests in %d batches", n, calls)
	if calls >= n/4 {
		t.Errorf("%d requests for one event took %d transactions: the batcher does not coalesce", n, calls)
	}
}

func TestBatcherMaxBatch(t *testing.T) {
	e := &echo{delay: 5 * time.Millisecond}
	b := NewBatcher(e.book, BatchOptions{Lanes: 1, MaxBatch: 8}, nil)
	defer b.Close()

	const n = 100
	wait := startAll(n, func(i int) {
		q := req(fmt.Sprintf("user%03d", i), "event", 1)
		wantEcho(t, q, b.Book(context.Background(), q))
	})
	within(t, 30*time.Second, "100 bookings", func() bool { wait(); return true })
	batches := e.seen()
	for i, batch := range batches {
		if len(batch) > 8 {
			t.Errorf("batch %d has %d requests, more than MaxBatch 8", i, len(batch))
		}
	}
	if len(batches) < n/8 {
		t.Errorf("%d batches for %d requests of at most 8", len(batches), n)
	}
}

func TestBatcherErrorReachesItsBatchOnly(t *testing.T) {
	errPoison := errors.New("poisoned batch")
	hold, entered, release := blocker()
	e := &echo{hook: func(ctx context.Context, reqs []boxoffice.BookingRequest) error {
		if err := hold(ctx, reqs); err != nil {
			return err
		}
		for _, r := range reqs {
			if r.Tickets == 7 {
				return errPoison
			}
		}
		return nil
	}}
	b := NewBatcher(e.book, BatchOptions{Lanes: 1}, nil)
	defer b.Close()

	first := make(chan boxoffice.BookingResult, 1)
	go func() { first <- b.Book(context.Background(), req("blocker", "event", 1)) }()
	<-entered // the lane is busy: what comes now waits for the next batch

	reqs := []boxoffice.BookingRequest{req("a", "event", 1), req("poison", "event", 7), req("b", "event-2", 2), req("c", "event", 3)}
	results := make([]boxoffice.BookingResult, len(reqs))
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Go(func() { results[i] = b.Book(context.Background(), reqs[i]) })
	}
	settle()
	close(release)
	within(t, 10*time.Second, "the poisoned batch", func() bool { wg.Wait(); return true })
	wantEcho(t, req("blocker", "event", 1), <-first)

	later := req("later", "event", 1)
	wantEcho(t, later, within(t, 10*time.Second, "a batch after the poisoned one", func() boxoffice.BookingResult {
		return b.Book(context.Background(), later)
	}))

	batchOf := e.batchOf(t)
	poisoned := batchOf["poison"]
	shared := 0
	for i, q := range reqs {
		if batchOf[q.UserID] == poisoned {
			shared++
			if !errors.Is(results[i].Err, errPoison) || results[i].Booking != nil {
				t.Errorf("%s shared the poisoned batch but got %+v, want its error", q.UserID, results[i])
			}
		} else {
			wantEcho(t, q, results[i])
		}
	}
	if shared < 2 {
		t.Errorf("the poisoned batch held %d request(s), want the queued ones together", shared)
	}
	if batchOf["blocker"] == poisoned || batchOf["later"] == poisoned {
		t.Errorf("batches: %v", e.seen())
	}
}

func TestBatcherPanicFailsItsBatch(t *testing.T) {
	hold, entered, release := blocker()
	e := &echo{hook: func(ctx context.Context, reqs []boxoffice.BookingRequest) error {
		if err := hold(ctx, reqs); err != nil {
			return err
		}
		for _, r := range reqs {
			if r.UserID == "boom" {
				panic("boom")
			}
		}
		return nil
	}}
	b := NewBatcher(e.book, BatchOptions{Lanes: 1}, nil)
	defer b.Close()

	first := make(chan boxoffice.BookingResult, 1)
	go func() { first <- b.Book(context.Background(), req("blocker", "event", 1)) }()
	<-entered
	reqs := []boxoffice.BookingRequest{req("boom", "event", 1), req("bystander", "event", 1)}
	results := make([]boxoffice.BookingResult, len(reqs))
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Go(func() { results[i] = b.Book(context.Background(), reqs[i]) })
	}
	settle()
	close(release)
	within(t, 10*time.Second, "callers of a panicking batch", func() bool { wg.Wait(); return true })
	wantEcho(t, req("blocker", "event", 1), <-first)

	batchOf := e.batchOf(t)
	for i, q := range reqs {
		if batchOf[q.UserID] != batchOf["boom"] {
			wantEcho(t, q, results[i])
			continue
		}
		if results[i].Err == nil || results[i].Booking != nil {
			t.Errorf("%s in the panicking batch: %+v, want an error", q.UserID, results[i])
		} else if code := boxoffice.ErrorCode(results[i].Err); code != boxoffice.EINTERNAL {
			t.Errorf("%s in the panicking batch: code %q, want %q", q.UserID, code, boxoffice.EINTERNAL)
		}
	}
	// The lane is not wedged.
	after := req("after", "event", 1)
	wantEcho(t, after, within(t, 10*time.Second, "a booking after a panic", func() boxoffice.BookingResult {
		return b.Book(context.Background(), after)
	}))
}

func TestBatcherWrongResultCountFailsTheBatch(t *testing.T) {
	b := NewBatcher(func(context.Context, []boxoffice.BookingRequest, bool) ([]boxoffice.BookingResult, error) {
		return nil, nil
	}, BatchOptions{}, nil)
	defer b.Close()
	r := b.Book(context.Background(), req("a", "event", 1))
	if r.Err == nil || r.Booking != nil {
		t.Errorf("a BookFunc that returned no result: %+v, want an error", r)
	}
}

func TestBatcherDropsCancelledRequests(t *testing.T) {
	hold, entered, release := blocker()
	var bookCtxErr atomic.Value
	e := &echo{hook: func(ctx context.Context, reqs []boxoffice.BookingRequest) error {
		err := hold(ctx, reqs)
		if ctx.Err() != nil {
			bookCtxErr.Store(ctx.Err())
		}
		return err
	}}
	b := NewBatcher(e.book, BatchOptions{Lanes: 1}, nil)
	defer b.Close()

	// Cancelled before the call: never decided.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := within(t, 10*time.Second, "a booking with a cancelled context", func() boxoffice.BookingResult {
		return b.Book(ctx, req("early", "event", 1))
	})
	if !errors.Is(r.Err, context.Canceled) || r.Booking != nil {
		t.Errorf("cancelled before Book: %+v, want context.Canceled", r)
	}

	// The blocker's caller gives up while its batch runs: the batch goes
	// on, with a context of its own, and the caller still gets the outcome.
	blockerCtx, cancelBlocker := context.WithCancel(context.Background())
	first := make(chan boxoffice.BookingResult, 1)
	go func() { first <- b.Book(blockerCtx, req("blocker", "event", 1)) }()
	<-entered

	// Cancelled while queued, before its batch starts: dropped.
	queuedCtx, cancelQueued := context.WithCancel(context.Background())
	dropped := make(chan boxoffice.BookingResult, 1)
	go func() { dropped <- b.Book(queuedCtx, req("queued", "event", 1)) }()
	kept := make(chan boxoffice.BookingResult, 1)
	go func() { kept <- b.Book(context.Background(), req("kept", "event", 1)) }()
	settle()
	cancelQueued()
	cancelBlocker()
	close(release)

	wantEcho(t, req("blocker", "event", 1), within(t, 10*time.Second, "the blocker", func() boxoffice.BookingResult { return <-first }))
	if err, _ := bookCtxErr.Load().(error); err != nil {
		t.Errorf("a caller's cancel reached the batch's context: %v", err)
	}
	r = within(t, 10*time.Second, "the cancelled request", func() boxoffice.BookingResult { return <-dropped })
	if !errors.Is(r.Err, context.Canceled) || r.Booking != nil {
		t.Errorf("cancelled while queued: %+v, want context.Canceled", r)
	}
	wantEcho(t, req("kept", "event", 1), within(t, 10*time.Second, "the kept request", func() boxoffice.BookingResult { return <-kept }))

	batchOf := e.batchOf(t)
	for _, name := range []string{"early", "queued"} {
		if _, ok := batchOf[name]; ok {
			t.Errorf("request %q with a cancelled context reached the BookFunc", name)
		}
	}
}

func TestBatcherClose(t *testing.T) {
	hold, entered, release := blocker()
	e := &echo{hook: hold}
	b := NewBatcher(e.book, BatchOptions{Lanes: 2}, nil)

	first := make(chan boxoffice.BookingResult, 1)
	go func() { first <- b.Book(context.Background(), req("blocker", "event", 1)) }()
	<-entered
	queued := make([]chan boxoffice.BookingResult, 3)
	for i := range queued {
		queued[i] = make(chan boxoffice.BookingResult, 1)
		go func() { queued[i] <- b.Book(context.Background(), req(fmt.Sprintf("queued%d", i), "event", 1)) }()
	}
	settle()

	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	settle()
	select {
	case <-closed:
		t.Fatal("Close returned while bookings were still queued")
	default:
	}
	// Closing: new bookings are refused at once, on any lane.
	for _, ev := range []string{"event", "other-event", "third-event"} {
		r := within(t, 5*time.Second, "a booking while closing", func() boxoffice.BookingResult {
			return b.Book(context.Background(), req("late", ev, 1))
		})
		if !errors.Is(r.Err, ErrShuttingDown) {
			t.Errorf("Book while closing: %+v, want ErrShuttingDown", r)
		}
	}

	close(release)
	within(t, 10*time.Second, "Close", func() bool { <-closed; return true })
	wantEcho(t, req("blocker", "event", 1), <-first)
	batchOf := e.batchOf(t) // as Close returned
	for i, ch := range queued {
		name := fmt.Sprintf("queued%d", i)
		if _, ok := batchOf[name]; !ok {
			t.Errorf("Close returned before queued booking %s was decided", name)
		}
		wantEcho(t, req(name, "event", 1), within(t, 5*time.Second, name, func() boxoffice.BookingResult { return <-ch }))
	}
	if r := b.Book(context.Background(), req("after", "event", 1)); !errors.Is(r.Err, ErrShuttingDown) {
		t.Errorf("Book after Close: %+v, want ErrShuttingDown", r)
	}
	if _, ok := batchOf["late"]; ok {
		t.Error("a booking refused while closing reached the BookFunc")
	}
}

func TestBatcherTimeout(t *testing.T) {
	b := NewBatcher(func(ctx context.Context, _ []boxoffice.BookingRequest, _ bool) ([]boxoffice.BookingResult, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Second):
			return nil, errors.New("the batch's context has no time limit")
		}
	}, BatchOptions{Timeout: 50 * time.Millisecond}, nil)
	defer b.Close()
	r := within(t, 5*time.Second, "a batch past its time limit", func() boxoffice.BookingResult {
		return b.Book(context.Background(), req("slow", "event", 1))
	})
	if !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Errorf("a batch past its time limit: %+v, want context.DeadlineExceeded", r)
	}
}

// Rushing is what the relay asks before it takes the CPU from bookings:
// false while bookings go one at a time, true while they queue behind
// each other and for a second after, then false again.
func TestBatcherSaysWhenBookingsQueue(t *testing.T) {
	e := &echo{delay: 20 * time.Millisecond}
	b := NewBatcher(e.book, BatchOptions{}, nil)
	defer b.Close()
	if b.Rushing() {
		t.Fatal("rushing before any booking")
	}
	for i := range 3 {
		q := req(fmt.Sprintf("user%d", i), "quiet-event", 1)
		wantEcho(t, q, b.Book(context.Background(), q))
	}
	if b.Rushing() {
		t.Fatal("rushing after bookings that came one at a time")
	}
	const n = 100
	wait := startAll(n, func(i int) {
		q := req(fmt.Sprintf("user%03d", i), "hot-event", 1)
		wantEcho(t, q, b.Book(context.Background(), q))
	})
	within(t, 30*time.Second, "100 bookings at once", func() bool { wait(); return true })
	if !b.Rushing() {
		t.Fatal("not rushing right after 100 bookings queued for one event")
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.Rushing() {
		if time.Now().After(deadline) {
			t.Fatal("still rushing 5 s after the last booking")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
