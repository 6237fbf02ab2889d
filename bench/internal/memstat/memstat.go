// Package memstat serves a benchmark server's own memory figures, so the
// load generator can work out the memory per idle display. It belongs to
// the benchmark builds only; the real server does not expose it.
package memstat

import (
	"encoding/json"
	"net/http"
	"runtime"
	"runtime/debug"
)

// Stats is what Handler reports, after a full garbage collection.
type Stats struct {
	// HeapLive is the heap still reachable after the collection.
	HeapLive uint64 `json:"heap_live"`
	// Stacks is the memory of goroutine stacks in use.
	Stacks uint64 `json:"stacks"`
	// Goroutines is how many goroutines run.
	Goroutines int `json:"goroutines"`
	// Sys is all memory the Go runtime holds from the OS.
	Sys uint64 `json:"sys"`
}

// Read collects garbage twice (the second pass frees what finalizers
// released) and reads the figures.
func Read() Stats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return Stats{HeapLive: m.HeapAlloc, Stacks: m.StackInuse, Goroutines: runtime.NumGoroutine(), Sys: m.Sys}
}

// Handler answers GET with Stats as JSON, and POST with the same after
// returning freed memory to the OS (for RSS readings).
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			debug.FreeOSMemory()
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(Read())
	})
}
