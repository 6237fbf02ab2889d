// Command displays is the load generator of the display benchmark. It opens
// N websocket displays against a server on this machine, triggers calls
// through the server's HTTP API, and measures from the moment the request
// is sent until the LAST display has received the call, together with the
// request's own latency and the server's memory per idle display.
//
// Run everything, both servers, every size, and print the table that
// BENCHMARKS.md holds (takes a few minutes on 2 cores):
//
//	go run ./bench/displays -all
//
// Or one size against a server already running:
//
//	go run ./bench/server -data /tmp/bench   # prints its URLs and tokens
//	go run ./bench/displays -target wartemarke -url http://127.0.0.1:PORT -mem http://127.0.0.1:PORT2/debug/mem \
//	    -kiosk TOKEN -display TOKEN -staff TOKEN -n 1000
//	go run ./bench/floor                     # the floor
//	go run ./bench/displays -target floor -url http://127.0.0.1:PORT -n 1000
//
// Targets:
//   - wartemarke: the real service (bench/server wraps server/app), with
//     its access rules: displays open the stream with a paired display's
//     token, tickets are drawn as a paired kiosk and called as a signed-in
//     counsellor, each request with its Bearer token. Each
//     round draws a ticket (POST /api/v1/tickets) and waits until every
//     display has the ticket.issued event, unmeasured; then it calls it
//     (POST /api/v1/desks/Platz%20K/next, a fresh desk per round so the call
//     is the only event) and measures until the last display has the
//     ticket.called event.
//   - floor: bench/floor, the bare gorilla broadcaster; each round is one
//     POST /broadcast of a message the size of a call event.
//
// The generator raises its open-file limit to the hard limit (the servers
// it starts inherit it) and talks to loopback addresses only.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/bench/internal/memstat"
	"wartemarke/internal/procstat"
)

// Limits that keep a run bounded.
const (
	// roundTimeout: a round whose event has not reached every display by
	// then failed (a display was dropped, or the server is stuck).
	roundTimeout = 15 * time.Second
	// connectTimeout bounds connecting all displays of one run.
	connectTimeout = 3 * time.Minute
	// maxDisplays caps -n: 10,000 is the largest size the issue asks for.
	maxDisplays = 20000
	// warmup rounds run before the measured ones and are not counted.
	warmup = 3
)

func main() {
	all := flag.Bool("all", false, "build both servers and run every size against each; print the table")
	sizes := flag.String("sizes", "1,100,1000,10000", "display counts for -all")
	kind := flag.String("target", "wartemarke", "wartemarke or floor (without -all)")
	base := flag.String("url", "", "base URL of the running server (without -all)")
	memURL := flag.String("mem", "", "URL of the server's /debug/mem (without -all; floor: URL/debug/mem)")
	n := flag.Int("n", 100, "displays (without -all)")
	var tok tokens
	flag.StringVar(&tok.kiosk, "kiosk", "", "wartemarke: a paired kiosk's token (without -all)")
	flag.StringVar(&tok.display, "display", "", "wartemarke: a paired display's token (without -all)")
	flag.StringVar(&tok.staff, "staff", "", "wartemarke: a signed-in counsellor's token (without -all)")
	calls := flag.Int("calls", 100, "measured calls per run")
	pause := flag.Duration("pause", 20*time.Millisecond, "pause between rounds")
	dialers := flag.Int("dialers", 32, "concurrent connection attempts")
	repeat := flag.Int("repeat", 3, "runs per size and target with -all; the table shows the median of each figure")
	calm := flag.Float64("calm", 0, "with -all: before each run wait (at most 3 minutes) until the 1-minute load average is below this; 0: do not wait")
	jsonOut := flag.String("json", "", "also write every run's results as JSON to this file")
	flag.Parse()

	log.SetFlags(0)
	log.SetPrefix("displays: ")
	raiseFileLimit()
	opt := runOptions{calls: *calls, pause: *pause, dialers: *dialers, calm: *calm}

	var results []result
	if *all {
		var ns []int
		for _, s := range strings.Split(*sizes, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || v < 1 || v > maxDisplays {
				log.Fatalf("bad size %q", s)
			}
			ns = append(ns, v)
		}
		results = runAll(ns, max(1, *repeat), opt)
		printTable(os.Stdout, medians(results))
	} else {
		if *base == "" {
			log.Fatal("-url is required without -all")
		}
		if *n < 1 || *n > maxDisplays {
			log.Fatalf("-n must be 1…%d", maxDisplays)
		}
		mem := *memURL
		if mem == "" && *kind == "floor" {
			mem = strings.TrimRight(*base, "/") + "/debug/mem"
		}
		t, err := newTarget(*kind, *base, mem)
		if err != nil {
			log.Fatal(err)
		}
		t.tokens = tok
		r, err := run(t, *n, opt)
		if err != nil {
			log.Fatal(err)
		}
		results = append(results, r)
		printTable(os.Stdout, results)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one: each
// display is a file on both sides.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		log.Printf("cannot raise the open-file limit: %v", err)
	}
}

