package console_test

import (
	"testing"

	"wartemarke/console"
	"wartemarke/ui-common/uitest"
)

// TestConsoleFiles checks the embedded files against the CSP and the URL layout.
func TestConsoleFiles(t *testing.T) {
	uitest.CheckFiles(t, "/console/", console.Files)
}

// TestConsoleJavaScript runs the console's JavaScript unit tests with node --test.
func TestConsoleJavaScript(t *testing.T) {
	uitest.RunNodeTests(t, ".")
}
