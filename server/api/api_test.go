package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"wartemarke/server/api"
	"wartemarke/server/auth"
	"wartemarke/server/queue"
	"wartemarke/server/sqlite"
)

type env struct {
	srv   *httptest.Server
	store *sqlite.Store
	print *recordingPrinter
	auth  *auth.Service
	// kiosk is a paired kiosk's token, staff an admin's session token.
	kiosk, staff string
}

// recordingPrinter remembers which tickets were submitted for printing.
type recordingPrinter struct {
	mu      sync.Mutex
	tickets []queue.Ticket
}

func (p *recordingPrinter) Submit(t queue.Ticket, kiosk string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tickets = append(p.tickets, t)
}

func (p *recordingPrinter) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tickets)
}

// MustServe starts the API over a fresh SQLite store.
func MustServe(tb testing.TB) *env {
	tb.Helper()
	return MustServeWith(tb, nil)
}

func decodeJSON(tb testing.TB, b []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
}

// MustServeWith is MustServe with a change to the server before it starts.
func MustServeWith(tb testing.TB, change func(*api.Server)) *env {
	tb.Helper()
	store, err := sqlite.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	p := &recordingPrinter{}
	svc := queue.NewService(store, queue.DefaultLines())
	svc.MinRecall = 0 // the interval is tested in the conformance suite
	s := &api.Server{
		Svc: svc, Printer: p, Logger: slog.New(slog.DiscardHandler),
		UIs: map[string]fs.FS{"kiosk": fstest.MapFS{
			"index.html": {Data: []byte("<!doctype html><meta charset=utf-8><title>Kiosk</title>")},
			"app.js":     {Data: []byte("export {}")},
		}},
		Auth:     auth.NewService(store),
		DrawRate: 100000,
	}
	if change != nil {
		change(s)
	}
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(func() { srv.Close(); store.Close() })
	e := &env{srv: srv, store: store, print: p, auth: s.Auth}
	e.kiosk = e.device(tb, auth.Kiosk)
	e.staff = e.user(tb, "chefin", auth.RoleAdmin)
	return e
}

// device adds and pairs a device and returns its token.
func (e *env) device(tb testing.TB, kind auth.DeviceKind) string {
	tb.Helper()
	_, code, err := e.auth.AddDevice(context.Background(), kind, "Test "+string(kind))
	if err != nil {
		tb.Fatal(err)
	}
	_, token, err := e.auth.Pair(context.Background(), code)
	if err != nil {
		tb.Fatal(err)
	}
	return token
}

