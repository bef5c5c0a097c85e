package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Run sets up the scenario, loads the server for opts.WarmUp plus
// opts.Duration, then verifies the bookings. It returns the report, and
// an error if the run could not be done or the verification failed (the
// report is then still returned when there is one).
func Run(ctx context.Context, opts Options) (*Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	u, err := CheckTarget(o.URL, o.AllowRemote)
	if err != nil {
		return nil, err
	}
	c := &client{
		url:   u.String(),
		http:  newHTTPClient(o.Concurrency, o.RequestTimeout, o.AllowRemote),
		token: o.Token,
	}
	defer c.http.CloseIdleConnections()
	if o.Scenario == Expiry {
		return runExpiry(ctx, c, o)
	}

	total, elapsed, events, n, err := setupAndLoad(ctx, c, o)
	if err != nil {
		return nil, err
	}
	rep := newReport(o, total, elapsed, len(events), n)
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("interrupted: %w", err)
	}
	if o.books() && !o.NoVerify {
		vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
		defer cancel()
		rep.Verification = verify(vctx, c, events, total, o.Progress)
		if o.Scenario == Onsale {
			if f := onsaleFailures(rep, n); len(f) > 0 {
				v := rep.Verification
				v.Failures = append(v.Failures, f...)
				v.OK = false
				v.Summary = v.summary()
			}
		}
		if !rep.Verification.OK {
			return rep, errors.New("verification failed: " + rep.Verification.Summary)
		}
	}
	return rep, nil
}

// setupAndLoad makes or reads what the scenario needs, within
// setupTimeout, then loads the server. It returns the stats, the measured
// time, the events and the number of accounts that booked.
func setupAndLoad(ctx context.Context, c *client, o Options) (*stats, time.Duration, []*event, int, error) {
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	var err error
	if o.Provision != nil {
		if c.token, err = o.Provision.StaffToken(sctx); err != nil {
			return nil, 0, nil, 0, fmt.Errorf("make the run's admin account in the database: %w", setupErr(err, ctx))
		}
		if err := checkToken(sctx, c, c.token, "the run's admin"); err != nil {
			return nil, 0, nil, 0, err
		}
	}
	var (
		events []*event
		bs     []*buyer
	)
	if o.books() {
		if events, err = setupEvents(sctx, c, o); err != nil {
			return nil, 0, nil, 0, setupErr(err, ctx)
		}
		if o.Provision != nil {
			bs, err = setupBuyers(sctx, c, o)
		} else {
			var users []string
			users, err = setupUsers(sctx, c, o)
			bs = usersAsBuyers(users, o.Token)
		}
		if err != nil {
			return nil, 0, nil, 0, setupErr(err, ctx)
		}
	}
	total, elapsed := runLoad(ctx, c, o, events, bs)
	return total, elapsed, events, len(bs), nil
}

// setupErr says when the set-up ran out of time.
func setupErr(err error, ctx context.Context) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("set-up not done within %s: %w", setupTimeout, err)
	}
	return err
}

// load runs the workers and returns their merged stats and the measured
// time.
func load(ctx context.Context, c *client, o Options, events []*event, bs []*buyer) (*stats, time.Duration) {
	all := &buyers{all: bs}
	start := time.Now()
	measureFrom := start.Add(o.WarmUp)
	end := measureFrom.Add(o.Duration)

	var (
		lv   live
		wg   sync.WaitGroup
		sts  = make([]*stats, o.Concurrency)
		done = make(chan struct{})
	)
	for i := range o.Concurrency {
		sts[i] = newStats(len(events))
		w := &worker{
			c: c, o: o, events: events, buyers: all, st: sts[i], live: &lv,
			rng:         rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))),
			measureFrom: measureFrom, end: end,
			readToggle: i%2 == 1,
		}
		wg.Go(func() { w.run(ctx) })
	}
	go progress(o.Progress, &lv, start, measureFrom, end, done)
	wg.Wait()
	close(done)
	elapsed := o.Duration
	if now := time.Now(); now.Before(end) { // interrupted
		elapsed = max(now.Sub(measureFrom), 0)
	}

	total := newStats(len(events))
	for _, s := range sts {
		total.merge(s)
	}
	return total, elapsed
}

// live counters for the progress line.
type live struct {
	requests, bookings, errors atomic.Int64
}

// progress prints a line per second until done.
func progress(w io.Writer, lv *live, start, measureFrom, end time.Time, done <-chan struct{}) {
	if w == io.Discard {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastReq, lastBook int64
	last := start
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			req, book, errs := lv.requests.Load(), lv.bookings.Load(), lv.errors.Load()
			secs := now.Sub(last).Seconds()
			phase := ""
			if now.Before(measureFrom) {
				phase = "  (warm-up)"
			} else if now.After(end) {
				phase = "  (finishing)"
			}
			fmt.Fprintf(w, "%5.0fs  %9s req/s  %9s bookings/s  %s errors%s\n",
				now.Sub(start).Seconds(), thousands(float64(req-lastReq)/secs),
				thousands(float64(book-lastBook)/secs), thousands(float64(errs)), phase)
			lastReq, lastBook, last = req, book, now
		}
	}
}
