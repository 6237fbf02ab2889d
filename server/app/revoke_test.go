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
