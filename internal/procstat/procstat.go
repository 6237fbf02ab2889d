// Package procstat reads a process's and the machine's figures from
// Linux's /proc, for the benchmarks, the simulation and the soak.
package procstat

import (
	"os"
	"strconv"
	"strings"
)

// RSS is the resident set size of process pid in bytes (0 for this
// process), or 0 where /proc does not tell.
func RSS(pid int) uint64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// LoadAvg is the 1-, 5- and 15-minute load averages of /proc/loadavg, as
// "0.52 0.58 0.59", or "" where /proc does not tell.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
