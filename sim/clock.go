package main

import (
	"context"
	"sync"
	"time"
)

// Clock is the server's clock in the simulation: simulated time runs speed
// times faster than real time from a chosen start. It only moves forward,
// also when it jumps to the next service day (Jump), so the server's
// check against a clock behind its newest event never trips.
type Clock struct {
	mu    sync.Mutex
	base  time.Time // simulated time at real0
	real0 time.Time // real time (with its monotonic reading) at base
	speed float64
}

// NewClock starts a clock at start that runs speed times as fast as real time.
func NewClock(start time.Time, speed float64) *Clock {
	return &Clock{base: start, real0: time.Now(), speed: speed}
}

// Now is the simulated time; it is what a.Service.Now returns.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Duration(float64(time.Since(c.real0)) * c.speed))
}

// Speed is how many simulated seconds pass per real second.
func (c *Clock) Speed() float64 { return c.speed }

// Jump moves the clock forward to t (a later service day); a t that is
// not ahead of now is ignored.
func (c *Clock) Jump(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.base.Add(time.Duration(float64(time.Since(c.real0)) * c.speed))
	if t.After(now) {
		c.base, c.real0 = t, time.Now()
	}
}

// Restart sets the clock to t, also backwards. Only for the moment after
// the service started and before anything was recorded: setting up the
// accounts (bcrypt) takes real time that would otherwise eat into the
// simulated morning.
func (c *Clock) Restart(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.real0 = t, time.Now()
}

// Real is how long d of simulated time takes in real time.
func (c *Clock) Real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.speed)
}

// Sleep waits d of simulated time; it returns ctx's error when ctx ends
// first.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(c.Real(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SleepUntil waits until the simulated clock reaches at.
func (c *Clock) SleepUntil(ctx context.Context, at time.Time) error {
	for {
		d := at.Sub(c.Now())
		if d <= 0 {
			return ctx.Err()
		}
		if err := c.Sleep(ctx, d); err != nil {
			return err
		}
	}
}
