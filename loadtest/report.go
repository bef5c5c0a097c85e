package loadtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is the outcome of a run. Rates and latencies cover the measured
// window only (not the warm-up); the verification covers the whole run.
type Report struct {
	Scenario    Scenario `json:"scenario"`
	URL         string   `json:"url"`
	Concurrency int      `json:"concurrency"`
	DurationSec float64  `json:"duration_sec"`
	WarmUpSec   float64  `json:"warmup_sec"`
	Events      int      `json:"events"`           // events booked on
	Users       int      `json:"users"`            // users booked for with one token (Options.Token)
	Buyers      int      `json:"buyers,omitempty"` // buyers booking with their own tokens (Options.Provision)

	Requests       int64   `json:"requests"`
	RequestsPerSec float64 `json:"requests_per_sec"`
	// Bookings the server confirmed.
	Bookings       int64   `json:"bookings"`
	BookingsPerSec float64 `json:"bookings_per_sec"`
	// Reads answered without errors.
	Reads       int64   `json:"reads"`
	ReadsPerSec float64 `json:"reads_per_sec"`

	// Onsale, each step over its own phase: the holds made (PENDING
	// bookings; also in Bookings) and the payments the server answered
	// CONFIRMED, their rates and p99 latencies.
	Onsale *OnsaleSteps `json:"onsale,omitempty"`
	// Expiry is the expiry scenario's measurement (expiry.go).
	Expiry *ExpiryReport `json:"expiry,omitempty"`

	// Latency of every request answered, in milliseconds.
	Latency Latency `json:"latency"`
	// Per operation: createBooking, events page, bookings page.
	Operations []Operation `json:"operations"`

	// Errors are GraphQL errors by extensions.code (NO_CODE without one);
	// ErrorSamples one message per code.
	Errors       map[string]int64  `json:"errors"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	// TransportErrors are requests without a GraphQL answer, by cause.
	TransportErrors map[string]int64 `json:"transport_errors"`

	Verification *Verification `json:"verification,omitempty"`

	// Notes say what to change when the errors show the run was not set
	// up as the server wants (a token, rate limits).
	Notes []string `json:"notes,omitempty"`
}

// OnsaleSteps are the onsale scenario's two steps.
type OnsaleSteps struct {
	Holds       int64   `json:"holds"`
	HoldsPerSec float64 `json:"holds_per_sec"`
	HoldP99     float64 `json:"hold_p99_ms"`
	HoldSec     float64 `json:"hold_sec"`
	Paid        int64   `json:"paid"`
	PaidPerSec  float64 `json:"paid_per_sec"`
	PayP99      float64 `json:"pay_p99_ms"`
	PaySec      float64 `json:"pay_sec"`
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Operation is the record of one kind of request.
type Operation struct {
	Name      string  `json:"name"`
	Requests  int64   `json:"requests"`
	OK        int64   `json:"ok"`
	PerSecond float64 `json:"per_sec"`
	Latency   Latency `json:"latency"`
}

func latency(h *histogram) Latency {
	ms := func(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
	return Latency{
		P50: ms(h.quantile(0.50)), P95: ms(h.quantile(0.95)), P99: ms(h.quantile(0.99)),
		Max: ms(time.Duration(h.max) * time.Microsecond), Mean: ms(h.mean()),
	}
}

func newReport(o Options, st *stats, elapsed time.Duration, events, bookers int) *Report {
	secs := elapsed.Seconds()
	rate := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return math.Round(float64(n)/secs*10) / 10
	}
	r := &Report{
		Scenario: o.Scenario, URL: o.URL, Concurrency: o.Concurrency,
		DurationSec: secs, WarmUpSec: o.WarmUp.Seconds(), Events: events,
		Errors: st.errs, ErrorSamples: st.samples, TransportErrors: st.transport,
	}
	if o.Provision != nil {
		r.Buyers = bookers
	} else {
		r.Users = bookers
	}
	switch {
	case st.errs["RATE_LIMITED"] > 0 && o.Provision != nil:
		r.Notes = append(r.Notes, "RATE_LIMITED: each buyer may make RATE_LIMIT_MUTATIONS_PER_MINUTE changes a minute "+
			"(120 by default), and the buyers take turns: make more of them (-buyers)")
	case st.errs["RATE_LIMITED"] > 0:
		r.Notes = append(r.Notes, "RATE_LIMITED: every booking counts against the one account of the token "+
			"(RATE_LIMIT_MUTATIONS_PER_MINUTE, 120 a minute by default). Run bench with the server's configuration "+
			"to book as buyers of its own, each with a token (-buyers), or set RATE_LIMIT_MUTATIONS_PER_MINUTE=0 on the server")
	}
	if st.errs["UNAUTHENTICATED"] > 0 && o.Provision == nil {
		r.Notes = append(r.Notes, "UNAUTHENTICATED: "+tokenAdvice)
	}
	var all histogram
	for i := range opCount {
		all.merge(&st.hist[i])
		r.Requests += st.requests[i]
		if st.requests[i] == 0 {
			continue
		}
		r.Operations = append(r.Operations, Operation{
			Name: opNames[i], Requests: st.requests[i], OK: st.ok[i],
			PerSecond: rate(st.requests[i]), Latency: latency(&st.hist[i]),
		})
	}
	r.Bookings = st.ok[opBooking]
	r.Reads = st.ok[opReadEvents] + st.ok[opReadBookings]
	r.RequestsPerSec, r.BookingsPerSec, r.ReadsPerSec = rate(r.Requests), rate(r.Bookings), rate(r.Reads)
	r.Latency = latency(&all)
	if o.Scenario == Onsale {
		onsaleReport(r, st)
	}
	return r
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if x := r.Expiry; x != nil {
		fmt.Fprintf(&b, "\nexpiry, against %s: %s holds of 1 ticket made in the database by %s buyers in %.1f s\n%s\n",
			r.URL, thousands(float64(x.Holds)), thousands(float64(x.Buyers)), x.MadeSec, x.Summary)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "\n%s: %d connections, %.1f s", r.Scenario, r.Concurrency, r.DurationSec)
	if r.WarmUpSec > 0 {
		fmt.Fprintf(&b, " after %.1f s of warm-up", r.WarmUpSec)
	}
	fmt.Fprintf(&b, ", against %s", r.URL)
	switch {
	case r.Events > 0 && r.Buyers > 0:
		fmt.Fprintf(&b, " (%d event(s), %s buyers, each with a token of its own)", r.Events, thousands(float64(r.Buyers)))
	case r.Events > 0:
		fmt.Fprintf(&b, " (%d event(s), %d user(s))", r.Events, r.Users)
	}
	fmt.Fprintf(&b, "\n  requests    %12s  %10s/s\n", thousands(float64(r.Requests)), thousands(r.RequestsPerSec))
	if s := r.Onsale; s != nil {
		fmt.Fprintf(&b, "  holds       %12s  %10s/s  PENDING, in %.2f s  p99 %s\n", thousands(float64(s.Holds)), thousands(s.HoldsPerSec), s.HoldSec, ms(s.HoldP99))
		fmt.Fprintf(&b, "  paid        %12s  %10s/s  CONFIRMED, in %.2f s  p99 %s\n", thousands(float64(s.Paid)), thousands(s.PaidPerSec), s.PaySec, ms(s.PayP99))
	} else if r.Scenario != Read && r.Scenario != Expiry {
		fmt.Fprintf(&b, "  bookings    %12s  %10s/s  confirmed\n", thousands(float64(r.Bookings)), thousands(r.BookingsPerSec))
	}
	if r.Scenario == Read || r.Scenario == Mixed {
		fmt.Fprintf(&b, "  reads       %12s  %10s/s  without errors\n", thousands(float64(r.Reads)), thousands(r.ReadsPerSec))
	}
	fmt.Fprintf(&b, "  latency     %s\n", r.Latency)
	if len(r.Operations) > 1 {
		for _, op := range r.Operations {
			fmt.Fprintf(&b, "    %-14s %s\n", op.Name, op.Latency)
		}
	}
	fmt.Fprintf(&b, "  errors      %s\n", counts(r.Errors))
	for _, code := range slices.Sorted(maps.Keys(r.ErrorSamples)) {
		fmt.Fprintf(&b, "    %s: %s\n", code, r.ErrorSamples[code])
	}
	fmt.Fprintf(&b, "  transport   %s\n", counts(r.TransportErrors))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	if v := r.Verification; v != nil {
		fmt.Fprintln(&b, v.Summary)
		if !v.OK {
			for i, f := range v.Failures {
				if i == 10 {
					fmt.Fprintf(&b, "  … %d more\n", len(v.Failures)-i)
					break
				}
				fmt.Fprintf(&b, "  FAILED: %s\n", f)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (l Latency) String() string {
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s  (mean %s)", ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max), ms(l.Mean))
}

func ms(v float64) string {
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
}

// counts lists a map's entries, largest first.
func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + thousands(float64(m[k]))
	}
	return strings.Join(parts, ", ")
}

// thousands formats a number with commas, rounded to a whole number.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
