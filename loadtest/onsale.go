package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// The onsale scenario: every buyer holds 1 ticket of the one event, then
// pays it. It runs in two phases, each with every worker: first all the
// buyers hold (the rush on the hot row, which is what the holds' rate
// measures: nothing but holds competes for the event), then every holder
// pays (payBooking with the test card, which confirms the booking through
// a job). So each rate is that of its own step, not of a mix whose share
// would depend on how slow the other step is. There is no warm-up: each
// buyer acts once, and a run ends once every buyer has held and paid, or
// at Duration.

// loadOnsale runs the two phases and returns the merged stats (with the
// time of each phase) and the measured time: both phases.
func loadOnsale(ctx context.Context, c *client, o Options, events []*event, bs []*buyer) (*stats, time.Duration) {
	start := time.Now()
	end := start.Add(o.Duration)
	var lv live
	done := make(chan struct{})
	go progress(o.Progress, &lv, start, start, end, done)
	defer close(done)

	total := newStats(len(events))
	phase := func(act func(w *worker, by *buyer, t0 time.Time)) time.Duration {
		all := &buyers{all: bs}
		t0 := time.Now()
		sts := make([]*stats, o.Concurrency)
		var wg sync.WaitGroup
		for i := range o.Concurrency {
			sts[i] = newStats(len(events))
			w := &worker{
				c: c, o: o, events: events, buyers: all, st: sts[i], live: &lv,
				rng:         rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))),
				measureFrom: start, end: end,
			}
			wg.Go(func() {
				for ctx.Err() == nil {
					t := time.Now()
					if !t.Before(w.end) {
						return
					}
					by, ok := w.buyerOnce()
					if !ok {
						return
					}
					act(w, by, t)
				}
			})
		}
		wg.Wait()
		for _, s := range sts {
			total.merge(s)
		}
		return time.Since(t0)
	}
	total.holdTime = phase(func(w *worker, by *buyer, t0 time.Time) { w.hold(ctx, by, t0) })
	total.payTime = phase(func(w *worker, by *buyer, t0 time.Time) {
		if by.hold != nil {
			w.pay(ctx, by, t0)
		}
	})
	return total, total.holdTime + total.payTime
}

// onsaleAnswer is the answer to a hold or a payment.
type onsaleAnswer struct {
	Data *struct {
		CreateBooking *onsaleBooking `json:"createBooking"`
		PayBooking    *onsaleBooking `json:"payBooking"`
		Booking       *onsaleBooking `json:"booking"`
	} `json:"data"`
	Errors []gqlError `json:"errors"`
}

type onsaleBooking struct {
	ID              string `json:"id"`
	NumberOfTickets int64  `json:"numberOfTickets"`
	Status          string `json:"status"`
}

// hold makes by's hold of 1 ticket of the event, and keeps its id in by
// for the pay phase.
func (w *worker) hold(ctx context.Context, by *buyer, t0 time.Time) {
	const ev, n = 0, 1
	b := append(w.body[:0], holdPrefix...)
	b = append(b, by.quoted...)
	b = append(b, bookMiddle...)
	b = append(b, w.events[ev].quoted...)
	b = append(b, bookTickets...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, "}}}"...)
	w.body = b

	w.st.attempts[ev]++
	w.st.requests[opBooking]++
	booking, ok := w.onsaleRequest(ctx, opBooking, by, t0, func(r *onsaleAnswer) *onsaleBooking { return r.Data.CreateBooking })
	if !ok {
		w.st.uncertain[ev] += n
		return
	}
	if booking == nil { // refused: nothing taken
		return
	}
	w.st.acked[ev] += booking.NumberOfTickets
	w.st.ok[opBooking]++
	w.live.bookings.Add(1)
	switch booking.Status {
	case "PENDING":
		by.hold, by.holdTickets = jsonString(booking.ID), booking.NumberOfTickets
	case "CONFIRMED": // the server takes no payments: nothing to pay
		w.st.confirmedAtOnce++
	}
}

// pay pays by's hold with the test card.
func (w *worker) pay(ctx context.Context, by *buyer, t0 time.Time) {
	const ev = 0
	b := append(w.body[:0], payPrefix...)
	b = append(b, by.hold...)
	b = append(b, "}}"...)
	w.body = b

	w.st.requests[opPay]++
	booking, ok := w.onsaleRequest(ctx, opPay, by, t0, func(r *onsaleAnswer) *onsaleBooking { return r.Data.PayBooking })
	if ok && booking != nil && booking.Status == "PENDING" {
		booking, ok = w.awaitPaid(ctx, by)
	}
	switch {
	case !ok:
		w.st.payUncertain[ev] += by.holdTickets
	case booking == nil: // refused: not paid
	case booking.Status == "CONFIRMED":
		w.st.paid[ev] += booking.NumberOfTickets
		w.st.ok[opPay]++
	default: // the provider's answer was not in after 30 s: it may still confirm
		w.st.payUncertain[ev] += by.holdTickets
		w.graphQLError(gqlError{Message: "the paid booking was still " + booking.Status + " 30 s after payBooking",
			Extensions: struct {
				Code string `json:"code"`
			}{"NOT_CONFIRMED"}}, true)
	}
}

