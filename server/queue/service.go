package queue

import (
	"context"
	"slices"
	"sync"
	"time"
	_ "time/tzdata" // service days follow Europe/Berlin even without system zoneinfo
)

// IdempotencyTTL is how long a draw's Idempotency-Key is honoured. The
// contract promises at least 24 hours; 48 covers a kiosk left overnight.
const IdempotencyTTL = 48 * time.Hour

// Service applies the domain rules in front of a Store: it validates input,
// knows the lines and the office's time zone, and stamps every change with
// the injected clock.
type Service struct {
	Store Store
	Lines []Line
	// Location is the office's time zone; service days follow its dates.
	Location *time.Location
	// Now is the clock; tests inject their own.
	Now func() time.Time
	// ClosedDays are dates (YYYY-MM-DD) without consultation: holidays,
	// cancelled Wednesdays.
	ClosedDays []string
	// CallReasons are the reasons a counsellor may give for calling a
	// ticket out of order (keys; the console shows their labels).
	CallReasons []string
	// MinRecall is the shortest time between two calls of one ticket.
	MinRecall time.Duration
	// NoShowGrace is how long a no-show can be reactivated.
	NoShowGrace time.Duration
	// ServiceTime is the assumed consultation length until the day has
	// its own figures (0: DefaultServiceTime).
	ServiceTime time.Duration
	// CutOffGrace is how long after closing the last expected call may
	// be; a draw expected later is refused (cut-off). Negative: never.
	CutOffGrace time.Duration
	// OnTurnedAway is told of each draw refused at cut-off (statistics).
	OnTurnedAway func(ctx context.Context, line string)

	est   estimateCache
	clock clockCheck
	modes modesCache
}

// Defaults of the desk rules.
const (
	DefaultMinRecall   = 15 * time.Second // long enough for the announcement to finish
	DefaultNoShowGrace = 30 * time.Minute // a visitor who stepped out comes back within this
	DefaultCutOffGrace = 30 * time.Minute // counsellors serve those inside a while after closing
)

// DefaultCallReasons are the reasons for calling out of order.
var DefaultCallReasons = []string{"appointment", "interpreter", "urgent", "returning", "accessibility"}

// NewService returns a Service over store with the given lines, in the
// Europe/Berlin time zone and on the system clock.
func NewService(store Store, lines []Line) *Service {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.UTC
	}
	return &Service{Store: store, Lines: lines, Location: loc, Now: time.Now,
		CallReasons: DefaultCallReasons, MinRecall: DefaultMinRecall, NoShowGrace: DefaultNoShowGrace,
		CutOffGrace: DefaultCutOffGrace}
}

// Day returns the service day of t: its date in the office's time zone.
func (s *Service) Day(t time.Time) string {
	return t.In(s.Location).Format(time.DateOnly)
}

// Line returns the line with id, or an UnknownLine error.
func (s *Service) Line(id string) (Line, error) {
	for _, l := range s.Lines {
		if l.ID == id {
			return l, nil
		}
	}
	return Line{}, Errorf(UnknownLine, "unknown line %q", id)
}

func (s *Service) now() time.Time {
	// Milliseconds are what every store keeps; rounding here keeps the
	// ticket a client gets equal to the one it reads back.
	return s.Now().UTC().Truncate(time.Millisecond)
}

