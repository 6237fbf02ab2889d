package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"wartemarke/internal/procstat"
)

// SoakOptions say how long and how hard to soak.
type SoakOptions struct {
	// Params is one day; days repeat, a week apart, until Duration (real
	// time) is over.
	Params   Params
	Speed    float64
	Duration time.Duration
	// Every is the real time between samples.
	Every time.Duration
	Store string
	Log   io.Writer
}

// Sample is the service process's memory at one moment, after a GC.
type Sample struct {
	Elapsed    time.Duration
	Sim        time.Time
	HeapInuse  uint64
	HeapAlloc  uint64
	Sys        uint64
	RSS        uint64
	Goroutines int
	Clients    int
	Seq        int64
}

// TakeSample collects garbage and reads the process's figures. The service
// runs in this process, so they are the service's (plus the simulated
// clients', which are few and bounded).
func TakeSample(srv *Server, start time.Time) Sample {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	seq, _ := srv.App.Store.LastSeq(context.Background())
	return Sample{Elapsed: time.Since(start), Sim: srv.Clock.Now(), HeapInuse: m.HeapInuse, HeapAlloc: m.HeapAlloc, Sys: m.Sys,
		RSS: procstat.RSS(0), Goroutines: runtime.NumGoroutine(), Clients: srv.App.Hub.Clients(), Seq: seq}
}

// Bounds of the judgement "flat", comparing the last third of the samples
// after warm-up with the first third.
const (
	// heapSlack and heapGrowth: the heap after a full GC moves with the
	// day's open tickets (the estimate's figures, snapshots), the HTTP
	// connections in use and the hub's ring of recent events, by a few
	// hundred KiB; a leak of a websocket client's buffers or of an event
	// per client, over hundreds of reconnects and thousands of events,
	// grows it by megabytes.
	heapSlack  = 1 << 20
	heapGrowth = 0.10
	// goroutineSlack and goroutineGrowth: listeners reconnecting while a
	// sample is taken, requests in flight and the idle keep-alive
	// connections (three goroutines each, up to 16 of them) move the count
	// by a few; a leak per reconnect (one every few seconds) is hundreds.
	goroutineSlack  = 6
	goroutineGrowth = 0.10
	// settleWait is how long goroutines may take to end after the clients
	// left (the hub's Close handshake, idle HTTP connections).
	settleWait = 10 * time.Second
	// warmUp is the share of the run whose samples are left out: the
	// first day's caches, pools and the hub's ring fill.
	warmUp = 0.1
)

// SoakResult is a soak's samples and verdict.
type SoakResult struct {
	Baseline, After Sample
	Samples         []Sample
	Days, Complete  int
	Events          int64
	Reconnects      int
	Problems        []string
	// Verdict: the first and last thirds' medians of the heap and of the
	// goroutines.
	HeapFirst, HeapLast uint64
	GoFirst, GoLast     int
	Flat                bool
	Why                 []string
}

// Soak repeats busy Wednesdays on srv for o.Duration while displays and
// consoles come and go, sampling every o.Every, and judges whether heap
// and goroutines stay flat and return to the baseline after the clients
// leave. onSample, when set, is told of each sample as it is taken.
func Soak(ctx context.Context, srv *Server, o SoakOptions, onSample func(Sample), onDay func(*Report)) (*SoakResult, error) {
	start := time.Now()
	res := &SoakResult{Baseline: settle(srv, start, 0)}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(o.Every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s := TakeSample(srv, start)
				mu.Lock()
				res.Samples = append(res.Samples, s)
				mu.Unlock()
				if onSample != nil {
					onSample(s)
				}
			case <-ctx.Done():
				return
			}
		}
	})
	open := Wednesday()
	for ctx.Err() == nil {
		open = NextOpening(srv.Clock, open)
		day, err := RunDay(ctx, srv, o.Params, open)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			cancel()
			wg.Wait()
			return nil, err
		}
		res.Days++
		for _, l := range day.Listeners {
			res.Reconnects += l.Dials - 1
		}
		if !day.Incomplete {
			res.Complete++
			rep, err := Check(context.Background(), srv, day)
			if err != nil {
				return nil, err
			}
			for _, p := range rep.Problems {
				res.Problems = append(res.Problems, day.Day+": "+p)
			}
			if onDay != nil {
				onDay(rep)
			}
		}
		open = open.AddDate(0, 0, 7)
	}
	wg.Wait()
	res.After = settle(srv, start, res.Baseline.Goroutines)
	res.Events = res.After.Seq
	res.judge()
	return res, nil
}

// NextOpening returns the first opening, open or a week after it and so
// on, that is more than a minute ahead of the clock, and moves the clock
// to two minutes before it: the service day changes by the clock, as it
// does in the office.
func NextOpening(c *Clock, open time.Time) time.Time {
	for !open.Add(-time.Minute).After(c.Now()) {
		open = open.AddDate(0, 0, 7)
	}
	c.Jump(open.Add(-2 * time.Minute))
	return open
}

// settle waits up to settleWait for the goroutines to come down to want
// (0: a moment for them to settle) and samples.
func settle(srv *Server, start time.Time, want int) Sample {
	deadline := time.Now().Add(settleWait)
	if want == 0 {
		deadline = time.Now().Add(200 * time.Millisecond)
	}
	for time.Now().Before(deadline) && (want == 0 || runtime.NumGoroutine() > want) {
		time.Sleep(20 * time.Millisecond)
	}
	return TakeSample(srv, start)
}

