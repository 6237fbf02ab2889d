package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildServer compiles this command once per test binary run.
var buildServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "wartemarke-bin-")
	if err != nil {
		return "", err
	}
	return goBuild(dir, "")
})

// goBuild compiles this command into dir/wartemarke, with version stamped
// in as deploy/build-release.sh stamps a release (unless it is empty).
func goBuild(dir, version string) (string, error) {
	bin := filepath.Join(dir, "wartemarke")
	args := []string{"build", "-o", bin}
	if version != "" {
		args = append(args, "-ldflags", "-X main.version="+version)
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", version, err, out)
	}
	return bin, nil
}

// proc is the real server binary running in a child process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	logs *strings.Builder
}

var kioskURL = regexp.MustCompile(`Kiosk:\s+(http://\S+)/kiosk`)

// startServer runs the binary on a free loopback port with data in dir and
// waits until it prints its URLs.
func startServer(tb testing.TB, dir string, args ...string) *proc {
	tb.Helper()
	bin, err := buildServer()
	if err != nil {
		tb.Fatal(err)
	}
	return startBinary(tb, bin, dir, args...)
}

// startBinary is startServer with a given build of the binary (the upgrade
// test runs an older one first). Later args win over the defaults, so
// "--addr" picks a fixed port.
func startBinary(tb testing.TB, bin, dir string, args ...string) *proc {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--data", dir, "--printer", "none", "--log-level", "warn"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, done: make(chan error, 1), logs: &strings.Builder{}}
	cmd.Stderr = &lockedWriter{w: p.logs}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := kioskURL.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	tb.Cleanup(func() { cmd.Process.Kill() })
	select {
	case p.url = <-found:
	case err := <-p.done:
		tb.Fatalf("server exited before it was ready: %v\n%s", err, p.logs)
	case <-time.After(30 * time.Second):
		tb.Fatalf("server did not start\n%s", p.logs)
	}
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

type drawn struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Line   string `json:"line"`
	key    string
}

// kioskToken adds a paired kiosk to the data folder with the admin command
// (as an operator would, also while the service runs) and returns its token.
func kioskToken(tb testing.TB, dir string) string {
	tb.Helper()
	bin, err := buildServer()
	if err != nil {
		tb.Fatal(err)
	}
	return deviceToken(tb, bin, dir, "kiosk", "Test")
}

func draw(url, token, line, key string) (drawn, int, error) {
	req, _ := http.NewRequest("POST", url+"/api/v1/tickets", strings.NewReader(`{"line":"`+line+`"}`))
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return drawn{}, 0, err
	}
	defer res.Body.Close()
	var d drawn
	err = json.NewDecoder(res.Body).Decode(&d)
	d.key = key
	return d, res.StatusCode, err
}

func numberOf(s string) int {
	var prefix rune
	var n int
	fmt.Sscanf(s, "%c-%d", &prefix, &n)
	return n
}

