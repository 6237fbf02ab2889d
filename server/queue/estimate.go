package queue

import (
	"math"
	"slices"
	"time"
)

// Served is one finished consultation of the day, for the estimate.
type Served struct {
	Line       string
	CalledAt   time.Time
	FinishedAt time.Time
}

// Estimate is an expected wait as a range of minutes ("20–35 min").
type Estimate struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Estimator defaults.
const (
	// DefaultServiceTime is assumed until the day has enough finished
	// consultations to measure.
	DefaultServiceTime = 20 * time.Minute
	// estimateSamples is how many recent consultations of a line count.
	estimateSamples = 10
	// minSamples is how many a line needs before its own figure is used.
	minSamples = 3
)

// serviceTime is the median duration of the line's recent consultations,
// or the default when there are too few.
func (s *Service) serviceTime(snap Snapshot, line string) time.Duration {
	var ds []time.Duration
	for i := len(snap.Served) - 1; i >= 0 && len(ds) < estimateSamples; i-- {
		sv := snap.Served[i]
		if sv.Line == line && sv.FinishedAt.After(sv.CalledAt) {
			ds = append(ds, sv.FinishedAt.Sub(sv.CalledAt))
		}
	}
	if len(ds) < minSamples {
		if s.ServiceTime > 0 {
			return s.ServiceTime
		}
		return DefaultServiceTime
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// waitingCounts is how many tickets wait in each line of snap.
func waitingCounts(snap Snapshot) map[string]int {
	if snap.Waiting != nil {
		return snap.Waiting
	}
	waiting := map[string]int{}
	for _, t := range snap.Tickets {
		if t.Status == StatusWaiting {
			waiting[t.Line]++
		}
	}
	return waiting
}

// capacity is how many desks serve the line now: open, not paused desks.
// A desk serving several lines gives each a share by how many wait there
// (it calls the oldest ticket of all its lines); with nobody waiting, equal
// shares.
func capacity(snap Snapshot, line string) float64 {
	waiting := waitingCounts(snap)
	c := 0.0
	for _, d := range snap.Desks {
		if !d.Open || d.Paused || !slices.Contains(d.Lines, line) {
			continue
		}
		total := 0
		for _, l := range d.Lines {
			total += waiting[l]
		}
		if total == 0 {
			c += 1 / float64(len(d.Lines))
		} else {
			c += float64(max(waiting[line], 1)) / float64(max(total, 1))
		}
	}
	return min(c, float64(len(snap.Desks)))
}

// EstimateWait is the expected wait of a ticket with ahead tickets before
// it in line, from the day's service times and the desks serving the line
// now (paused desks do not count). With no desk open yet it assumes one,
// and says so by a wider range.
func (s *Service) EstimateWait(snap Snapshot, line string, ahead int) Estimate {
	st := s.serviceTime(snap, line)
	c := capacity(snap, line)
	spread := 0.3
	if c == 0 {
		c, spread = 1, 0.5
	}
	// The ahead tickets are served c at a time; the desks are on average
	// halfway through their current visitor.
	mid := (float64(ahead) + 0.5) * st.Minutes() / c
	lo := math.Max(0, mid*(1-spread))
	hi := mid * (1 + spread)
	round := func(m float64, up bool) int {
		if up {
			return int(math.Ceil(m/5) * 5)
		}
		return int(math.Floor(m/5) * 5)
	}
	e := Estimate{Min: round(lo, false), Max: round(hi, true)}
	if e.Max <= e.Min {
		e.Max = e.Min + 5
	}
	return e
}
