package main

import (
	"runtime"
	"testing"
	"time"
)

// TestSoakShort is the soak in small: rounds of a short busy morning (a
// week apart on the service's clock) with displays and consoles
// reconnecting every 100 ms. After each round's clients have left, the
// goroutines must be back at the baseline taken before any client came,
// and the heap after a GC must not grow from round to round.
func TestSoakShort(t *testing.T) {
	p := DefaultParams()
	p.Visitors, p.Hours, p.Desks, p.Displays = 40, 1, 4, 4
	p.Keep, p.Churn = false, 100*time.Millisecond
	srv := MustStart(t, p, 2000)
	start := time.Now()
	base := settle(srv, start, 0)
	t.Logf("baseline: %d goroutines, heap in use %s", base.Goroutines, mib(base.HeapInuse))
	const rounds = 5
	var heaps []uint64
	open := Wednesday()
	for round := range rounds {
		open = NextOpening(srv.Clock, open)
		res, err := RunDay(t.Context(), srv, p, open)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Check(t.Context(), srv, res)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range rep.Problems {
			t.Errorf("round %d: %s", round+1, p)
		}
		reconnects := 0
		for _, l := range res.Listeners {
			reconnects += l.Dials - 1
		}
		if reconnects < 5 {
			t.Errorf("round %d: %d reconnects, want some every 100 ms", round+1, reconnects)
		}
		s := settle(srv, start, base.Goroutines)
		t.Logf("round %d (%s): %d tickets, %d events checked, %d reconnects in %v; then %d goroutines, %d hub clients, heap in use %s",
			round+1, res.Day, rep.Tickets, rep.Checked, reconnects, res.Real.Round(time.Millisecond), s.Goroutines, s.Clients, mib(s.HeapInuse))
		if s.Goroutines > base.Goroutines {
			buf := make([]byte, 1<<20)
			t.Fatalf("round %d: %d goroutines %v after the clients left, %d before any came:\n%s",
				round+1, s.Goroutines, settleWait, base.Goroutines, buf[:runtime.Stack(buf, true)])
		}
		if s.Clients != 0 {
			t.Errorf("round %d: the hub counts %d clients after they left", round+1, s.Clients)
		}
		heaps = append(heaps, s.HeapInuse)
		open = open.AddDate(0, 0, 7)
	}
	// Round 1 warms caches and pools up; later rounds must not grow on it.
	if first, last := heaps[1], heaps[rounds-1]; float64(last) > float64(first)*(1+heapGrowth)+heapSlack {
		t.Errorf("heap in use after round 2 %s, after round %d %s: it grows", mib(first), rounds, mib(last))
	}
}