// target is one server under test.
type target struct {
	kind  string // "wartemarke" or "floor"
	base  string // http://127.0.0.1:PORT
	mem   string // its /debug/mem, or ""
	pid   int    // its process, when this program started it
	http  *http.Client
	round int
	tokens
}

// tokens are the credentials the real service wants.
type tokens struct{ kiosk, display, staff string }

// auth is the Authorization header for token, none for the floor.
func auth(token string) http.Header {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return h
}

func newTarget(kind, base, mem string) (*target, error) {
	if kind != "wartemarke" && kind != "floor" {
		return nil, fmt.Errorf("unknown target %q", kind)
	}
	for _, s := range []string{base, mem} {
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		ips, err := net.LookupIP(u.Hostname())
		if err != nil || len(ips) == 0 || !ips[0].IsLoopback() {
			return nil, fmt.Errorf("%s: the benchmark only talks to loopback addresses", s)
		}
	}
	return &target{
		kind: kind,
		base: strings.TrimRight(base, "/"),
		mem:  mem,
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}},
	}, nil
}

func (t *target) wsURL() string {
	u := "ws" + strings.TrimPrefix(t.base, "http")
	if t.kind == "floor" {
		return u + "/ws"
	}
	return u + "/api/v1/events"
}

// post sends a JSON request with token and fails on an unexpected status.
func (t *target) post(path, body, token string, want int) error {
	req, err := http.NewRequest("POST", t.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = auth(token)
	req.Header.Set("Content-Type", "application/json")
	res, err := t.http.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		return fmt.Errorf("POST %s: status %d, want %d", path, res.StatusCode, want)
	}
	return nil
}

// memStats is what the server reports at its memory URL, and the RSS of
// its process as /proc tells it.
type memStats struct {
	memstat.Stats
	RSS uint64
}

func (t *target) memory() (memStats, error) {
	var m memStats
	if t.mem == "" {
		return m, errors.New("no memory URL")
	}
	res, err := t.http.Post(t.mem, "", nil)
	if err != nil {
		return m, err
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		return m, err
	}
	if t.pid > 0 {
		m.RSS = procstat.RSS(t.pid)
	}
	return m, nil
}

// displays is the set of connected displays and the countdown that finds
// the moment the last of them received the message a round waits for.
type displays struct {
	conns []*websocket.Conn
	// want is the ordinal of the message the round waits for (1 = the
	// first message on the connection).
	want      atomic.Int64
	remaining atomic.Int64
	last      chan time.Time
	lost      atomic.Int64
	// wrong counts messages that were not what the round expected.
	wrong atomic.Int64
	// expect, when set, must be contained in the awaited message.
	expect atomic.Pointer[[]byte]
	wg     sync.WaitGroup
}

// read is one display: it reads every message and counts down when it has
// the awaited one.
func (d *displays) read(c *websocket.Conn) {
	defer d.wg.Done()
	var count int64
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			d.lost.Add(1)
			return
		}
		count++
		if count == d.want.Load() {
			if e := d.expect.Load(); e != nil && !bytes.Contains(b, *e) {
				d.wrong.Add(1)
			}
			if d.remaining.Add(-1) == 0 {
				d.last <- time.Now()
			}
		}
	}
}

// await arms the countdown for message number ord containing expect.
func (d *displays) await(ord int64, expect string) {
	if expect == "" {
		d.expect.Store(nil)
	} else {
		b := []byte(expect)
		d.expect.Store(&b)
	}
	d.remaining.Store(int64(len(d.conns)))
	d.want.Store(ord)
}

func (d *displays) wait(timeout time.Duration) (time.Time, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case at := <-d.last:
		return at, nil
	case <-t.C:
		return time.Time{}, fmt.Errorf("%d of %d displays did not receive the message within %v (%d connections lost)",
			d.remaining.Load(), len(d.conns), timeout, d.lost.Load())
	}
}

func (d *displays) close() {
	for _, c := range d.conns {
		c.Close()
	}
	d.wg.Wait()
}

