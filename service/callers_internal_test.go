package service

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The cache holds nothing while its watch may miss changes, and never
// keeps a read that an eviction may have overtaken.
func TestCallerCacheTrustsOnlyWhatItCanHear(t *testing.T) {
	now := time.Now()
	v := cachedCaller{tokenVersion: 3, role: boxoffice.RoleAdmin, at: now}
	c := newCallerCache(time.Minute, false)
	cached := func() bool { _, ok := c.get("u", now); return ok }

	c.put("u", v, c.begin())
	if cached() {
		t.Fatal("cached before the watch listens")
	}
	c.listening(true)
	c.put("u", v, c.begin())
	if !cached() {
		t.Fatal("not cached while the watch listens")
	}

	epoch := c.begin() // a read starts ...
	c.evict("u")       // ... a change overtakes it ...
	c.put("u", v, epoch)
	if cached() {
		t.Fatal("cached a read that began before an eviction")
	}

	c.put("u", v, c.begin())
	c.listening(false)
	if cached() {
		t.Fatal("still cached after the watch stopped")
	}
	c.put("u", v, c.begin())
	if cached() {
		t.Fatal("cached while the watch is down")
	}

	c.listening(true)
	c.put("u", v, c.begin())
	if _, ok := c.get("u", now.Add(time.Minute)); ok {
		t.Fatal("cached past the TTL")
	}
}
