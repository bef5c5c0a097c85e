package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// fakeClock is a time source tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMemoryRetryAfterIsWindowEnd(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	m := newMemory(DefaultMaxKeys, clock.now, time.Hour)
	defer m.Close()
	ctx := context.Background()
	limit := boxoffice.Limit{Events: 1, Per: time.Minute}
	m.Allow(ctx, "k", limit)
	clock.add(20 * time.Second)
	if d, _ := m.Allow(ctx, "k", limit); d != 40*time.Second {
		t.Fatalf("retryAfter %v, want 40s", d)
	}
	clock.add(40 * time.Second)
	if d, _ := m.Allow(ctx, "k", limit); d != 0 {
		t.Fatalf("at window end: retryAfter %v, want 0", d)
	}
}

func TestMemorySweepsExpiredWindows(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	m := newMemory(DefaultMaxKeys, clock.now, time.Hour)
	defer m.Close()
	ctx := context.Background()
	for i := range 1000 {
		m.Allow(ctx, fmt.Sprint("short", i), boxoffice.Limit{Events: 1, Per: time.Second})
	}
	m.Allow(ctx, "long", boxoffice.Limit{Events: 1, Per: time.Hour})
	clock.add(2 * time.Second)
	m.sweep()
	if n := m.len(); n != 1 {
		t.Fatalf("after sweep: %d windows, want 1 (the long one)", n)
	}
	if d, _ := m.Allow(ctx, "long", boxoffice.Limit{Events: 1, Per: time.Hour}); d == 0 {
		t.Fatal("sweep dropped a live window")
	}
}

func TestMemorySweeperRuns(t *testing.T) {
	m := newMemory(DefaultMaxKeys, time.Now, 10*time.Millisecond)
	defer m.Close()
	for i := range 100 {
		m.Allow(context.Background(), fmt.Sprint(i), boxoffice.Limit{Events: 1, Per: time.Millisecond})
	}
	deadline := time.Now().Add(5 * time.Second)
	for m.len() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d windows left; the sweeper did not run", m.len())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMemoryKeyCap(t *testing.T) {
	m := newMemory(100, time.Now, time.Hour)
	defer m.Close()
	ctx := context.Background()
	limit := boxoffice.Limit{Events: 1, Per: time.Hour}
	for i := range 1000 {
		m.Allow(ctx, fmt.Sprint(i), limit)
		if n := m.len(); n > 100 {
			t.Fatalf("%d windows, cap 100", n)
		}
	}
	// The newest are kept, the oldest dropped.
	if d, _ := m.Allow(ctx, "999", limit); d == 0 {
		t.Error("newest window was dropped")
	}
	if d, _ := m.Allow(ctx, "0", limit); d != 0 {
		t.Error("oldest window was kept")
	}
}

func TestMemoryCloseTwice(t *testing.T) {
	m := NewMemory()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if d, err := m.Allow(context.Background(), "k", boxoffice.Limit{Events: 1, Per: time.Second}); d != 0 || err != nil {
		t.Fatalf("Allow after Close: %v, %v", d, err)
	}
}