// connect opens n displays, dialers at a time.
func connect(t *target, n, dialers int) (*displays, error) {
	d := &displays{conns: make([]*websocket.Conn, n), last: make(chan time.Time, 1)}
	// Displays count down for message 1 (the snapshot of the real server)
	// while they connect.
	first := t.kind == "wartemarke"
	if first {
		d.await(1, `"snapshot"`)
	} else {
		d.want.Store(-1)
	}
	dialer := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 256, HandshakeTimeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	var next atomic.Int64
	var errMu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range min(dialers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				c, _, err := dialer.DialContext(ctx, t.wsURL(), auth(t.display))
				if err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("display %d: %w", i, err)
					}
					errMu.Unlock()
					cancel()
					return
				}
				d.conns[i] = c
				d.wg.Add(1)
				go d.read(c)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		d.conns = slices.DeleteFunc(d.conns, func(c *websocket.Conn) bool { return c == nil })
		d.close()
		return nil, firstErr
	}
	if first {
		if _, err := d.wait(connectTimeout); err != nil {
			d.close()
			return nil, fmt.Errorf("snapshots: %w", err)
		}
	}
	return d, nil
}

// result is one run: one target, one display count.
type result struct {
	Target   string `json:"target"`
	Displays int    `json:"displays"`
	Calls    int    `json:"calls"`
	// LastP50, LastP99 and LastMax: from sending the request until the
	// last display had the event.
	LastP50 time.Duration `json:"last_p50_ns"`
	LastP99 time.Duration `json:"last_p99_ns"`
	LastMax time.Duration `json:"last_max_ns"`
	// ReqP50, ReqP99: the triggering request's own round trip.
	ReqP50 time.Duration `json:"request_p50_ns"`
	ReqP99 time.Duration `json:"request_p99_ns"`
	// CPUPerCall is the server's CPU time (all its threads) from sending
	// the request until the last display had the event, per call: the
	// work a call costs, which other load on the machine hardly changes.
	CPUPerCall time.Duration `json:"cpu_per_call_ns"`
	// Connect is how long connecting every display took.
	Connect time.Duration `json:"connect_ns"`
	// PerDisplay is heap + stacks per idle display in bytes; PerDisplayRSS
	// the growth of the resident set per display.
	PerDisplay      float64 `json:"per_display_bytes"`
	PerDisplayHeap  float64 `json:"per_display_heap_bytes"`
	PerDisplayStack float64 `json:"per_display_stack_bytes"`
	PerDisplayRSS   float64 `json:"per_display_rss_bytes"`
	// GoroutinesPerDisplay is the growth of the goroutine count per display.
	GoroutinesPerDisplay float64 `json:"goroutines_per_display"`
	Wrong                int64   `json:"wrong_messages"`
	// Load is the machine's load average when the run began: other work
	// on the machine shows in the figures.
	Load string `json:"load"`
}

type runOptions struct {
	calls, dialers int
	pause          time.Duration
	calm           float64
}

