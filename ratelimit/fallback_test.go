package ratelimit

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

var _ boxoffice.RateLimiter = (*Fallback)(nil)

// Closed breaker, Redis up: a Fallback behaves as every limiter does. (A
// call that takes over CallTimeout is decided in memory: a burst of 100
// calls under -race on 2 cores can take over the default 250 ms.)
func TestFallback(t *testing.T) {
	client := redisClient(t)
	testLimiter(t, func(t *testing.T) boxoffice.RateLimiter {
		f := NewFallback(NewRedis(client, testPrefix(t, client)), FallbackOptions{CallTimeout: 10 * time.Second})
		t.Cleanup(func() { _ = f.Close() })
		return f
	})
}

// A caller that gives up (its context ends) says nothing about Redis: it
// must not switch the server to memory.
func TestFallbackCallerGoneIsNotAnOutage(t *testing.T) {
	client := redisClient(t)
	f := NewFallback(NewRedis(client, testPrefix(t, client)), FallbackOptions{Failures: 1})
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 {
		if _, err := f.Allow(ctx, "k", boxoffice.Limit{Events: 5, Per: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	if s := f.State(); s != StateRedis {
		t.Fatalf("state %q after cancelled calls, want %q", s, StateRedis)
	}
}

// transitions records OnStateChange calls.
type transitions struct {
	mu   sync.Mutex
	list []string
}

func (tr *transitions) add(from, to string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.list = append(tr.list, from+">"+to)
}

func (tr *transitions) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.list)
}

// checkOutageTransitions checks one outage's changes of state: to memory,
// probes that failed, and a probe that brought Redis back.
func checkOutageTransitions(t *testing.T, got []string) {
	t.Helper()
	if len(got) < 3 || got[0] != "redis>fallback" || got[len(got)-2] != "fallback>probing" || got[len(got)-1] != "probing>redis" {
		t.Fatalf("state changes %v; want redis>fallback, probes, probing>redis", got)
	}
	for i, c := range got[1 : len(got)-2] {
		want := "fallback>probing"
		if i%2 == 1 {
			want = "probing>fallback"
		}
		if c != want {
			t.Fatalf("state changes %v: #%d is %s, want %s", got, i+2, c, want)
		}
	}
}

// checkOutageLog checks that the log has one line per change of state and
// two at info level or above: the switch to memory and the way back.
func checkOutageLog(t *testing.T, logs *LogLines, changes []string) {
	t.Helper()
	lines := logs.Lines()
	if len(lines) != len(changes) {
		t.Errorf("%d log lines for %d changes of state:\n%s", len(lines), len(changes), logs)
	}
	var loud []string
	for _, l := range lines {
		if !strings.Contains(l, "level=DEBUG") {
			loud = append(loud, l)
		}
	}
	if len(loud) != 2 ||
		!strings.Contains(loud[0], "level=WARN") || !strings.Contains(loud[0], "from=redis to=fallback") ||
		!strings.Contains(loud[1], "level=INFO") || !strings.Contains(loud[1], "to=redis") {
		t.Errorf("log lines above debug: want a WARN to fallback and an INFO back to redis, got:\n%s", strings.Join(loud, "\n"))
	}
}

// waitForRedis calls f until a probe has switched it back to Redis.
func waitForRedis(t *testing.T, f *Fallback) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for f.State() != StateRedis {
		if time.Now().After(deadline) {
			t.Fatalf("state %q 15 s after Redis came back, want %q", f.State(), StateRedis)
		}
		if _, err := f.Allow(context.Background(), "warm-up", boxoffice.Limit{Events: 1 << 30, Per: time.Minute}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Redis killed and restarted: limits hold in memory, Redis is left alone
// but for probes, the log gets a line per change of state, and the limits
// are shared through Redis again once it is back.
func TestFallbackRedisKilledAndRestarted(t *testing.T) {
	srv := StartRedisServer(t)
	client, attempts := srv.Open(t)
	other, _ := srv.Open(t) // another server's connection pool
	var logs LogLines
	var changes transitions
	const coolDown = 300 * time.Millisecond
	f := NewFallback(NewRedis(client, "t:"), FallbackOptions{CoolDown: coolDown, Logger: debugLogger(&logs), OnStateChange: changes.add})
	defer f.Close()
	ctx := context.Background()
	signIn := boxoffice.Limit{Events: 5, Per: time.Minute}

	// Redis decides and counts.
	for i := range 3 {
		if d, err := f.Allow(ctx, "signin:email:sam", signIn); err != nil || d != 0 {
			t.Fatalf("attempt %d with Redis up: %v, %v", i+1, d, err)
		}
	}
	if n, err := client.Get(ctx, "t:signin:email:sam").Int(); err != nil || n != 3 {
		t.Fatalf("Redis count %d, %v; want 3", n, err)
	}
	if s := f.State(); s != StateRedis {
		t.Fatalf("state %q, want %q", s, StateRedis)
	}

	srv.Kill()
	before, start := attempts.Commands(), time.Now()
	// Guessing on: this server saw 3 attempts, so 2 more pass and the rest
	// are refused, without an error and without waiting on Redis.
	var slowest time.Duration
	for i := range 200 {
		t0 := time.Now()
		d, err := f.Allow(ctx, "signin:email:sam", signIn)
		slowest = max(slowest, time.Since(t0))
		if err != nil {
			t.Fatalf("attempt %d with Redis down: error %v; memory should decide", i+4, err)
		}
		if i < 2 && d != 0 {
			t.Fatalf("attempt %d with Redis down: refused (%v), want allowed", i+4, d)
		}
		if i >= 2 && (d <= 0 || d > signIn.Per) {
			t.Fatalf("attempt %d with Redis down: retryAfter %v; the limit is off", i+4, d)
		}
	}
	if s := f.State(); s != StateFallback {
		t.Fatalf("state %q with Redis down, want %q", s, StateFallback)
	}
	probes := int64(time.Since(start)/coolDown) + 1
	if n := attempts.Commands() - before; n > DefaultFailures+probes {
		t.Fatalf("200 calls with Redis down tried Redis %d times; want at most %d failures and %d probes", n, DefaultFailures, probes)
	}
	if slowest > time.Second {
		t.Errorf("slowest call with Redis down took %v", slowest)
	}

	// After the cool-down, one call probes Redis: still down.
	time.Sleep(coolDown + 50*time.Millisecond)
	before = attempts.Commands()
	if d, err := f.Allow(ctx, "signin:email:sam", signIn); err != nil || d == 0 {
		t.Fatalf("probe with Redis down: %v, %v; want refused by memory", d, err)
	}
	if n := attempts.Commands() - before; n != 1 {
		t.Fatalf("the probe made %d Redis calls, want 1", n)
	}
	if got := changes.get(); !slices.Contains(got, "probing>fallback") {
		t.Fatalf("state changes %v: no failed probe", got)
	}
	if s := f.State(); s != StateFallback {
		t.Fatalf("state %q after a failed probe, want %q", s, StateFallback)
	}

	srv.Restart()
	waitForRedis(t, f)
	checkOutageTransitions(t, changes.get())
	checkOutageLog(t, &logs, changes.get())

	// Shared through Redis again: two servers count one key together.
	shared := boxoffice.Limit{Events: 4, Per: time.Minute}
	elsewhere := NewRedis(other, "t:")
	for i, l := range []boxoffice.RateLimiter{f, elsewhere, f, elsewhere} {
		if d, err := l.Allow(ctx, "mutation:user:u", shared); err != nil || d != 0 {
			t.Fatalf("event %d: %v, %v; want allowed", i+1, d, err)
		}
	}
	// This server alone has seen 2: only Redis knows of the 4.
	if d, err := f.Allow(ctx, "mutation:user:u", shared); err != nil || d == 0 {
		t.Fatalf("5th event: %v, %v; want refused through Redis", d, err)
	}
}

// A stalled Redis (SIGSTOP: connections open, no answers) costs a call at
// most the call timeout, and then nothing.
func TestFallbackRedisStalled(t *testing.T) {
	srv := StartRedisServer(t)
	client, attempts := srv.Open(t)
	var logs LogLines
	var changes transitions
	const coolDown, callTimeout = 300 * time.Millisecond, 100 * time.Millisecond
	f := NewFallback(NewRedis(client, "t:"), FallbackOptions{CallTimeout: callTimeout, CoolDown: coolDown, Logger: debugLogger(&logs), OnStateChange: changes.add})
	defer f.Close()
	ctx := context.Background()
	limit := boxoffice.Limit{Events: 3, Per: time.Minute}
	if d, err := f.Allow(ctx, "k", limit); err != nil || d != 0 {
		t.Fatalf("with Redis up: %v, %v", d, err)
	}

	srv.Stall()
	before, start := attempts.Commands(), time.Now()
	var slowest time.Duration
	for i := range 50 {
		t0 := time.Now()
		d, err := f.Allow(ctx, "k", limit)
		slowest = max(slowest, time.Since(t0))
		if err != nil {
			t.Fatalf("call %d, Redis stalled: %v", i+1, err)
		}
		if allowed := d == 0; allowed != (i < 2) {
			t.Fatalf("call %d, Redis stalled: retryAfter %v; want the 2nd and 3rd of the window allowed, later ones refused", i+2, d)
		}
	}
	elapsed := time.Since(start)
	if s := f.State(); s != StateFallback {
		t.Fatalf("state %q with Redis stalled, want %q", s, StateFallback)
	}
	probes := int64(elapsed/coolDown) + 1
	if n := attempts.Commands() - before; n > DefaultFailures+probes {
		t.Fatalf("50 calls with Redis stalled tried Redis %d times; want at most %d failures and %d probes", n, DefaultFailures, probes)
	}
	// go-redis alone would wait for its read timeout (1 s here, 5 s by default).
	if slowest > 750*time.Millisecond {
		t.Errorf("slowest call with Redis stalled took %v; the call timeout is %v", slowest, callTimeout)
	}
	t.Logf("Redis stalled: 50 calls in %v, slowest %v", elapsed, slowest)

	srv.Resume()
	waitForRedis(t, f)
	checkOutageTransitions(t, changes.get())
	checkOutageLog(t, &logs, changes.get())
}

// 32 goroutines call through a kill and a restart (run with -race): no
// errors, no slow calls, a brute-force key is held to its limit in memory,
// Redis is barely tried while down, and the limiter goes back to it.
func TestFallbackConcurrentKillAndRestart(t *testing.T) {
	srv := StartRedisServer(t)
	client, attempts := srv.Open(t)
	var logs LogLines
	var changes transitions
	const coolDown = 200 * time.Millisecond
	f := NewFallback(NewRedis(client, "t:"), FallbackOptions{CoolDown: coolDown, Logger: debugLogger(&logs), OnStateChange: changes.add})
	defer f.Close()
	ctx := context.Background()
	budget := boxoffice.Limit{Events: 1 << 30, Per: time.Minute} // never reached
	brute := boxoffice.Limit{Events: 5, Per: time.Minute}

	// While outage is true, every goroutine also guesses on one key. The
	// lock makes sure no guess is in flight when the outage is declared
	// over, so that every guess was decided in memory.
	var (
		outageMu sync.RWMutex
		outage   bool
		stop     atomic.Bool
		guesses  atomic.Int64
		let      atomic.Int64
		calls    atomic.Int64
		mu       sync.Mutex
		took     []time.Duration
	)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			var mine []time.Duration
			defer func() { mu.Lock(); took = append(took, mine...); mu.Unlock() }()
			for i := 0; !stop.Load(); i++ {
				t0 := time.Now()
				_, err := f.Allow(ctx, fmt.Sprintf("mutation:user:%d", g), budget)
				mine = append(mine, time.Since(t0))
				calls.Add(1)
				if err != nil {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
				outageMu.RLock()
				if outage {
					d, err := f.Allow(ctx, "signin:email:victim", brute)
					if err != nil {
						t.Errorf("goroutine %d, guess: %v", g, err)
					}
					guesses.Add(1)
					if d == 0 {
						let.Add(1)
					}
				}
				outageMu.RUnlock()
				if i%8 == 0 {
					time.Sleep(time.Millisecond) // leave the 2 cores some air
				}
			}
		})
	}

	time.Sleep(300 * time.Millisecond)
	srv.Kill()
	killed, before := time.Now(), attempts.Commands()
	for f.State() == StateRedis {
		if time.Since(killed) > 5*time.Second {
			t.Fatalf("still %q 5 s after Redis was killed", f.State())
		}
		time.Sleep(5 * time.Millisecond)
	}
	outageMu.Lock()
	outage = true
	outageMu.Unlock()
	callsAtKill := calls.Load()
	time.Sleep(time.Second)
	outageMu.Lock()
	outage = false
	outageMu.Unlock()
	down := time.Since(killed)
	tried := attempts.Commands() - before
	callsDown := calls.Load() - callsAtKill

	srv.Restart()
	waitForRedis(t, f)
	time.Sleep(200 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	if let.Load() != int64(brute.Events) {
		t.Errorf("%d of %d guesses allowed with Redis down, want %d", let.Load(), guesses.Load(), brute.Events)
	}
	// The calls in flight when Redis died fail, then a probe per cool-down.
	if limit := int64(32+DefaultFailures) + int64(down/coolDown) + 1; tried > limit {
		t.Errorf("%d calls with Redis down tried it %d times, want at most %d", callsDown, tried, limit)
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	p99, slowest := took[len(took)*99/100], took[len(took)-1]
	t.Logf("%d calls, %d during the outage (%d Redis attempts); p99 %v, slowest %v", len(took), callsDown, tried, p99, slowest)
	if slowest > time.Second {
		t.Errorf("slowest call took %v", slowest)
	}
	checkOutageTransitions(t, changes.get())
	checkOutageLog(t, &logs, changes.get())

	// Counted through Redis again.
	if _, err := f.Allow(ctx, "after", brute); err != nil {
		t.Fatal(err)
	}
	if n, err := client.Get(ctx, "t:after").Int(); err != nil || n != 1 {
		t.Fatalf("Redis count after recovery: %d, %v; want 1", n, err)
	}
}
