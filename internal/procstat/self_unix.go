//go:build unix

package procstat

import (
	"syscall"
	"time"
)

// SelfCPU is the user and system CPU time this process has used, on all
// its threads (the garbage collector's included).
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
