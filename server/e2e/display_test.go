package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wartemarke/internal/browser"
	"wartemarke/server/app"
	"wartemarke/server/queue"
)

// speechStub replaces the browser's speech synthesis before the display's
// scripts run (headless chromium has no voices): German, Arabic and English
// voices that "speak" for 300 ms and record every utterance in
// window.__spoken with its start and end, and whether it began while
// another was still being spoken.
const speechStub = `(() => {
  const spoken = [];
  let speaking = false;
  const voices = [
    { name: "Test Deutsch", lang: "de-DE", localService: true, default: true, voiceURI: "test-de" },
    { name: "Test Arabic", lang: "ar-SA", localService: true, default: false, voiceURI: "test-ar" },
    { name: "Test English", lang: "en-GB", localService: true, default: false, voiceURI: "test-en" },
  ];
  class Utterance {
    constructor(text) { this.text = text; this.lang = ""; this.rate = 1; this.volume = 1; this.onend = null; this.onerror = null; }
  }
  const synth = {
    get speaking() { return speaking; },
    get pending() { return false; },
    getVoices() { return voices; },
    addEventListener() {},
    removeEventListener() {},
    cancel() {},
    speak(u) {
      if (!u.text) { setTimeout(() => u.onend && u.onend({}), 0); return; }
      const rec = { text: u.text, lang: u.lang, start: Date.now(), end: 0, overlap: speaking };
      spoken.push(rec);
      speaking = true;
      setTimeout(() => { speaking = false; rec.end = Date.now(); if (u.onend) u.onend({}); }, 300);
    },
  };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = Utterance;
  window.__spoken = spoken;
})();`

// spoken is one recorded utterance.
type spoken struct {
	Text    string `json:"text"`
	Lang    string `json:"lang"`
	Start   int64  `json:"start"`
	End     int64  `json:"end"`
	Overlap bool   `json:"overlap"`
}

// heldAudio makes the page's AudioContext start suspended, as a browser
// that blocks autoplay does, until resume() is called from a tap.
const heldAudio = `(() => {
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor() { super(); this.held = true; }
    get state() { return this.held ? "suspended" : super.state; }
    async resume() { await super.resume(); this.held = false; this.dispatchEvent(new Event("statechange")); }
  };
})();`

// openDisplay opens the display as a paired device at w×h, with the speech
// stub in place before the page loads, and waits until it is live.
func openDisplay(t *testing.T, b *browser.Browser, r *Running, w, h int64) *browser.Tab {
	t.Helper()
	return openDisplayWith(t, b, r, w, h, speechStub)
}

// openDisplayWith opens the display with init scripts that run before the
// page's own, and waits until it is live.
func openDisplayWith(t *testing.T, b *browser.Browser, r *Running, w, h int64, scripts ...string) *browser.Tab {
	t.Helper()
	return openDisplayAt(t, b, r, r.URL(), w, h, scripts...)
}

// openDisplayAt opens the display at base (the server, or a proxy to it).
func openDisplayAt(t *testing.T, b *browser.Browser, r *Running, base string, w, h int64, scripts ...string) *browser.Tab {
	t.Helper()
	// A first page on the server's origin, so the device cookie is set
	// for it; the scripts are registered before the display loads.
	tab := b.Tab(t, base+"/healthz", w, h, r.DisplayCookie())
	for _, js := range scripts {
		tab.InitScript(js)
	}
	tab.Do(chromedp.Navigate(base + "/display"))
	waitUntil(t, tab, `(() => { const d = window.wartemarkeDisplay; return !!d && d.state.status === "open" && d.model.synced })()`, 5*time.Second)
	return tab
}

// waitUntil waits until the expression is true.
func waitUntil(t *testing.T, tab *browser.Tab, js string, within time.Duration) {
	t.Helper()
	if !tab.Poll(js, within) {
		t.Fatalf("waited %v for %s", within, js)
	}
}

