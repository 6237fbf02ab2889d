package procstat

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU is the CPU time process pid has used so far, summed over its threads
// from /proc/PID/task/*/schedstat (nanoseconds); 0 for pid 0 or where
// /proc does not tell.
func CPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fs := strings.Fields(string(b)); len(fs) > 0 {
			ns, _ := strconv.ParseInt(fs[0], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}
