package printer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	for _, tc := range []struct {
		url     string
		want    string // String() of an IPP or ESC/POS transport
		wantDir string // for a FileTransport
		none    bool   // want Discard
		wantErr string
	}{
		{url: "", none: true},
		{url: "none", none: true},
		{url: " none ", none: true},
		{url: "file:///var/spool/wartemarke", wantDir: "/var/spool/wartemarke"},
		{url: "file://localhost/var/spool/slips/", wantDir: "/var/spool/slips"},
		{url: "file:/tmp/slips", wantDir: "/tmp/slips"},
		{url: "file:slips", wantDir: "slips"},
		{url: "file:./out/slips", wantDir: "out/slips"},
		{url: "file://printserver/slips", wantErr: "printserver"},
		{url: "file:", wantErr: "no directory"},
		{url: "ipp://localhost:631/printers/kiosk", want: "ipp://localhost:631/printers/kiosk"},
		{url: "ipp://printer.local", want: "ipp://printer.local:631/ipp/print"},
		{url: "IPP://[fe80::1%25eth0]:8631/ipp/print", want: "ipp://[fe80::1%25eth0]:8631/ipp/print"},
		{url: "ipps://printer.local/ipp/print", want: "ipps://printer.local:631/ipp/print"},
		{url: "ipp://kiosk:geheim@printserver/printers/kiosk", want: "ipp://printserver:631/printers/kiosk"},
		{url: "ipp:///ipp/print", wantErr: "no host"},
		{url: "ipp://printer.local/ipp/print?waitjob=false", wantErr: "query"},
		{url: "escpos://192.0.2.10:9100", want: "escpos://192.0.2.10:9100"},
		{url: "escpos://192.0.2.10", want: "escpos://192.0.2.10:9100"},
		{url: "escpos:///dev/usb/lp0", want: "escpos:///dev/usb/lp0"},
		{url: "escpos://192.0.2.10/dev/usb/lp0", wantErr: "both a host and a path"},
		{url: "escpos:", wantErr: "no host or device"},
		{url: "ftp://example.org/slips", wantErr: `"ftp"`},
		{url: "lpt1", wantErr: "no scheme"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			tr, err := Open(tc.url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open(%q) error = %v, want one containing %s", tc.url, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tc.url, err)
			}
			if tc.want != "" {
				if got := tr.String(); got != tc.want {
					t.Fatalf("Open(%q).String() = %q, want %q", tc.url, got, tc.want)
				}
				return
			}
			if tc.none {
				if tr != Discard {
					t.Fatalf("Open(%q) = %v, want Discard", tc.url, tr)
				}
				return
			}
			ft, ok := tr.(*FileTransport)
			if !ok {
				t.Fatalf("Open(%q) = %T, want *FileTransport", tc.url, tr)
			}
			if got, want := ft.Dir, filepath.FromSlash(tc.wantDir); got != want {
				t.Fatalf("dir = %q, want %q", got, want)
			}
		})
	}
}

func TestOpenHidesPassword(t *testing.T) {
	_, err := Open("smb://kiosk:geheim@printserver/slips")
	if err == nil || strings.Contains(err.Error(), "geheim") {
		t.Fatalf("Open error = %v, want an error without the password", err)
	}
}

func TestFileTransport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool", "slips") // created by Print
	tr, err := Open("file://" + filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tr.String(), "file:"+filepath.ToSlash(dir); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	ctx := context.Background()
	pdf := []byte("%PDF-1.3 first")
	if err := tr.Print(ctx, Job{Number: "M-012", TicketID: "t-7f3a", PDF: pdf}); err != nil {
		t.Fatalf("Print: %v", err)
	}
	path := filepath.Join(dir, "M-012_t-7f3a.pdf")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, pdf) {
		t.Errorf("file holds %q, want %q", got, pdf)
	}
	// A reprint replaces the slip in one step.
	reprint := []byte("%PDF-1.3 second")
	if err := tr.Print(ctx, Job{Number: "M-012", TicketID: "t-7f3a", PDF: reprint}); err != nil {
		t.Fatalf("reprint: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, reprint) {
		t.Errorf("after reprint file holds %q, want %q", got, reprint)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %v, want only the slip (no temporary files)", names)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o644 {
		t.Errorf("slip mode = %v, want 0644", fi.Mode().Perm())
	}
}

func TestFileTransportNames(t *testing.T) {
	dir := t.TempDir()
	tr := &FileTransport{Dir: dir}
	// Whatever the id holds, the slip stays inside dir.
	if err := tr.Print(context.Background(), Job{Number: "J-007", TicketID: "../../etc/x", PDF: []byte("%PDF")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "J-007__._.._etc_x.pdf")); err != nil {
		t.Errorf("slip not where expected: %v", err)
	}
}

func TestFileTransportErrors(t *testing.T) {
	tmp := t.TempDir()
	// A regular file where a folder should be: fails even for root, unlike
	// a read-only folder.
	blocker := filepath.Join(tmp, "not-a-dir")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	job := Job{Number: "M-001", TicketID: "a1", PDF: []byte("%PDF")}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		dir     string
		ctx     context.Context
		job     Job
		wantErr string
	}{
		{"dir is a file", blocker, context.Background(), job, blocker},
		{"parent is a file", filepath.Join(blocker, "slips"), context.Background(), job, filepath.Join(blocker, "slips")},
		{"empty pdf", tmp, context.Background(), Job{Number: "M-001", TicketID: "a1"}, "no PDF"},
		{"no ticket id", tmp, context.Background(), Job{Number: "M-001", PDF: []byte("%PDF")}, "ticket id"},
		{"cancelled", tmp, cancelled, job, context.Canceled.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&FileTransport{Dir: tc.dir}).Print(tc.ctx, tc.job)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Print error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	if os.Geteuid() != 0 {
		t.Run("read-only dir", func(t *testing.T) {
			ro := filepath.Join(tmp, "ro")
			if err := os.Mkdir(ro, 0o555); err != nil {
				t.Fatal(err)
			}
			err := (&FileTransport{Dir: ro}).Print(context.Background(), job)
			if err == nil || !strings.Contains(err.Error(), ro) {
				t.Fatalf("Print error = %v, want one naming %s", err, ro)
			}
		})
	}
}

func TestDiscard(t *testing.T) {
	if err := Discard.Print(context.Background(), Job{Number: "M-001"}); err != nil {
		t.Fatalf("Print: %v", err)
	}
	if got := Discard.String(); got != "none" {
		t.Errorf("String() = %q, want none", got)
	}
}
