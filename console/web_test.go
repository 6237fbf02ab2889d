package console_test

import (
	"testing"

	"wartemarke/console"
	"wartemarke/ui-common/uitest"
)

// TestFiles checks the embedded files against the CSP and the URL layout.
func TestFiles(t *testing.T) {
	uitest.CheckFiles(t, "/console/", console.Files)
}

// TestJavaScript runs the console's JavaScript unit tests with node --test.
func TestJavaScript(t *testing.T) {
	uitest.RunNodeTests(t, ".")
}
