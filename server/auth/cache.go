package auth

import (
	"sync"
	"time"
)

// DefaultCacheFor is how long Identify trusts what it read about a token before
// it reads the store again. A kiosk in a burst, a console and every display
// reconnect present the same token many times a second; each look-up cost
// two store reads (the session, then the device) on the path of every
// request. Changes made through this Service (sign-out, revoking, new
// pairing code, password change, removed account) take effect at once; a
// change made elsewhere (the command line beside a running service,
// another instance on the same Redis) within this time.
const DefaultCacheFor = 2 * time.Second

// maxCached bounds the cache; beyond it, expired entries are swept and,
// if still full, nothing more is added until they expire.
const maxCached = 4096

// cached is a principal and when it stops being trusted.
type cached struct {
	p     Principal
	until time.Time
}

// principalCache maps token hashes to principals for a short time. Only
// valid tokens are cached: a refusal is always read again.
type principalCache struct {
	mu sync.RWMutex
	m  map[string]cached
	// gen grows with every invalidation; a look-up that began before one
	// does not store what it read (it may be what was just revoked).
	gen uint64
}

func (c *principalCache) get(hash string, now time.Time) (Principal, bool, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[hash]
	if !ok || !now.Before(e.until) {
		return Principal{}, false, c.gen
	}
	p := e.p
	if p.Device != nil {
		d := *p.Device // callers get their own copy
		p.Device = &d
	}
	return p, true, c.gen
}

func (c *principalCache) put(hash string, p Principal, until time.Time, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = make(map[string]cached)
	}
	if len(c.m) >= maxCached {
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCached {
			return
		}
	}
	if p.Device != nil {
		d := *p.Device
		p.Device = &d
	}
	c.m[hash] = cached{p: p, until: until}
}

// drop forgets every entry that match reports true for.
func (c *principalCache) drop(match func(hash string, p Principal) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if match(k, e.p) {
			delete(c.m, k)
		}
	}
}

func (c *principalCache) dropSession(hash string) {
	c.drop(func(k string, _ Principal) bool { return k == hash })
}

func (c *principalCache) dropUser(name string) {
	c.drop(func(_ string, p Principal) bool { return p.User == name })
}

func (c *principalCache) dropDevice(id string) {
	c.drop(func(_ string, p Principal) bool { return p.Device != nil && p.Device.ID == id })
}
