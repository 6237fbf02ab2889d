package printer

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/go-pdf/fpdf"
)

// fpdf embeds a UTF-8 font anew in every document: it parses the TrueType
// file, cuts it to the glyphs used, and compresses the cut font and a 128 KB
// glyph map, in all 15–20 ms and 10 MB per slip. A simple TrueType font (one
// byte per character, glyphs named in an /Encoding /Differences array) is
// embedded as it is given, already compressed. So the renderer cuts the
// DejaVu subsets once for each set of runes slips use, compresses them, and
// caches them: slips in the same language share one set, whatever their
// number, time and waiting figures, since every ASCII character is in it.
//
// One byte per character leaves 128 codes (0x80–0xFF) for runes beyond
// ASCII; a slip that needs more (names in several scripts at once) falls back
// to fpdf's UTF-8 fonts, slower but alike on paper.

// Limits of the cut fonts and their cache.
const (
	maxExtraRunes = 0x100 - 0x80 // codes 0x80–0xFF; the ASCII codes keep their runes
	maxFontSets   = 64           // rune sets kept; a kiosk office needs a few, one per language
)

// simpleFontFile ends the names of cut font files: fpdf reads a font file
// named *.z as zlib-compressed.
const simpleFontFile = ".z"

// slipEncoding maps the runes of a slip to one-byte codes, and holds the two
// styles of the slip font cut to those runes, ready for fpdf.AddFontFromBytes.
type slipEncoding struct {
	code          map[rune]byte // runes beyond ASCII; ASCII codes are their own runes
	regular, bold simpleFont
}

// simpleFont is one style of a cut font as fpdf's font loader reads it: a
// JSON definition (metrics, widths by code, encoding differences) and the
// zlib-compressed TrueType file.
type simpleFont struct {
	def, z []byte
}

// simpleFontDef is the part of fpdf's font definition file that a TrueType
// font needs; the field names are fpdf's.
type simpleFontDef struct {
	Tp           string
	Name         string
	Desc         fpdf.FontDescType
	Up, Ut       int
	Cw           []int
	Diff         string
	File         string
	OriginalSize int
}

// encode turns text into the codes of e. It reports false for a rune that e
// lacks, which the layout rules out by collecting the runes first.
func (e *slipEncoding) encode(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for _, c := range s {
		if c >= 0x20 && c < 0x7F {
			b = append(b, byte(c))
			continue
		}
		code, ok := e.code[c]
		if !ok {
			return "", false
		}
		b = append(b, code)
	}
	return string(b), true
}

// fontSets caches slip encodings by the runes beyond ASCII they cover.
type fontSets struct {
	mu   sync.Mutex
	sets map[string]*slipEncoding
}

// encoding returns the encoding for a slip whose runes beyond ASCII are
// extra (sorted, without repeats), cutting the fonts on first use. It returns
// nil when extra has more runes than one byte can code.
func (r *Renderer) encoding(extra []rune) (*slipEncoding, error) {
	if len(extra) > maxExtraRunes {
		return nil, nil
	}
	key := string(extra)
	// Cutting takes a few milliseconds, once per rune set; slips waiting
	// behind it for the lock would only cut the same fonts again.
	r.fontSets.mu.Lock()
	defer r.fontSets.mu.Unlock()
	if e := r.fontSets.sets[key]; e != nil {
		return e, nil
	}
	e, err := newSlipEncoding(r, extra)
	if err != nil {
		return nil, err
	}
	if r.fontSets.sets == nil {
		r.fontSets.sets = make(map[string]*slipEncoding)
	}
	if len(r.fontSets.sets) >= maxFontSets {
		// Names that change every slip would otherwise grow the cache
		// without bound; any entry may go, it is cut again when needed.
		for k := range r.fontSets.sets {
			delete(r.fontSets.sets, k)
			break
		}
	}
	r.fontSets.sets[key] = e
	return e, nil
}

