package sqlite

import (
	"context"
	"sync"
)

// hub hands what committed transactions announced to this process's
// watchers, in the committing goroutine, before the commit returns: the
// embedded database has one server, so nothing can be missed.
type hub struct {
	mu       sync.RWMutex
	next     int
	watchers map[int]func(payload string)
}

func newHub() *hub { return &hub{watchers: map[int]func(string){}} }

func (h *hub) watch(ctx context.Context, fn func(payload string), listening func(bool)) {
	h.mu.Lock()
	id := h.next
	h.next++
	h.watchers[id] = fn
	h.mu.Unlock()
	listening(true)
	<-ctx.Done()
	h.mu.Lock()
	delete(h.watchers, id)
	h.mu.Unlock()
	listening(false)
}

func (h *hub) publish(payloads []string) {
	if len(payloads) == 0 {
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, fn := range h.watchers {
		for _, p := range payloads {
			fn(p)
		}
	}
}
