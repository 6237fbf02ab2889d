package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/server/redisstore/redistest"
)

// These tests run the real binary, several instances over one Redis
// (--store redis://…): what one instance changes, every other one serves.

// redisAccess is what the instances of one Redis site ask of their
// clients: a kiosk token for draws, a display token for the event stream,
// a counsellor's session for desks. All are empty while the service checks
// no credentials.
type redisAccess struct {
	env     []string // WARTEMARKE_STORE and WARTEMARKE_SITE
	args    []string // the servers' extra flags
	kiosks  []string
	display string
	user    string // counsellor name; signIn turns it into a session
	pass    string
}

// newRedisAccess prepares site on srv: with the admin command (when the
// binary has one) it adds kiosks, a display and a counsellor to the shared
// store, as an operator would before starting the instances.
func newRedisAccess(t *testing.T, srv *redistest.Server, site string) *redisAccess {
	t.Helper()
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	a := &redisAccess{
		env:  []string{"WARTEMARKE_STORE=" + srv.URL(), "WARTEMARKE_SITE=" + site},
		args: []string{"--store", srv.URL(), "--site", site},
	}
	cmd := func(stdin string, args ...string) ([]byte, error) {
		c := exec.Command(bin, args...)
		c.Env = append(os.Environ(), a.env...)
		c.Dir = t.TempDir() // no ./data of anyone's
		c.Stdin = strings.NewReader(stdin)
		return c.CombinedOutput()
	}
	if _, err := cmd("", "device", "list"); err != nil {
		return a // a service without sign-in: nothing to prepare
	}
	token := regexp.MustCompile(`token: (\S+)`)
	add := func(kind, name string) string {
		out, err := cmd("", "device", "add", "--kind", kind, "--name", name, "--token")
		m := token.FindSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("device add %s: %v\n%s", name, err, out)
		}
		return string(m[1])
	}
	for i := range 4 {
		a.kiosks = append(a.kiosks, add("kiosk", fmt.Sprintf("Kiosk %d", i+1)))
	}
	a.display = add("display", "Wartebereich")
	a.user, a.pass = "berater", "a long test password"
	if out, err := cmd(a.pass+"\n", "user", "add", "--name", a.user, "--role", "counsellor"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	// Load tests draw far faster than one kiosk may.
	a.args = append(a.args, "--draw-rate", "1000000")
	return a
}

// signIn returns a counsellor's session token from the instance at url.
func (a *redisAccess) signIn(t *testing.T, url string) string {
	t.Helper()
	if a.user == "" {
		return ""
	}
	body, _ := json.Marshal(map[string]string{"name": a.user, "password": a.pass})
	status, b := call(t, url, "", "POST", "/api/v1/session", string(body), "")
	var s struct{ Token string }
	json.Unmarshal(b, &s)
	if status != 200 || s.Token == "" {
		t.Fatalf("sign in at %s: %d %s", url, status, b)
	}
	return s.Token
}

func (a *redisAccess) kiosk(i int) string {
	if len(a.kiosks) == 0 {
		return ""
	}
	return a.kiosks[i%len(a.kiosks)]
}

// call makes one API request with an optional bearer token and
// Idempotency-Key, and returns the status and body.
func call(tb testing.TB, base, token, method, path, body, idemKey string) (int, []byte) {
	tb.Helper()
	status, b, err := tryCall(base, token, method, path, body, idemKey)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	return status, b
}

func tryCall(base, token, method, path, body, idemKey string) (int, []byte, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// wsTicket is what the tests read of a ticket.
type wsTicket struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Line   string `json:"line"`
	Desk   string `json:"desk"`
	Status string `json:"status"`
}

// wsMessage is one message of the event stream.
type wsMessage struct {
	Type   string   `json:"type"`
	Seq    int64    `json:"seq"`
	Ticket wsTicket `json:"ticket"`
}

