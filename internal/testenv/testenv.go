// Package testenv finds the real programs that tests drive (chromium,
// redis-server, ippeveprinter, pdftotext …). A test whose program is missing
// skips with a clear message on a developer's machine and fails under
// CI=true, where .ci/run has installed everything.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the tests run in CI (CI=true).
func CI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test, or fails it under CI, because what is missing.
func Missing(tb testing.TB, what, install string) {
	tb.Helper()
	msg := what + " is missing; install it with: " + install
	if CI() {
		tb.Fatal(msg + " (CI=true: a missing part fails the run)")
	}
	tb.Skip(msg)
}

// LookPath returns the path of program name, or skips/fails the test with
// the apt package that provides it.
func LookPath(tb testing.TB, name, aptPackage string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, name, "apt-get install -y "+aptPackage)
	}
	return p
}
