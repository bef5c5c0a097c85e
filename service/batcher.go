package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
)

// BookFunc decides a batch of booking requests in one transaction:
// boxoffice.Store.BookBatch. With skipLocked the batch passes over the
// events other transactions hold, whose requests come back with
// boxoffice.ErrEventBusy (boxoffice.BookingTerms.SkipLocked).
type BookFunc func(ctx context.Context, reqs []boxoffice.BookingRequest, skipLocked bool) ([]boxoffice.BookingResult, error)

// BatchOptions tune the Batcher; zero fields take the defaults.
type BatchOptions struct {
	Lanes    int           // batches of any events in flight at once (default 2)
	Waiters  int           // batches of one held event, waiting for its lock, in flight at once (default 4)
	MaxBatch int           // requests in one transaction at most (default 256)
	Timeout  time.Duration // time limit of one batch transaction (default 10s)
	// MaxWait is the longest a request may expect to queue behind its
	// event's earlier batches; one that would wait longer (or past its
	// context's deadline) is refused at once (default 5s).
	MaxWait time.Duration
}

// DefaultMaxWait is BatchOptions.MaxWait's default.
const DefaultMaxWait = 5 * time.Second

func (o BatchOptions) withDefaults() BatchOptions {
	if o.Lanes <= 0 {
		o.Lanes = 2 // fewer, fuller batches: see BOOKING_LANES in the README
	}
	if o.Waiters <= 0 {
		o.Waiters = 4
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
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
// Requests queue by event, and one event has at most one batch in flight,
// so its requests never contend for its row with each other. Up to Lanes
// batches run at once, each taking whatever the waiting events have
// queued. Those batches pass over an event that another transaction holds
// (a long transaction, a stuck server): its requests go back to the head
// of its queue, and its next batch runs on its own, on one of Waiters
// slots, waiting for the row up to the database's lock timeout. So a stuck
// event delays only its own bookings, and when its batch runs out of time
// the requests queued behind it get the same answer (EUNAVAILABLE) at
// once rather than waiting as long again.
type Batcher struct {
	book    BookFunc
	opts    BatchOptions
	metrics Metrics

	mu       sync.Mutex
	closed   bool
	events   map[string]*eventQueue // events with requests queued or a batch in flight
	ready    []*eventQueue          // events with requests waiting for a lane, in arrival order
	held     []*eventQueue          // held events with requests waiting for a waiter slot
	lanes    int                    // lanes free
	waiters  int                    // waiter slots free
	perBatch time.Duration          // how long a batch takes, a moving average of those that succeeded
	running  sync.WaitGroup

	// backlogAt is when a batch last ended with requests already queued
	// for its events (Unix nanoseconds): bookings were waiting on
	// bookings. Rushing reads it.
	backlogAt atomic.Int64
}

// rushWindow is how long after the last backlog Rushing still says so.
const rushWindow = time.Second

// Rushing says whether bookings queued behind other bookings within the
// last second: this server is taking an on-sale, and work that can wait
// (the relay's emails, webhooks and stream, see Notifications) should let
// the bookings have the CPU and the database.
func (b *Batcher) Rushing() bool {
	at := b.backlogAt.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < rushWindow
}

// eventQueue is one event's requests not yet in a batch.
type eventQueue struct {
	id       string
	queue    []*call
	inFlight bool // a batch of this event is running
	waiting  bool // in Batcher.ready or Batcher.held
	held     bool // another transaction held its row: its next batch runs alone and waits for it
}

type call struct {
	ctx  context.Context
	req  boxoffice.BookingRequest
	done chan boxoffice.BookingResult // buffered: the batcher never blocks
}

// NewBatcher returns a Batcher that decides batches with book and reports
// them to metrics (nil: nowhere).
func NewBatcher(book BookFunc, opts BatchOptions, metrics Metrics) *Batcher {
	opts = opts.withDefaults()
	if metrics == nil {
		metrics = noMetrics{}
	}
	return &Batcher{book: book, opts: opts, metrics: metrics, events: map[string]*eventQueue{},
		lanes: opts.Lanes, waiters: opts.Waiters}
}

// Book queues req and waits for its outcome. Once queued, the outcome is
// always awaited, even if ctx ends: a caller told "failed" must never find
// the booking committed. A request whose ctx has ended before its batch
// starts is dropped, with ctx's error. A request that could not be served
// in time is refused at once (admit).
func (b *Batcher) Book(ctx context.Context, req boxoffice.BookingRequest) boxoffice.BookingResult {
	c := &call{ctx: ctx, req: req, done: make(chan boxoffice.BookingResult, 1)}

	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return boxoffice.BookingResult{Err: ErrShuttingDown}
	}
	q := b.events[req.EventID]
	if q == nil {
		q = &eventQueue{id: req.EventID}
		b.events[req.EventID] = q
	}
	if err := b.admit(ctx, q); err != nil {
		b.forget(q)
		b.mu.Unlock()
		b.metrics.BookingQueueFull()
		return boxoffice.BookingResult{Err: err}
	}
	q.queue = append(q.queue, c)
	b.schedule(q)
	b.mu.Unlock()
	return <-c.done
}

// admit refuses a request that would wait longer than it can: one batch
// goes at a time for its event, so it waits for the batch in flight and
// for those that the requests queued before it fill, at the usual batch
// duration each. The budget is MaxWait, or less if ctx ends sooner.
func (b *Batcher) admit(ctx context.Context, q *eventQueue) error {
	if b.perBatch <= 0 {
		return nil // nothing measured yet
	}
	ahead := len(q.queue)/b.opts.MaxBatch + 1 // batches up to its own
	if q.inFlight {
		ahead++
	}
	wait := time.Duration(ahead) * b.perBatch
	budget := b.opts.MaxWait
	if deadline, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(deadline))
	}
	if wait <= budget {
		return nil
	}
	return &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, RetryAfter: max(time.Second, wait.Truncate(time.Second)),
		Message: "too many bookings for this event right now: try again"}
}