// Draw issues a ticket in line for a visitor at the kiosk in language lang.
// With a non-empty idemKey a retried draw returns the first ticket and
// replay=true; bodyHash tells a retry from a different request.
func (s *Service) Draw(ctx context.Context, line, lang, idemKey, bodyHash string) (Ticket, bool, error) {
	l, err := s.Line(line)
	if err != nil {
		return Ticket{}, false, err
	}
	lang, err = CleanLang(lang)
	if err != nil {
		return Ticket{}, false, err
	}
	if len(idemKey) > 200 {
		return Ticket{}, false, Errorf(Invalid, "Idempotency-Key is longer than 200 characters")
	}
	now := s.now()
	if err := s.checkClock(ctx, now); err != nil {
		return Ticket{}, false, err
	}
	mode, err := s.modeOf(ctx, l.ID, now)
	if err != nil {
		return Ticket{}, false, err
	}
	if mode == ModeClosed {
		if idemKey != "" {
			if t, replay, err := s.replay(ctx, l, lang, idemKey, bodyHash, now); err == nil && replay {
				return t, true, nil
			}
		}
		return Ticket{}, false, Errorf(Closed, "%s is closed for today", l.Name)
	}
	if mode == ModeOpen {
		return s.issue(ctx, l, lang, idemKey, bodyHash, now)
	}
	if open, next := s.Opening(l, now); !open && idemKey == "" {
		return Ticket{}, false, closedError(l, next, s.Location)
	} else if !open {
		// A retry of a draw made just before closing must still get its
		// ticket: only a key the store does not know is refused.
		t, replay, err := s.replay(ctx, l, lang, idemKey, bodyHash, now)
		if err == nil && replay {
			return t, true, nil
		}
		if err != nil && ErrorCode(err) != NotFound {
			return Ticket{}, false, err
		}
		return Ticket{}, false, closedError(l, next, s.Location)
	}
	if len(l.Hours) > 0 && s.CutOffGrace >= 0 {
		f := s.figures(ctx, now)
		e := s.EstimateWait(f, l.ID, waitingIn(f, l.ID))
		// A retry of a draw that already has its ticket still gets it.
		if s.CutOff(l, now, e) && (idemKey == "" || !s.knownKey(ctx, l, lang, idemKey, bodyHash, now)) {
			if s.OnTurnedAway != nil {
				s.OnTurnedAway(ctx, l.ID)
			}
			return Ticket{}, false, Errorf(Closed, "%s issues no more numbers today: the wait would run past closing time", l.Name)
		}
	}
	return s.issue(ctx, l, lang, idemKey, bodyHash, now)
}

// issue has the store draw the ticket and adds the estimate.
func (s *Service) issue(ctx context.Context, l Line, lang, idemKey, bodyHash string, now time.Time) (Ticket, bool, error) {
	t, replay, err := s.Store.Draw(ctx, DrawRequest{
		Line: l, Lang: lang, Now: now, Day: s.Day(now),
		ID: NewTicketID(now), Token: NewToken(now),
		IdemKey: idemKey, IdemHash: bodyHash, IdemSince: now.Add(-IdempotencyTTL),
	})
	if err != nil {
		return t, replay, err
	}
	return s.withEstimate(ctx, t), replay, nil
}

// estimateTTL is how long the figures behind the estimate are reused: the
// estimate moves in minutes, draws come by the second.
const estimateTTL = 10 * time.Second

type estimateCache struct {
	mu         sync.Mutex
	at         time.Time
	day        string
	snap       Snapshot
	refreshing bool
}

// figures returns the day's desks, service times and open tickets for
// the estimate, read at most every estimateTTL; a read failure gives empty
// figures (the default estimate) rather than failing the request.
func (s *Service) figures(ctx context.Context, now time.Time) Snapshot {
	day := s.Day(now)
	s.est.mu.Lock()
	fresh := !(now.Sub(s.est.at) > estimateTTL || s.est.day != day || now.Before(s.est.at))
	cached := s.est.snap
	if fresh || s.est.refreshing {
		// Other draws use the figures they have while one refreshes them.
		s.est.mu.Unlock()
		return cached
	}
	s.est.refreshing = true
	s.est.mu.Unlock()
	snap, err := s.Store.Snapshot(ctx, day)
	s.est.mu.Lock()
	defer s.est.mu.Unlock()
	s.est.refreshing = false
	if err != nil {
		return cached
	}
	// Every draw reads these figures: count the waiting once, not per draw.
	s.est.snap = Snapshot{Desks: snap.Desks, Served: snap.Served, Tickets: snap.Tickets, Waiting: waitingCounts(snap)}
	s.est.at, s.est.day = now, day
	return s.est.snap
}

// waitingIn counts the waiting tickets of a line in the figures f.
func waitingIn(f Snapshot, line string) int { return waitingCounts(f)[line] }

// knownKey tells whether an Idempotency-Key already has its ticket (a
// retry, which must get it even after the cut-off).
func (s *Service) knownKey(ctx context.Context, l Line, lang, key, hash string, now time.Time) bool {
	_, replay, err := s.replay(ctx, l, lang, key, hash, now)
	return err == nil && replay
}

// replay asks the store for the ticket an Idempotency-Key already has,
// without drawing a new one.
func (s *Service) replay(ctx context.Context, l Line, lang, key, hash string, now time.Time) (Ticket, bool, error) {
	return s.Store.Draw(ctx, DrawRequest{Line: l, Lang: lang, Now: now, Day: s.Day(now),
		IdemKey: key, IdemHash: hash, IdemSince: now.Add(-IdempotencyTTL), ReplayOnly: true})
}

