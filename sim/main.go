// Command sim proves Wartemarke on a busy Wednesday: it runs the real
// service (server/app, wired as `go run ./server` wires it, on a real
// loopback listener with a SQLite store in a temporary folder, or Redis)
// with its clock running faster than real time, connects displays,
// consoles and kiosks to the event stream, lets visitors draw tickets and
// counsellors call, recall, transfer and serve them through the HTTP API,
// and checks the day against the event log and the statistics export.
//
//	go run ./sim -visitors 150 -hours 3 -desks 6 -speed 100
//	go run ./sim -soak 30m -speed 10
//
// With -soak it repeats busy Wednesdays for the given real time while
// displays and consoles come and go, samples the service's heap and
// goroutines, and judges whether they stay flat.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"
	_ "time/tzdata"

	"wartemarke/internal/procstat"
)

func main() {
	p := DefaultParams()
	flag.IntVar(&p.Visitors, "visitors", p.Visitors, "visitors over the day")
	flag.Float64Var(&p.Hours, "hours", p.Hours, "opening hours from 9:00 (visitors arrive until a minute before closing)")
	flag.IntVar(&p.Desks, "desks", p.Desks, "counsellors, one per desk")
	flag.IntVar(&p.Kiosks, "kiosks", p.Kiosks, "kiosks drawing tickets")
	flag.IntVar(&p.Displays, "displays", p.Displays, "waiting-room displays")
	seed := flag.Uint64("seed", p.Seed, "seed of the day's schedule and choices")
	speed := flag.Float64("speed", 100, "how many times faster than real time the service's clock runs")
	store := flag.String("store", "", "redis://host:port/db to use Redis (a fresh site) instead of SQLite")
	soak := flag.Duration("soak", 0, "run busy days for this long (real time) and judge memory and goroutines")
	every := flag.Duration("every", 0, "soak: sample every (default: a 30th of -soak, 5 s to 60 s)")
	churn := flag.Duration("churn", 2*time.Second, "soak: close and reopen a display or console this often (real time)")
	verbose := flag.Bool("v", false, "print the service's warnings as they happen")
	flag.Parse()
	p.Seed = *seed
	if p.Visitors < 1 || p.Hours <= 0 || p.Hours > 14 || p.Desks < 1 || p.Kiosks < 1 || p.Displays < 0 || *speed <= 0 {
		fmt.Fprintln(os.Stderr, "sim: -visitors, -desks and -kiosks must be at least 1, -hours between 0 and 14, -speed positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var log io.Writer
	if *verbose {
		log = os.Stderr
	}
	var err error
	if *soak > 0 {
		p.Keep = false
		p.Churn = *churn
		err = runSoak(ctx, os.Stdout, SoakOptions{Params: p, Speed: *speed, Duration: *soak, Every: *every, Store: *store, Log: log})
	} else {
		err = runDay(ctx, os.Stdout, p, *speed, *store, log)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
		os.Exit(1)
	}
}

// Wednesday is the simulated day: 11 March 2026, a Wednesday.
func Wednesday() time.Time {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 3, 11, 9, 0, 0, 0, berlin)
}

// newServer starts the service for params p with the clock two simulated
// minutes before opening.
func newServer(p Params, speed float64, data, store string, log io.Writer) (*Server, error) {
	open := Wednesday()
	closing := open.Add(time.Duration(p.Hours * float64(time.Hour)))
	return StartServer(ServerOptions{Data: data, Store: store, Site: fmt.Sprintf("sim-%d", time.Now().UnixNano()),
		Start: open.Add(-2 * time.Minute), Speed: speed, Open: open.Format("15:04"), Close: closing.Format("15:04"),
		Desks: p.Desks, Kiosks: p.Kiosks, Displays: max(1, p.Displays), Log: log})
}

func runDay(ctx context.Context, w io.Writer, p Params, speed float64, store string, log io.Writer) error {
	data, cleanup, err := tempData()
	if err != nil {
		return err
	}
	defer cleanup()
	srv, err := newServer(p, speed, data, store, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(w, "Busy Wednesday: %d visitors over %g h, %d desks, %d kiosk(s), %d display(s), seed %d, %g× speed, store %s\n",
		p.Visitors, p.Hours, p.Desks, p.Kiosks, p.Displays, p.Seed, speed, storeName(store))
	fmt.Fprintf(w, "machine: %d CPU, %s, %s\n\n", runtime.NumCPU(), runtime.Version(), loadavg())
	res, err := RunDay(ctx, srv, p, Wednesday())
	if err != nil {
		return err
	}
	rep, err := Check(context.Background(), srv, res)
	if err != nil {
		return err
	}
	PrintReport(w, rep, srv)
	fmt.Fprintf(w, "after: %s\n", loadavg())
	if len(rep.Problems) > 0 {
		return fmt.Errorf("%d problems", len(rep.Problems))
	}
	return nil
}

func storeName(s string) string {
	if s == "" {
		return "sqlite"
	}
	return "redis"
}

// PrintReport writes a day's figures and problems.
func PrintReport(w io.Writer, r *Report, srv *Server) {
	loc := r.Open.Location()
	fmt.Fprintf(w, "day %s, open %s–%s; last call %s, work ended %s (simulated); took %v real\n", r.Day,
		r.Open.In(loc).Format("15:04"), r.Close.In(loc).Format("15:04"), r.LastCall.In(loc).Format("15:04:05"),
		r.End.In(loc).Format("15:04:05"), r.Real.Round(time.Millisecond))
	fmt.Fprintf(w, "visitors %d: drawn %d, turned away at the cut-off %d, refused as closed %d (kiosk retries %d)\n",
		len(r.Visitors), r.Drawn, r.CutOff, r.Closed, r.Retries)
	fmt.Fprintf(w, "from the log: %d events, %d tickets, %d calls, %d recalls, %d transfers, %d done, %d no-shows\n",
		r.Events, r.Tickets, r.Calls, r.Recalls, r.Transfers, r.Done, r.NoShows)
	fmt.Fprintf(w, "counsellors: %d calls (Next), %d recalls, %d transfers, %d done, %d no-shows, %d times nobody waited\n\n",
		r.Result.Calls, r.Result.Recalls, r.Result.Transfers, r.Served, r.Result.NoShows, r.Empty)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "line\ttickets\tserved\tno-shows\ttransfers\tturned away\twait median\twait p90\tcounselling median\t")
	for _, l := range r.Lines {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%g min\t%g min\t%g min\t\n", l.Line, l.Tickets, l.Served, l.NoShows, l.Transfers, l.TurnedAway,
			l.WaitMedian, l.WaitP90, l.ServiceMedian)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "listener\tconnections\tevents\tcalls+recalls\t")
	for _, l := range r.Listeners {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", l.Name, l.Dials, l.Events, l.Calls)
	}
	tw.Flush()
	fmt.Fprint(w, "\nrequest time (real):")
	for _, what := range []string{"draw", "next", "action"} {
		d := slices.Sorted(slices.Values(r.Latency[what]))
		if len(d) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %s n=%d median %v p90 %v max %v;", what, len(d), d[len(d)/2].Round(10*time.Microsecond),
			d[(9*len(d))/10].Round(10*time.Microsecond), d[len(d)-1].Round(10*time.Microsecond))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "checked against the log: %d events on %d listeners (%d calls and recalls on displays), %d CSV rows\n",
		r.Checked, len(r.Listeners), r.DisplayCalls, r.StatsRows)
	fmt.Fprintf(w, "service warnings logged: %d\n", r.Warnings)
	for _, s := range srv.FirstWarnings() {
		fmt.Fprintf(w, "  %s\n", s)
	}
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, "problems: none")
		return
	}
	fmt.Fprintf(w, "problems: %d\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

// loadavg is the machine's load averages, for the report.
func loadavg() string {
	return "load average " + cmp.Or(procstat.LoadAvg(), "unknown")
}
