//go:build !unix

package printer

import "time"

// selfCPU is not measured here: reportCPU then reports nothing.
func selfCPU() time.Duration { return 0 }
