package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/server/hub"
	"wartemarke/server/queue"
	"wartemarke/server/sqlite"
)

// msg is any message of the stream: a snapshot or an event.
type msg struct {
	Type    string            `json:"type"`
	Seq     int64             `json:"seq"`
	At      time.Time         `json:"at"`
	Ticket  queue.Ticket      `json:"ticket"`
	Lines   []queue.LineState `json:"lines"`
	Tickets []queue.Ticket    `json:"tickets"`
}

// env is a hub on a real SQLite store behind a real HTTP server.
type env struct {
	hub   *hub.Hub
	svc   *queue.Service
	store *sqlite.Store
	srv   *httptest.Server
	url   string // ws:// URL of the event stream
}

// setup is the optional configuration of an env.
type setup struct {
	opt hub.Options
	// wrap wraps the store the hub reads (not the one the test writes to).
	wrap func(queue.Store) queue.Store
	// handler wraps the hub's handler.
	handler func(http.Handler) http.Handler
	// sndbuf, when set, is the server side's socket send buffer.
	sndbuf int
}

// MustEnv starts a hub and its pump; cleanup closes everything and checks
// that no goroutine outlives the test.
func MustEnv(tb testing.TB, s setup) *env {
	tb.Helper()
	checkLeaks(tb)
	store, err := sqlite.Open(tb.TempDir())
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	svc := queue.NewService(store, queue.DefaultLines())
	hubSvc := svc
	if s.wrap != nil {
		hubSvc = &queue.Service{Store: s.wrap(store), Lines: svc.Lines, Location: svc.Location, Now: svc.Now}
	}
	if s.opt.Logger == nil {
		s.opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := hub.New(hubSvc, s.opt)
	var handler http.Handler = h
	if s.handler != nil {
		handler = s.handler(h)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/events", handler)
	srv := httptest.NewUnstartedServer(mux)
	if s.sndbuf > 0 {
		srv.Listener = sndbufListener{srv.Listener, s.sndbuf}
	}
	srv.Start()

	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- h.Run(ctx) }()
	tb.Cleanup(func() {
		h.Close()
		cancel()
		if err := <-runDone; err != nil {
			tb.Errorf("Run: %v", err)
		}
		srv.Close()
		store.Close()
	})
	return &env{hub: h, svc: svc, store: store, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/events"}
}

// checkLeaks fails the test when, after every other cleanup, more
// goroutines run than before it (after gotify's stream_test).
func checkLeaks(tb testing.TB) {
	tb.Helper()
	before := runtime.NumGoroutine()
	tb.Cleanup(func() {
		if n := waitGoroutines(before, 5*time.Second); n > before {
			buf := make([]byte, 1<<20)
			tb.Errorf("goroutines: %d after the test, %d before\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	})
}

// waitGoroutines polls until at most n goroutines run or d passes, and
// returns the last count.
func waitGoroutines(n int, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		got := runtime.NumGoroutine()
		if got <= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer collects logs written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type sndbufListener struct {
	net.Listener
	size int
}

func (l sndbufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(l.size)
	}
	return c, err
}

// dial connects to the stream with query q ("" or "since=5").
func (e *env) dial(tb testing.TB, q string) *websocket.Conn {
	tb.Helper()
	u := e.url
	if q != "" {
		u += "?" + q
	}
	c, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial %s: %v (status %d)", u, err, status)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// read reads the next message, failing after a few seconds.
func read(tb testing.TB, c *websocket.Conn) msg {
	tb.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := c.ReadMessage()
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		tb.Fatalf("message type=%d, want text", typ)
	}
	var m msg
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
	return m
}

// expectQuiet fails when a message arrives within d.
func expectQuiet(tb testing.TB, c *websocket.Conn, d time.Duration) {
	tb.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	if _, b, err := c.ReadMessage(); err == nil {
		tb.Fatalf("unexpected message %s", b)
	}
}

// MustDraw draws a ticket in line and returns it.
func (e *env) MustDraw(tb testing.TB, line string) queue.Ticket {
	tb.Helper()
	t, _, err := e.svc.Draw(context.Background(), line, "de", "", "")
	if err != nil {
		tb.Fatalf("draw: %v", err)
	}
	return t
}

// MustNext calls the next ticket of line to desk 1.
func (e *env) MustNext(tb testing.TB, line string) queue.Ticket {
	tb.Helper()
	t, err := e.svc.Next(context.Background(), "1", []string{line})
	if err != nil {
		tb.Fatalf("next: %v", err)
	}
	return t
}

func (e *env) lastSeq(tb testing.TB) int64 {
	tb.Helper()
	n, err := e.store.LastSeq(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// waitClients polls until the hub counts n clients.
func (e *env) waitClients(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.hub.Clients() != n {
		if time.Now().After(deadline) {
			tb.Fatalf("clients=%d, want %d", e.hub.Clients(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSnapshotThenEvents(t *testing.T) {
	e := MustEnv(t, setup{})
	e.MustDraw(t, "mbe")
	e.MustDraw(t, "jmd")

	c := e.dial(t, "")
	snap := read(t, c)
	if got, want := snap.Type, "snapshot"; got != want {
		t.Fatalf("type=%q, want %q", got, want)
	}
	if got, want := snap.Seq, int64(2); got != want {
		t.Fatalf("snapshot seq=%d, want %d", got, want)
	}
	if got, want := len(snap.Lines), 2; got != want {
		t.Fatalf("lines=%d, want %d", got, want)
	}
	if got, want := snap.Lines[0].ID, "mbe"; got != want {
		t.Fatalf("first line=%q, want %q", got, want)
	}
	if got, want := snap.Lines[0].Waiting, 1; got != want {
		t.Fatalf("mbe waiting=%d, want %d", got, want)
	}
	if got, want := len(snap.Tickets), 2; got != want {
		t.Fatalf("tickets=%d, want %d", got, want)
	}

	drawn := e.MustDraw(t, "mbe")
	ev := read(t, c)
	if got, want := ev.Seq, snap.Seq+1; got != want {
		t.Fatalf("event seq=%d, want %d", got, want)
	}
	if got, want := ev.Type, string(queue.EventIssued); got != want {
		t.Fatalf("event type=%q, want %q", got, want)
	}
	if got, want := ev.Ticket.Number, drawn.Number; got != want {
		t.Fatalf("event ticket=%q, want %q", got, want)
	}
	e.MustNext(t, "mbe")
	ev = read(t, c)
	if got, want := ev.Seq, snap.Seq+2; got != want {
		t.Fatalf("event seq=%d, want %d", got, want)
	}
	if got, want := ev.Type, string(queue.EventCalled); got != want {
		t.Fatalf("event type=%q, want %q", got, want)
	}
	if got, want := e.hub.Clients(), 1; got != want {
		t.Fatalf("clients=%d, want %d", got, want)
	}
}

func TestSnapshotOfEmptyLog(t *testing.T) {
	e := MustEnv(t, setup{})
	c := e.dial(t, "")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	// An empty day is lists, not nulls: displays iterate over them.
	if got, want := string(b), `"tickets":[]`; !strings.Contains(got, want) {
		t.Fatalf("snapshot %s lacks %s", got, want)
	}
	e.MustDraw(t, "jmd")
	if got, want := read(t, c).Seq, int64(1); got != want {
		t.Fatalf("seq=%d, want %d", got, want)
	}
}

func TestResume(t *testing.T) {
	e := MustEnv(t, setup{})
	e.MustDraw(t, "mbe")

	c := e.dial(t, "")
	snap := read(t, c)
	e.MustDraw(t, "mbe")
	last := read(t, c).Seq
	if got, want := last, snap.Seq+1; got != want {
		t.Fatalf("seq=%d, want %d", got, want)
	}
	c.Close()
	e.waitClients(t, 0)

	// Changes while the display is away.
	e.MustDraw(t, "jmd")
	e.MustNext(t, "mbe")
	e.MustDraw(t, "mbe")

	c = e.dial(t, "since="+strconv.FormatInt(last, 10))
	for i := int64(1); i <= 3; i++ {
		m := read(t, c)
		if m.Type == "snapshot" {
			t.Fatalf("got a snapshot on resume")
		}
		if got, want := m.Seq, last+i; got != want {
			t.Fatalf("seq=%d, want %d", got, want)
		}
	}
	expectQuiet(t, c, 200*time.Millisecond)

	// Live events follow the backlog, once each.
	c = e.dial(t, "since="+strconv.FormatInt(last+3, 10))
	e.MustDraw(t, "jmd")
	if got, want := read(t, c).Seq, last+4; got != want {
		t.Fatalf("seq=%d, want %d", got, want)
	}
	expectQuiet(t, c, 200*time.Millisecond)
}

func TestResumeFallsBackToSnapshot(t *testing.T) {
	e := MustEnv(t, setup{})
	for range 3 {
		e.MustDraw(t, "mbe")
	}
	last := e.lastSeq(t)

	t.Run("ahead", func(t *testing.T) {
		// The display saw seqs this log never had: the store was replaced.
		c := e.dial(t, "since="+strconv.FormatInt(last+100, 10))
		m := read(t, c)
		if got, want := m.Type, "snapshot"; got != want {
			t.Fatalf("type=%q, want %q", got, want)
		}
		if got, want := m.Seq, last; got != want {
			t.Fatalf("seq=%d, want %d", got, want)
		}
	})
	t.Run("current", func(t *testing.T) {
		c := e.dial(t, "since="+strconv.FormatInt(last, 10))
		expectQuiet(t, c, 200*time.Millisecond)
	})
	t.Run("gone", func(t *testing.T) {
		if _, err := e.store.PruneEvents(context.Background(), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		c := e.dial(t, "since=1")
		m := read(t, c)
		if got, want := m.Type, "snapshot"; got != want {
			t.Fatalf("type=%q, want %q", got, want)
		}
		if got, want := m.Seq, last; got != want {
			t.Fatalf("seq=%d, want %d", got, want)
		}
		e.MustDraw(t, "jmd")
		if got, want := read(t, c).Seq, last+1; got != want {
			t.Fatalf("seq=%d, want %d", got, want)
		}
	})
}

func TestBadRequests(t *testing.T) {
	e := MustEnv(t, setup{opt: hub.Options{AllowedOrigins: []string{"https://display.example.org"}}})
	host := strings.TrimPrefix(e.srv.URL, "http://")
	for _, tc := range []struct {
		name   string
		query  string
		origin string
		status int
	}{
		{"since garbage", "since=abc", "", http.StatusBadRequest},
		{"since negative", "since=-1", "", http.StatusBadRequest},
		{"foreign origin", "", "https://evil.example", http.StatusForbidden},
		{"null origin", "", "null", http.StatusForbidden},
		{"foreign port", "", "http://127.0.0.1:1", http.StatusForbidden},
		{"no origin", "", "", http.StatusSwitchingProtocols},
		{"same host", "", "http://" + host, http.StatusSwitchingProtocols},
		{"allowed origin", "", "https://DISPLAY.example.org", http.StatusSwitchingProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := e.url
			if tc.query != "" {
				u += "?" + tc.query
			}
			hdr := http.Header{}
			if tc.origin != "" {
				hdr.Set("Origin", tc.origin)
			}
			c, resp, err := websocket.DefaultDialer.Dial(u, hdr)
			if c != nil {
				c.Close()
			}
			if resp == nil {
				t.Fatalf("dial: %v", err)
			}
			if got, want := resp.StatusCode, tc.status; got != want {
				t.Fatalf("status=%d, want %d (%v)", got, want, err)
			}
			if tc.status >= 400 {
				var body struct{ Error, Code string }
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error == "" || body.Code == "" {
					t.Fatalf("refusal is not a JSON error: %+v (%v)", body, err)
				}
			}
		})
	}
}

func TestCloseSendsGoingAway(t *testing.T) {
	e := MustEnv(t, setup{})
	c := e.dial(t, "")
	read(t, c)
	e.waitClients(t, 1)

	// The display reads as Close runs, so it answers the Close frame and
	// Close need not wait out its grace period.
	readErr := make(chan error, 1)
	go func() {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ReadMessage()
		readErr <- err
	}()
	start := time.Now()
	e.hub.Close()
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("Close took %v", took)
	}
	if err := <-readErr; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("read after Close: %v, want close 1001", err)
	}
	if got, want := e.hub.Clients(), 0; got != want {
		t.Fatalf("clients=%d, want %d", got, want)
	}
	_, resp, err := websocket.DefaultDialer.Dial(e.url, nil)
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after Close: %v, want 503", err)
	}
}

func TestCloseWhere(t *testing.T) {
	e := MustEnv(t, setup{handler: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(hub.WithTag(r.Context(), r.URL.Query().Get("device"))))
		})
	}})
	revoked := e.dial(t, "device=d1")
	kept := e.dial(t, "device=d2")
	read(t, revoked)
	read(t, kept)

	if got, want := e.hub.CloseWhere(func(tag string) bool { return tag == "d1" }), 1; got != want {
		t.Fatalf("closed %d, want %d", got, want)
	}
	e.MustDraw(t, "mbe")
	revoked.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, b, err := revoked.ReadMessage(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("revoked device read %s, %v; want close 1008", b, err)
	}
	if got, want := read(t, kept).Seq, int64(1); got != want {
		t.Fatalf("seq=%d, want %d", got, want)
	}
	e.waitClients(t, 1)
}

// TestStalledClient checks that a display that stops reading is dropped
// without holding up the others, and that its goroutines end. The send
// queue leaves the healthy display some slack: on a starved CPU (the race
// detector on a busy 2-core box) its reader may lag a few events behind.
func TestStalledClient(t *testing.T) {
	logs := &syncBuffer{}
	e := MustEnv(t, setup{opt: hub.Options{SendQueue: 64, Logger: slog.New(slog.NewTextHandler(logs, nil))}, sndbuf: 4096})
	healthy := e.dial(t, "")
	read(t, healthy)
	e.waitClients(t, 1)
	baseline := runtime.NumGoroutine()

	// The stalled display: a small receive buffer, and it never reads.
	d := websocket.Dialer{
		ReadBufferSize: 1024,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(4096)
			}
			return c, err
		},
	}
	stalled, _, err := d.Dial(e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	e.waitClients(t, 2)

	// The healthy display reads concurrently and records each arrival.
	const events = 300
	type arrival struct {
		seq int64
		at  time.Time
	}
	arrivals := make(chan arrival, events)
	readErr := make(chan error, 1)
	go func() {
		healthy.SetReadDeadline(time.Now().Add(30 * time.Second))
		for range events {
			_, b, err := healthy.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			var m msg
			json.Unmarshal(b, &m)
			arrivals <- arrival{m.Seq, time.Now()}
		}
		readErr <- nil
	}()

	var mu sync.Mutex
	committed := map[int64]time.Time{}
	for range events {
		tk := e.MustDraw(t, "mbe")
		mu.Lock()
		committed[tk.Place] = time.Now()
		mu.Unlock()
	}
	if err := <-readErr; err != nil {
		t.Fatalf("healthy display: %v", err)
	}
	close(arrivals)
	var want int64 = 1
	var worst time.Duration
	for a := range arrivals {
		if a.seq != want {
			t.Fatalf("healthy display got seq %d, want %d", a.seq, want)
		}
		want++
		// Place is the seq of the issuing event.
		if lag := a.at.Sub(committed[a.seq]); lag > worst {
			worst = lag
		}
	}
	t.Logf("worst delivery lag to the healthy display: %v", worst)
	if worst > time.Second {
		t.Fatalf("healthy display waited %v for an event", worst)
	}

	// The stalled one was dropped for lagging, long before a write
	// deadline: counted out, and its goroutines gone.
	e.waitClients(t, 1)
	if got, want := logs.String(), "dropped slow clients"; !strings.Contains(got, want) {
		t.Fatalf("logs lack %q:\n%s", want, got)
	}
	if n := waitGoroutines(baseline, 5*time.Second); n > baseline {
		t.Fatalf("goroutines=%d after the drop, want <= %d", n, baseline)
	}
	// What it still has buffered ends without a Close frame: it was cut.
	stalled.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := stalled.ReadMessage()
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("stalled display still connected: %v", err)
		}
		break
	}
}

// TestNoGapsUnderLoad connects displays, fresh and resuming, while tickets
// are being drawn, and checks each sees every seq after its start once.
func TestNoGapsUnderLoad(t *testing.T) {
	e := MustEnv(t, setup{})
	const draws = 120
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range draws {
			if _, _, err := e.svc.Draw(context.Background(), []string{"mbe", "jmd"}[i%2], "de", "", ""); err != nil {
				t.Errorf("draw: %v", err)
				return
			}
			time.Sleep(3 * time.Millisecond) // let displays connect in between

		}
	}()

	var mu sync.Mutex
	var errs []error
	clients := 0
	for i := 0; ; i++ {
		select {
		case <-done:
		default:
			q := ""
			if i%2 == 1 {
				// Resume from a little behind the log.
				if s := e.lastSeq(t) - 3; s >= 0 {
					q = fmt.Sprintf("since=%d", s)
				}
			}
			c := e.dial(t, q)
			clients++
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := follow(c, q, draws); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
			time.Sleep(10 * time.Millisecond)
			continue
		}
		break
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	t.Logf("%d displays followed the log", clients)
}

// follow reads c until seq last, checking that the seqs are contiguous.
func follow(c *websocket.Conn, q string, last int64) error {
	var prev int64 = -1
	if s, ok := strings.CutPrefix(q, "since="); ok {
		prev, _ = strconv.ParseInt(s, 10, 64)
	}
	for prev < last {
		// Per message: on a starved CPU the whole run takes long.
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := c.ReadMessage()
		if err != nil {
			return fmt.Errorf("%q after %d: %w", q, prev, err)
		}
		var m msg
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		switch {
		case m.Type == "snapshot" && prev == -1:
		case m.Type == "snapshot":
			return fmt.Errorf("%q: snapshot after seq %d", q, prev)
		case prev == -1:
			return fmt.Errorf("%q: event %d before the snapshot", q, m.Seq)
		case m.Seq != prev+1:
			return fmt.Errorf("%q: seq %d after %d", q, m.Seq, prev)
		}
		prev = m.Seq
	}
	return nil
}

// flakyStore fails the hub's reads of the log while failing is set.
type flakyStore struct {
	queue.Store
	failing atomic.Bool
	fails   atomic.Int32
}

func (s *flakyStore) EventsAfter(ctx context.Context, after int64, limit int) ([]queue.Event, error) {
	if s.failing.Load() {
		s.fails.Add(1)
		return nil, errors.New("disk on fire")
	}
	return s.Store.EventsAfter(ctx, after, limit)
}

func TestRunSurvivesStoreErrors(t *testing.T) {
	flaky := &flakyStore{}
	e := MustEnv(t, setup{wrap: func(s queue.Store) queue.Store { flaky.Store = s; return flaky }})
	c := e.dial(t, "")
	read(t, c)

	flaky.failing.Store(true)
	e.MustDraw(t, "mbe")
	deadline := time.Now().Add(5 * time.Second)
	for flaky.fails.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the pump did not retry")
		}
		time.Sleep(10 * time.Millisecond)
	}
	flaky.failing.Store(false)
	e.MustDraw(t, "mbe")
	for want := int64(1); want <= 2; want++ {
		if got := read(t, c).Seq; got != want {
			t.Fatalf("seq=%d, want %d", got, want)
		}
	}
}

// TestDisconnectFreesGoroutines checks that displays that go away, by
// closing or by vanishing, leave no goroutine behind.
func TestDisconnectFreesGoroutines(t *testing.T) {
	e := MustEnv(t, setup{})
	// A first display waits until the hub runs, with its writer pool.
	read(t, e.dial(t, ""))
	e.waitClients(t, 1)
	baseline := runtime.NumGoroutine()
	var conns []*websocket.Conn
	for range 20 {
		c := e.dial(t, "")
		read(t, c)
		conns = append(conns, c)
	}
	e.waitClients(t, 21)
	for i, c := range conns {
		if i%2 == 0 {
			// A polite display: Close frame, then the TCP close.
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		}
		c.Close()
	}
	e.waitClients(t, 1)
	// An event after they left reaches only the first.
	e.MustDraw(t, "mbe")
	if n := waitGoroutines(baseline, 5*time.Second); n > baseline {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines=%d after every display left, want <= %d\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// TestResumeAfterForcedDisconnect cuts a display off from the server's side
// again and again while tickets are drawn; resuming with since each time,
// it must see every event exactly once, in order.
func TestResumeAfterForcedDisconnect(t *testing.T) {
	e := MustEnv(t, setup{handler: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(hub.WithTag(r.Context(), "display")))
		})
	}})
	const draws = 60
	drawn := make(chan struct{})
	go func() {
		defer close(drawn)
		for range draws {
			e.MustDraw(t, "mbe")
			time.Sleep(2 * time.Millisecond)
		}
	}()

	seen := map[int64]int{}
	var last int64
	cuts := 0
	q := ""
	for last < draws {
		c := e.dial(t, q)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for n := 0; ; n++ {
			_, b, err := c.ReadMessage()
			if err != nil {
				if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
					t.Fatalf("after seq %d: %v, want the server's close 1008", last, err)
				}
				break
			}
			var m msg
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			switch {
			case m.Type == "snapshot" && q == "":
				last = m.Seq
			case m.Type == "snapshot":
				t.Fatalf("a snapshot when resuming after %d", last)
			case m.Seq != last+1:
				t.Fatalf("seq %d after %d", m.Seq, last)
			default:
				seen[m.Seq]++
				last = m.Seq
			}
			if last >= draws {
				break
			}
			// The server cuts the display off every few messages.
			if n == 3 {
				e.hub.CloseWhere(func(tag string) bool { return tag == "display" })
				cuts++
			}
		}
		c.Close()
		q = "since=" + strconv.FormatInt(last, 10)
	}
	<-drawn
	for seq := int64(1); seq <= draws; seq++ {
		if seen[seq] > 1 {
			t.Errorf("seq %d arrived %d times", seq, seen[seq])
		}
	}
	if cuts < 3 {
		t.Fatalf("only %d forced disconnects; the test did not test much", cuts)
	}
	t.Logf("%d forced disconnects, %d events each seen once", cuts, len(seen))
}

