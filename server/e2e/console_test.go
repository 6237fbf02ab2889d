package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"wartemarke/internal/browser"
	"wartemarke/server/api"
	"wartemarke/server/app"
	"wartemarke/server/auth"
)

// The console's browser tests: a counsellor signs in, opens a desk, calls
// and signs out; an admin pairs and revokes a kiosk; a failed slip is an
// alert with the number; a desk's presence and pause reach another console.
// Helpers here start with "console" so they never clash with the other
// screens' tests in this package.

// Console viewports: laptop, tablet landscape, tablet portrait.
const (
	consoleLaptopW, consoleLaptopH = 1366, 768
	consoleTabletW, consoleTabletH = 1024, 768
	consolePortW, consolePortH     = 768, 1024
)

const consolePassword = "berater1 long password"

// consoleWait polls a JS condition until it is true; a condition that
// throws (the page is still loading) counts as false.
func consoleWait(tb testing.TB, tab *browser.Tab, cond string, within time.Duration) {
	tb.Helper()
	if !tab.Poll("(() => { try { return !!("+cond+") } catch { return false } })()", within) {
		tb.Fatalf("waited %v for %s; page %s shows %q", within, cond,
			browser.Eval[string](tab, `location.pathname`),
			browser.Eval[string](tab, `document.body ? document.body.innerText.slice(0, 400) : ""`))
	}
}

// consoleUser adds a counsellor account and signs it in; the cookie lets
// a tab start signed in.
func consoleUser(tb testing.TB, a *Running, name string) browser.Cookie {
	tb.Helper()
	ctx := context.Background()
	if _, err := a.Auth.AddUser(ctx, name, auth.RoleCounsellor, consolePassword); err != nil {
		tb.Fatal(err)
	}
	token, _, err := a.Auth.SignIn(ctx, name, consolePassword)
	if err != nil {
		tb.Fatal(err)
	}
	return browser.Cookie{Name: api.SessionCookie, Value: token}
}

// consoleDraw draws a ticket as the paired kiosk (Bearer token) and returns its number.
func consoleDraw(tb testing.TB, a *Running, line string) string {
	tb.Helper()
	return consoleRulesDraw(tb, a, line).Number
}

// consoleOpenDesk types the desk label (Enter reports it) and serves only lines.
func consoleOpenDesk(tb testing.TB, tab *browser.Tab, desk string, lines ...string) {
	tb.Helper()
	sel := browser.TestID("desk-input")
	tab.Do(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Clear(chromedp.CSS(sel)),
		chromedp.SendKeys(chromedp.CSS(sel), desk+kb.Enter),
	)
	want, _ := json.Marshal(lines)
	browser.Eval[bool](tab, fmt.Sprintf(`(() => {
		const want = %s;
		for (const box of document.querySelectorAll('#line-boxes input')) {
			if (box.checked !== want.includes(box.value)) box.click();
		}
		return true })()`, want))
}

// consoleLive waits until the console has its first snapshot over a live stream.
func consoleLive(tb testing.TB, tab *browser.Tab) {
	tb.Helper()
	consoleWait(tb, tab, `location.pathname === "/console" && document.querySelector('[data-testid="connection"]').classList.contains("is-ok")`, 10*time.Second)
}

