package loadtest

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestVerifyHoldsAndPayments: the tickets taken are those of the PENDING
// and CONFIRMED bookings, and the CONFIRMED ones must be exactly those
// the payments' answers paid, give or take the payments of unknown
// outcome.
func TestVerifyHoldsAndPayments(t *testing.T) {
	f := newFake(1)
	id := f.addEvent(10, 5)
	url := f.start(t)
	for i := range 5 {
		f.events[id].bookings = append(f.events[id].bookings, fakeBooking{tickets: 1, pending: i >= 3, user: "u1",
			createdAt: time.Now().Add(time.Duration(i) * time.Millisecond)})
	}
	c := &client{url: url, http: newHTTPClient(1, 5*time.Second, false)}
	check := func(paid, payUncertain int64) *Verification {
		st := newStats(1)
		st.attempts[0], st.acked[0], st.requests[opPay] = 5, 5, 5
		st.paid[0], st.payUncertain[0] = paid, payUncertain
		return verify(context.Background(), c, []*event{{id: id}}, st, io.Discard)
	}
	if v := check(3, 0); !v.OK || v.Held != 2 || v.Paid != 3 || v.SumOfBookings != 5 || !strings.Contains(v.Summary, "CONFIRMED 3 = paid 3") {
		t.Errorf("3 paid of 5 holds: %+v", v)
	}
	if v := check(4, 0); v.OK || !strings.Contains(v.Summary, "lost payments") {
		t.Errorf("4 paid, 3 CONFIRMED: %+v", v)
	}
	if v := check(2, 0); v.OK || !strings.Contains(v.Summary, "only 2 paid") {
		t.Errorf("2 paid, 3 CONFIRMED: %+v", v)
	}
	if v := check(2, 1); !v.OK {
		t.Errorf("2 paid and 1 of unknown outcome, 3 CONFIRMED: %+v", v)
	}

	// A hold that lost its tickets without giving them back: sold 5, but
	// the bookings hold 4.
	f.events[id].bookings[4].cancelled = true
	if v := check(3, 0); v.OK || !strings.Contains(v.Summary, "PENDING and CONFIRMED bookings hold 4") {
		t.Errorf("a cancelled hold whose ticket was kept: %+v", v)
	}
}

// TestOnsaleFailures: every buyer holds (or finds the event sold out) and
// every holder pays, with no other error.
func TestOnsaleFailures(t *testing.T) {
	for _, c := range []struct {
		name string
		r    Report
		fail bool
	}{
		{"all held and paid", Report{Onsale: &OnsaleSteps{Holds: 10, Paid: 10}}, false},
		{"a sell-out", Report{Onsale: &OnsaleSteps{Holds: 7, Paid: 7}, Errors: map[string]int64{"SOLD_OUT": 3}}, false},
		{"one unpaid", Report{Onsale: &OnsaleSteps{Holds: 10, Paid: 9}}, true},
		{"one missing", Report{Onsale: &OnsaleSteps{Holds: 9, Paid: 9}}, true},
		{"an error", Report{Onsale: &OnsaleSteps{Holds: 9, Paid: 9}, Errors: map[string]int64{"SOLD_OUT": 1, "INTERNAL": 1}}, true},
		{"a transport error", Report{Onsale: &OnsaleSteps{Holds: 10, Paid: 10}, TransportErrors: map[string]int64{"timeout": 1}}, true},
	} {
		if got := onsaleFailures(&c.r, 10); (len(got) > 0) != c.fail {
			t.Errorf("%s: %q, want failures %v", c.name, got, c.fail)
		}
	}
}
