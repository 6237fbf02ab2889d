package printertest

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"net"
	"sync"
	"testing"
)

// Paper is what the fake ESC/POS printer reports about its paper and cover.
type Paper int

// Printer conditions the fake ESC/POS printer can report.
const (
	PaperOK        Paper = iota // online, paper present
	PaperNearEnd                // roll near its end: prints, warns
	PaperEnd                    // no paper: offline, stopped at paper end
	CoverOpen                   // cover open: offline
	PrinterOffline              // offline without a cause in DLE EOT 2
	NoAnswer                    // status requests are never answered
)

// statusBytes returns the answers to DLE EOT 1, 2 and 4. Fixed bits: bit 1
// and bit 4 set in every status byte.
func (p Paper) statusBytes() (printer, offline, paper byte) {
	printer, offline, paper = 0x12, 0x12, 0x12
	switch p {
	case PaperNearEnd:
		paper |= 0x0C
	case PaperEnd:
		printer |= 0x08
		offline |= 0x20
		paper |= 0x0C | 0x60
	case CoverOpen:
		printer |= 0x08
		offline |= 0x04
	case PrinterOffline:
		printer |= 0x08
	}
	return printer, offline, paper
}

// ESCPOSPrinter is a fake raw ESC/POS printer on a loopback TCP port. It
// decodes the byte stream strictly (ESC @, DLE EOT 1/2/4, GS v 0, GS V):
// anything else fails the test. It answers status requests as set, and
// rebuilds each slip's raster image, complete at the cut.
type ESCPOSPrinter struct {
	URL string // escpos://127.0.0.1:PORT

	tb testing.TB
	ln net.Listener
	wg sync.WaitGroup

	mu         sync.Mutex
	paper      Paper
	afterSlip  *Paper // the condition after the next cut, if set
	slips      []*image.Gray
	statusAsks int
	conns      []net.Conn
}

// NewESCPOSPrinter starts a fake printer with paper; it stops when the
// test ends.
func NewESCPOSPrinter(tb testing.TB) *ESCPOSPrinter {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &ESCPOSPrinter{URL: "escpos://" + ln.Addr().String(), tb: tb, ln: ln}
	p.wg.Add(1)
	go p.serve()
	tb.Cleanup(p.close)
	return p
}

// SetPaper sets the condition the printer reports from now on.
func (p *ESCPOSPrinter) SetPaper(c Paper) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paper, p.afterSlip = c, nil
}

// SetPaperAfterSlip sets the condition the printer turns to once it has
// cut the next slip (the roll running out while printing).
func (p *ESCPOSPrinter) SetPaperAfterSlip(c Paper) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.afterSlip = &c
}

// Slips returns the images of the slips cut so far, black on white.
func (p *ESCPOSPrinter) Slips() []*image.Gray {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*image.Gray(nil), p.slips...)
}

// StatusRequests returns how many DLE EOT requests were answered.
func (p *ESCPOSPrinter) StatusRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statusAsks
}

func (p *ESCPOSPrinter) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *ESCPOSPrinter) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			if err := p.decode(bufio.NewReader(c), c); err != nil {
				p.tb.Errorf("fake ESC/POS printer: %v", err)
			}
		}()
	}
}

// raster is a slip being built from GS v 0 bands.
type raster struct {
	width int // in dots
	rows  [][]byte
}

// decode reads commands until the client closes the connection.
func (p *ESCPOSPrinter) decode(r *bufio.Reader, w io.Writer) error {
	var img *raster
	offset := 0 // bytes read, for error messages
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		offset += n
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("stream ends inside a command at byte %d", offset)
		}
		return b, err
	}
	for {
		cmd, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				if img != nil && len(img.rows) > 0 {
					return errors.New("connection closed with an uncut raster image")
				}
				return nil
			}
			return err
		}
		offset++
		switch cmd {
		case 0x1B: // ESC
			b, err := read(1)
			if err != nil {
				return err
			}
			if b[0] != '@' {
				return fmt.Errorf("unknown command ESC %#02x at byte %d", b[0], offset-2)
			}
			img = &raster{}
		case 0x10: // DLE
			b, err := read(2)
			if err != nil {
				return err
			}
			if b[0] != 0x04 || (b[1] != 1 && b[1] != 2 && b[1] != 4) {
				return fmt.Errorf("unknown command DLE %#02x %#02x at byte %d", b[0], b[1], offset-3)
			}
			p.mu.Lock()
			paper := p.paper
			p.statusAsks++
			p.mu.Unlock()
			if paper == NoAnswer {
				continue
			}
			s1, s2, s4 := paper.statusBytes()
			if _, err := w.Write([]byte{map[byte]byte{1: s1, 2: s2, 4: s4}[b[1]]}); err != nil {
				return err
			}
		case 0x1D: // GS
			b, err := read(1)
			if err != nil {
				return err
			}
			switch b[0] {
			case 'v':
				h, err := read(6)
				if err != nil {
					return err
				}
				if h[0] != '0' || h[1] != 0 {
					return fmt.Errorf("GS v %#02x m=%d: want GS v 0 with m=0 (normal density)", h[0], h[1])
				}
				if img == nil {
					return errors.New("raster image before ESC @")
				}
				xBytes, rows := int(h[2])|int(h[3])<<8, int(h[4])|int(h[5])<<8
				if xBytes == 0 || rows == 0 {
					return fmt.Errorf("empty raster band %d×%d", xBytes, rows)
				}
				if img.width != 0 && img.width != xBytes*8 {
					return fmt.Errorf("raster band %d dots wide after bands of %d", xBytes*8, img.width)
				}
				img.width = xBytes * 8
				data, err := read(xBytes * rows)
				if err != nil {
					return err
				}
				for y := 0; y < rows; y++ {
					img.rows = append(img.rows, data[y*xBytes:(y+1)*xBytes])
				}
			case 'V':
				m, err := read(1)
				if err != nil {
					return err
				}
				switch m[0] {
				case 0, 1, 48, 49:
				case 65, 66:
					if _, err := read(1); err != nil {
						return err
					}
				default:
					return fmt.Errorf("unknown cut GS V %d", m[0])
				}
				if img == nil || len(img.rows) == 0 {
					return errors.New("cut without a raster image")
				}
				p.mu.Lock()
				p.slips = append(p.slips, img.gray())
				if p.afterSlip != nil {
					p.paper, p.afterSlip = *p.afterSlip, nil
				}
				p.mu.Unlock()
				img = &raster{}
			default:
				return fmt.Errorf("unknown command GS %#02x at byte %d", b[0], offset-2)
			}
		default:
			return fmt.Errorf("unknown byte %#02x at byte %d", cmd, offset-1)
		}
	}
}

// gray turns the raster into an image with a quiet zone of white around
// it, as paper has.
func (r *raster) gray() *image.Gray {
	const margin = 16
	img := image.NewGray(image.Rect(0, 0, r.width+2*margin, len(r.rows)+2*margin))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for y, row := range r.rows {
		for x := 0; x < r.width; x++ {
			if row[x/8]&(0x80>>(x%8)) != 0 {
				img.SetGray(x+margin, y+margin, color.Gray{})
			}
		}
	}
	return img
}