// Close refuses new bookings and waits for the queued ones to be decided.
func (b *Batcher) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.running.Wait()
}

// schedule puts an idle event with requests in line for a batch, and
// starts the batches there is room for. b.mu is held.
func (b *Batcher) schedule(q *eventQueue) {
	if !q.inFlight && !q.waiting && len(q.queue) > 0 {
		q.waiting = true
		if q.held {
			b.held = append(b.held, q)
		} else {
			b.ready = append(b.ready, q)
		}
	}
	b.dispatch()
}

// forget drops an event that has nothing queued or in flight. b.mu is held.
func (b *Batcher) forget(q *eventQueue) {
	if !q.inFlight && len(q.queue) == 0 && b.events[q.id] == q {
		delete(b.events, q.id)
	}
}

// dispatch starts batches while there are lanes (and waiter slots) free
// and events waiting for them. A lane's batch takes the waiting events in
// order, up to MaxBatch requests; a held event's batch is its own. b.mu
// is held.
func (b *Batcher) dispatch() {
	for b.lanes > 0 && len(b.ready) > 0 {
		var batch []*call
		var events []*eventQueue
		for len(b.ready) > 0 && len(batch) < b.opts.MaxBatch {
			q := b.ready[0]
			b.ready = slices.Delete(b.ready, 0, 1)
			batch = b.take(q, batch)
			events = append(events, q)
		}
		b.lanes--
		b.running.Add(1)
		go b.run(batch, events, false)
	}
	for b.waiters > 0 && len(b.held) > 0 {
		q := b.held[0]
		b.held = slices.Delete(b.held, 0, 1)
		batch := b.take(q, nil)
		b.waiters--
		b.running.Add(1)
		go b.run(batch, []*eventQueue{q}, true)
	}
}

