// Package e2e runs the whole service in-process and drives its pages in
// headless chromium, as a visitor, a counsellor and the waiting room would.
package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wartemarke/internal/browser"
	"wartemarke/server/app"
	"wartemarke/server/queue"
)

// MustStart runs the real service on a free loopback port with its own data
// folder, printing slips as PDF files.
func MustStart(tb testing.TB) *app.App {
	tb.Helper()
	cfg := app.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = tb.TempDir()
	cfg.Printer = "file://" + filepath.Join(cfg.Data, "slips")
	cfg.LogLevel = "warn"
	a, err := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	return a
}

// TestWalkingSkeleton: a visitor taps MBE at the kiosk, a counsellor presses
// Next at the console, and the display shows the number and the desk.
func TestWalkingSkeleton(t *testing.T) {
	a := MustStart(t)
	b := browser.New(t)

	display := b.Tab(t, a.URL()+"/display", 1920, 1080)
	kiosk := b.Tab(t, a.URL()+"/kiosk", 1080, 1920)
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
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no slip M-001_*.pdf was printed")
		}
		time.Sleep(50 * time.Millisecond)
	}

	console := b.Tab(t, a.URL()+"/console", 1280, 800)
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
