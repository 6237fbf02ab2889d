package kioskui_test

import (
	"testing"

	kioskui "wartemarke/kiosk-ui"
	"wartemarke/ui-common/uitest"
)

// TestFiles checks the embedded files against the CSP and the URL layout.
func TestFiles(t *testing.T) {
	uitest.CheckFiles(t, "/kiosk/", kioskui.Files)
}

// TestJavaScript runs the JavaScript unit tests with node --test.
func TestJavaScript(t *testing.T) {
	uitest.RunNodeTests(t, ".")
}