// TestCrashDurability draws tickets from the real binary in a loop, kills it
// with SIGKILL, restarts it on the same data folder and checks that every
// ticket answered with 201 is there and numbering goes on after it.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	dir := t.TempDir()
	token := kioskToken(t, dir)
	p := startServer(t, dir, "--draw-rate", "1000000")
	const workers = 4
	var (
		mu  sync.Mutex
		got []drawn
		wg  sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			line := []string{"mbe", "jmd"}[w%2]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				d, status, err := draw(p.url, token, line, fmt.Sprintf("w%d-%d", w, i))
				if err != nil {
					return // the server died mid-request: that draw was never confirmed
				}
				if status != http.StatusCreated {
					t.Errorf("draw: status %d", status)
					return
				}
				mu.Lock()
				got = append(got, d)
				mu.Unlock()
			}
		})
	}
	// Kill while draws are in flight, after a good number were confirmed.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 150 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	close(stop)
	wg.Wait()
	if len(got) < 20 {
		t.Fatalf("only %d draws confirmed before the kill", len(got))
	}

	p = startServer(t, dir, "--draw-rate", "1000000")
	staff := staffToken(t, p.url, dir)
	maxNum := map[string]int{}
	seen := map[string]bool{}
	for _, d := range got {
		if seen[d.Number] {
			t.Fatalf("number %s was given twice", d.Number)
		}
		seen[d.Number] = true
		maxNum[d.Line] = max(maxNum[d.Line], numberOf(d.Number))
		req, _ := http.NewRequest("GET", p.url+"/api/v1/tickets/"+d.ID, nil)
		req.Header.Set("Authorization", "Bearer "+staff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var back drawn
		json.NewDecoder(res.Body).Decode(&back)
		res.Body.Close()
		if res.StatusCode != 200 || back.Number != d.Number {
			t.Fatalf("ticket %s (%s) after the crash: status %d, number %q", d.ID, d.Number, res.StatusCode, back.Number)
		}
	}
	// The idempotency keys survived too: a retried draw returns its ticket.
	first := got[0]
	again, status, err := draw(p.url, token, first.Line, first.key)
	if err != nil || status != http.StatusOK || again.ID != first.ID {
		t.Fatalf("retry of %s after the crash: status %d, %+v, %v", first.key, status, again, err)
	}
	for _, line := range []string{"mbe", "jmd"} {
		d, status, err := draw(p.url, token, line, "after-"+line)
		if err != nil || status != http.StatusCreated {
			t.Fatalf("draw after restart: %d %v", status, err)
		}
		// At most `workers` draws may have committed without their answer
		// reaching us; the new number follows every confirmed one.
		n := numberOf(d.Number)
		if n <= maxNum[line] || n > maxNum[line]+workers+1 {
			t.Fatalf("line %s: number after restart %s, last confirmed %d", line, d.Number, maxNum[line])
		}
	}
	t.Logf("%d draws confirmed before SIGKILL, all present after restart", len(got))
}

// staffToken adds a counsellor with the admin command and signs in.
func staffToken(tb testing.TB, url, dir string) string {
	tb.Helper()
	bin, _ := buildServer()
	adminCommand(tb, bin, dir, "a long test password\n", "user", "add", "--name", "berater", "--role", "counsellor")
	return signIn(tb, url, "berater", "a long test password")
}

// TestFirstStart checks that a first start creates an admin with a
// generated password and prints pairing links that work.
func TestFirstStart(t *testing.T) {
	dir := t.TempDir()
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data", dir, "--printer", "none", "--log-level", "warn")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var text strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		text.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Stop with Ctrl+C") {
			break
		}
	}
	got := text.String()
	pw := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(got)
	links := regexp.MustCompile(`(http://\S+/pair\?code=\S+)`).FindAllStringSubmatch(got, -1)
	base := kioskURL.FindStringSubmatch(got)
	if pw == nil || len(links) != 2 || base == nil {
		t.Fatalf("first start printed:\n%s", got)
	}
	res, err := http.Post(base[1]+"/api/v1/session", "application/json", strings.NewReader(`{"name":"admin","password":"`+pw[1]+`"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("sign in with the printed password: %v %v", res, err)
	}
	res.Body.Close()
	// Pairing through the printed link's code, as the kiosk's browser would.
	code := links[0][1][strings.Index(links[0][1], "code=")+5:]
	res, err = http.Post(base[1]+"/api/v1/pair", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("pair with the printed link: %v %v", res, err)
	}
	res.Body.Close()
}

// TestGracefulShutdown checks that SIGTERM ends the service with exit 0.
func TestGracefulShutdown(t *testing.T) {
	p := startServer(t, t.TempDir())
	if res, err := http.Get(p.url + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit 15 s after SIGTERM")
	}
}

// TestBadConfig checks that a wrong setting stops the start and is named.
func TestBadConfig(t *testing.T) {
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(cfg, []byte(`{"timezone":"Mars/Olympus"}`), 0o600)
	out, err := exec.Command(bin, "--config", cfg, "--data", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "setting timezone") {
		t.Fatalf("bad timezone: err=%v out=%s", err, out)
	}
}
