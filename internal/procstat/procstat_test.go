package procstat

import (
	"os"
	"runtime"
	"strings"
	"testing"
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