// consoleCheck saves a screenshot and checks the page as it is now: no
// serious or critical axe-core finding (WCAG 2.x A/AA: contrast, names,
// labels), and every visible control at least 44×44 CSS px (a checkbox or
// radio button by its label, which is what a finger hits).
func consoleCheck(tb testing.TB, tab *browser.Tab, name string) {
	tb.Helper()
	tab.Screenshot(name)
	if !browser.Eval[bool](tab, `typeof window.axe === "object"`) {
		src, err := axeSource()
		if err != nil {
			tb.Fatalf("axe-core: %v", err)
		}
		browser.Eval[bool](tab, src+"\n;true")
	}
	res := browser.Eval[string](tab, `document.fonts.ready.then(() => axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
		resultTypes: ["violations"],
	})).then(r => JSON.stringify({passes: r.passes.length,
		bad: r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => v.id + ": " + v.help + " — " + v.nodes.slice(0, 4).map(n => n.target.join(" ")).join(", "))}))`)
	var out struct {
		Passes int
		Bad    []string
	}
	if err := json.Unmarshal([]byte(res), &out); err != nil {
		tb.Fatalf("axe result: %v", err)
	}
	if out.Passes < 10 {
		tb.Fatalf("axe %s: only %d rules passed; did axe see the page?", name, out.Passes)
	}
	for _, b := range out.Bad {
		tb.Errorf("axe %s: %s", name, b)
	}
	small := browser.Eval[[]string](tab, `[...document.querySelectorAll("button, a[href], input, select")]
		.map(e => (e.type === "checkbox" || e.type === "radio") && e.closest("label") ? e.closest("label") : e)
		.filter(e => e.checkVisibility())
		.map(e => [e, e.getBoundingClientRect()])
		.filter(([e, r]) => r.width < 44 || r.height < 44)
		.map(([e, r]) => (e.dataset.testid || e.id || e.textContent.trim().slice(0, 30)) + " is " + Math.round(r.width) + "×" + Math.round(r.height))`)
	for _, s := range small {
		tb.Errorf("%s: control %s, want at least 44×44", name, s)
	}
}

