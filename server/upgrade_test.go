package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"wartemarke/internal/browser"
	"wartemarke/server/api"
)

// oldVersion is stamped into the build the upgrade test starts with.
const oldVersion = "0.9.0-before-upgrade"

// buildOldServer compiles this command with an older version stamped in,
// as deploy/build-release.sh stamps a release. The source is the same as
// buildServer's; what the test proves is that a running service hands over
// to another build on the same port and data folder without a visitor or
// a screen noticing more than a moment.
var buildOldServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "wartemarke-old-")
	if err != nil {
		return "", err
	}
	return goBuild(dir, oldVersion)
})

// TestUpgrade restarts the service into a new build in the middle of
// opening hours, as systemd does on an upgrade (SIGTERM, then the new
// binary on the same port and data folder), with two kiosks, a display and
// a console open in chromium. Visitors tap a line at each kiosk while the
// service is down: one early, so that the kiosk's quiet tries run out and
// it shows the no-connection screen (a slow restart), one just before the
// new build starts. Each kiosk tries again with the same Idempotency-Key,
// by itself, and hands out exactly one ticket, the next number. The
// display and the console reconnect by themselves and resume the event
// stream without a gap; the console calls the next ticket and the display
// shows it. A draw whose answer was lost in the restart, sent again with
// its key to the new process, gets the same ticket. No number repeats in
// either line.
func TestUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two versions of the binary and drives chromium")
	}
	b := browser.New(t) // skips without chromium, fails under CI=true
	// Both builds share the compiled packages; their links run side by side.
	go buildOldServer()
	newBin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	oldBin, err := buildOldServer()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()

	dir := t.TempDir()
	addr := freeLoopbackAddr(t)
	metricsToken := "upgrade-test-metrics-token-0123456789"
	tokenFile := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(tokenFile, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--addr", addr, "--metrics-token-file", tokenFile}

	// The office as it was set up with the old build.
	kiosk := deviceToken(t, oldBin, dir, "kiosk", "Eingang")
	upstairs := deviceToken(t, oldBin, dir, "kiosk", "Obergeschoss")
	automat := deviceToken(t, oldBin, dir, "kiosk", "Automat") // an API client: the lost answer below
	display := deviceToken(t, oldBin, dir, "display", "Warteraum")
	adminCommand(t, oldBin, dir, "a long test password\n", "user", "add", "--name", "berater", "--role", "counsellor")

	old := startBinary(t, oldBin, dir, args...)
	url := old.url
	if got := buildVersion(t, url, metricsToken); got != oldVersion {
		t.Fatalf("the old build reports version %q, want %q", got, oldVersion)
	}
	staff := signIn(t, url, "berater", "a long test password")

	// ---- before the upgrade: a normal morning ------------------------------
	disp := b.Tab(t, url+"/display", 1920, 1080, browser.Cookie{Name: api.DeviceCookie, Value: display})
	// Record every message the display's websockets receive, from the
	// first one on: the new document (a reload) runs this before the page.
	if _, err := chromedp.Call(disp.Context(), page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: recordWebSockets}); err != nil {
		t.Fatal(err)
	}
	disp.Do(chromedp.Reload())
	waitJS(t, disp, `window.wartemarkeDisplay && wartemarkeDisplay.state.status === "open" && wartemarkeDisplay.model.synced`, 10*time.Second)

	openKiosk := func(token string) *browser.Tab {
		tab := b.Tab(t, url+"/kiosk", 1080, 1920, browser.Cookie{Name: api.DeviceCookie, Value: token})
		waitJS(t, tab, `document.documentElement.dataset.config === "ready" && document.documentElement.dataset.lines === "ready"`, 10*time.Second)
		browser.Eval[bool](tab, recordKiosk)
		return tab
	}
	kio := openKiosk(kiosk)
	for _, want := range []struct{ line, number string }{{"mbe", "M-001"}, {"jmd", "J-001"}, {"mbe", "M-002"}} {
		kio.Click("lang-de")
		waitScreen(t, kio, "line")
		kio.Click("line-" + want.line)
		waitScreen(t, kio, "ticket")
		kio.WaitText("ticket-number", want.number, 5*time.Second)
		kio.Click("new-ticket")
		waitScreen(t, kio, "lang")
	}

	con := b.Tab(t, url+"/console", 1280, 800, browser.Cookie{Name: api.SessionCookie, Value: staff})
	con.Do(
		chromedp.WaitVisible(chromedp.CSS(browser.TestID("desk-input"))),
		chromedp.Clear(chromedp.CSS(browser.TestID("desk-input"))),
		chromedp.SendKeys(chromedp.CSS(browser.TestID("desk-input")), "Raum 1"),
	)
	// This desk serves MBE only, so Next has one answer.
	browser.Eval[bool](con, `(() => {
		for (const id of ["mbe", "jmd"]) {
			const box = document.querySelector('[data-testid="line-' + id + '"]');
			if (box.checked !== (id === "mbe")) box.click();
		}
		return true })()`)
	con.Click("next")
	con.WaitText("current-number", "M-001", 5*time.Second)
	disp.WaitText("current-mbe", "M-001", 5*time.Second)

	// A draw over plain HTTP whose request reaches the service and is
	// committed, but whose answer is never read: the restart takes it.
	before := waitingNow(t, url)
	lost, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"line":"jmd"}`
	fmt.Fprintf(lost, "POST /api/v1/tickets HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nIdempotency-Key: lost-in-the-restart\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, automat, len(body), body)
	waitFor(t, 5*time.Second, "the lost draw to be committed", func() bool { return waitingNow(t, url)["jmd"] == before["jmd"]+1 })

	// Both kiosks are on the line screen when the service goes away.
	kio2 := openKiosk(upstairs)
	for _, tab := range []*browser.Tab{kio, kio2} {
		tab.Click("lang-de")
		waitScreen(t, tab, "line")
		browser.Eval[bool](tab, `(() => { __draws = []; __screens = []; return true })()`)
	}
	seqBefore := browser.Eval[float64](disp, `wartemarkeDisplay.model.seq`)
	t.Logf("morning set up after %v", time.Since(start).Round(time.Millisecond))
	waitingBefore := waitingNow(t, url)

	// ---- the upgrade: SIGTERM, then the new build on the same port and data --
	stopped := time.Now()
	if err := old.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-old.done:
		if err != nil {
			t.Fatalf("old build after SIGTERM: %v\n%s", err, old.logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("old build still running 15 s after SIGTERM\n%s", old.logs)
	}
	stopTook := time.Since(stopped)
	lost.Close() // the answer, if it was written at all, is never read

	// At the entrance a visitor taps MBE while nothing listens, early
	// enough that the quiet tries run out: the no-connection screen.
	kio.Click("line-mbe")
	waitScreen(t, kio, "problem")
	// Upstairs a visitor taps JMD just before the new build starts.
	kio2.Click("line-jmd")
	waitJS(t, kio2, `__draws.length > 0 && __draws[0].result === "failed"`, 5*time.Second)

	restarted := time.Now()
	cur := startBinary(t, newBin, dir, args...)
	startTook := time.Since(restarted)
	if cur.url != url {
		t.Fatalf("new build listens on %s, want %s", cur.url, url)
	}
	if got := buildVersion(t, url, metricsToken); got == oldVersion || got == "" {
		t.Fatalf("after the upgrade the service reports version %q, want the new build's", got)
	}
	t.Logf("old build stopped %v after SIGTERM; new build ready %v after its start", stopTook.Round(time.Millisecond), startTook.Round(time.Millisecond))

	// ---- each kiosk's pending draw: exactly one ticket, the next number ---
	// Nobody taps again: upstairs the quiet tries reach the new build (or,
	// on a slow start, the kiosk tries again once its stream is back); at
	// the entrance the kiosk tries again once its stream is back.
	upstairsScreens := pendingDraw(t, kio2, "J-003")
	entranceScreens := pendingDraw(t, kio, "M-003")
	if !slices.Contains(entranceScreens, "problem") {
		t.Fatalf("entrance kiosk screens %v: the setup wanted the no-connection screen before the restart", entranceScreens)
	}
	t.Logf("screens during the upgrade: entrance %v, upstairs %v", entranceScreens, upstairsScreens)
	after := waitingNow(t, url)
	if after["mbe"] != waitingBefore["mbe"]+1 || after["jmd"] != waitingBefore["jmd"]+1 {
		t.Fatalf("waiting before the taps %v, after %v: want exactly one more ticket in each line", waitingBefore, after)
	}

	// ---- the lost answer: its key gets the same ticket from the new process
	again, status, err := draw(url, automat, "jmd", "lost-in-the-restart")
	if err != nil || status != http.StatusOK || again.Number != "J-002" {
		t.Fatalf("lost draw sent again: status %d, %+v, %v; want 200 with J-002 (the ticket the old process made)", status, again, err)
	}
	fresh, status, err := draw(url, automat, "jmd", "after-the-upgrade")
	if err != nil || status != http.StatusCreated || fresh.Number != "J-004" {
		t.Fatalf("fresh draw after the upgrade: status %d, %+v, %v; want 201 with J-004", status, fresh, err)
	}

	// ---- the display and the console came back by themselves --------------
	waitJS(t, disp, `wartemarkeDisplay.state.status === "open"`, 10*time.Second)
	waitJS(t, con, `document.querySelector('[data-testid="connection"]').classList.contains("is-ok")`, 10*time.Second)
	// The console still knows what it had called before the restart.
	con.WaitText("current-number", "M-001", 5*time.Second)
	con.Click("done")
	waitJS(t, con, `document.querySelector('[data-testid="current-number"]').innerText.trim() === "–"`, 5*time.Second)
	con.Click("next")
	con.WaitText("current-number", "M-002", 5*time.Second)
	got := disp.WaitText("current-mbe", "M-002", 5*time.Second)
	if !strings.Contains(got, "Raum 1") {
		t.Fatalf("display shows %q after the upgrade, want the desk Raum 1 too", got)
	}
	disp.Screenshot("upgrade-display-after")
	kio.Screenshot("upgrade-kiosk-ticket")

	// The display's stream: one snapshot at first, then every event in
	// order; after the restart it resumed with since and got no snapshot.
	var seen []struct {
		Conn int
		URL  string
		Type string
		Seq  int64
	}
	mustJSON(t, browser.Eval[string](disp, `JSON.stringify(__ws)`), &seen)
	checkStream(t, seen, int64(seqBefore))

	// ---- no number twice, none skipped, in either line -----------------------
	issued, ids := issuedNumbers(t, url, staff)
	want := map[string][]string{"mbe": {"M-001", "M-002", "M-003"}, "jmd": {"J-001", "J-002", "J-003", "J-004"}}
	for line, numbers := range want {
		if !slices.Equal(issued[line], numbers) {
			t.Errorf("line %s issued %v, want %v", line, issued[line], numbers)
		}
	}
	if ids["J-002"] != again.ID {
		t.Errorf("the lost draw's key returned ticket %s, but J-002 was issued as %s", again.ID, ids["J-002"])
	}
	for number, tab := range map[string]*browser.Tab{"M-003": kio, "J-003": kio2} {
		if shown := browser.Eval[string](tab, `document.querySelector('[data-testid="ticket-number"]').dataset.ticketId`); ids[number] != shown {
			t.Errorf("the kiosk shows ticket %s, but %s was issued as %s", shown, number, ids[number])
		}
	}
	t.Logf("upgrade test ran %v (without the builds)", time.Since(start).Round(time.Millisecond))
}

// recordWebSockets wraps the page's WebSocket so that every message each
// connection receives is kept in window.__ws as {conn, url, type, seq}.
const recordWebSockets = `(() => {
	const Real = window.WebSocket;
	let conns = 0;
	window.__ws = [];
	window.WebSocket = class extends Real {
		constructor(url, protocols) {
			super(url, protocols);
			const conn = ++conns;
			this.addEventListener("message", (e) => {
				let m = {};
				try { m = JSON.parse(e.data); } catch {}
				window.__ws.push({conn, url: String(url), type: m.type || "", seq: typeof m.seq === "number" ? m.seq : -1});
			});
		}
	};
})()`

// recordKiosk keeps the kiosk's ticket requests (Idempotency-Key and the
// outcome: a status or "failed") in window.__draws and the screens shown
// in window.__screens.
const recordKiosk = `(() => {
	window.__draws = [];
	window.__screens = [];
	new MutationObserver(() => __screens.push(document.body.dataset.screen))
		.observe(document.body, {attributes: true, attributeFilter: ["data-screen"]});
	const real = window.fetch;
	window.fetch = async (url, init) => {
		if (String(url).endsWith("/api/v1/tickets") && init && init.method === "POST") {
			const rec = {key: init.headers["Idempotency-Key"], result: "pending"};
			__draws.push(rec);
			try {
				const res = await real(url, init);
				rec.result = String(res.status);
				return res;
			} catch (e) {
				rec.result = "failed";
				throw e;
			}
		}
		return real(url, init);
	};
	return true })()`

// pendingDraw waits until the kiosk in tab shows the ticket number after
// a tap made while the service was down, and checks that every request
// for it carried one Idempotency-Key and the last one made the ticket. It
// returns the screens the kiosk showed since the tap.
func pendingDraw(t *testing.T, tab *browser.Tab, number string) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for browser.Eval[string](tab, `document.body.dataset.screen`) != "ticket" {
		if time.Now().After(deadline) {
			t.Fatalf("kiosk shows no ticket 20 s after the restart (%s): screens %s, requests %s", number,
				browser.Eval[string](tab, `JSON.stringify(__screens)`), browser.Eval[string](tab, `JSON.stringify(__draws)`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	tab.WaitText("ticket-number", number, time.Second)
	var draws []struct{ Key, Result string }
	mustJSON(t, browser.Eval[string](tab, `JSON.stringify(__draws)`), &draws)
	if n := len(draws); n < 2 {
		t.Fatalf("kiosk sent %d requests for the tap, want a failed one and a retry: %+v", n, draws)
	}
	for _, d := range draws {
		if d.Key != draws[0].Key {
			t.Fatalf("kiosk retried with a new Idempotency-Key: %+v", draws)
		}
	}
	for i, d := range draws {
		if want := map[bool]string{true: "201", false: "failed"}[i == len(draws)-1]; d.Result != want {
			t.Fatalf("kiosk's try %d got %s, want %s: %+v", i+1, d.Result, want, draws)
		}
	}
	return browser.Eval[[]string](tab, `__screens`)
}

// checkStream checks what the display received: a snapshot on its first
// connection, then events with consecutive seqs across every connection;
// a connection made after seqBefore resumes with since and starts with
// the next event, not a snapshot.
func checkStream(t *testing.T, seen []struct {
	Conn int
	URL  string
	Type string
	Seq  int64
}, seqBefore int64) {
	t.Helper()
	if len(seen) == 0 || seen[0].Type != "snapshot" {
		t.Fatalf("display's first message is not a snapshot: %+v", seen)
	}
	last := seen[0].Seq
	conn := seen[0].Conn
	resumed := false
	for _, m := range seen[1:] {
		if m.Conn != conn {
			conn = m.Conn
			if m.Type == "snapshot" {
				t.Fatalf("display reconnected (%s) and got a snapshot instead of the events after %d", m.URL, last)
			}
			if !strings.HasSuffix(m.URL, fmt.Sprintf("?since=%d", last)) {
				t.Fatalf("display reconnected with %s, want since=%d", m.URL, last)
			}
			if last >= seqBefore {
				resumed = true
			}
		}
		if m.Seq != last+1 {
			t.Fatalf("display got %s seq %d after seq %d: a gap or a repeat", m.Type, m.Seq, last)
		}
		last = m.Seq
	}
	if !resumed {
		t.Fatalf("display's stream was not resumed after the restart: %+v", seen)
	}
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago: both builds must listen on the same one, as after an upgrade.
func freeLoopbackAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// adminCommand runs an admin command of bin on the data folder dir.
func adminCommand(tb testing.TB, bin, dir, stdin string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(bin, append(args, "--data", dir)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// deviceToken pairs a device of kind with bin's admin command and returns
// its token.
func deviceToken(tb testing.TB, bin, dir, kind, name string) string {
	tb.Helper()
	out := adminCommand(tb, bin, dir, "", "device", "add", "--kind", kind, "--name", name, "--token")
	m := regexp.MustCompile(`token: (\S+)`).FindSubmatch(out)
	if m == nil {
		tb.Fatalf("device add printed no token:\n%s", out)
	}
	return string(m[1])
}

// signIn signs name in over the API and returns the session token.
func signIn(tb testing.TB, url, name, password string) string {
	tb.Helper()
	b, _ := json.Marshal(map[string]string{"name": name, "password": password})
	res, err := http.Post(url+"/api/v1/session", "application/json", strings.NewReader(string(b)))
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var s struct{ Token string }
	json.NewDecoder(res.Body).Decode(&s)
	if res.StatusCode != http.StatusOK || s.Token == "" {
		tb.Fatalf("sign in as %s: %d", name, res.StatusCode)
	}
	return s.Token
}

// buildVersion reads the running build's version from /metrics.
func buildVersion(tb testing.TB, url, token string) string {
	tb.Helper()
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: %d %s", res.StatusCode, b)
	}
	m := regexp.MustCompile(`wartemarke_build_info\{[^}]*version="([^"]*)"`).FindSubmatch(b)
	if m == nil {
		tb.Fatalf("/metrics has no wartemarke_build_info with a version")
	}
	return string(m[1])
}

