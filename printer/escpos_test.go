package printer

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"wartemarke/printer/printertest"
)

func mustOpenESCPOS(tb testing.TB, url string) *ESCPOSTransport {
	tb.Helper()
	needTool(tb, "pdftoppm")
	tr, err := Open(url)
	if err != nil {
		tb.Fatalf("Open(%q): %v", url, err)
	}
	et, ok := tr.(*ESCPOSTransport)
	if !ok {
		tb.Fatalf("Open(%q) = %T, want *ESCPOSTransport", url, tr)
	}
	return et
}

// decodeQR writes img as a PNG and reads its QR code with zbarimg.
func decodeQR(tb testing.TB, img image.Image) string {
	tb.Helper()
	needTool(tb, "zbarimg")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	path := writeTemp(tb, "slip.png", buf.Bytes())
	return strings.TrimSpace(string(run(tb, "zbarimg", "--raw", "-q", path)))
}

// TestESCPOS prints to the fake printer, which decodes every byte, in each
// paper condition.
func TestESCPOS(t *testing.T) {
	for _, tc := range []struct {
		name      string
		paper     printertest.Paper
		after     *printertest.Paper // condition once the slip is cut
		reasons   []string           // of the PrintError; nil = printed
		slipSent  bool
		wantState State // Status after the print
	}{
		{name: "paper", paper: printertest.PaperOK, slipSent: true, wantState: StateOK},
		{name: "near end", paper: printertest.PaperNearEnd, slipSent: true, wantState: StateWarning},
		{name: "paper end", paper: printertest.PaperEnd, reasons: []string{ReasonMediaEmpty}, wantState: StateError},
		{name: "cover open", paper: printertest.CoverOpen, reasons: []string{ReasonCoverOpen}, wantState: StateError},
		{name: "offline", paper: printertest.PrinterOffline, reasons: []string{ReasonOffline}, wantState: StateError},
		{name: "runs out while printing", paper: printertest.PaperNearEnd, after: ptr(printertest.PaperEnd),
			reasons: []string{ReasonMediaEmpty}, slipSent: true, wantState: StateError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := printertest.NewESCPOSPrinter(t)
			p.SetPaper(tc.paper)
			if tc.after != nil {
				p.SetPaperAfterSlip(*tc.after)
			}
			tr := mustOpenESCPOS(t, p.URL)
			s := testSlip("uk")
			err := printSlip(t, tr, s)
			if tc.reasons == nil {
				if err != nil {
					t.Fatalf("Print: %v", err)
				}
			} else {
				var pe *PrintError
				if !errors.As(err, &pe) || !slices.Equal(pe.Reasons, tc.reasons) {
					t.Fatalf("Print = %v, want a PrintError with reasons %v", err, tc.reasons)
				}
			}
			slips := p.Slips()
			if got := len(slips) > 0; got != tc.slipSent {
				t.Fatalf("slip sent = %v, want %v", got, tc.slipSent)
			}
			if tc.slipSent {
				img := slips[0]
				if got, want := img.Bounds().Dx()-32, 576; got != want {
					t.Errorf("raster is %d dots wide, want %d", got, want)
				}
				if got := decodeQR(t, img); got != s.StatusURL {
					t.Errorf("QR code on the printed raster = %q, want %q", got, s.StatusURL)
				}
			}
			st, err := tr.Status(context.Background())
			if err != nil || st.State != tc.wantState {
				t.Errorf("Status = %+v, %v; want state %s", st, err, tc.wantState)
			}
			if tc.wantState == StateWarning && !st.Has(ReasonMediaLow) {
				t.Errorf("Status reasons = %v, want media-low", st.Reasons)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestESCPOSNoAnswer(t *testing.T) {
	p := printertest.NewESCPOSPrinter(t)
	p.SetPaper(printertest.NoAnswer)
	tr := mustOpenESCPOS(t, p.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := tr.Print(ctx, Job{Number: "M-001", TicketID: "t1", PDF: mustRender(t, mustRenderer(t), testSlip("de"))})
	if got := Reasons(err); !slices.Equal(got, []string{ReasonTimeout}) {
		t.Errorf("Print to a printer that does not answer: reasons %v (%v), want [timeout]", got, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Print took %v, past its 500 ms deadline", took)
	}
	if n := len(p.Slips()); n != 0 {
		t.Errorf("%d slips sent to a printer that did not answer", n)
	}
}

func TestESCPOSOffline(t *testing.T) {
	testOffline(t, mustOpenESCPOS(t, "escpos://"+closedAddr(t)))
}

// TestESCPOSDevice writes to a file standing in for /dev/usb/lp0: the same
// bytes as over TCP, and a Status that says it knows nothing.
func TestESCPOSDevice(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "lp0")
	if err := os.WriteFile(dev, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tr := mustOpenESCPOS(t, "escpos://"+dev)
	s := testSlip("de")
	if err := printSlip(t, tr, s); err != nil {
		t.Fatalf("Print: %v", err)
	}
	data, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tr.raster.rasterize(context.Background(), mustRender(t, mustRenderer(t), s))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, escposSlip(img)) {
		t.Errorf("device file holds %d bytes, want the %d of the slip", len(data), len(escposSlip(img)))
	}
	st, err := tr.Status(context.Background())
	if err != nil || st.State != StateUnknown || st.Detail != NoStatusDetail {
		t.Errorf("Status = %+v, %v; want unknown, %q", st, err, NoStatusDetail)
	}
	// A device that is not there (unplugged) is offline.
	gone := mustOpenESCPOS(t, "escpos://"+filepath.Join(t.TempDir(), "lp9"))
	if got := Reasons(printSlip(t, gone, s)); !slices.Equal(got, []string{ReasonOffline}) {
		t.Errorf("Print to a missing device: reasons %v, want [offline]", got)
	}
}

func TestESCPOSStatusBytes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		s1, s2, s4 byte
		state      State
		reasons    []string
	}{
		{"ready", 0x12, 0x12, 0x12, StateOK, nil},
		{"near end, one sensor", 0x12, 0x12, 0x16, StateWarning, []string{ReasonMediaLow}},
		{"paper end", 0x1A, 0x32, 0x7E, StateError, []string{ReasonMediaEmpty}},
		{"cover open", 0x1A, 0x16, 0x12, StateError, []string{ReasonCoverOpen}},
		{"cover open and near end", 0x1A, 0x16, 0x1E, StateError, []string{ReasonCoverOpen, ReasonMediaLow}},
		{"cutter error", 0x1A, 0x52, 0x12, StateError, []string{ReasonOther}},
		{"offline only", 0x1A, 0x12, 0x12, StateError, []string{ReasonOffline}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := escposStatus(tc.s1, tc.s2, tc.s4)
			if st.State != tc.state || !slices.Equal(st.Reasons, tc.reasons) {
				t.Fatalf("escposStatus = %s %v, want %s %v", st.State, st.Reasons, tc.state, tc.reasons)
			}
		})
	}
}

func TestBitmapCrop(t *testing.T) {
	// A 20×2 image: row 0 all dots, row 1 only dot 11.
	b := &Bitmap{Width: 20, Height: 2, Stride: 3, Bits: []byte{0xFF, 0xFF, 0xFF, 0x00, 0x10, 0x00}}
	for _, left := range []int{0, 3, 8} {
		c := b.crop(left, 12)
		for y := 0; y < 2; y++ {
			for x := 0; x < 16; x++ {
				want := x < 12 && b.Dot(x+left, y)
				if got := c.Dot(x, y) || (x >= 12 && c.Bits[y*c.Stride+x/8]&(0x80>>(x%8)) != 0); got != want {
					t.Errorf("crop(%d): dot %d,%d = %v, want %v", left, x, y, got, want)
				}
			}
		}
	}
}

// BenchmarkESCPOSRaster is what the ESC/POS transport does before it talks
// to the printer: pdftoppm to a 1-bit image, the cut to the head's width,
// and the GS v 0 bands.
func BenchmarkESCPOSRaster(b *testing.B) {
	r, err := newRasterizer(mustRenderer(b).Options())
	if err != nil {
		b.Skip(err)
	}
	pdf := mustRender(b, mustRenderer(b), testSlip("uk"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		img, err := r.rasterize(ctx, pdf)
		if err != nil {
			b.Fatal(err)
		}
		escposSlip(img)
	}
}

// BenchmarkESCPOSEncode is the Go part alone: PBM to GS v 0 bands.
func BenchmarkESCPOSEncode(b *testing.B) {
	r, err := newRasterizer(mustRenderer(b).Options())
	if err != nil {
		b.Skip(err)
	}
	pdf := mustRender(b, mustRenderer(b), testSlip("uk"))
	cmd := run(b, "pdftoppm", "-r", "203", "-mono", "-f", "1", "-l", "1", writeTemp(b, "slip.pdf", pdf))
	left := int((r.paperMM*float64(r.dpi)/25.4 - float64(r.dots)) / 2)
	b.ReportAllocs()
	for b.Loop() {
		page, err := decodePBM(cmd)
		if err != nil {
			b.Fatal(err)
		}
		escposSlip(page.crop(left, r.dots))
	}
}
