package loadtest

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// HoldMaker is a Provisioner that also makes holds in the server's
// database (package loadtest/provision does): the expiry scenario needs
// far more holds, all expiring at one moment, than the API could make
// before the first of them ran out.
type HoldMaker interface {
	Provisioner
	// Holds makes n holds (PENDING bookings) of 1 ticket each of the
	// event, by the buyers in turn, all expiring at expiresAt (or a
	// little after, as the database's clock rounds them), and returns
	// when the last of them expires. It fails if it cannot make them all
	// before expiresAt.
	Holds(ctx context.Context, eventID string, buyers []Buyer, n int, expiresAt time.Time) (time.Time, error)
}

// ExpiryReport is what the expiry scenario measured: how long after the
// holds ran out the event had all its tickets back.
type ExpiryReport struct {
	Holds     int       `json:"holds"`
	Buyers    int       `json:"buyers"`
	MadeSec   float64   `json:"made_sec"`   // making the holds
	ExpiresAt time.Time `json:"expires_at"` // when the last hold runs out
	// FirstBackSec is when, after ExpiresAt, the event's availableTickets
	// first grew; AllBackSec when it was back to totalTickets (-1: not
	// within expiryWait).
	FirstBackSec float64 `json:"first_back_sec"`
	AllBackSec   float64 `json:"all_back_sec"`
	Polls        int     `json:"polls"` // reads of the event while waiting
	// Expired and Pending are the event's bookings in those statuses
	// afterwards: all Holds, and none.
	Expired int    `json:"expired"`
	Pending int    `json:"pending"`
	OK      bool   `json:"ok"`
	Summary string `json:"summary"`
}

const (
	// expiryWait bounds the wait for the tickets to come back.
	expiryWait = 2 * time.Minute
	// expiryPoll is how often the event is read while waiting.
	expiryPoll = 20 * time.Millisecond
)

// expiryLead is how far ahead the holds expire: time enough to make them
// all (about 100 µs a hold on PostgreSQL, twice that on a busy machine),
// and some.
func expiryLead(holds int) time.Duration {
	return 5*time.Second + time.Duration(holds)*400*time.Microsecond
}

const bookingsByStatusQuery = `query Count($filter: BookingFilterInput) { bookings(filter: $filter, pagination: {page: 1, limit: 1}) { total } }`

// runExpiry is the expiry scenario: an event of o.Holds tickets, o.Holds
// holds of 1 ticket made in the database by o.Buyers buyers, all expiring
// at one moment; then the event is read every expiryPoll until its
// tickets are all back.
func runExpiry(ctx context.Context, c *client, o Options) (*Report, error) {
	hm, ok := o.Provision.(HoldMaker)
	if !ok {
		return nil, errors.New("expiry makes its holds in the server's database: this Provisioner cannot (it is no HoldMaker)")
	}
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	var err error
	if c.token, err = o.Provision.StaffToken(sctx); err != nil {
		return nil, fmt.Errorf("make the run's admin account in the database: %w", setupErr(err, ctx))
	}
	if err := checkToken(sctx, c, c.token, "the run's admin"); err != nil {
		return nil, err
	}
	o.Tickets = o.Holds
	events, err := setupEvents(sctx, c, o)
	if err != nil {
		return nil, setupErr(err, ctx)
	}
	ev := events[0]
	made, err := o.Provision.Buyers(sctx, o.Buyers)
	if err != nil {
		return nil, fmt.Errorf("make %d buyers in the database: %w", o.Buyers, setupErr(err, ctx))
	}
	x := &ExpiryReport{Holds: o.Holds, Buyers: len(made), AllBackSec: -1, FirstBackSec: -1}
	rep := &Report{Scenario: o.Scenario, URL: o.URL, Concurrency: 1, Events: 1, Buyers: len(made), Expiry: x,
		Errors: map[string]int64{}, TransportErrors: map[string]int64{}}

	start := time.Now()
	x.ExpiresAt = start.Add(expiryLead(o.Holds)).Truncate(time.Millisecond)
	fmt.Fprintf(o.Progress, "making %d holds of 1 ticket by %d buyers, all expiring at %s…\n", o.Holds, len(made), x.ExpiresAt.UTC().Format("15:04:05.000"))
	if x.ExpiresAt, err = hm.Holds(sctx, ev.id, made, o.Holds, x.ExpiresAt); err != nil {
		return nil, fmt.Errorf("make %d holds in the database: %w", o.Holds, setupErr(err, ctx))
	}
	x.MadeSec = time.Since(start).Seconds()
	var data struct{ Event eventTickets }
	if err := c.query(ctx, eventQuery, map[string]any{"id": ev.id}, &data); err != nil {
		return nil, fmt.Errorf("read the event: %w", err)
	}
	if held := data.Event.TotalTickets - data.Event.AvailableTickets; held != int64(o.Holds) {
		return nil, fmt.Errorf("the event has %d tickets taken after making %d holds: is the server serving that database?", held, o.Holds)
	}
	fmt.Fprintf(o.Progress, "made them in %.1f s; waiting for them to expire and their tickets to come back…\n", x.MadeSec)

	select {
	case <-ctx.Done():
		return rep, ctx.Err()
	case <-time.After(time.Until(x.ExpiresAt)):
	}
	t := time.NewTicker(expiryPoll)
	defer t.Stop()
	for {
		now := time.Now()
		if now.Sub(x.ExpiresAt) > expiryWait {
			break
		}
		x.Polls++
		if err := c.query(ctx, eventQuery, map[string]any{"id": ev.id}, &data); err != nil {
			return rep, fmt.Errorf("read the event: %w", err)
		}
		since := time.Since(x.ExpiresAt).Seconds()
		if x.FirstBackSec < 0 && data.Event.AvailableTickets > 0 {
			x.FirstBackSec = since
		}
		if data.Event.AvailableTickets == data.Event.TotalTickets {
			x.AllBackSec = since
			break
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-t.C:
		}
	}
	for status, n := range map[string]*int{"EXPIRED": &x.Expired, "PENDING": &x.Pending} {
		var page struct{ Bookings struct{ Total int } }
		filter := map[string]any{"filter": map[string]string{"eventId": ev.id, "status": status}}
		if err := c.query(ctx, bookingsByStatusQuery, filter, &page); err != nil {
			return rep, fmt.Errorf("count the event's %s bookings: %w", status, err)
		}
		*n = page.Bookings.Total
	}
	x.OK = x.AllBackSec >= 0 && x.Expired == o.Holds && x.Pending == 0
	x.Summary = x.summary()
	if !x.OK {
		return rep, errors.New("expiry FAILED: " + x.Summary)
	}
	return rep, nil
}

func (x *ExpiryReport) summary() string {
	if x.AllBackSec < 0 {
		return fmt.Sprintf("%d holds expired at %s: their tickets were not all back within %s (%d EXPIRED, %d still PENDING)",
			x.Holds, x.ExpiresAt.UTC().Format("15:04:05.000"), expiryWait, x.Expired, x.Pending)
	}
	s := fmt.Sprintf("%s holds expiring at once: all their tickets back %.2f s after they ran out (the first after %.2f s); %s EXPIRED, %d PENDING",
		thousands(float64(x.Holds)), x.AllBackSec, x.FirstBackSec, thousands(float64(x.Expired)), x.Pending)
	if x.Expired != x.Holds || x.Pending != 0 {
		s += fmt.Sprintf(": FAILED, want %d EXPIRED and none PENDING", x.Holds)
	}
	return s
}
