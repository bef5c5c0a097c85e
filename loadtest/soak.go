package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Soak turns a run into a soak test: the scenario's load for Duration
// (minutes to hours) instead of Options.Duration, with a line every Every:
// the interval's throughput, p99 and errors, and the server's memory and
// goroutines read from its Prometheus metrics; then a summary of how they
// moved. Setup, the final report and the verification are a run's.
type Soak struct {
	Duration   time.Duration // the measured time, 1 s to MaxSoakDuration
	Every      time.Duration // a line every Every; default 10 s
	MetricsURL string        // the server's /metrics (METRICS_ADDR); "" samples nothing of the server
	Out        io.Writer     // the lines and the summary; default Options.Progress
}

// Bounds of a Soak.
const (
	MaxSoakDuration = 24 * time.Hour
	DefaultSoakStep = 10 * time.Second
)

func (s *Soak) withDefaults(o Options) (*Soak, error) {
	out := *s
	if out.Duration < time.Second || out.Duration > MaxSoakDuration {
		return nil, fmt.Errorf("soak duration %s: want 1s to %s", out.Duration, MaxSoakDuration)
	}
	if out.Every == 0 {
		out.Every = DefaultSoakStep
	}
	if out.Every < time.Second {
		return nil, fmt.Errorf("soak interval %s: want at least 1s", out.Every)
	}
	if out.MetricsURL != "" {
		if _, err := CheckTarget(out.MetricsURL, o.AllowRemote); err != nil {
			return nil, fmt.Errorf("metrics URL: %w", err)
		}
	}
	if out.Out == nil {
		out.Out = o.Progress
	}
	return &out, nil
}

// runLoad is the load phase of Run: one window of o.Duration, or a soak.
func runLoad(ctx context.Context, c *client, o Options, events []*event, bs []*buyer) (*stats, time.Duration) {
	if o.Scenario == Onsale {
		return loadOnsale(ctx, c, o, events, bs)
	}
	if o.Soak == nil {
		return load(ctx, c, o, events, bs)
	}
	return soak(ctx, c, o, events, bs)
}

// serverSample is what the server's metrics say at one moment.
type serverSample struct {
	ok                         bool
	rss, heap, goroutines, fds float64
}

// soakInterval is one line of a soak.
type soakInterval struct {
	at                    time.Duration // since the start
	reqPerSec, bookPerSec float64
	readPerSec, p99ms     float64
	errors, transportErrs int64
	server                serverSample
}

// soak runs the load in consecutive windows of Soak.Every (the workers
// keep their connections from one to the next), printing a line after
// each, and returns the merged stats.
func soak(ctx context.Context, c *client, o Options, events []*event, bs []*buyer) (*stats, time.Duration) {
	s := o.Soak
	w := s.Out
	sample := func() serverSample { return sampleServer(ctx, c.http, s.MetricsURL) }
	start := time.Now()
	first := sample()
	fmt.Fprintf(w, "soak: %s of %s, %d connections, a line every %s", s.Duration, o.Scenario, o.Concurrency, s.Every)
	if o.WarmUp > 0 {
		fmt.Fprintf(w, ", after %s of warm-up", o.WarmUp)
	}
	fmt.Fprintln(w)
	if first.ok {
		fmt.Fprintf(w, "server before the load: RSS %s MB, heap %s MB, %.0f goroutines, %.0f open files\n",
			mb(first.rss), mb(first.heap), first.goroutines, first.fds)
	}
	fmt.Fprintf(w, "%8s %9s %11s %9s %8s %7s %8s %8s %11s %6s\n",
		"time", "req/s", "bookings/s", "reads/s", "p99 ms", "errors", "RSS MB", "heap MB", "goroutines", "files")

	total := newStats(len(events))
	var (
		elapsed   time.Duration
		intervals []soakInterval
	)
	for i := 0; elapsed < s.Duration && ctx.Err() == nil; i++ {
		wo := o
		wo.Duration = min(s.Every, s.Duration-elapsed)
		wo.Progress = io.Discard
		if i > 0 {
			wo.WarmUp = 0
		}
		st, took := load(ctx, c, wo, events, bs)
		total.merge(st)
		elapsed += took
		iv := interval(st, took)
		iv.at = time.Since(start).Round(time.Second)
		iv.server = sample()
		intervals = append(intervals, iv)
		fmt.Fprintf(w, "%8s %9s %11s %9s %8.1f %7s %8s %8s %11s %6s\n", iv.at, thousands(iv.reqPerSec), thousands(iv.bookPerSec),
			thousands(iv.readPerSec), iv.p99ms, thousands(float64(iv.errors+iv.transportErrs)),
			orDash(iv.server.ok, mb(iv.server.rss)), orDash(iv.server.ok, mb(iv.server.heap)),
			orDash(iv.server.ok, thousands(iv.server.goroutines)), orDash(iv.server.ok, thousands(iv.server.fds)))
	}
	writeSoakSummary(w, intervals, first, total, elapsed)
	return total, elapsed
}

