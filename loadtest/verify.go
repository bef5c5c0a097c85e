package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Verification is the check, from the API after the load, that the
// server neither lost nor oversold a ticket.
type Verification struct {
	OK     bool `json:"ok"`
	Events int  `json:"events"` // events checked: those booked on
	// Sold is the sum over those events of totalTickets - availableTickets
	// after the run; SoldBefore the same before it.
	Sold       int64 `json:"sold"`
	SoldBefore int64 `json:"sold_before"`
	// SumOfBookings is the sum of numberOfTickets of their bookings that
	// hold tickets: CONFIRMED and PENDING (every booking, on a server
	// without Booking.status).
	SumOfBookings int64 `json:"sum_of_bookings"`
	// Held and Paid split SumOfBookings: the tickets of PENDING bookings
	// and of CONFIRMED ones.
	Held int64 `json:"held"`
	Paid int64 `json:"paid"`
	// onsale: PaidAcknowledged tickets are those of the payments the
	// server answered CONFIRMED, PayUncertain those of payments whose
	// outcome is unknown.
	PaidAcknowledged int64 `json:"paid_acknowledged,omitempty"`
	PayUncertain     int64 `json:"pay_uncertain,omitempty"`
	// Acknowledged tickets: bookings the server confirmed to the tool,
	// warm-up included. Uncertain: tickets of requests whose outcome is
	// unknown (transport errors, INTERNAL), which may have been booked.
	Acknowledged int64    `json:"acknowledged"`
	Uncertain    int64    `json:"uncertain"`
	Requests     int64    `json:"requests"` // API requests the verification took
	Summary      string   `json:"summary"`
	Failures     []string `json:"failures,omitempty"`
	DurationSec  float64  `json:"duration_sec"`
}

const (
	verifyPageSize    = 100 // the largest page boxoffice allows
	verifyParallelism = 8

	eventBookingsQuery = `query EventBookings($filter: BookingFilterInput, $pagination: PaginationInput) { bookings(filter: $filter, pagination: $pagination) { items { numberOfTickets status createdAt } total } }`
	// The original API has no Booking.status: every booking holds its tickets.
	eventBookingsQueryNoStatus = `query EventBookings($filter: BookingFilterInput, $pagination: PaginationInput) { bookings(filter: $filter, pagination: $pagination) { items { numberOfTickets createdAt } total } }`
)

// tally is what an event's bookings hold: sum = held + paid (plus, on a
// server without Booking.status, every booking's tickets).
type tally struct{ sum, held, paid int64 }

func (t *tally) add(o tally) { t.sum, t.held, t.paid = t.sum+o.sum, t.held+o.held, t.paid+o.paid }

type bookingsPage struct {
	Bookings struct {
		Items []struct {
			NumberOfTickets int64
			Status          string
			CreatedAt       string
		}
		Total int
	}
}

// verifier reads back the events booked on.
type verifier struct {
	c        *client
	noStatus atomic.Bool // the server has no Booking.status
	requests atomic.Int64
}