// TestConsoleSignInCallSignOut: the browser test. Without a cookie
// /console asks to sign in; a counsellor signs in, picks desk and lines,
// calls the ticket a kiosk drew, finishes it by shortcut and signs out; the
// old session is dead and the desk closed.
func TestConsoleSignInCallSignOut(t *testing.T) {
	a := MustStart(t)
	if _, err := a.Auth.AddUser(context.Background(), "berater1", auth.RoleCounsellor, consolePassword); err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	tab := b.Tab(t, a.URL()+"/console", consoleLaptopW, consoleLaptopH)

	consoleWait(t, tab, `location.pathname === "/signin" && !!document.querySelector('[data-testid="field-name"]')`, 10*time.Second)
	tab.Screenshot("console-signin")
	tab.Do(
		chromedp.SendKeys(chromedp.CSS(browser.TestID("field-name")), "berater1"),
		chromedp.SendKeys(chromedp.CSS(browser.TestID("field-password")), consolePassword),
	)
	tab.Click("submit")
	consoleLive(t, tab)
	if got := tab.WaitText("user", "berater1", 5*time.Second); !strings.Contains(got, "Beratung") {
		t.Fatalf("header shows %q, want the name and the role Beratung", got)
	}
	if browser.Eval[bool](tab, `!document.getElementById("nav").hidden`) {
		t.Fatal("a counsellor sees the admin navigation")
	}

	consoleOpenDesk(t, tab, "Raum 2.14", "mbe")
	if got := tab.WaitText("desks", "Raum 2.14", 5*time.Second); !strings.Contains(got, "berater1") || !strings.Contains(got, "MBE") {
		t.Fatalf("overview shows desks %q, want Raum 2.14 by berater1 for MBE", got)
	}
	number := consoleDraw(t, a, "mbe")
	tab.WaitText("waiting-mbe", "1", 5*time.Second)
	tab.WaitText("longest-mbe", "unter 1 Min.", 5*time.Second)
	tab.Click("next")
	tab.WaitText("current-number", number, 5*time.Second)
	tab.WaitText("status", number+" aufgerufen zu Raum 2.14", 5*time.Second)
	consoleCheck(t, tab, "console-called-laptop")

	// D finishes the ticket; it is listed as served here.
	consoleWait(t, tab, `document.getElementById("work-area").getAttribute("aria-busy") === "false"`, 5*time.Second)
	tab.Do(chromedp.KeyEvent("d"))
	tab.WaitText("served", number, 5*time.Second)
	tab.WaitText("current-number", "–", 5*time.Second)

	cookies, err := chromedp.Call(tab.Context(), network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	var session string
	for _, c := range cookies.Cookies {
		if c.Name == api.SessionCookie {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("no session cookie after signing in")
	}

	tab.Click("signout")
	consoleWait(t, tab, `location.pathname === "/signin"`, 10*time.Second)

	if status, _ := a.Send(t, session, "GET", "/api/v1/session", nil); status != http.StatusUnauthorized {
		t.Fatalf("the signed-out session still gets %d", status)
	}
	snap, err := a.Service.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range snap.Desks {
		if d.Label == "Raum 2.14" && d.Open {
			t.Fatalf("signing out left the desk open: %+v", d)
		}
	}
	tab.Do(chromedp.Navigate(a.URL() + "/console"))
	consoleWait(t, tab, `location.pathname === "/signin"`, 10*time.Second)
}

// TestConsoleAdminDevices: an admin creates a kiosk in the console, the
// pairing link pairs another browser, the list shows it connected, and
// revoking it closes its websocket and refuses its next draw.
func TestConsoleAdminDevices(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)
	admin := b.Tab(t, a.URL()+"/console#verwaltung", consoleLaptopW, consoleLaptopH, a.StaffCookie())
	consoleWait(t, admin, `!document.getElementById("view-admin").hidden && document.querySelectorAll('#device-rows tr[data-name]').length >= 2 && document.querySelectorAll('#account-rows tr').length >= 1`, 10*time.Second)
	if got := text(t, admin, "accounts"); !strings.Contains(got, "leitung (Sie)") {
		t.Fatalf("accounts list %q, want leitung marked as the admin's own", got)
	}

	admin.Do(chromedp.SendKeys(chromedp.CSS(browser.TestID("device-name")), "Eingang"))
	admin.Click("device-create")
	consoleWait(t, admin, `document.getElementById("pairing").open`, 5*time.Second)
	pairURL := browser.Eval[string](admin, `document.querySelector('[data-testid="pair-url"]').value`)
	id := browser.Eval[string](admin, `document.querySelector('[data-testid="pair-url"]').dataset.deviceId`)
	code := text(t, admin, "pair-code")
	if !strings.Contains(pairURL, "/pair?code=") || !strings.Contains(pairURL, code) || id == "" {
		t.Fatalf("pairing dialog shows link %q, code %q, device %q", pairURL, code, id)
	}
	consoleCheck(t, admin, "console-admin-pairing")
	admin.Click("pairing-close")

	kiosk := b.Tab(t, pairURL, 1080, 1920)
	consoleWait(t, kiosk, `location.pathname === "/pair"`, 5*time.Second)
	kiosk.Click("submit")
	consoleWait(t, kiosk, `location.pathname === "/kiosk" && document.documentElement.dataset.config === "ready"`, 10*time.Second)
	// A socket of our own on the kiosk's credentials, to see it closed.
	browser.Eval[bool](kiosk, `new Promise((ok) => {
		window.__closed = 0;
		const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/v1/events");
		ws.onopen = () => ok(true);
		ws.onclose = (e) => { window.__closed = e.code || -1; ok(false) };
	})`)

	row := fmt.Sprintf(`document.querySelector('[data-testid="device-%s"]')`, id)
	consoleWait(t, admin, row+` && `+row+`.querySelector('[data-testid="device-connected"]').innerText === "ja" && `+row+`.innerText.includes("gekoppelt")`, 15*time.Second)
	consoleCheck(t, admin, "console-admin-devices")

	admin.Click("revoke-" + id)
	if got := text(t, admin, "confirm-text"); !strings.Contains(got, "Eingang") {
		t.Fatalf("revoke asks %q", got)
	}
	admin.Click("confirm-ok")
	consoleWait(t, admin, row+` && `+row+`.innerText.includes("widerrufen")`, 5*time.Second)
	consoleWait(t, kiosk, `window.__closed !== 0`, 5*time.Second)
	status := browser.Eval[int](kiosk, `fetch("/api/v1/tickets", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({line: "mbe", lang: "de"})}).then((r) => r.status)`)
	if status != http.StatusUnauthorized {
		t.Fatalf("the revoked kiosk's draw got %d, want 401", status)
	}
	consoleWait(t, admin, row+`.querySelector('[data-testid="device-connected"]').innerText === "nein"`, 10*time.Second)

	// Accounts: a short password is refused before it is sent, a good one
	// adds the account, removing it asks first.
	admin.Do(
		chromedp.SendKeys(chromedp.CSS(browser.TestID("account-name")), "berater2"),
		chromedp.SendKeys(chromedp.CSS(browser.TestID("account-password")), "kurz"),
	)
	admin.Click("account-create")
	admin.WaitText("account-msg", "mindestens 10 Zeichen", 2*time.Second)
	admin.Do(chromedp.SendKeys(chromedp.CSS(browser.TestID("account-password")), " und jetzt lang genug"))
	admin.Click("account-create")
	admin.WaitText("accounts", "berater2", 5*time.Second)
	if _, err := a.Auth.Store.User(context.Background(), "berater2"); err != nil {
		t.Fatalf("the account added in the console: %v", err)
	}
	admin.Click("remove-berater2")
	admin.WaitText("confirm-text", "berater2", 2*time.Second)
	admin.Click("confirm-ok")
	consoleWait(t, admin, `!document.querySelector('[data-testid="account-berater2"]')`, 5*time.Second)
	if _, err := a.Auth.Store.User(context.Background(), "berater2"); err == nil {
		t.Fatal("the removed account is still there")
	}
}

// TestConsolePrintFailureAlert: a slip that cannot be printed is an alert
// at the console with the number, the reason and a Reprint button.
func TestConsolePrintFailureAlert(t *testing.T) {
	a := MustStartWith(t, func(c *app.Config) {
		// A regular file where the slip folder should be: every slip fails.
		p := filepath.Join(t.TempDir(), "not-a-folder")
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		c.Printer = "file://" + p
	})
	b := browser.New(t)
	tab := b.Tab(t, a.URL()+"/console", consoleTabletW, consoleTabletH, a.StaffCookie())
	consoleLive(t, tab)
	number := consoleDraw(t, a, "jmd")
	got := tab.WaitText("print-alert", number, 10*time.Second)
	if !strings.Contains(got, "nicht gedruckt") || !strings.Contains(got, "Nachdrucken") {
		t.Fatalf("alert says %q, want the number, that it was not printed, and Nachdrucken", got)
	}
	consoleCheck(t, tab, "console-print-alert-tablet")
	tab.Click("reprint")
	tab.WaitText("status", "nachgedruckt", 5*time.Second)
	if browser.Eval[bool](tab, `!document.querySelector('[data-testid="error"]').hidden`) {
		t.Fatalf("reprint shows an error: %q", text(t, tab, "error"))
	}
	// The reprint fails again and the alert offers Nachdrucken once more.
	tab.WaitText("print-alert", "Nachdrucken", 10*time.Second)

	// The printer's own state comes from /healthz. A folder of PDFs has no
	// state to tell, so here the page is given a printer out of paper with
	// its cover open; after the reload the failed slip is still listed (the
	// snapshot holds its print outcome).
	tab.InitScript(`
		const realFetch = window.fetch;
		window.fetch = (url, opts) => String(url) === "/healthz"
			? Promise.resolve(new Response(JSON.stringify({status: "ok", store: "ok",
				printer: {state: "error", reasons: ["media-empty", "cover-open"], detail: "Rolle leer"}}),
				{status: 200, headers: {"Content-Type": "application/json"}}))
			: realFetch(url, opts);`)
	tab.Do(chromedp.Reload())
	consoleLive(t, tab)
	if got := tab.WaitText("printer-alert", "Papier leer", 5*time.Second); !strings.Contains(got, "Klappe offen") {
		t.Fatalf("printer alert says %q, want Papier leer and Klappe offen", got)
	}
	tab.WaitText("print-alert", number, 5*time.Second)
	tab.WaitText("printer-line", "Papier leer", 5*time.Second)
	consoleCheck(t, tab, "console-printer-alerts-tablet")
}

// TestConsoleDeskPresence: one counsellor's desk, its lines and its pause
// show in another person's console; the language switch is remembered.
func TestConsoleDeskPresence(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)
	c1 := b.Tab(t, a.URL()+"/console", consoleTabletW, consoleTabletH, consoleUser(t, a, "berater1"))
	c2 := b.Tab(t, a.URL()+"/console", consolePortW, consolePortH, a.StaffCookie())
	consoleLive(t, c1)
	consoleLive(t, c2)

	consoleOpenDesk(t, c1, "Empore", "jmd")
	got := c2.WaitText("desks", "Empore", 5*time.Second)
	if !strings.Contains(got, "berater1") || !strings.Contains(got, "JMD") || strings.Contains(got, "Pause") {
		t.Fatalf("the other console shows %q, want Empore by berater1 for JMD, not paused", got)
	}
	empore := `document.querySelector('#desks [data-desk="Empore"]')`
	c1.Click("pause")
	c1.WaitText("desk-state", "Pause", 5*time.Second)
	consoleWait(t, c2, empore+` && `+empore+`.classList.contains("is-paused") && `+empore+`.innerText.includes("Pause")`, 5*time.Second)
	if !browser.Eval[bool](c1, `document.querySelector('[data-testid="next"]').disabled`) {
		t.Fatal("Next is enabled during a pause")
	}
	consoleCheck(t, c1, "console-paused-tablet")
	c2.Screenshot("console-overview-portrait")

	// A reload keeps the desk, its lines and the pause.
	c1.Do(chromedp.Reload())
	consoleLive(t, c1)
	c1.WaitText("desk-name", "Empore", 5*time.Second)
	c1.WaitText("desk-state", "Pause", 5*time.Second)
	consoleWait(t, c2, empore+` && `+empore+`.classList.contains("is-paused")`, 2*time.Second)

	// P resumes.
	consoleWait(t, c1, `!document.querySelector('[data-testid="pause"]').hidden`, 5*time.Second)
	c1.Do(chromedp.KeyEvent("p"))
	consoleWait(t, c2, empore+` && !`+empore+`.classList.contains("is-paused")`, 5*time.Second)

	// English, remembered over a reload.
	c2.Click("lang-en")
	c2.WaitText("next", "Call next number", 2*time.Second)
	c2.Do(chromedp.Reload())
	consoleLive(t, c2)
	c2.WaitText("next", "Call next number", 5*time.Second)
	if lang := browser.Eval[string](c2, `document.documentElement.lang`); lang != "en" {
		t.Fatalf("page lang %q, want en", lang)
	}
	consoleCheck(t, c2, "console-en-portrait")

	c1.Click("leave")
	c1.WaitText("desk-state", "geschlossen", 5*time.Second)
	consoleWait(t, c2, `!document.querySelector('#desks [data-desk="Empore"]')`, 5*time.Second)

	// An admin removes berater1's account: the server closes that person's
	// websocket, and the console, finding its session gone, asks to sign in.
	if status, b := a.Send(t, a.Staff, "DELETE", "/api/v1/users/berater1", nil); status != http.StatusNoContent {
		t.Fatalf("removing berater1: %d %s", status, b)
	}
	consoleWait(t, c1, `location.pathname === "/signin"`, 10*time.Second)
}
