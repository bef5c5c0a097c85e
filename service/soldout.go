package service

import (
	"sync"
	"time"
)

// soldOutSet remembers events seen sold out, so that the rush of buyers
// after a sell-out is refused from memory instead of queueing for write
// transactions that can only fail. Tickets given back reopen the event at
// once: through this server directly, through others by the store's watch
// (boxoffice.TicketsWatcher). Entries also expire after ttl, which bounds
// what a watch that missed a notification can cost.
type soldOutSet struct {
	ttl    time.Duration
	mu     sync.RWMutex
	events map[string]time.Time // event id -> when it was seen sold out
}

func newSoldOutSet(ttl time.Duration) *soldOutSet {
	if ttl <= 0 {
		ttl = time.Second
	}
	return &soldOutSet{ttl: ttl, events: map[string]time.Time{}}
}

func (s *soldOutSet) has(eventID string) bool {
	s.mu.RLock()
	at, ok := s.events[eventID]
	s.mu.RUnlock()
	return ok && time.Since(at) < s.ttl
}

func (s *soldOutSet) mark(eventID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for id, at := range s.events { // keep the set small: drop expired entries
		if now.Sub(at) >= s.ttl && len(s.events) > 1024 {
			delete(s.events, id)
		}
	}
	s.events[eventID] = now
}

func (s *soldOutSet) clear(eventID string) {
	s.mu.Lock()
	delete(s.events, eventID)
	s.mu.Unlock()
}