func (r *SoakResult) judge() {
	r.Flat = true
	fail := func(format string, args ...any) {
		r.Flat = false
		r.Why = append(r.Why, fmt.Sprintf(format, args...))
	}
	var ss []Sample
	if n := len(r.Samples); n > 0 {
		cut := r.Samples[n-1].Elapsed.Seconds() * warmUp
		for _, s := range r.Samples {
			if s.Elapsed.Seconds() >= cut {
				ss = append(ss, s)
			}
		}
	}
	if len(ss) < 3 {
		fail("only %d samples after warm-up; run longer or sample more often", len(ss))
	} else {
		third := len(ss) / 3
		first, last := ss[:third], ss[len(ss)-third:]
		heap := func(s Sample) uint64 { return s.HeapInuse }
		goroutines := func(s Sample) int { return s.Goroutines }
		r.HeapFirst, r.HeapLast = sampleMedian(first, heap), sampleMedian(last, heap)
		r.GoFirst, r.GoLast = sampleMedian(first, goroutines), sampleMedian(last, goroutines)
		if float64(r.HeapLast) > float64(r.HeapFirst)*(1+heapGrowth)+heapSlack {
			fail("heap in use grew from %s (first third, median) to %s (last third), more than %.0f %% + %s",
				mib(r.HeapFirst), mib(r.HeapLast), heapGrowth*100, mib(heapSlack))
		}
		if float64(r.GoLast) > float64(r.GoFirst)*(1+goroutineGrowth)+goroutineSlack {
			fail("goroutines grew from %d (first third, median) to %d (last third), more than %.0f %% + %d",
				r.GoFirst, r.GoLast, goroutineGrowth*100, goroutineSlack)
		}
	}
	if r.After.Goroutines > r.Baseline.Goroutines {
		fail("%d goroutines %v after the clients left, %d before they came", r.After.Goroutines, settleWait, r.Baseline.Goroutines)
	}
	if r.After.Clients != 0 {
		fail("the hub still counts %d clients after they left", r.After.Clients)
	}
	if len(r.Problems) > 0 {
		fail("%d problems in the days' checks", len(r.Problems))
	}
}

// sampleMedian is the median of f over ss (the upper middle for an even
// count).
func sampleMedian[T cmp.Ordered](ss []Sample, f func(Sample) T) T {
	v := make([]T, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func runSoak(ctx context.Context, w io.Writer, o SoakOptions) error {
	if o.Every == 0 {
		o.Every = min(max(o.Duration/30, 5*time.Second), time.Minute)
	}
	data, cleanup, err := tempData()
	if err != nil {
		return err
	}
	defer cleanup()
	srv, err := newServer(o.Params, o.Speed, data, o.Store, o.Log)
	if err != nil {
		return err
	}
	defer srv.Close()
	p := o.Params
	fmt.Fprintf(w, "Soak: %v of busy Wednesdays (%d visitors over %g h, %d desks, %d displays, a display or console reconnecting every %v) at %g× speed, store %s\n",
		o.Duration, p.Visitors, p.Hours, p.Desks, p.Displays, p.Churn, o.Speed, storeName(o.Store))
	fmt.Fprintf(w, "machine: %d CPU, %s, %s; a sample every %v\n\n", runtime.NumCPU(), runtime.Version(), loadavg(), o.Every)
	row := func(label string, s Sample) {
		fmt.Fprintf(w, "%9s  %16s  %11s  %10s  %9s  %10d  %10d  %7d\n", label, s.Sim.In(Wednesday().Location()).Format("2006-01-02 15:04"),
			mib(s.HeapInuse), mib(s.HeapAlloc), mib(s.RSS), s.Goroutines, s.Clients, s.Seq)
	}
	fmt.Fprintf(w, "%9s  %16s  %11s  %10s  %9s  %10s  %10s  %7s\n", "elapsed", "service clock", "heap in use", "heap alloc", "RSS", "goroutines", "ws clients", "events")
	res, err := Soak(ctx, srv, o, func(s Sample) { row(s.Elapsed.Round(time.Second).String(), s) }, func(r *Report) {
		fmt.Fprintf(w, "day %s checked: %d tickets, %d turned away, %d events on %d listeners, waits (median) mbe %g min, jmd %g min, %d problems, took %v\n",
			r.Day, r.Tickets, r.CutOff, r.Checked, len(r.Listeners), r.Lines[0].WaitMedian, r.Lines[1].WaitMedian, len(r.Problems), r.Real.Round(time.Second))
	})
	if err != nil {
		return err
	}
	row("baseline", res.Baseline)
	row("after", res.After)
	fmt.Fprintf(w, "\n%d days (%d complete and checked), %d events, %d reconnects; %s\n", res.Days, res.Complete, res.Events, res.Reconnects, loadavg())
	fmt.Fprintf(w, "after warm-up (%.0f %%): heap in use %s → %s (medians of first and last third), goroutines %d → %d (medians)\n",
		warmUp*100, mib(res.HeapFirst), mib(res.HeapLast), res.GoFirst, res.GoLast)
	fmt.Fprintf(w, "clients gone: %d goroutines (baseline %d), %d hub clients\n", res.After.Goroutines, res.Baseline.Goroutines, res.After.Clients)
	for _, p := range res.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	if res.Flat {
		fmt.Fprintln(w, "verdict: flat")
		return nil
	}
	for _, why := range res.Why {
		fmt.Fprintf(w, "  %s\n", why)
	}
	fmt.Fprintln(w, "verdict: NOT flat")
	return fmt.Errorf("not flat")
}
