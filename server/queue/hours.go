package queue

import (
	"fmt"
	"strings"
	"time"
)

// Period is one weekly opening period of a line, such as Wednesday 9:00 to
// 12:00, in the office's time zone.
type Period struct {
	Weekday time.Weekday
	// From and To are minutes after midnight; From < To.
	From, To int
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParsePeriod reads a period written as "wed 09:00-12:00".
func ParsePeriod(s string) (Period, error) {
	var p Period
	bad := Errorf(Invalid, "opening period %q is not like \"wed 09:00-12:00\"", s)
	day, span, ok := strings.Cut(strings.TrimSpace(strings.ToLower(s)), " ")
	if !ok {
		return p, bad
	}
	wd, ok := weekdays[day]
	if !ok {
		return p, bad
	}
	from, to, ok := strings.Cut(strings.TrimSpace(span), "-")
	if !ok {
		return p, bad
	}
	clock := func(s string) (int, bool) {
		var h, m int
		if n, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); n != 2 || err != nil || h < 0 || h > 24 || m < 0 || m > 59 || h*60+m > 24*60 {
			return 0, false
		}
		return h*60 + m, true
	}
	f, ok1 := clock(from)
	t, ok2 := clock(to)
	if !ok1 || !ok2 || f >= t {
		return p, bad
	}
	return Period{Weekday: wd, From: f, To: t}, nil
}

// ParseHours reads a line's opening periods; none means always open.
func ParseHours(hours []string) ([]Period, error) {
	out := make([]Period, 0, len(hours))
	for _, h := range hours {
		p, err := ParsePeriod(h)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ParseDay checks a closed day written as YYYY-MM-DD.
func ParseDay(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return Errorf(Invalid, "closed day %q is not a date like 2026-12-23", s)
	}
	return nil
}

// horizon is how far ahead the next opening is looked for.
const horizon = 400

// Opening tells whether line l is open at t and, when it is not, when it
// opens next (zero when it never does within a year). A line without hours
// is always open; a closed day closes every line.
func (s *Service) Opening(l Line, t time.Time) (open bool, next time.Time) {
	periods, err := ParseHours(l.Hours)
	if err != nil || len(periods) == 0 {
		return true, time.Time{}
	}
	local := t.In(s.Location)
	y, m, d := local.Date()
	for i := 0; i < horizon; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, s.Location)
		if s.closedDay(day.Format(time.DateOnly)) {
			continue
		}
		var best time.Time
		for _, p := range periods {
			if p.Weekday != day.Weekday() {
				continue
			}
			// time.Date normalises minutes past 60 and handles the
			// daylight-saving switch of that date.
			from := time.Date(day.Year(), day.Month(), day.Day(), 0, p.From, 0, 0, s.Location)
			to := time.Date(day.Year(), day.Month(), day.Day(), 0, p.To, 0, 0, s.Location)
			if !t.Before(from) && t.Before(to) {
				return true, time.Time{}
			}
			if from.After(t) && (best.IsZero() || from.Before(best)) {
				best = from
			}
		}
		if !best.IsZero() {
			return false, best
		}
	}
	return false, time.Time{}
}

func (s *Service) closedDay(day string) bool {
	for _, c := range s.ClosedDays {
		if c == day {
			return true
		}
	}
	return false
}

// closingAt is the end of the opening period line l is in at t; false when
// l has no hours or is closed at t.
func (s *Service) closingAt(l Line, t time.Time) (time.Time, bool) {
	periods, err := ParseHours(l.Hours)
	if err != nil || len(periods) == 0 {
		return time.Time{}, false
	}
	local := t.In(s.Location)
	if s.closedDay(local.Format(time.DateOnly)) {
		return time.Time{}, false
	}
	y, m, d := local.Date()
	for _, p := range periods {
		if p.Weekday != local.Weekday() {
			continue
		}
		from := time.Date(y, m, d, 0, p.From, 0, 0, s.Location)
		to := time.Date(y, m, d, 0, p.To, 0, 0, s.Location)
		if !t.Before(from) && t.Before(to) {
			return to, true
		}
	}
	return time.Time{}, false
}

// CutOff tells whether a ticket drawn now in line l would expectedly be
// called later than CutOffGrace after closing, given how many wait; the
// kiosk then stops issuing for the day. Lines without hours, and a
// negative CutOffGrace, never cut off.
func (s *Service) CutOff(l Line, now time.Time, e Estimate) bool {
	if s.CutOffGrace < 0 {
		return false
	}
	closing, ok := s.closingAt(l, now)
	if !ok {
		return false
	}
	mid := time.Duration(e.Min+e.Max) * time.Minute / 2
	return now.Add(mid).After(closing.Add(s.CutOffGrace))
}