// user adds an account and returns a session token for it.
func (e *env) user(tb testing.TB, name string, role auth.Role) string {
	tb.Helper()
	ctx := context.Background()
	if _, err := e.auth.AddUser(ctx, name, role, "a long test password"); err != nil {
		tb.Fatal(err)
	}
	token, _, err := e.auth.SignIn(ctx, name, "a long test password")
	if err != nil {
		tb.Fatal(err)
	}
	return token
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(tb testing.TB, method, path string, body string, header ...string) response {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	// Unless the test says otherwise, a draw comes from the paired kiosk
	// and everything else from a signed-in admin; "Authorization: none"
	// sends no credentials.
	if strings.HasPrefix(path, "/api/") {
		if method == "POST" && path == "/api/v1/tickets" {
			req.Header.Set("Authorization", "Bearer "+e.kiosk)
		} else {
			req.Header.Set("Authorization", "Bearer "+e.staff)
		}
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if req.Header.Get("Authorization") == "none" {
		req.Header.Del("Authorization")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (r response) ticket(tb testing.TB) queue.Ticket {
	tb.Helper()
	var t queue.Ticket
	if err := json.Unmarshal(r.body, &t); err != nil {
		tb.Fatalf("not a ticket: %s (%v)", r.body, err)
	}
	return t
}

func (r response) errorCode(tb testing.TB) string {
	tb.Helper()
	var e struct{ Error, Code string }
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" {
		tb.Fatalf("not an error body: %s (%v)", r.body, err)
	}
	return e.Code
}

func (e *env) draw(tb testing.TB, line string) queue.Ticket {
	tb.Helper()
	r := e.do(tb, "POST", "/api/v1/tickets", `{"line":"`+line+`"}`)
	if r.status != http.StatusCreated {
		tb.Fatalf("draw %s: status %d: %s", line, r.status, r.body)
	}
	return r.ticket(tb)
}

func TestDrawCallFlow(t *testing.T) {
	e := MustServe(t)
	r := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe","lang":"ar"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("status=%d, want 201: %s", r.status, r.body)
	}
	var raw map[string]any
	json.Unmarshal(r.body, &raw)
	for _, k := range []string{"id", "number", "line", "lang", "status", "issued_at", "ahead", "recalls"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("ticket JSON lacks %q: %s", k, r.body)
		}
	}
	if _, ok := raw["token"]; ok {
		t.Errorf("ticket JSON shows the status token: %s", r.body)
	}
	tk := r.ticket(t)
	if tk.Number != "M-001" || tk.Lang != "ar" || tk.Status != queue.StatusWaiting || tk.Ahead == nil || *tk.Ahead != 0 {
		t.Fatalf("ticket=%+v", tk)
	}
	if got, want := r.header.Get("Location"), "/api/v1/tickets/"+tk.ID; got != want {
		t.Errorf("Location=%q, want %q", got, want)
	}
	if e.print.count() != 1 {
		t.Errorf("printer got %d slips, want 1", e.print.count())
	}
	second := e.draw(t, "mbe")
	if second.Number != "M-002" || *second.Ahead != 1 {
		t.Fatalf("second=%+v", second)
	}

	r = e.do(t, "GET", "/api/v1/lines", "")
	var lines []queue.LineState
	if err := json.Unmarshal(r.body, &lines); err != nil || len(lines) != 2 {
		t.Fatalf("lines: %s (%v)", r.body, err)
	}
	if lines[0].ID != "mbe" || lines[0].Prefix != "M" || lines[0].Waiting != 2 || lines[1].Waiting != 0 {
		t.Fatalf("lines=%+v", lines)
	}

	desk := "/api/v1/desks/" + url.PathEscape("Raum 2.14") + "/next"
	r = e.do(t, "POST", desk, `{"lines":["mbe","jmd"]}`)
	if r.status != http.StatusOK {
		t.Fatalf("next: %d %s", r.status, r.body)
	}
	called := r.ticket(t)
	if called.ID != tk.ID || called.Status != queue.StatusCalled || called.Desk != "Raum 2.14" {
		t.Fatalf("called=%+v", called)
	}
	for _, step := range []struct {
		path   string
		body   string
		status int
		want   queue.Status
	}{
		{"/recall", "", 200, queue.StatusCalled},
		{"/recall", "{}", 200, queue.StatusCalled},
		{"/transfer", `{"line":"jmd"}`, 200, queue.StatusWaiting},
	} {
		r = e.do(t, "POST", "/api/v1/tickets/"+tk.ID+step.path, step.body)
		if r.status != step.status || r.ticket(t).Status != step.want {
			t.Fatalf("%s: %d %s", step.path, r.status, r.body)
		}
	}
	got := e.do(t, "GET", "/api/v1/tickets/"+tk.ID, "").ticket(t)
	if got.Line != "jmd" || got.Number != "M-001" || got.Recalls != 2 {
		t.Fatalf("after transfer=%+v", got)
	}
	// The desk's called ticket was transferred, so Next calls from JMD now.
	r = e.do(t, "POST", "/api/v1/desks/A/next", `{"lines":["jmd"]}`)
	if r.status != 200 || r.ticket(t).Number != "M-001" {
		t.Fatalf("next jmd: %d %s", r.status, r.body)
	}
	if r = e.do(t, "POST", "/api/v1/tickets/"+tk.ID+"/done", ""); r.status != 200 {
		t.Fatalf("done: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/v1/tickets/"+tk.ID+"/done", "")
	if r.status != http.StatusConflict || r.errorCode(t) != "conflict" {
		t.Fatalf("second done: %d %s", r.status, r.body)
	}
	if r = e.do(t, "POST", "/api/v1/desks/A/next", `{"lines":["jmd"]}`); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("next on empty line: %d %s", r.status, r.body)
	}
}

func TestBadInput(t *testing.T) {
	e := MustServe(t)
	tk := e.draw(t, "jmd")
	huge := `{"line":"mbe","lang":"` + strings.Repeat("x", 70<<10) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed JSON", "POST", "/api/v1/tickets", `{"line":`, 400, "malformed"},
		{"not JSON", "POST", "/api/v1/tickets", `line=mbe`, 400, "malformed"},
		{"two values", "POST", "/api/v1/tickets", `{"line":"mbe"}{"line":"jmd"}`, 400, "malformed"},
		{"wrong type", "POST", "/api/v1/tickets", `{"line":7}`, 400, "malformed"},
		{"empty body", "POST", "/api/v1/tickets", ``, 400, "malformed"},
		{"unknown line", "POST", "/api/v1/tickets", `{"line":"xyz"}`, 422, "unknown_line"},
		{"no line", "POST", "/api/v1/tickets", `{}`, 422, "unknown_line"},
		{"bad lang", "POST", "/api/v1/tickets", `{"line":"mbe","lang":"<script>"}`, 422, "invalid"},
		{"huge body", "POST", "/api/v1/tickets", huge, 413, "too_large"},
		{"unknown ticket", "GET", "/api/v1/tickets/nope", "", 404, "not_found"},
		{"unknown ticket action", "POST", "/api/v1/tickets/nope/done", "", 404, "not_found"},
		{"unknown action", "POST", "/api/v1/tickets/" + tk.ID + "/explode", "", 404, "no_route"},
		{"waiting ticket done", "POST", "/api/v1/tickets/" + tk.ID + "/done", "", 409, "conflict"},
		{"waiting ticket recall", "POST", "/api/v1/tickets/" + tk.ID + "/recall", "", 409, "conflict"},
		{"transfer same line", "POST", "/api/v1/tickets/" + tk.ID + "/transfer", `{"line":"jmd"}`, 409, "conflict"},
		{"transfer unknown line", "POST", "/api/v1/tickets/" + tk.ID + "/transfer", `{"line":"abc"}`, 422, "unknown_line"},
		{"transfer no body", "POST", "/api/v1/tickets/" + tk.ID + "/transfer", ``, 400, "malformed"},
		{"next unknown line", "POST", "/api/v1/desks/A/next", `{"lines":["abc"]}`, 422, "unknown_line"},
		{"next no lines", "POST", "/api/v1/desks/A/next", `{"lines":[]}`, 422, "invalid"},
		{"next desk too long", "POST", "/api/v1/desks/" + strings.Repeat("ä", 41) + "/next", `{"lines":["mbe"]}`, 422, "invalid"},
		{"next desk blank", "POST", "/api/v1/desks/%20/next", `{"lines":["mbe"]}`, 422, "invalid"},
		{"next malformed", "POST", "/api/v1/desks/A/next", `[`, 400, "malformed"},
		{"unknown API route", "GET", "/api/v1/nothing", "", 404, "no_route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status=%d, want %d: %s", r.status, tc.status, r.body)
			}
			if got := r.errorCode(t); got != tc.code {
				t.Fatalf("code=%q, want %q", got, tc.code)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type=%q", ct)
			}
		})
	}
	// Nothing of the above changed the queue: one ticket, still waiting.
	var lines []queue.LineState
	json.Unmarshal(e.do(t, "GET", "/api/v1/lines", "").body, &lines)
	if lines[0].Waiting != 0 || lines[1].Waiting != 1 {
		t.Fatalf("bad input changed the queue: %+v", lines)
	}
}

