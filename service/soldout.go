package service

import (
	"sync"
	"time"
)

// soldOutSet remembers events seen sold out, so that the rush of buyers
// after a sell-out is refused from memory instead of queueing for write
// transactions that can only fail. Tickets given back reopen the event at
// once: through this server directly, through others by the store's watch
// (boxoffice.Store.Watch), and while the watch is not listening the set
// holds nothing. Entries also expire after ttl, which bounds what a missed
// notification can cost.
type soldOutSet struct {
	ttl    time.Duration
	mu     sync.RWMutex
	on     bool                 // the watch listens: tickets given back anywhere are heard
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
	if !s.on {
		return // tickets given back elsewhere could go unheard
	}
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

// listening is the store watch's state: off, it may miss tickets given
// back, so the set forgets everything and holds nothing until it listens
// again.
func (s *soldOutSet) listening(on bool) {
	s.mu.Lock()
	clear(s.events)
	s.on = on
	s.mu.Unlock()
}
