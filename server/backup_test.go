package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wartemarke runs an admin command of the real binary.
func wartemarke(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	bin, err := buildServer()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// ticketStatus reads a ticket as staff: its HTTP status and number.
func ticketStatus(tb testing.TB, url, staff, id string) (int, string) {
	tb.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/tickets/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+staff)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var d drawn
	json.NewDecoder(res.Body).Decode(&d)
	return res.StatusCode, d.Number
}

// TestBackupRestore backs up the store of the running binary while a kiosk
// keeps drawing, checks that restore refuses while the service runs, stops
// it, restores into a fresh data folder and starts the service there: the
// tickets of the backup are there (and the kiosk's pairing), the ones drawn
// after it are not, the copy is consistent (no gap in the numbers), and the
// next number follows the backup's last.
func TestBackupRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	dir := t.TempDir()
	token := kioskToken(t, dir)
	p := startServer(t, dir, "--draw-rate", "1000000")
	var before []drawn
	for i := range 5 {
		d, status, err := draw(p.url, token, "mbe", fmt.Sprintf("m-%d", i))
		if err != nil || status != http.StatusCreated {
			t.Fatalf("draw: %d %v", status, err)
		}
		before = append(before, d)
	}
	// A kiosk drawing JMD numbers all through the backup.
	var (
		mu      sync.Mutex
		during  []drawn
		stop    = make(chan struct{})
		drawing sync.WaitGroup
	)
	drawing.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			d, status, err := draw(p.url, token, "jmd", fmt.Sprintf("j-%d", i))
			if err != nil || status != http.StatusCreated {
				t.Errorf("draw during the backup: %d %v", status, err)
				return
			}
			mu.Lock()
			during = append(during, d)
			mu.Unlock()
		}
	})
	time.Sleep(100 * time.Millisecond)
	backup := filepath.Join(t.TempDir(), "wartemarke-backup.db")
	out, err := wartemarke(t, "backup", "--data", dir, "--to", backup)
	close(stop)
	drawing.Wait()
	if err != nil || !strings.Contains(out, "written to "+backup) {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	t.Logf("%s(%d JMD draws ran beside it)", out, len(during))
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v (want mode 0600: it holds password hashes)", fi, err)
	}

	out, err = wartemarke(t, "restore", "--data", dir, "--from", backup)
	if err == nil || !strings.Contains(out, "stop the service first") {
		t.Fatalf("restore beside the running service: %v\n%s", err, out)
	}
	var after []drawn
	for i := range 2 {
		d, status, err := draw(p.url, token, "mbe", fmt.Sprintf("after-%d", i))
		if err != nil || status != http.StatusCreated {
			t.Fatalf("draw after the backup: %d %v", status, err)
		}
		after = append(after, d)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Fatalf("stop: %v", err)
	}

	// Restoring over an existing store saves that store first.
	out, err = wartemarke(t, "restore", "--data", dir, "--from", backup)
	if err != nil || !strings.Contains(out, "before-restore") {
		t.Fatalf("restore over the old store: %v\n%s", err, out)
	}
	if saved, _ := filepath.Glob(filepath.Join(dir, "wartemarke.db.before-restore-*")); len(saved) != 1 {
		t.Fatalf("saved stores: %v", saved)
	}

	fresh := filepath.Join(t.TempDir(), "restored")
	out, err = wartemarke(t, "restore", "--data", fresh, "--from", backup)
	if err != nil {
		t.Fatalf("restore into a fresh folder: %v\n%s", err, out)
	}
	p = startServer(t, fresh, "--draw-rate", "1000000")
	staff := staffToken(t, p.url, fresh)
	for _, d := range before {
		if status, number := ticketStatus(t, p.url, staff, d.ID); status != 200 || number != d.Number {
			t.Fatalf("ticket %s after the restore: %d %q", d.Number, status, number)
		}
	}
	for _, d := range after {
		if status, _ := ticketStatus(t, p.url, staff, d.ID); status != 404 {
			t.Fatalf("ticket %s drawn after the backup: status %d, want 404", d.Number, status)
		}
	}
	// The backup is one moment: the JMD tickets it holds are the first n,
	// without a gap.
	n, gap := 0, false
	for _, d := range during {
		status, _ := ticketStatus(t, p.url, staff, d.ID)
		switch {
		case status == 200 && gap:
			t.Fatalf("ticket %s is in the backup but an earlier one is not", d.Number)
		case status == 200:
			n++
		default:
			gap = true
		}
	}
	// The kiosk's pairing came back too; numbering follows the backup.
	d, status, err := draw(p.url, token, "mbe", "restored-1")
	if err != nil || status != http.StatusCreated || d.Number != "M-006" {
		t.Fatalf("MBE draw after the restore: %d %+v %v, want M-006", status, d, err)
	}
	d, status, err = draw(p.url, token, "jmd", "restored-2")
	if err != nil || status != http.StatusCreated || numberOf(d.Number) != n+1 {
		t.Fatalf("JMD draw after the restore: %d %+v %v, want number %d", status, d, err, n+1)
	}
	t.Logf("restored: %d MBE and %d of %d JMD tickets; next numbers M-006 and %s", len(before), n, len(during), d.Number)
}