// newSlipEncoding codes ASCII as itself and extra from 0x80 on, and cuts both
// styles of the slip font to those runes.
func newSlipEncoding(r *Renderer, extra []rune) (*slipEncoding, error) {
	e := &slipEncoding{code: make(map[rune]byte, len(extra))}
	runes := make([]rune, 0, 0x7F-0x20+len(extra))
	for c := rune(0x20); c < 0x7F; c++ {
		runes = append(runes, c)
	}
	// Glyph names by Unicode value (uniXXXX), which PDF readers map through
	// the font's Unicode cmap and text extraction maps back to the rune.
	var diff strings.Builder
	fmt.Fprintf(&diff, "%d", 0x80)
	for i, c := range extra {
		if c < 0x80 || c > 0xFFFF {
			return nil, fmt.Errorf("printer: rune %U cannot be coded in a slip font", c)
		}
		e.code[c] = byte(0x80 + i)
		runes = append(runes, c)
		fmt.Fprintf(&diff, " /uni%04X", c)
	}
	// A subset tag derived from the runes names the cut font (PDF 9.6.4).
	h := fnv.New32a()
	h.Write([]byte(string(runes)))
	sum := h.Sum32()
	var tag [7]byte
	for i := range 6 {
		tag[i] = byte('A' + sum%26)
		sum /= 26
	}
	tag[6] = '+'
	var err error
	if e.regular, err = cutSimpleFont(&r.regular, "DejaVuSans", string(tag[:]), runes, e, diff.String()); err != nil {
		return nil, err
	}
	if e.bold, err = cutSimpleFont(&r.bold, "DejaVuSans-Bold", string(tag[:]), runes, e, diff.String()); err != nil {
		return nil, err
	}
	return e, nil
}

// cutSimpleFont cuts one style of the slip font to runes, checks the cut,
// and writes fpdf's definition and compressed file for it.
func cutSimpleFont(f *slipFont, name, tag string, runes []rune, e *slipEncoding, diff string) (simpleFont, error) {
	for _, c := range runes {
		if !f.covers.has(c) {
			return simpleFont{}, fmt.Errorf("printer: font %s lacks %q (%U)", name, c, c)
		}
	}
	ttf := fpdf.UTF8CutFont(f.ttf, string(runes))
	cut, err := cmapRunes(ttf)
	if err != nil {
		return simpleFont{}, fmt.Errorf("printer: font %s cut for a slip: %w", name, err)
	}
	cw := make([]int, 0x100)
	for _, c := range runes {
		if !cut.has(c) {
			return simpleFont{}, fmt.Errorf("printer: font %s cut for a slip lacks %q (%U)", name, c, c)
		}
		code := byte(c)
		if c >= 0x80 {
			code = e.code[c]
		}
		cw[code] = int(f.widths[c])
	}
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
	if err != nil {
		return simpleFont{}, err
	}
	if _, err := zw.Write(ttf); err != nil {
		return simpleFont{}, err
	}
	if err := zw.Close(); err != nil {
		return simpleFont{}, err
	}
	desc := f.desc
	// Nonsymbolic, not symbolic: readers then find glyphs by the names in
	// the encoding and the font's Unicode cmap, not by raw codes.
	desc.Flags = desc.Flags&^fpdf.FontFlagSymbolic | fpdf.FontFlagNonsymbolic
	def, err := json.Marshal(simpleFontDef{
		Tp:           "TrueType",
		Name:         tag + name,
		Desc:         desc,
		Cw:           cw,
		Diff:         diff,
		File:         name + simpleFontFile,
		OriginalSize: len(ttf),
	})
	if err != nil {
		return simpleFont{}, err
	}
	return simpleFont{def: def, z: z.Bytes()}, nil
}

// extraRunes returns the runes of set beyond ASCII, sorted.
func extraRunes(set map[rune]bool) []rune {
	extra := make([]rune, 0, len(set))
	for c := range set {
		if c < 0x20 || c >= 0x7F {
			extra = append(extra, c)
		}
	}
	slices.Sort(extra)
	return extra
}
