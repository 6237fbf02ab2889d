package printer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Transport delivers rendered slips to a printer (or somewhere standing in
// for one). Transports that can ask their printer for its condition also
// implement StatusReporter.
type Transport interface {
	// Print delivers one job. It returns when the slip has printed (IPP,
	// ESC/POS: as far as the printer tells) or the transport has taken it
	// (file), or with an error saying why not: for IPP and ESC/POS always a
	// *PrintError whose Reasons tell paper out from cover open, offline or
	// timeout. Print must return by ctx's deadline (give it one). Paper
	// near end is no error: Status reports it as a warning.
	Print(ctx context.Context, job Job) error
	// String describes the transport for logs, without secrets.
	String() string
}

// Job is one slip to print.
type Job struct {
	Number   string // ticket number, e.g. "M-012"
	TicketID string // the ticket's unique id
	PDF      []byte // the slip from Renderer.Render
}

// check reports a job that no transport can print.
func (job Job) check() error {
	if job.Number == "" || job.TicketID == "" {
		return errors.New("printer: job needs a number and a ticket id")
	}
	if len(job.PDF) == 0 {
		return fmt.Errorf("printer: job %s has no PDF", job.Number)
	}
	return nil
}

// Open returns the transport for a printer URL, for paper with the default
// Options. See OpenWith.
func Open(rawURL string) (Transport, error) { return OpenWith(rawURL, Options{}) }

// OpenWith returns the transport for a printer URL:
//
//	ipp://host[:631]/path, ipps://…     an IPPTransport (IPP Everywhere printer or CUPS queue;
//	                                    path defaults to /ipp/print)
//	escpos://host[:9100]                an ESCPOSTransport over TCP
//	escpos:///dev/usb/lp0               an ESCPOSTransport writing to a device file
//	file:///abs/dir, file:relative/dir  a FileTransport writing PDFs into dir
//	none, or empty                      a transport that discards every job
//
// o describes the paper as for NewRenderer (pass the renderer's Options):
// IPP picks the printer's media of that width, ESC/POS rasterises slips to
// the print head's dots. Transports check what they need here (ESC/POS
// needs pdftoppm), so that a kiosk with a wrong setting fails at start.
func OpenWith(rawURL string, o Options) (Transport, error) {
	rawURL = strings.TrimSpace(rawURL)
	if rawURL == "" || rawURL == "none" {
		return Discard, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, which may hold a password; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("printer: invalid printer URL: %w", err)
	}
	o, err = o.withDefaults()
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(u.Scheme) {
	case "file":
		dir := u.Path
		if u.Opaque != "" {
			dir = u.Opaque // file:relative/dir
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("printer: file URL %q names host %q; want file:///abs/dir or file:relative/dir", rawURL, u.Host)
		}
		if dir == "" {
			return nil, fmt.Errorf("printer: file URL %q has no directory", rawURL)
		}
		return &FileTransport{Dir: filepath.Clean(dir)}, nil
	case "ipp", "ipps":
		return newIPP(u, o)
	case "escpos":
		return newESCPOS(u, o)
	case "":
		return nil, fmt.Errorf("printer: printer URL %q has no scheme; want ipp://, ipps://, escpos://, file: or none", u.Redacted())
	default:
		return nil, fmt.Errorf("printer: unknown printer URL scheme %q in %q; want ipp://, ipps://, escpos://, file: or none", u.Scheme, u.Redacted())
	}
}

// Discard is the transport for "none": it accepts every job and prints
// nothing.
var Discard Transport = discard{}

type discard struct{}

func (discard) Print(ctx context.Context, _ Job) error { return ctx.Err() }
func (discard) String() string                         { return "none" }

// FileTransport writes each slip as Dir/<Number>_<TicketID>.pdf, for
// development, tests, and print setups that pick files up from a folder.
type FileTransport struct {
	Dir string // created on first use
}

// String returns the transport as a file URL.
func (t *FileTransport) String() string { return "file:" + filepath.ToSlash(t.Dir) }

// Print writes the job's PDF atomically: into a temporary file in Dir, then
// renamed, so that a folder watcher never sees half a slip.
func (t *FileTransport) Print(ctx context.Context, job Job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := job.check(); err != nil {
		return err
	}
	name := safeName(job.Number) + "_" + safeName(job.TicketID) + ".pdf"
	if err := t.write(name, job.PDF); err != nil {
		return fmt.Errorf("printer: write slip %s to %s: %w", name, t.Dir, err)
	}
	return nil
}

func (t *FileTransport) write(name string, data []byte) (err error) {
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(t.Dir, ".slip-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	// Readable by whatever picks the slips up, like a file from os.Create.
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(t.Dir, name))
}

// safeName keeps a file name part to letters, digits, '-' and '.', so that a
// number or id can never reach outside Dir.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' && i > 0
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
