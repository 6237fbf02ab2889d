//go:build !unix

package procstat

import "time"

// SelfCPU is not measured here: 0.
func SelfCPU() time.Duration { return 0 }
