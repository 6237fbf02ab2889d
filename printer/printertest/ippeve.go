// Package printertest starts printers for tests: a real IPP Everywhere
// printer (CUPS's ippeveprinter) and a strict fake ESC/POS printer on TCP.
// Both run on loopback on a free port and stop when the test ends.
package printertest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wartemarke/internal/testenv"
)

// IPPPrinter is a running ippeveprinter that accepts PDF.
type IPPPrinter struct {
	URL      string // ipp://localhost:PORT/ipp/print
	SpoolDir string // where it keeps each job's file (-k)
	web      string // http://localhost:PORT
	hookLog  string // one line per printed document, written by the print hook
}

// StartIPPPrinter starts ippeveprinter on a free loopback port, with a
// print hook that only logs, and stops it when the test ends. It starts
// dbus and avahi-daemon first if they are not running (ippeveprinter exits
// without DNS-SD), which needs root; without ippeveprinter, or without root
// and a running avahi-daemon, the test is skipped (failed under CI=true).
func StartIPPPrinter(tb testing.TB) *IPPPrinter {
	tb.Helper()
	bin := testenv.LookPath(tb, "ippeveprinter", "cups-ipp-utils")
	EnsureDNSSD(tb)

	dir := tb.TempDir()
	spool := filepath.Join(dir, "spool")
	if err := os.Mkdir(spool, 0o755); err != nil {
		tb.Fatal(err)
	}
	// Without a print command each job sleeps 5–15 s to imitate printing.
	hook := filepath.Join(dir, "print-hook.sh")
	hookLog := filepath.Join(dir, "printed.log")
	script := "#!/bin/sh\necho \"$1\" >> " + shellQuote(hookLog) + "\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		tb.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := freePort(tb)
		cmd := exec.Command(bin, "-n", "localhost", "-p", strconv.Itoa(port), "-r", "off",
			"-d", spool, "-k", "-f", "application/pdf", "-c", hook, "Wartemarke Test "+strconv.Itoa(port))
		cmd.Dir = dir
		logf, err := os.Create(filepath.Join(dir, "ippeveprinter.log"))
		if err != nil {
			tb.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			logf.Close()
			tb.Fatalf("start ippeveprinter: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); logf.Close(); close(exited) }() //nolint:errcheck // killed on purpose
		p := &IPPPrinter{
			URL:      fmt.Sprintf("ipp://localhost:%d/ipp/print", port),
			SpoolDir: spool,
			web:      fmt.Sprintf("http://localhost:%d", port),
			hookLog:  hookLog,
		}
		if lastErr = p.waitReady(exited); lastErr == nil {
			tb.Cleanup(func() {
				cmd.Process.Kill() //nolint:errcheck // it may have exited
				<-exited
			})
			return p
		}
		cmd.Process.Kill() //nolint:errcheck
		<-exited
		out, _ := os.ReadFile(filepath.Join(dir, "ippeveprinter.log"))
		lastErr = fmt.Errorf("%w\n%s", lastErr, out)
	}
	tb.Fatalf("ippeveprinter did not start: %v", lastErr)
	return nil
}

// waitReady polls the printer's web page until it answers.
func (p *IPPPrinter) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("ippeveprinter exited")
		default:
		}
		resp, err := http.Get(p.web + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no answer within 10 s")
}

