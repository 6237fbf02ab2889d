// Command draws is the draw-throughput benchmark of issue 7. It drives the
// real server binary over HTTP on loopback, as kiosks do (a paired kiosk's
// Bearer token, an Idempotency-Key per draw), one kiosk at a time and 64 at
// once, on the embedded SQLite store and on Redis, and measures in the same
// run the floors the figures are compared with:
//
//   - HTTP: the same generator against a no-op handler (this program in a
//     child process, -noop-server) that reads the body and answers 201
//     with a ticket-sized JSON body: what loopback HTTP and the generator
//     leave for any service on this machine;
//   - SQLite: single-row transactions a second with the store's pragmas
//     (WAL, synchronous=FULL), one at a time, on the same disk; and
//     transactions of a draw's size (a row into each of 10 tables): what
//     the disk alone costs a draw;
//   - Redis (a redis-server it starts with appendonly yes, appendfsync
//     always): a bare Lua draw script through EVALSHA, and
//     redis-benchmark -t incr, at 1 and 64 clients.
//
// The generator shares the machine's cores with the service, so each kiosk
// is a keep-alive HTTP/1.1 connection written by hand (client.go), at a
// third to a half of the CPU per request that net/http's client took.
//
// Everything, printed as the table BENCHMARKS.md holds (a few minutes on 2
// cores):
//
//	go run ./bench/draws -all
//
// Or one phase against a server already running:
//
//	go run ./bench/draws -url http://127.0.0.1:8080 -token KIOSK_TOKEN -c 64
//
// The server is started with --printer none and --draw-rate 1000000000 (no
// slips, no per-kiosk limit), its kiosk made with `wartemarke device add
// --kind kiosk --name bench --token`. Each figure is measured on a fresh
// data folder or Redis site, after a warm-up, for a bounded time and count;
// -runs repeats everything and the table holds the medians.
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"wartemarke/internal/procstat"
)

// Bounds of one measured phase.
const (
	// maxDraws caps the draws of one phase, so a very fast machine still
	// ends soon and the store stays of a day's plausible size.
	maxDraws = 200_000
	// startWait bounds starting the server or redis-server.
	startWait = 30 * time.Second
)

// options are the settings of a run.
type options struct {
	duration time.Duration // measured time of a phase
	warmup   time.Duration // unmeasured time before it
	conc     []int         // kiosks at once
	runs     int
	dir      string // where data folders and Redis files go: the disk under test
	redis    bool
}

func main() {
	all := flag.Bool("all", false, "build the server, run every phase and floor on both stores, print the table")
	duration := flag.Duration("duration", 5*time.Second, "measured time of each phase")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before each phase")
	concs := flag.String("c", "1,64", "kiosks drawing at once (comma-separated)")
	runs := flag.Int("runs", 3, "repeat every figure this often (with -all) and report medians")
	dir := flag.String("dir", "", "folder for data and Redis files: the disk under test (default the system temp folder)")
	noRedis := flag.Bool("no-redis", false, "with -all: skip the Redis phases")
	target := flag.String("url", "", "base URL of a running server to draw from (instead of -all)")
	token := flag.String("token", "", "kiosk token for -url")
	noop := flag.Bool("noop-server", false, "internal: serve the no-op HTTP floor on a free loopback port")
	flag.Parse()
	if *noop {
		serveNoop()
		return
	}

	opt := options{duration: *duration, warmup: *warmup, runs: max(1, *runs), dir: *dir, redis: !*noRedis}
	for _, f := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			log.Fatalf("-c: %q is not a number of kiosks from 1 to 1024", f)
		}
		opt.conc = append(opt.conc, n)
	}
	if opt.duration <= 0 || opt.duration > 2*time.Minute {
		log.Fatal("-duration: from 1s to 2m")
	}
	switch {
	case *all:
		runAll(opt)
	case *target != "":
		if err := loopbackOnly(*target); err != nil {
			log.Fatal(err)
		}
		for _, c := range opt.conc {
			r, err := drive(*target, *token, c, opt, cpuOf{})
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("%d kiosks: %.0f draws/s, p50 %s, p99 %s (%d draws)\n", c, r.rate, ms(r.p50), ms(r.p99), r.n)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// loopbackOnly refuses a target off this machine: the generator is a load
// test and must not be pointed at a real office.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url %s: loopback addresses only", raw)
	}
	return nil
}

