package ratelimit

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

const (
	// DefaultMaxKeys bounds the keys a Memory limiter holds; beyond it the
	// oldest windows are dropped (their keys start afresh).
	DefaultMaxKeys = 100_000
	// sweepEvery is how often expired windows are removed.
	sweepEvery = 30 * time.Second
)

// Memory is an in-process RateLimiter: counts live in this server only.
// Expired windows are swept periodically and at most DefaultMaxKeys are
// kept, so memory stays bounded under a flood of distinct keys.
type Memory struct {
	mu      sync.Mutex
	windows map[string]*list.Element // of *window
	order   *list.List               // windows, oldest first
	maxKeys int
	now     func() time.Time

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type window struct {
	key   string
	count int
	end   time.Time
}

// NewMemory returns an in-process limiter; Close stops its sweeper.
func NewMemory() *Memory {
	return newMemory(DefaultMaxKeys, time.Now, sweepEvery)
}

func newMemory(maxKeys int, now func() time.Time, sweepEvery time.Duration) *Memory {
	m := &Memory{
		windows: make(map[string]*list.Element),
		order:   list.New(),
		maxKeys: maxKeys,
		now:     now,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go m.sweepLoop(sweepEvery)
	return m
}

// Allow implements boxoffice.RateLimiter.
func (m *Memory) Allow(_ context.Context, key string, limit boxoffice.Limit) (time.Duration, error) {
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	e, ok := m.windows[key]
	if ok {
		w := e.Value.(*window)
		if now.Before(w.end) {
			w.count++
			if w.count > limit.Events {
				return w.end.Sub(now), nil
			}
			return 0, nil
		}
		// Expired: start a new window, now the newest.
		w.count, w.end = 1, now.Add(limit.Per)
		m.order.MoveToBack(e)
		return 0, nil
	}
	for m.order.Len() >= m.maxKeys {
		oldest := m.order.Front()
		delete(m.windows, oldest.Value.(*window).key)
		m.order.Remove(oldest)
	}
	m.windows[key] = m.order.PushBack(&window{key: key, count: 1, end: now.Add(limit.Per)})
	return 0, nil
}

// sweep removes the windows that have ended: O(keys), at most
// DefaultMaxKeys, every sweepEvery.
func (m *Memory) sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for e := m.order.Front(); e != nil; {
		next := e.Next()
		if w := e.Value.(*window); !now.Before(w.end) {
			delete(m.windows, w.key)
			m.order.Remove(e)
		}
		e = next
	}
}

func (m *Memory) sweepLoop(every time.Duration) {
	defer close(m.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.sweep()
		case <-m.stop:
			return
		}
	}
}

// Close stops the sweeper and waits for it. Allow still works afterwards,
// without sweeping; Close may be called more than once.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() {
		close(m.stop)
		<-m.done
	})
	return nil
}
