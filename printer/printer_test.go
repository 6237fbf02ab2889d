package printer

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/boombuler/barcode/qr"
	"github.com/go-pdf/fpdf"

	"wartemarke/internal/procstat"
	"wartemarke/internal/testenv"
)

// toolPackages names the Debian package of each external tool the tests use.
var toolPackages = map[string]string{
	"pdftotext": "poppler-utils",
	"pdftoppm":  "poppler-utils",
	"pdfinfo":   "poppler-utils",
	"zbarimg":   "zbar-tools",
}

// needTool returns the path of an external tool. Without it the test is
// skipped, except in CI (CI=true), where a missing tool is a failure.
func needTool(tb testing.TB, name string) string {
	tb.Helper()
	return testenv.LookPath(tb, name, toolPackages[name])
}

// run runs a tool and returns its standard output.
func run(tb testing.TB, name string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(needTool(tb, name), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

var (
	sharedRenderer     *Renderer
	sharedRendererErr  error
	sharedRendererOnce sync.Once
)

// mustRenderer returns a Renderer with default options, built once per test
// binary.
func mustRenderer(tb testing.TB) *Renderer {
	tb.Helper()
	sharedRendererOnce.Do(func() { sharedRenderer, sharedRendererErr = NewRenderer(Options{}) })
	if sharedRendererErr != nil {
		tb.Fatalf("NewRenderer: %v", sharedRendererErr)
	}
	return sharedRenderer
}

const testURL = "https://wartemarke.example/s/7f3a9c2e1b5d"

// testSlip is a slip issued on Wednesday 12 March 2025 at 09:14 in Offenbach.
func testSlip(lang string) Slip {
	return Slip{
		Office:    "Bürgerbüro Offenbach am Main",
		LineID:    "mbe",
		LineName:  "Migrationsberatung für erwachsene Zuwanderer",
		LineShort: "MBE",
		Number:    "M-012",
		IssuedAt:  time.Date(2025, 3, 12, 8, 14, 0, 0, time.UTC),
		Ahead:     3,
		Estimate:  "20–35 min",
		StatusURL: testURL,
		Lang:      lang,
	}
}

func mustRender(tb testing.TB, r *Renderer, s Slip) []byte {
	tb.Helper()
	pdf, err := r.Render(s)
	if err != nil {
		tb.Fatalf("Render: %v", err)
	}
	return pdf
}

func writeTemp(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// pdfText extracts a slip's text with whitespace collapsed, so that wrapped
// lines read as one.
func pdfText(tb testing.TB, path string) string {
	tb.Helper()
	return strings.Join(strings.Fields(string(run(tb, "pdftotext", "-enc", "UTF-8", path, "-"))), " ")
}

func TestRenderLanguages(t *testing.T) {
	r := mustRenderer(t)
	for _, tc := range []struct {
		lang        string
		translation string // expected translated policy line, "" for none
	}{
		{"de", ""},
		{"ar", ""},
		{"fa", ""},
		{"uk", "Ми викличемо Ваш номер на екрані та через гучномовець."},
		{"tr", "Numaranızı ekranda ve hoparlörden çağıracağız."},
		{"en", "We will call your number on the screen and over the loudspeaker."},
		{"el", "Θα καλέσουμε τον αριθμό σας στην οθόνη και από τα μεγάφωνα."},
		{"ro", "Vă vom chema numărul pe ecran și prin difuzor."},
		{"ti", ""},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			path := writeTemp(t, "slip.pdf", mustRender(t, r, testSlip(tc.lang)))
			text := pdfText(t, path)
			for _, want := range []string{
				"Bürgerbüro Offenbach am Main",
				"MBE",
				"Migrationsberatung für erwachsene Zuwanderer",
				"M-012",
				"12.03.2025 09:14", // 08:14 UTC is 09:14 in Berlin (CET)
				"Vor Ihnen: 3",
				"Geschätzte Wartezeit: 20–35 min",
				policyDE,
			} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			if tc.translation != "" && !strings.Contains(text, tc.translation) {
				t.Errorf("text lacks translation %q:\n%s", tc.translation, text)
			}
			for lang, tr := range policyTranslations {
				if tr != tc.translation && strings.Contains(text, tr) {
					t.Errorf("text has the %s translation %q", lang, tr)
				}
			}
			for _, c := range text {
				if unicode.In(c, unicode.Arabic, unicode.Hebrew, unicode.Ethiopic, unicode.Syriac, unicode.Thaana) {
					t.Fatalf("text has %q (%U), a script fpdf cannot shape:\n%s", c, c, text)
				}
			}
			info := string(run(t, "pdfinfo", path))
			if !regexpPages1(info) {
				t.Errorf("want exactly one page:\n%s", info)
			}
		})
	}
}

func regexpPages1(info string) bool {
	for _, line := range strings.Split(info, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "Pages:" {
			return f[1] == "1"
		}
	}
	return false
}

func TestRenderRaster(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"80mm-203dpi", Options{}},                                       // Epson TM-T20, Star TSP100: 576 dots
		{"80mm-180dpi", Options{WidthMM: 80, PrintableMM: 72, DPI: 180}}, // Epson TM-T88: 512 dots
		{"58mm-203dpi", Options{WidthMM: 58, PrintableMM: 48, DPI: 203}}, // 384 dots
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRenderer(tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			o := r.Options()
			s := testSlip("uk")
			s.Number = "J-1234" // wider than usual: four digits late in the day
			pdfPath := writeTemp(t, "slip.pdf", mustRender(t, r, s))
			dpi := strconv.Itoa(o.DPI)
			prefix := filepath.Join(filepath.Dir(pdfPath), "slip")
			run(t, "pdftoppm", "-r", dpi, "-mono", "-png", "-singlefile", pdfPath, prefix)
			pngPath := prefix + ".png"
			img := decodePNG(t, pngPath)

			dotsPerMM := float64(o.DPI) / 25.4
			// The page is the paper: 80 mm at 203 dpi is 640 dots wide.
			wantW := o.WidthMM * dotsPerMM
			if got := float64(img.Bounds().Dx()); math.Abs(got-wantW) > 2 {
				t.Errorf("page width = %g px, want %.1f ±2 (%g mm at %d dpi)", got, wantW, o.WidthMM, o.DPI)
			}
			// The ink stays within the print head: 72 mm at 203 dpi is 576 dots.
			left, right, ok := inkColumns(img)
			if !ok {
				t.Fatal("blank slip")
			}
			head := o.PrintableMM * dotsPerMM
			margin := (wantW - head) / 2
			if float64(left) < margin-1 || float64(right) > margin+head+1 {
				t.Errorf("ink spans columns %d–%d, want within %.0f–%.0f (%.0f printable dots)", left, right, margin, margin+head, head)
			}
			if got := right - left; float64(got) > head {
				t.Errorf("ink is %d dots wide, more than the %.0f the head prints", got, head)
			}
			got := strings.TrimSpace(string(run(t, "zbarimg", "--raw", "-q", pngPath)))
			if got != s.StatusURL {
				t.Errorf("QR code = %q, want %q", got, s.StatusURL)
			}
		})
	}
}