// interval summarizes one window's stats.
func interval(st *stats, took time.Duration) soakInterval {
	secs := took.Seconds()
	if secs <= 0 {
		secs = math.SmallestNonzeroFloat64
	}
	var all histogram
	var iv soakInterval
	var requests int64
	for i := range opCount {
		all.merge(&st.hist[i])
		requests += st.requests[i]
	}
	for _, n := range st.errs {
		iv.errors += n
	}
	for _, n := range st.transport {
		iv.transportErrs += n
	}
	iv.reqPerSec = float64(requests) / secs
	iv.bookPerSec = float64(st.ok[opBooking]) / secs
	iv.readPerSec = float64(st.ok[opReadEvents]+st.ok[opReadBookings]) / secs
	iv.p99ms = float64(all.quantile(0.99).Microseconds()) / 1000
	return iv
}

// writeSoakSummary tells how throughput, latency, memory and goroutines
// moved over the soak: a leak shows as a climb from the first interval to
// the last, not as a high value.
func writeSoakSummary(w io.Writer, ivs []soakInterval, before serverSample, total *stats, elapsed time.Duration) {
	if len(ivs) == 0 {
		return
	}
	firstIv, lastIv := ivs[0], ivs[len(ivs)-1]
	minReq, maxReq, minP99, maxP99 := math.Inf(1), 0.0, math.Inf(1), 0.0
	var maxRSS, maxG float64
	for _, iv := range ivs {
		minReq, maxReq = min(minReq, iv.reqPerSec), max(maxReq, iv.reqPerSec)
		minP99, maxP99 = min(minP99, iv.p99ms), max(maxP99, iv.p99ms)
		maxRSS, maxG = max(maxRSS, iv.server.rss), max(maxG, iv.server.goroutines)
	}
	rep := newReport(Options{}, total, elapsed, 0, 0)
	fmt.Fprintf(w, "soak summary over %s, %d intervals:\n", elapsed.Round(time.Second), len(ivs))
	fmt.Fprintf(w, "  throughput  %s req/s overall; per interval %s to %s, first %s, last %s\n",
		thousands(rep.RequestsPerSec), thousands(minReq), thousands(maxReq), thousands(firstIv.reqPerSec), thousands(lastIv.reqPerSec))
	fmt.Fprintf(w, "  p99         %.1f ms overall; per interval %.1f to %.1f ms, first %.1f, last %.1f\n",
		rep.Latency.P99, minP99, maxP99, firstIv.p99ms, lastIv.p99ms)
	fmt.Fprintf(w, "  errors      %s\n", counts(mergeCounts(rep.Errors, rep.TransportErrors)))
	if !before.ok || !lastIv.server.ok {
		fmt.Fprintln(w, "  server      not sampled (no metrics URL, or it did not answer)")
		return
	}
	fmt.Fprintf(w, "  server RSS  %s MB before, %s MB after the first interval, %s MB at most, %s MB at the end (%+.1f MB since the first interval)\n",
		mb(before.rss), mb(firstIv.server.rss), mb(maxRSS), mb(lastIv.server.rss), (lastIv.server.rss-firstIv.server.rss)/(1<<20))
	fmt.Fprintf(w, "  heap        %s MB after the first interval, %s MB at the end\n", mb(firstIv.server.heap), mb(lastIv.server.heap))
	fmt.Fprintf(w, "  goroutines  %.0f before, %.0f after the first interval, %.0f at most, %.0f at the end\n",
		before.goroutines, firstIv.server.goroutines, maxG, lastIv.server.goroutines)
	fmt.Fprintf(w, "  open files  %.0f before, %.0f at the end\n", before.fds, lastIv.server.fds)
}

func mergeCounts(a, b map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(a)+len(b))
	for k, v := range a {
		out[k] += v
	}
	for k, v := range b {
		out["transport: "+k] += v
	}
	return out
}

// sampleServer reads a few of the server's own metrics; ok is false when
// there is no URL or it did not answer.
func sampleServer(ctx context.Context, hc *http.Client, metricsURL string) serverSample {
	var s serverSample
	if metricsURL == "" {
		return s
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return s
	}
	resp, err := hc.Do(req)
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s
	}
	want := map[string]*float64{
		"process_resident_memory_bytes": &s.rss,
		"go_memstats_heap_inuse_bytes":  &s.heap,
		"go_goroutines":                 &s.goroutines,
		"process_open_fds":              &s.fds,
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if p, found := want[name]; ok && found {
			if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
				*p = v
				s.ok = true
			}
		}
	}
	return s
}

func mb(bytes float64) string { return strconv.FormatFloat(bytes/(1<<20), 'f', 1, 64) }

func orDash(ok bool, s string) string {
	if !ok {
		return "-"
	}
	return s
}