// waitingNow is how many tickets wait per line, from GET /api/v1/lines.
func waitingNow(tb testing.TB, url string) map[string]int {
	tb.Helper()
	res, err := http.Get(url + "/api/v1/lines")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var lines []struct {
		ID      string `json:"id"`
		Waiting int    `json:"waiting"`
	}
	if err := json.NewDecoder(res.Body).Decode(&lines); err != nil {
		tb.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range lines {
		out[l.ID] = l.Waiting
	}
	return out
}

// issuedNumbers reads the whole event log (since=0) over a real websocket
// and returns the numbers of every ticket.issued event per line, in order,
// and each number's ticket id.
func issuedNumbers(tb testing.TB, url, staff string) (map[string][]string, map[string]string) {
	tb.Helper()
	c := dialEvents(tb, url, staff, "?since=0")
	defer c.Close()
	out, ids := map[string][]string{}, map[string]string{}
	for {
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, msg, err := c.ReadMessage()
		if err != nil {
			break // quiet for half a second: the log has been read
		}
		var ev struct {
			Type   string
			Ticket struct {
				ID         string `json:"id"`
				Number     string `json:"number"`
				IssuedLine string `json:"issued_line"`
			}
		}
		if err := json.Unmarshal(msg, &ev); err != nil {
			tb.Fatal(err)
		}
		if ev.Type == "snapshot" {
			tb.Fatal("since=0 got a snapshot: the log from the start is not kept")
		}
		if ev.Type == "ticket.issued" {
			out[ev.Ticket.IssuedLine] = append(out[ev.Ticket.IssuedLine], ev.Ticket.Number)
			if ids[ev.Ticket.Number] != "" {
				tb.Errorf("number %s issued twice", ev.Ticket.Number)
			}
			ids[ev.Ticket.Number] = ev.Ticket.ID
		}
	}
	return out, ids
}

// waitScreen waits until the kiosk shows screen.
func waitScreen(tb testing.TB, tab *browser.Tab, screen string) {
	tb.Helper()
	waitJS(tb, tab, fmt.Sprintf(`document.body.dataset.screen === %q`, screen), 10*time.Second)
}

// waitJS waits until the JS expression is true in tab.
func waitJS(tb testing.TB, tab *browser.Tab, js string, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !browser.Eval[bool](tab, "!!("+js+")") {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", within, js)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor waits until ok, failing with what after within.
func waitFor(tb testing.TB, within time.Duration, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustJSON(tb testing.TB, s string, v any) {
	tb.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		tb.Fatalf("%v: %s", err, s)
	}
}