// SetMediaLevel sets the sheets in the main tray (the roll, for a slip
// printer) through ippeveprinter's own /media form: 0 empties it, so that
// the printer reports media-empty and jobs wait with media-needed; 250
// fills it. The form is read first and sent back with only level1 changed,
// since a field left out is cleared.
func (p *IPPPrinter) SetMediaLevel(tb testing.TB, sheets int) {
	tb.Helper()
	form, err := p.mediaForm()
	if err != nil {
		tb.Fatalf("ippeveprinter /media form: %v", err)
	}
	form.Set("level1", strconv.Itoa(sheets))
	resp, err := http.Get(p.web + "/media?" + form.Encode())
	if err != nil {
		tb.Fatalf("ippeveprinter /media: %v", err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("ippeveprinter /media: HTTP %s", resp.Status)
	}
}

var (
	selectRE = regexp.MustCompile(`(?s)<select name="([^"]+)">(.*?)</select>`)
	optionRE = regexp.MustCompile(`<option( value="([^"]*)")?( selected)?>([^<]*)</option>`)
)

// mediaForm reads the current values of the /media form's selects.
func (p *IPPPrinter) mediaForm() (url.Values, error) {
	resp, err := http.Get(p.web + "/media")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for _, sel := range selectRE.FindAllStringSubmatch(string(page), -1) {
		value := ""
		for _, opt := range optionRE.FindAllStringSubmatch(sel[2], -1) {
			if opt[3] == "" {
				continue
			}
			value = html.UnescapeString(opt[4])
			if opt[1] != "" {
				value = html.UnescapeString(opt[2])
			}
		}
		form.Set(sel[1], value)
	}
	if _, ok := form["level1"]; !ok {
		return nil, fmt.Errorf("no level1 field in:\n%s", page)
	}
	return form, nil
}

// SpooledPDFs returns the PDF documents the printer has kept, oldest job
// first (the print hook's output, .prn, is left out).
func (p *IPPPrinter) SpooledPDFs(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(p.SpoolDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".pdf") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	// ippeveprinter names them JOBID-NAME.EXT.
	jobID := func(path string) int {
		n, _ := strconv.Atoi(strings.SplitN(filepath.Base(path), "-", 2)[0])
		return n
	}
	sort.Slice(files, func(i, j int) bool { return jobID(files[i]) < jobID(files[j]) })
	return files
}

// PrintedPDFs returns the spooled documents that were printed (handed to
// the print hook), in order: a cancelled job's document is spooled but not
// printed.
func (p *IPPPrinter) PrintedPDFs(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile(p.hookLog)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	var files []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line != "" {
			files = append(files, line)
		}
	}
	return files
}

var (
	dnssdOnce sync.Once
	dnssdErr  error
)

// avahiConf keeps avahi-daemon on loopback and quiet: the tests need
// DNS-SD to exist, not to announce test printers on the network.
const avahiConf = `[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
disable-publishing=yes
`

// EnsureDNSSD makes sure avahi-daemon (and the system dbus it needs) runs,
// starting both if not: with a loopback-only configuration of its own, and
// left running for the next test binary. Several test binaries may race to
// start them; the daemons' own checks decide.
func EnsureDNSSD(tb testing.TB) {
	tb.Helper()
	testenv.LookPath(tb, "avahi-daemon", "avahi-daemon")
	testenv.LookPath(tb, "dbus-daemon", "dbus")
	dnssdOnce.Do(func() { dnssdErr = startDNSSD() })
	if dnssdErr != nil {
		testenv.Missing(tb, "a running avahi-daemon ("+dnssdErr.Error()+")",
			"as root: mkdir -p /run/dbus; dbus-daemon --system --fork; avahi-daemon -D (loopback only: see PRINTING.md)")
	}
}

func avahiRunning() bool { return exec.Command("avahi-daemon", "--check").Run() == nil }

func dbusRunning() bool {
	c, err := net.DialTimeout("unix", "/run/dbus/system_bus_socket", time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

func startDNSSD() error {
	if avahiRunning() {
		return nil
	}
	if os.Geteuid() != 0 {
		return errors.New("it is not running, and only root can start it")
	}
	if !dbusRunning() {
		if err := os.MkdirAll("/run/dbus", 0o755); err != nil {
			return err
		}
		os.Remove("/run/dbus/pid") // left over from a container that stopped
		out, err := exec.Command("dbus-daemon", "--system", "--fork").CombinedOutput()
		if err != nil && !dbusRunning() {
			return fmt.Errorf("dbus-daemon: %v: %s", err, out)
		}
	}
	conf := filepath.Join(os.TempDir(), "wartemarke-avahi-daemon.conf")
	if err := os.WriteFile(conf, []byte(avahiConf), 0o644); err != nil {
		return err
	}
	out, err := exec.Command("avahi-daemon", "-D", "-f", conf).CombinedOutput()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if avahiRunning() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("avahi-daemon did not start: %v: %s", err, out)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