func decodePNG(tb testing.TB, path string) image.Image {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// inkColumns returns the leftmost and rightmost columns with a dark pixel.
func inkColumns(img image.Image) (left, right int, ok bool) {
	b := img.Bounds()
	left, right = b.Max.X, b.Min.X-1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128 {
				left, right = min(left, x), max(right, x)
			}
		}
	}
	return left, right, right >= left
}

func TestRenderWithoutOptionalParts(t *testing.T) {
	r := mustRenderer(t)
	full := testSlip("de")
	bare := Slip{Number: "J-007", IssuedAt: full.IssuedAt, Location: time.UTC}
	path := writeTemp(t, "bare.pdf", mustRender(t, r, bare))
	text := pdfText(t, path)
	for _, want := range []string{"J-007", "12.03.2025 08:14", "Vor Ihnen: 0", policyDE} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, unwanted := range []string{"Geschätzte Wartezeit", labelQR} {
		if strings.Contains(text, unwanted) {
			t.Errorf("text has %q, though the slip has none:\n%s", unwanted, text)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	r := mustRenderer(t)
	want := mustRender(t, r, testSlip("tr"))
	// Concurrent renders share the prepared fonts; -race checks they only read them.
	var wg sync.WaitGroup
	results := make([][]byte, 8)
	for i := range results {
		wg.Go(func() {
			pdf, err := r.Render(testSlip("tr"))
			if err != nil {
				t.Error(err)
			}
			results[i] = pdf
		})
	}
	wg.Wait()
	for i, got := range results {
		if !bytes.Equal(got, want) {
			t.Errorf("render %d differs from the first one", i)
		}
	}
}

func TestRenderRejects(t *testing.T) {
	r := mustRenderer(t)
	for _, tc := range []struct {
		name    string
		change  func(*Slip)
		wantErr string
	}{
		{"no number", func(s *Slip) { s.Number = "" }, "no number"},
		{"no time", func(s *Slip) { s.IssuedAt = time.Time{} }, "no issue time"},
		{"negative ahead", func(s *Slip) { s.Ahead = -1 }, "waiting ahead"},
		{"arabic office", func(s *Slip) { s.Office = "مكتب المواطنين" }, "office"},
		{"hebrew line name", func(s *Slip) { s.LineName = "ייעוץ" }, "line name"},
		{"ethiopic estimate", func(s *Slip) { s.Estimate = "ደቒቓ" }, "estimate"},
		{"combining mark", func(s *Slip) { s.LineShort = "MBE\u0301" }, "line short name"},
		{"emoji", func(s *Slip) { s.Number = "M-012 🎫" }, "number"},
		{"bidi mark", func(s *Slip) { s.Office = "Bürgerbüro\u200f" }, "office"},
		{"url too long for QR", func(s *Slip) { s.StatusURL = "https://x.example/" + strings.Repeat("a", 3000) }, "QR code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSlip("de")
			tc.change(&s)
			_, err := r.Render(s)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Render error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewRendererOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
		ok   bool
	}{
		{"defaults", Options{}, true},
		{"tm-t88", Options{DPI: 180}, true},
		{"58mm", Options{WidthMM: 58, PrintableMM: 48}, true},
		{"printable wider than paper", Options{WidthMM: 58, PrintableMM: 72}, false},
		{"tiny paper", Options{WidthMM: 20}, false},
		{"negative dpi", Options{DPI: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRenderer(tc.opt)
			if got := err == nil; got != tc.ok {
				t.Fatalf("NewRenderer(%+v) error = %v, want ok=%v", tc.opt, err, tc.ok)
			}
		})
	}
	r := mustRenderer(t)
	if got, want := r.Options(), (Options{80, 72, 203}); got != want {
		t.Errorf("default options = %+v, want %+v", got, want)
	}
}

func TestPolicyTranslation(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want string // key into policyTranslations, "" for none
	}{
		{"de", ""}, {"de-DE", ""}, {"", ""},
		{"en", "en"}, {"EN-gb", "en"}, {"tr_TR", "tr"}, {"uk-UA", "uk"},
		{"hr", "hr"}, {"bs", "hr"}, {"sr", "hr"}, {"sr-Latn", "hr"}, {"sr-Cyrl-RS", "hr"},
		{"ku", "ku"}, {"kmr", "ku"}, {"ku-Latn", "ku"},
		// Arabic script, Ethiopic and Hebrew: nothing fpdf could print correctly.
		{"ar", ""}, {"ar-SY", ""}, {"fa", ""}, {"fa-AF", ""}, {"prs", ""}, {"ps", ""},
		{"ckb", ""}, {"ku-Arab", ""}, {"ur", ""}, {"ti", ""}, {"ti-ER", ""}, {"he", ""},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			want := ""
			if tc.want != "" {
				want = policyTranslations[tc.want]
			}
			if got := policyTranslation(tc.lang); got != want {
				t.Fatalf("policyTranslation(%q) = %q, want %q", tc.lang, got, want)
			}
		})
	}
}

