package sqlite

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"wartemarke/internal/procstat"
	"wartemarke/server/queue"
)

// BenchmarkDraw measures the store's draws without HTTP: one draw at a time
// (Serial) and 64 at once (Parallel64), each with a fresh random key, id
// and token as the service makes them. It reports the batches committed
// per draw and the CPU time per draw beside ns/op; the writer goroutine is
// the one place draws queue, so its work per draw sets the store's ceiling.
//
//	go test -run '^$' -bench Draw -benchtime 20000x ./server/sqlite/
func BenchmarkDraw(b *testing.B) {
	for _, bc := range []struct {
		name string
		par  int
	}{{"Serial", 0}, {"Parallel64", 64}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			lines := queue.DefaultLines()
			ctx := context.Background()
			var n atomic.Int64
			draw := func() {
				i := n.Add(1)
				now := time.Now()
				_, _, err := s.Draw(ctx, queue.DrawRequest{
					Line: lines[i%2], Lang: "de", Now: now, Day: now.Format(time.DateOnly),
					ID: queue.NewTicketID(now), Token: queue.NewToken(now),
					IdemKey: queue.NewID(16), IdemHash: "h", IdemSince: now.Add(-queue.IdempotencyTTL),
				})
				if err != nil {
					b.Error(err)
				}
			}
			c0, cpu0 := s.commits.Load(), procstat.SelfCPU()
			b.ResetTimer()
			if bc.par == 0 {
				for range b.N {
					draw()
				}
			} else {
				b.SetParallelism(bc.par)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						draw()
					}
				})
			}
			b.StopTimer()
			b.ReportMetric(float64(s.commits.Load()-c0)/float64(b.N), "commits/op")
			b.ReportMetric(float64((procstat.SelfCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}
