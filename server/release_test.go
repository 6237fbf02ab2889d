package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"wartemarke/internal/testenv"
)

// TestVersion checks --version and the version command of a build stamped
// as the release script stamps it.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := goBuild(t.TempDir(), "7.7.7-test")
	if err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{"--version", "version", "-version"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "wartemarke 7.7.7-test linux/") {
			t.Fatalf("%s: %v %q", arg, err, out)
		}
	}
	if got := versionString(); got == "" {
		t.Fatal("unstamped version is empty")
	}
}

// TestReleaseARM64 runs deploy/build-release.sh for linux/arm64, checks
// that the result is a static aarch64 executable, and runs its --version
// under qemu-user (Debian package qemu-user), as a Raspberry-class box
// would run it.
func TestReleaseARM64(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the service")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "../deploy/build-release.sh", out)
	cmd.Env = append(os.Environ(), "VERSION=9.8.7-test", "ARCHES=arm64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-release.sh: %v\n%s", err, b)
	}
	bin := filepath.Join(out, "wartemarke-9.8.7-test-linux-arm64")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Fatalf("machine %v, want aarch64", f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary wants a dynamic loader; it must be static (CGO_ENABLED=0)")
		}
	}
	if sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS-9.8.7-test")); err != nil || !strings.Contains(string(sums), "wartemarke-9.8.7-test-linux-arm64") {
		t.Fatalf("checksums: %v %q", err, sums)
	}
	qemu := testenv.LookPath(t, "qemu-aarch64", "qemu-user")
	b, err := exec.Command(qemu, bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(b), "wartemarke 9.8.7-test linux/arm64 ") {
		t.Fatalf("qemu-aarch64 %s --version: %v %q", bin, err, b)
	}
	t.Logf("under qemu-aarch64: %s", strings.TrimSpace(string(b)))
}
