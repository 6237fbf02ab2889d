package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"time"
)

// ESC/POS timing.
const (
	escposDialTimeout   = 3 * time.Second // a printer that is off fails fast, not at the print deadline
	escposStatusTimeout = 2 * time.Second // real-time status answers come within milliseconds
)

// escposBandRows is the height of one GS v 0 raster command. Printers take
// up to a few thousand rows in one; smaller bands keep each within the
// receive buffers of older models and cost nothing.
const escposBandRows = 256

// ESC/POS command bytes.
const (
	escposESC = 0x1B
	escposGS  = 0x1D
	escposDLE = 0x10
	escposEOT = 0x04
)

// NoStatusDetail is the Detail of a connection that cannot report status
// (an ESC/POS device file).
const NoStatusDetail = "this connection reports no status"

// ESCPOSTransport prints slips as raster images in raw ESC/POS, over TCP
// (port 9100) or into a device file such as /dev/usb/lp0. Over TCP it asks
// the printer for its status before each slip (a slip is not sent to a
// printer without paper) and after it. It is safe for concurrent use: one
// conversation with the printer at a time.
type ESCPOSTransport struct {
	addr   string // host:port, for TCP
	device string // device file path, when not TCP
	raster *rasterizer
	dialer net.Dialer

	// mu keeps to one conversation with the printer at a time: printers
	// take one connection on port 9100, and a status request must not land
	// in the middle of a raster image.
	mu sync.Mutex
}

func newESCPOS(u *url.URL, o Options) (*ESCPOSTransport, error) {
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("printer: ESC/POS URL %q: user, query and fragment are not supported", u.Redacted())
	}
	t := &ESCPOSTransport{dialer: net.Dialer{Timeout: escposDialTimeout}}
	switch {
	case u.Host != "" && u.Path != "" && u.Path != "/":
		return nil, fmt.Errorf("printer: ESC/POS URL %q has both a host and a path; want escpos://host:9100 or escpos:///dev/usb/lp0", u.Redacted())
	case u.Host != "":
		t.addr = u.Host
		if u.Port() == "" {
			t.addr = net.JoinHostPort(u.Hostname(), "9100")
		}
	case u.Path != "":
		t.device = u.Path
	default:
		return nil, fmt.Errorf("printer: ESC/POS URL %q names no host or device; want escpos://host:9100 or escpos:///dev/usb/lp0", u.Redacted())
	}
	var err error
	if t.raster, err = newRasterizer(o); err != nil {
		return nil, err
	}
	return t, nil
}

// String returns the printer URL.
func (t *ESCPOSTransport) String() string {
	if t.device != "" {
		return "escpos://" + t.device
	}
	return "escpos://" + t.addr
}

// Dots returns the raster width in dots (576 for 72 mm at 203 dpi).
func (t *ESCPOSTransport) Dots() int { return t.raster.dots }

// Print rasterises the slip and sends it. Over TCP a printer that reports
// paper end, cover open, an error or offline before the slip gets nothing
// and Print returns a PrintError with those reasons; after the slip the
// status is asked again, and a fault then is an error too (the slip may be
// cut short). Paper near end is no error. Any error Print returns is a
// *PrintError.
func (t *ESCPOSTransport) Print(ctx context.Context, job Job) error {
	if err := job.check(); err != nil {
		return printError(err, ReasonOther)
	}
	img, err := t.raster.rasterize(ctx, job.PDF)
	if err != nil {
		if ctx.Err() != nil {
			return printError(err, ReasonTimeout)
		}
		return printError(fmt.Errorf("slip %s: %w", job.Number, err), ReasonOther)
	}
	data := escposSlip(img)

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.device != "" {
		return t.printDevice(ctx, data)
	}
	conn, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return printError(err)
	}
	defer conn.Close()
	before, err := t.askStatus(ctx, conn)
	if err != nil {
		return printError(fmt.Errorf("status before slip %s: %w", job.Number, err))
	}
	if before.State == StateError {
		return printError(fmt.Errorf("%s before slip %s (%s); slip not sent", t, job.Number, before.Detail), before.Reasons...)
	}
	if err := writeAll(ctx, conn, data); err != nil {
		return printError(fmt.Errorf("sending slip %s: %w", job.Number, err))
	}
	after, err := t.askStatus(ctx, conn)
	if err != nil {
		return printError(fmt.Errorf("status after slip %s: %w", job.Number, err))
	}
	if after.State == StateError {
		return printError(fmt.Errorf("%s after slip %s (%s); the slip may be incomplete", t, job.Number, after.Detail), after.Reasons...)
	}
	return nil
}