// dialEvents opens the event stream of the instance at base with token (a
// display's or a counsellor's); the test's cleanup closes it.
func dialEvents(tb testing.TB, base, token, query string) *websocket.Conn {
	tb.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	c, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/events"+query, h)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		tb.Fatalf("dial events at %s: %v (status %d)", base, err, status)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func readEvent(t *testing.T, c *websocket.Conn, within time.Duration) wsMessage {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	var m wsMessage
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read event: %v", err)
	}
	return m
}

// startRedisInstances starts n instances of the binary on the site.
func startRedisInstances(t *testing.T, a *redisAccess, n int) []*proc {
	t.Helper()
	out := make([]*proc, n)
	for i := range out {
		out[i] = startServer(t, t.TempDir(), a.args...)
	}
	return out
}

// TestInstancesShareRedis runs two instances on one Redis: a kiosk draws
// on A, a desk calls on B, a display on A shows the call; concurrent draws
// over both number without gaps or repeats; desks over both never share a
// ticket.
func TestInstancesShareRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers and a redis-server")
	}
	srv := redistest.Start(t)
	acc := newRedisAccess(t, srv, srv.Site(t))
	ps := startRedisInstances(t, acc, 2)
	a, b := ps[0].url, ps[1].url
	deskA, deskB := acc.signIn(t, a), acc.signIn(t, b)

	t.Run("DrawOnACallOnBDisplayOnA", func(t *testing.T) {
		ws := dialEvents(t, a, acc.display, "")
		if m := readEvent(t, ws, 5*time.Second); m.Type != "snapshot" {
			t.Fatalf("first message %q, want snapshot", m.Type)
		}
		status, body := call(t, a, acc.kiosk(0), "POST", "/api/v1/tickets", `{"line":"jmd","lang":"uk"}`, "a-1")
		var tk wsTicket
		json.Unmarshal(body, &tk)
		if status != 201 || tk.Number != "J-001" {
			t.Fatalf("draw on A: %d %s", status, body)
		}
		if m := readEvent(t, ws, 2*time.Second); m.Type != "ticket.issued" || m.Ticket.ID != tk.ID {
			t.Fatalf("display on A after the draw on A: %+v", m)
		}
		start := time.Now()
		status, body = call(t, b, deskB, "POST", "/api/v1/desks/Platz%207/next", `{"lines":["jmd"]}`, "")
		if status != 200 {
			t.Fatalf("next on B: %d %s", status, body)
		}
		m := readEvent(t, ws, 2*time.Second)
		if m.Type != "ticket.called" || m.Ticket.ID != tk.ID || m.Ticket.Desk != "Platz 7" {
			t.Fatalf("display on A after the call on B: %+v", m)
		}
		t.Logf("display on A saw the call made on B after %v", time.Since(start))
		// B reads what A wrote, and the other way round.
		status, body = call(t, b, deskB, "GET", "/api/v1/tickets/"+tk.ID, "", "")
		if status != 200 || !strings.Contains(string(body), `"status":"called"`) {
			t.Fatalf("ticket on B: %d %s", status, body)
		}
		status, body = call(t, a, deskA, "POST", "/api/v1/tickets/"+tk.ID+"/done", "", "")
		if status != 200 {
			t.Fatalf("done on A: %d %s", status, body)
		}
		// The kiosk's retry on B of the draw made on A is answered from
		// the shared idempotency key.
		status, body = call(t, b, acc.kiosk(0), "POST", "/api/v1/tickets", `{"line":"jmd","lang":"uk"}`, "a-1")
		if status != 200 || !strings.Contains(string(body), tk.ID) {
			t.Fatalf("retry on B of A's draw: %d %s", status, body)
		}
	})

	t.Run("ConcurrentDraws", func(t *testing.T) {
		const n = 400
		numbers := make([]string, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				base := []string{a, b}[i%2]
				status, body, err := tryCall(base, acc.kiosk(i), "POST", "/api/v1/tickets", `{"line":"mbe"}`, fmt.Sprintf("c-%d", i))
				var tk wsTicket
				json.Unmarshal(body, &tk)
				if err != nil || status != 201 {
					t.Errorf("draw %d on %s: %d %s %v", i, base, status, body, err)
				}
				numbers[i] = tk.Number
			})
		}
		began := time.Now()
		close(start)
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("%d concurrent draws over two instances in %v", n, time.Since(began))
		sort.Strings(numbers) // three digits sort as text up to 999
		for i, got := range numbers {
			if want := fmt.Sprintf("M-%03d", i+1); got != want {
				t.Fatalf("sorted number %d=%q, want %q", i, got, want)
			}
		}
	})

	t.Run("DesksNeverShare", func(t *testing.T) {
		const desks = 8
		called := make([][]wsTicket, desks)
		var wg sync.WaitGroup
		for d := range desks {
			wg.Go(func() {
				base, token := a, deskA
				if d%2 == 1 {
					base, token = b, deskB
				}
				desk := fmt.Sprintf("Platz %d", d+1)
				path := "/api/v1/desks/" + strings.ReplaceAll(desk, " ", "%20") + "/next"
				for range 500 {
					status, body, err := tryCall(base, token, "POST", path, `{"lines":["mbe","jmd"]}`, "")
					if err == nil && status == 204 {
						return
					}
					var tk wsTicket
					json.Unmarshal(body, &tk)
					if err != nil || status != 200 || tk.Desk != desk {
						t.Errorf("next at %s on %s: %d %s %v", desk, base, status, body, err)
						return
					}
					called[d] = append(called[d], tk)
				}
				t.Errorf("%s: more than 500 calls", desk)
			})
		}
		wg.Wait()
		seen := map[string]string{}
		for d, ts := range called {
			for _, tk := range ts {
				if other, ok := seen[tk.ID]; ok {
					t.Errorf("%s called at Platz %d and at %s", tk.Number, d+1, other)
				}
				seen[tk.ID] = fmt.Sprintf("Platz %d", d+1)
			}
		}
		if got, want := len(seen), 400; got != want {
			t.Errorf("%d tickets called, want %d (every waiting one, once)", got, want)
		}
	})
}

