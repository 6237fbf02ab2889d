package e2e

import (
	"strings"
	"testing"
	"time"

	"wartemarke/internal/browser"
	"wartemarke/server/queue"
)

// TestConsoleLineModeReachesKiosk: an admin closes MBE by hand in the
// console; the kiosk, told by the line.updated event, shows MBE as closed
// within a few seconds while JMD still draws; "Nach Öffnungszeiten" opens
// MBE again on both screens.
func TestConsoleLineModeReachesKiosk(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)

	kiosk := b.Tab(t, a.URL()+"/kiosk", 1080, 1920, a.KioskCookie())
	kiosk.Click("lang-de")
	mbeTag := `document.querySelector('[data-testid="line-mbe"]').tagName`
	// Live: the waiting count shows only while the event stream is synced.
	consoleWait(t, kiosk, mbeTag+` === "BUTTON" && !document.querySelector('[data-testid="line-status-mbe"]').hidden`, 10*time.Second)

	admin := b.Tab(t, a.URL()+"/console#verwaltung", consoleLaptopW, consoleLaptopH, a.StaffCookie())
	row := `document.querySelector('[data-testid="line-mode-mbe"]')`
	consoleWait(t, admin, row+` && `+row+`.dataset.mode === "auto" && !!document.querySelector('[data-testid="line-mode-jmd"]')`, 10*time.Second)
	if got := text(t, admin, "line-state-mbe"); got != "geöffnet (Öffnungszeiten)" {
		t.Fatalf("MBE shows %q, want open by its hours", got)
	}
	if !browser.Eval[bool](admin, `document.querySelector('[data-testid="line-auto-mbe"]').disabled`) {
		t.Fatal(`"Nach Öffnungszeiten" is offered for a line that already follows its hours`)
	}
	consoleCheck(t, admin, "console-admin-lines")

	admin.Click("line-closed-mbe")
	start := time.Now()
	consoleWait(t, kiosk, mbeTag+` !== "BUTTON"`, 5*time.Second)
	t.Logf("the kiosk showed MBE closed %v after the click", time.Since(start).Round(time.Millisecond))
	kiosk.WaitText("line-status-mbe", "Jetzt geschlossen", 2*time.Second)
	if got := text(t, kiosk, "line-jmd"); strings.Contains(got, "geschlossen") {
		t.Fatalf("JMD shows %q, want it still open", got)
	}
	admin.WaitText("line-state-mbe", "von Hand geschlossen", 5*time.Second)
	admin.WaitText("line-msg", "MBE: von Hand geschlossen.", 5*time.Second)
	if !browser.Eval[bool](admin, `document.querySelector('[data-testid="line-closed-mbe"]').disabled &&
		!document.querySelector('[data-testid="line-auto-mbe"]').disabled`) {
		t.Fatal("after closing, Jetzt schließen should be disabled and Nach Öffnungszeiten enabled")
	}
	var lines []queue.LineState
	a.Get(t, "/api/v1/lines", &lines)
	if lines[0].ID != "mbe" || lines[0].Open || lines[0].Mode != queue.ModeClosed {
		t.Fatalf("the API shows %+v, want MBE closed by hand", lines[0])
	}
	kiosk.Screenshot("kiosk-line-closed-by-hand")
	consoleCheck(t, admin, "console-admin-line-closed")

	// English, and back to the hours.
	admin.Click("lang-en")
	admin.WaitText("line-state-mbe", "closed by hand", 2*time.Second)
	admin.Click("line-auto-mbe")
	consoleWait(t, kiosk, mbeTag+` === "BUTTON"`, 5*time.Second)
	admin.WaitText("line-state-mbe", "open (opening hours)", 5*time.Second)
	consoleWait(t, admin, row+`.dataset.mode === "auto"`, 2*time.Second)

	// Opened by hand shows as such; JMD was never touched.
	admin.Click("line-open-mbe")
	admin.WaitText("line-state-mbe", "opened by hand", 5*time.Second)
	if got := text(t, admin, "line-state-jmd"); got != "open (opening hours)" {
		t.Fatalf("JMD shows %q", got)
	}
	admin.Click("lang-de")
}
