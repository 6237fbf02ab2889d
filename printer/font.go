package printer

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode"

	"github.com/go-pdf/fpdf"
)

// The slip font is DejaVu Sans (Bitstream Vera licence, see
// fonts/LICENSE-DejaVu.txt). It is embedded so that a kiosk box without
// fonts-dejavu-core prints the same slip as a developer's machine.
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
)

// fontFamily is the name under which the subset fonts are added to each PDF.
const fontFamily = "DejaVuSans"

// slipBlocks are the Unicode ranges the slip font keeps: scripts that fpdf
// draws correctly one glyph after another (Latin, Greek, Cyrillic) plus
// punctuation and a few symbols. Arabic, Hebrew and other scripts that need
// shaping or right-to-left layout are left out on purpose, and so are
// combining marks (see printable): a rune outside this set is never printed.
var slipBlocks = []struct{ lo, hi rune }{
	{0x0020, 0x007E}, // Basic Latin
	{0x00A0, 0x024F}, // Latin-1 Supplement, Latin Extended-A and -B (ș, ț)
	{0x0370, 0x03E1}, // Greek (without the Coptic letters that follow)
	{0x03F0, 0x03FF}, // Greek symbols
	{0x0400, 0x052F}, // Cyrillic and Cyrillic Supplement
	{0x1E00, 0x1EFF}, // Latin Extended Additional
	{0x2010, 0x2027}, // dashes, quotes, bullets, ellipsis
	{0x2030, 0x203A}, // per mille, primes, guillemets
	{0x20AC, 0x20AC}, // euro sign
	{0x2116, 0x2116}, // numero sign
	{0x2190, 0x2193}, // arrows
}

// printable reports whether r may be printed at all, before looking at the
// font: fpdf places glyphs side by side, so combining marks would land next
// to their letter instead of on it, and format or control characters (bidi
// marks, zero-width joiners) would come out as boxes or nothing.
func printable(r rune) bool {
	return !unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Cc, unicode.Cf, unicode.Co, unicode.Zl, unicode.Zp)
}

// runeSet is a set of runes in the Basic Multilingual Plane, the only plane
// fpdf reads from a font (it uses the format 4 cmap).
type runeSet [0x10000 / 64]uint64

func (s *runeSet) add(r rune) {
	if r >= 0 && r < 0x10000 {
		s[r/64] |= 1 << (uint(r) % 64)
	}
}

func (s *runeSet) has(r rune) bool {
	return r >= 0 && r < 0x10000 && s[r/64]&(1<<(uint(r)%64)) != 0
}

// slipFont is one style of the slip font, cut down to the slip's runes once
// at start.
type slipFont struct {
	ttf    []byte // subset TrueType font; cut again for each set of slip runes (simplefont.go)
	covers runeSet
	// widths holds each covered rune's advance in thousandths of the font
	// size, and desc the font descriptor: both read from fpdf's own parse of
	// ttf, so that both ways of embedding the font place glyphs alike.
	widths []uint16
	desc   fpdf.FontDescType
}

// width returns the advance of s in thousandths of the font size.
func (f *slipFont) width(s string) int {
	w := 0
	for _, c := range s {
		if c >= 0 && int(c) < len(f.widths) {
			w += int(f.widths[c])
		}
	}
	return w
}

// measureFonts reads the metrics of the cut fonts back from fpdf, which
// parses them the same way for every slip that embeds them whole.
func (r *Renderer) measureFonts() error {
	pdf := newSlipPDF(r, nil)
	for _, st := range []struct {
		style string
		font  *slipFont
	}{{"", &r.regular}, {"B", &r.bold}} {
		pdf.SetFont(fontFamily, st.style, 10)
		st.font.desc = pdf.GetFontDesc(fontFamily, st.style)
		st.font.widths = make([]uint16, 0x10000)
		for c := rune(0); c < 0x10000; c++ {
			if !st.font.covers.has(c) {
				continue
			}
			w := pdf.GetStringSymbolWidth(string(c))
			if w <= 0 || w > 0xFFFF {
				return fmt.Errorf("fpdf gives %q (%U) the width %d", c, c, w)
			}
			st.font.widths[c] = uint16(w)
		}
	}
	return pdf.Error()
}

