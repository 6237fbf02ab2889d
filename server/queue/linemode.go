package queue

import (
	"context"
	"sync"
	"time"
)

// EventLineUpdated reports that staff opened or closed a line by hand for
// the day, or handed it back to its hours.
const EventLineUpdated EventType = "line.updated"

// The modes a line can be set to by hand.
const (
	ModeAuto   = ""       // by the opening hours and the cut-off
	ModeOpen   = "open"   // open now, whatever the hours and the cut-off say
	ModeClosed = "closed" // closed now, whatever the hours say
)

// LineMode is an admin's choice for a line on one service day.
type LineMode struct {
	Line  string    `json:"line"`
	Mode  string    `json:"mode"`
	User  string    `json:"user,omitempty"`
	Since time.Time `json:"since"`
	Day   string    `json:"day"`
}

// LineModeRequest sets a line's mode for the day.
type LineModeRequest struct {
	Mode LineMode
	Now  time.Time
	Day  string
}

// LineModeStore keeps the day's hand-set line modes; every change is a
// line.updated event whose Event.LineMode is set.
type LineModeStore interface {
	SetLineMode(ctx context.Context, r LineModeRequest) (LineMode, error)
	// LineModes returns the day's modes that are not ModeAuto.
	LineModes(ctx context.Context, day string) ([]LineMode, error)
}

// modesTTL bounds how long another instance's change may take to count.
const modesTTL = 3 * time.Second

type modesCache struct {
	mu    sync.Mutex
	at    time.Time
	day   string
	modes map[string]string
}

// SetLineMode opens or closes line by hand for today (ModeAuto hands it
// back to its hours).
func (s *Service) SetLineMode(ctx context.Context, line, mode, user string) (LineMode, error) {
	if _, err := s.Line(line); err != nil {
		return LineMode{}, err
	}
	if mode != ModeAuto && mode != ModeOpen && mode != ModeClosed {
		return LineMode{}, Errorf(Invalid, "mode %q is not open, closed or auto", mode)
	}
	now := s.now()
	day := s.Day(now)
	m, err := s.Store.SetLineMode(ctx, LineModeRequest{Mode: LineMode{Line: line, Mode: mode, User: user, Since: now, Day: day}, Now: now, Day: day})
	s.modes.mu.Lock()
	s.modes.at = time.Time{} // read again at the next draw
	s.modes.mu.Unlock()
	return m, err
}

// modeOf is line's hand-set mode today (cached for modesTTL).
func (s *Service) modeOf(ctx context.Context, line string, now time.Time) (string, error) {
	day := s.Day(now)
	s.modes.mu.Lock()
	defer s.modes.mu.Unlock()
	if s.modes.day != day || now.Sub(s.modes.at) > modesTTL || now.Before(s.modes.at) {
		ms, err := s.Store.LineModes(ctx, day)
		if err != nil {
			return "", err
		}
		s.modes.modes = map[string]string{}
		for _, m := range ms {
			s.modes.modes[m.Line] = m.Mode
		}
		s.modes.at, s.modes.day = now, day
	}
	return s.modes.modes[line], nil
}
