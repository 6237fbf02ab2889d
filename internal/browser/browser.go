// Package browser drives Debian's headless chromium from Go tests through
// chromedp: one browser per test, a tab per screen, helpers that wait for
// what a person would see, and screenshots saved as test artefacts.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"wartemarke/internal/testenv"
)

// Browser is one headless chromium process.
type Browser struct {
	ctx context.Context
}

// New starts chromium for tb and stops it at the end of the test. Without
// chromium the test skips, or fails under CI=true.
func New(tb testing.TB) *Browser {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Missing(tb, "chromium", "apt-get install -y chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("no-sandbox", true), // tests run as root
		// The network is closed: without these chromium keeps calling home.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(tb.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// Start the browser now so a broken install fails here, clearly.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		tb.Fatalf("start chromium: %v", err)
	}
	tb.Cleanup(func() { cancel(); cancelAlloc() })
	return &Browser{ctx: ctx}
}

// Cookie is a cookie a tab holds before it opens its page: how a test
// pairs a kiosk or signs a counsellor in.
type Cookie struct{ Name, Value string }

// Tab opens a new tab with a viewport of w×h CSS pixels at url. Each tab
// is its own browser context (like a separate device): cookies are not
// shared between tabs.
func (b *Browser) Tab(tb testing.TB, url string, w, h int64, cookies ...Cookie) *Tab {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	tb.Cleanup(cancel)
	// The first run on a context opens its tab and ties the tab's life to
	// that run's context: open it here, without a step timeout.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("open tab: %v", err)
	}
	t := &Tab{ctx: ctx, tb: tb}
	httpOnly := true
	for _, c := range cookies {
		if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
			Name: c.Name, Value: c.Value, URL: url, Path: "/", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteStrict,
		}); err != nil {
			tb.Fatalf("set cookie %s: %v", c.Name, err)
		}
	}
	t.Do(chromedp.EmulateViewport(w, h), chromedp.Navigate(url))
	return t
}

// Tab is one page in the browser.
type Tab struct {
	ctx context.Context
	tb  testing.TB
}

// Context is the tab's chromedp context, for actions the helpers lack.
func (t *Tab) Context() context.Context { return t.ctx }

// timeout bounds every single step, so a broken page fails, never hangs.
const timeout = 15 * time.Second

// Do runs steps, failing the test on error.
func (t *Tab) Do(steps ...chromedp.Action[chromedp.Void]) {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.tb.Fatalf("browser: %v", err)
	}
}

// Eval evaluates a JS expression (promises are awaited) and returns its value.
func Eval[T any](t *Tab, js string) T {
	t.tb.Helper()
	v, err := eval[T](t, js)
	if err != nil {
		t.tb.Fatalf("browser: eval %q: %v", js, err)
	}
	return v
}

// eval evaluates js in the tab, awaiting a promise, within the timeout.
func eval[T any](t *Tab, js string) (T, error) {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// InitScript runs js in every document the tab loads from now on, before
// the page's own scripts.
func (t *Tab) InitScript(js string) {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		t.tb.Fatalf("browser: init script: %v", err)
	}
}

// Poll evaluates the JS expression js (a boolean) until it is true, and
// says whether it came true within the time given. A page that navigates
// meanwhile (what a poll often waits for) counts as not yet.
func (t *Tab) Poll(js string, within time.Duration) bool {
	t.tb.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := eval[bool](t, js)
		switch {
		case err != nil && !navigating(err):
			t.tb.Fatalf("browser: eval %q: %v", js, err)
		case err == nil && ok:
			return true
		case time.Now().After(deadline):
			return false
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// navigating tells an evaluation that failed because its document went
// away (the page navigated) from other failures.
func navigating(err error) bool {
	msg := err.Error()
	for _, s := range []string{"navigated or closed", "Execution context was destroyed", "Cannot find context with specified id"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// TestID is the CSS selector of the element with data-testid id.
func TestID(id string) string { return fmt.Sprintf(`[data-testid=%q]`, id) }

// Click waits until the element with data-testid id is visible and clicks it.
func (t *Tab) Click(id string) {
	t.tb.Helper()
	sel := TestID(id)
	t.Do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// WaitText waits until the element with data-testid id shows text that
// contains want (as innerText), and returns that text.
func (t *Tab) WaitText(id, want string, within time.Duration) string {
	t.tb.Helper()
	deadline := time.Now().Add(within)
	js := fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, TestID(id))
	for {
		got := Eval[string](t, js)
		if strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			t.tb.Fatalf("element %s shows %q, want it to contain %q (waited %v)", id, got, want, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Screenshot saves a full-page PNG as a test artefact and returns its path.
func (t *Tab) Screenshot(name string) string {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.tb.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(ArtifactDir(t.tb), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.tb.Fatal(err)
	}
	t.tb.Logf("screenshot: %s", p)
	return p
}

// ArtifactDir is where tests leave screenshots for people to look at:
// $WARTEMARKE_ARTIFACTS, or artifacts/ at the module root.
func ArtifactDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("WARTEMARKE_ARTIFACTS")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "artifacts")
				break
			}
			if filepath.Dir(d) == d {
				dir = filepath.Join(wd, "artifacts")
				break
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}
