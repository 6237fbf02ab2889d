// Package deploy holds the files that install Wartemarke on an office box
// (see README.md); its tests check the scripts and systemd units.
package deploy

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runBrowserScript runs a browser script with a fake chromium that records
// its arguments and ends at once, until it has started it n times.
func runBrowserScript(t *testing.T, script string, n int, args ...string) (starts []string, profile string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "starts")
	fake := filepath.Join(dir, "chromium")
	os.WriteFile(fake, []byte("#!/bin/sh\necho \"$*\" >> "+log+"\n"), 0o755)
	profile = filepath.Join(dir, "profile")
	os.MkdirAll(filepath.Join(profile, "Default"), 0o755)
	os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(`{"profile":{"exit_type":"Crashed","exited_cleanly":false}}`), 0o644)
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "WARTEMARKE_BROWSER="+fake, "WARTEMARKE_PROFILE="+profile, "WARTEMARKE_RESTART_DELAY=0.1", "DISPLAY=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		starts = strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(b) > 0 && len(starts) >= n {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("%s started the browser %d times in 20 s", script, len(starts))
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("%s did not end on SIGTERM", script)
	}
	return starts[:n], profile
}

// healthy serves /healthz like a running service.
func healthy(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Write([]byte(`{"status":"ok"}`))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestKioskBrowser: the kiosk script opens the pairing link once, then
// the kiosk page after every end of the browser, with the kiosk's flags,
// and without silent printing.
func TestKioskBrowser(t *testing.T) {
	base := healthy(t)
	starts, profile := runBrowserScript(t, "kiosk-browser.sh", 3, base+"/kiosk", base+"/pair?code=ABCD")
	for i, s := range starts {
		want := base + "/kiosk"
		if i == 0 {
			want = base + "/pair?code=ABCD"
		}
		if !strings.HasSuffix(s, " "+want) {
			t.Errorf("start %d opened %q, want %s", i, s, want)
		}
		for _, flag := range []string{"--kiosk ", "--touch-events=enabled", "--disable-pinch", "--overscroll-history-navigation=0",
			"--password-store=basic", "Translate", "--no-first-run", "--user-data-dir=" + profile} {
			if !strings.Contains(s, flag) {
				t.Errorf("start %d lacks %s: %s", i, flag, s)
			}
		}
		if strings.Contains(s, "--kiosk-printing") || strings.Contains(s, "autoplay") {
			t.Errorf("start %d: %s", i, s)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(profile, "Default", "Preferences")); !strings.Contains(string(b), `"exited_cleanly":true`) || !strings.Contains(string(b), `"exit_type":"Normal"`) {
		t.Errorf("crash flags left in the profile (chromium would offer to restore): %s", b)
	}
}

// TestDisplayBrowser: the display script plays sound without a tap.
func TestDisplayBrowser(t *testing.T) {
	base := healthy(t)
	starts, _ := runBrowserScript(t, "display-browser.sh", 2, base+"/display")
	for i, s := range starts {
		if !strings.HasSuffix(s, " "+base+"/display") || !strings.Contains(s, "--autoplay-policy=no-user-gesture-required") ||
			strings.Contains(s, "--touch-events") || !strings.Contains(s, "--kiosk ") {
			t.Errorf("start %d: %s", i, s)
		}
	}
}

// TestSystemdUnits checks the units with systemd-analyze verify (where
// systemd is installed) and that they keep what deploy/README.md promises.
func TestSystemdUnits(t *testing.T) {
	unit, err := os.ReadFile("wartemarke.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=wartemarke", "StateDirectory=wartemarke", "Restart=on-failure", "--config /etc/wartemarke/wartemarke.json",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "After=network-online.target time-sync.target"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("wartemarke.service lacks %s", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is missing (package systemd): units not verified")
	}
	dir := t.TempDir()
	var files []string
	for _, f := range []string{"wartemarke.service", "wartemarke-backup.service", "wartemarke-backup.timer"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The binary is not installed here: verify with one that exists.
		p := filepath.Join(dir, f)
		os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/wartemarke", "/bin/true")), 0o644)
		files = append(files, p)
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, files...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
