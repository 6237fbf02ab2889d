package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // the driver the store uses

	"wartemarke/server/queue"
)

// sqliteFloor measures write transactions a second, one at a time, on a
// fresh file in dir, with the pragmas server/sqlite opens its file with
// (WAL, synchronous=FULL, BEGIN IMMEDIATE; temp_store=MEMORY, which an
// insert does not use). Each transaction inserts one row into each of
// `tables` tables, so that it commits that many pages: with 1 the most
// commits the disk and SQLite give one writer that commits each change on
// its own; with drawPages about as many pages as a draw commits: what the
// disk alone costs a draw.
func sqliteFloor(dir string, d time.Duration, tables int) (figure, error) {
	f, err := os.CreateTemp(dir, "floor-*.db")
	if err != nil {
		return figure{}, err
	}
	f.Close()
	path := f.Name()
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}()
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return figure{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	ins := make([]*sql.Stmt, tables)
	for i := range ins {
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`, i)); err != nil {
			return figure{}, err
		}
		if ins[i], err = db.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO t%d (v) VALUES (?)`, i)); err != nil {
			return figure{}, err
		}
		defer ins[i].Close()
	}
	return measure(1, options{duration: d, warmup: d / 5}, cpuOf{}, func(_, i int) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, st := range ins {
			if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, "a row of about a ticket's size, "+strconv.Itoa(i)); err != nil {
				tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	})
}

// drawPages is about how many pages a draw alone in its transaction
// commits: nine B-trees take a row each (the ticket and its four indexes,
// the event, the seq, the Idempotency-Key, the line's waiting count), and
// now and then a page splits (strace of BenchmarkDraw/Serial in
// server/sqlite: 10.5 WAL frames a draw).
const drawPages = 10

// redisServer is a redis-server of the benchmark's own.
type redisServer struct {
	cmd  *exec.Cmd
	port int
	done chan struct{}
}

func (s *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// startRedis starts redis-server on a free loopback port with its files
// in dir, durable as the README asks: appendonly yes, appendfsync always.
func startRedis(bin, dir string) (*redisServer, error) {
	var last error
	for range 5 { // a free port may be taken between choosing and binding
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--appendonly", "yes", "--appendfsync", "always", "--save", "",
			"--logfile", filepath.Join(dir, "redis.log"), "--daemonize", "no")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		s := &redisServer{cmd: cmd, port: port, done: make(chan struct{})}
		go func() { cmd.Wait(); close(s.done) }()
		rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
		deadline := time.Now().Add(startWait)
		for {
			if last = rdb.Ping(context.Background()).Err(); last == nil {
				rdb.Close()
				return s, nil
			}
			select {
			case <-s.done:
			case <-time.After(50 * time.Millisecond):
				if time.Now().Before(deadline) {
					continue
				}
				s.stop()
			}
			break
		}
		rdb.Close()
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		last = fmt.Errorf("redis-server on port %d: %v\n%s", port, last, log)
	}
	return nil, last
}

func (s *redisServer) stop() {
	s.cmd.Process.Kill()
	<-s.done
}

// redisBenchmark runs redis-benchmark -t incr with c clients for about d:
// a short run first tells how many requests fill d.
func redisBenchmark(bin string, port, c int, d time.Duration) (figure, error) {
	run := func(n int) (figure, error) {
		out, err := exec.Command(bin, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-c", strconv.Itoa(c),
			"-n", strconv.Itoa(n), "-t", "incr", "--csv").Output()
		if err != nil {
			return figure{}, fmt.Errorf("%v: %s", err, out)
		}
		// "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
		recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil || len(recs) < 2 || len(recs[1]) < 7 {
			return figure{}, fmt.Errorf("unexpected output %q (%v)", out, err)
		}
		num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
		msd := func(s string) time.Duration { return time.Duration(num(s) * float64(time.Millisecond)) }
		r := recs[1]
		return figure{rate: num(r[1]), p50: msd(r[4]), p99: msd(r[6]), n: n}, nil
	}
	probe, err := run(max(200, 20*c))
	if err != nil {
		return figure{}, err
	}
	return run(min(maxDraws, max(1000, int(probe.rate*d.Seconds()))))
}

