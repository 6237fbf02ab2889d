// Package printer renders queue-ticket slips as PDF and hands them to a
// transport: an IPP printer or CUPS queue, a raw ESC/POS thermal printer
// (TCP or device file), a folder, or none. Transports that can ask their
// printer report its Status; a failed Print says why in a PrintError.
//
// It knows a ticket's printable fields and nothing of HTTP or the queue.
// Slips are printed in German plus language-neutral content (number, time,
// QR code); a visitor language is added only where its script prints
// correctly without text shaping (Latin, Cyrillic, Greek).
package printer

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/go-pdf/fpdf"
)

// Defaults for Options: an 80 mm thermal roll with a 72 mm, 203 dpi print
// head (Epson TM-T20/TM-m30, Star TSP100).
const (
	DefaultWidthMM     = 80
	DefaultPrintableMM = 72
	DefaultDPI         = 203
)

// Slip is what is printed for one ticket.
type Slip struct {
	Office    string         // e.g. "Bürgerbüro Offenbach am Main"
	LineID    string         // "mbe" / "jmd"
	LineName  string         // German name of the service, e.g. "Migrationsberatung für erwachsene Zuwanderer"
	LineShort string         // "MBE" / "JMD"
	Number    string         // "M-012"
	IssuedAt  time.Time      // shown in Location
	Location  *time.Location // nil = Europe/Berlin
	Ahead     int            // how many were waiting before it
	Estimate  string         // e.g. "20–35 min"; empty = not shown
	StatusURL string         // QR code target; empty = no QR
	Lang      string         // kiosk language, BCP 47 ("ar", "uk", "de", ...)
}

// Options describe the paper. Zero fields take the Default values.
type Options struct {
	WidthMM     float64 // paper width; the PDF page is this wide
	PrintableMM float64 // width the print head reaches, centred on the paper; all ink stays inside it
	DPI         int     // print head resolution; the QR code is aligned to its dots
}

// withDefaults fills in zero fields and checks the result.
func (o Options) withDefaults() (Options, error) {
	if o.WidthMM == 0 {
		o.WidthMM = DefaultWidthMM
	}
	if o.PrintableMM == 0 {
		o.PrintableMM = min(DefaultPrintableMM, o.WidthMM)
	}
	if o.DPI == 0 {
		o.DPI = DefaultDPI
	}
	switch {
	case o.WidthMM < 40 || o.WidthMM > 300:
		return o, fmt.Errorf("printer: paper width %g mm out of range 40–300", o.WidthMM)
	case o.PrintableMM < 40 || o.PrintableMM > o.WidthMM:
		return o, fmt.Errorf("printer: printable width %g mm must be 40 mm or more and at most the paper width %g mm", o.PrintableMM, o.WidthMM)
	case o.DPI < 72 || o.DPI > 1200:
		return o, fmt.Errorf("printer: %d dpi out of range 72–1200", o.DPI)
	}
	return o, nil
}

// Renderer turns slips into PDF documents. It is safe for concurrent use.
type Renderer struct {
	opt           Options
	regular, bold slipFont
	berlin        *time.Location
	fontSets      fontSets // fonts cut to the runes of slips, by rune set (simplefont.go)
}

// NewRenderer checks the options and prepares the embedded fonts once: they
// are cut down to the runes a slip may print and measured. Slips embed them
// cut further to the runes they print, cut once per set of runes (see
// simplefont.go).
func NewRenderer(o Options) (*Renderer, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return nil, fmt.Errorf("printer: time zone Europe/Berlin: %w (install tzdata or import time/tzdata in main)", err)
	}
	r := &Renderer{opt: o, berlin: berlin}
	if r.regular, err = cutFont(dejaVuSans); err != nil {
		return nil, fmt.Errorf("printer: font DejaVuSans.ttf: %w", err)
	}
	if r.bold, err = cutFont(dejaVuSansBold); err != nil {
		return nil, fmt.Errorf("printer: font DejaVuSans-Bold.ttf: %w", err)
	}
	if err := r.measureFonts(); err != nil {
		return nil, fmt.Errorf("printer: font metrics: %w", err)
	}
	return r, nil
}

// Options returns the options in effect, with defaults filled in.
func (r *Renderer) Options() Options { return r.opt }

// CheckText returns an error if s has a character the slip cannot print: one
// missing from the slip font, or from a script that needs shaping (Arabic,
// Hebrew, ...). The server can use it to check configured names at start.
func (r *Renderer) CheckText(s string) error {
	for _, c := range s {
		if !printable(c) || !r.regular.covers.has(c) || !r.bold.covers.has(c) {
			return fmt.Errorf("character %q (%U) cannot be printed on a slip", c, c)
		}
	}
	return nil
}

