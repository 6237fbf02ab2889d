package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wartemarke/internal/browser"
)

// The console's queue rules in a browser: calling a waiting number out of
// order with a reason, putting the current number back (at its place or at
// the end), reactivating a no-show within the grace time, the confirm
// before Next while a number is still called, and a recall too soon.

// consoleRulesTicket is a ticket as the API returns it, in the fields
// these tests look at.
type consoleRulesTicket struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	Line       string `json:"line"`
	Status     string `json:"status"`
	Desk       string `json:"desk"`
	CallReason string `json:"call_reason"`
}

// consoleRulesDraw draws a ticket as the paired kiosk and returns it.
func consoleRulesDraw(tb testing.TB, a *Running, line string) consoleRulesTicket {
	tb.Helper()
	status, b := a.Send(tb, a.Kiosk, "POST", "/api/v1/tickets", map[string]string{"line": line, "lang": "de"})
	if status != http.StatusCreated {
		tb.Fatalf("draw %s: %d %s", line, status, b)
	}
	var tk consoleRulesTicket
	if err := json.Unmarshal(b, &tk); err != nil {
		tb.Fatal(err)
	}
	return tk
}

// consoleRulesGet reads a ticket back from the API.
func consoleRulesGet(tb testing.TB, a *Running, id string) consoleRulesTicket {
	tb.Helper()
	var tk consoleRulesTicket
	a.Get(tb, "/api/v1/tickets/"+id, &tk)
	return tk
}

// consoleRulesPicks is the waiting list's numbers, in order.
func consoleRulesPicks(tb testing.TB, tab *browser.Tab) []string {
	tb.Helper()
	return browser.Eval[[]string](tab, `[...document.querySelectorAll('#picks .pick-num')].map((e) => e.textContent)`)
}

// consoleIdle waits until no request of the console is on its way.
func consoleIdle(tb testing.TB, tab *browser.Tab) {
	tb.Helper()
	consoleWait(tb, tab, `document.getElementById("work-area").getAttribute("aria-busy") === "false"`, 5*time.Second)
}