// paidWait bounds how long a buyer whose payBooking answered before the
// provider's answer was applied (PENDING, its payment PROCESSING) reads
// the booking again, as a client would, until it is decided.
const paidWait = 30 * time.Second

// awaitPaid reads by's hold every 100 ms until it is no longer PENDING or
// paidWait passes. The reads are not timed: the pay step's latency is
// payBooking's.
func (w *worker) awaitPaid(ctx context.Context, by *buyer) (*onsaleBooking, bool) {
	deadline := time.Now().Add(paidWait)
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(100 * time.Millisecond):
		}
		b := append(w.body[:0], paidPrefix...)
		b = append(b, by.hold...)
		b = append(b, "}}"...)
		w.body = b
		if _, err := w.c.postAs(ctx, w.body, by.auth, &w.buf); err != nil {
			w.transportError(transportClass(err), true)
			return nil, false
		}
		var resp onsaleAnswer
		if json.Unmarshal(w.buf.Bytes(), &resp) != nil || resp.Data == nil || resp.Data.Booking == nil {
			return nil, false
		}
		if got := resp.Data.Booking; got.Status != "PENDING" || time.Now().After(deadline) {
			return got, true
		}
	}
}

// onsaleRequest sends w.body as by and records its latency and outcome
// under o. It returns the booking answered (nil after a GraphQL error),
// and ok = false when the outcome is unknown: no GraphQL answer, or an
// error that is a fault rather than a decision.
func (w *worker) onsaleRequest(ctx context.Context, o op, by *buyer, t0 time.Time,
	booking func(*onsaleAnswer) *onsaleBooking) (*onsaleBooking, bool) {
	status, err := w.c.postAs(ctx, w.body, by.auth, &w.buf)
	lat := time.Since(t0)
	w.live.requests.Add(1)
	if err != nil {
		w.transportError(transportClass(err), true)
		return nil, false
	}
	var resp onsaleAnswer
	if json.Unmarshal(w.buf.Bytes(), &resp) != nil || (len(resp.Errors) == 0 && (resp.Data == nil || booking(&resp) == nil)) {
		w.transportError("HTTP "+strconv.Itoa(status)+" without a GraphQL answer", true)
		return nil, false
	}
	w.st.hist[o].record(lat)
	if len(resp.Errors) > 0 {
		w.graphQLError(resp.Errors[0], true)
		return nil, !uncertainCode(resp.Errors[0].code())
	}
	return booking(&resp), true
}

// onsaleReport sets the rates of each step over its own phase.
func onsaleReport(r *Report, st *stats) {
	rate := func(n int64, d time.Duration) float64 {
		if d <= 0 {
			return 0
		}
		return math.Round(float64(n)/d.Seconds()*10) / 10
	}
	s := &OnsaleSteps{
		Holds: st.ok[opBooking], HoldSec: st.holdTime.Seconds(), HoldP99: latency(&st.hist[opBooking]).P99,
		Paid: st.ok[opPay], PaySec: st.payTime.Seconds(), PayP99: latency(&st.hist[opPay]).P99,
	}
	s.HoldsPerSec, s.PaidPerSec = rate(s.Holds, st.holdTime), rate(s.Paid, st.payTime)
	r.Onsale = s
	r.BookingsPerSec = s.HoldsPerSec
	for i := range r.Operations {
		switch r.Operations[i].Name {
		case opNames[opBooking]:
			r.Operations[i].PerSecond = rate(r.Operations[i].Requests, st.holdTime)
		case opNames[opPay]:
			r.Operations[i].PerSecond = rate(r.Operations[i].Requests, st.payTime)
		}
	}
	if st.confirmedAtOnce > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d booking(s) were CONFIRMED at once, with nothing to pay: "+
			"the server takes no payments; start it with PAYMENT_PROVIDER=test", st.confirmedAtOnce))
	}
}

// onsaleFailures are what makes an onsale run fail besides the tickets:
// every buyer should have held (or found the event SOLD_OUT) and every
// holder paid, with no other error at all.
func onsaleFailures(r *Report, buyers int) []string {
	var out []string
	soldOut := r.Errors["SOLD_OUT"] // a sell-out: fewer tickets than buyers
	if s := r.Onsale; s != nil && (s.Holds+soldOut != int64(buyers) || s.Paid != s.Holds) {
		out = append(out, fmt.Sprintf("%d buyers: %d held (%d SOLD_OUT) and %d paid", buyers, s.Holds, soldOut, s.Paid))
	}
	others := len(r.Errors)
	if soldOut > 0 {
		others--
	}
	if others > 0 || len(r.TransportErrors) > 0 {
		out = append(out, fmt.Sprintf("errors: %s; transport: %s", counts(r.Errors), counts(r.TransportErrors)))
	}
	return out
}
