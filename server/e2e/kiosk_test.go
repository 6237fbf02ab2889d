package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
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

// The kiosk's browser tests: a visitor who reads no German draws the right
// ticket; closed lines, printer trouble, a lost answer and a double tap; and
// axe-core on every screen in German, Arabic and Ukrainian, with screenshots.

// allLanguages are the 12 core and the 7 optional kiosk languages.
var allLanguages = []string{"de", "en", "tr", "ro", "bg", "pl", "el", "it", "hr", "uk", "ar", "fa", "ru", "ku", "ps", "ti", "so", "es", "fr"}

// Viewports of the kiosk: the portrait touchscreen and a landscape one.
const (
	portraitW, portraitH   = 1080, 1920
	landscapeW, landscapeH = 1920, 1080
)

// testClock is a settable clock for the service, safe to move while the
// server reads it.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.Set(t)
	return c
}

func (c *testClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *testClock) Now() time.Time  { return time.Unix(0, c.ns.Load()) }

func berlin(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// startApp runs the service like MustStart, with the config changed by
// change and, when clock is not nil, the service's clock injected.
func startApp(tb testing.TB, change func(*app.Config), clock *testClock) *Running {
	tb.Helper()
	return MustStartWith(tb, change, func(a *app.App) {
		if clock != nil {
			a.Service.Now = clock.Now
		}
	})
}

// brokenPrinter points the printer at a folder that cannot be made (a
// regular file is in its way): every slip fails with reason "error".
func brokenPrinter(tb testing.TB) func(*app.Config) {
	return func(c *app.Config) {
		p := filepath.Join(tb.TempDir(), "not-a-folder")
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			tb.Fatal(err)
		}
		c.Printer = "file://" + p
	}
}

// openKiosk opens the kiosk and waits until it knows the config and which
// lines are open.
func openKiosk(tb testing.TB, b *browser.Browser, a *Running, query string, w, h int64) *browser.Tab {
	tb.Helper()
	tab := b.Tab(tb, a.URL()+"/kiosk"+query, w, h, a.KioskCookie())
	waitJS(tb, tab, `document.documentElement.dataset.config === "ready" && document.documentElement.dataset.lines === "ready"`, 10*time.Second)
	return tab
}

// waitJS polls a JS condition until it is true.
func waitJS(tb testing.TB, tab *browser.Tab, cond string, within time.Duration) {
	tb.Helper()
	if !tab.Poll("!!("+cond+")", within) {
		tb.Fatalf("waited %v for %s; screen %q", within, cond, browser.Eval[string](tab, `document.body.dataset.screen || ""`))
	}
}

// waitScreen waits until the kiosk shows screen.
func waitScreen(tb testing.TB, tab *browser.Tab, screen string) {
	tb.Helper()
	waitJS(tb, tab, fmt.Sprintf(`document.body.dataset.screen === %q`, screen), 10*time.Second)
}

// text is the innerText of the element with data-testid id.
func text(tb testing.TB, tab *browser.Tab, id string) string {
	tb.Helper()
	return browser.Eval[string](tab, fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, browser.TestID(id)))
}

// pageLangDir is the lang and dir of <html>.
func pageLangDir(tb testing.TB, tab *browser.Tab) (string, string) {
	tb.Helper()
	v := browser.Eval[[]string](tab, `[document.documentElement.lang, document.documentElement.dir]`)
	return v[0], v[1]
}

func getJSON(tb testing.TB, url string, v any) {
	tb.Helper()
	res, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
}

// apiTicket is what GET /api/v1/tickets/{id} says of the ticket on screen.
type apiTicket struct {
	ID, Number, Line, Lang, Status, Print string
	Estimate                              *struct{ Min, Max int }
}

// shownTicket reads the ticket the kiosk shows and the API's view of it.
func shownTicket(tb testing.TB, a *Running, tab *browser.Tab, numberID string) (shown string, t apiTicket) {
	tb.Helper()
	id := browser.Eval[string](tab, fmt.Sprintf(`document.querySelector(%q).dataset.ticketId || ""`, browser.TestID(numberID)))
	if id == "" {
		tb.Fatal("the kiosk shows no ticket id")
	}
	a.Get(tb, "/api/v1/tickets/"+id, &t)
	return strings.TrimSpace(text(tb, tab, numberID)), t
}