// withEstimate fills in t's estimate when it waits.
func (s *Service) withEstimate(ctx context.Context, t Ticket) Ticket {
	if t.Status != StatusWaiting || t.Ahead == nil {
		return t
	}
	e := s.EstimateWait(s.figures(ctx, s.now()), t.Line, *t.Ahead)
	t.Estimate = &e
	return t
}

func closedError(l Line, next time.Time, loc *time.Location) error {
	if next.IsZero() {
		return Errorf(Closed, "%s is closed", l.Name)
	}
	return Errorf(Closed, "%s is closed; it opens again %s", l.Name, next.In(loc).Format("Mon 02.01.2006 15:04"))
}

// Next calls the oldest waiting ticket of lines at desk.
func (s *Service) Next(ctx context.Context, desk string, lines []string) (Ticket, error) {
	desk, err := CleanDesk(desk)
	if err != nil {
		return Ticket{}, err
	}
	if len(lines) == 0 {
		return Ticket{}, Errorf(Invalid, "name at least one line to call from")
	}
	seen := make(map[string]bool, len(lines))
	var ids []string
	for _, id := range lines {
		if _, err := s.Line(id); err != nil {
			return Ticket{}, err
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	now := s.now()
	return s.Store.Next(ctx, NextRequest{Desk: desk, Lines: ids, Now: now, Day: s.Day(now)})
}

// Act applies a desk's action to ticket id. toLine is only for transfers.
func (s *Service) Act(ctx context.Context, id string, a Action, toLine string) (Ticket, error) {
	return s.ActWith(ctx, ActRequest{ID: id, Action: a, ToLine: toLine})
}

// ActWith applies an action with all its details (desk and reason for a
// call out of order, AtEnd for putting back); the service fills in the
// time and its rules.
func (s *Service) ActWith(ctx context.Context, r ActRequest) (Ticket, error) {
	switch r.Action {
	case ActTransfer:
		if _, err := s.Line(r.ToLine); err != nil {
			return Ticket{}, err
		}
	case ActCall:
		desk, err := CleanDesk(r.Desk)
		if err != nil {
			return Ticket{}, err
		}
		r.Desk = desk
		if !slices.Contains(s.CallReasons, r.Reason) {
			return Ticket{}, Errorf(Invalid, "reason %q is not one of %v", r.Reason, s.CallReasons)
		}
	}
	now := s.now()
	r.Now, r.Day, r.MinRecall, r.Grace = now, s.Day(now), s.MinRecall, s.NoShowGrace
	return s.Store.Act(ctx, r)
}

// SetDesk opens, pauses, resumes or closes a desk, with the lines it
// serves, for the signed-in user.
func (s *Service) SetDesk(ctx context.Context, desk string, lines []string, open, paused bool, user string) (DeskState, error) {
	desk, err := CleanDesk(desk)
	if err != nil {
		return DeskState{}, err
	}
	ids := []string{}
	for _, id := range lines {
		if _, err := s.Line(id); err != nil {
			return DeskState{}, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if open && len(ids) == 0 {
		return DeskState{}, Errorf(Invalid, "an open desk serves at least one line")
	}
	now := s.now()
	day := s.Day(now)
	st := DeskState{Label: desk, Lines: ids, Open: open, Paused: open && paused, User: user, Since: now, Day: day}
	return s.Store.SetDesk(ctx, DeskRequest{State: st, Now: now, Day: day})
}

// SetPrint records what became of ticket id's slip.
func (s *Service) SetPrint(ctx context.Context, id string, state PrintState, reason string) (Ticket, error) {
	if state != PrintDone && state != PrintFailed {
		return Ticket{}, Errorf(Invalid, "unknown print state %q", state)
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	now := s.now()
	return s.Store.SetPrint(ctx, PrintRequest{ID: id, State: state, Reason: reason, Now: now, Day: s.Day(now)})
}

// Ticket returns a ticket's current state. An open ticket of an earlier
// service day is shown expired even before the first change of the new day
// records that.
func (s *Service) Ticket(ctx context.Context, id string) (Ticket, error) {
	t, err := s.Store.Ticket(ctx, id)
	if err != nil {
		return t, err
	}
	if now := s.now(); t.Status.Open() && t.Day < s.Day(now) {
		t = Expire(t, now)
		t.Ahead = nil
	}
	return s.withEstimate(ctx, t), nil
}

// StatusPageTTL is how long after a ticket ended its phone page still
// answers; then the link stops working.
const StatusPageTTL = 3 * time.Hour

// TicketByToken returns the ticket behind a phone status link. A ticket
// that ended more than StatusPageTTL ago, or belongs to an earlier day, is
// Gone: the link stops working.
func (s *Service) TicketByToken(ctx context.Context, token string) (Ticket, error) {
	if len(token) < 20 || len(token) > 64 {
		return Ticket{}, Errorf(NotFound, "no such ticket")
	}
	t, err := s.Store.TicketByToken(ctx, token)
	if err != nil {
		return t, err
	}
	now := s.now()
	if t.Day < s.Day(now) && (t.Status.Open() || t.FinishedAt == nil || now.Sub(*t.FinishedAt) > StatusPageTTL) {
		return Ticket{}, Errorf(Gone, "this ticket's page has expired")
	}
	if t.FinishedAt != nil && now.Sub(*t.FinishedAt) > StatusPageTTL {
		return Ticket{}, Errorf(Gone, "this ticket's page has expired")
	}
	return s.withEstimate(ctx, t), nil
}

// Snapshot returns today's open tickets and recent calls.
func (s *Service) Snapshot(ctx context.Context) (Snapshot, error) {
	return s.Store.Snapshot(ctx, s.Day(s.now()))
}

// LineState is a line with its live counts, as GET /api/v1/lines shows it.
type LineState struct {
	Line
	Waiting     int    `json:"waiting"`
	Called      int    `json:"called"`
	RecentCalls []Call `json:"recent_calls"`
	// Open tells whether the kiosk issues tickets for the line now;
	// NextOpen, when it is closed, when it opens again.
	Open     bool       `json:"open"`
	NextOpen *time.Time `json:"next_open,omitempty"`
	// CutOff is true when the line is open but issues no more numbers
	// today: the wait would run past closing time.
	CutOff bool `json:"cut_off,omitempty"`
	// Mode is an admin's hand-set mode for today: "open", "closed" or ""
	// (by the hours).
	Mode string `json:"mode,omitempty"`
	// Estimate is the expected wait of a ticket drawn now.
	Estimate Estimate `json:"estimate"`
}

// LineStates folds a snapshot into per-line counts, in configured order.
func (s *Service) LineStates(snap Snapshot) []LineState {
	out := make([]LineState, len(s.Lines))
	idx := make(map[string]int, len(s.Lines))
	now := s.now()
	for i, l := range s.Lines {
		out[i] = LineState{Line: l, RecentCalls: []Call{}}
		idx[l.ID] = i
		open, next := s.Opening(l, now)
		mode := modeIn(snap.LineModes, l.ID)
		switch mode {
		case ModeOpen:
			open, next = true, time.Time{}
		case ModeClosed:
			open = false
			_, next = s.Opening(l, endOfDay(now, s.Location))
		}
		out[i].Open = open
		out[i].Mode = mode
		waiting := 0
		for _, t := range snap.Tickets {
			if t.Line == l.ID && t.Status == StatusWaiting {
				waiting++
			}
		}
		out[i].Estimate = s.EstimateWait(snap, l.ID, waiting)
		if open && mode == ModeAuto && s.CutOffGrace >= 0 && s.CutOff(l, now, out[i].Estimate) {
			out[i].Open, out[i].CutOff = false, true
			if closing, ok := s.closingAt(l, now); ok {
				if _, next := s.Opening(l, closing); !next.IsZero() {
					n := next.UTC()
					out[i].NextOpen = &n
				}
			}
		}
		if !next.IsZero() {
			n := next.UTC()
			out[i].NextOpen = &n
		}
	}
	for _, t := range snap.Tickets {
		i, ok := idx[t.Line]
		if !ok {
			continue
		}
		switch t.Status {
		case StatusWaiting:
			out[i].Waiting++
		case StatusCalled:
			out[i].Called++
		}
	}
	for _, c := range snap.Recent {
		if i, ok := idx[c.Line]; ok {
			out[i].RecentCalls = append(out[i].RecentCalls, c)
		}
	}
	return out
}

func modeIn(ms []LineMode, line string) string {
	for _, m := range ms {
		if m.Line == line {
			return m.Mode
		}
	}
	return ModeAuto
}

// endOfDay is the last moment of t's date in loc.
func endOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(-time.Second)
}
