package main

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"wartemarke/internal/procstat"
)

// measure runs c workers calling do in a loop: unmeasured during
// opt.warmup, then measured for opt.duration or until maxDraws. It returns
// the rate of the measured calls and their latencies; the first error
// ends the phase. It also tells the CPU time that the processes of
// pids (the service, the redis-server; 0 for none) and this generator
// spent per measured call.
func measure(c int, opt options, pids cpuOf, do func(worker, i int) error) (figure, error) {
	start := time.Now()
	from := start.Add(opt.warmup)
	until := from.Add(opt.duration)
	cpu0 := make(chan [3]time.Duration, 1)
	go func() {
		time.Sleep(time.Until(from))
		cpu0 <- [3]time.Duration{procstat.CPU(pids.server), procstat.CPU(pids.redis), procstat.SelfCPU()}
	}()
	var (
		count   atomic.Int64
		lastEnd atomic.Int64 // UnixNano of the latest measured completion
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
		stop    atomic.Bool
	)
	lats := make([][]time.Duration, c)
	for w := range c {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				t0 := time.Now()
				if !t0.Before(until) {
					return
				}
				if err := do(w, i); err != nil {
					errOnce.Do(func() { first = err })
					stop.Store(true)
					return
				}
				end := time.Now()
				if t0.Before(from) {
					continue
				}
				if count.Add(1) > maxDraws {
					stop.Store(true)
					return
				}
				lats[w] = append(lats[w], end.Sub(t0))
				for {
					old := lastEnd.Load()
					if end.UnixNano() <= old || lastEnd.CompareAndSwap(old, end.UnixNano()) {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	srv, rds, gen := procstat.CPU(pids.server), procstat.CPU(pids.redis), procstat.SelfCPU()
	if first != nil {
		return figure{}, first
	}
	all := slices.Concat(lats...)
	if len(all) == 0 {
		return figure{}, fmt.Errorf("nothing measured")
	}
	before := <-cpu0
	span := time.Unix(0, lastEnd.Load()).Sub(from)
	f := figure{rate: float64(len(all)) / span.Seconds(), p50: pct(all, 50), p99: pct(all, 99), n: len(all)}
	n := time.Duration(len(all))
	f.srvCPU, f.redisCPU, f.genCPU = (srv-before[0])/n, (rds-before[1])/n, (gen-before[2])/n
	return f, nil
}

// cpuOf names the processes whose CPU time a phase reports.
type cpuOf struct{ server, redis int }

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// kioskKey is an Idempotency-Key as the kiosk makes them (ui-common/api.js):
// a UUID version 7, the time in milliseconds first.
func kioskKey() string { return uuid.Must(uuid.NewV7()).String() }

// drive draws tickets from the service at base with c kiosks at once, as
// a kiosk does: POST /api/v1/tickets with the kiosk's Bearer token and a
// fresh Idempotency-Key, on a keep-alive connection of its own, alternating
// the two lines between kiosks. Every draw must answer 201.
func drive(base, token string, c int, opt options, pids cpuOf) (figure, error) {
	kiosks := make([]*kiosk, c)
	for w := range kiosks {
		k, err := newKiosk(base, token)
		if err != nil {
			return figure{}, err
		}
		kiosks[w] = k
		defer k.close()
	}
	bodies := [][]byte{[]byte(`{"line":"mbe","lang":"de"}`), []byte(`{"line":"jmd","lang":"de"}`)}
	return measure(c, opt, pids, func(w, i int) error {
		status, body, err := kiosks[w].post("/api/v1/tickets", kioskKey(), bodies[w%2])
		if err != nil {
			return err
		}
		if status != http.StatusCreated {
			return fmt.Errorf("draw: status %d: %s", status, bytes.TrimSpace(body))
		}
		return nil
	})
}
