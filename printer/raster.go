package printer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strconv"
)

// Bitmap is a 1-bit image, rows of Stride bytes, most significant bit
// first, a set bit printing a dot: the layout of both PBM (P4) and the
// ESC/POS raster command.
type Bitmap struct {
	Width, Height int
	Stride        int // bytes per row, (Width+7)/8
	Bits          []byte
}

// Dot reports whether the dot at x, y prints.
func (b *Bitmap) Dot(x, y int) bool {
	if x < 0 || y < 0 || x >= b.Width || y >= b.Height {
		return false
	}
	return b.Bits[y*b.Stride+x/8]&(0x80>>(x%8)) != 0
}

// rasterizer turns a slip's PDF into the print head's dots with pdftoppm
// (poppler-utils): measured at about 40 ms a slip, and it draws the same
// glyphs as every PDF viewer.
type rasterizer struct {
	pdftoppm string
	dpi      int
	paperMM  float64
	dots     int // print head width in dots, a multiple of 8
}

// newRasterizer finds pdftoppm and works out the head's width in dots:
// 72 mm at 203 dpi is 576 dots, at 180 dpi 512.
func newRasterizer(o Options) (*rasterizer, error) {
	path, err := exec.LookPath("pdftoppm")
	if err != nil {
		return nil, errors.New("printer: ESC/POS printing needs pdftoppm to turn slips into raster images; install it with: apt-get install poppler-utils")
	}
	dots := int(math.Round(o.PrintableMM*float64(o.DPI)/25.4/8)) * 8
	return &rasterizer{pdftoppm: path, dpi: o.DPI, paperMM: o.WidthMM, dots: dots}, nil
}

// rasterize renders the first page of pdf at the head's resolution and cuts
// the printable width out of the middle of the paper.
func (r *rasterizer) rasterize(ctx context.Context, pdf []byte) (*Bitmap, error) {
	cmd := exec.CommandContext(ctx, r.pdftoppm, "-r", strconv.Itoa(r.dpi), "-mono", "-f", "1", "-l", "1", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pdftoppm: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	page, err := decodePBM(out)
	if err != nil {
		return nil, fmt.Errorf("pdftoppm: %w", err)
	}
	left := int(math.Round((r.paperMM*float64(r.dpi)/25.4 - float64(r.dots)) / 2))
	return page.crop(max(left, 0), r.dots), nil
}

// decodePBM reads a binary PBM (P4) image.
func decodePBM(data []byte) (*Bitmap, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	var magic string
	var w, h int
	if _, err := fmt.Fscan(br, &magic, &w, &h); err != nil || magic != "P4" {
		return nil, fmt.Errorf("not a binary PBM image (%q, %v)", magic, err)
	}
	// One whitespace byte separates the header from the bits.
	if _, err := br.ReadByte(); err != nil {
		return nil, err
	}
	if w <= 0 || h <= 0 || w > 1<<15 || h > 1<<16 {
		return nil, fmt.Errorf("PBM image %dx%d out of range", w, h)
	}
	b := &Bitmap{Width: w, Height: h, Stride: (w + 7) / 8}
	b.Bits = make([]byte, b.Stride*h)
	if _, err := io.ReadFull(br, b.Bits); err != nil {
		return nil, fmt.Errorf("PBM image %dx%d: %w", w, h, err)
	}
	return b, nil
}

// crop returns the columns left to left+width of b (white where b ends).
func (b *Bitmap) crop(left, width int) *Bitmap {
	c := &Bitmap{Width: width, Height: b.Height, Stride: (width + 7) / 8}
	c.Bits = make([]byte, c.Stride*c.Height)
	if left%8 == 0 {
		for y := 0; y < b.Height; y++ {
			src := b.Bits[y*b.Stride+left/8 : (y+1)*b.Stride]
			copy(c.Bits[y*c.Stride:(y+1)*c.Stride], src)
		}
		c.clearPadding()
		return c
	}
	// Shift each row left by left%8 bits.
	shift := uint(left % 8)
	for y := 0; y < b.Height; y++ {
		row := b.Bits[y*b.Stride : (y+1)*b.Stride]
		out := c.Bits[y*c.Stride : (y+1)*c.Stride]
		for i := range out {
			j := left/8 + i
			var hi, lo byte
			if j < len(row) {
				hi = row[j]
			}
			if j+1 < len(row) {
				lo = row[j+1]
			}
			out[i] = hi<<shift | lo>>(8-shift)
		}
	}
	c.clearPadding()
	return c
}

// clearPadding clears the bits beyond Width in each row, which PBM leaves
// undefined and a printer would print.
func (b *Bitmap) clearPadding() {
	if b.Width%8 == 0 {
		return
	}
	mask := byte(0xFF) << (8 - uint(b.Width%8))
	for y := 0; y < b.Height; y++ {
		b.Bits[y*b.Stride+b.Stride-1] &= mask
	}
}