// lineStates is what GET /api/v1/lines says, asked without credentials.
func lineStates(tb testing.TB, a *Running) []queue.LineState {
	tb.Helper()
	var lines []queue.LineState
	getJSON(tb, a.URL()+"/api/v1/lines", &lines)
	return lines
}

// waiting is how many tickets wait in each line, as the API says.
func waiting(tb testing.TB, a *Running) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, l := range lineStates(tb, a) {
		out[l.ID] = l.Waiting
	}
	return out
}

// lineEstimates is the expected wait of a ticket drawn now in each line,
// as GET /api/v1/lines says.
func lineEstimates(tb testing.TB, a *Running) map[string][2]int {
	tb.Helper()
	out := map[string][2]int{}
	for _, l := range lineStates(tb, a) {
		out[l.ID] = [2]int{l.Estimate.Min, l.Estimate.Max}
	}
	return out
}

// waitLineEstimate waits until the line button of line says want (the
// expected wait) and fails with what it says instead.
func waitLineEstimate(tb testing.TB, tab *browser.Tab, line, want string) {
	tb.Helper()
	id := browser.TestID("line-estimate-" + line)
	cond := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.checkVisibility() && e.innerText.includes(%q) })()`, id, want)
	if !tab.Poll(cond, 10*time.Second) {
		tb.Fatalf("line %s says %q of the wait, want %q", line, text(tb, tab, "line-estimate-"+line), want)
	}
}

// fakeVoices gives the page one speech voice for lang and records what it
// is asked to say in window.__spoken (headless chromium has no voices).
func fakeVoices(tb testing.TB, tab *browser.Tab, lang string) {
	tb.Helper()
	browser.Eval[bool](tab, fmt.Sprintf(`(() => {
		window.__spoken = [];
		speechSynthesis.getVoices = () => [{lang: %q, name: "test voice", localService: true}];
		speechSynthesis.speak = (u) => window.__spoken.push({text: u.text, lang: u.lang});
		speechSynthesis.cancel = () => {};
		speechSynthesis.dispatchEvent(new Event("voiceschanged"));
		return true })()`, lang))
}

// TestKioskArabicThreeTaps: a visitor who reads Arabic taps العربية, then
// the MBE choice, and holds a ticket (the third tap, Done, starts over). The
// page is right to left in Arabic, each line says the API's expected wait
// before the draw, the number is the API's, Read aloud speaks it in Arabic.
// The next visitor sees the expected wait grown by that ticket.
func TestKioskArabicThreeTaps(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)
	tab := openKiosk(t, b, a, "", portraitW, portraitH)
	fakeVoices(t, tab, "ar-SA")

	tab.Click("lang-ar") // tap 1
	waitScreen(t, tab, "line")
	if lang, dir := pageLangDir(t, tab); lang != "ar" || dir != "rtl" {
		t.Fatalf("after choosing Arabic the page has lang=%q dir=%q, want ar rtl", lang, dir)
	}
	// Before the draw: the expected wait of each line, as the API has it, in Arabic.
	before := lineEstimates(t, a)
	for _, line := range []string{"jmd", "mbe"} {
		e := before[line]
		if e[1] <= e[0] {
			t.Fatalf("the API gives %s the estimate %v", line, e)
		}
		waitLineEstimate(t, tab, line, fmt.Sprintf("مدة الانتظار المتوقعة: من %d إلى %d دقيقة", e[0], e[1]))
	}
	tab.Click("line-mbe") // tap 2
	waitScreen(t, tab, "ticket")
	shown, got := shownTicket(t, a, tab, "ticket-number")
	if shown != "M-001" || got.Number != shown || got.Line != "mbe" || got.Lang != "ar" || got.Status != "waiting" {
		t.Fatalf("kiosk shows %q; the API holds %+v", shown, got)
	}
	if w := waiting(t, a); w["mbe"] != 1 || w["jmd"] != 0 {
		t.Fatalf("waiting per line = %v, want one MBE ticket", w)
	}
	if ahead := strings.TrimSpace(text(t, tab, "ticket-ahead")); ahead != "0" {
		t.Errorf("people ahead = %q, want 0", ahead)
	}
	// The estimated wait, as the API has it, in Arabic words.
	if got.Estimate == nil {
		t.Error("the API gives the ticket no estimate")
	} else if est := text(t, tab, "ticket-estimate"); !strings.Contains(est, fmt.Sprintf("من %d إلى %d دقيقة", got.Estimate.Min, got.Estimate.Max)) {
		t.Errorf("estimate on screen %q, API %+v", est, *got.Estimate)
	}
	if lang, dir := pageLangDir(t, tab); lang != "ar" || dir != "rtl" {
		t.Fatalf("ticket page has lang=%q dir=%q, want ar rtl", lang, dir)
	}
	if got := text(t, tab, "we-call"); !strings.Contains(got, "سننادي رقمك") {
		t.Errorf("the call note says %q, want it in Arabic", got)
	}
	// The call note is said in German as well.
	if !browser.Eval[bool](tab, `[...document.querySelectorAll('#screen-ticket [lang="de"]')].some(e => e.checkVisibility() && e.innerText.includes("Lautsprecher"))`) {
		t.Error("the ticket screen does not say in German that numbers are called by loudspeaker")
	}

	tab.Click("read-ticket")
	spoken := browser.Eval[[]map[string]string](tab, `window.__spoken`)
	var all []string
	for _, s := range spoken {
		if s["lang"] != "ar-SA" {
			t.Errorf("spoke %q in %q, want ar-SA", s["text"], s["lang"])
		}
		all = append(all, s["text"])
	}
	if said := strings.Join(all, " | "); !strings.Contains(said, "M 1") || !strings.Contains(said, "رقمك") {
		t.Errorf("Read aloud said %q, want the number (M 1) in Arabic", said)
	}

	tab.Click("new-ticket") // tap 3: back to the start, in German again
	waitScreen(t, tab, "lang")
	if lang, dir := pageLangDir(t, tab); lang != "de" || dir != "ltr" {
		t.Fatalf("start screen has lang=%q dir=%q, want de ltr", lang, dir)
	}

	// The next visitor, in German: the lines are asked again, and MBE's
	// expected wait now counts the ticket drawn above.
	tab.Click("lang-de")
	waitScreen(t, tab, "line")
	after := lineEstimates(t, a)
	if after["mbe"][1] <= before["mbe"][1] {
		t.Fatalf("MBE estimate %v with one ticket waiting, %v with none: want it longer", after["mbe"], before["mbe"])
	}
	for _, line := range []string{"jmd", "mbe"} {
		e := after[line]
		waitLineEstimate(t, tab, line, fmt.Sprintf("Geschätzte Wartezeit: %d bis %d Minuten", e[0], e[1]))
	}
}

// TestKioskOneTicketPerTap: a double tap draws one ticket; an answer lost
// on the way back (the server made the ticket, the kiosk never heard) shows
// the no-connection screen, and "try again" gets that same ticket.
func TestKioskOneTicketPerTap(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)
	tab := openKiosk(t, b, a, "", portraitW, portraitH)

	tab.Click("lang-de")
	waitScreen(t, tab, "line")
	browser.Eval[bool](tab, `(() => {
		const b = document.querySelector('[data-testid="line-jmd"]');
		b.click(); b.click();
		return true })()`)
	waitScreen(t, tab, "ticket")
	time.Sleep(300 * time.Millisecond) // a second ticket, if any, would be there by now
	if w := waiting(t, a); w["jmd"] != 1 {
		t.Fatalf("a double tap made %d JMD tickets, want 1", w["jmd"])
	}
	if shown, got := shownTicket(t, a, tab, "ticket-number"); shown != "J-001" || got.Number != "J-001" {
		t.Fatalf("kiosk shows %q, API %q", shown, got.Number)
	}

	tab.Click("new-ticket")
	waitScreen(t, tab, "lang")
	tab.Click("lang-uk")
	waitScreen(t, tab, "line")
	// Every POST reaches the server, but the next window.__lose answers are
	// lost on the way back.
	browser.Eval[bool](tab, `(() => {
		window.__keys = [];
		window.__lose = 3;
		const real = window.fetch;
		window.fetch = async (url, init) => {
			if (String(url).endsWith("/api/v1/tickets") && init && init.method === "POST") {
				window.__keys.push(init.headers["Idempotency-Key"]);
				const res = await real(url, init);
				if (window.__lose > 0) {
					window.__lose--;
					throw new TypeError("Failed to fetch");
				}
				return res;
			}
			return real(url, init);
		};
		return true })()`)
	tab.Click("line-jmd")
	waitScreen(t, tab, "problem")
	if got := text(t, tab, "problem"); !strings.Contains(got, "Немає з’єднання") || !strings.Contains(got, "Keine Verbindung") {
		t.Fatalf("no-connection screen says %q", got)
	}
	shot(t, tab, "kiosk-offline-uk")
	checkAxe(t, tab, "offline-uk")
	tab.Click("retry")
	waitScreen(t, tab, "ticket")
	shown, got := shownTicket(t, a, tab, "ticket-number")
	if shown != "J-002" || got.Number != "J-002" || got.Lang != "uk" {
		t.Fatalf("after the retry the kiosk shows %q, the API %+v; want J-002", shown, got)
	}
	if w := waiting(t, a); w["jmd"] != 2 {
		t.Fatalf("%d JMD tickets wait, want 2: the lost answers made extra tickets", w["jmd"])
	}
	keys := browser.Eval[[]string](tab, `window.__keys`)
	if len(keys) != 4 {
		t.Fatalf("the kiosk sent %d requests, want 3 quiet tries and 1 retry", len(keys))
	}
	for _, k := range keys[1:] {
		if k != keys[0] {
			t.Fatalf("Idempotency-Keys %v: a retry used a new key", keys)
		}
	}

	// Lost again; this visitor gives up (Back) and taps the same line anew:
	// the unanswered request's ticket is handed out, not a second one.
	tab.Click("new-ticket")
	waitScreen(t, tab, "lang")
	tab.Click("lang-uk")
	waitScreen(t, tab, "line")
	browser.Eval[bool](tab, `(() => { window.__keys = []; window.__lose = 3; return true })()`)
	tab.Click("line-jmd")
	waitScreen(t, tab, "problem")
	tab.Click("problem-back")
	waitScreen(t, tab, "lang")
	tab.Click("lang-uk")
	waitScreen(t, tab, "line")
	tab.Click("line-jmd")
	waitScreen(t, tab, "ticket")
	if shown, got := shownTicket(t, a, tab, "ticket-number"); shown != "J-003" || got.Number != "J-003" {
		t.Fatalf("after Back and a new tap the kiosk shows %q (API %q), want J-003", shown, got.Number)
	}
	if w := waiting(t, a); w["jmd"] != 3 {
		t.Fatalf("%d JMD tickets wait, want 3", w["jmd"])
	}
	if keys := browser.Eval[[]string](tab, `window.__keys`); len(keys) != 4 || keys[3] != keys[0] {
		t.Fatalf("Idempotency-Keys %v: the new tap did not reuse the unanswered key", keys)
	}
}

// TestKioskClosed: outside opening hours the kiosk says so in every language
// with the next opening; with one line closed the other still draws; a line
// that closes while the visitor chooses is explained.
func TestKioskClosed(t *testing.T) {
	loc := berlin(t)
	b := browser.New(t)

	// Thursday 11 June 2026, 10:00: both lines open Wednesdays 9–12.
	clock := newTestClock(time.Date(2026, 6, 11, 10, 0, 0, 0, loc))
	closed := startApp(t, func(c *app.Config) {
		for i := range c.Lines {
			c.Lines[i].Hours = []string{"wed 09:00-12:00"}
		}
	}, clock)
	tab := openKiosk(t, b, closed, "", portraitW, portraitH)
	waitScreen(t, tab, "closed")
	if got := text(t, tab, "closed-when"); !strings.Contains(got, "Mittwoch") || !strings.Contains(got, "17.") || !strings.Contains(got, "09:00") {
		t.Fatalf("closed screen says %q, want the next opening Mittwoch, 17. Juni, 09:00", got)
	}
	// The list of every language uses short weekdays and months.
	for code, want := range map[string]string{"ar": "الأربعاء", "uk": "ср", "tr": "Çar", "fa": "09:00", "en": "Wed, Jun 17"} {
		if got := text(t, tab, "closed-"+code); !strings.Contains(got, want) {
			t.Errorf("closed screen in %s says %q, want %q", code, got, want)
		}
	}
	tab.Click("closed-ar")
	if lang, dir := pageLangDir(t, tab); lang != "ar" || dir != "rtl" {
		t.Fatalf("closed screen in Arabic has lang=%q dir=%q", lang, dir)
	}
	if got := text(t, tab, "closed-when"); !strings.Contains(got, "الأربعاء") || !strings.Contains(got, "09:00") {
		t.Fatalf("closed screen in Arabic says %q", got)
	}

	// Wednesday 11:59: MBE open until 12:00, JMD always open.
	clock2 := newTestClock(time.Date(2026, 6, 10, 11, 59, 0, 0, loc))
	half := startApp(t, func(c *app.Config) {
		for i := range c.Lines {
			if c.Lines[i].ID == "mbe" {
				c.Lines[i].Hours = []string{"wed 09:00-12:00"}
			}
		}
	}, clock2)
	tab2 := openKiosk(t, b, half, "", portraitW, portraitH)
	tab2.Click("lang-uk")
	waitScreen(t, tab2, "line")
	// Choosing a language asks which lines are open: let that answer come
	// before the clock moves, or the kiosk learns of the closing first.
	waitJS(t, tab2, `document.documentElement.dataset.lines === "ready"`, 10*time.Second)
	// The clock passes 12:00 while the visitor reads: the tap is refused,
	// and the kiosk says why and when MBE opens again.
	clock2.Set(time.Date(2026, 6, 10, 12, 0, 30, 0, loc))
	tab2.Click("line-mbe")
	waitJS(t, tab2, `!document.querySelector('[data-testid="line-notice"]').hidden`, 10*time.Second)
	if got := text(t, tab2, "line-notice"); !strings.Contains(got, "щойно закрилася") {
		t.Errorf("notice says %q", got)
	}
	if got := text(t, tab2, "line-status-mbe"); !strings.Contains(got, "Зараз зачинено") || !strings.Contains(got, "середа") || !strings.Contains(got, "17") {
		t.Errorf("MBE says %q, want closed until Wednesday 17 June", got)
	}
	if tag := browser.Eval[string](tab2, `document.querySelector('[data-testid="line-mbe"]').tagName`); tag == "BUTTON" {
		t.Error("a closed line is still a button")
	}
	shot(t, tab2, "kiosk-line-half-closed-uk")
	checkAxe(t, tab2, "line-half-closed-uk")
	tab2.Click("line-jmd")
	waitScreen(t, tab2, "ticket")
	if shown, got := shownTicket(t, half, tab2, "ticket-number"); shown != "J-001" || got.Lang != "uk" {
		t.Fatalf("JMD ticket: kiosk %q, API %+v", shown, got)
	}
	if w := waiting(t, half); w["mbe"] != 0 {
		t.Fatalf("%d MBE tickets after closing time", w["mbe"])
	}
}

// TestKioskPrinterTrouble: the slip cannot be printed; the kiosk says the
// number is still valid and shows it even larger.
func TestKioskPrinterTrouble(t *testing.T) {
	a := startApp(t, brokenPrinter(t), nil)
	b := browser.New(t)
	tab := openKiosk(t, b, a, "", portraitW, portraitH)
	tab.Click("lang-ar")
	waitScreen(t, tab, "line")
	tab.Click("line-mbe")
	waitScreen(t, tab, "printfail")
	shown, got := shownTicket(t, a, tab, "printfail-number")
	if shown != "M-001" || got.Number != "M-001" || got.Print != "failed" {
		t.Fatalf("printer trouble shows %q; API %+v", shown, got)
	}
	sizes := browser.Eval[[]float64](tab, `[
		parseFloat(getComputedStyle(document.querySelector('[data-testid="printfail-number"]')).fontSize),
		parseFloat(getComputedStyle(document.querySelector('[data-testid="ticket-number"]')).fontSize)]`)
	if sizes[0] <= sizes[1] {
		t.Errorf("printer-trouble number is %vpx, the ticket screen's %vpx: want it larger", sizes[0], sizes[1])
	}
	if lang, dir := pageLangDir(t, tab); lang != "ar" || dir != "rtl" {
		t.Fatalf("printer trouble page has lang=%q dir=%q", lang, dir)
	}
}

// TestKioskScreensAccessible runs axe-core on every kiosk screen in German,
// Arabic and Ukrainian (no serious or critical violation), checks the idle
// warning, and saves a screenshot of each screen.
func TestKioskScreensAccessible(t *testing.T) {
	loc := berlin(t)
	normal := MustStart(t)
	// The closed kiosk offers all 19 languages: the longest list there is.
	closed := startApp(t, func(c *app.Config) {
		for i := range c.Lines {
			c.Lines[i].Hours = []string{"wed 09:00-12:00"}
		}
		c.Languages = allLanguages
	}, newTestClock(time.Date(2026, 6, 11, 10, 0, 0, 0, loc)))
	noPaper := startApp(t, brokenPrinter(t), nil)
	many := startApp(t, func(c *app.Config) { c.Languages = allLanguages }, nil)
	b := browser.New(t)

	start := time.Now()
	tab := openKiosk(t, b, normal, "", portraitW, portraitH)
	waitScreen(t, tab, "lang")
	shotAndAxe(t, tab, "lang-de")

	closedTab := openKiosk(t, b, closed, "", portraitW, portraitH)
	waitScreen(t, closedTab, "closed")
	shotAndAxe(t, closedTab, "closed-de")

	printTab := openKiosk(t, b, noPaper, "", portraitW, portraitH)
	idleTab := openKiosk(t, b, normal, "?idle=1", portraitW, portraitH)

	for _, lang := range []string{"de", "ar", "uk"} {
		tab.Click("lang-" + lang)
		waitScreen(t, tab, "line")
		shotAndAxe(t, tab, "line-"+lang)
		tab.Click("privacy-line")
		waitJS(t, tab, `!document.getElementById("privacy").hidden`, 5*time.Second)
		if got := text(t, tab, "privacy"); !strings.Contains(got, "Stadt Offenbach") {
			t.Errorf("privacy notice in %s does not name the responsible office: %q", lang, got)
		}
		shotAndAxe(t, tab, "privacy-"+lang)
		tab.Click("privacy-close")
		tab.Click("line-mbe")
		waitScreen(t, tab, "ticket")
		shotAndAxe(t, tab, "ticket-"+lang)
		tab.Click("new-ticket")
		waitScreen(t, tab, "lang")

		if lang != "de" {
			closedTab.Click("closed-" + lang)
			waitJS(t, closedTab, fmt.Sprintf(`document.documentElement.lang === %q`, lang), 5*time.Second)
			shotAndAxe(t, closedTab, "closed-"+lang)
		}

		printTab.Click("lang-" + lang)
		waitScreen(t, printTab, "line")
		printTab.Click("line-mbe")
		waitScreen(t, printTab, "printfail")
		shotAndAxe(t, printTab, "printfail-"+lang)
		printTab.Click("printfail-done")
		waitScreen(t, printTab, "lang")

		// ?idle=1: the warning comes after one quiet second, and still counts
		// down from at least 20 seconds.
		idleTab.Click("lang-" + lang)
		waitJS(t, idleTab, `!document.getElementById("idle").hidden`, 5*time.Second)
		if n := browser.Eval[int](idleTab, `Number(document.getElementById("idle-count").textContent)`); n < 20 {
			t.Errorf("idle warning gives %d seconds, want at least 20", n)
		}
		shotAndAxe(t, idleTab, "idle-"+lang)
		idleTab.Click("idle-continue")
		if got := browser.Eval[string](idleTab, `document.body.dataset.screen`); got != "line" {
			t.Errorf("after Continue the kiosk shows %q, want the line screen still", got)
		}
		idleTab.Click("back")
		waitScreen(t, idleTab, "lang")
	}

	// All 19 languages on the start screen, then a Pashto and a Tigrinya
	// ticket (fonts for every script come from the server).
	manyTab := openKiosk(t, b, many, "", portraitW, portraitH)
	shotAndAxe(t, manyTab, "lang-all")
	for _, lang := range []string{"ps", "ti"} {
		manyTab.Click("lang-" + lang)
		waitScreen(t, manyTab, "line")
		manyTab.Click("line-jmd")
		waitScreen(t, manyTab, "ticket")
		shotAndAxe(t, manyTab, "ticket-"+lang)
		manyTab.Click("new-ticket")
		waitScreen(t, manyTab, "lang")
	}
	wideMany := openKiosk(t, b, many, "", landscapeW, landscapeH)
	shot(t, wideMany, "kiosk-lang-all-landscape")

	// The same screens in landscape, for the eye.
	wide := openKiosk(t, b, normal, "", landscapeW, landscapeH)
	shot(t, wide, "kiosk-lang-landscape")
	wide.Click("lang-ar")
	waitScreen(t, wide, "line")
	shotAndAxe(t, wide, "line-ar-landscape")
	wide.Click("line-jmd")
	waitScreen(t, wide, "ticket")
	shotAndAxe(t, wide, "ticket-ar-landscape")
	wideClosed := openKiosk(t, b, closed, "", landscapeW, landscapeH)
	waitScreen(t, wideClosed, "closed")
	shot(t, wideClosed, "kiosk-closed-de-landscape")
	widePrint := openKiosk(t, b, noPaper, "", landscapeW, landscapeH)
	widePrint.Click("lang-uk")
	waitScreen(t, widePrint, "line")
	widePrint.Click("line-jmd")
	waitScreen(t, widePrint, "printfail")
	shotAndAxe(t, widePrint, "printfail-uk-landscape")
	t.Logf("screens checked in %v", time.Since(start).Round(time.Millisecond))
}

// shotAndAxe saves a screenshot, runs axe-core on what is on screen and
// checks the size and spacing of the touch targets.
func shotAndAxe(tb testing.TB, tab *browser.Tab, name string) {
	tb.Helper()
	shot(tb, tab, "kiosk-"+name)
	checkAxe(tb, tab, name)
	checkTargets(tb, tab, name)
}

// checkTargets: every control that can be touched now is at least 44×44 CSS
// px and at least 8 px away from every other one.
func checkTargets(tb testing.TB, tab *browser.Tab, name string) {
	tb.Helper()
	bad := browser.Eval[[]string](tab, `(() => {
		const els = [...document.querySelectorAll("button, a[href], input, select, [role=button]")]
			.filter(e => e.checkVisibility() && !e.closest("[inert]"));
		const label = (e) => e.dataset.testid || e.id || e.textContent.trim().slice(0, 30);
		const rs = els.map(e => e.getBoundingClientRect());
		const bad = els.length ? [] : ["no control found"];
		rs.forEach((r, i) => {
			if (r.width < 44 || r.height < 44) bad.push(label(els[i]) + " is " + Math.round(r.width) + "×" + Math.round(r.height));
		});
		for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
			const a = rs[i], b = rs[j];
			const gap = Math.max(b.left - a.right, a.left - b.right, b.top - a.bottom, a.top - b.bottom);
			if (gap < 8) bad.push(label(els[i]) + " and " + label(els[j]) + " are " + Math.round(gap) + " px apart");
		}
		return bad })()`)
	for _, b := range bad {
		tb.Errorf("touch targets on %s: %s", name, b)
	}
}

// shot saves what the viewport shows (a full-page capture of a
// right-to-left page comes out shifted in chromium) once the fonts are in.
func shot(tb testing.TB, tab *browser.Tab, name string) {
	tb.Helper()
	browser.Eval[bool](tab, `document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => r(true))))`)
	ctx, cancel := context.WithTimeout(tab.Context(), 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(browser.ArtifactDir(tb), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// axeSource is axe-core's axe.min.js, kept in kiosk-ui/testdata with its licence.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "kiosk-ui", "testdata", "axe.min.js"))
	return string(b), err
})

// checkAxe injects axe-core into the page and fails on any serious or
// critical violation of WCAG 2.x A/AA or axe's best practices.
func checkAxe(tb testing.TB, tab *browser.Tab, name string) {
	tb.Helper()
	if !browser.Eval[bool](tab, `typeof window.axe === "object"`) {
		src, err := axeSource()
		if err != nil {
			tb.Fatalf("axe-core: %v", err)
		}
		browser.Eval[bool](tab, src+"\n;true")
	}
	// Let any screen change settle (focus, fonts) before axe looks.
	browser.Eval[bool](tab, `document.fonts.ready.then(() => true)`)
	res := browser.Eval[string](tab, `axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
		resultTypes: ["violations"],
	}).then(r => JSON.stringify({passes: r.passes.length, all: r.violations.map(v => v.id + ":" + v.impact),
		violations: r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}))}))`)
	var out struct {
		Passes     int
		All        []string
		Violations []struct {
			ID, Impact, Help string
			Nodes            []string
		}
	}
	if err := json.Unmarshal([]byte(res), &out); err != nil {
		tb.Fatalf("axe result: %v", err)
	}
	// A page axe could not read passes nothing: that is not a pass.
	if out.Passes < 10 {
		tb.Fatalf("axe %s: only %d rules passed; did axe see the page?", name, out.Passes)
	}
	if len(out.All) > 0 {
		tb.Logf("axe %s: minor findings %v", name, out.All)
	}
	for _, v := range out.Violations {
		tb.Errorf("axe %s: %s (%s): %s\n  %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}
