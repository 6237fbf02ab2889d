// Package e2e runs the whole service in-process and drives its pages in
// headless chromium, as a visitor, a counsellor and the waiting room would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wartemarke/internal/browser"
	"wartemarke/internal/testenv"
	"wartemarke/server/api"
	"wartemarke/server/app"
	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

// Running is the service under test with credentials for each kind of
// user: a paired kiosk, a paired display, a signed-in admin.
type Running struct {
	*app.App
	Kiosk, Display, Staff string
}

// KioskCookie, DisplayCookie and StaffCookie give a browser tab those
// credentials (each tab is its own browser context).
func (r *Running) KioskCookie() browser.Cookie {
	return browser.Cookie{Name: api.DeviceCookie, Value: r.Kiosk}
}
func (r *Running) DisplayCookie() browser.Cookie {
	return browser.Cookie{Name: api.DeviceCookie, Value: r.Display}
}
func (r *Running) StaffCookie() browser.Cookie {
	return browser.Cookie{Name: api.SessionCookie, Value: r.Staff}
}

// MustStart runs the real service on a free loopback port with its own data
// folder, printing slips as PDF files.
func MustStart(tb testing.TB) *Running {
	tb.Helper()
	return MustStartWith(tb, nil)
}

// MustStartWith is MustStart with changes to the config and the app before
// it starts (hours, an injected clock, a failing printer).
func MustStartWith(tb testing.TB, change func(*app.Config), before ...func(*app.App)) *Running {
	tb.Helper()
	cfg := app.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = tb.TempDir()
	cfg.Printer = "file://" + filepath.Join(cfg.Data, "slips")
	cfg.LogLevel = "warn"
	if change != nil {
		change(&cfg)
	}
	a, err := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range before {
		f(a)
	}
	if err := a.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	r := &Running{App: a}
	ctx := context.Background()
	pair := func(kind auth.DeviceKind) string {
		_, code, err := a.Auth.AddDevice(ctx, kind, "Test "+string(kind))
		if err != nil {
			tb.Fatal(err)
		}
		_, token, err := a.Auth.Pair(ctx, code)
		if err != nil {
			tb.Fatal(err)
		}
		return token
	}
	r.Kiosk, r.Display = pair(auth.Kiosk), pair(auth.Display)
	if _, err := a.Auth.AddUser(ctx, "leitung", auth.RoleAdmin, "a long test password"); err != nil {
		tb.Fatal(err)
	}
	if r.Staff, _, err = a.Auth.SignIn(ctx, "leitung", "a long test password"); err != nil {
		tb.Fatal(err)
	}
	return r
}

// Send calls the API with a Bearer token (body, when not nil, as JSON) and
// returns the status and the answer.
func (r *Running) Send(tb testing.TB, token, method, path string, body any) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.URL()+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// API is Send that fails the test on a status other than 2xx.
func (r *Running) API(tb testing.TB, token, method, path string, body any) []byte {
	tb.Helper()
	status, b := r.Send(tb, token, method, path, body)
	if status/100 != 2 {
		tb.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	return b
}

// Get calls the API as the signed-in admin and decodes the JSON answer.
func (r *Running) Get(tb testing.TB, path string, v any) {
	tb.Helper()
	status, b := r.Send(tb, r.Staff, "GET", path, nil)
	if status != 200 {
		tb.Fatalf("GET %s: %d", path, status)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatal(err)
	}
}

// TestWalkingSkeleton: a visitor taps MBE at the kiosk, a counsellor presses
// Next at the console, and the display shows the number and the desk.
func TestWalkingSkeleton(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)

	display := b.Tab(t, a.URL()+"/display", 1920, 1080, a.DisplayCookie())
	kiosk := b.Tab(t, a.URL()+"/kiosk", 1080, 1920, a.KioskCookie())
	kiosk.Click("lang-de")
	kiosk.Click("line-mbe")
	number := kiosk.WaitText("ticket-number", "M-001", 5*time.Second)
	kiosk.Screenshot("skeleton-kiosk-ticket-de")

	// The ticket the kiosk shows is the one the API holds.
	res, err := http.Get(a.URL() + "/api/v1/lines")
	if err != nil {
		t.Fatal(err)
	}
	var lines []queue.LineState
	json.NewDecoder(res.Body).Decode(&lines)
	res.Body.Close()
	if len(lines) < 1 || lines[0].ID != "mbe" || lines[0].Waiting != 1 {
		t.Fatalf("after one tap at the kiosk the API shows %+v", lines)
	}

	// The slip was printed to a PDF file.
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, _ := filepath.Glob(filepath.Join(a.Config.Data, "slips", "M-001_*.pdf"))
		if len(m) == 1 {
			if b, _ := os.ReadFile(m[0]); !strings.HasPrefix(string(b), "%PDF") {
				t.Fatalf("slip %s is not a PDF", m[0])
			}
			// The slip says the number, the wait and the status link.
			out, err := exec.Command(testenv.LookPath(t, "pdftotext", "poppler-utils"), m[0], "-").Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			for _, want := range []string{"M-001", "Geschätzte Wartezeit", "Vor Ihnen"} {
				if !strings.Contains(string(out), want) {
					t.Fatalf("slip text lacks %q:\n%s", want, out)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no slip M-001_*.pdf was printed")
		}
		time.Sleep(50 * time.Millisecond)
	}

	console := b.Tab(t, a.URL()+"/console", 1280, 800, a.StaffCookie())
	console.Do(
		chromedp.WaitVisible(chromedp.CSS(browser.TestID("desk-input"))),
		chromedp.Clear(chromedp.CSS(browser.TestID("desk-input"))),
		chromedp.SendKeys(chromedp.CSS(browser.TestID("desk-input")), "Raum 2.14"),
	)
	// Serve MBE only.
	browser.Eval[bool](console, `(() => {
		for (const id of ["mbe", "jmd"]) {
			const box = document.querySelector('[data-testid="line-' + id + '"]');
			if (box.checked !== (id === "mbe")) box.click();
		}
		return true })()`)
	console.Click("next")
	console.WaitText("current-number", "M-001", 5*time.Second)
	console.Screenshot("skeleton-console-called")

	start := time.Now()
	got := display.WaitText("current-mbe", "M-001", 5*time.Second)
	if !strings.Contains(got, "Raum 2.14") {
		t.Fatalf("display shows %q, want the desk Raum 2.14 too", got)
	}
	t.Logf("kiosk showed %q; display showed the call %v after the console had it", strings.TrimSpace(number), time.Since(start).Round(time.Millisecond))
	display.Screenshot("skeleton-display-called")
}
