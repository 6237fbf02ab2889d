package auth_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
	"wartemarke/server/queue/queuetest"
	"wartemarke/server/sqlite"
)

func newService(t *testing.T) (*auth.Service, *queuetest.Clock) {
	t.Helper()
	auth.BcryptCost = 4
	store, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := queuetest.NewClock(time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC))
	s := auth.NewService(store)
	s.Now = clock.Now
	return s, clock
}

func pairKiosk(t *testing.T, s *auth.Service) (auth.Device, string) {
	t.Helper()
	ctx := context.Background()
	d, code, err := s.AddDevice(ctx, auth.Kiosk, "Eingang")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := s.Pair(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	return d, token
}

func signIn(t *testing.T, s *auth.Service, name string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.AddUser(ctx, name, auth.RoleCounsellor, "a long test password"); err != nil {
		t.Fatal(err)
	}
	token, _, err := s.SignIn(ctx, name, "a long test password")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func refused(t *testing.T, s *auth.Service, token, when string) {
	t.Helper()
	if p, err := s.Identify(context.Background(), token); queue.ErrorCode(err) != queue.Unauthorized {
		t.Fatalf("%s: Identify = %+v, %v; want unauthorized", when, p, err)
	}
}

func accepted(t *testing.T, s *auth.Service, token, when string) auth.Principal {
	t.Helper()
	p, err := s.Identify(context.Background(), token)
	if err != nil {
		t.Fatalf("%s: Identify: %v", when, err)
	}
	return p
}

// TestIdentifyCacheChangesHere: what is changed through the Service takes
// effect on the next request, although the principal was cached.
func TestIdentifyCacheChangesHere(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		token  func(*auth.Service) string
		change func(s *auth.Service, token string) error
	}{
		{"device revoked", func(s *auth.Service) string { _, tok := pairKiosk(t, s); return tok },
			func(s *auth.Service, _ string) error {
				ds, _ := s.Store.Devices(ctx)
				return s.RevokeDevice(ctx, ds[0].ID)
			}},
		{"device given a new pairing code", func(s *auth.Service) string { _, tok := pairKiosk(t, s); return tok },
			func(s *auth.Service, _ string) error {
				ds, _ := s.Store.Devices(ctx)
				_, err := s.NewPairCode(ctx, ds[0].ID)
				return err
			}},
		{"signed out", func(s *auth.Service) string { return signIn(t, s, "berater1") },
			func(s *auth.Service, tok string) error { return s.SignOut(ctx, tok) }},
		{"password changed", func(s *auth.Service) string { return signIn(t, s, "berater1") },
			func(s *auth.Service, _ string) error { return s.SetPassword(ctx, "berater1", "another long password") }},
		{"account removed", func(s *auth.Service) string { return signIn(t, s, "berater1") },
			func(s *auth.Service, _ string) error { return s.RemoveUser(ctx, "berater1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newService(t)
			tok := tt.token(s)
			accepted(t, s, tok, "before")
			accepted(t, s, tok, "cached")
			if err := tt.change(s, tok); err != nil {
				t.Fatal(err)
			}
			refused(t, s, tok, "right after the change")
		})
	}
}

// TestIdentifyCacheChangesElsewhere: a change made beside the Service (the
// command line, another instance) is seen once CacheFor has passed, and a
// session's end is never extended by the cache.
func TestIdentifyCacheChangesElsewhere(t *testing.T) {
	ctx := context.Background()
	s, clock := newService(t)
	d, tok := pairKiosk(t, s)
	if p := accepted(t, s, tok, "before"); p.Device == nil || p.Device.ID != d.ID {
		t.Fatalf("principal %+v, want device %s", p, d.ID)
	}
	if err := s.Store.RevokeDevice(ctx, d.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	accepted(t, s, tok, "within CacheFor")
	clock.Set(clock.Now().Add(s.CacheFor))
	refused(t, s, tok, "after CacheFor")

	// A session ending in one second is cached for one second at most.
	sess := signIn(t, s, "berater1")
	clock.Set(clock.Now().Add(auth.SessionTTL - time.Second))
	accepted(t, s, sess, "a second before the session ends")
	clock.Set(clock.Now().Add(time.Second))
	refused(t, s, sess, "when the session ends")

	// With CacheFor 0 every look-up reads the store.
	s.CacheFor = 0
	_, tok2 := pairKiosk(t, s)
	accepted(t, s, tok2, "uncached")
	ds, _ := s.Store.Devices(ctx)
	for _, x := range ds {
		if x.TokenHash == auth.Hash(tok2) {
			s.Store.RevokeDevice(ctx, x.ID, clock.Now())
		}
	}
	refused(t, s, tok2, "uncached, revoked beside the service")
}

// TestIdentifyRevokeRace: once RevokeDevice has returned, no look-up that
// starts afterwards accepts the token, however look-ups and the revoke
// interleave (run with -race).
func TestIdentifyRevokeRace(t *testing.T) {
	ctx := context.Background()
	for round := range 20 {
		s, _ := newService(t)
		d, tok := pairKiosk(t, s)
		var revoked atomic.Bool
		var wg sync.WaitGroup
		var bad atomic.Int64
		for range 8 {
			wg.Go(func() {
				for range 30 {
					after := revoked.Load()
					_, err := s.Identify(ctx, tok)
					if after && err == nil {
						bad.Add(1)
					}
				}
			})
		}
		if err := s.RevokeDevice(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		revoked.Store(true)
		wg.Wait()
		if bad.Load() > 0 {
			t.Fatalf("round %d: %d look-ups after the revoke accepted the token", round, bad.Load())
		}
	}
}
