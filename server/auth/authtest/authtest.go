// Package authtest is the conformance suite for auth.Store: written once,
// run against every backend.
package authtest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T, open func(t *testing.T) auth.Store) (*auth.Service, *clock) {
	t.Helper()
	st := open(t)
	c := &clock{now: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)}
	svc := auth.NewService(st)
	svc.Now = c.Now
	// The suite checks what the store says; the Service's cache of valid
	// tokens has its own tests (server/auth).
	svc.CacheFor = 0
	return svc, c
}

func wantCode(t *testing.T, err error, code queue.Code) {
	t.Helper()
	if got := queue.ErrorCode(err); got != code {
		t.Fatalf("error code=%q (err=%v), want %q", got, err, code)
	}
}

// Run runs the suite; open returns a fresh, empty store, closed by the
// caller's cleanup.
func Run(t *testing.T, open func(t *testing.T) auth.Store) {
	t.Run("Users", func(t *testing.T) {
		svc, _ := setup(t, open)
		ctx := t.Context()
		u, err := svc.AddUser(ctx, " Berater1 ", auth.RoleCounsellor, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "berater1" || !strings.HasPrefix(u.PasswordHash, "$2") {
			t.Fatalf("user=%+v", u)
		}
		_, err = svc.AddUser(ctx, "berater1", auth.RoleAdmin, "another long one")
		wantCode(t, err, queue.Conflict)
		_, err = svc.AddUser(ctx, "kurz", auth.RoleAdmin, "short")
		wantCode(t, err, queue.Invalid)
		_, err = svc.AddUser(ctx, "x y", auth.RoleAdmin, "long enough pw")
		wantCode(t, err, queue.Invalid)
		_, err = svc.AddUser(ctx, "boss", "king", "long enough pw")
		wantCode(t, err, queue.Invalid)
		if _, err := svc.AddUser(ctx, "admin", auth.RoleAdmin, "long enough pw"); err != nil {
			t.Fatal(err)
		}
		users, err := svc.Store.Users(ctx)
		if err != nil || len(users) != 2 || users[0].Name != "admin" || users[1].Role != auth.RoleCounsellor || users[0].PasswordHash != "" && users[0].PasswordHash == "x" {
			t.Fatalf("users=%+v err=%v", users, err)
		}
		_, err = svc.Store.User(ctx, "nobody")
		wantCode(t, err, queue.NotFound)
	})

	t.Run("SignIn", func(t *testing.T) {
		svc, c := setup(t, open)
		ctx := t.Context()
		svc.AddUser(ctx, "berater1", auth.RoleCounsellor, "correct horse battery")
		for _, tc := range []struct{ name, pw string }{
			{"berater1", "wrong password!"},
			{"nobody", "correct horse battery"},
			{"", ""},
			{"BERATER1 ", "Correct horse battery"},
		} {
			_, _, err := svc.SignIn(ctx, tc.name, tc.pw)
			wantCode(t, err, queue.Unauthorized)
		}
		token, sess, err := svc.SignIn(ctx, "Berater1", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if len(token) < 40 || sess.TokenHash == token || sess.User != "berater1" {
			t.Fatalf("token %q session %+v", token, sess)
		}
		p, err := svc.Identify(ctx, token)
		if err != nil || p.User != "berater1" || p.Role != auth.RoleCounsellor || p.IsAdmin() || !p.IsUser() {
			t.Fatalf("identify=%+v err=%v", p, err)
		}
		_, err = svc.Identify(ctx, token+"x")
		wantCode(t, err, queue.Unauthorized)
		c.Advance(auth.SessionTTL + time.Second)
		_, err = svc.Identify(ctx, token)
		wantCode(t, err, queue.Unauthorized)
	})

	t.Run("SignOutAndPasswordChange", func(t *testing.T) {
		svc, _ := setup(t, open)
		ctx := t.Context()
		svc.AddUser(ctx, "berater1", auth.RoleCounsellor, "correct horse battery")
		a, _, _ := svc.SignIn(ctx, "berater1", "correct horse battery")
		b, _, _ := svc.SignIn(ctx, "berater1", "correct horse battery")
		if err := svc.SignOut(ctx, a); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Identify(ctx, a)
		wantCode(t, err, queue.Unauthorized)
		if _, err := svc.Identify(ctx, b); err != nil {
			t.Fatalf("the other session ended too: %v", err)
		}
		if err := svc.SetPassword(ctx, "berater1", "a brand new password"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Identify(ctx, b)
		wantCode(t, err, queue.Unauthorized)
		if _, _, err := svc.SignIn(ctx, "berater1", "correct horse battery"); queue.ErrorCode(err) != queue.Unauthorized {
			t.Fatalf("old password still works: %v", err)
		}
		c, _, err := svc.SignIn(ctx, "berater1", "a brand new password")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Store.DeleteUser(ctx, "berater1"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Identify(ctx, c)
		wantCode(t, err, queue.Unauthorized)
		wantCode(t, svc.Store.DeleteUser(ctx, "berater1"), queue.NotFound)
	})

	t.Run("Devices", func(t *testing.T) {
		svc, c := setup(t, open)
		ctx := t.Context()
		d, code, err := svc.AddDevice(ctx, auth.Kiosk, "Eingang")
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 9 || code[4] != '-' || d.Active() {
			t.Fatalf("device %+v code %q", d, code)
		}
		_, _, err = svc.AddDevice(ctx, "toaster", "Küche")
		wantCode(t, err, queue.Invalid)
		// Typed by hand: lower case, no dash.
		paired, token, err := svc.Pair(ctx, strings.ToLower(strings.ReplaceAll(code, "-", "")))
		if err != nil {
			t.Fatal(err)
		}
		if paired.ID != d.ID || paired.PairedAt == nil || token == "" {
			t.Fatalf("paired=%+v", paired)
		}
		_, _, err = svc.Pair(ctx, code)
		wantCode(t, err, queue.Unauthorized) // one time only
		p, err := svc.Identify(ctx, token)
		if err != nil || !p.IsDevice(auth.Kiosk) || p.IsDevice(auth.Display) || p.IsUser() {
			t.Fatalf("identify device=%+v err=%v", p, err)
		}
		if err := svc.Store.SeenDevice(ctx, d.ID, c.Now()); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Store.Device(ctx, d.ID)
		if err != nil || got.LastSeen == nil || !got.LastSeen.Equal(c.Now()) {
			t.Fatalf("last seen=%v err=%v", got.LastSeen, err)
		}
		if err := svc.Store.RevokeDevice(ctx, d.ID, c.Now()); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Identify(ctx, token)
		wantCode(t, err, queue.Unauthorized)
		// A fresh code pairs it again, with a new token.
		code2, err := svc.NewPairCode(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, token2, err := svc.Pair(ctx, code2)
		if err != nil || token2 == token {
			t.Fatalf("re-pair: %v", err)
		}
		if _, err := svc.Identify(ctx, token2); err != nil {
			t.Fatal(err)
		}
		wantCode(t, svc.Store.RevokeDevice(ctx, "nope", c.Now()), queue.NotFound)
		list, err := svc.Store.Devices(ctx)
		if err != nil || len(list) != 1 || list[0].Name != "Eingang" {
			t.Fatalf("devices=%+v err=%v", list, err)
		}
	})

	t.Run("PairCodeExpires", func(t *testing.T) {
		svc, c := setup(t, open)
		ctx := t.Context()
		_, code, err := svc.AddDevice(ctx, auth.Display, "Wartebereich")
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(auth.PairTTL + time.Minute)
		_, _, err = svc.Pair(ctx, code)
		wantCode(t, err, queue.Unauthorized)
		_, _, err = svc.Pair(ctx, "nonsense")
		wantCode(t, err, queue.Unauthorized)
	})
}