// spokenSoFar reads the recorded utterances.
func spokenSoFar(t *testing.T, tab *browser.Tab) []spoken {
	t.Helper()
	var out []spoken
	if err := json.Unmarshal([]byte(browser.Eval[string](tab, `JSON.stringify(window.__spoken || [])`)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitSpoken waits until n utterances are recorded and returns them.
func waitSpoken(t *testing.T, tab *browser.Tab, n int, within time.Duration) []spoken {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := spokenSoFar(t, tab)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d utterances after %v, want %d: %+v", len(got), within, n, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gongs counts the gongs the display has struck.
func gongs(t *testing.T, tab *browser.Tab) int {
	t.Helper()
	return browser.Eval[int](tab, `window.wartemarkeDisplay.log.filter((e) => e.kind === "gong").length`)
}

// call calls the API with a Bearer token and decodes the ticket.
func (r *Running) call(t *testing.T, token, method, path string, body any) queue.Ticket {
	t.Helper()
	b := r.API(t, token, method, path, body)
	var tk queue.Ticket
	if err := json.Unmarshal(b, &tk); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return tk
}

func (r *Running) draw(t *testing.T, line, lang string) queue.Ticket {
	t.Helper()
	return r.call(t, r.Kiosk, "POST", "/api/v1/tickets", map[string]string{"line": line, "lang": lang})
}

func (r *Running) next(t *testing.T, desk string, lines ...string) queue.Ticket {
	t.Helper()
	return r.call(t, r.Staff, "POST", "/api/v1/desks/"+url.PathEscape(desk)+"/next", map[string][]string{"lines": lines})
}

// recall recalls ticket id as soon as the server allows it.
func (r *Running) recall(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, b := r.Send(t, r.Staff, "POST", "/api/v1/tickets/"+id+"/recall", nil)
		switch {
		case status == http.StatusOK:
			return
		case status == http.StatusConflict && strings.Contains(string(b), "just now") && time.Now().Before(deadline):
			time.Sleep(500 * time.Millisecond)
		default:
			t.Fatalf("recall: %d %s", status, b)
		}
	}
}

// withDesks configures the desks the tests call to, with spoken forms, and
// lets the test's kiosk draw faster than a person could.
func withDesks(c *app.Config) {
	c.Desks = []app.Desk{
		{Label: "Raum 2.14", Spoken: "Raum zwei vierzehn"},
		{Label: "Empore", Spoken: "zur Empore"},
	}
	c.DrawRatePerMinute = 600
}

// TestDisplayCallsSeenAndHeard: a call made through the API is on the
// display within a second; calls made together are announced one after
// another, each after a gong, in German and in the visitor's language where
// a voice exists; a recall is announced again; nothing is said twice.
func TestDisplayCallsSeenAndHeard(t *testing.T) {
	r := MustStartWith(t, withDesks)
	b := browser.New(t)
	tab := openDisplay(t, b, r, 1920, 1080)

	m := r.draw(t, "mbe", "ar")
	r.draw(t, "jmd", "de")
	r.draw(t, "jmd", "tr") // no Turkish voice: German only
	tab.WaitText("waiting-jmd", "2", 2*time.Second)

	r.next(t, "Raum 2.14", "mbe")
	called := time.Now()
	tab.WaitText("current-mbe", "M-001", time.Second)
	took := time.Since(called)
	if got := tab.WaitText("current-mbe", "Raum 2.14", time.Second); !strings.Contains(got, "NEU") {
		t.Fatalf("a new call is not marked new: %q", got)
	}
	t.Logf("the display showed the call %v after the API answered", took.Round(time.Millisecond))

	// Two calls at once, right after the first.
	r.next(t, "Empore", "jmd")
	r.next(t, "Platz 3", "jmd")
	tab.WaitText("current-jmd", "J-002", time.Second)

	want := []spoken{
		{Text: "Nummer M 1, bitte zu Raum zwei vierzehn.", Lang: "de-DE"},
		{Text: "الرقم M 1، يرجى التوجه إلى Raum 2.14.", Lang: "ar-SA"},
		{Text: "Nummer J 1, bitte zur Empore.", Lang: "de-DE"},
		{Text: "Nummer J 2, bitte zu Platz 3.", Lang: "de-DE"},
	}
	got := waitSpoken(t, tab, len(want), 20*time.Second)
	checkSpoken(t, got, want)
	if n := gongs(t, tab); n != 3 {
		t.Fatalf("%d gongs for 3 calls", n)
	}

	// A recall is announced again, in both languages. (The server allows
	// a recall only some seconds after the call.)
	r.recall(t, m.ID)
	want = append(want,
		spoken{Text: "Nummer M 1, bitte zu Raum zwei vierzehn.", Lang: "de-DE"},
		spoken{Text: "الرقم M 1، يرجى التوجه إلى Raum 2.14.", Lang: "ar-SA"},
	)
	got = waitSpoken(t, tab, len(want), 10*time.Second)
	checkSpoken(t, got, want)

	// Nothing more comes: no call is said twice.
	time.Sleep(3 * time.Second)
	if got := spokenSoFar(t, tab); len(got) != len(want) {
		t.Fatalf("%d utterances, want %d: %+v", len(got), len(want), got)
	}
	if n := gongs(t, tab); n != 4 {
		t.Fatalf("%d gongs for 3 calls and a recall", n)
	}
}

// checkSpoken compares the utterances with want, in order, and checks that
// none began before the one before it had ended.
func checkSpoken(t *testing.T, got, want []spoken) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d utterances, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Text != w.Text || got[i].Lang != w.Lang {
			t.Errorf("utterance %d: %q (%s), want %q (%s)", i, got[i].Text, got[i].Lang, w.Text, w.Lang)
		}
		if got[i].Overlap || (i > 0 && got[i].Start < got[i-1].End) {
			t.Errorf("utterance %d began while %d was being spoken", i, i-1)
		}
	}
}

// TestDisplayResumesAfterDrop: the server drops the display's connection
// and a call happens meanwhile that is minutes old by the time the display
// is back: it is shown, but neither announced nor marked new. Then the
// server drops it again, two calls happen meanwhile, and both appear and are
// announced (they are fresh) once the display has reconnected.
func TestDisplayResumesAfterDrop(t *testing.T) {
	var offset atomic.Int64 // added to the service's clock
	r := MustStartWith(t, withDesks, func(a *app.App) {
		a.Service.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	b := browser.New(t)
	tab := openDisplay(t, b, r, 1920, 1080)
	for range 3 {
		r.draw(t, "mbe", "de")
	}
	r.draw(t, "jmd", "ar")
	tab.WaitText("waiting-mbe", "3", 2*time.Second)

	// drop makes the server close every display's connection.
	drop := func() {
		t.Helper()
		if n := r.Hub.CloseWhere(func(string) bool { return true }); n != 1 {
			t.Fatalf("closed %d connections, want the display's", n)
		}
		deadline := time.Now().Add(2 * time.Second)
		for r.Hub.Clients() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the display's connection did not end")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	stillAway := func() {
		t.Helper()
		if n := r.Hub.Clients(); n != 0 {
			t.Fatalf("the display came back before the calls were made (%d connections)", n)
		}
	}

	// A call three minutes old by the time it reaches the display.
	offset.Store(int64(-3 * time.Minute))
	drop()
	r.next(t, "Empore", "mbe")
	stillAway()
	if got := tab.WaitText("current-mbe", "M-001", 5*time.Second); strings.Contains(got, "NEU") {
		t.Fatalf("an old call is marked new: %q", got)
	}
	time.Sleep(3 * time.Second)
	if got := spokenSoFar(t, tab); len(got) != 0 {
		t.Fatalf("an old call was announced: %+v", got)
	}
	if n := gongs(t, tab); n != 0 {
		t.Fatalf("%d gongs for an old call", n)
	}

	// Two fresh calls while the display is away.
	offset.Store(0)
	drop()
	r.next(t, "Raum 2.14", "mbe")
	r.next(t, "Platz 3", "jmd")
	stillAway()
	tab.WaitText("current-mbe", "M-002", 5*time.Second)
	tab.WaitText("current-jmd", "J-001", time.Second)
	got := waitSpoken(t, tab, 3, 15*time.Second)
	checkSpoken(t, got, []spoken{
		{Text: "Nummer M 2, bitte zu Raum zwei vierzehn.", Lang: "de-DE"},
		{Text: "Nummer J 1, bitte zu Platz 3.", Lang: "de-DE"},
		{Text: "الرقم J 1، يرجى التوجه إلى Platz 3.", Lang: "ar-SA"},
	})
	if n := gongs(t, tab); n != 2 {
		t.Fatalf("%d gongs for two calls", n)
	}
	if reconnects := browser.Eval[int](tab, `window.wartemarkeDisplay.log.filter((e) => e.kind === "state" && e.status === "reconnecting").length`); reconnects != 2 {
		t.Fatalf("the display reconnected %d times, want 2", reconnects)
	}
}

// TestDisplayOfflineBanner: while the server is stopped the display keeps
// its page and says clearly that it is not up to date; when the server is
// back, the banner goes and the calls made are shown.
func TestDisplayOfflineBanner(t *testing.T) {
	r := MustStartWith(t, withDesks)
	b := browser.New(t)
	tab := openDisplay(t, b, r, 1920, 1080)
	r.draw(t, "mbe", "de")
	r.draw(t, "mbe", "de")
	r.next(t, "Raum 2.14", "mbe")
	tab.WaitText("current-mbe", "M-001", 2*time.Second)
	if displayVisible(t, tab, "offline") {
		t.Fatal("offline banner while connected")
	}

	addr, cfg := r.Addr().String(), r.Config
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	waitUntil(t, tab, `document.querySelector('[data-testid="offline"]').checkVisibility()`, 10*time.Second)
	t.Logf("offline banner shown %v after the server stopped", time.Since(stopped).Round(100*time.Millisecond))
	tab.WaitText("offline", "Keine Verbindung", time.Second)
	if got := tab.WaitText("current-mbe", "nicht aktuell", time.Second); strings.Contains(got, "NEU") {
		t.Fatalf("stale call still marked new: %q", got)
	}
	tab.Screenshot("display-offline-1920x1080")

	// The server comes back on the same address and data.
	cfg.Addr = addr
	a, err := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	back := &Running{App: a, Kiosk: r.Kiosk, Display: r.Display, Staff: r.Staff}
	back.next(t, "Empore", "mbe")
	// Reconnect attempts back off up to 15 s.
	tab.WaitText("current-mbe", "M-002", 20*time.Second)
	waitUntil(t, tab, `!document.querySelector('[data-testid="offline"]').checkVisibility()`, 2*time.Second)
}

// displayVisible reports whether the element with data-testid id is shown.
func displayVisible(t *testing.T, tab *browser.Tab, id string) bool {
	t.Helper()
	return browser.Eval[bool](tab, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.checkVisibility() })()`, browser.TestID(id)))
}

// TestDisplayScreenshots fills both lines with calls and saves the display
// at the sizes it runs at, checking that nothing spills off the screen and
// that the numbers are large.
func TestDisplayScreenshots(t *testing.T) {
	var offset atomic.Int64 // added to the service's clock
	r := MustStartWith(t, withDesks, func(a *app.App) {
		a.Service.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	for range 9 {
		r.draw(t, "mbe", "de")
	}
	for range 6 {
		r.draw(t, "jmd", "uk")
	}
	// Earlier calls, minutes apart, then a fresh one in MBE; in JMD the
	// last call is a few minutes old.
	for i, d := range []string{"Raum 2.14", "Empore", "Platz 3", "Raum 2.14", "Empore"} {
		offset.Store(int64(time.Duration(i-5) * 4 * time.Minute))
		r.next(t, d, "mbe")
	}
	for i, d := range []string{"Empore", "Platz 3"} {
		offset.Store(int64(time.Duration(i-2) * 3 * time.Minute))
		r.next(t, d, "jmd")
	}
	offset.Store(0)
	r.next(t, "Raum 2.14", "mbe")
	b := browser.New(t)
	for _, size := range []struct{ w, h int64 }{{1920, 1080}, {1280, 720}, {1080, 1920}} {
		name := fmt.Sprintf("display-%dx%d", size.w, size.h)
		t.Run(name, func(t *testing.T) {
			tab := openDisplay(t, b, r, size.w, size.h)
			tab.WaitText("current-mbe", "M-006", 2*time.Second)
			tab.WaitText("current-jmd", "J-002", time.Second)
			tab.WaitText("waiting-mbe", "3", time.Second)
			// Let the highlight's pulse end, as a visitor would mostly see it.
			time.Sleep(5 * time.Second)
			if spill := browser.Eval[bool](tab, `document.documentElement.scrollHeight > innerHeight || document.documentElement.scrollWidth > innerWidth`); spill {
				t.Error("the display does not fit the screen")
			}
			// The current number's height in CSS pixels: from 8 m a TV
			// shows it several centimetres high.
			px := browser.Eval[float64](tab, `parseFloat(getComputedStyle(document.querySelector('[data-testid="current-call"] .call-number')).fontSize)`)
			if min := float64(size.h) / 10; size.w > size.h && px < min {
				t.Errorf("call number %.0f px, want at least %.0f", px, min)
			}
			// Earlier calls are listed, whole rows only.
			if n := browser.Eval[int](tab, `[...document.querySelectorAll('[data-testid="recent-mbe"] li')].filter((li) => !li.hidden).length`); n < 2 {
				t.Errorf("%d earlier MBE calls shown, want at least 2", n)
			}
			tab.Screenshot(name)
		})
	}
}

// TestDisplaySoundHeldBack: where the browser blocks autoplay the display
// says so and offers one tap; a call that came meanwhile is shown, and
// announced after the tap while it is fresh.
func TestDisplaySoundHeldBack(t *testing.T) {
	r := MustStartWith(t, withDesks)
	b := browser.New(t)
	tab := openDisplayWith(t, b, r, 1280, 720, speechStub, heldAudio)
	waitUntil(t, tab, `document.querySelector('[data-testid="sound-on"]').checkVisibility()`, 3*time.Second)
	tab.WaitText("status-sound", "Ton ist aus", time.Second)
	r.draw(t, "mbe", "en")
	r.next(t, "Empore", "mbe")
	tab.WaitText("current-mbe", "M-001", time.Second)
	time.Sleep(time.Second)
	if got := spokenSoFar(t, tab); len(got) != 0 || gongs(t, tab) != 0 {
		t.Fatalf("sound while the browser holds it back: %+v", got)
	}
	tab.Screenshot("display-sound-held-1280x720")

	tab.Click("sound-on")
	waitUntil(t, tab, `!document.querySelector('[data-testid="sound-on"]').checkVisibility()`, 2*time.Second)
	got := waitSpoken(t, tab, 2, 10*time.Second)
	checkSpoken(t, got, []spoken{
		{Text: "Nummer M 1, bitte zur Empore.", Lang: "de-DE"},
		{Text: "Number M 1, please go to Empore.", Lang: "en-GB"},
	})
	tab.WaitText("status-sound", "Aufrufe werden angesagt", time.Second)
}

// TestDisplayWithoutVoices: headless chromium has no voices, like a TV
// browser without German speech. The display says speech is off, and a
// call still gets its gong and its highlight.
func TestDisplayWithoutVoices(t *testing.T) {
	r := MustStartWith(t, withDesks)
	b := browser.New(t)
	tab := openDisplayWith(t, b, r, 1920, 1080)
	tab.WaitText("status-sound", "Sprachausgabe nicht verfügbar", 5*time.Second)
	r.draw(t, "jmd", "de")
	r.next(t, "Raum 2.14", "jmd")
	if got := tab.WaitText("current-jmd", "J-001", time.Second); !strings.Contains(got, "NEU") {
		t.Fatalf("the call is not highlighted: %q", got)
	}
	waitUntil(t, tab, `window.wartemarkeDisplay.log.some((e) => e.kind === "gong")`, 5*time.Second)
	waitUntil(t, tab, `window.wartemarkeDisplay.log.some((e) => e.kind === "silent" && e.lang === "de")`, 5*time.Second)
}

// TestDisplayNoticesSilentServer: the network path to the server goes dead
// without closing anything (a cable pulled, a server without power), so the
// websocket still looks open. The display's liveness check notices and
// shows the banner; when the path is back, so are the calls.
func TestDisplayNoticesSilentServer(t *testing.T) {
	r := MustStartWith(t, withDesks)
	p := newBlackhole(t, r.Addr().String())
	b := browser.New(t)
	tab := openDisplayAt(t, b, r, "http://"+p.addr(), 1280, 720, speechStub)
	r.draw(t, "mbe", "de")
	r.draw(t, "mbe", "de")
	r.next(t, "Empore", "mbe")
	tab.WaitText("current-mbe", "M-001", 2*time.Second)

	p.hold(true)
	cut := time.Now()
	// The check runs every 10 s and gives the server 4 s; the banner
	// follows 5 s after the stream was dropped.
	waitUntil(t, tab, `document.querySelector('[data-testid="offline"]').checkVisibility()`, 30*time.Second)
	t.Logf("banner %v after the path went dead", time.Since(cut).Round(100*time.Millisecond))

	r.next(t, "Raum 2.14", "mbe")
	p.hold(false)
	tab.WaitText("current-mbe", "M-002", 20*time.Second)
	waitUntil(t, tab, `!document.querySelector('[data-testid="offline"]').checkVisibility()`, 2*time.Second)
}

// blackhole is a TCP proxy whose path can go dead: while held, nothing
// passes in either direction and nothing is closed.
type blackhole struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	held   bool
}

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackhole{ln: ln, target: target}
	p.cond = sync.NewCond(&p.mu)
	var conns sync.WaitGroup
	var open sync.Map
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			open.Store(c, true)
			conns.Go(func() { p.serve(c, &open) })
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.hold(false)
		open.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		conns.Wait()
	})
	return p
}

func (p *blackhole) addr() string { return p.ln.Addr().String() }

// hold makes the path dead (true) or alive again (false).
func (p *blackhole) hold(on bool) {
	p.mu.Lock()
	p.held = on
	p.mu.Unlock()
	p.cond.Broadcast()
}

// wait blocks while the path is dead.
func (p *blackhole) wait() {
	p.mu.Lock()
	for p.held {
		p.cond.Wait()
	}
	p.mu.Unlock()
}

func (p *blackhole) serve(c net.Conn, open *sync.Map) {
	defer c.Close()
	p.wait()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	open.Store(s, true)
	defer s.Close()
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				p.wait()
				if _, err := dst.Write(buf[:n]); err != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		dst.Close()
		src.Close()
	}
	done := make(chan struct{})
	go func() { pipe(s, c); close(done) }()
	pipe(c, s)
	<-done
}
