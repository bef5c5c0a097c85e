package service

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// BookFunc decides a batch of booking requests in one transaction:
// boxoffice.Store.BookBatch.
type BookFunc func(ctx context.Context, reqs []boxoffice.BookingRequest) ([]boxoffice.BookingResult, error)

// BatchOptions tune the Batcher; zero fields take the defaults.
type BatchOptions struct {
	Lanes    int           // booking transactions in flight at once (default 2)
	MaxBatch int           // requests in one transaction at most (default 256)
	Timeout  time.Duration // time limit of one batch transaction (default 10s)
}

func (o BatchOptions) withDefaults() BatchOptions {
	if o.Lanes <= 0 {
		o.Lanes = 2 // fewer, fuller batches: see BOOKING_LANES in the README
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return o
}

// ErrShuttingDown is returned for bookings that arrive after Close.
var ErrShuttingDown = errors.New("service: booking batcher is closed")

// Batcher is group commit for bookings. Commits, not rows, limit a
// database's booking rate, so requests that arrive while a booking
// transaction is in flight wait and all go together in the next one: with
// no load a request runs at once, alone; under load the batches grow by
// themselves. Each request keeps its own outcome (PlanBookings).
//
// Requests are spread over lanes by event, so one event's requests always
// share a lane (and never contend for its row with each other), while
// different events proceed in parallel.
type Batcher struct {
	book    BookFunc
	opts    BatchOptions
	lanes   []*lane
	metrics Metrics

	mu      sync.Mutex // guards closed and the WaitGroup's growth
	closed  bool
	running sync.WaitGroup
}

type lane struct {
	mu    sync.Mutex
	queue []*call
	busy  bool // a goroutine is draining the queue
}

type call struct {
	ctx  context.Context
	req  boxoffice.BookingRequest
	done chan boxoffice.BookingResult // buffered: the drainer never blocks
}

// NewBatcher returns a Batcher that decides batches with book and reports
// them to metrics (nil: nowhere).
func NewBatcher(book BookFunc, opts BatchOptions, metrics Metrics) *Batcher {
	opts = opts.withDefaults()
	if metrics == nil {
		metrics = noMetrics{}
	}
	b := &Batcher{book: book, opts: opts, lanes: make([]*lane, opts.Lanes), metrics: metrics}
	for i := range b.lanes {
		b.lanes[i] = &lane{}
	}
	return b
}

// Book queues req and waits for its outcome. Once queued, the outcome is
// always awaited, even if ctx ends: a caller told "failed" must never find
// the booking committed. A request whose ctx has ended before its batch
// starts is dropped, with ctx's error.
func (b *Batcher) Book(ctx context.Context, req boxoffice.BookingRequest) boxoffice.BookingResult {
	c := &call{ctx: ctx, req: req, done: make(chan boxoffice.BookingResult, 1)}
	l := b.lanes[laneIndex(req.EventID, len(b.lanes))]

	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return boxoffice.BookingResult{Err: ErrShuttingDown}
	}
	l.mu.Lock()
	l.queue = append(l.queue, c)
	start := !l.busy
	l.busy = true
	l.mu.Unlock()
	if start {
		b.running.Add(1)
	}
	b.mu.Unlock()

	if start {
		go b.drain(l)
	}
	return <-c.done
}

// Close refuses new bookings and waits for the queued ones to be decided.
func (b *Batcher) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.running.Wait()
}

// drain runs batches off the lane's queue until it is empty.
func (b *Batcher) drain(l *lane) {
	defer b.running.Done()
	for {
		l.mu.Lock()
		n := min(len(l.queue), b.opts.MaxBatch)
		if n == 0 {
			l.busy = false
			l.queue = nil
			l.mu.Unlock()
			return
		}
		batch := make([]*call, n)
		copy(batch, l.queue)
		l.queue = l.queue[n:]
		l.mu.Unlock()
		b.run(batch)
	}
}

// run decides one batch and hands every caller its own result.
func (b *Batcher) run(batch []*call) {
	live := batch[:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.done <- boxoffice.BookingResult{Err: err}
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	reqs := make([]boxoffice.BookingRequest, len(live))
	for i, c := range live {
		reqs[i] = c.req
	}
	start := time.Now()
	results, err := b.decide(reqs)
	b.metrics.BookingBatch(len(reqs), time.Since(start), err != nil)
	for i, c := range live {
		if err != nil {
			c.done <- boxoffice.BookingResult{Err: err}
		} else {
			c.done <- results[i]
		}
	}
}

// decide runs one transaction with a context of its own: one caller giving
// up must not abort the others' bookings. A panic fails the batch, not the
// server, and never leaves callers waiting.
func (b *Batcher) decide(reqs []boxoffice.BookingRequest) (results []boxoffice.BookingResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			results, err = nil, fmt.Errorf("service: booking batch panicked: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.Timeout)
	defer cancel()
	results, err = b.book(ctx, reqs)
	if err == nil && len(results) != len(reqs) {
		err = fmt.Errorf("service: booking batch returned %d results for %d requests", len(results), len(reqs))
	}
	return results, err
}

func laneIndex(eventID string, lanes int) int {
	h := fnv.New32a()
	h.Write([]byte(eventID))
	return int(h.Sum32() % uint32(lanes))
}
