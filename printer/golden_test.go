package printer

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden slip images in testdata/golden (then look at each one)")

// goldenTolerance is the share of pixels that may differ from a golden
// image: enough for a poppler update's anti-aliasing decisions at glyph
// edges, far too little for a moved line or a missing word.
const goldenTolerance = 0.005

// TestGoldenSlips renders one slip per language group as the printer's
// head sees it (pdftoppm -r 203 -mono) and compares it with the image kept
// in testdata/golden. When the layout changes on purpose, run
// `go test ./printer -run Golden -update` and look at every image written.
func TestGoldenSlips(t *testing.T) {
	r := mustRenderer(t)
	for _, tc := range []struct{ group, lang string }{
		{"latin", "de"},
		{"cyrillic", "uk"},
		{"arabic-script", "ar"}, // German and language-neutral content only
	} {
		t.Run(tc.group, func(t *testing.T) {
			got := rasterise(t, "slip", mustRender(t, r, testSlip(tc.lang)))
			golden := filepath.Join("testdata", "golden", "slip-"+tc.group+"-"+tc.lang+".png")
			if *update {
				if old, err := os.ReadFile(golden); err == nil && bytes.Equal(old, got) {
					return
				}
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s: look at it before committing", golden)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			diff, frac, err := compareImages(want, got)
			if err == nil && frac < goldenTolerance {
				return
			}
			// Keep what was rendered and where it differs, for a look.
			art := filepath.Join("testdata", "artifacts")
			os.MkdirAll(art, 0o755) //nolint:errcheck // the failure below says what matters
			base := filepath.Join(art, "slip-"+tc.group+"-"+tc.lang)
			os.WriteFile(base+".png", got, 0o644) //nolint:errcheck
			if diff != nil {
				var buf bytes.Buffer
				if png.Encode(&buf, diff) == nil {
					os.WriteFile(base+"-diff.png", buf.Bytes(), 0o644) //nolint:errcheck
				}
			}
			if err != nil {
				t.Fatalf("%s: %v; rendered image in %s.png", golden, err, base)
			}
			t.Fatalf("%s: %.2f%% of pixels differ (tolerance %.2f%%); rendered image in %s.png, differences in red in %s-diff.png",
				golden, 100*frac, 100*goldenTolerance, base, base)
		})
	}
}

// compareImages returns the share of pixels that differ between two
// black-and-white PNGs of the same size, and an image of the differences
// (red) over the wanted one (grey).
func compareImages(wantPNG, gotPNG []byte) (*image.RGBA, float64, error) {
	want, err := png.Decode(bytes.NewReader(wantPNG))
	if err != nil {
		return nil, 0, fmt.Errorf("golden image: %w", err)
	}
	got, err := png.Decode(bytes.NewReader(gotPNG))
	if err != nil {
		return nil, 0, fmt.Errorf("rendered image: %w", err)
	}
	if want.Bounds() != got.Bounds() {
		return nil, 0, fmt.Errorf("size %v, golden %v: the slip's length or width changed", got.Bounds().Size(), want.Bounds().Size())
	}
	b := want.Bounds()
	diff := image.NewRGBA(b)
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			w, g := dark(want.At(x, y)), dark(got.At(x, y))
			switch {
			case w != g:
				n++
				diff.Set(x, y, color.RGBA{R: 0xFF, A: 0xFF})
			case w:
				diff.Set(x, y, color.RGBA{R: 0xA0, G: 0xA0, B: 0xA0, A: 0xFF})
			default:
				diff.Set(x, y, color.White)
			}
		}
	}
	return diff, float64(n) / float64(b.Dx()*b.Dy()), nil
}

func dark(c color.Color) bool { return color.GrayModel.Convert(c).(color.Gray).Y < 128 }
