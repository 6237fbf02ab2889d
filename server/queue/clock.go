package queue

import (
	"context"
	"sync"
	"time"
)

// ClockBehind: the clock is behind the newest stored event, so a draw now
// could open a wrong service day or repeat numbers. The API answers 503.
const ClockBehind Code = "clock"

// Timing of the clock check.
const (
	// clockTTL is how long the newest event's time is reused: a draw
	// reads it at most this often; the box's clock does not jump back
	// by itself while it runs.
	clockTTL = 10 * time.Second
	// clockSlack is how far behind the newest event the clock may be:
	// instances sharing a Redis and NTP's small corrections differ by
	// less; a box booted with a wrong date is off by hours or years.
	clockSlack = 5 * time.Second
)

// clockCheck caches the newest event's time.
type clockCheck struct {
	mu     sync.Mutex
	at     time.Time // when newest was read, by the service's clock
	newest time.Time
}

// checkClock fails with ClockBehind when now is behind the newest stored
// event. A box without a battery-backed clock can boot with a date long
// past; its draws would start that old day again. When the store cannot
// tell, the check passes: the draw itself then meets the store's error.
func (s *Service) checkClock(ctx context.Context, now time.Time) error {
	s.clock.mu.Lock()
	defer s.clock.mu.Unlock()
	if s.clock.at.IsZero() || now.Sub(s.clock.at) > clockTTL || now.Before(s.clock.at) {
		newest, err := s.newestEvent(ctx)
		if err != nil {
			return nil
		}
		s.clock.at, s.clock.newest = now, newest
	}
	if now.Add(clockSlack).Before(s.clock.newest) {
		return Errorf(ClockBehind, "the clock of this computer is behind the last recorded event (%s, now %s): "+
			"no numbers are issued until the date and time are set right",
			s.clock.newest.In(s.Location).Format("2006-01-02 15:04:05"), now.In(s.Location).Format("2006-01-02 15:04:05"))
	}
	return nil
}

// newestEvent is the time of the newest event in the log (zero when none).
func (s *Service) newestEvent(ctx context.Context) (time.Time, error) {
	seq, err := s.Store.LastSeq(ctx)
	if err != nil || seq == 0 {
		return time.Time{}, err
	}
	evs, err := s.Store.EventsAfter(ctx, seq-1, 1)
	if err != nil || len(evs) == 0 {
		return time.Time{}, err
	}
	return evs[0].At, nil
}