// slipTexts returns every fixed text the renderer may print, and samples of
// the variable ones.
func slipTexts() []string {
	texts := []string{
		policyDE, labelNumber, labelAhead, labelEstimate, labelQR,
		"0123456789", time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC).Format(dateLayout),
		// Configured names and typical values.
		"Bürgerbüro Offenbach am Main", "Stadt Offenbach – Bürgerbüro",
		"Migrationsberatung für erwachsene Zuwanderer", "Jugendmigrationsdienst",
		"MBE", "JMD", "M-012", "J-007", "M-1234",
		"20–35 min", "ca. 15 min", "über 60 min", "< 5 min",
	}
	for _, tr := range policyTranslations {
		texts = append(texts, tr)
	}
	return texts
}

// TestFontCoversSlipTexts makes sure no slip text prints as an empty box:
// every rune is in the embedded font's cmap, in the subset cut from it, and
// fpdf itself gives it a width.
func TestFontCoversSlipTexts(t *testing.T) {
	r := mustRenderer(t)
	for _, full := range []struct {
		name string
		ttf  []byte
		sub  slipFont
	}{
		{"DejaVuSans.ttf", dejaVuSans, r.regular},
		{"DejaVuSans-Bold.ttf", dejaVuSansBold, r.bold},
	} {
		t.Run(full.name, func(t *testing.T) {
			fullSet, err := cmapRunes(full.ttf)
			if err != nil {
				t.Fatal(err)
			}
			subSet, err := cmapRunes(full.sub.ttf)
			if err != nil {
				t.Fatal(err)
			}
			for _, text := range slipTexts() {
				if err := r.CheckText(text); err != nil {
					t.Errorf("%q: %v", text, err)
				}
				for _, c := range text {
					if !fullSet.has(c) || !subSet.has(c) {
						t.Errorf("%q: %q (%U) missing from the font (full %v, subset %v)", text, c, c, fullSet.has(c), subSet.has(c))
					}
				}
			}
		})
	}
	// The cmap reader agrees with fpdf: every rune the renderer accepts has
	// a width in the PDF fonts (a missing glyph has none).
	pdf := newSlipPDF(r, nil)
	for _, style := range []string{"", "B"} {
		pdf.SetFont(fontFamily, style, 10)
		for c := rune(0x20); c < 0x10000; c++ {
			if r.CheckText(string(c)) == nil && pdf.GetStringWidth(string(c)) <= 0 {
				t.Errorf("style %q: fpdf has no width for %q (%U)", style, c, c)
			}
		}
	}
	if err := pdf.Error(); err != nil {
		t.Fatal(err)
	}
}

