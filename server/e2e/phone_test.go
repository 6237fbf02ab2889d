package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"wartemarke/internal/browser"
	"wartemarke/server/app"
)

// The phone status page (/t/{token}) as a visitor's phone sees it: no
// cookies, nothing from another origin or outside /t/, the ticket's
// language, and the call within seconds of the counsellor's Next.

type phoneTicket struct {
	ID        string `json:"id"`
	Number    string `json:"number"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
}

func phoneTicketOf(t *testing.T, b []byte) phoneTicket {
	t.Helper()
	var tk phoneTicket
	if err := json.Unmarshal(b, &tk); err != nil {
		t.Fatalf("ticket %s: %v", b, err)
	}
	return tk
}

// phoneDraw draws a ticket as the kiosk does.
func phoneDraw(t *testing.T, a *Running, line, lang string) phoneTicket {
	t.Helper()
	tk := phoneTicketOf(t, a.API(t, a.Kiosk, "POST", "/api/v1/tickets", map[string]string{"line": line, "lang": lang}))
	if !strings.HasPrefix(tk.StatusURL, a.URL()+"/t/") {
		t.Fatalf("ticket %s has status_url %q", tk.Number, tk.StatusURL)
	}
	return tk
}

// phoneNext calls the next ticket to desk as a counsellor.
func phoneNext(t *testing.T, a *Running, desk string, lines ...string) phoneTicket {
	t.Helper()
	return phoneTicketOf(t, a.API(t, a.Staff, "POST", "/api/v1/desks/"+url.PathEscape(desk)+"/next", map[string][]string{"lines": lines}))
}

func phoneAction(t *testing.T, a *Running, id, action string) {
	t.Helper()
	a.API(t, a.Staff, "POST", "/api/v1/tickets/"+id+"/"+action, nil)
}

// phoneWatch records, from before the page's first script, every resource
// the page fetches and every CSP violation.
const phoneWatch = `
window.__phone = { resources: [], csp: [] };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__phone.resources.push(e.name);
}).observe({ type: "resource", buffered: true });
document.addEventListener("securitypolicyviolation", (e) => window.__phone.csp.push(e.violatedDirective + " " + e.blockedURI));
`

// phoneOpen opens a status page in a fresh phone-sized tab without cookies.
func phoneOpen(t *testing.T, b *browser.Browser, pageURL string, w, h int64) *browser.Tab {
	t.Helper()
	tab := b.Tab(t, "about:blank", w, h)
	tab.InitScript(phoneWatch)
	tab.Do(chromedp.Navigate(pageURL))
	return tab
}

// phoneWait waits until the JS condition holds.
func phoneWait(t *testing.T, tab *browser.Tab, cond string, within time.Duration) {
	t.Helper()
	if !tab.Poll("!!("+cond+")", within) {
		t.Fatalf("waited %v for %s; the page shows:\n%s", within, cond, browser.Eval[string](tab, "document.body.innerText"))
	}
}

// phoneShown is the visible text of the element with data-testid id ("" when hidden).
func phoneShown(t *testing.T, tab *browser.Tab, id string) string {
	t.Helper()
	return browser.Eval[string](tab, fmt.Sprintf(`(() => { const e = document.querySelector(%q);
		return e && e.checkVisibility() ? e.innerText : "" })()`, browser.TestID(id)))
}

func phoneVisible(id string) string {
	return fmt.Sprintf(`(document.querySelector(%q) || {checkVisibility: () => false}).checkVisibility()`, browser.TestID(id))
}

// phoneCheckPrivate: no cookie, no storage, and every request went to the
// page's own origin under /t/ (the only path the office exposes), with no
// CSP violation.
func phoneCheckPrivate(t *testing.T, tab *browser.Tab) {
	t.Helper()
	var got struct {
		Cookie    string   `json:"cookie"`
		Storage   int      `json:"storage"`
		Outside   []string `json:"outside"`
		Resources int      `json:"resources"`
		CSP       []string `json:"csp"`
	}
	js := `(() => {
		const names = [...window.__phone.resources, ...performance.getEntriesByType("resource").map((e) => e.name),
			...performance.getEntriesByType("navigation").map((e) => e.name)];
		const outside = names.filter((n) => { const u = new URL(n); return u.origin !== location.origin || !u.pathname.startsWith("/t/"); });
		return JSON.stringify({ cookie: document.cookie, storage: localStorage.length + sessionStorage.length,
			outside, resources: names.length, csp: window.__phone.csp });
	})()`
	if err := json.Unmarshal([]byte(browser.Eval[string](tab, js)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Cookie != "" || got.Storage != 0 {
		t.Errorf("the page holds cookie %q and %d storage items", got.Cookie, got.Storage)
	}
	if len(got.Outside) > 0 {
		t.Errorf("requests outside the page's origin or /t/: %v", got.Outside)
	}
	if got.Resources < 3 {
		t.Errorf("only %d requests seen: the watch is not working", got.Resources)
	}
	if len(got.CSP) > 0 {
		t.Errorf("CSP violations: %v", got.CSP)
	}
	cookies, err := chromedp.Call(tab.Context(), network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cookies.Cookies) != 0 {
		t.Errorf("the browser holds cookies for the page: %v", cookies.Cookies)
	}
}

// phoneFits: nothing sticks out sideways on a small screen.
func phoneFits(t *testing.T, tab *browser.Tab, name string) {
	t.Helper()
	if w := browser.Eval[string](tab, `document.documentElement.scrollWidth > innerWidth ? document.documentElement.scrollWidth + " > " + innerWidth : ""`); w != "" {
		t.Errorf("%s: the page is wider than the phone (%s px)", name, w)
	}
}

func phoneConfig(c *app.Config) {
	c.RecallIntervalSeconds = 0 // recall at once in the test
	c.DrawRatePerMinute = 600
}

// TestPhonePage: a Ukrainian visitor follows the ticket from the kiosk to
// the call, a recall and the end; an Arabic visitor gets a right-to-left
// page; an unknown link says it is no longer valid; a lost connection is
// said plainly and the page recovers.
func TestPhonePage(t *testing.T) {
	b := browser.New(t)

	t.Run("ukrainian", func(t *testing.T) {
		t.Parallel()
		a := MustStartWith(t, phoneConfig)
		tk := phoneDraw(t, a, "mbe", "uk")
		res, err := http.Get(tk.StatusURL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || len(res.Header.Values("Set-Cookie")) != 0 {
			t.Fatalf("GET %s: %d, Set-Cookie %v", tk.StatusURL, res.StatusCode, res.Header.Values("Set-Cookie"))
		}

		tab := phoneOpen(t, b, tk.StatusURL, 360, 740)
		tab.WaitText("number", tk.Number, 5*time.Second)
		phoneWait(t, tab, phoneVisible("ahead"), 5*time.Second)
		if got := phoneShown(t, tab, "ahead"); !strings.Contains(got, "Перед вами чекають") || !strings.Contains(got, "0") {
			t.Errorf("people ahead: %q", got)
		}
		if got := browser.Eval[string](tab, "document.body.innerText"); !strings.Contains(got, "Ваш номер") ||
			!strings.Contains(got, "Ihre Nummer") || !strings.Contains(got, "Консультації для дорослих мігрантів") ||
			!strings.Contains(got, "Без входу, без cookie.") {
			t.Errorf("the waiting page in Ukrainian with German below shows:\n%s", got)
		}
		if lang := browser.Eval[string](tab, "document.documentElement.lang + ' ' + document.documentElement.dir"); lang != "uk ltr" {
			t.Errorf("<html lang dir> = %q", lang)
		}

		start := time.Now()
		if called := phoneNext(t, a, "Raum 2.14", "mbe"); called.ID != tk.ID {
			t.Fatalf("next called %s, want %s", called.Number, tk.Number)
		}
		phoneWait(t, tab, phoneVisible("called"), 5*time.Second)
		t.Logf("the phone showed the call %v after Next", time.Since(start).Round(time.Millisecond))
		if got := phoneShown(t, tab, "called"); !strings.Contains(got, "Ваша черга!") || !strings.Contains(got, "Raum 2.14") || !strings.Contains(got, "Sie sind dran!") {
			t.Errorf("the call shows %q", got)
		}
		if phoneShown(t, tab, "waiting") != "" {
			t.Error("the waiting facts still show after the call")
		}
		phoneWait(t, tab, `window.wartemarkePhone.log.filter((e) => e.kind === "alert").length === 1`, 3*time.Second)
		if !strings.Contains(browser.Eval[string](tab, "document.title"), "Raum 2.14") {
			t.Error("the tab's title does not name the desk")
		}

		phoneAction(t, a, tk.ID, "recall")
		phoneWait(t, tab, phoneVisible("again"), 5*time.Second)
		if got := phoneShown(t, tab, "again"); !strings.Contains(got, "Ми викликаємо вас ще раз.") {
			t.Errorf("the recall shows %q", got)
		}
		phoneWait(t, tab, `window.wartemarkePhone.log.filter((e) => e.kind === "alert").length === 2`, 3*time.Second)

		phoneAction(t, a, tk.ID, "done")
		phoneWait(t, tab, phoneVisible("finished"), 5*time.Second)
		if got := phoneShown(t, tab, "finished"); !strings.Contains(got, "Цей номер завершено.") || !strings.Contains(got, "Diese Nummer ist abgeschlossen.") {
			t.Errorf("the end shows %q", got)
		}
		if phoneShown(t, tab, "sound-on") != "" {
			t.Error("the Sound on button still shows on a finished number")
		}
		phoneCheckPrivate(t, tab)
	})

	t.Run("arabic", func(t *testing.T) {
		t.Parallel()
		a := MustStartWith(t, phoneConfig)
		phoneDraw(t, a, "mbe", "de")
		tk := phoneDraw(t, a, "mbe", "ar")
		tab := phoneOpen(t, b, tk.StatusURL, 360, 740)
		tab.WaitText("number", tk.Number, 5*time.Second)
		phoneWait(t, tab, `document.documentElement.dir === "rtl"`, 5*time.Second)
		if lang := browser.Eval[string](tab, "document.documentElement.lang"); lang != "ar" {
			t.Errorf("lang=%q", lang)
		}
		if got := browser.Eval[string](tab, "document.body.innerText"); !strings.Contains(got, "رقمك") || !strings.Contains(got, "Ihre Nummer") ||
			!strings.Contains(got, "عدد المنتظرين قبلك") {
			t.Errorf("the Arabic page shows:\n%s", got)
		}
		// Mirrored: in each fact the words start on the right and the figure stands on the left.
		mirrored := browser.Eval[string](tab, `(() => {
			const card = document.querySelector('[data-testid="ahead"]').getBoundingClientRect();
			const words = document.querySelector('[data-testid="ahead"] .fact-label span').getBoundingClientRect();
			const figure = document.getElementById("ahead-n").getBoundingClientRect();
			const mid = card.left + card.width / 2;
			return [words.left > mid, figure.right < mid, getComputedStyle(document.querySelector(".fact-label")).direction].join(" ") })()`)
		if mirrored != "true true rtl" {
			t.Errorf("the facts are not mirrored (words right, figure left, rtl): %q", mirrored)
		}
		if n := browser.Eval[string](tab, `getComputedStyle(document.querySelector('[data-testid="number"]')).direction`); n != "ltr" {
			t.Errorf("the number reads %s", n)
		}
		phoneFits(t, tab, "arabic")
		phoneCheckPrivate(t, tab)
	})

	t.Run("unknown link", func(t *testing.T) {
		t.Parallel()
		a := MustStart(t)
		tab := phoneOpen(t, b, a.URL()+"/t/"+strings.Repeat("x", 26), 320, 568)
		phoneWait(t, tab, phoneVisible("invalid"), 5*time.Second)
		if got := phoneShown(t, tab, "invalid"); !strings.Contains(got, "Dieser Link gilt nicht mehr.") {
			t.Errorf("an unknown link shows %q", got)
		}
		if phoneShown(t, tab, "number") != "" || phoneShown(t, tab, "offline") != "" {
			t.Error("an unknown link shows a number or says the connection is lost")
		}
		phoneCheckPrivate(t, tab)
	})

	t.Run("offline", func(t *testing.T) {
		t.Parallel()
		a := MustStartWith(t, phoneConfig)
		tk := phoneDraw(t, a, "mbe", "uk")
		tab := phoneOpen(t, b, tk.StatusURL, 320, 568)
		tab.WaitText("number", tk.Number, 5*time.Second)
		phoneWait(t, tab, phoneVisible("ahead"), 5*time.Second)

		// Every status request from now on fails as if the phone lost its network.
		failed := make(chan fetch.RequestID, 16)
		ctx := tab.Context()
		chromedp.Listen(ctx, func(ev any) {
			if e, ok := ev.(*fetch.EventRequestPaused); ok {
				select {
				case failed <- e.RequestID:
				default:
				}
			}
		})
		go func() {
			for id := range failed {
				chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: id, ErrorReason: network.ErrorReasonInternetDisconnected})
			}
		}()
		t.Cleanup(func() { close(failed) })
		if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/t/status/*"}}}); err != nil {
			t.Fatal(err)
		}
		// A change ends the long poll in flight; the next request fails.
		phoneDraw(t, a, "jmd", "de")
		phoneWait(t, tab, phoneVisible("offline"), 5*time.Second)
		got := phoneShown(t, tab, "offline")
		if !strings.Contains(got, "Немає з’єднання") || !strings.Contains(got, "Keine Verbindung") || !strings.Contains(got, "Останнє оновлення:") {
			t.Errorf("offline shows %q", got)
		}
		if phoneShown(t, tab, "number") == "" {
			t.Error("the last known number is gone while offline")
		}
		tab.Screenshot("phone-offline-uk-320")

		// Back online: the next try (1–2 s later) gets through, and a call arrives.
		if _, err := chromedp.Call(ctx, fetch.Disable, struct{}{}); err != nil {
			t.Fatal(err)
		}
		phoneWait(t, tab, "!"+phoneVisible("offline"), 8*time.Second)
		phoneNext(t, a, "Empore", "mbe")
		phoneWait(t, tab, phoneVisible("called"), 5*time.Second)
		if got := phoneShown(t, tab, "desk"); got != "Empore" {
			t.Errorf("desk %q", got)
		}
	})
}

// TestPhoneScreenshots leaves the waiting and the called page in German,
// Arabic and Ukrainian at 360×740, German at 320×568 and Arabic at 430×932,
// for people to look at (artifacts/phone-*.png).
func TestPhoneScreenshots(t *testing.T) {
	b := browser.New(t)
	for _, c := range []struct {
		lang string
		w, h int64
	}{{"de", 360, 740}, {"ar", 360, 740}, {"uk", 360, 740}, {"de", 320, 568}, {"ar", 430, 932}} {
		name := fmt.Sprintf("phone-%s-%d", c.lang, c.w)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := MustStartWith(t, phoneConfig)
			phoneDraw(t, a, "mbe", "tr")
			phoneDraw(t, a, "mbe", "ro")
			tk := phoneDraw(t, a, "mbe", c.lang)
			tab := phoneOpen(t, b, tk.StatusURL, c.w, c.h)
			tab.WaitText("number", tk.Number, 5*time.Second)
			phoneWait(t, tab, phoneVisible("estimate")+` && document.documentElement.lang === "`+c.lang+`"`, 5*time.Second)
			if got := phoneShown(t, tab, "ahead"); !strings.Contains(got, "2") {
				t.Errorf("people ahead %q", got)
			}
			phoneFits(t, tab, name+"-waiting")
			tab.Screenshot(name + "-waiting")

			phoneNext(t, a, "Platz 3", "mbe")
			phoneNext(t, a, "Empore", "mbe")
			phoneNext(t, a, "Raum 2.14", "mbe")
			phoneWait(t, tab, phoneVisible("called"), 5*time.Second)
			phoneFits(t, tab, name+"-called")
			// The call fills the top of the screen: the desk is seen without scrolling.
			if off := browser.Eval[bool](tab, `document.querySelector('[data-testid="desk"]').getBoundingClientRect().bottom > innerHeight`); off {
				t.Error("the desk is below the fold")
			}
			tab.Screenshot(name + "-called")
		})
	}
}