// Slip wording, all German. Visitor-language text comes from lang.go.
const (
	labelNumber   = "Ihre Nummer"
	labelAhead    = "Vor Ihnen: "
	labelEstimate = "Geschätzte Wartezeit: "
	labelQR       = "Wartestand auf dem Handy"
	dateLayout    = "02.01.2006 15:04"
)

// Layout sizes. Text sizes are in points, distances in millimetres.
const (
	ptMM       = 25.4 / 72 // one typographic point in mm
	padMM      = 2.0       // inside the printable width, against paper wander
	topMM      = 4.0
	bottomMM   = 6.0 // the cutter sits a few millimetres below the head
	numberPt   = 60  // largest size of the ticket number
	numberFill = 0.9 // share of the content width the number may take
	qrTargetMM = 28  // QR side; easy for phone cameras, small enough for 58 mm paper
	qrMinDots  = 3   // smallest module, in printer dots, that still scans reliably
)

// Render lays out one slip as a single PDF page as wide as the paper and as
// tall as its content.
func (r *Renderer) Render(s Slip) ([]byte, error) { return r.render(s, true) }

// render is Render; with cut false it always embeds fpdf's UTF-8 fonts, the
// way slips with too many runes for a one-byte encoding are embedded.
func (r *Renderer) render(s Slip, cut bool) ([]byte, error) {
	if s.Number == "" {
		return nil, errors.New("printer: slip has no number")
	}
	if s.IssuedAt.IsZero() {
		return nil, fmt.Errorf("printer: slip %s has no issue time", s.Number)
	}
	if s.Ahead < 0 {
		return nil, fmt.Errorf("printer: slip %s: %d waiting ahead", s.Number, s.Ahead)
	}
	for _, f := range []struct{ name, text string }{
		{"office", s.Office}, {"line name", s.LineName}, {"line short name", s.LineShort},
		{"number", s.Number}, {"estimate", s.Estimate},
	} {
		if err := r.CheckText(f.text); err != nil {
			return nil, fmt.Errorf("printer: slip %s: %s: %w", s.Number, f.name, err)
		}
	}
	loc := s.Location
	if loc == nil {
		loc = r.berlin
	}
	var code barcode.Barcode
	if s.StatusURL != "" {
		var err error
		if code, err = qr.Encode(s.StatusURL, qr.M, qr.Auto); err != nil {
			return nil, fmt.Errorf("printer: slip %s: QR code: %w", s.Number, err)
		}
	}

	// The first run measures the slip and collects its runes, which choose
	// the fonts; the second one draws.
	l := &layout{r: r, s: s, issued: s.IssuedAt.In(loc), code: code, runes: make(map[rune]bool, 128)}
	h, err := l.run(false)
	if err != nil {
		return nil, fmt.Errorf("printer: slip %s: %w", s.Number, err)
	}
	var enc *slipEncoding
	if cut {
		if enc, err = r.encoding(extraRunes(l.runes)); err != nil {
			return nil, fmt.Errorf("printer: slip %s: %w", s.Number, err)
		}
	}
	pdf := newSlipPDF(r, enc)
	// Fixed dates and object order make the same slip the same bytes.
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(s.IssuedAt)
	pdf.SetModificationDate(s.IssuedAt)
	pdf.SetTitle("Wartenummer "+s.Number, true)
	pdf.SetCreator("Wartemarke", true)
	pdf.SetLang("de")

	pdf.AddPageFormat("P", fpdf.SizeType{Wd: r.opt.WidthMM, Ht: h})
	l.pdf, l.enc = pdf, enc
	if _, err := l.run(true); err != nil {
		return nil, fmt.Errorf("printer: slip %s: %w", s.Number, err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("printer: slip %s: %w", s.Number, err)
	}
	return buf.Bytes(), nil
}

// newSlipPDF starts a document with the slip fonts and no page yet: those
// cut for enc, or with enc nil the UTF-8 fonts that fpdf cuts itself.
func newSlipPDF(r *Renderer, enc *slipEncoding) *fpdf.Fpdf {
	pdf := fpdf.NewCustom(&fpdf.InitType{
		OrientationStr: "P",
		UnitStr:        "mm",
		Size:           fpdf.SizeType{Wd: r.opt.WidthMM, Ht: r.opt.WidthMM},
	})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCellMargin(0)
	// The page stream stays uncompressed: 6 KB more per slip, which no
	// transport minds, for one zlib writer less (about 1 MB allocated).
	pdf.SetCompression(false)
	if enc != nil {
		pdf.AddFontFromBytes(fontFamily, "", enc.regular.def, enc.regular.z)
		pdf.AddFontFromBytes(fontFamily, "B", enc.bold.def, enc.bold.z)
		return pdf
	}
	// fpdf parses, cuts and compresses these for every slip.
	pdf.AddUTF8FontFromBytes(fontFamily, "", r.regular.ttf)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", r.bold.ttf)
	return pdf
}

// layout walks the slip from top to bottom. The first run only measures (a
// page's size is fixed when it is added) and collects the runes printed,
// without a document; the second one draws.
type layout struct {
	r      *Renderer
	s      Slip
	issued time.Time
	code   barcode.Barcode
	runes  map[rune]bool // every rune printed, filled by the first run

	pdf *fpdf.Fpdf    // set for the second run
	enc *slipEncoding // nil: pdf has the UTF-8 fonts
	err error         // text the encoding lacks, a bug

	draw bool
	y    float64
}

func (l *layout) left() float64  { return (l.r.opt.WidthMM-l.r.opt.PrintableMM)/2 + padMM }
func (l *layout) width() float64 { return l.r.opt.PrintableMM - 2*padMM }
func (l *layout) dot() float64   { return 25.4 / float64(l.r.opt.DPI) }

// snap rounds a position to the printer's dot grid.
func (l *layout) snap(mm float64) float64 { return math.Round(mm/l.dot()) * l.dot() }

func (l *layout) run(draw bool) (float64, error) {
	l.draw, l.y = draw, topMM
	s := l.s
	if draw {
		l.pdf.SetTextColor(0, 0, 0)
		l.pdf.SetDrawColor(0, 0, 0)
		l.pdf.SetFillColor(0, 0, 0)
	}

	if s.Office != "" {
		l.text("B", 10, 1.25, s.Office)
		l.y += 2
	}
	switch {
	case s.LineShort != "" && s.LineName != "":
		l.text("B", 13, 1.2, s.LineShort)
		l.text("", 9, 1.25, s.LineName)
	case s.LineShort != "":
		l.text("B", 13, 1.2, s.LineShort)
	case s.LineName != "":
		l.text("", 9, 1.25, s.LineName)
	}
	l.y += 2
	l.rule(2)
	l.y += 3

	l.text("", 10, 1.2, labelNumber)
	l.number(s.Number)
	l.y += 1.5
	l.text("", 11, 1.3, l.issued.Format(dateLayout))
	l.y += 2
	l.rule(1)
	l.y += 2.5

	l.text("B", 13, 1.3, labelAhead+strconv.Itoa(s.Ahead))
	if s.Estimate != "" {
		l.text("", 10, 1.3, labelEstimate+s.Estimate)
	}
	l.y += 2
	l.rule(1)
	l.y += 2.5

	l.icons()
	l.y += 2
	l.text("", 9, 1.3, policyDE)
	if tr := policyTranslation(s.Lang); tr != "" {
		l.y += 1.5
		l.text("", 9, 1.3, tr)
	}

	if l.code != nil {
		l.y += 4
		if err := l.qr(); err != nil {
			return 0, err
		}
		l.y += 1.5
		l.text("", 8, 1.25, labelQR)
	}
	l.y += bottomMM
	if !draw {
		return l.y, nil
	}
	return l.y, errors.Join(l.err, l.pdf.Error())
}

// font returns the metrics of a style of the slip font.
func (l *layout) font(style string) *slipFont {
	if style == "B" {
		return &l.r.bold
	}
	return &l.r.regular
}

// fontUnits is a size in points as fpdf holds it, in millimetres, computed
// as fpdf does so that widths come out to the same bits.
func fontUnits(pt float64) float64 { return pt / (72.0 / 25.4) }

// show prints s in a cell at the current position, in the document's
// encoding of the slip font.
func (l *layout) show(w, h float64, s string) {
	text := s
	if l.enc != nil {
		var ok bool
		if text, ok = l.enc.encode(s); !ok {
			l.err = errors.Join(l.err, fmt.Errorf("slip font lacks a rune of %q", s))
			return
		}
	}
	l.pdf.SetXY(l.left(), l.y)
	l.pdf.CellFormat(w, h, text, "", 0, "C", false, 0, "")
}

// text prints s centred, wrapped to the content width.
func (l *layout) text(style string, pt, leading float64, s string) {
	lh := pt * ptMM * leading
	if l.draw {
		l.pdf.SetFont(fontFamily, style, pt)
	} else {
		l.collect(s)
	}
	for _, line := range splitText(l.font(style), fontUnits(pt), s, l.width()) {
		if l.draw {
			l.show(l.width(), lh, line)
		}
		l.y += lh
	}
}

// collect notes the runes of s while measuring.
func (l *layout) collect(s string) {
	for _, c := range s {
		l.runes[c] = true
	}
}

// number prints the ticket number as large as fits, up to numberPt.
func (l *layout) number(n string) {
	pt := float64(numberPt)
	if w, limit := float64(l.r.bold.width(n))*fontUnits(pt)/1000, numberFill*l.width(); w > limit {
		pt = math.Floor(pt * limit / w)
	}
	// The cell is a little taller than the capitals; fpdf centres the
	// baseline at 0.3 of the font size below the cell's middle.
	h := pt * ptMM * 0.95
	if l.draw {
		l.pdf.SetFont(fontFamily, "B", pt)
		l.show(l.width(), h, n)
	} else {
		l.collect(n)
	}
	l.y += h
}

// splitText breaks s into lines no wider than w millimetres at a font size
// of size millimetres, exactly as fpdf's SplitText does with a zero cell
// margin: the measuring run has no document to ask.
func splitText(f *slipFont, size float64, s string, w float64) []string {
	wmax := int(math.Ceil(w * 1000 / size))
	rs := []rune(s)
	nb := len(rs)
	for nb > 0 && rs[nb-1] == '\n' {
		nb--
	}
	rs = rs[:nb]
	var lines []string
	sep, i, j, l := -1, 0, 0, 0
	for i < nb {
		c := rs[i]
		if c >= 0 && int(c) < len(f.widths) {
			l += int(f.widths[c])
		}
		if unicode.IsSpace(c) {
			sep = i
		}
		if c == '\n' || l > wmax {
			if sep == -1 {
				if i == j {
					i++
				}
				sep = i
			} else {
				i = sep + 1
			}
			lines = append(lines, string(rs[j:sep]))
			sep, j, l = -1, i, 0
		} else {
			i++
		}
	}
	if i != j {
		lines = append(lines, string(rs[j:i]))
	}
	return lines
}

// rule draws a horizontal line across the content width, dots thick.
func (l *layout) rule(dots int) {
	w := float64(dots) * l.dot()
	if l.draw {
		y := l.snap(l.y)
		l.pdf.Rect(l.left(), y, l.width(), w, "F")
	}
	l.y += w
}

// qr draws the QR code as filled rectangles whose edges fall on the printer's
// dot grid, so that it rasterises without grey or uneven modules.
func (l *layout) qr() error {
	n := l.code.Bounds().Dx()
	dot := l.dot()
	module := max(math.Floor(qrTargetMM/dot/float64(n)), qrMinDots)
	side := float64(n) * module * dot
	if side > l.width() {
		return fmt.Errorf("status URL too long for a QR code on %g mm paper (%d modules)", l.r.opt.PrintableMM, n)
	}
	if l.draw {
		x0 := l.snap((l.r.opt.WidthMM - side) / 2)
		y0 := l.snap(l.y)
		m := module * dot
		b := l.code.Bounds()
		for row := 0; row < n; row++ {
			// One rectangle per run of dark modules keeps the PDF small
			// and leaves no hairline seams between neighbours.
			for col := 0; col < n; {
				if !isDark(l.code, b.Min.X+col, b.Min.Y+row) {
					col++
					continue
				}
				start := col
				for col < n && isDark(l.code, b.Min.X+col, b.Min.Y+row) {
					col++
				}
				l.pdf.Rect(x0+float64(start)*m, y0+float64(row)*m, float64(col-start)*m, m, "F")
			}
		}
	}
	l.y += side
	return nil
}

// icons draws a screen and a loudspeaker side by side: the policy sentence
// for visitors who read little or read none of the printed languages.
func (l *layout) icons() {
	const h = 7.0 // icon height in mm
	if l.draw {
		pdf := l.pdf
		lw := 3 * l.dot()
		pdf.SetLineWidth(lw)
		pdf.SetLineCapStyle("round")
		pdf.SetLineJoinStyle("round")
		cx := l.r.opt.WidthMM / 2
		y := l.y

		// Screen: a framed display on a foot, left of centre.
		sx, sw, sh := cx-13, 10.0, 6.0
		pdf.Rect(sx, y, sw, sh-0.5, "D")
		pdf.Rect(sx+sw/2-0.5, y+sh-0.5, 1, 1, "F")
		pdf.Rect(sx+sw/2-2.5, y+sh+0.4, 5, lw, "F")

		// Loudspeaker: a box and a cone, then two sound waves.
		px := cx + 3.5
		my := y + h/2 - 0.3
		pdf.Polygon([]fpdf.PointType{
			{X: px, Y: my - 1.2}, {X: px + 1.6, Y: my - 1.2}, {X: px + 4, Y: my - 3.2},
			{X: px + 4, Y: my + 3.2}, {X: px + 1.6, Y: my + 1.2}, {X: px, Y: my + 1.2},
		}, "FD")
		pdf.Arc(px+4.6, my, 1.8, 1.8, 0, -45, 45, "D")
		pdf.Arc(px+4.6, my, 3.4, 3.4, 0, -50, 50, "D")
	}
	l.y += h
}

func isDark(img barcode.Barcode, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r+g+b < 3*0x8000
}
