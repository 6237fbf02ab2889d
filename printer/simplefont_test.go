package printer

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rasterise renders a slip PDF as the printer's head sees it.
func rasterise(t *testing.T, name string, pdf []byte) []byte {
	t.Helper()
	path := writeTemp(t, name+".pdf", pdf)
	prefix := strings.TrimSuffix(path, ".pdf")
	run(t, "pdftoppm", "-r", "203", "-mono", "-png", "-singlefile", path, prefix)
	png, err := os.ReadFile(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	return png
}

// TestRenderFontPathsAlike makes sure the fonts cut per rune set print the
// same slip as fpdf's UTF-8 fonts: same glyphs, same widths, same places,
// down to the last dot.
func TestRenderFontPathsAlike(t *testing.T) {
	r := mustRenderer(t)
	for _, lang := range []string{"de", "uk", "el", "tr", "ro", "pl"} {
		t.Run(lang, func(t *testing.T) {
			s := testSlip(lang)
			cut, err := r.render(s, true)
			if err != nil {
				t.Fatal(err)
			}
			utf8, err := r.render(s, false)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(cut, []byte("/Differences")) || bytes.Contains(cut, []byte("/Type0")) {
				t.Error("Render did not embed the cut one-byte fonts")
			}
			if !bytes.Contains(utf8, []byte("/Type0")) {
				t.Error("render(s, false) did not embed fpdf's UTF-8 fonts")
			}
			want, got := rasterise(t, "utf8", utf8), rasterise(t, "cut", cut)
			diff, frac, err := compareImages(want, got)
			if err != nil {
				t.Fatal(err)
			}
			if frac != 0 {
				art := filepath.Join("testdata", "artifacts")
				os.MkdirAll(art, 0o755)                                                 //nolint:errcheck // the failure says what matters
				os.WriteFile(filepath.Join(art, "slip-cut-"+lang+".png"), got, 0o644)   //nolint:errcheck
				os.WriteFile(filepath.Join(art, "slip-utf8-"+lang+".png"), want, 0o644) //nolint:errcheck
				t.Fatalf("%.3f%% of pixels differ between the cut and the UTF-8 fonts (%v); images in %s", 100*frac, diff.Bounds().Size(), art)
			}
		})
	}
}

// TestRenderManyRunes renders a slip with more runes beyond ASCII than a
// one-byte encoding holds: it takes fpdf's UTF-8 fonts and prints them all.
func TestRenderManyRunes(t *testing.T) {
	r := mustRenderer(t)
	s := testSlip("uk")
	s.Office = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ αβγδεζηθικλμνξοπρστυφχψω"
	s.LineName = "ЁЂЃЄЅІЇЈЉЊЋЌЎЏ ђѓєѕіјљњћќўџ ĀĂĄĆĈĊČĎĐĒ ĔĖĘĚĜĞĠĢĤĦ ĨĪĬĮİĲĴĶĹĻ ĽĿŁŃŅŇŊŌŎŐ ŒŔŖŘŚŜŞŠŢŤ ŦŨŪŬŮŰŲŴŶŸ ŹŻŽ"
	runes := map[rune]bool{}
	for _, c := range s.Office + s.LineName {
		runes[c] = true
	}
	if n := len(extraRunes(runes)); n <= maxExtraRunes {
		t.Fatalf("test slip has only %d runes beyond ASCII; want more than %d", n, maxExtraRunes)
	}
	pdf := mustRender(t, r, s)
	if !bytes.Contains(pdf, []byte("/Type0")) {
		t.Error("slip did not fall back to fpdf's UTF-8 fonts")
	}
	text := pdfText(t, writeTemp(t, "slip.pdf", pdf))
	for _, want := range []string{s.Office, s.LineName, s.Number, policyDE, policyTranslations["uk"]} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// TestCutFontWidths checks, without a PDF reader, that fpdf measures every
// slip text in the cut fonts exactly as in its UTF-8 fonts: the layout, the
// line breaks and the centring depend on it.
func TestCutFontWidths(t *testing.T) {
	r := mustRenderer(t)
	utf8 := newSlipPDF(r, nil)
	for lang, tr := range policyTranslations {
		texts := []string{policyDE, labelNumber, labelAhead + "12", labelEstimate + "20–35 min", labelQR,
			"0123456789 .:-<>", "Bürgerbüro Offenbach am Main", "Stadt Offenbach – Bürgerbüro", tr}
		runes := map[rune]bool{}
		for _, text := range texts {
			for _, c := range text {
				runes[c] = true
			}
		}
		enc, err := r.encoding(extraRunes(runes))
		if err != nil || enc == nil {
			t.Fatalf("%s: encoding = %v, %v", lang, enc, err)
		}
		cut := newSlipPDF(r, enc)
		for _, style := range []string{"", "B"} {
			utf8.SetFont(fontFamily, style, 10)
			cut.SetFont(fontFamily, style, 10)
			for _, text := range texts {
				coded, ok := enc.encode(text)
				if !ok {
					t.Fatalf("%s: cannot encode %q", lang, text)
				}
				if got, want := cut.GetStringWidth(coded), utf8.GetStringWidth(text); got != want {
					t.Errorf("%s, style %q: width of %q = %g in the cut font, %g in the UTF-8 font", lang, style, text, got, want)
				}
			}
		}
		if err := cut.Error(); err != nil {
			t.Fatal(err)
		}
	}
	if err := utf8.Error(); err != nil {
		t.Fatal(err)
	}
}

// TestFontSetsCache checks that a rune set is cut once, that the cache stays
// bounded, and that a set too large for one byte gets no encoding.
func TestFontSetsCache(t *testing.T) {
	r, err := NewRenderer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.encoding([]rune{'ä', 'ö'})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := r.encoding([]rune{'ä', 'ö'}); b != a {
		t.Error("the same rune set was cut twice")
	}
	// Fill the cache with stand-ins rather than cutting fonts for each.
	for i := 0; len(r.fontSets.sets) < maxFontSets; i++ {
		r.fontSets.sets[strconv.Itoa(i)] = a // digits are ASCII: no real key
	}
	if _, err := r.encoding([]rune{'ж'}); err != nil {
		t.Fatal(err)
	}
	if r.fontSets.sets[string('ж')] == nil {
		t.Error("a new rune set was not cached when the cache was full")
	}
	if n := len(r.fontSets.sets); n > maxFontSets {
		t.Errorf("cache holds %d rune sets, want at most %d", n, maxFontSets)
	}
	many := make([]rune, maxExtraRunes+1)
	for i := range many {
		many[i] = 0x100 + rune(i)
	}
	if e, err := r.encoding(many); e != nil || err != nil {
		t.Errorf("encoding of %d runes = %v, %v; want none", len(many), e, err)
	}
	if _, err := r.encoding([]rune{'ب'}); err == nil {
		t.Error("an Arabic letter got a slip encoding")
	}
}
