package procstat

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	self, byPid := RSS(0), RSS(os.Getpid())
	if self < 1<<20 || byPid < 1<<20 {
		t.Fatalf("RSS(0) = %d, RSS(pid) = %d; a Go test process holds more than 1 MiB", self, byPid)
	}
	if RSS(1<<30) != 0 {
		t.Fatal("RSS of a process that does not exist is not 0")
	}
}

func TestLoadAvg(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if got := LoadAvg(); len(strings.Fields(got)) != 3 {
		t.Fatalf("LoadAvg() = %q, want three figures", got)
	}
}

// TestCPU burns some CPU and checks that both readings of this process
// grew by about that much.
func TestCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	pid := os.Getpid()
	self0, byPid0 := SelfCPU(), CPU(pid)
	start := time.Now()
	for x := 0; time.Since(start) < 50*time.Millisecond; x++ {
	}
	self, byPid := SelfCPU()-self0, CPU(pid)-byPid0
	if self < 30*time.Millisecond || byPid < 30*time.Millisecond {
		t.Fatalf("after 50 ms of work: SelfCPU grew %v, CPU(pid) %v", self, byPid)
	}
	if CPU(0) != 0 || CPU(1<<30) != 0 {
		t.Fatal("CPU of no process is not 0")
	}
}
