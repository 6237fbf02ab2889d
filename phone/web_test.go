package phone_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"wartemarke/phone"
	"wartemarke/ui-common/uitest"
)

// TestFiles checks the embedded files against the CSP and the URL layout.
func TestFiles(t *testing.T) {
	uitest.CheckFiles(t, "/t/static/", phone.Files)
}

// TestOnlyUnderT: only /t/ is exposed to the internet, so the page loads
// nothing from the kiosk, the display, the console or /common, and its
// own files by /t/static/ paths that exist.
func TestOnlyUnderT(t *testing.T) {
	abs := regexp.MustCompile(`["'(](/[a-z][^"'()\s]*)`)
	for _, want := range []string{"index.html", "app.js", "state.js", "phone.css", "bell.svg", "i18n/index.js", "i18n/de.js", "i18n/uk.js", "i18n/ar.js"} {
		if _, err := fs.Stat(phone.Files, want); err != nil {
			t.Errorf("%s is not embedded", want)
		}
	}
	err := fs.WalkDir(phone.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(phone.Files, p)
		for _, m := range abs.FindAllStringSubmatch(string(b), -1) {
			ref := m[1]
			switch {
			case strings.HasPrefix(ref, "/t/static/"):
				if _, err := fs.Stat(phone.Files, strings.TrimPrefix(ref, "/t/static/")); err != nil {
					t.Errorf("%s: %s is not an embedded file", p, ref)
				}
			case strings.HasPrefix(ref, "/t/status/"), strings.HasPrefix(ref, "/t/${"):
			default:
				t.Errorf("%s: %s is outside /t/ (only /t/ is exposed to the internet)", p, ref)
			}
		}
		if strings.Contains(string(b), "localStorage") || strings.Contains(string(b), "sessionStorage") || strings.Contains(string(b), "document.cookie") {
			t.Errorf("%s: uses browser storage", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestJavaScript runs the JavaScript unit tests with node --test.
func TestJavaScript(t *testing.T) {
	uitest.RunNodeTests(t, ".")
}