// TestConsoleCallOutOfOrder: a counsellor picks a waiting number, presses
// A, chooses the reason by its digit and calls it; the number shows as
// current with its reason, the API holds call_reason, the number called
// before is done. Next asks first while a number is still called; Z, 1
// puts the number back at its place.
func TestConsoleCallOutOfOrder(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)
	tab := b.Tab(t, a.URL()+"/console", consoleLaptopW, consoleLaptopH, consoleUser(t, a, "berater1"))
	consoleLive(t, tab)
	consoleOpenDesk(t, tab, "Raum 2.14", "mbe")

	first := consoleRulesDraw(t, a, "mbe")
	second := consoleRulesDraw(t, a, "mbe")
	third := consoleRulesDraw(t, a, "mbe")
	jmd := consoleRulesDraw(t, a, "jmd")
	tab.WaitText("picks", third.Number, 5*time.Second)
	if got := text(t, tab, "picks"); strings.Contains(got, jmd.Number) || !strings.Contains(got, "seit ") {
		t.Fatalf("waiting list shows %q: want only MBE (this desk's line), each with its waiting time", got)
	}
	if !browser.Eval[bool](tab, `document.querySelector('[data-testid="call-out-of-order"]').disabled === false`) {
		t.Fatal("Außer der Reihe aufrufen is disabled while numbers wait")
	}

	tab.Click("next")
	tab.WaitText("current-number", first.Number, 5*time.Second)
	consoleIdle(t, tab)

	// Pick the third number, A opens the reasons.
	tab.Click("pick-" + third.Number)
	tab.WaitText("call-out-of-order", third.Number+" außer der Reihe aufrufen", 2*time.Second)
	tab.Do(chromedp.KeyEvent("a"))
	consoleWait(t, tab, `document.getElementById("call-dialog").open`, 2*time.Second)
	tab.WaitText("call-title", third.Number, time.Second)
	if got := text(t, tab, "call-still"); !strings.Contains(got, first.Number+" ist noch aufgerufen") {
		t.Fatalf("the dialog says %q, want that %s is still called and will be done", got, first.Number)
	}
	reasons := text(t, tab, "call-reasons")
	for _, want := range []string{"Termin", "Dolmetschung", "dringend", "kommt zurück", "Barrierefreiheit"} {
		if !strings.Contains(reasons, want) {
			t.Fatalf("reasons %q lack %q", reasons, want)
		}
	}
	// No reason, no call.
	tab.Click("call-ok")
	tab.WaitText("call-msg", "Bitte einen Grund wählen", 2*time.Second)
	if !browser.Eval[bool](tab, `document.getElementById("call-dialog").open`) {
		t.Fatal("the dialog closed without a reason")
	}
	tab.Do(chromedp.KeyEvent("2"))
	consoleWait(t, tab, `document.querySelector('[data-testid="reason-interpreter"]').checked && document.activeElement.value === "interpreter"`, 2*time.Second)
	consoleCheck(t, tab, "console-call-reason-laptop")
	tab.Do(chromedp.KeyEvent("\r"))

	tab.WaitText("current-number", third.Number, 5*time.Second)
	tab.WaitText("current-reason", "außer der Reihe: Dolmetschung", 5*time.Second)
	tab.WaitText("status", third.Number+" außer der Reihe aufgerufen zu Raum 2.14 (Dolmetschung)", 5*time.Second)
	tab.WaitText("served", first.Number, 5*time.Second)
	got := consoleRulesGet(t, a, third.ID)
	if got.Status != "called" || got.Desk != "Raum 2.14" || got.CallReason != "interpreter" {
		t.Fatalf("the API holds %+v, want called at Raum 2.14 with call_reason interpreter", got)
	}
	if got := consoleRulesGet(t, a, first.ID); got.Status != "done" {
		t.Fatalf("the number called before is %s, want done", got.Status)
	}
	consoleWait(t, tab, `![...document.querySelectorAll('#picks .pick-num')].some((e) => e.textContent === "`+third.Number+`")`, 5*time.Second)
	consoleIdle(t, tab)
	consoleCheck(t, tab, "console-called-out-of-order-laptop")

	// The event stream brings the same: after a reload the reason is still shown.
	tab.Do(chromedp.Reload())
	consoleLive(t, tab)
	tab.WaitText("current-reason", "Dolmetschung", 5*time.Second)
	tab.Click("lang-en")
	tab.WaitText("current-reason", "out of order: interpreter", 2*time.Second)
	tab.Click("lang-de")
	consoleIdle(t, tab)

	// Next asks first while the number is still called; cancel keeps it.
	tab.Do(chromedp.KeyEvent("n"))
	consoleWait(t, tab, `document.getElementById("confirm").open`, 2*time.Second)
	if got := text(t, tab, "confirm-text"); !strings.Contains(got, third.Number+" ist noch aufgerufen") {
		t.Fatalf("Next asks %q", got)
	}
	tab.Click("confirm-cancel")
	consoleWait(t, tab, `!document.getElementById("confirm").open`, 2*time.Second)
	if got := text(t, tab, "current-number"); got != third.Number {
		t.Fatalf("after cancelling, the current number is %q", got)
	}

	// Z, 1: back at its place, behind the second number.
	consoleIdle(t, tab)
	tab.Do(chromedp.KeyEvent("z"))
	consoleWait(t, tab, `document.getElementById("putback-dialog").open`, 2*time.Second)
	tab.Do(chromedp.KeyEvent("1"))
	tab.WaitText("status", third.Number+" zurückgestellt: wartet wieder an seinem Platz", 5*time.Second)
	tab.WaitText("current-number", "–", 5*time.Second)
	consoleWait(t, tab, `[...document.querySelectorAll('#picks .pick-num')].map((e) => e.textContent).join() === "`+second.Number+`,`+third.Number+`"`, 5*time.Second)
	if got := consoleRulesGet(t, a, third.ID); got.Status != "waiting" {
		t.Fatalf("put back, the API says %s", got.Status)
	}
}

