package queue

import (
	"context"
	"time"
)

// Statistics.
//
// The services report how their consultation is used: tickets per line and
// hour, waiting and counselling times, no-shows, transfers, people turned
// away at the cut-off, kiosk languages. A ticket's own row (number, times,
// kiosk language) is pseudonymous; it is kept only for the retention
// period and then folded into anonymous aggregates per service day, issuing
// line and hour, and deleted (Retire). A refused draw is only counted.

// StatsTicket is what statistics read of one ticket: no id, number, token
// or desk.
type StatsTicket struct {
	Day string
	// Line is the line that issued the ticket (its IssuedLine).
	Line       string
	Lang       string
	Status     Status
	IssuedAt   time.Time
	CalledAt   *time.Time
	FinishedAt *time.Time
	Transfers  int
}

// Aggregate is the anonymous statistics of the tickets that one line
// issued in one hour of one service day. Wait and Service are histograms:
// whole minutes (rounded) to the number of tickets, so that medians and
// percentiles can be taken over any set of aggregates.
type Aggregate struct {
	Day  string `json:"day"`
	Line string `json:"line"`
	// Hour is the hour of the draw in the office's time zone (0–23).
	Hour  int `json:"hour"`
	Drawn int `json:"drawn"`
	// Served counts tickets that ended done, NoShows those that ended a
	// no-show, Transfers those moved to another line at least once.
	Served    int `json:"served"`
	NoShows   int `json:"no_shows"`
	Transfers int `json:"transfers"`
	// TurnedAway counts draws refused at the cut-off in that hour. Stores
	// keep it apart (TurnAway) and never with a retired day's aggregates.
	TurnedAway int `json:"turned_away,omitempty"`
	// Langs counts the tickets by kiosk language.
	Langs map[string]int `json:"langs,omitempty"`
	// Wait holds issued→called of called tickets, Service called→finished
	// of served ones, in minutes.
	Wait    map[int]int `json:"wait,omitempty"`
	Service map[int]int `json:"service,omitempty"`
}

// Add adds b's counts and histograms to a.
func (a *Aggregate) Add(b Aggregate) {
	a.Drawn += b.Drawn
	a.Served += b.Served
	a.NoShows += b.NoShows
	a.Transfers += b.Transfers
	a.TurnedAway += b.TurnedAway
	addCounts(&a.Langs, b.Langs)
	addCounts(&a.Wait, b.Wait)
	addCounts(&a.Service, b.Service)
}

func addCounts[K comparable](dst *map[K]int, src map[K]int) {
	for k, n := range src {
		if *dst == nil {
			*dst = make(map[K]int, len(src))
		}
		(*dst)[k] += n
	}
}

// TurnAwayRequest counts one draw refused at the cut-off.
type TurnAwayRequest struct {
	Line string
	Day  string
	// Hour is the hour of the refusal in the office's time zone.
	Hour int
}

// TurnAwayCount is how many draws a line refused in one hour of a day.
type TurnAwayCount struct {
	Day  string
	Line string
	Hour int
	N    int
}

// StatsData is what a store holds for the days of a range: the tickets of
// days not yet retired, the aggregates of retired days and the turn-away
// counts. A day is in Tickets or in Aggregates, never in both.
type StatsData struct {
	Tickets    []StatsTicket
	Aggregates []Aggregate
	TurnedAway []TurnAwayCount
}

// RetireRequest asks a store to retire the days before Before.
type RetireRequest struct {
	// Before is the first day kept (YYYY-MM-DD); earlier days are retired.
	Before string
	// Day and Now are today and the clock: open tickets of earlier days
	// are expired first, as by any change.
	Day string
	Now time.Time
	// Aggregate turns one day's tickets into its aggregates. The store
	// calls it inside its transaction; it must not block.
	Aggregate func(day string, ts []StatsTicket) []Aggregate
}

// StatsStore keeps what the statistics need. queue.Store embeds it.
type StatsStore interface {
	// TurnAway counts one draw refused at the cut-off.
	TurnAway(ctx context.Context, r TurnAwayRequest) error
	// Stats returns what is kept of the days from..to (inclusive,
	// YYYY-MM-DD), read consistently: no day is missed or counted twice
	// while another process retires it.
	Stats(ctx context.Context, from, to string) (StatsData, error)
	// Retire folds the tickets of each day before r.Before into that day's
	// aggregates (r.Aggregate, added to any the day already has) and then
	// deletes the tickets, their idempotency keys and the day's desk
	// states, one day at a time, each in one step. The event log is left
	// alone. It returns the days whose tickets it retired.
	Retire(ctx context.Context, r RetireRequest) ([]string, error)
}

// TurnedAway counts a draw in line refused at the cut-off now.
func (s *Service) TurnedAway(ctx context.Context, line string) error {
	l, err := s.Line(line)
	if err != nil {
		return err
	}
	now := s.now()
	return s.Store.TurnAway(ctx, TurnAwayRequest{Line: l.ID, Day: s.Day(now), Hour: now.In(s.Location).Hour()})
}

// MaxStatsDays is the longest range of days statistics are read for.
const MaxStatsDays = 366

// ParseRange checks a range of service days (YYYY-MM-DD, both included)
// of at most MaxStatsDays.
func ParseRange(from, to string) (time.Time, time.Time, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	switch {
	case err1 != nil:
		return f, t, Errorf(Invalid, "from %q is not a date like 2026-03-01", from)
	case err2 != nil:
		return f, t, Errorf(Invalid, "to %q is not a date like 2026-03-31", to)
	case t.Before(f):
		return f, t, Errorf(Invalid, "to %s is before from %s", to, from)
	case t.Sub(f) >= MaxStatsDays*24*time.Hour:
		return f, t, Errorf(Invalid, "a range covers at most %d days", MaxStatsDays)
	}
	return f, t, nil
}

// Stats returns what is kept of the service days from..to.
func (s *Service) Stats(ctx context.Context, from, to string) (StatsData, error) {
	if _, _, err := ParseRange(from, to); err != nil {
		return StatsData{}, err
	}
	return s.Store.Stats(ctx, from, to)
}

// Retire folds the tickets of days more than keepDays before today into
// aggregates and deletes them; aggregate is the folding (stats.Aggregate).
// With keepDays 7, on a Wednesday the tickets of the Wednesday before stay
// and those of every earlier day go.
func (s *Service) Retire(ctx context.Context, keepDays int, aggregate func(day string, ts []StatsTicket) []Aggregate) ([]string, error) {
	if keepDays < 1 {
		return nil, Errorf(Invalid, "tickets are kept at least one day")
	}
	now := s.now()
	y, m, d := now.In(s.Location).Date()
	// Noon is a time every date has, also on a daylight-saving switch.
	before := time.Date(y, m, d-keepDays, 12, 0, 0, 0, s.Location).Format(time.DateOnly)
	return s.Store.Retire(ctx, RetireRequest{Before: before, Day: s.Day(now), Now: now, Aggregate: aggregate})
}
