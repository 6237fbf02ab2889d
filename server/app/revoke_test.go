package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/server/auth"
)

// TestRevokeCutsWebsocket pairs a display, opens its event stream, revokes
// it through the API and checks that the stream closes at once and a new
// one is refused; a foreign Origin is refused too.
func TestRevokeCutsWebsocket(t *testing.T) {
	a := startApp(t, testConfig(t), nil)
	ctx := context.Background()
	d, code, _ := a.Auth.AddDevice(ctx, auth.Display, "Warteraum")
	_, token, err := a.Auth.Pair(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	a.Auth.AddUser(ctx, "chefin", auth.RoleAdmin, "a long test password")
	admin, _, _ := a.Auth.SignIn(ctx, "chefin", "a long test password")

	wsURL := "ws" + strings.TrimPrefix(a.URL(), "http") + "/api/v1/events"
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	c, _, err := websocket.DefaultDialer.Dial(wsURL, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.ReadMessage(); err != nil { // the snapshot
		t.Fatal(err)
	}
	if _, res, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Authorization": {"Bearer " + token}, "Origin": {"https://evil.example"}}); err == nil || res == nil || res.StatusCode != 403 {
		t.Fatalf("foreign origin: %v %v", res, err)
	}

	req, _ := http.NewRequest("DELETE", a.URL()+"/api/v1/devices/"+d.ID, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("revoke: %v %v", res, err)
	}
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("after revoke the stream ended with %v, want close 1008", err)
	}
	t.Logf("stream closed %v after the revoke answered", time.Since(start).Round(time.Millisecond))
	if _, res, err := websocket.DefaultDialer.Dial(wsURL, hdr); err == nil || res == nil || res.StatusCode != 401 {
		t.Fatalf("revoked display reconnecting: %v %v", res, err)
	}
}

// TestRevokeBesideCutsWebsocket revokes a display in the store directly, as
// the admin command does beside the running service (or another instance
// on the same Redis): the service closes the display's open stream within
// a sweep, and a paired kiosk's stream stays open.
func TestRevokeBesideCutsWebsocket(t *testing.T) {
	a := startApp(t, testConfig(t), nil)
	ctx := context.Background()
	pair := func(kind auth.DeviceKind, name string) (auth.Device, *websocket.Conn) {
		d, code, _ := a.Auth.AddDevice(ctx, kind, name)
		_, token, err := a.Auth.Pair(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		return d, dialEvents(t, a, token)
	}
	display, dc := pair(auth.Display, "Warteraum")
	_, kc := pair(auth.Kiosk, "Eingang")

	if err := a.Auth.Store.RevokeDevice(ctx, display.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	awaitSweepClose(t, dc, "a revoke")
	if n := a.Hub.CountWhere(func(tag string) bool { return strings.HasPrefix(tag, "device:") }); n != 1 {
		t.Fatalf("%d device streams left, want the kiosk's", n)
	}
	kc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, _, err := kc.ReadMessage(); websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatal("the kiosk's stream was closed too")
	}
}

// TestSignOutBesideCutsWebsocket ends a counsellor's session in the store
// directly, as another instance on the same Redis does when she signs out
// there (or an admin removes her account): the service closes the
// console's open stream within a sweep; another counsellor's stays open.
func TestSignOutBesideCutsWebsocket(t *testing.T) {
	a := startApp(t, testConfig(t), nil)
	ctx := context.Background()
	open := func(name string) (auth.Session, *websocket.Conn) {
		if _, err := a.Auth.AddUser(ctx, name, auth.RoleCounsellor, "a long test password"); err != nil {
			t.Fatal(err)
		}
		token, se, err := a.Auth.SignIn(ctx, name, "a long test password")
		if err != nil {
			t.Fatal(err)
		}
		return se, dialEvents(t, a, token)
	}
	anna, ac := open("anna")
	_, bc := open("ben")

	if err := a.Auth.Store.DeleteSession(ctx, anna.TokenHash); err != nil {
		t.Fatal(err)
	}
	awaitSweepClose(t, ac, "a sign-out")
	bc.SetReadDeadline(time.Now().Add(revokeSweepEvery + 500*time.Millisecond))
	if _, _, err := bc.ReadMessage(); websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatal("the other counsellor's stream was closed too")
	}
}

// dialEvents opens an event stream with token and reads its snapshot; the
// stream is closed when the test ends.
func dialEvents(t *testing.T, a *App, token string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.URL(), "http")+"/api/v1/events",
		http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, _, err := c.ReadMessage(); err != nil { // the snapshot
		t.Fatal(err)
	}
	return c
}

// awaitSweepClose reads c until the sweep closes it (1008) and tells how
// long that took; what reached the store beside the service is what.
func awaitSweepClose(t *testing.T, c *websocket.Conn, what string) {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(revokeSweepEvery + 5*time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue // an event or a ping's answer; the close comes later
		}
		if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			t.Fatalf("after %s beside the service the stream ended with %v, want close 1008", what, err)
		}
		break
	}
	t.Logf("stream closed %v after %s", time.Since(start).Round(time.Millisecond), what)
}
