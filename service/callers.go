package service

import (
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// callerCache remembers, per user, what checking a token reads from the
// user's row (token version, role), so that a signed-in request costs no
// query. Revocation stays immediate because every change evicts:
//   - this server's own changes (SignOut, ChangePassword, SetUserRole)
//     evict once they are committed;
//   - changes through other servers arrive by the store's watch
//     (boxoffice.Store.Watch), and while the watch is not listening the
//     cache holds nothing, since it could miss a change;
//   - a read that began before an eviction is not cached (epoch).
//
// Entries also expire after ttl, which bounds what a change made behind
// the service's back (an UPDATE by hand) can cost.
type callerCache struct {
	ttl time.Duration // 0: cache nothing

	mu    sync.RWMutex
	on    bool   // the cache can hear every change
	epoch uint64 // bumped by every eviction
	users map[string]cachedCaller
}

type cachedCaller struct {
	tokenVersion int
	role         boxoffice.Role
	at           time.Time
}

// maxCachedCallers bounds the memory: past it, expired entries are dropped.
const maxCachedCallers = 100_000

// newCallerCache returns a cache; on says whether it can hear every change
// already (one process) or must wait for a watch to listen.
func newCallerCache(ttl time.Duration, on bool) *callerCache {
	return &callerCache{ttl: ttl, on: on, users: map[string]cachedCaller{}}
}

func (c *callerCache) get(userID string, now time.Time) (cachedCaller, bool) {
	c.mu.RLock()
	v, ok := c.users[userID]
	c.mu.RUnlock()
	return v, ok && now.Sub(v.at) < c.ttl
}

// begin is called before reading a user: pass its result to put.
func (c *callerCache) begin() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.epoch
}

// put caches what was read, unless the cache is off or something was
// evicted since begin: the read may predate that change.
func (c *callerCache) put(userID string, v cachedCaller, epoch uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || c.epoch != epoch {
		return
	}
	if len(c.users) >= maxCachedCallers {
		for id, old := range c.users {
			if v.at.Sub(old.at) >= c.ttl {
				delete(c.users, id)
			}
		}
		if len(c.users) >= maxCachedCallers {
			clear(c.users)
		}
	}
	c.users[userID] = v
}

// evict forgets a user whose token version or role has changed.
func (c *callerCache) evict(userID string) {
	c.mu.Lock()
	c.epoch++
	delete(c.users, userID)
	c.mu.Unlock()
}

// listening is the store watch's state: off, it may miss changes, so the
// cache forgets everything and holds nothing until it listens again.
func (c *callerCache) listening(on bool) {
	c.mu.Lock()
	c.epoch++
	clear(c.users)
	c.on = on
	c.mu.Unlock()
}