// take moves q's oldest requests into batch, up to MaxBatch in all, and
// marks q in flight. b.mu is held.
func (b *Batcher) take(q *eventQueue, batch []*call) []*call {
	n := min(len(q.queue), b.opts.MaxBatch-len(batch))
	batch = append(batch, q.queue[:n]...)
	q.queue = slices.Clone(q.queue[n:])
	q.waiting, q.inFlight = false, true
	return batch
}

// run decides one batch, hands every caller its own result, and frees
// its lane (or waiter slot) and events for the next. A batch on a lane
// passes over held events (skipLocked); a held event's own batch waits.
func (b *Batcher) run(batch []*call, events []*eventQueue, alone bool) {
	defer b.running.Done()
	results, err := b.decideLive(batch, !alone)

	b.mu.Lock()
	if alone {
		b.waiters++
	} else {
		b.lanes++
	}
	// Passed over: back to the head of their event's queue, in order.
	busy := map[string][]*call{}
	for i, c := range batch {
		if results[i].Err == boxoffice.ErrEventBusy && !alone {
			busy[c.req.EventID] = append(busy[c.req.EventID], c)
			results[i].Err = nil // not answered: see below
			batch[i] = nil
		}
	}
	// A batch that ran out of time answers the requests queued behind it:
	// they would wait as long again.
	var behind []*call
	timedOut := err != nil && boxoffice.ErrorCode(err) == boxoffice.EUNAVAILABLE
	for _, q := range events {
		q.inFlight = false
		if len(q.queue) > 0 {
			b.backlogAt.Store(time.Now().UnixNano())
		}
		if again := busy[q.id]; len(again) > 0 {
			q.queue = append(again, q.queue...)
			q.held = true
		} else if alone && err == nil {
			q.held = false
		}
		if timedOut {
			behind = append(behind, q.queue...)
			q.queue = nil
		}
		b.forget(q)
		b.schedule(q)
	}
	b.mu.Unlock()

	for i, c := range batch {
		if c != nil {
			c.done <- results[i]
		}
	}
	for _, c := range behind {
		c.done <- boxoffice.BookingResult{Err: err}
	}
}

// decideLive decides the batch's requests whose callers still wait, and
// returns one result per request of batch: a dropped request gets its
// context's error, and all get err if the batch failed as a whole.
func (b *Batcher) decideLive(batch []*call, skipLocked bool) ([]boxoffice.BookingResult, error) {
	out := make([]boxoffice.BookingResult, len(batch))
	var reqs []boxoffice.BookingRequest
	var at []int
	for i, c := range batch {
		if err := c.ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		reqs = append(reqs, c.req)
		at = append(at, i)
	}
	if len(reqs) == 0 {
		return out, nil
	}
	start := time.Now()
	results, err := b.decide(reqs, skipLocked)
	took := time.Since(start)
	b.metrics.BookingBatch(len(reqs), took, err != nil)
	if err == nil {
		b.mu.Lock()
		if b.perBatch == 0 {
			b.perBatch = took
		} else {
			b.perBatch += (took - b.perBatch) / 8
		}
		b.mu.Unlock()
	}
	for j, i := range at {
		if err != nil {
			out[i].Err = err
		} else {
			out[i] = results[j]
		}
	}
	return out, err
}

// decide runs one transaction with a context of its own: one caller giving
// up must not abort the others' bookings. A panic fails the batch, not the
// server, and never leaves callers waiting.
func (b *Batcher) decide(reqs []boxoffice.BookingRequest, skipLocked bool) (results []boxoffice.BookingResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			results, err = nil, fmt.Errorf("service: booking batch panicked: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.Timeout)
	defer cancel()
	results, err = b.book(ctx, reqs, skipLocked)
	if err == nil && len(results) != len(reqs) {
		err = fmt.Errorf("service: booking batch returned %d results for %d requests", len(results), len(reqs))
	}
	return results, err
}
