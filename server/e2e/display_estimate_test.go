package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"wartemarke/internal/browser"
	"wartemarke/server/queue"
)

// TestDisplayShowsEstimate: with people waiting, the display shows each
// line's expected wait as the API gives it.
func TestDisplayShowsEstimate(t *testing.T) {
	a := MustStart(t)
	for range 3 {
		if status, b := a.Send(t, a.Kiosk, "POST", "/api/v1/tickets", map[string]string{"line": "mbe"}); status != http.StatusCreated {
			t.Fatalf("draw: %d %s", status, b)
		}
	}
	var lines []queue.LineState
	a.Get(t, "/api/v1/lines", &lines)
	want := fmt.Sprintf("%d–%d", lines[0].Estimate.Min, lines[0].Estimate.Max)
	b := browser.New(t)
	d := b.Tab(t, a.URL()+"/display", 1920, 1080, a.DisplayCookie())
	got := d.WaitText("estimate-mbe", want, 10*time.Second)
	if !strings.Contains(got, "Wartezeit") {
		t.Fatalf("display estimate=%q", got)
	}
	if hidden := browser.Eval[bool](d, `document.querySelector('[data-testid="estimate-jmd"]').hidden`); !hidden {
		t.Fatal("a line nobody waits in shows an estimate")
	}
	d.Screenshot("display-estimate-1920x1080")
}