// TestPingsAndSilentDisplays checks the keep-alive: a display that answers
// pings stays, one that does not is dropped after PongWait.
func TestPingsAndSilentDisplays(t *testing.T) {
	e := MustEnv(t, setup{opt: hub.Options{PingPeriod: 100 * time.Millisecond, PongWait: 400 * time.Millisecond}})
	alive := e.dial(t, "")
	read(t, alive)
	pings := make(chan struct{}, 100)
	alive.SetPingHandler(func(data string) error {
		pings <- struct{}{}
		return alive.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	aliveErr := make(chan error, 1)
	go func() {
		alive.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
		_, _, err := alive.ReadMessage()
		aliveErr <- err
	}()

	silent := e.dial(t, "")
	read(t, silent)
	silent.SetPingHandler(func(string) error { return nil }) // never answers
	silentErr := make(chan error, 1)
	go func() {
		silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := silent.ReadMessage(); err != nil {
				silentErr <- err
				return
			}
		}
	}()

	start := time.Now()
	err := <-silentErr
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("silent display still connected after %v", time.Since(start))
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("silent display dropped after %v, want about PongWait", took)
	}
	// The answering display outlived it and is still there.
	if err := <-aliveErr; !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("answering display: %v, want only our own read deadline", err)
	}
	if got := len(pings); got < 5 {
		t.Fatalf("answering display got %d pings in 1.5 s, want one every 100 ms", got)
	}
	e.waitClients(t, 1)
}
