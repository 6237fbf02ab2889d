package e2e

import (
	"testing"

	"wartemarke/internal/browser"
)

// TestKioskNoContextMenu: a long press (a contextmenu event) on the
// kiosk's touchscreen opens no browser menu.
func TestKioskNoContextMenu(t *testing.T) {
	b := browser.New(t)
	a := MustStart(t)
	tab := openKiosk(t, b, a, "", 1080, 1920)
	opened := browser.Eval[bool](tab, `document.body.dispatchEvent(new MouseEvent("contextmenu", {bubbles: true, cancelable: true}))`)
	if opened {
		t.Fatal("the contextmenu event was not cancelled: a long press opens the browser's menu")
	}
}
