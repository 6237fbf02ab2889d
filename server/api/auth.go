package api

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

// Policy says who may call a route. Every route has exactly one; the route
// table test fails for a route without a rule.
type Policy string

// The policies.
const (
	// Public routes need nothing: pages, health, lines, config, sign-in,
	// pairing.
	Public Policy = "public"
	// KioskOnly routes need a paired kiosk.
	KioskOnly Policy = "kiosk"
	// Listener routes need a paired kiosk or display, or a signed-in user.
	Listener Policy = "listener"
	// Staff routes need a signed-in counsellor or admin.
	Staff Policy = "staff"
	// AdminOnly routes need a signed-in admin.
	AdminOnly Policy = "admin"
)

// Cookie names. Both cookies are HttpOnly and SameSite=Strict; scripts
// never see a secret.
const (
	SessionCookie = "wm_session"
	DeviceCookie  = "wm_device"
)

// deviceCookieAge is how long a paired device keeps its cookie: the most
// browsers accept (400 days); it is renewed on every pairing.
const deviceCookieAge = 400 * 24 * time.Hour

type principalKey struct{}

// principalFrom returns who made the request (set by the policy check).
func principalFrom(ctx context.Context) auth.Principal {
	p, _ := ctx.Value(principalKey{}).(auth.Principal)
	return p
}

// credentials returns the tokens a request carries, in the order tried.
func credentials(r *http.Request) []string {
	var out []string
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			// An explicit token is the only one considered.
			return []string{strings.TrimSpace(t)}
		}
	}
	for _, name := range []string{SessionCookie, DeviceCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			out = append(out, c.Value)
		}
	}
	return out
}

// identify finds who makes r with credentials that satisfy pol: a browser
// may hold both a device cookie and a sign-in (a counsellor's laptop that
// is also the display), and the one that may do the thing is used. It
// fails with Unauthorized when no credential is valid, Forbidden when a
// valid one may not do it.
func (s *Server) identify(r *http.Request, pol Policy) (auth.Principal, error) {
	creds := credentials(r)
	if len(creds) == 0 {
		return auth.Principal{}, queue.Errorf(queue.Unauthorized, "sign in or pair this device first")
	}
	var firstErr error
	for _, c := range creds {
		p, err := s.Auth.Identify(r.Context(), c)
		if err == nil {
			err = allowed(pol, p)
		}
		if err == nil {
			if p.Device != nil {
				s.seen(p.Device.ID)
			}
			return p, nil
		}
		code := queue.ErrorCode(err)
		if code != queue.Unauthorized && code != queue.Forbidden {
			return p, err
		}
		if firstErr == nil || code == queue.Forbidden {
			firstErr = err
		}
	}
	return auth.Principal{}, firstErr
}

// allowed checks p against a policy.
func allowed(pol Policy, p auth.Principal) error {
	ok := false
	switch pol {
	case Public:
		ok = true
	case KioskOnly:
		ok = p.IsDevice(auth.Kiosk)
	case Listener:
		ok = p.IsUser() || p.IsDevice(auth.Kiosk) || p.IsDevice(auth.Display)
	case Staff:
		ok = p.IsUser()
	case AdminOnly:
		if p.IsUser() && !p.IsAdmin() {
			return queue.Errorf(queue.Forbidden, "only an admin may do this")
		}
		ok = p.IsAdmin()
	}
	if !ok {
		if p.IsUser() || p.Device != nil {
			return queue.Errorf(queue.Forbidden, "this account or device may not do this")
		}
		return queue.Errorf(queue.Unauthorized, "sign in or pair this device first")
	}
	return nil
}

// guard wraps h with the policy check.
func (s *Server) guard(pol Policy, h http.HandlerFunc) http.HandlerFunc {
	if pol == Public {
		return h
	}
	if pol == Metrics {
		return s.metricsGuard(h)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.identify(r, pol)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		if s.TagConn != nil {
			ctx = s.TagConn(ctx, ConnTag(p))
		}
		h(w, r.WithContext(ctx))
	}
}

// ConnTag names a principal's long-lived connections, so that a revoked
// device, a removed account or a signed-out session can be cut off at once:
// "device:ID" or "user:NAME session:HASH".
func ConnTag(p auth.Principal) string {
	if p.Device != nil {
		return "device:" + p.Device.ID
	}
	return "user:" + p.User + " session:" + p.Session
}

// seenEvery limits how often a device's last-seen time is written.
const seenEvery = 30 * time.Second

// seen records, at most every seenEvery, that a device was heard from.
func (s *Server) seen(id string) {
	s.seenMu.Lock()
	last := s.seenAt[id]
	now := time.Now()
	if now.Sub(last) < seenEvery {
		s.seenMu.Unlock()
		return
	}
	if s.seenAt == nil {
		s.seenAt = map[string]time.Time{}
	}
	s.seenAt[id] = now
	s.seenMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.Auth.Store.SeenDevice(ctx, id, s.Auth.Now().UTC()); err != nil && queue.ErrorCode(err) != queue.NotFound {
		s.Logger.Warn("device last-seen not recorded", "device", id, "err", err)
	}
}

// clientIP is the peer's address, used only as a rate-limit key in memory.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// failLimiter slows down guessing: after Max failures within Window for a
// key (an account or a client address), attempts are refused until the
// window has passed. It lives in memory: a restart forgets, which only
// helps a guesser once per restart.
type failLimiter struct {
	Max    int
	Window time.Duration
	mu     sync.Mutex
	m      map[string]*failEntry
}

type failEntry struct {
	n     int
	first time.Time
}

// blocked reports whether key is locked out and for how long.
func (l *failLimiter) blocked(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	if e == nil || now.Sub(e.first) >= l.Window {
		return false, 0
	}
	if e.n >= l.Max {
		return true, l.Window - now.Sub(e.first)
	}
	return false, 0
}

func (l *failLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*failEntry{}
	}
	if len(l.m) > 10000 {
		for k, e := range l.m {
			if now.Sub(e.first) >= l.Window {
				delete(l.m, k)
			}
		}
	}
	e := l.m[key]
	if e == nil || now.Sub(e.first) >= l.Window {
		e = &failEntry{first: now}
		l.m[key] = e
	}
	e.n++
}

func (l *failLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

// bucket is a token bucket per key: Rate tokens a minute, at most Burst.
type bucket struct {
	Rate  float64
	Burst float64
	mu    sync.Mutex
	m     map[string]*bucketState
}

type bucketState struct {
	tokens float64
	last   time.Time
}

// take reports whether key may act now.
func (b *bucket) take(key string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*bucketState{}
	}
	st := b.m[key]
	if st == nil {
		st = &bucketState{tokens: b.Burst, last: now}
		b.m[key] = st
	}
	st.tokens = min(b.Burst, st.tokens+now.Sub(st.last).Minutes()*b.Rate)
	st.last = now
	if st.tokens < 1 {
		return false
	}
	st.tokens--
	return true
}

func tooMany(w http.ResponseWriter, wait time.Duration, msg string) error {
	secs := int(wait.Seconds()) + 1
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	return queue.Errorf(queue.TooMany, "%s", msg)
}
