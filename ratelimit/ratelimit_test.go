package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/redis/go-redis/v9"
)

var (
	_ boxoffice.RateLimiter = (*Memory)(nil)
	_ boxoffice.RateLimiter = (*Redis)(nil)
)

// testLimiter is the behaviour every RateLimiter has; newLimiter returns a
// fresh, empty one.
func testLimiter(t *testing.T, newLimiter func(t *testing.T) boxoffice.RateLimiter) {
	ctx := context.Background()
	long := boxoffice.Limit{Events: 3, Per: 10 * time.Second}

	allow := func(t *testing.T, l boxoffice.RateLimiter, key string, limit boxoffice.Limit) time.Duration {
		t.Helper()
		d, err := l.Allow(ctx, key, limit)
		if err != nil {
			t.Fatalf("Allow(%q): %v", key, err)
		}
		return d
	}

	t.Run("within limit", func(t *testing.T) {
		l := newLimiter(t)
		for i := range long.Events {
			if d := allow(t, l, "k", long); d != 0 {
				t.Fatalf("event %d: retryAfter %v, want 0", i+1, d)
			}
		}
	})

	t.Run("over limit", func(t *testing.T) {
		l := newLimiter(t)
		for range long.Events {
			allow(t, l, "k", long)
		}
		for i := range 3 {
			d := allow(t, l, "k", long)
			if d <= 0 || d > long.Per {
				t.Fatalf("over limit #%d: retryAfter %v, want in (0, %v]", i+1, d, long.Per)
			}
			if d < long.Per/2 {
				t.Fatalf("over limit #%d: retryAfter %v, want about %v", i+1, d, long.Per)
			}
		}
	})

	t.Run("keys independent", func(t *testing.T) {
		l := newLimiter(t)
		for range long.Events + 1 {
			allow(t, l, "a", long)
		}
		if d := allow(t, l, "a", long); d == 0 {
			t.Fatal("a: allowed over limit")
		}
		for i := range long.Events {
			if d := allow(t, l, "b", long); d != 0 {
				t.Fatalf("b event %d: retryAfter %v, want 0 (a's count leaked)", i+1, d)
			}
		}
	})

	t.Run("window resets", func(t *testing.T) {
		l := newLimiter(t)
		short := boxoffice.Limit{Events: 2, Per: 200 * time.Millisecond}
		start := time.Now()
		allow(t, l, "k", short)
		allow(t, l, "k", short)
		d := allow(t, l, "k", short)
		if d <= 0 || d > short.Per {
			t.Fatalf("retryAfter %v, want in (0, %v]", d, short.Per)
		}
		// The window ends when retryAfter said, not later.
		time.Sleep(d + 50*time.Millisecond)
		for i := range short.Events {
			if d := allow(t, l, "k", short); d != 0 {
				t.Fatalf("after %v, event %d: retryAfter %v, want 0", time.Since(start), i+1, d)
			}
		}
		if d := allow(t, l, "k", short); d == 0 {
			t.Fatal("new window: allowed over limit")
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		l := newLimiter(t)
		limit := boxoffice.Limit{Events: 50, Per: 10 * time.Second}
		var allowed, denied atomic.Int64
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				d, err := l.Allow(ctx, "k", limit)
				switch {
				case err != nil:
					t.Error(err)
				case d == 0:
					allowed.Add(1)
				case d > limit.Per:
					t.Errorf("retryAfter %v > window %v", d, limit.Per)
				default:
					denied.Add(1)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 50 || denied.Load() != 50 {
			t.Fatalf("allowed %d, denied %d; want 50, 50", allowed.Load(), denied.Load())
		}
	})

	t.Run("invalid limit", func(t *testing.T) {
		l := newLimiter(t)
		for _, bad := range []boxoffice.Limit{{}, {Events: 0, Per: time.Second}, {Events: 1}, {Events: 1, Per: -time.Second}} {
			if _, err := l.Allow(ctx, "k", bad); !errors.Is(err, ErrInvalidLimit) {
				t.Errorf("Allow(%+v): err %v, want ErrInvalidLimit", bad, err)
			}
		}
	})
}

func TestMemory(t *testing.T) {
	testLimiter(t, func(t *testing.T) boxoffice.RateLimiter {
		m := NewMemory()
		t.Cleanup(func() { _ = m.Close() })
		return m
	})
}

func TestRedis(t *testing.T) {
	client := redisClient(t)
	testLimiter(t, func(t *testing.T) boxoffice.RateLimiter {
		return NewRedis(client, testPrefix(t, client))
	})
}

func TestRedisSharedByServers(t *testing.T) {
	client := redisClient(t)
	prefix := testPrefix(t, client)
	// Two servers: two clients (own connection pools), one prefix.
	other, err := OpenRedis(context.Background(), redisURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	a, b := NewRedis(client, prefix), NewRedis(other, prefix)
	limit := boxoffice.Limit{Events: 4, Per: 10 * time.Second}
	ctx := context.Background()
	for i, l := range []*Redis{a, b, a, b} {
		if d, err := l.Allow(ctx, "k", limit); err != nil || d != 0 {
			t.Fatalf("event %d: %v, %v; want 0, nil", i+1, d, err)
		}
	}
	for _, l := range []*Redis{a, b} {
		if d, err := l.Allow(ctx, "k", limit); err != nil || d == 0 {
			t.Fatalf("5th event: %v, %v; want denied", d, err)
		}
	}
	// A different prefix is a different set of limits.
	if d, err := NewRedis(client, prefix+"other:").Allow(ctx, "k", limit); err != nil || d != 0 {
		t.Fatalf("other prefix: %v, %v; want 0, nil", d, err)
	}
}

func TestRedisKeyAndExpiry(t *testing.T) {
	client := redisClient(t)
	prefix := testPrefix(t, client)
	ctx := context.Background()
	l := NewRedis(client, prefix)
	limit := boxoffice.Limit{Events: 1, Per: 5 * time.Second}
	if _, err := l.Allow(ctx, "login:192.0.2.1", limit); err != nil {
		t.Fatal(err)
	}
	ttl, err := client.PTTL(ctx, prefix+"login:192.0.2.1").Result()
	if err != nil || ttl <= 0 || ttl > limit.Per {
		t.Fatalf("PTTL %v, %v; want in (0, %v]", ttl, err, limit.Per)
	}
	// Later events do not push the window's end back.
	time.Sleep(100 * time.Millisecond)
	d, err := l.Allow(ctx, "login:192.0.2.1", limit)
	if err != nil || d <= 0 || d > ttl-50*time.Millisecond {
		t.Fatalf("retryAfter %v, %v; want in (0, %v)", d, err, ttl-50*time.Millisecond)
	}
	// A key left without an expiry gets one rather than counting forever.
	if err := client.Set(ctx, prefix+"stuck", 7, 0).Err(); err != nil {
		t.Fatal(err)
	}
	d, err = l.Allow(ctx, "stuck", limit)
	if err != nil || d <= 0 || d > limit.Per {
		t.Fatalf("stuck key: %v, %v; want in (0, %v]", d, err, limit.Per)
	}
}

func TestRedisErrorsReturned(t *testing.T) {
	// Nothing listens on port 1.
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer client.Close()
	if _, err := NewRedis(client, "t:").Allow(context.Background(), "k", boxoffice.Limit{Events: 1, Per: time.Second}); err == nil {
		t.Fatal("Allow with Redis down: nil error")
	}
}

func TestOpenRedis(t *testing.T) {
	ctx := context.Background()
	if _, err := OpenRedis(ctx, "http://127.0.0.1:6379/0"); err == nil {
		t.Error("http:// URL: nil error")
	}
	_, err := OpenRedis(ctx, "redis://user:s3cret@127.0.0.1:1/0?dial_timeout=200ms")
	if err == nil {
		t.Fatal("unreachable Redis: nil error")
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret") {
		t.Errorf("error quotes the password: %s", msg)
	}
	_, err = OpenRedis(ctx, "redis://user:s3cret@127.0.0.1:6379/%zz")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad URL: %v; want an error without the password", err)
	}
	t.Logf("bad URL: %v", err)
}

func redisURL() string {
	if u := os.Getenv("BOXOFFICE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// redisClient connects to the test Redis, or skips the test if there is
// none (fails instead if BOXOFFICE_REQUIRE_REDIS=1).
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	client, err := OpenRedis(context.Background(), redisURL())
	if err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_REDIS") == "1" {
			t.Fatalf("BOXOFFICE_REQUIRE_REDIS=1: %v", err)
		}
		t.Skipf("no Redis (set BOXOFFICE_REQUIRE_REDIS=1 to fail): %v", err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// testPrefix returns a fresh key prefix whose keys are deleted after t.
func testPrefix(t *testing.T, client *redis.Client) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix := "boxoffice-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("scan test keys: %v", err)
		}
		if len(keys) > 0 {
			if err := client.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("delete test keys: %v", err)
			}
		}
	})
	return prefix
}