// luaDraw is the bare Lua draw: what a draw must do at the least, in one
// script: the line's next number, the next seq, the ticket, its place in
// the line and its event. No idempotency key, no expiry check, no indexes
// beyond the line, nothing read back.
//
// KEYS: 1 seq, 2 the line's counter, 3 the ticket, 4 the line's waiting
// set, 5 the event stream. ARGV: 1 ticket id, 2 day, 3 line, 4 now (ms).
var luaDraw = redis.NewScript(`
local num = redis.call('INCR', KEYS[2])
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[3], 'id', ARGV[1], 'day', ARGV[2], 'line', ARGV[3], 'num', num, 'place', seq,
  'status', 'waiting', 'issued_at', ARGV[4])
redis.call('ZADD', KEYS[4], seq, ARGV[1])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', 100000, seq .. '-0', 'type', 'ticket.issued', 'id', ARGV[1],
  'line', ARGV[3], 'num', num, 'at', ARGV[4])
return {num, seq}
`)

// luaFloor runs luaDraw through EVALSHA from c clients at once, under the
// hash tag {tag}, on the redis-server with pid.
func luaFloor(rawURL string, pid int, tag string, c int, opt options) (figure, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return figure{}, err
	}
	o.PoolSize = c
	o.MinIdleConns = c
	rdb := redis.NewClient(o)
	defer rdb.Close()
	ctx, cancel := ctxFor(opt)
	defer cancel()
	if err := luaDraw.Load(ctx, rdb).Err(); err != nil {
		return figure{}, err
	}
	base := "wm:{" + tag + "}:"
	day := time.Now().Format(time.DateOnly)
	return measure(c, opt, cpuOf{redis: pid}, func(w, i int) error {
		line := []string{"mbe", "jmd"}[w%2]
		id := queue.NewID(10)
		err := luaDraw.EvalSha(ctx, rdb, []string{base + "seq", base + "num:" + day + ":" + line, base + "ticket:" + id,
			base + "waiting:" + day + ":" + line, base + "events"}, id, day, line, time.Now().UnixMilli()).Err()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		return err
	})
}

// noopTicket is about the size of a drawn ticket's JSON.
var noopTicket = []byte(`{"id":"xjdzlpqkrwqubcn5","number":"M-001","line":"mbe","issued_line":"mbe","lang":"de",` +
	`"status":"waiting","day":"2026-11-25","issued_at":"2026-11-25T22:21:04.777Z","place":1,"ahead":0,` +
	`"estimate":{"minutes":0,"low":0,"high":0},"status_url":"http://127.0.0.1:8080/t/abcdefghijklmnopqrstuvwxyz234567"}` + "\n")

// serveNoop is the HTTP floor's server (the benchmark run as a child
// process with -noop-server): net/http with a handler that does what
// costs nothing in the service's terms, reading the draw's body and
// answering 201 with a ticket-sized JSON body. It prints its URL as the
// service does and serves until it is killed.
func serveNoop() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Kiosk: http://%s/kiosk\n", ln.Addr())
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write(noopTicket)
	})))
}

// httpFloor drives the no-op server (this program in a child process)
// with the generator the service's phases use, at c kiosks: the most draws
// a second HTTP on loopback and this generator allow on this machine.
func httpFloor(c int, opt options) (figure, error) {
	self, err := os.Executable()
	if err != nil {
		return figure{}, err
	}
	cmd := exec.Command(self, "-noop-server")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return figure{}, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return figure{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return figure{}, fmt.Errorf("no-op server: %w", err)
	}
	m := kioskLine.FindStringSubmatch(line)
	if m == nil {
		return figure{}, fmt.Errorf("no-op server printed %q", line)
	}
	return drive(m[1], "floor", c, options{duration: opt.duration / 2, warmup: opt.warmup}, cpuOf{server: cmd.Process.Pid})
}
