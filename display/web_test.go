package display_test

import (
	"testing"

	"wartemarke/display"
	"wartemarke/ui-common/uitest"
)

// TestFiles checks the embedded files against the CSP and the URL layout.
func TestFiles(t *testing.T) {
	uitest.CheckFiles(t, "/display/", display.Files)
}

// TestJavaScript runs the JavaScript unit tests with node --test.
func TestJavaScript(t *testing.T) {
	uitest.RunNodeTests(t, ".")
}