// cutFont subsets a TrueType font to the runes of slipBlocks it has a glyph
// for, and checks the result by reading its cmap back.
func cutFont(full []byte) (slipFont, error) {
	fullSet, err := cmapRunes(full)
	if err != nil {
		return slipFont{}, err
	}
	var cutset []rune
	for _, b := range slipBlocks {
		for r := b.lo; r <= b.hi; r++ {
			if printable(r) && fullSet.has(r) {
				cutset = append(cutset, r)
			}
		}
	}
	sub := fpdf.UTF8CutFont(full, string(cutset))
	if len(sub) == 0 {
		return slipFont{}, errors.New("subsetting failed")
	}
	subSet, err := cmapRunes(sub)
	if err != nil {
		return slipFont{}, fmt.Errorf("subset font: %w", err)
	}
	f := slipFont{ttf: sub}
	for _, r := range cutset {
		if !subSet.has(r) {
			return slipFont{}, fmt.Errorf("subset font lacks %U", r)
		}
		f.covers.add(r)
	}
	return f, nil
}

// cmapRunes returns the runes that a TrueType font maps to a glyph in its
// Unicode BMP (platform 3 encoding 1, or platform 0) format 4 cmap, the same
// table fpdf uses.
func cmapRunes(ttf []byte) (*runeSet, error) {
	u16 := func(off int) (int, error) {
		if off < 0 || off+2 > len(ttf) {
			return 0, errors.New("truncated font")
		}
		return int(binary.BigEndian.Uint16(ttf[off:])), nil
	}
	u32 := func(off int) (int, error) {
		if off < 0 || off+4 > len(ttf) {
			return 0, errors.New("truncated font")
		}
		return int(binary.BigEndian.Uint32(ttf[off:])), nil
	}
	numTables, err := u16(4)
	if err != nil {
		return nil, err
	}
	cmap := -1
	for i := 0; i < numTables; i++ {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errors.New("truncated table directory")
		}
		if string(ttf[rec:rec+4]) == "cmap" {
			if cmap, err = u32(rec + 8); err != nil {
				return nil, err
			}
			break
		}
	}
	if cmap < 0 {
		return nil, errors.New("font has no cmap table")
	}
	n, err := u16(cmap + 2)
	if err != nil {
		return nil, err
	}
	sub := -1
	for i := 0; i < n && sub < 0; i++ {
		rec := cmap + 4 + 8*i
		platform, err1 := u16(rec)
		encoding, err2 := u16(rec + 2)
		off, err3 := u32(rec + 4)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		if (platform == 3 && encoding == 1) || platform == 0 {
			if format, err := u16(cmap + off); err == nil && format == 4 {
				sub = cmap + off
			}
		}
	}
	if sub < 0 {
		return nil, errors.New("font has no format 4 Unicode cmap")
	}
	segX2, err := u16(sub + 6)
	if err != nil {
		return nil, err
	}
	ends := sub + 14
	starts := ends + segX2 + 2
	deltas := starts + segX2
	rangeOffs := deltas + segX2
	set := new(runeSet)
	for seg := 0; seg < segX2; seg += 2 {
		end, err1 := u16(ends + seg)
		start, err2 := u16(starts + seg)
		delta, err3 := u16(deltas + seg)
		ro, err4 := u16(rangeOffs + seg)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, err
		}
		for c := start; c <= end && c != 0xFFFF; c++ {
			glyph := 0
			if ro == 0 {
				glyph = (c + delta) & 0xFFFF
			} else {
				g, err := u16(rangeOffs + seg + ro + 2*(c-start))
				if err != nil {
					return nil, err
				}
				if g != 0 {
					glyph = (g + delta) & 0xFFFF
				}
			}
			if glyph != 0 {
				set.add(rune(c))
			}
		}
	}
	return set, nil
}
