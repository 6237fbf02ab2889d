package queue_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/sqlite"
)

// TestEstimateOnSimulatedDays runs whole consultation mornings minute by
// minute with an injected clock against the real embedded store: visitors
// arrive at random (seeded, so every run is the same), three desks call
// and serve them for 10–30 minutes, and each drawn ticket's estimate is
// compared with the wait it really had. It reports the median absolute
// error of the estimate's midpoint and how often the range held the wait.
func TestEstimateOnSimulatedDays(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates whole mornings")
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, seed := range []uint64{1, 2, 3} {
		store, err := sqlite.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		svc := queue.NewService(store, queue.DefaultLines())
		svc.Location = berlin
		svc.MinRecall = 0
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, berlin)
		svc.Now = func() time.Time { return now }
		ctx := t.Context()
		rng := rand.New(rand.NewPCG(seed, 42))

		type desk struct {
			label string
			lines []string
			busy  time.Time
		}
		desks := []*desk{{"Raum 1", []string{"mbe"}, now}, {"Raum 2", []string{"jmd"}, now}, {"Empore", []string{"mbe", "jmd"}, now}}
		for _, d := range desks {
			if _, err := svc.SetDesk(ctx, d.label, d.lines, true, false, "sim"); err != nil {
				t.Fatal(err)
			}
		}
		estimate := map[string]float64{}
		lo, hi := map[string]int{}, map[string]int{}
		issued := map[string]time.Time{}
		var errs []float64
		var bias float64
		inRange := 0
		end := now.Add(3 * time.Hour)
		for ; now.Before(end.Add(3 * time.Hour)); now = now.Add(time.Minute) {
			// About 45 visitors over three hours: what three desks can serve by early afternoon.
			if now.Before(end) && rng.Float64() < 0.25 {
				line := "mbe"
				if rng.Float64() < 0.4 {
					line = "jmd"
				}
				tk, _, err := svc.Draw(ctx, line, "de", "", "")
				if err != nil {
					t.Fatal(err)
				}
				if tk.Estimate == nil {
					t.Fatalf("drawn ticket without an estimate: %+v", tk)
				}
				estimate[tk.ID] = float64(tk.Estimate.Min+tk.Estimate.Max) / 2
				lo[tk.ID], hi[tk.ID] = tk.Estimate.Min, tk.Estimate.Max
				issued[tk.ID] = now
			}
			for _, d := range desks {
				if now.Before(d.busy) {
					continue
				}
				tk, err := svc.Next(ctx, d.label, d.lines)
				if queue.ErrorCode(err) == queue.Empty {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				wait := now.Sub(issued[tk.ID]).Minutes()
				errs = append(errs, math.Abs(wait-estimate[tk.ID]))
				bias += wait - estimate[tk.ID]
				if wait >= float64(lo[tk.ID]) && wait <= float64(hi[tk.ID]) {
					inRange++
				}
				d.busy = now.Add(time.Duration(10+rng.IntN(21)) * time.Minute)
			}
		}
		if len(errs) < 35 {
			t.Fatalf("seed %d: only %d visitors were served", seed, len(errs))
		}
		slices.Sort(errs)
		mae := errs[len(errs)/2]
		t.Logf("seed %d: %d visitors, median absolute error %.1f min (mean real minus estimated %+.1f min), wait within the shown range for %d%%",
			seed, len(errs), mae, bias/float64(len(errs)), 100*inRange/len(errs))
		// Waits here grow to two hours (three desks, 20-minute talks): the
		// bar is a midpoint within 20 minutes for the typical visitor and
		// a range that holds for at least two in three.
		if mae > 20 || inRange*3 < len(errs)*2 {
			t.Errorf("seed %d: estimate too far off: median error %.1f min, %d of %d in range", seed, mae, inRange, len(errs))
		}
	}
}