// TestRedisCrashDurability kills the test's redis-server (appendfsync
// always) with SIGKILL in the middle of a stream of draws through an
// instance and starts it again on the same files and port: every draw
// answered 201 is still there, failures during the outage are 503 (never
// a 201 that got lost, never a 500), /healthz is 503 while Redis is down,
// the instance recovers without a restart of its own, and a display that
// stayed connected misses no event.
func TestRedisCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real server and kills a redis-server")
	}
	srv := redistest.Start(t)
	if !srv.Own() {
		t.Skip("kills its redis-server; not with REDIS_URL")
	}
	acc := newRedisAccess(t, srv, srv.Site(t))
	p := startRedisInstances(t, acc, 1)[0]

	ws := dialEvents(t, p.url, acc.display, "")
	snap := readEvent(t, ws, 5*time.Second)
	if snap.Type != "snapshot" {
		t.Fatalf("first message %q, want snapshot", snap.Type)
	}
	// The display's view: every event after the snapshot, in order.
	var (
		wsMu   sync.Mutex
		wsSeqs []int64
		wsErr  error
	)
	go func() {
		for {
			var m wsMessage
			if err := ws.ReadJSON(&m); err != nil {
				wsMu.Lock()
				wsErr = err
				wsMu.Unlock()
				return
			}
			wsMu.Lock()
			wsSeqs = append(wsSeqs, m.Seq)
			wsMu.Unlock()
		}
	}()

	const workers = 4
	var (
		mu       sync.Mutex
		ok       []drawnTicket
		statuses = map[int]int{}
		phase    = "before"
		afterOK  int
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			line := []string{"mbe", "jmd"}[w%2]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d-%d", w, i)
				status, body, err := tryCall(p.url, acc.kiosk(w), "POST", "/api/v1/tickets", `{"line":"`+line+`"}`, key)
				if err != nil {
					t.Errorf("draw %s: %v (the instance must stay up)", key, err)
					return
				}
				mu.Lock()
				statuses[status]++
				switch status {
				case 201:
					var d drawnTicket
					json.Unmarshal(body, &d)
					d.key, d.phase = key, phase
					ok = append(ok, d)
					if phase == "after" {
						afterOK++
					}
				case 503:
				default:
					t.Errorf("draw %s during %s: %d %s", key, phase, status, body)
				}
				mu.Unlock()
				if status == 503 {
					time.Sleep(20 * time.Millisecond) // a kiosk waits before it retries
				}
			}
		})
	}
	waitFor := func(what string, d time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("%s: not within %v", what, d)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	health := func() int {
		status, _, err := tryCall(p.url, "", "GET", "/healthz", "", "")
		if err != nil {
			return 0
		}
		return status
	}
	confirmed := func() int { mu.Lock(); defer mu.Unlock(); return len(ok) }

	waitFor("150 draws before the kill", 20*time.Second, func() bool { return confirmed() >= 150 })
	mu.Lock()
	phase = "outage"
	mu.Unlock()
	srv.Kill(t)
	killed := time.Now()
	waitFor("healthz 503 while Redis is down", 3*time.Second, func() bool { return health() == 503 })
	t.Logf("healthz said 503 %v after the kill", time.Since(killed))
	time.Sleep(time.Second) // an outage of a second or so, with kiosks retrying
	downStatuses := func() map[int]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(statuses)
	}()
	srv.Restart(t)
	mu.Lock()
	phase = "after"
	mu.Unlock()
	restarted := time.Now()
	waitFor("draws succeed again", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return afterOK >= 20 })
	t.Logf("draws succeeded again %v after Redis restarted", time.Since(restarted))
	if h := health(); h != 200 {
		t.Errorf("healthz after recovery: %d", h)
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if downStatuses[503] == 0 {
		t.Errorf("no draw failed with 503 during the outage: %v", downStatuses)
	}

	// Every confirmed draw is there, with its number, once.
	staff := acc.signIn(t, p.url)
	seen := map[string]bool{}
	for _, d := range ok {
		if seen[d.Number] {
			t.Fatalf("number %s was given twice", d.Number)
		}
		seen[d.Number] = true
		status, body := call(t, p.url, staff, "GET", "/api/v1/tickets/"+d.ID, "", "")
		var back drawnTicket
		json.Unmarshal(body, &back)
		if status != 200 || back.Number != d.Number {
			t.Fatalf("ticket %s (%s, drawn %s the kill) after Redis restarted: %d %s", d.ID, d.Number, d.phase, status, body)
		}
	}
	// The idempotency keys survived too: a retry answers the same ticket.
	first := ok[0]
	status, body := call(t, p.url, acc.kiosk(0), "POST", "/api/v1/tickets", `{"line":"`+first.Line+`"}`, first.key)
	if status != 200 || !bytes.Contains(body, []byte(first.ID)) {
		t.Fatalf("retry of %s after the restart: %d %s", first.key, status, body)
	}

	// The display that stayed connected has every event, none twice, in
	// order, up to the last one (the hub's pump waited and went on).
	last := int64(0)
	for _, d := range ok {
		last = max(last, d.Place)
	}
	waitFor("the display to catch up", 15*time.Second, func() bool {
		wsMu.Lock()
		defer wsMu.Unlock()
		return wsErr != nil || (len(wsSeqs) > 0 && wsSeqs[len(wsSeqs)-1] >= last)
	})
	wsMu.Lock()
	defer wsMu.Unlock()
	if wsErr != nil {
		t.Fatalf("the display's stream ended: %v", wsErr)
	}
	for i, s := range wsSeqs {
		if want := snap.Seq + int64(i) + 1; s != want {
			t.Fatalf("display event %d: seq %d, want %d (a gap or a repeat)", i, s, want)
		}
	}
	t.Logf("%d draws confirmed (%d after the restart), statuses %v; the display saw events %d..%d without a gap",
		len(ok), afterOK, statuses, snap.Seq+1, wsSeqs[len(wsSeqs)-1])
}

// drawnTicket is a draw the test saw confirmed.
type drawnTicket struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Line   string `json:"line"`
	Place  int64  `json:"place"`
	key    string
	phase  string
}
