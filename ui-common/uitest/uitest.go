// Package uitest holds checks shared by the tests of the web UIs: that the
// pages keep to the Content-Security-Policy and the URL layout the server
// serves them under, and a runner for the JavaScript unit tests.
package uitest

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"wartemarke/console"
	"wartemarke/display"
	kioskui "wartemarke/kiosk-ui"
	uicommon "wartemarke/ui-common"
)

// Mounts are the UI file systems by the URL prefix the server serves them under.
func Mounts() map[string]fs.FS {
	return map[string]fs.FS{
		"/kiosk/":   kioskui.Files,
		"/display/": display.Files,
		"/console/": console.Files,
		"/common/":  uicommon.Files,
	}
}

var (
	scriptTag   = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	styleAttr   = regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)
	styleTag    = regexp.MustCompile(`(?i)<style\b`)
	eventAttr   = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	external    = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[/"')\s]`)
	absoluteRef = regexp.MustCompile(`["'(](/(?:kiosk|display|console|common)/[^"'()\s]+)`)
	relImport   = regexp.MustCompile(`(?m)(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']`)
	jsComment   = regexp.MustCompile(`(?m)^\s*//.*$`)
)

// CheckFiles checks every file of fsys, served under prefix: HTML pages have
// charset, lang and viewport and nothing the CSP (script-src 'self';
// style-src 'self') would block; no file loads anything from outside; every
// absolute URL into a UI folder and every relative import names a real file.
func CheckFiles(t *testing.T, prefix string, fsys fs.FS) {
	t.Helper()
	mounts := Mounts()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		s := string(b)
		switch path.Ext(p) {
		case ".html":
			checkPage(t, p, s)
		case ".js", ".css", ".svg":
		default:
			return nil
		}
		// The SVG namespace is a name, not a download.
		scan := strings.ReplaceAll(s, "http://www.w3.org/2000/svg", "")
		if path.Ext(p) == ".js" {
			scan = jsComment.ReplaceAllString(scan, "")
		}
		if m := external.FindString(scan); m != "" {
			t.Errorf("%s%s: external resource %q", prefix, p, m)
		}
		for _, m := range absoluteRef.FindAllStringSubmatch(s, -1) {
			ref := strings.SplitN(m[1], "?", 2)[0]
			ok := false
			for pre, f := range mounts {
				if strings.HasPrefix(ref, pre) {
					_, err := fs.Stat(f, strings.TrimPrefix(ref, pre))
					ok = err == nil
				}
			}
			if !ok {
				t.Errorf("%s%s: %s is not an embedded file", prefix, p, ref)
			}
		}
		if path.Ext(p) == ".js" {
			for _, m := range relImport.FindAllStringSubmatch(s, -1) {
				target := path.Join(path.Dir(p), m[1])
				if _, err := fs.Stat(fsys, target); err != nil {
					t.Errorf("%s%s: import %s: no such file", prefix, p, m[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkPage(t *testing.T, p, s string) {
	t.Helper()
	for _, want := range []string{`<meta charset="utf-8">`, `name="viewport"`} {
		if !strings.Contains(s, want) {
			t.Errorf("%s: no %s", p, want)
		}
	}
	if !regexp.MustCompile(`<html [^>]*lang="[a-z]{2,3}"`).MatchString(s) {
		t.Errorf("%s: <html> has no lang", p)
	}
	for _, tag := range scriptTag.FindAllString(s, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("%s: inline script %s (CSP script-src 'self')", p, tag)
		}
	}
	if m := styleAttr.FindString(s); m != "" {
		t.Errorf("%s: style attribute in %q (CSP style-src 'self')", p, m)
	}
	if styleTag.MatchString(s) {
		t.Errorf("%s: <style> element (CSP style-src 'self')", p)
	}
	if m := eventAttr.FindString(s); m != "" {
		t.Errorf("%s: inline event handler in %q", p, m)
	}
}

// RunNodeTests runs the JavaScript unit tests (*.test.mjs) in dir with
// node --test. It skips when node is not installed.
func RunNodeTests(t *testing.T, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed; JavaScript unit tests not run")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.test.mjs in %s", dir)
	}
	cmd := exec.Command(node, append([]string{"--test"}, files...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("node --test: %v\n%s", err, out.String())
	}
}