// run connects n displays to t and measures opt.calls calls.
func run(t *target, n int, opt runOptions) (result, error) {
	r := result{Target: t.kind, Displays: n, Calls: opt.calls, Load: loadavg()}
	before, memErr := t.memory()

	start := time.Now()
	d, err := connect(t, n, opt.dialers)
	if err != nil {
		return r, err
	}
	defer d.close()
	r.Connect = time.Since(start)
	// Let the server's connection goroutines settle before reading memory.
	time.Sleep(time.Second)
	if memErr == nil {
		after, err := t.memory()
		if err == nil {
			r.PerDisplayHeap = (float64(after.HeapLive) - float64(before.HeapLive)) / float64(n)
			r.PerDisplayStack = (float64(after.Stacks) - float64(before.Stacks)) / float64(n)
			r.PerDisplay = r.PerDisplayHeap + r.PerDisplayStack
			r.GoroutinesPerDisplay = float64(after.Goroutines-before.Goroutines) / float64(n)
			if after.RSS > 0 {
				r.PerDisplayRSS = (float64(after.RSS) - float64(before.RSS)) / float64(n)
			}
		}
	}

	ord := int64(0)
	if t.kind == "wartemarke" {
		ord = 1 // the snapshot
	}
	var last, req []time.Duration
	var cpu time.Duration
	for i := range warmup + opt.calls {
		if t.kind == "wartemarke" {
			// Unmeasured: a ticket to call, and its event everywhere.
			ord++
			d.await(ord, `"ticket.issued"`)
			if err := t.post("/api/v1/tickets", `{"line":"mbe","lang":"de"}`, t.kiosk, http.StatusCreated); err != nil {
				return r, err
			}
			if _, err := d.wait(roundTimeout); err != nil {
				return r, fmt.Errorf("ticket.issued: %w", err)
			}
		}
		if t.kind == "wartemarke" {
			// The call starts from a quiet server, as the floor's does.
			time.Sleep(opt.pause)
		}
		ord++
		path, body, token, status, expect := "/broadcast", "", "", http.StatusAccepted, ""
		if t.kind == "wartemarke" {
			t.round++
			path = "/api/v1/desks/" + url.PathEscape(fmt.Sprintf("Platz %d", t.round)) + "/next"
			body, token, status, expect = `{"lines":["mbe"]}`, t.staff, http.StatusOK, `"ticket.called"`
		}
		d.await(ord, expect)
		cpu0 := procstat.CPU(t.pid)
		t0 := time.Now()
		if err := t.post(path, body, token, status); err != nil {
			return r, err
		}
		tReq := time.Since(t0)
		at, err := d.wait(roundTimeout)
		if err != nil {
			return r, err
		}
		if i >= warmup {
			last = append(last, at.Sub(t0))
			req = append(req, tReq)
			cpu += procstat.CPU(t.pid) - cpu0
		}
		time.Sleep(opt.pause)
	}
	r.LastP50, r.LastP99, r.LastMax = pct(last, 50), pct(last, 99), pct(last, 100)
	r.ReqP50, r.ReqP99 = pct(req, 50), pct(req, 99)
	if t.pid > 0 {
		r.CPUPerCall = cpu / time.Duration(opt.calls)
	}
	r.Wrong = d.wrong.Load()
	if lost := d.lost.Load(); lost > 0 {
		return r, fmt.Errorf("%d displays lost their connection during the run", lost)
	}
	return r, nil
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// runAll builds both servers and runs every size against each, repeat
// times, floor and wartemarke taking turns, a fresh server process per run.
func runAll(ns []int, repeat int, opt runOptions) []result {
	dir, err := os.MkdirTemp("", "wartemarke-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bins := map[string]string{}
	for kind, pkg := range map[string]string{"floor": "wartemarke/bench/floor", "wartemarke": "wartemarke/bench/server"} {
		bin := filepath.Join(dir, kind)
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("go build %s: %v", pkg, err)
		}
		bins[kind] = bin
	}
	log.Printf("load average before: %s", loadavg())
	defer func() { log.Printf("load average after: %s", loadavg()) }()
	var results []result
	for _, n := range ns {
		for i := range repeat * 2 {
			kind := []string{"floor", "wartemarke"}[i%2]
			waitCalm(opt.calm)
			log.Printf("%s, %d displays, run %d of %d (load %s) …", kind, n, i/2+1, repeat, loadavg())
			args := []string{}
			if kind == "wartemarke" {
				data, err := os.MkdirTemp(dir, "data-")
				if err != nil {
					log.Fatal(err)
				}
				args = append(args, "-data", data)
			}
			p, err := startServer(bins[kind], args)
			if err != nil {
				log.Fatal(err)
			}
			t, err := newTarget(kind, p.base, p.mem)
			if err != nil {
				log.Fatal(err)
			}
			t.pid = p.cmd.Process.Pid
			t.tokens = p.tokens
			r, err := run(t, n, opt)
			p.stop()
			if err != nil {
				log.Fatalf("%s, %d displays: %v", kind, n, err)
			}
			log.Printf("  last display p50 %v p99 %v; request p99 %v; CPU %v per call; %.0f B/display (heap %.0f, stack %.0f)",
				r.LastP50.Round(10*time.Microsecond), r.LastP99.Round(10*time.Microsecond),
				r.ReqP99.Round(10*time.Microsecond), r.CPUPerCall.Round(10*time.Microsecond),
				r.PerDisplay, r.PerDisplayHeap, r.PerDisplayStack)
			results = append(results, r)
		}
	}
	return results
}

// medians folds the runs of each target and size into one result holding
// the median of each figure.
func medians(rs []result) []result {
	type key struct {
		target string
		n      int
	}
	var order []key
	groups := map[key][]result{}
	for _, r := range rs {
		k := key{r.Target, r.Displays}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := make([]result, 0, len(order))
	for _, k := range order {
		g := groups[k]
		m := g[0]
		dur := func(f func(result) time.Duration) time.Duration {
			v := make([]time.Duration, len(g))
			for i, r := range g {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		num := func(f func(result) float64) float64 {
			v := make([]float64, len(g))
			for i, r := range g {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		m.LastP50 = dur(func(r result) time.Duration { return r.LastP50 })
		m.LastP99 = dur(func(r result) time.Duration { return r.LastP99 })
		m.LastMax = dur(func(r result) time.Duration { return r.LastMax })
		m.ReqP50 = dur(func(r result) time.Duration { return r.ReqP50 })
		m.ReqP99 = dur(func(r result) time.Duration { return r.ReqP99 })
		m.Connect = dur(func(r result) time.Duration { return r.Connect })
		m.CPUPerCall = dur(func(r result) time.Duration { return r.CPUPerCall })
		m.PerDisplay = num(func(r result) float64 { return r.PerDisplay })
		m.PerDisplayHeap = num(func(r result) float64 { return r.PerDisplayHeap })
		m.PerDisplayStack = num(func(r result) float64 { return r.PerDisplayStack })
		m.PerDisplayRSS = num(func(r result) float64 { return r.PerDisplayRSS })
		m.GoroutinesPerDisplay = num(func(r result) float64 { return r.GoroutinesPerDisplay })
		out = append(out, m)
	}
	return out
}

// calmWait bounds how long waitCalm waits for other work to end.
const calmWait = 3 * time.Minute

// waitCalm waits until the 1-minute load average is below max, or
// calmWait has passed.
func waitCalm(max float64) {
	if max <= 0 {
		return
	}
	deadline := time.Now().Add(calmWait)
	for time.Now().Before(deadline) {
		var l float64
		if _, err := fmt.Sscanf(loadavg(), "%g", &l); err != nil || l < max {
			return
		}
		time.Sleep(5 * time.Second)
	}
	log.Printf("the machine stayed busy (load %s); running anyway", loadavg())
}

// loadavg is the machine's load averages ("?" where /proc does not tell):
// other work on the machine shows in the figures.
func loadavg() string { return cmp.Or(procstat.LoadAvg(), "?") }

type process struct {
	cmd       *exec.Cmd
	base, mem string
	tokens
}

// startServer starts bin and reads its URLs from its first lines.
func startServer(bin string, args []string) (*process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd}
	// Both servers print "listening on" last.
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		for prefix, dst := range map[string]*string{
			"debug on ": &p.mem, "kiosk token ": &p.kiosk, "display token ": &p.display, "staff token ": &p.staff,
		} {
			if s, ok := strings.CutPrefix(line, prefix); ok {
				*dst = s
			}
		}
		if s, ok := strings.CutPrefix(line, "listening on "); ok {
			p.base = s
			break
		}
	}
	if p.base == "" {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s did not say where it listens", bin)
	}
	if p.mem == "" {
		p.mem = p.base + "/debug/mem"
	}
	go io.Copy(io.Discard, out)
	return p, nil
}

// stop kills the server before the displays close, so the TIME_WAIT
// sockets stay on the server's port and the generator's ports are free
// for the next run.
func (p *process) stop() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

func printTable(w io.Writer, rs []result) {
	fmt.Fprintf(w, "\n%s/%s, %d CPUs, %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintln(w, "| displays | target | last display p50 | last display p99 | p99 ÷ floor | request p50 | request p99 | server CPU per call | ÷ floor | heap+stack per idle display | ÷ floor | RSS per display | goroutines per display |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	floor := map[int]result{}
	for _, r := range rs {
		if r.Target == "floor" {
			floor[r.Displays] = r
		}
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	kib := func(b float64) string {
		if b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f KiB", b/1024)
	}
	for _, r := range rs {
		ratio, memRatio, cpuRatio := "", "", ""
		if f, ok := floor[r.Displays]; ok && r.Target != "floor" {
			if f.LastP99 > 0 {
				ratio = fmt.Sprintf("%.2f×", float64(r.LastP99)/float64(f.LastP99))
			}
			if f.CPUPerCall > 0 {
				cpuRatio = fmt.Sprintf("%.2f×", float64(r.CPUPerCall)/float64(f.CPUPerCall))
			}
			if f.PerDisplay > 0 && r.Displays >= 1000 {
				memRatio = fmt.Sprintf("%.2f×", r.PerDisplay/f.PerDisplay)
			}
		}
		per := kib(r.PerDisplay)
		if r.Displays < 1000 {
			per = "–" // too few: fixed costs blur the figure
		}
		rssPer := kib(r.PerDisplayRSS)
		if r.Displays < 1000 {
			rssPer = "–"
		}
		cpu := "–"
		if r.CPUPerCall > 0 {
			cpu = ms(r.CPUPerCall)
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f |\n",
			r.Displays, r.Target, ms(r.LastP50), ms(r.LastP99), ratio, ms(r.ReqP50), ms(r.ReqP99),
			cpu, cpuRatio, per, memRatio, rssPer, r.GoroutinesPerDisplay)
	}
}