func TestIdempotency(t *testing.T) {
	e := MustServe(t)
	key := []string{"Idempotency-Key", "7d3e1f2a-tap-1"}
	first := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe","lang":"uk"}`, key...)
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	// Same meaning, other bytes: still the same request.
	again := e.do(t, "POST", "/api/v1/tickets", `{ "lang":"uk", "line":"mbe" }`, key...)
	if again.status != 200 || again.ticket(t).ID != first.ticket(t).ID {
		t.Fatalf("retry: %d %s", again.status, again.body)
	}
	other := e.do(t, "POST", "/api/v1/tickets", `{"line":"jmd","lang":"uk"}`, key...)
	if other.status != 422 || other.errorCode(t) != "idempotency_mismatch" {
		t.Fatalf("same key, other body: %d %s", other.status, other.body)
	}
	if n := e.print.count(); n != 1 {
		t.Fatalf("printed %d slips for one ticket", n)
	}
	if tk := e.draw(t, "mbe"); tk.Number != "M-002" {
		t.Fatalf("next number=%s, want M-002", tk.Number)
	}
}

// TestConcurrentHTTP draws and calls through HTTP from many goroutines.
func TestConcurrentHTTP(t *testing.T) {
	e := MustServe(t)
	const draws, desks = 200, 8
	numbers := make(chan string, draws)
	var wg sync.WaitGroup
	for range draws {
		wg.Go(func() {
			r := e.do(t, "POST", "/api/v1/tickets", `{"line":"jmd"}`)
			if r.status != 201 {
				t.Errorf("draw: %d %s", r.status, r.body)
				return
			}
			numbers <- r.ticket(t).Number
		})
	}
	wg.Wait()
	close(numbers)
	seen := map[string]bool{}
	for n := range numbers {
		seen[n] = true
	}
	for i := 1; i <= draws; i++ {
		if n := fmt.Sprintf("J-%03d", i); !seen[n] {
			t.Fatalf("number %s missing; got %d distinct", n, len(seen))
		}
	}
	var mu sync.Mutex
	calledBy := map[string]string{}
	for d := range desks {
		wg.Go(func() {
			desk := fmt.Sprintf("Platz %d", d)
			for {
				r := e.do(t, "POST", "/api/v1/desks/"+url.PathEscape(desk)+"/next", `{"lines":["jmd"]}`)
				if r.status == 204 {
					return
				}
				if r.status != 200 {
					t.Errorf("next: %d %s", r.status, r.body)
					return
				}
				tk := r.ticket(t)
				mu.Lock()
				if other, dup := calledBy[tk.ID]; dup {
					t.Errorf("%s called by %s and %s", tk.Number, other, desk)
				}
				calledBy[tk.ID] = desk
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(calledBy) != draws {
		t.Fatalf("called %d tickets, want %d", len(calledBy), draws)
	}
}

func TestHealth(t *testing.T) {
	e := MustServe(t)
	if r := e.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Fatalf("healthz=%d %s", r.status, r.body)
	}
	e.store.Close()
	if r := e.do(t, "GET", "/healthz", ""); r.status != 503 {
		t.Fatalf("healthz with a closed store=%d %s", r.status, r.body)
	}
	r := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`)
	if r.status != 503 || r.errorCode(t) != "unavailable" {
		t.Fatalf("draw with a closed store: %d %s", r.status, r.body)
	}
}

func TestStaticUI(t *testing.T) {
	e := MustServe(t)
	asKiosk := []string{"Authorization", "Bearer " + e.kiosk}
	r := e.do(t, "GET", "/kiosk", "", asKiosk...)
	if r.status != 200 || !bytes.Contains(r.body, []byte("<title>Kiosk")) {
		t.Fatalf("/kiosk: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type=%q", ct)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if r.header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP=%q", csp)
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r := e.do(t, "GET", "/kiosk", "", "If-None-Match", etag, asKiosk[0], asKiosk[1]); r.status != http.StatusNotModified {
		t.Errorf("revalidation=%d, want 304", r.status)
	}
	if r := e.do(t, "GET", "/kiosk/app.js", ""); r.status != 200 || r.header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("app.js: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if r := e.do(t, "GET", "/kiosk/missing.js", ""); r.status != 404 {
		t.Errorf("missing file=%d", r.status)
	}
}

// TestClosedLine draws before, during and after opening hours with an
// injected clock.
func TestClosedLine(t *testing.T) {
	store, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	lines := queue.DefaultLines()
	lines[0].Hours = []string{"wed 09:00-12:00"}
	svc := queue.NewService(store, lines)
	var now time.Time
	svc.Now = func() time.Time { return now }
	s := &api.Server{Svc: svc, Logger: slog.New(slog.DiscardHandler), Auth: auth.NewService(store)}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	e := &env{srv: srv, store: store, print: &recordingPrinter{}, auth: s.Auth}
	e.kiosk = e.device(t, auth.Kiosk)
	e.staff = e.user(t, "berater", auth.RoleCounsellor)
	berlin, _ := time.LoadLocation("Europe/Berlin")

	now = time.Date(2026, 11, 25, 8, 30, 0, 0, berlin)
	r := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`)
	if r.status != 409 || r.errorCode(t) != "closed" {
		t.Fatalf("before opening: %d %s", r.status, r.body)
	}
	if tk := e.draw(t, "jmd"); tk.Number != "J-001" {
		t.Fatalf("a line without hours is always open: %+v", tk)
	}
	var states []queue.LineState
	json.Unmarshal(e.do(t, "GET", "/api/v1/lines", "").body, &states)
	if states[0].Open || states[0].NextOpen == nil || !states[0].NextOpen.Equal(time.Date(2026, 11, 25, 9, 0, 0, 0, berlin)) || !states[1].Open {
		t.Fatalf("lines before opening: %+v", states)
	}

	now = time.Date(2026, 11, 25, 11, 59, 0, 0, berlin)
	key := []string{"Idempotency-Key", "last-minute"}
	first := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`, key...)
	if first.status != 201 {
		t.Fatalf("during opening: %d %s", first.status, first.body)
	}
	// The kiosk's retry of that draw arrives after closing: same ticket.
	now = time.Date(2026, 11, 25, 12, 1, 0, 0, berlin)
	again := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`, key...)
	if again.status != 200 || again.ticket(t).ID != first.ticket(t).ID {
		t.Fatalf("retry after closing: %d %s", again.status, again.body)
	}
	r = e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`, "Idempotency-Key", "too-late")
	if r.status != 409 || r.errorCode(t) != "closed" {
		t.Fatalf("new draw after closing: %d %s", r.status, r.body)
	}
	// Calling goes on after closing: the people inside are still served.
	if r := e.do(t, "POST", "/api/v1/desks/A/next", `{"lines":["mbe"]}`); r.status != 200 {
		t.Fatalf("next after closing: %d %s", r.status, r.body)
	}
}

func TestClientConfig(t *testing.T) {
	store, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := &api.Server{Svc: queue.NewService(store, queue.DefaultLines()), Logger: slog.New(slog.DiscardHandler),
		Client: api.ClientConfig{Office: "Testamt", Languages: []string{"de", "ar"}, Desks: []api.DeskConfig{{Label: "Empore", Spoken: "zur Empore"}}}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/v1/config")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got map[string]any
	json.NewDecoder(res.Body).Decode(&got)
	if got["office"] != "Testamt" || len(got["languages"].([]any)) != 2 || got["desks"].([]any)[0].(map[string]any)["spoken"] != "zur Empore" {
		t.Fatalf("config=%v", got)
	}
}

func TestReprint(t *testing.T) {
	e := MustServeWith(t, func(s *api.Server) { s.Client.Printing = true })
	tk := e.draw(t, "mbe")
	if r := e.do(t, "POST", "/api/v1/tickets/"+tk.ID+"/reprint", ""); r.status != 202 {
		t.Fatalf("reprint: %d %s", r.status, r.body)
	}
	if n := e.print.count(); n != 2 {
		t.Fatalf("printer got %d slips, want the draw's and the reprint", n)
	}
	if r := e.do(t, "POST", "/api/v1/tickets/nope/reprint", ""); r.status != 404 {
		t.Fatalf("reprint of an unknown ticket: %d", r.status)
	}
}

func TestOutOfOrderAndPutBack(t *testing.T) {
	e := MustServe(t)
	a := e.draw(t, "mbe")
	b := e.draw(t, "mbe")
	r := e.do(t, "POST", "/api/v1/tickets/"+b.ID+"/call", `{"desk":"Empore","reason":"appointment"}`)
	if r.status != 200 || r.ticket(t).CallReason != "appointment" || r.ticket(t).Desk != "Empore" {
		t.Fatalf("call out of order: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/tickets/"+a.ID+"/call", `{"desk":"Empore","reason":"because I say so"}`); r.status != 422 {
		t.Fatalf("free-text reason: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/tickets/"+a.ID+"/call", ``); r.status != 400 {
		t.Fatalf("call without body: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/v1/tickets/"+b.ID+"/put-back", `{"at_end":true}`)
	if r.status != 200 || r.ticket(t).Status != queue.StatusWaiting || r.ticket(t).Place <= a.Place {
		t.Fatalf("put back at the end: %d %s", r.status, r.body)
	}
	if got := e.do(t, "POST", "/api/v1/desks/Empore/next", `{"lines":["mbe"]}`).ticket(t); got.ID != a.ID {
		t.Fatalf("next after put-back called %s", got.Number)
	}
	e.do(t, "POST", "/api/v1/tickets/"+a.ID+"/no-show", "")
	if r := e.do(t, "POST", "/api/v1/tickets/"+a.ID+"/reactivate", ""); r.status != 200 || r.ticket(t).Status != queue.StatusWaiting {
		t.Fatalf("reactivate: %d %s", r.status, r.body)
	}
}

func TestStatusLink(t *testing.T) {
	e := MustServe(t)
	r := e.do(t, "POST", "/api/v1/tickets", `{"line":"jmd","lang":"uk"}`)
	var drawn struct {
		ID        string `json:"id"`
		StatusURL string `json:"status_url"`
	}
	decodeJSON(t, r.body, &drawn)
	token, ok := strings.CutPrefix(drawn.StatusURL, e.srv.URL+"/t/")
	if !ok || len(token) < 20 || strings.Contains(token, drawn.ID) {
		t.Fatalf("status_url=%q", drawn.StatusURL)
	}
	get := func(path string) response { return e.do(t, "GET", path, "", "Authorization", "none") }
	r = get("/t/status/" + token)
	var st struct {
		Seq    int64  `json:"seq"`
		Number string `json:"number"`
		Status string `json:"status"`
		Ahead  *int   `json:"ahead"`
		Lang   string `json:"lang"`
		Desk   string `json:"desk"`
	}
	decodeJSON(t, r.body, &st)
	if r.status != 200 || st.Number != "J-001" || st.Status != "waiting" || st.Ahead == nil || st.Lang != "uk" {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatal("the phone page's data sets a cookie")
	}
	// A long poll answers as soon as the ticket is called.
	done := make(chan response, 1)
	go func() { done <- get("/t/status/" + token + "?after=" + strconv.FormatInt(st.Seq, 10)) }()
	time.Sleep(100 * time.Millisecond)
	e.do(t, "POST", "/api/v1/desks/"+url.PathEscape("Raum 2.14")+"/next", `{"lines":["jmd"]}`)
	select {
	case r := <-done:
		decodeJSON(t, r.body, &st)
		if st.Status != "called" || st.Desk != "Raum 2.14" {
			t.Fatalf("after the call: %s", r.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the long poll did not answer the call")
	}
	for _, bad := range []string{"/t/status/nope", "/t/status/" + strings.Repeat("a", 26)} {
		if r := get(bad); r.status != 404 {
			t.Errorf("GET %s: %d", bad, r.status)
		}
	}
}

func TestLineModeByHand(t *testing.T) {
	e := MustServe(t)
	if r := e.do(t, "PUT", "/api/v1/lines/mbe/mode", `{"mode":"closed"}`); r.status != 200 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`); r.status != 409 || r.errorCode(t) != "closed" {
		t.Fatalf("draw on a closed line: %d %s", r.status, r.body)
	}
	var lines []queue.LineState
	decodeJSON(t, e.do(t, "GET", "/api/v1/lines", "").body, &lines)
	if lines[0].Open || lines[0].Mode != "closed" || !lines[1].Open {
		t.Fatalf("lines=%+v", lines)
	}
	if r := e.do(t, "PUT", "/api/v1/lines/mbe/mode", `{"mode":"auto"}`); r.status != 200 {
		t.Fatalf("auto: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/tickets", `{"line":"mbe"}`); r.status != 201 {
		t.Fatalf("draw after auto: %d %s", r.status, r.body)
	}
	for _, bad := range []string{`{"mode":"maybe"}`, `{}`} {
		if r := e.do(t, "PUT", "/api/v1/lines/mbe/mode", bad); r.status != 422 {
			t.Fatalf("mode %s: %d", bad, r.status)
		}
	}
	if r := e.do(t, "PUT", "/api/v1/lines/xyz/mode", `{"mode":"open"}`); r.status != 422 {
		t.Fatalf("unknown line: %d", r.status)
	}
}