func verify(ctx context.Context, c *client, events []*event, st *stats, progress io.Writer) *Verification {
	start := time.Now()
	v := &Verification{}
	var booked []int
	for i := range events {
		if st.attempts[i] > 0 {
			booked = append(booked, i)
			v.SoldBefore += events[i].soldBefore
			v.Acknowledged += st.acked[i]
			v.Uncertain += st.uncertain[i]
		}
	}
	v.Events = len(booked)
	if len(booked) == 0 {
		v.OK = true
		v.Summary = "nothing booked, nothing to verify"
		return v
	}
	fmt.Fprintf(progress, "verifying %d event(s)…\n", len(booked))

	pays := st.requests[opPay] > 0 // onsale: its events are its own, made with no bookings
	vf := &verifier{c: c}
	var mu sync.Mutex
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		v.Failures = append(v.Failures, fmt.Sprintf(format, args...))
	}
	// The first event alone finds out whether the server has Booking.status.
	check := func(ctx context.Context, i int) error {
		e := events[booked[i]]
		sold, t, err := vf.event(ctx, e.id)
		if err != nil {
			return fmt.Errorf("event %s: %w", e.id, err)
		}
		mu.Lock()
		v.Sold += sold
		v.SumOfBookings += t.sum
		v.Held += t.held
		v.Paid += t.paid
		v.PaidAcknowledged += st.paid[booked[i]]
		v.PayUncertain += st.payUncertain[booked[i]]
		mu.Unlock()
		acked, unsure := st.acked[booked[i]], st.uncertain[booked[i]]
		paid, payUnsure := st.paid[booked[i]], st.payUncertain[booked[i]]
		delta := sold - e.soldBefore
		switch {
		case sold != t.sum:
			fail("event %s: sold %d (totalTickets - availableTickets) but its PENDING and CONFIRMED bookings hold %d tickets", e.id, sold, t.sum)
		case pays && t.paid < paid:
			fail("event %s: %d tickets paid by the answers but only %d in CONFIRMED bookings (lost payments)", e.id, paid, t.paid)
		case pays && t.paid > paid+payUnsure:
			fail("event %s: %d tickets in CONFIRMED bookings but only %d paid by the answers (+%d of unknown outcome)", e.id, t.paid, paid, payUnsure)
		case delta < acked:
			fail("event %s: %d tickets acknowledged but only %d sold during the run (lost bookings)", e.id, acked, delta)
		case delta > acked+unsure:
			fail("event %s: %d tickets sold during the run but only %d acknowledged (+%d of unknown outcome)", e.id, delta, acked, unsure)
		}
		return nil
	}
	err := check(ctx, 0)
	if err == nil {
		err = parallel(ctx, len(booked)-1, verifyParallelism, func(ctx context.Context, i int) error { return check(ctx, i+1) })
	}
	v.DurationSec = time.Since(start).Seconds()
	v.Requests = vf.requests.Load()
	if err != nil {
		v.Failures = append(v.Failures, "could not read the events back: "+err.Error())
	}
	v.OK = len(v.Failures) == 0
	v.Summary = v.summary()
	return v
}

func (v *Verification) summary() string {
	if !v.OK {
		s := fmt.Sprintf("verification FAILED on %d event(s): %s", len(v.Failures), v.Failures[0])
		if len(v.Failures) > 1 {
			s += fmt.Sprintf(" (and %d more)", len(v.Failures)-1)
		}
		return s
	}
	s := fmt.Sprintf("verified: sold %d = sum of bookings %d", v.Sold, v.SumOfBookings)
	if v.Held > 0 || v.PaidAcknowledged > 0 {
		s += fmt.Sprintf(" (%d PENDING + %d CONFIRMED)", v.Held, v.Paid)
	}
	if v.Uncertain == 0 {
		s += fmt.Sprintf(" = acknowledged %d + before %d", v.Acknowledged, v.SoldBefore)
	} else {
		s += fmt.Sprintf("; sold during the run %d is within acknowledged %d + %d of unknown outcome",
			v.Sold-v.SoldBefore, v.Acknowledged, v.Uncertain)
	}
	if v.PaidAcknowledged > 0 || v.PayUncertain > 0 {
		s += fmt.Sprintf("; CONFIRMED %d = paid %d", v.Paid, v.PaidAcknowledged)
		if v.PayUncertain > 0 {
			s += fmt.Sprintf(" (+%d of unknown outcome)", v.PayUncertain)
		}
	}
	return s + fmt.Sprintf(" (%d event(s))", v.Events)
}

// event returns an event's tickets sold and the tickets its bookings
// hold, reading them all. Pages come by OFFSET, which costs the
// server every row skipped: quadratic in an event's bookings. So many
// bookings are read by windows of createdAt, halved until each holds a
// page (see windows).
func (vf *verifier) event(ctx context.Context, id string) (sold int64, sum tally, err error) {
	var data struct{ Event eventTickets }
	vf.requests.Add(1)
	if err := vf.c.query(ctx, eventQuery, map[string]any{"id": id}, &data); err != nil {
		return 0, tally{}, err
	}
	sold = data.Event.TotalTickets - data.Event.AvailableTickets

	filter := map[string]string{"eventId": id}
	first, err := vf.page(ctx, filter, 1)
	if err != nil {
		return 0, tally{}, err
	}
	if total := first.Bookings.Total; total > 10*verifyPageSize {
		sum, ok, err := vf.windows(ctx, id, first)
		if err != nil || ok {
			return sold, sum, err
		}
	}
	sum, _, err = vf.sum(ctx, filter, first)
	return sold, sum, err
}

// A window of createdAt, [from, to).
type window struct{ from, to time.Time }

