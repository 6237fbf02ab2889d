// Package redistest gives tests a Redis of their own: a redis-server that it
// starts on a free loopback port in a temporary folder (append-only file,
// appendfsync always, no RDB snapshots) and stops at the end of the test,
// or the server named by REDIS_URL when that is set. Without a
// redis-server binary the test skips, or fails under CI=true.
//
// It never flushes a database: each test uses fresh site names (Site), and
// on a REDIS_URL server it deletes only the keys of the sites it made.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"wartemarke/internal/testenv"
)

// startWait bounds how long a starting redis-server may take to answer.
const startWait = 15 * time.Second

// Server is one Redis for a test.
type Server struct {
	// Addr is host:port.
	Addr string
	// Dir holds the server's files (empty with REDIS_URL).
	Dir string

	url string
	bin string
	cmd *exec.Cmd
	// done is closed when the current process has exited.
	done chan struct{}
}

// Start returns a Redis for tb: the one at REDIS_URL, or a new
// redis-server that is killed when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			tb.Fatalf("REDIS_URL: %v", err)
		}
		return &Server{Addr: opt.Addr, url: u}
	}
	bin := testenv.LookPath(tb, "redis-server", "redis-server")
	s := &Server{bin: bin, Dir: tb.TempDir()}
	var err error
	for range 5 { // a free port may be taken between choosing and binding
		var port int
		if port, err = freePort(); err != nil {
			break
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	s.url = "redis://" + s.Addr + "/0"
	tb.Cleanup(func() { s.stop() })
	return s
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return s.url }

// Own reports whether the test started the server itself, and so may kill
// and restart it.
func (s *Server) Own() bool { return s.bin != "" }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server on s.Addr and s.Dir and waits until it answers
// PING (after loading its append-only file).
func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.bin,
		"--port", port, "--bind", "127.0.0.1", "--dir", s.Dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--daemonize", "no", "--logfile", filepath.Join(s.Dir, "redis.log"))
	// The server dies with the test binary, even when that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(startWait)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited at start: %s", s.logTail())
		default:
		}
		if ping(s.Addr) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.stop()
	return fmt.Errorf("redis-server did not answer within %v: %s", startWait, s.logTail())
}

// ping sends a PING and reports whether PONG came back (not LOADING).
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (s *Server) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Kill kills the server with SIGKILL, as a crash or power cut would, and
// waits until it is gone.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	if !s.Own() {
		tb.Fatal("redistest: cannot kill a REDIS_URL server")
	}
	s.stop()
}

// Restart starts the server again on the same folder and port, and waits
// until it has loaded its data and answers.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if !s.Own() {
		tb.Fatal("redistest: cannot restart a REDIS_URL server")
	}
	var err error
	// The old socket may linger for a moment; try a few times.
	for range 20 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("restart redis-server: %v", err)
}

var sites atomic.Int64

// Site returns a site name no other test of this process uses. On a
// REDIS_URL server the site's keys are deleted when tb ends.
func (s *Server) Site(tb testing.TB) string {
	tb.Helper()
	site := fmt.Sprintf("t%d-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9, sites.Add(1))
	if !s.Own() {
		tb.Cleanup(func() { s.deleteSite(tb, site) })
	}
	return site
}

// deleteSite removes the keys of site, and only those.
func (s *Server) deleteSite(tb testing.TB, site string) {
	opt, err := redis.ParseURL(s.url)
	if err != nil {
		return
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, "wm:{"+site+"}:*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			rdb.Del(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		rdb.Del(ctx, batch...)
	}
	if err := iter.Err(); err != nil {
		tb.Logf("redistest: deleting the keys of site %s: %v", site, err)
	}
}