// TestConsolePutBackAndReactivate: put back at the end, the next Next
// calls the other waiting number; a no-show here and one at another desk
// are listed with the minutes left, and reactivating them (a click, W)
// puts them back in the waiting list. A recall right after a call shows
// the server's wait, the console carries on.
func TestConsolePutBackAndReactivate(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)
	tab := b.Tab(t, a.URL()+"/console", consoleTabletW, consoleTabletH, consoleUser(t, a, "berater1"))
	consoleLive(t, tab)
	consoleOpenDesk(t, tab, "Empore", "jmd")

	j1 := consoleRulesDraw(t, a, "jmd")
	j2 := consoleRulesDraw(t, a, "jmd")
	tab.WaitText("waiting-jmd", "2", 5*time.Second)
	tab.Click("next")
	tab.WaitText("current-number", j1.Number, 5*time.Second)
	consoleIdle(t, tab)

	tab.Do(chromedp.KeyEvent("z"))
	consoleWait(t, tab, `document.getElementById("putback-dialog").open && document.activeElement.dataset.testid === "putback-place"`, 2*time.Second)
	tab.WaitText("putback-title", j1.Number+" zurückstellen", time.Second)
	consoleCheck(t, tab, "console-put-back-tablet")
	tab.Do(chromedp.KeyEvent("2"))
	tab.WaitText("status", j1.Number+" zurückgestellt: wartet am Ende", 5*time.Second)
	tab.WaitText("current-number", "–", 5*time.Second)
	consoleWait(t, tab, `[...document.querySelectorAll('#picks .pick-num')].map((e) => e.textContent).join() === "`+j2.Number+`,`+j1.Number+`"`, 5*time.Second)
	if got := consoleRulesGet(t, a, j1.ID); got.Status != "waiting" {
		t.Fatalf("put back, the API says %s", got.Status)
	}
	// The put_back event has arrived by now: the number stays in the list.
	time.Sleep(300 * time.Millisecond)
	if got := text(t, tab, "current-number"); got != "–" {
		t.Fatalf("after the put_back event the console shows %q as current", got)
	}

	// Nothing is called, so Next calls at once: the other number.
	consoleIdle(t, tab)
	tab.Click("next")
	tab.WaitText("current-number", j2.Number, 5*time.Second)
	if browser.Eval[bool](tab, `document.getElementById("confirm").open`) {
		t.Fatal("Next asked although nothing was called")
	}
	if got := consoleRulesPicks(t, tab); len(got) != 1 || got[0] != j1.Number {
		t.Fatalf("waiting list %v, want only %s", got, j1.Number)
	}

	// X: a no-show here, listed with the minutes left.
	consoleIdle(t, tab)
	tab.Do(chromedp.KeyEvent("x"))
	tab.WaitText("no-shows", j2.Number, 5*time.Second)
	left := tab.WaitText("noshow-left-"+j2.Number, "Min.", 2*time.Second)
	if m := regexp.MustCompile(`^noch (\d+) Min\.$`).FindStringSubmatch(left); m == nil {
		t.Fatalf("time left %q", left)
	} else if n, _ := strconv.Atoi(m[1]); n < 28 || n > 30 {
		t.Fatalf("time left %q, want about 30 minutes (the default grace)", left)
	}

	// Another desk's no-show shows here too, with its desk.
	other := b.Tab(t, a.URL()+"/console", consolePortW, consolePortH, a.StaffCookie())
	consoleLive(t, other)
	consoleOpenDesk(t, other, "Raum 3", "jmd")
	other.Click("next")
	other.WaitText("current-number", j1.Number, 5*time.Second)
	consoleIdle(t, other)
	other.Do(chromedp.KeyEvent("x"))
	if got := tab.WaitText("no-shows", j1.Number, 5*time.Second); !strings.Contains(got, "Raum 3") {
		t.Fatalf("no-shows %q, want %s from Raum 3", got, j1.Number)
	}
	consoleCheck(t, tab, "console-no-shows-tablet")

	// A click reactivates j2: it waits again.
	tab.Click("reactivate-" + j2.Number)
	tab.WaitText("status", j2.Number+" wieder aufgenommen", 5*time.Second)
	tab.WaitText("picks", j2.Number, 5*time.Second)
	tab.WaitText("waiting-jmd", "1", 5*time.Second)
	consoleWait(t, tab, `!document.querySelector('[data-testid="no-shows"]').innerText.includes("`+j2.Number+`")`, 5*time.Second)
	if got := consoleRulesGet(t, a, j2.ID); got.Status != "waiting" {
		t.Fatalf("reactivated, the API says %s", got.Status)
	}
	// The other console lists it as waiting too.
	other.WaitText("picks", j2.Number, 5*time.Second)

	// W reactivates the newest no-show (the other desk's).
	consoleIdle(t, tab)
	tab.Do(chromedp.KeyEvent("w"))
	tab.WaitText("status", j1.Number+" wieder aufgenommen", 5*time.Second)
	tab.WaitText("no-shows", "Keine Nummer zum Wiederaufnehmen", 5*time.Second)
	consoleWait(t, tab, `[...document.querySelectorAll('#picks .pick-num')].map((e) => e.textContent).join() === "`+j2.Number+`,`+j1.Number+`"`, 5*time.Second)

	// A recall right after the call: the server asks to wait, the console says so.
	consoleIdle(t, tab)
	tab.Click("next")
	tab.WaitText("current-number", j2.Number, 5*time.Second)
	consoleIdle(t, tab)
	tab.Do(chromedp.KeyEvent("r"))
	if got := tab.WaitText("error", "Erneut aufrufen geht in", 5*time.Second); !strings.Contains(got, "Sekunden") {
		t.Fatalf("error %q, want the seconds to wait", got)
	}
	consoleIdle(t, tab)
	if got := text(t, tab, "current-number"); got != j2.Number {
		t.Fatalf("after the refused recall the console shows %q", got)
	}

	// The other console in English; its admin section links to the statistics.
	other.Click("lang-en")
	other.WaitText("no-shows", "No number to reactivate", 2*time.Second)
	other.WaitText("picks", "JMD: 1 waiting", 2*time.Second)
	consoleCheck(t, other, "console-queue-en-portrait")
	browser.Eval[string](other, `location.hash = "#verwaltung"`)
	consoleWait(t, other, `!document.getElementById("view-admin").hidden && document.querySelector('[data-testid="stats-link"]').checkVisibility()`, 5*time.Second)
	if href := browser.Eval[string](other, `document.querySelector('[data-testid="stats-link"]').getAttribute("href")`); href != "/admin/stats" {
		t.Fatalf("statistics link %q", href)
	}
	other.WaitText("stats-link", "Open statistics", time.Second)
}