// windows reads an event's bookings by windows of createdAt, halving each
// window that holds more than a page, so the server counts and skips
// O(n log n) rows rather than O(n²). It reports ok = false when the
// windows do not add up to the event's bookings (a server whose filters
// are coarser than its timestamps): then they must be read by pages.
func (vf *verifier) windows(ctx context.Context, eventID string, first *bookingsPage) (sum tally, ok bool, err error) {
	total := first.Bookings.Total
	last, err := vf.page(ctx, map[string]string{"eventId": eventID}, (total+verifyPageSize-1)/verifyPageSize)
	if err != nil {
		return tally{}, false, err
	}
	if len(first.Bookings.Items) == 0 || len(last.Bookings.Items) == 0 {
		return tally{}, false, nil
	}
	newest, err1 := time.Parse(time.RFC3339Nano, first.Bookings.Items[0].CreatedAt)
	oldest, err2 := time.Parse(time.RFC3339Nano, last.Bookings.Items[len(last.Bookings.Items)-1].CreatedAt)
	if err1 != nil || err2 != nil || newest.Before(oldest) {
		return tally{}, false, nil
	}
	// Whole milliseconds, which the original API's dates can express.
	todo := []window{{oldest.Truncate(time.Millisecond), newest.Truncate(time.Millisecond).Add(time.Millisecond)}}
	var (
		mu    sync.Mutex
		count int
	)
	for len(todo) > 0 {
		var next []window
		err := parallel(ctx, len(todo), verifyParallelism, func(ctx context.Context, i int) error {
			w := todo[i]
			filter := map[string]string{
				"eventId":     eventID,
				"createdFrom": w.from.UTC().Format(timeFormat),
				"createdTo":   w.to.Add(-time.Microsecond).UTC().Format(timeFormat), // inclusive
			}
			p, err := vf.page(ctx, filter, 1)
			if err != nil {
				return err
			}
			var s tally
			n := p.Bookings.Total
			if n > verifyPageSize && w.to.Sub(w.from) > time.Millisecond {
				mid := w.from.Add(w.to.Sub(w.from) / 2).Truncate(time.Millisecond)
				mu.Lock()
				next = append(next, window{w.from, mid}, window{mid, w.to})
				mu.Unlock()
				return nil
			}
			if s, n, err = vf.sum(ctx, filter, p); err != nil {
				return err
			}
			mu.Lock()
			sum.add(s)
			count += n
			mu.Unlock()
			return nil
		})
		if err != nil {
			return tally{}, false, err
		}
		todo = next
	}
	return sum, count == total, nil
}

const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

// sum pages through the bookings that match filter and returns the
// tickets of those that hold tickets, and their number. first is page 1
// if already read.
func (vf *verifier) sum(ctx context.Context, filter map[string]string, first *bookingsPage) (sum tally, total int, err error) {
	if first == nil {
		if first, err = vf.page(ctx, filter, 1); err != nil {
			return tally{}, 0, err
		}
	}
	total = first.Bookings.Total
	pages := (total + verifyPageSize - 1) / verifyPageSize
	results := make([]*bookingsPage, max(pages, 1))
	results[0] = first
	if pages > 1 {
		err = parallel(ctx, pages-1, 4, func(ctx context.Context, i int) error {
			p, err := vf.page(ctx, filter, i+2)
			results[i+1] = p
			return err
		})
		if err != nil {
			return tally{}, 0, err
		}
	}
	items := 0
	for _, p := range results {
		items += len(p.Bookings.Items)
		for _, b := range p.Bookings.Items {
			switch b.Status {
			case "": // the original API: every booking holds its tickets
				sum.sum += b.NumberOfTickets
			case "CONFIRMED":
				sum.sum += b.NumberOfTickets
				sum.paid += b.NumberOfTickets
			case "PENDING":
				sum.sum += b.NumberOfTickets
				sum.held += b.NumberOfTickets
			}
		}
	}
	if items != total {
		return tally{}, 0, fmt.Errorf("bookings changed while being read: %d listed, total %d (is something else booking?)", items, total)
	}
	return sum, total, nil
}

func (vf *verifier) page(ctx context.Context, filter map[string]string, page int) (*bookingsPage, error) {
	vars := map[string]any{
		"filter":     filter,
		"pagination": map[string]int{"page": page, "limit": verifyPageSize},
	}
	var p bookingsPage
	vf.requests.Add(1)
	if !vf.noStatus.Load() {
		err := vf.c.query(ctx, eventBookingsQuery, vars, &p)
		var gqlErr *GraphQLError
		if !errors.As(err, &gqlErr) || !strings.Contains(gqlErr.Message, "status") {
			return &p, err
		}
		vf.noStatus.Store(true) // e.g. Cannot query field "status" on type "Booking"
	}
	err := vf.c.query(ctx, eventBookingsQueryNoStatus, vars, &p)
	return &p, err
}