// Status asks the printer over TCP. A device file reports no status:
// State unknown, Detail NoStatusDetail.
func (t *ESCPOSTransport) Status(ctx context.Context) (Status, error) {
	if t.device != "" {
		return Status{State: StateUnknown, Checked: time.Now(), Detail: NoStatusDetail}, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fail := func(err error) (Status, error) {
		return Status{State: StateError, Reasons: connReasons(err), Checked: time.Now(), Detail: err.Error()}, err
	}
	conn, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	st, err := t.askStatus(ctx, conn)
	if err != nil {
		return fail(err)
	}
	return st, nil
}

// printDevice writes a slip into the device file. A write to a printer
// that is out of paper may block in the driver: the deadline is set where
// the file allows it (usblp does not), and the file is closed when ctx ends.
func (t *ESCPOSTransport) printDevice(ctx context.Context, data []byte) error {
	f, err := os.OpenFile(t.device, os.O_WRONLY, 0)
	if err != nil {
		return printError(err)
	}
	if d, ok := ctx.Deadline(); ok {
		f.SetWriteDeadline(d) //nolint:errcheck // not every device file has deadlines
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil && !errors.Is(cerr, os.ErrClosed) {
		err = cerr
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return printError(fmt.Errorf("%s: %w", t.device, err))
	}
	return nil
}

// askStatus sends DLE EOT 1, 2 and 4 and reads one byte for each.
func (t *ESCPOSTransport) askStatus(ctx context.Context, nc net.Conn) (Status, error) {
	deadline := time.Now().Add(escposStatusTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := nc.SetDeadline(deadline); err != nil {
		return Status{}, err
	}
	defer nc.SetDeadline(time.Time{}) //nolint:errcheck // the connection is closed soon anyway
	var got [3]byte
	for i, n := range []byte{1, 2, 4} {
		if _, err := nc.Write([]byte{escposDLE, escposEOT, n}); err != nil {
			return Status{}, err
		}
		if _, err := io.ReadFull(nc, got[i:i+1]); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return Status{}, fmt.Errorf("no answer to DLE EOT %d: %w", n, err)
			}
			return Status{}, fmt.Errorf("reading the answer to DLE EOT %d: %w", n, err)
		}
		// Every status byte has bit 1 and 4 set, bit 0 and 7 clear.
		if got[i]&0x93 != 0x12 {
			return Status{}, fmt.Errorf("answer %#02x to DLE EOT %d is no ESC/POS status", got[i], n)
		}
	}
	return escposStatus(got[0], got[1], got[2]), nil
}

// escposStatus reads the answers to DLE EOT 1 (printer), 2 (offline cause)
// and 4 (roll paper sensor).
func escposStatus(printer, offline, paper byte) Status {
	var reasons []string
	if offline&0x04 != 0 {
		reasons = append(reasons, ReasonCoverOpen)
	}
	if paper&0x60 != 0 || offline&0x20 != 0 {
		reasons = append(reasons, ReasonMediaEmpty)
	}
	if offline&0x40 != 0 {
		reasons = append(reasons, ReasonOther) // cutter, mechanical or head error
	}
	if printer&0x08 != 0 && len(reasons) == 0 {
		reasons = append(reasons, ReasonOffline)
	}
	if paper&0x0C != 0 && paper&0x60 == 0 {
		reasons = append(reasons, ReasonMediaLow)
	}
	return Status{
		State:   stateOf(reasons),
		Reasons: reasons,
		Checked: time.Now(),
		Detail:  fmt.Sprintf("DLE EOT 1/2/4 answered %#02x %#02x %#02x", printer, offline, paper),
	}
}

// writeAll writes data, giving up when ctx ends.
func writeAll(ctx context.Context, nc net.Conn, data []byte) error {
	stop := context.AfterFunc(ctx, func() { nc.SetWriteDeadline(time.Now()) }) //nolint:errcheck
	defer stop()
	if _, err := nc.Write(data); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return err
	}
	return nil
}

// escposSlip encodes a slip image: initialise, the image in GS v 0 raster
// bands, then feed to the cutter and cut.
func escposSlip(img *Bitmap) []byte {
	var b bytes.Buffer
	b.Grow(len(img.Bits) + 8*(img.Height/escposBandRows+1) + 8)
	b.Write([]byte{escposESC, '@'})
	for y := 0; y < img.Height; y += escposBandRows {
		rows := min(escposBandRows, img.Height-y)
		// GS v 0 m xL xH yL yH: normal density, width in bytes, height in dots.
		b.Write([]byte{escposGS, 'v', '0', 0,
			byte(img.Stride), byte(img.Stride >> 8), byte(rows), byte(rows >> 8)})
		b.Write(img.Bits[y*img.Stride : (y+rows)*img.Stride])
	}
	// GS V 65 n: feed to the cutting position (plus n, none here) and cut.
	b.Write([]byte{escposGS, 'V', 65, 0})
	return b.Bytes()
}