// figure is one measured rate with its latencies.
type figure struct {
	rate     float64
	p50, p99 time.Duration
	n        int
	// srvCPU, redisCPU and genCPU are the CPU time the service, the
	// redis-server and the generator spent per call (0 when not measured).
	srvCPU, redisCPU, genCPU time.Duration
}

// row is one line of the table: what was measured, at which concurrency,
// its figure in each run and, for the service, its ratio in each run to
// each floor measured just before it.
type row struct {
	store, what string
	conc        int
	floor       bool
	runs        []figure
	ratios      map[string][]float64
	floors      []string // names of ratios, in order
}

func medianOf(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

func (r *row) median() figure {
	pick := func(f func(figure) float64) float64 {
		v := make([]float64, len(r.runs))
		for i, x := range r.runs {
			v[i] = f(x)
		}
		return medianOf(v)
	}
	return figure{
		rate:     pick(func(f figure) float64 { return f.rate }),
		p50:      time.Duration(pick(func(f figure) float64 { return float64(f.p50) })),
		p99:      time.Duration(pick(func(f figure) float64 { return float64(f.p99) })),
		n:        int(pick(func(f figure) float64 { return float64(f.n) })),
		srvCPU:   time.Duration(pick(func(f figure) float64 { return float64(f.srvCPU) })),
		genCPU:   time.Duration(pick(func(f figure) float64 { return float64(f.genCPU) })),
		redisCPU: time.Duration(pick(func(f figure) float64 { return float64(f.redisCPU) })),
	}
}

// table collects rows in the order they are first measured.
type table struct{ rows []*row }

func (t *table) row(store, what string, conc int, floor bool) *row {
	for _, r := range t.rows {
		if r.store == store && r.what == what && r.conc == conc {
			return r
		}
	}
	r := &row{store: store, what: what, conc: conc, floor: floor, ratios: map[string][]float64{}}
	t.rows = append(t.rows, r)
	return r
}

// last is the newest figure of a row.
func (t *table) last(store, what string, conc int) figure {
	r := t.row(store, what, conc, true)
	return r.runs[len(r.runs)-1]
}

// floor records a floor's figure in this run.
func (t *table) floor(store, what string, conc int, f figure) {
	r := t.row(store, what, conc, true)
	r.runs = append(r.runs, f)
}

// service records the service's figure in this run with its ratios to
// the floors measured just before it (by name).
func (t *table) service(store string, conc int, f figure, floors map[string]figure, order []string) {
	r := t.row(store, "draw over HTTP", conc, false)
	r.runs = append(r.runs, f)
	for _, name := range order {
		if _, ok := r.ratios[name]; !ok {
			r.floors = append(r.floors, name)
		}
		r.ratios[name] = append(r.ratios[name], f.rate/floors[name].rate)
	}
}

// Names of the floors.
const (
	floorHTTP   = "no-op HTTP handler (floor)"
	floorSQLite = "single-row transactions (floor)"
	floorIncr   = "redis-benchmark -t incr (floor)"
	floorLua    = "bare Lua draw, EVALSHA (floor)"
)

var floorPages = fmt.Sprintf("draw-sized transactions, %d rows in %d tables (floor)", drawPages, drawPages)

// runAll builds the server and measures every phase opt.runs times, each
// on a fresh data folder or Redis site and right after its floors, so that
// a ratio compares figures taken under the same load; then it prints the
// table.
func runAll(opt options) {
	base, err := os.MkdirTemp(opt.dir, "wartemarke-draws-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	bin := filepath.Join(base, "wartemarke")
	build := exec.Command("go", "build", "-o", bin, "wartemarke/server")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("go build: %v", err)
	}
	var redisBin, benchBin string
	if opt.redis {
		if redisBin, err = exec.LookPath("redis-server"); err != nil {
			log.Fatal("redis-server not found (Debian package redis-server); use -no-redis to skip Redis")
		}
		if benchBin, err = exec.LookPath("redis-benchmark"); err != nil {
			log.Fatal("redis-benchmark not found (Debian package redis-tools)")
		}
	}
	before := loadavg()
	started := time.Now()
	var tab table
	for run := 1; run <= opt.runs; run++ {
		log.Printf("run %d of %d (load average %s)", run, opt.runs, loadavg())
		for _, c := range opt.conc {
			h, err := httpFloor(c, opt)
			if err != nil {
				log.Fatalf("http floor: %v", err)
			}
			log.Printf("  no-op HTTP handler, %d kiosks: %.0f/s, p50 %s, p99 %s", c, h.rate, ms(h.p50), ms(h.p99))
			tab.floor("HTTP", floorHTTP, c, h)
			// The floor is one writer committing alone: the same figure
			// stands beside every concurrency.
			f, err := sqliteFloor(base, opt.duration/2, 1)
			if err != nil {
				log.Fatalf("sqlite floor: %v", err)
			}
			log.Printf("  sqlite single-row commits: %.0f/s, p50 %s, p99 %s", f.rate, ms(f.p50), ms(f.p99))
			tab.floor("SQLite", floorSQLite, c, f)
			pages, err := sqliteFloor(base, opt.duration/2, drawPages)
			if err != nil {
				log.Fatalf("sqlite floor: %v", err)
			}
			log.Printf("  sqlite draw-sized commits: %.0f/s, p50 %s, p99 %s", pages.rate, ms(pages.p50), ms(pages.p99))
			tab.floor("SQLite", floorPages, c, pages)
			data, err := os.MkdirTemp(base, "data-")
			if err != nil {
				log.Fatal(err)
			}
			r, err := drawPhase(bin, data, nil, 0, c, opt)
			if err != nil {
				log.Fatalf("sqlite, %d kiosks: %v", c, err)
			}
			os.RemoveAll(data)
			log.Printf("  sqlite, %d kiosks: %.0f draws/s, p50 %s, p99 %s", c, r.rate, ms(r.p50), ms(r.p99))
			tab.service("SQLite", c, r, map[string]figure{floorSQLite: f, floorPages: pages, floorHTTP: h}, []string{floorSQLite, floorPages, floorHTTP})
		}
		if !opt.redis {
			continue
		}
		if err := redisRun(&tab, run, bin, redisBin, benchBin, base, opt); err != nil {
			log.Fatalf("redis: %v", err)
		}
	}
	after := loadavg()
	printTable(os.Stdout, &tab, opt, before, after, time.Since(started))
}

// redisRun measures the Redis phases of one run on a redis-server of its
// own: at each concurrency the floors, then the service.
func redisRun(tab *table, run int, bin, redisBin, benchBin, base string, opt options) error {
	rdir, err := os.MkdirTemp(base, "redis-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(rdir)
	srv, err := startRedis(redisBin, rdir)
	if err != nil {
		return err
	}
	defer srv.stop()
	for _, c := range opt.conc {
		incr, err := redisBenchmark(benchBin, srv.port, c, opt.duration/2)
		if err != nil {
			return fmt.Errorf("redis-benchmark: %w", err)
		}
		log.Printf("  redis-benchmark incr, %d clients: %.0f/s, p50 %s, p99 %s", c, incr.rate, ms(incr.p50), ms(incr.p99))
		tab.floor("Redis", floorIncr, c, incr)
		lua, err := luaFloor(srv.url(), srv.cmd.Process.Pid, fmt.Sprintf("floor%d-%d", run, c), c, options{duration: opt.duration / 2, warmup: opt.warmup})
		if err != nil {
			return fmt.Errorf("lua floor: %w", err)
		}
		log.Printf("  bare Lua draw, %d clients: %.0f/s, p50 %s, p99 %s", c, lua.rate, ms(lua.p50), ms(lua.p99))
		tab.floor("Redis", floorLua, c, lua)
		data, err := os.MkdirTemp(base, "data-")
		if err != nil {
			return err
		}
		env := []string{"WARTEMARKE_STORE=" + srv.url(), fmt.Sprintf("WARTEMARKE_SITE=bench%d-%d", run, c)}
		r, err := drawPhase(bin, data, env, srv.cmd.Process.Pid, c, opt)
		os.RemoveAll(data)
		if err != nil {
			return fmt.Errorf("%d kiosks: %w", c, err)
		}
		log.Printf("  redis, %d kiosks: %.0f draws/s, p50 %s, p99 %s", c, r.rate, ms(r.p50), ms(r.p99))
		h := tab.last("HTTP", floorHTTP, c)
		tab.service("Redis", c, r, map[string]figure{floorIncr: incr, floorLua: lua, floorHTTP: h}, []string{floorLua, floorIncr, floorHTTP})
	}
	return nil
}

// drawPhase pairs a kiosk, starts the server on data (and the store that
// env names, a redis-server with pid redis), drives it with c kiosks and
// stops it.
func drawPhase(bin, data string, env []string, redis, c int, opt options) (figure, error) {
	add := exec.Command(bin, "device", "add", "--kind", "kiosk", "--name", "bench", "--token", "--data", data)
	add.Env = append(os.Environ(), env...)
	out, err := add.CombinedOutput()
	if err != nil {
		return figure{}, fmt.Errorf("device add: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`token: (\S+)`).FindSubmatch(out)
	if m == nil {
		return figure{}, fmt.Errorf("device add printed no token:\n%s", out)
	}
	srv, err := startServer(bin, data, env)
	if err != nil {
		return figure{}, err
	}
	defer srv.stop()
	return drive(srv.url, string(m[1]), c, opt, cpuOf{server: srv.cmd.Process.Pid, redis: redis})
}

// server is the real service in a child process.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

var kioskLine = regexp.MustCompile(`Kiosk:\s+(http://\S+)/kiosk`)

// startServer runs the service on a free loopback port and waits until it
// prints its URLs.
func startServer(bin, data string, env []string) (*server, error) {
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data", data, "--printer", "none",
		"--draw-rate", "1000000000", "--log-level", "warn")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := kioskLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { cmd.Wait(); close(s.done) }()
	select {
	case s.url = <-found:
		return s, nil
	case <-s.done:
		return nil, errors.New("the server exited before it was ready")
	case <-time.After(startWait):
		s.stop()
		return nil, errors.New("the server did not start")
	}
}

// stop ends the server as an operator would (SIGTERM), then kills it if
// it takes too long.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// loadavg is the machine's load averages ("?" where /proc does not tell):
// other work on the machine shows in the figures.
func loadavg() string { return cmp.Or(procstat.LoadAvg(), "?") }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// machine describes where the figures come from.
func machine(dir string) string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "?"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	fs := "?"
	if out, err := exec.Command("df", "--output=fstype,source", dir).Output(); err == nil {
		if f := strings.Fields(string(out)); len(f) >= 4 {
			fs = f[2] + " on " + f[3]
		}
	}
	redis := "–"
	if out, err := exec.Command("redis-server", "--version").Output(); err == nil {
		if m := regexp.MustCompile(`v=(\S+)`).FindSubmatch(out); m != nil {
			redis = string(m[1])
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), Linux %s, %s, %s, Redis %s",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, kernel, fs, runtime.Version(), redis)
}

// printTable prints the medians, each figure of the service beside its
// store's floors, with the median of its ratios to them run by run.
func printTable(w io.Writer, t *table, opt options, before, after string, took time.Duration) {
	dir := opt.dir
	if dir == "" {
		dir = os.TempDir()
	}
	fmt.Fprintf(w, "\n%s\n", machine(dir))
	fmt.Fprintf(w, "%d runs, each phase %s after a %s warm-up (floors %s), medians; load average %s before, %s after; %s in all\n\n",
		opt.runs, opt.duration, opt.warmup, opt.duration/2, before, after, took.Round(time.Second))
	fmt.Fprintln(w, "| store | kiosks | what | per second | p50 | p99 | ratio to floor (median of runs) | CPU per draw: service + redis-server + generator |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---|---|")
	lat := func(d time.Duration) string {
		if d == 0 {
			return "–"
		}
		return ms(d)
	}
	for _, r := range t.rows {
		m := r.median()
		var parts []string
		for _, name := range r.floors {
			parts = append(parts, fmt.Sprintf("%.2f× %s", medianOf(r.ratios[name]), strings.TrimSuffix(name, " (floor)")))
		}
		cpu := ""
		if m.srvCPU > 0 || m.redisCPU > 0 {
			cpu = fmt.Sprintf("%d + %d + %d µs", m.srvCPU.Microseconds(), m.redisCPU.Microseconds(), m.genCPU.Microseconds())
		}
		fmt.Fprintf(w, "| %s | %d | %s | %.0f | %s | %s | %s | %s |\n", r.store, r.conc, r.what, m.rate, lat(m.p50), lat(m.p99), strings.Join(parts, "; "), cpu)
	}
}

// ctxFor bounds a phase: its warm-up and measured time and some slack.
func ctxFor(opt options) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opt.warmup+opt.duration+time.Minute)
}