// TestNoUnshapedScripts makes sure scripts fpdf cannot shape never reach a
// slip: the font subset has none of their letters, and the translation
// table has no text in them.
func TestNoUnshapedScripts(t *testing.T) {
	r := mustRenderer(t)
	full, err := cmapRunes(dejaVuSans)
	if err != nil {
		t.Fatal(err)
	}
	// DejaVu Sans does have Arabic and Hebrew letters: only the subset
	// keeps them off the slip. Ethiopic (Tigrinya) it lacks altogether.
	for _, c := range []rune{'ب', 'ا', 'ی', 'ש'} {
		if !full.has(c) {
			t.Errorf("expected DejaVu Sans to have %q (%U)", c, c)
		}
	}
	if full.has('ት') {
		t.Errorf("expected DejaVu Sans to lack Ethiopic %q", 'ት')
	}
	allowed := []*unicode.RangeTable{unicode.Latin, unicode.Greek, unicode.Cyrillic, unicode.Common}
	n := 0
	for c := rune(0); c < 0x10000; c++ {
		if r.CheckText(string(c)) != nil {
			continue
		}
		n++
		if !unicode.In(c, allowed...) || unicode.In(c, unicode.Mn, unicode.Me, unicode.Mc, unicode.Cf) {
			t.Errorf("renderer accepts %q (%U), which is outside Latin, Greek, Cyrillic and common punctuation", c, c)
		}
	}
	if n < 500 {
		t.Errorf("renderer accepts only %d runes; the subset looks broken", n)
	}
	for lang, tr := range policyTranslations {
		for _, c := range tr {
			if !unicode.In(c, allowed...) {
				t.Errorf("%s translation has %q (%U) outside Latin, Greek and Cyrillic", lang, c, c)
			}
		}
	}
}

// BenchmarkRender renders a Ukrainian slip the way the server does: with
// fonts cut for its runes once, then taken from the renderer's cache.
func BenchmarkRender(b *testing.B) {
	r := mustRenderer(b)
	s := testSlip("uk")
	mustRender(b, r, s) // cuts the fonts for its runes, see BenchmarkCutFonts
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := r.Render(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderUTF8Fonts renders the same slip with fpdf's UTF-8 fonts,
// which fpdf parses, cuts and compresses anew for every slip: how every slip
// was rendered before the cut fonts, and still how a slip with more runes
// than a one-byte encoding holds is rendered.
func BenchmarkRenderUTF8Fonts(b *testing.B) {
	r := mustRenderer(b)
	s := testSlip("uk")
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := r.render(s, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderFullFont renders the same slip the way fpdf does it by
// default, parsing the full 750 KB TrueType fonts for every slip.
func BenchmarkRenderFullFont(b *testing.B) {
	r, err := NewRenderer(Options{})
	if err != nil {
		b.Fatal(err)
	}
	r.regular.ttf, r.bold.ttf = dejaVuSans, dejaVuSansBold
	s := testSlip("uk")
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := r.render(s, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCutFonts cuts and compresses both slip fonts for one rune set:
// what the first slip in a language costs on top of BenchmarkRender.
func BenchmarkCutFonts(b *testing.B) {
	r := mustRenderer(b)
	runes := map[rune]bool{}
	for _, c := range policyDE + policyTranslations["uk"] + "Bürgerbüro–" {
		runes[c] = true
	}
	extra := extraRunes(runes)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := newSlipEncoding(r, extra); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorPDF is the least any fpdf slip costs: a document with one
// line in a core font, which is not embedded.
func BenchmarkFloorPDF(b *testing.B) {
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: 80, Ht: 120}})
		pdf.SetCompression(false)
		pdf.AddPage()
		pdf.SetFont("Helvetica", "B", 60)
		pdf.Text(10, 40, "M-012")
		var buf bytes.Buffer
		if err := pdf.Output(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorQR encodes the slip's QR code alone, which every slip does.
func BenchmarkFloorQR(b *testing.B) {
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := qr.Encode(testURL, qr.M, qr.Auto); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds the process's CPU time per operation to a benchmark's
// figures, from the call on: on a machine shared with other work, wall time
// per slip swings with their load while CPU time hardly does. Call it as
// `defer reportCPU(b)()` just before the loop.
func reportCPU(b *testing.B) func() {
	start := procstat.SelfCPU()
	return func() {
		if used := procstat.SelfCPU() - start; used > 0 && b.N > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
