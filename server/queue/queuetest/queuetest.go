// Package queuetest is the conformance suite for queue.Store: one set of
// tests, written once, that every backend (the embedded SQLite store, the
// Redis store) passes. A backend's own test calls Run with a function that
// opens a fresh, empty store.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"wartemarke/server/queue"
)

// Run runs the conformance suite. open returns a fresh, empty store; it is
// called once per subtest and the store is closed by the suite (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("Ping", func(t *testing.T) { testPing(t, open) })
	t.Run("Numbering", func(t *testing.T) { testNumbering(t, open) })
	t.Run("Draw", func(t *testing.T) { testDraw(t, open) })
	t.Run("DailyReset", func(t *testing.T) { testDailyReset(t, open) })
	t.Run("Next", func(t *testing.T) { testNext(t, open) })
	t.Run("Act", func(t *testing.T) { testAct(t, open) })
	t.Run("Print", func(t *testing.T) { testPrint(t, open) })
	t.Run("Desks", func(t *testing.T) { testDesks(t, open) })
	t.Run("DeskRules", func(t *testing.T) { testDeskRules(t, open) })
	t.Run("LineModes", func(t *testing.T) { testLineModes(t, open) })
	t.Run("TicketByToken", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		b := f.draw(t, "mbe")
		got, err := f.store.TicketByToken(t.Context(), b.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != b.ID || got.Number != b.Number || got.Ahead == nil || *got.Ahead != 1 {
			t.Fatalf("by token: %+v", got)
		}
		_, err = f.store.TicketByToken(t.Context(), b.ID)
		wantCode(t, err, queue.NotFound)
		_, err = f.store.TicketByToken(t.Context(), "")
		wantCode(t, err, queue.NotFound)
	})
	t.Run("Transfer", func(t *testing.T) { testTransfer(t, open) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, open) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open) })
	t.Run("Snapshot", func(t *testing.T) { testSnapshot(t, open) })
	t.Run("WaitEvents", func(t *testing.T) { testWaitEvents(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("Stats", func(t *testing.T) { testStats(t, open) })
}

// Clock is a settable clock for queue.Service.Now, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// MustDraw draws a ticket in line through svc, with no idempotency key.
func MustDraw(tb testing.TB, svc *queue.Service, line string) queue.Ticket {
	tb.Helper()
	t, replay, err := svc.Draw(tb.Context(), line, "", "", "")
	if err != nil {
		tb.Fatalf("draw %s: %v", line, err)
	}
	if replay {
		tb.Fatalf("draw %s without a key: replay=true", line)
	}
	return t
}

// MustNext calls the next ticket of lines at desk through svc.
func MustNext(tb testing.TB, svc *queue.Service, desk string, lines ...string) queue.Ticket {
	tb.Helper()
	t, err := svc.Next(tb.Context(), desk, lines)
	if err != nil {
		tb.Fatalf("next at %q from %v: %v", desk, lines, err)
	}
	return t
}

// MustAct applies action a to ticket id through svc.
func MustAct(tb testing.TB, svc *queue.Service, id string, a queue.Action, toLine string) queue.Ticket {
	tb.Helper()
	t, err := svc.Act(tb.Context(), id, a, toLine)
	if err != nil {
		tb.Fatalf("%s %s: %v", a, id, err)
	}
	return t
}

// MustTicket reads ticket id from store.
func MustTicket(tb testing.TB, store queue.Store, id string) queue.Ticket {
	tb.Helper()
	t, err := store.Ticket(tb.Context(), id)
	if err != nil {
		tb.Fatalf("ticket %s: %v", id, err)
	}
	return t
}

// fixture is one fresh store, driven through a Service on a test clock.
type fixture struct {
	store  queue.Store
	svc    *queue.Service
	clock  *Clock
	berlin *time.Location
}

// day1 is a consultation Wednesday, 09:00 in Berlin, with a sub-millisecond
// part that the Service truncates.
func day1(berlin *time.Location) time.Time {
	return time.Date(2026, 3, 11, 9, 0, 0, 250_123_456, berlin)
}

func setup(t *testing.T, open func(t *testing.T) queue.Store) *fixture {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load Europe/Berlin: %v", err)
	}
	store := open(t)
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	clock := NewClock(day1(berlin))
	svc := queue.NewService(store, queue.DefaultLines())
	svc.Location = berlin
	svc.Now = clock.Now
	return &fixture{store: store, svc: svc, clock: clock, berlin: berlin}
}

// now is the time the Service stamps on a change made now.
func (f *fixture) now() time.Time { return f.clock.Now().UTC().Truncate(time.Millisecond) }

// day is the service day of the clock.
func (f *fixture) day() string { return f.svc.Day(f.clock.Now()) }

// at sets the clock to a wall-clock time in Berlin.
func (f *fixture) at(year int, month time.Month, day, hour, min, sec, msec int) {
	f.clock.Set(time.Date(year, month, day, hour, min, sec, msec*1e6, f.berlin))
}

func (f *fixture) draw(t *testing.T, line string) queue.Ticket {
	t.Helper()
	return MustDraw(t, f.svc, line)
}

func (f *fixture) next(t *testing.T, desk string, lines ...string) queue.Ticket {
	t.Helper()
	return MustNext(t, f.svc, desk, lines...)
}

func (f *fixture) act(t *testing.T, id string, a queue.Action, toLine string) queue.Ticket {
	t.Helper()
	return MustAct(t, f.svc, id, a, toLine)
}

func (f *fixture) ticket(t *testing.T, id string) queue.Ticket {
	t.Helper()
	return MustTicket(t, f.store, id)
}

func (f *fixture) lastSeq(t *testing.T) int64 {
	t.Helper()
	seq, err := f.store.LastSeq(t.Context())
	if err != nil {
		t.Fatalf("last seq: %v", err)
	}
	return seq
}

// events returns every event after seq.
func (f *fixture) events(t *testing.T, after int64) []queue.Event {
	t.Helper()
	evs, err := f.store.EventsAfter(t.Context(), after, 10000)
	if err != nil {
		t.Fatalf("events after %d: %v", after, err)
	}
	return evs
}

func (f *fixture) snapshot(t *testing.T, day string) queue.Snapshot {
	t.Helper()
	snap, err := f.store.Snapshot(t.Context(), day)
	if err != nil {
		t.Fatalf("snapshot %s: %v", day, err)
	}
	return snap
}

// wantEv is an expected event: its type, its ticket and the ticket's desk.
type wantEv struct {
	typ  queue.EventType
	id   string
	desk string
}

// expectEvents checks that exactly the events want follow seq after, with
// consecutive seqs, stamped at the clock's now, and returns them.
func (f *fixture) expectEvents(t *testing.T, after int64, wants ...wantEv) []queue.Event {
	t.Helper()
	evs := f.events(t, after)
	got := make([]string, len(evs))
	for i, e := range evs {
		got[i] = fmt.Sprintf("%s %s", e.Type, e.Ticket.ID)
	}
	if want := wantList(wants); !slices.Equal(got, want) {
		t.Fatalf("events after %d:\n got %v\nwant %v", after, eventList(evs), want)
	}
	now := f.now()
	for i, e := range evs {
		if got, want := e.Seq, after+int64(i)+1; got != want {
			t.Errorf("event %d: seq=%d, want %d", i, got, want)
		}
		if !e.At.Equal(now) {
			t.Errorf("event %d (%s): at=%v, want %v", e.Seq, e.Type, e.At, now)
		}
		if got, want := e.Ticket.Desk, wants[i].desk; got != want {
			t.Errorf("event %d (%s): ticket desk=%q, want %q", e.Seq, e.Type, got, want)
		}
		checkEvent(t, e)
	}
	if got, want := f.lastSeq(t), after+int64(len(evs)); got != want {
		t.Errorf("last seq=%d, want %d", got, want)
	}
	return evs
}

func eventList(evs []queue.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%s %s(%s)", e.Type, e.Ticket.Number, e.Ticket.ID)
	}
	return out
}

func wantList(want []wantEv) []string {
	out := make([]string, len(want))
	for i, w := range want {
		out[i] = fmt.Sprintf("%s %s", w.typ, w.id)
	}
	return out
}

// eventStatus is the status a ticket has in an event of each type.
var eventStatus = map[queue.EventType]queue.Status{
	queue.EventIssued:      queue.StatusWaiting,
	queue.EventCalled:      queue.StatusCalled,
	queue.EventRecalled:    queue.StatusCalled,
	queue.EventDone:        queue.StatusDone,
	queue.EventNoShow:      queue.StatusNoShow,
	queue.EventTransferred: queue.StatusWaiting,
	queue.EventExpired:     queue.StatusExpired,
	queue.EventPutBack:     queue.StatusWaiting,
	queue.EventReactivated: queue.StatusWaiting,
}

// checkEvent checks what holds for every event.
func checkEvent(t *testing.T, e queue.Event) {
	t.Helper()
	if e.Type == queue.EventLineUpdated {
		if e.LineMode == nil || e.LineMode.Line == "" || e.Ticket.ID != "" {
			t.Errorf("event %d (%s): line mode=%+v", e.Seq, e.Type, e.LineMode)
		}
		return
	}
	if e.Type == queue.EventDeskUpdated {
		if e.Desk == nil || e.Desk.Label == "" || e.Ticket.ID != "" {
			t.Errorf("event %d (%s): desk=%+v ticket id=%q", e.Seq, e.Type, e.Desk, e.Ticket.ID)
		}
		return
	}
	if e.Ticket.Token != "" {
		t.Errorf("event %d (%s): ticket carries its token", e.Seq, e.Type)
	}
	if e.Ticket.Ahead != nil {
		t.Errorf("event %d (%s): ticket carries ahead=%d; it is absent in events", e.Seq, e.Type, *e.Ticket.Ahead)
	}
	if e.Ticket.ID == "" || e.Ticket.Number == "" {
		t.Errorf("event %d (%s): ticket id=%q number=%q", e.Seq, e.Type, e.Ticket.ID, e.Ticket.Number)
	}
	if e.Type == queue.EventPrinted || e.Type == queue.EventPrintFailed {
		// A slip's outcome leaves the status as it was.
		if e.Ticket.Print == "" {
			t.Errorf("event %d (%s): ticket print state empty", e.Seq, e.Type)
		}
		return
	}
	want, ok := eventStatus[e.Type]
	if !ok {
		t.Errorf("event %d: unknown type %q", e.Seq, e.Type)
	} else if e.Ticket.Status != want {
		t.Errorf("event %d (%s): ticket status=%q, want %q", e.Seq, e.Type, e.Ticket.Status, want)
	}
}

// checkSeqs checks that evs have seqs from, from+1, … with no gap.
func checkSeqs(t *testing.T, evs []queue.Event, from int64) {
	t.Helper()
	for i, e := range evs {
		if got, want := e.Seq, from+int64(i); got != want {
			t.Fatalf("event %d: seq=%d, want %d", i, got, want)
		}
	}
}

// assertTicket compares every field but Ahead and Token; times by instant.
func assertTicket(t *testing.T, label string, got, want queue.Ticket) {
	t.Helper()
	for _, d := range diffTicket(got, want) {
		t.Errorf("%s: %s", label, d)
	}
}

func diffTicket(got, want queue.Ticket) []string {
	var out []string
	str := func(name, g, w string) {
		if g != w {
			out = append(out, fmt.Sprintf("%s=%q, want %q", name, g, w))
		}
	}
	num := func(name string, g, w int64) {
		if g != w {
			out = append(out, fmt.Sprintf("%s=%d, want %d", name, g, w))
		}
	}
	tm := func(name string, g, w *time.Time) {
		if g == nil || w == nil {
			if g != w {
				out = append(out, fmt.Sprintf("%s=%s, want %s", name, fmtTime(g), fmtTime(w)))
			}
			return
		}
		if !g.Equal(*w) {
			out = append(out, fmt.Sprintf("%s=%s, want %s", name, fmtTime(g), fmtTime(w)))
		}
	}
	str("id", got.ID, want.ID)
	str("number", got.Number, want.Number)
	str("line", got.Line, want.Line)
	str("issued_line", got.IssuedLine, want.IssuedLine)
	str("lang", got.Lang, want.Lang)
	str("status", string(got.Status), string(want.Status))
	str("day", got.Day, want.Day)
	tm("issued_at", &got.IssuedAt, &want.IssuedAt)
	tm("called_at", got.CalledAt, want.CalledAt)
	tm("finished_at", got.FinishedAt, want.FinishedAt)
	str("desk", got.Desk, want.Desk)
	num("recalls", int64(got.Recalls), int64(want.Recalls))
	num("transfers", int64(got.Transfers), int64(want.Transfers))
	num("place", got.Place, want.Place)
	return out
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func ptr[T any](v T) *T { return &v }

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code queue.Code) {
	t.Helper()
	if got := queue.ErrorCode(err); got != code {
		t.Fatalf("error code=%q (err=%v), want %q", got, err, code)
	}
}

// wantAhead fails unless ticket id has n tickets ahead of it.
func (f *fixture) wantAhead(t *testing.T, id string, n int) {
	t.Helper()
	tk := f.ticket(t, id)
	if tk.Ahead == nil {
		t.Errorf("ticket %s (%s): ahead absent, want %d", tk.Number, tk.Status, n)
	} else if *tk.Ahead != n {
		t.Errorf("ticket %s: ahead=%d, want %d", tk.Number, *tk.Ahead, n)
	}
}

// wantNoChange fails unless the event log still ends at seq.
func (f *fixture) wantNoChange(t *testing.T, seq int64) {
	t.Helper()
	if got := f.lastSeq(t); got != seq {
		t.Errorf("last seq=%d after a refused request, want %d (no event)", got, seq)
	}
}

func testPing(t *testing.T, open func(t *testing.T) queue.Store) {
	f := setup(t, open)
	if err := f.store.Ping(t.Context()); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func testNumbering(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("PerLine", func(t *testing.T) {
		f := setup(t, open)
		for i, tt := range []struct{ line, want string }{
			{"mbe", "M-001"}, {"mbe", "M-002"}, {"jmd", "J-001"}, {"mbe", "M-003"}, {"jmd", "J-002"},
		} {
			tk := f.draw(t, tt.line)
			if got, want := tk.Number, tt.want; got != want {
				t.Fatalf("draw %d in %s: number=%q, want %q", i, tt.line, got, want)
			}
			if tk.Line != tt.line || tk.IssuedLine != tt.line {
				t.Fatalf("draw %d: line=%q issued_line=%q, want %q", i, tk.Line, tk.IssuedLine, tt.line)
			}
		}
	})

	t.Run("NewDayRestarts", func(t *testing.T) {
		f := setup(t, open)
		f.at(2026, 3, 11, 17, 59, 0, 0)
		m1 := f.draw(t, "mbe")
		f.draw(t, "mbe")
		f.draw(t, "jmd")
		f.at(2026, 3, 11, 23, 59, 59, 999)
		if got, want := f.draw(t, "mbe").Number, "M-003"; got != want {
			t.Fatalf("last draw of the day: number=%q, want %q", got, want)
		}
		f.at(2026, 3, 12, 0, 0, 0, 0)
		m := f.draw(t, "mbe")
		if got, want := m.Number, "M-001"; got != want {
			t.Fatalf("first draw after midnight: number=%q, want %q", got, want)
		}
		if got, want := m.Day, "2026-03-12"; got != want {
			t.Errorf("day=%q, want %q", got, want)
		}
		if m.ID == m1.ID {
			t.Errorf("new day's M-001 has yesterday's id %q", m.ID)
		}
		if got, want := f.draw(t, "jmd").Number, "J-001"; got != want {
			t.Errorf("first jmd draw of the new day: number=%q, want %q", got, want)
		}
		if got, want := f.draw(t, "mbe").Number, "M-002"; got != want {
			t.Errorf("second mbe draw of the new day: number=%q, want %q", got, want)
		}
	})

	// The store must number by the request's Day (Berlin), not by a UTC date.
	t.Run("DaylightSaving", func(t *testing.T) {
		f := setup(t, open)
		for _, tt := range []struct {
			name            string
			utc             time.Time
			number, wantDay string
		}{
			{"Spring0030CET", time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), "M-001", "2026-03-29"},
			{"Spring0330CEST", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), "M-002", "2026-03-29"},
			{"Spring2359CEST", time.Date(2026, 3, 29, 21, 59, 59, 999e6, time.UTC), "M-003", "2026-03-29"},
			{"SpringNextDay", time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), "M-001", "2026-03-30"},
			{"Autumn0130CEST", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), "M-001", "2026-10-25"},
			{"Autumn0230CEST", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "M-002", "2026-10-25"},
			{"Autumn0230CET", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "M-003", "2026-10-25"},
			{"Autumn2359CET", time.Date(2026, 10, 25, 22, 59, 59, 999e6, time.UTC), "M-004", "2026-10-25"},
			{"AutumnNextDay", time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC), "M-001", "2026-10-26"},
		} {
			f.clock.Set(tt.utc)
			tk := f.draw(t, "mbe")
			if tk.Number != tt.number || tk.Day != tt.wantDay {
				t.Fatalf("%s: number=%q day=%q, want %q %q", tt.name, tk.Number, tk.Day, tt.number, tt.wantDay)
			}
		}
	})

	t.Run("NeverReused", func(t *testing.T) {
		f := setup(t, open)
		m1 := f.draw(t, "mbe")
		m2 := f.draw(t, "mbe")
		f.next(t, "Platz 1", "mbe")
		f.act(t, m1.ID, queue.ActDone, "")
		f.act(t, m2.ID, queue.ActTransfer, "jmd")
		// Neither the finished M-001 nor the transferred M-002 frees a number,
		// and the transferred ticket takes no number of its new line.
		if got, want := f.draw(t, "mbe").Number, "M-003"; got != want {
			t.Errorf("mbe draw after done and transfer: number=%q, want %q", got, want)
		}
		if got, want := f.draw(t, "jmd").Number, "J-001"; got != want {
			t.Errorf("jmd draw after a transfer in: number=%q, want %q", got, want)
		}
	})
}

func testDraw(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("Fields", func(t *testing.T) {
		f := setup(t, open)
		seq := f.lastSeq(t)
		a := f.draw(t, "mbe")
		want := queue.Ticket{
			ID: a.ID, Number: "M-001", Line: "mbe", IssuedLine: "mbe", Lang: "de",
			Status: queue.StatusWaiting, Day: "2026-03-11", IssuedAt: f.now(), Place: seq + 1,
		}
		assertTicket(t, "drawn", a, want)
		if a.ID == "" {
			t.Errorf("id empty")
		}
		if len(a.Token) < 20 {
			t.Errorf("token=%q; want an unguessable token of at least 20 characters", a.Token)
		}
		if a.Token == a.ID {
			t.Errorf("token equals the id %q", a.ID)
		}
		if a.Ahead == nil || *a.Ahead != 0 {
			t.Errorf("ahead=%v, want 0", a.Ahead)
		}
		evs := f.expectEvents(t, seq, wantEv{queue.EventIssued, a.ID, ""})
		// Place is the seq of the event that issued the ticket.
		if got, want := a.Place, evs[0].Seq; got != want {
			t.Errorf("place=%d, want the issuing event's seq %d", got, want)
		}
		assertTicket(t, "issued event", evs[0].Ticket, a)

		got := f.ticket(t, a.ID)
		assertTicket(t, "read back", got, a)
		if got.Token != a.Token {
			t.Errorf("read back: token=%q, want %q", got.Token, a.Token)
		}
		if got.Ahead == nil || *got.Ahead != 0 {
			t.Errorf("read back: ahead=%v, want 0", got.Ahead)
		}
	})

	t.Run("LangAndAhead", func(t *testing.T) {
		f := setup(t, open)
		var drawn []queue.Ticket
		for _, tt := range []struct {
			line, lang, wantLang string
			ahead                int
		}{
			{"mbe", "", "de", 0},
			{"mbe", "tr", "tr", 1},
			{"jmd", "uk", "uk", 0}, // other lines do not count
			{"mbe", "ar", "ar", 2},
			{"jmd", "fa-AF", "fa-AF", 1},
		} {
			f.clock.Advance(time.Second)
			tk, _, err := f.svc.Draw(t.Context(), tt.line, tt.lang, "", "")
			if err != nil {
				t.Fatalf("draw %s %s: %v", tt.line, tt.lang, err)
			}
			if got, want := tk.Lang, tt.wantLang; got != want {
				t.Errorf("%s: lang=%q, want %q", tk.Number, got, want)
			}
			if tk.Ahead == nil || *tk.Ahead != tt.ahead {
				t.Errorf("%s: ahead=%v, want %d", tk.Number, fmtInt(tk.Ahead), tt.ahead)
			}
			if !tk.IssuedAt.Equal(f.now()) {
				t.Errorf("%s: issued_at=%v, want %v", tk.Number, tk.IssuedAt, f.now())
			}
			drawn = append(drawn, tk)
		}
		ids, tokens := map[string]bool{}, map[string]bool{}
		for i, tk := range drawn {
			if ids[tk.ID] || tokens[tk.Token] {
				t.Errorf("%s: id %q or token repeated", tk.Number, tk.ID)
			}
			ids[tk.ID], tokens[tk.Token] = true, true
			if i > 0 && tk.Place <= drawn[i-1].Place {
				t.Errorf("%s: place=%d, not after %s's %d", tk.Number, tk.Place, drawn[i-1].Number, drawn[i-1].Place)
			}
			got := f.ticket(t, tk.ID)
			assertTicket(t, "read back "+tk.Number, got, tk)
			if got.Lang != tk.Lang {
				t.Errorf("read back %s: lang=%q, want %q", tk.Number, got.Lang, tk.Lang)
			}
		}
		f.wantAhead(t, drawn[3].ID, 2)
		f.wantAhead(t, drawn[4].ID, 1)

		// Calling the first M moves the others up; the jmd line is untouched.
		f.next(t, "Platz 1", "mbe")
		f.wantAhead(t, drawn[1].ID, 0)
		f.wantAhead(t, drawn[3].ID, 1)
		f.wantAhead(t, drawn[4].ID, 1)
	})

	t.Run("UnknownID", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		for _, id := range []string{"", "nosuchticket", queue.NewID(10)} {
			_, err := f.store.Ticket(t.Context(), id)
			wantCode(t, err, queue.NotFound)
		}
	})
}

func fmtInt(p *int) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

func testDailyReset(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("ExpiresOpenTickets", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		b := f.draw(t, "mbe")
		c := f.draw(t, "jmd")
		d := f.draw(t, "mbe")
		f.next(t, "Platz 3", "mbe")
		f.clock.Advance(10 * time.Minute)
		f.next(t, "Platz 3", "mbe") // a done, b called
		aDone := f.ticket(t, a.ID)
		if aDone.Status != queue.StatusDone {
			t.Fatalf("a: status=%q, want done", aDone.Status)
		}

		f.at(2026, 3, 12, 0, 0, 0, 0)
		day2 := f.day()
		// Before any change on the new day, its snapshot holds nothing of yesterday.
		snap := f.snapshot(t, day2)
		if len(snap.Tickets) != 0 || len(snap.Recent) != 0 {
			t.Fatalf("snapshot %s before any draw: %d tickets, %d recent calls; want none", day2, len(snap.Tickets), len(snap.Recent))
		}

		seq := f.lastSeq(t)
		n := f.draw(t, "mbe")
		if got, want := n.Number, "M-001"; got != want {
			t.Fatalf("first draw of %s: number=%q, want %q", day2, got, want)
		}
		evs := f.events(t, seq)
		if len(evs) != 4 {
			t.Fatalf("events of the first change of the day: %v; want 3 expired, then issued", eventList(evs))
		}
		checkSeqs(t, evs, seq+1)
		expired := map[string]bool{}
		for _, e := range evs[:3] {
			checkEvent(t, e)
			if e.Type != queue.EventExpired {
				t.Fatalf("events: %v; want 3 expired, then issued", eventList(evs))
			}
			expired[e.Ticket.ID] = true
			if e.Ticket.FinishedAt == nil || !e.Ticket.FinishedAt.Equal(f.now()) {
				t.Errorf("expired %s: finished_at=%s, want %v", e.Ticket.Number, fmtTime(e.Ticket.FinishedAt), f.now())
			}
			if e.Ticket.ID == b.ID && e.Ticket.Desk != "Platz 3" {
				t.Errorf("expired %s: desk=%q, want the desk it was called to, %q", e.Ticket.Number, e.Ticket.Desk, "Platz 3")
			}
		}
		if !expired[b.ID] || !expired[c.ID] || !expired[d.ID] {
			t.Errorf("expired tickets %v, want b, c and d (%s %s %s)", eventList(evs[:3]), b.ID, c.ID, d.ID)
		}
		if e := evs[3]; e.Type != queue.EventIssued || e.Ticket.ID != n.ID {
			t.Errorf("last event %s %s, want issued %s", e.Type, e.Ticket.ID, n.ID)
		}

		for _, id := range []string{b.ID, c.ID, d.ID} {
			tk := f.ticket(t, id)
			if tk.Status != queue.StatusExpired || tk.FinishedAt == nil || !tk.FinishedAt.Equal(f.now()) {
				t.Errorf("%s: status=%q finished_at=%s, want expired at %v", tk.Number, tk.Status, fmtTime(tk.FinishedAt), f.now())
			}
			if tk.Ahead != nil {
				t.Errorf("%s: expired but ahead=%d", tk.Number, *tk.Ahead)
			}
		}
		// A finished ticket stays as it was.
		assertTicket(t, "done yesterday", f.ticket(t, a.ID), aDone)

		if snap := f.snapshot(t, "2026-03-11"); len(snap.Tickets) != 0 {
			t.Errorf("snapshot of yesterday after reset: %d open tickets, want 0", len(snap.Tickets))
		}
		snap = f.snapshot(t, day2)
		if len(snap.Tickets) != 1 || snap.Tickets[0].ID != n.ID {
			t.Errorf("snapshot %s: tickets %v, want only %s", day2, ticketList(snap.Tickets), n.Number)
		}
		if len(snap.Recent) != 0 {
			t.Errorf("snapshot %s: recent calls %v, want none (yesterday's calls belong to yesterday)", day2, snap.Recent)
		}

		// Platz 3's call of yesterday is expired, not called: Next finishes nothing.
		seq = f.lastSeq(t)
		got := f.next(t, "Platz 3", "mbe", "jmd")
		if got.ID != n.ID {
			t.Fatalf("next on %s called %s of %s, want today's %s", day2, got.Number, got.Day, n.Number)
		}
		f.expectEvents(t, seq, wantEv{queue.EventCalled, n.ID, "Platz 3"})
		_, err := f.svc.Next(t.Context(), "Platz 3", []string{"mbe", "jmd"})
		wantCode(t, err, queue.Empty)
	})

	t.Run("ReadOnNewDayShowsExpired", func(t *testing.T) {
		f := setup(t, open)
		m := f.draw(t, "mbe")
		f.at(2026, 3, 12, 8, 0, 0, 0)
		got, err := f.svc.Ticket(t.Context(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != queue.StatusExpired || got.Ahead != nil {
			t.Fatalf("yesterday's ticket read today: status=%s ahead=%v, want expired without ahead", got.Status, got.Ahead)
		}
	})

	t.Run("NextOnlyToday", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		f.draw(t, "jmd")
		f.at(2026, 3, 12, 9, 0, 0, 0)
		_, err := f.svc.Next(t.Context(), "Platz 1", []string{"mbe", "jmd"})
		wantCode(t, err, queue.Empty)
		j := f.draw(t, "jmd")
		if got := f.next(t, "Platz 1", "mbe", "jmd"); got.ID != j.ID {
			t.Fatalf("next called %s of %s, want today's %s", got.Number, got.Day, j.Number)
		}
		_, err = f.svc.Next(t.Context(), "Platz 1", []string{"mbe", "jmd"})
		wantCode(t, err, queue.Empty)
	})

	// Instances sharing a store may disagree about the clock near midnight:
	// a request for an earlier day never touches a later day's tickets.
	t.Run("EarlierDayRequest", func(t *testing.T) {
		f := setup(t, open)
		f.at(2026, 3, 12, 0, 0, 1, 0)
		a := f.draw(t, "mbe")
		now := f.now().Add(-2 * time.Second)
		_, err := f.store.Next(t.Context(), queue.NextRequest{Desk: "Platz 1", Lines: []string{"mbe", "jmd"}, Now: now, Day: "2026-03-11"})
		wantCode(t, err, queue.Empty)
		if got := f.ticket(t, a.ID); got.Status != queue.StatusWaiting {
			t.Errorf("%s of %s: status=%q after a next for the day before, want waiting", got.Number, got.Day, got.Status)
		}
		if snap := f.snapshot(t, "2026-03-11"); len(snap.Tickets) != 0 {
			t.Errorf("snapshot of the day before: tickets %v, want none", ticketList(snap.Tickets))
		}
	})

	t.Run("ActOnYesterdaysTicket", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		f.next(t, "Empore", "mbe")
		f.at(2026, 3, 12, 9, 0, 0, 0)
		// The store expires a before it applies the action.
		_, err := f.svc.Act(t.Context(), a.ID, queue.ActDone, "")
		wantCode(t, err, queue.Conflict)
		f.draw(t, "jmd")
		if got := f.ticket(t, a.ID); got.Status != queue.StatusExpired {
			t.Errorf("yesterday's called ticket: status=%q, want expired", got.Status)
		}
	})
}

func ticketList(ts []queue.Ticket) []string {
	out := make([]string, len(ts))
	for i, tk := range ts {
		out[i] = fmt.Sprintf("%s(%s)", tk.Number, tk.Status)
	}
	return out
}

func testNext(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("Empty", func(t *testing.T) {
		f := setup(t, open)
		_, err := f.svc.Next(t.Context(), "Platz 1", []string{"mbe"})
		wantCode(t, err, queue.Empty)
		m := f.draw(t, "mbe")
		seq := f.lastSeq(t)
		_, err = f.svc.Next(t.Context(), "Platz 1", []string{"jmd"})
		wantCode(t, err, queue.Empty)
		f.wantNoChange(t, seq)
		if got := f.ticket(t, m.ID); got.Status != queue.StatusWaiting {
			t.Errorf("%s: status=%q after an empty next in another line, want waiting", got.Number, got.Status)
		}
	})

	t.Run("OldestByPlace", func(t *testing.T) {
		f := setup(t, open)
		// All drawn at the same instant: only the place orders them.
		j1 := f.draw(t, "jmd")
		m1 := f.draw(t, "mbe")
		j2 := f.draw(t, "jmd")
		m2 := f.draw(t, "mbe")
		for i, tt := range []struct {
			desk  string
			lines []string
			want  queue.Ticket
		}{
			{"Platz 1", []string{"mbe", "jmd"}, j1},
			{"Platz 2", []string{"jmd", "mbe"}, m1},
			{"Platz 3", []string{"jmd"}, j2},
			{"Platz 4", []string{"mbe", "jmd"}, m2},
		} {
			f.clock.Advance(time.Minute)
			seq := f.lastSeq(t)
			got := f.next(t, tt.desk, tt.lines...)
			want := tt.want
			want.Status, want.Desk, want.CalledAt = queue.StatusCalled, tt.desk, ptr(f.now())
			assertTicket(t, fmt.Sprintf("call %d", i), got, want)
			evs := f.expectEvents(t, seq, wantEv{queue.EventCalled, want.ID, tt.desk})
			assertTicket(t, fmt.Sprintf("call %d event", i), evs[0].Ticket, want)
			assertTicket(t, fmt.Sprintf("call %d read back", i), f.ticket(t, want.ID), want)
		}
		_, err := f.svc.Next(t.Context(), "Platz 1", []string{"mbe", "jmd"})
		wantCode(t, err, queue.Empty)
	})

	t.Run("FinishesDesksCall", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		b := f.draw(t, "mbe")
		c := f.draw(t, "jmd")
		f.next(t, "Platz A", "mbe")
		bCalled := f.next(t, "Platz B", "mbe")
		f.clock.Advance(5 * time.Minute)
		seq := f.lastSeq(t)
		if got := f.next(t, "Platz A", "mbe", "jmd"); got.ID != c.ID {
			t.Fatalf("next called %s, want %s", got.Number, c.Number)
		}
		evs := f.expectEvents(t, seq,
			wantEv{queue.EventDone, a.ID, "Platz A"},
			wantEv{queue.EventCalled, c.ID, "Platz A"})
		aGot := f.ticket(t, a.ID)
		if aGot.Status != queue.StatusDone || aGot.FinishedAt == nil || !aGot.FinishedAt.Equal(f.now()) {
			t.Errorf("%s: status=%q finished_at=%s, want done at %v", aGot.Number, aGot.Status, fmtTime(aGot.FinishedAt), f.now())
		}
		assertTicket(t, "done event", evs[0].Ticket, aGot)
		// Another desk's call is left alone.
		assertTicket(t, "other desk's call", f.ticket(t, b.ID), bCalled)
	})

	// Next means "done with this visitor, who is next?": the desk's call is
	// finished even when nobody waits, and Next then fails with Empty.
	t.Run("EmptyFinishesDesksCall", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		f.next(t, "Platz 1", "mbe")
		f.clock.Advance(time.Minute)
		seq := f.lastSeq(t)
		_, err := f.svc.Next(t.Context(), "Platz 1", []string{"mbe", "jmd"})
		wantCode(t, err, queue.Empty)
		f.expectEvents(t, seq, wantEv{queue.EventDone, a.ID, "Platz 1"})
		if got := f.ticket(t, a.ID); got.Status != queue.StatusDone {
			t.Errorf("%s: status=%q, want done", got.Number, got.Status)
		}
	})

	t.Run("DeskLabelCleaned", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		b := f.draw(t, "mbe")
		if got := f.next(t, "  Raum 2.14\t", "mbe"); got.Desk != "Raum 2.14" {
			t.Fatalf("desk=%q, want %q", got.Desk, "Raum 2.14")
		}
		seq := f.lastSeq(t)
		f.next(t, "Raum 2.14", "mbe")
		f.expectEvents(t, seq,
			wantEv{queue.EventDone, a.ID, "Raum 2.14"},
			wantEv{queue.EventCalled, b.ID, "Raum 2.14"})
	})
}

func testAct(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("Recall", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		want := f.next(t, "Empore", "mbe")
		for i := 1; i <= 2; i++ {
			f.clock.Advance(30 * time.Second)
			seq := f.lastSeq(t)
			got := f.act(t, a.ID, queue.ActRecall, "")
			want.Recalls, want.CalledAt = i, ptr(f.now())
			assertTicket(t, fmt.Sprintf("recall %d", i), got, want)
			evs := f.expectEvents(t, seq, wantEv{queue.EventRecalled, a.ID, "Empore"})
			assertTicket(t, fmt.Sprintf("recall %d event", i), evs[0].Ticket, want)
			assertTicket(t, fmt.Sprintf("recall %d read back", i), f.ticket(t, a.ID), want)
		}
	})

	t.Run("Done", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		want := f.next(t, "Platz 1", "mbe")
		f.clock.Advance(20 * time.Minute)
		seq := f.lastSeq(t)
		got := f.act(t, a.ID, queue.ActDone, "")
		want.Status, want.FinishedAt = queue.StatusDone, ptr(f.now())
		assertTicket(t, "done", got, want)
		f.expectEvents(t, seq, wantEv{queue.EventDone, a.ID, "Platz 1"})
		assertTicket(t, "read back", f.ticket(t, a.ID), want)

		seq = f.lastSeq(t)
		for _, a2 := range []queue.Action{queue.ActDone, queue.ActRecall, queue.ActNoShow, queue.ActTransfer} {
			_, err := f.svc.Act(t.Context(), a.ID, a2, "jmd")
			wantCode(t, err, queue.Conflict)
		}
		f.wantNoChange(t, seq)
		assertTicket(t, "after refused actions", f.ticket(t, a.ID), want)
	})

	t.Run("NoShow", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		want := f.next(t, "Platz 1", "mbe")
		f.clock.Advance(3 * time.Minute)
		seq := f.lastSeq(t)
		got := f.act(t, a.ID, queue.ActNoShow, "")
		want.Status, want.FinishedAt = queue.StatusNoShow, ptr(f.now())
		assertTicket(t, "no-show", got, want)
		f.expectEvents(t, seq, wantEv{queue.EventNoShow, a.ID, "Platz 1"})
		seq = f.lastSeq(t)
		_, err := f.svc.Act(t.Context(), a.ID, queue.ActDone, "")
		wantCode(t, err, queue.Conflict)
		f.wantNoChange(t, seq)
		// The desk's next call finishes nothing: its ticket is no longer called.
		b := f.draw(t, "mbe")
		seq = f.lastSeq(t)
		f.next(t, "Platz 1", "mbe")
		f.expectEvents(t, seq, wantEv{queue.EventCalled, b.ID, "Platz 1"})
	})

	t.Run("WaitingRefused", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		seq := f.lastSeq(t)
		for _, act := range []queue.Action{queue.ActRecall, queue.ActDone, queue.ActNoShow} {
			_, err := f.svc.Act(t.Context(), a.ID, act, "")
			wantCode(t, err, queue.Conflict)
		}
		f.wantNoChange(t, seq)
		assertTicket(t, "after refused actions", f.ticket(t, a.ID), a)
	})

	t.Run("UnknownTicket", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		_, err := f.svc.Act(t.Context(), queue.NewID(10), queue.ActDone, "")
		wantCode(t, err, queue.NotFound)
	})

	t.Run("UnknownAction", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		f.next(t, "Platz 1", "mbe")
		seq := f.lastSeq(t)
		_, err := f.svc.Act(t.Context(), a.ID, "explode", "")
		wantCode(t, err, queue.Invalid)
		f.wantNoChange(t, seq)
	})
}

func testTransfer(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("KeepsNumberAndPlace", func(t *testing.T) {
		f := setup(t, open)
		j1 := f.draw(t, "jmd")
		m1 := f.draw(t, "mbe")
		j2 := f.draw(t, "jmd")
		f.clock.Advance(time.Minute)
		seq := f.lastSeq(t)
		got := f.act(t, m1.ID, queue.ActTransfer, "jmd")
		want := m1
		want.Line, want.Transfers = "jmd", 1
		assertTicket(t, "transferred", got, want)
		evs := f.expectEvents(t, seq, wantEv{queue.EventTransferred, m1.ID, ""})
		assertTicket(t, "transferred event", evs[0].Ticket, want)
		assertTicket(t, "read back", f.ticket(t, m1.ID), want)
		f.wantAhead(t, j1.ID, 0)
		f.wantAhead(t, m1.ID, 1)
		f.wantAhead(t, j2.ID, 2)

		j3 := f.draw(t, "jmd")
		_, err := f.svc.Next(t.Context(), "Platz 1", []string{"mbe"})
		wantCode(t, err, queue.Empty)
		for _, w := range []queue.Ticket{j1, m1, j2, j3} {
			if got := f.next(t, "Platz 1", "jmd"); got.ID != w.ID {
				t.Fatalf("jmd next called %s, want %s", got.Number, w.Number)
			}
		}
	})

	t.Run("CalledTicket", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		b := f.draw(t, "mbe")
		j := f.draw(t, "jmd")
		f.next(t, "Platz A", "mbe")
		seq := f.lastSeq(t)
		got := f.act(t, a.ID, queue.ActTransfer, "jmd")
		want := a
		want.Line, want.Transfers = "jmd", 1
		assertTicket(t, "transferred", got, want)
		f.expectEvents(t, seq, wantEv{queue.EventTransferred, a.ID, ""})

		// Platz A no longer holds a call: its next call finishes nothing.
		seq = f.lastSeq(t)
		f.next(t, "Platz A", "mbe")
		f.expectEvents(t, seq, wantEv{queue.EventCalled, b.ID, "Platz A"})
		// a keeps its place before j, drawn after it.
		if got := f.next(t, "Platz B", "jmd"); got.ID != a.ID {
			t.Fatalf("jmd next called %s, want %s", got.Number, a.Number)
		}
		if got := f.next(t, "Platz C", "jmd"); got.ID != j.ID {
			t.Fatalf("jmd next called %s, want %s", got.Number, j.Number)
		}
	})

	t.Run("AndBack", func(t *testing.T) {
		f := setup(t, open)
		m1 := f.draw(t, "mbe")
		m2 := f.draw(t, "mbe")
		f.act(t, m1.ID, queue.ActTransfer, "jmd")
		got := f.act(t, m1.ID, queue.ActTransfer, "mbe")
		if got.Line != "mbe" || got.Transfers != 2 || got.Place != m1.Place {
			t.Fatalf("transferred back: line=%q transfers=%d place=%d, want mbe 2 %d", got.Line, got.Transfers, got.Place, m1.Place)
		}
		if got := f.next(t, "Platz 1", "mbe"); got.ID != m1.ID {
			t.Fatalf("next called %s, want %s back in its place", got.Number, m1.Number)
		}
		if got := f.next(t, "Platz 2", "mbe"); got.ID != m2.ID {
			t.Fatalf("next called %s, want %s", got.Number, m2.Number)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		b := f.draw(t, "mbe")
		f.next(t, "Platz 1", "mbe")
		f.act(t, a.ID, queue.ActDone, "")
		seq := f.lastSeq(t)
		_, err := f.svc.Act(t.Context(), b.ID, queue.ActTransfer, "mbe")
		wantCode(t, err, queue.Conflict)
		_, err = f.svc.Act(t.Context(), b.ID, queue.ActTransfer, "xyz")
		wantCode(t, err, queue.UnknownLine)
		_, err = f.svc.Act(t.Context(), a.ID, queue.ActTransfer, "jmd")
		wantCode(t, err, queue.Conflict)
		f.wantNoChange(t, seq)
		assertTicket(t, "after refused transfers", f.ticket(t, b.ID), b)
	})
}

func testIdempotency(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("Replay", func(t *testing.T) {
		f := setup(t, open)
		a, replay, err := f.svc.Draw(t.Context(), "mbe", "tr", "key-1", "hash-1")
		if err != nil || replay {
			t.Fatalf("first draw: replay=%v err=%v", replay, err)
		}
		seq := f.lastSeq(t)
		f.clock.Advance(time.Minute)
		b, replay, err := f.svc.Draw(t.Context(), "mbe", "tr", "key-1", "hash-1")
		if err != nil {
			t.Fatalf("retried draw: %v", err)
		}
		if !replay {
			t.Errorf("retried draw: replay=false, want true")
		}
		assertTicket(t, "replayed", b, a)
		if b.Token != a.Token {
			t.Errorf("replayed token=%q, want %q", b.Token, a.Token)
		}
		f.wantNoChange(t, seq)
		// The replay took no number.
		if got, want := f.draw(t, "mbe").Number, "M-002"; got != want {
			t.Errorf("next draw: number=%q, want %q", got, want)
		}
		// Another key is another ticket, even with the same body.
		c, replay, err := f.svc.Draw(t.Context(), "mbe", "tr", "key-2", "hash-1")
		if err != nil || replay || c.Number != "M-003" {
			t.Errorf("draw with another key: %s replay=%v err=%v, want M-003", c.Number, replay, err)
		}
	})

	t.Run("Mismatch", func(t *testing.T) {
		f := setup(t, open)
		if _, _, err := f.svc.Draw(t.Context(), "mbe", "", "key-1", "hash-1"); err != nil {
			t.Fatal(err)
		}
		seq := f.lastSeq(t)
		_, _, err := f.svc.Draw(t.Context(), "mbe", "", "key-1", "hash-2")
		wantCode(t, err, queue.IdempotencyMismatch)
		_, _, err = f.svc.Draw(t.Context(), "jmd", "", "key-1", "hash-3")
		wantCode(t, err, queue.IdempotencyMismatch)
		f.wantNoChange(t, seq)
	})

	t.Run("NoKey", func(t *testing.T) {
		f := setup(t, open)
		for _, want := range []string{"M-001", "M-002"} {
			tk, replay, err := f.svc.Draw(t.Context(), "mbe", "", "", "hash-1")
			if err != nil || replay || tk.Number != want {
				t.Fatalf("draw without key: %s replay=%v err=%v, want %s", tk.Number, replay, err, want)
			}
		}
	})

	// A key older than IdemSince is no longer honoured, with either body.
	t.Run("ReplayOnly", func(t *testing.T) {
		f := setup(t, open)
		first, _, err := f.svc.Draw(t.Context(), "mbe", "de", "tap-1", "h1")
		if err != nil {
			t.Fatal(err)
		}
		seq := f.lastSeq(t)
		now := f.now()
		req := queue.DrawRequest{Line: queue.DefaultLines()[0], Lang: "de", Now: now, Day: f.day(),
			ID: queue.NewID(10), Token: queue.NewID(20), IdemHash: "h1", IdemSince: now.Add(-time.Hour), ReplayOnly: true}
		req.IdemKey = "tap-1"
		got, replay, err := f.store.Draw(t.Context(), req)
		if err != nil || !replay || got.ID != first.ID {
			t.Fatalf("replay-only of a known key: %+v replay=%v err=%v", got, replay, err)
		}
		req.IdemKey = "tap-2"
		_, _, err = f.store.Draw(t.Context(), req)
		wantCode(t, err, queue.NotFound)
		f.wantNoChange(t, seq)
	})

	t.Run("KeyExpires", func(t *testing.T) {
		f := setup(t, open)
		line, err := f.svc.Line("mbe")
		if err != nil {
			t.Fatal(err)
		}
		now := f.now()
		req := func(at, since time.Time, hash string) queue.DrawRequest {
			return queue.DrawRequest{
				Line: line, Lang: "de", Now: at, Day: f.svc.Day(at),
				ID: queue.NewID(10), Token: queue.NewID(20),
				IdemKey: "key-1", IdemHash: hash, IdemSince: since,
			}
		}
		r1 := req(now, now.Add(-queue.IdempotencyTTL), "hash-1")
		a, replay, err := f.store.Draw(t.Context(), r1)
		if err != nil || replay {
			t.Fatalf("first draw: replay=%v err=%v", replay, err)
		}
		if a.ID != r1.ID || a.Token != r1.Token {
			t.Errorf("drawn id/token=%q/%q, want the request's %q/%q", a.ID, a.Token, r1.ID, r1.Token)
		}
		// Still honoured while IdemSince is not after the first draw.
		later := now.Add(time.Minute)
		if b, replay, err := f.store.Draw(t.Context(), req(later, now, "hash-1")); err != nil || !replay || b.ID != a.ID {
			t.Fatalf("retry with idem_since = first draw: id=%q replay=%v err=%v, want %q replayed", b.ID, replay, err, a.ID)
		}
		r2 := req(later, now.Add(time.Millisecond), "hash-1")
		b, replay, err := f.store.Draw(t.Context(), r2)
		if err != nil {
			t.Fatalf("draw with an expired key: %v", err)
		}
		if replay || b.ID != r2.ID || b.Number != "M-002" {
			t.Errorf("draw with an expired key: %s id=%q replay=%v, want a new M-002 %q", b.Number, b.ID, replay, r2.ID)
		}
		later = later.Add(time.Minute)
		r3 := req(later, later.Add(-time.Millisecond), "hash-other")
		c, replay, err := f.store.Draw(t.Context(), r3)
		if err != nil {
			t.Fatalf("draw with an expired key and another body: %v", err)
		}
		if replay || c.ID != r3.ID || c.Number != "M-003" {
			t.Errorf("draw with an expired key and another body: %s replay=%v, want a new M-003", c.Number, replay)
		}
	})
}

func testEvents(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("EmptyStore", func(t *testing.T) {
		f := setup(t, open)
		if got := f.lastSeq(t); got != 0 {
			t.Errorf("last seq=%d, want 0", got)
		}
		if evs := f.events(t, 0); len(evs) != 0 {
			t.Errorf("events: %v, want none", eventList(evs))
		}
	})

	t.Run("OneEventPerChange", func(t *testing.T) {
		f := setup(t, open)
		// step makes one change and checks the events it recorded.
		step := func(change func() []wantEv) {
			t.Helper()
			f.clock.Advance(time.Minute)
			seq := f.lastSeq(t)
			want := change()
			f.expectEvents(t, seq, want...)
		}
		var a, b, c queue.Ticket
		step(func() []wantEv { a = f.draw(t, "mbe"); return []wantEv{{queue.EventIssued, a.ID, ""}} })
		step(func() []wantEv { b = f.draw(t, "jmd"); return []wantEv{{queue.EventIssued, b.ID, ""}} })
		step(func() []wantEv {
			f.next(t, "Platz A", "mbe", "jmd")
			return []wantEv{{queue.EventCalled, a.ID, "Platz A"}}
		})
		step(func() []wantEv {
			f.act(t, a.ID, queue.ActRecall, "")
			return []wantEv{{queue.EventRecalled, a.ID, "Platz A"}}
		})
		step(func() []wantEv {
			f.next(t, "Platz A", "mbe", "jmd")
			return []wantEv{{queue.EventDone, a.ID, "Platz A"}, {queue.EventCalled, b.ID, "Platz A"}}
		})
		step(func() []wantEv {
			f.act(t, b.ID, queue.ActNoShow, "")
			return []wantEv{{queue.EventNoShow, b.ID, "Platz A"}}
		})
		step(func() []wantEv { c = f.draw(t, "mbe"); return []wantEv{{queue.EventIssued, c.ID, ""}} })
		step(func() []wantEv {
			f.act(t, c.ID, queue.ActTransfer, "jmd")
			return []wantEv{{queue.EventTransferred, c.ID, ""}}
		})
		step(func() []wantEv {
			f.next(t, "Platz B", "jmd")
			return []wantEv{{queue.EventCalled, c.ID, "Platz B"}}
		})
		step(func() []wantEv {
			f.act(t, c.ID, queue.ActDone, "")
			return []wantEv{{queue.EventDone, c.ID, "Platz B"}}
		})
		evs := f.events(t, 0)
		if got, want := len(evs), 11; got != want {
			t.Fatalf("%d events, want %d", got, want)
		}
		checkSeqs(t, evs, 1)
		if got, want := f.lastSeq(t), int64(11); got != want {
			t.Errorf("last seq=%d, want %d", got, want)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		f := setup(t, open)
		var ids []string
		for range 5 {
			ids = append(ids, f.draw(t, "mbe").ID)
		}
		for _, tt := range []struct {
			after int64
			limit int
			want  []int64
		}{
			{0, 2, []int64{1, 2}},
			{2, 2, []int64{3, 4}},
			{4, 2, []int64{5}},
			{5, 2, nil},
			{1, 100, []int64{2, 3, 4, 5}},
			{0, 5, []int64{1, 2, 3, 4, 5}},
			{3, 1, []int64{4}},
			{99, 10, nil},
		} {
			evs, err := f.store.EventsAfter(t.Context(), tt.after, tt.limit)
			if err != nil {
				t.Fatalf("events after %d limit %d: %v", tt.after, tt.limit, err)
			}
			var got []int64
			for _, e := range evs {
				got = append(got, e.Seq)
				if want := ids[e.Seq-1]; e.Ticket.ID != want {
					t.Errorf("event %d: ticket %q, want %q", e.Seq, e.Ticket.ID, want)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("events after %d limit %d: seqs %v, want %v", tt.after, tt.limit, got, tt.want)
			}
		}
	})
}

func testSnapshot(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("EmptyStore", func(t *testing.T) {
		f := setup(t, open)
		snap := f.snapshot(t, f.day())
		if snap.Seq != 0 || len(snap.Tickets) != 0 || len(snap.Recent) != 0 {
			t.Errorf("snapshot: seq=%d, %d tickets, %d recent; want all zero", snap.Seq, len(snap.Tickets), len(snap.Recent))
		}
	})

	t.Run("OpenTicketsAndRecentCalls", func(t *testing.T) {
		f := setup(t, open)
		m1 := f.draw(t, "mbe")
		j1 := f.draw(t, "jmd")
		m2 := f.draw(t, "mbe")
		j2 := f.draw(t, "jmd")
		m3 := f.draw(t, "mbe")
		f.clock.Advance(time.Minute)
		f.next(t, "Platz A", "mbe")
		callM1 := f.now()
		f.clock.Advance(time.Minute)
		j1c := f.next(t, "Platz B", "jmd")
		callJ1 := f.now()
		f.clock.Advance(time.Minute)
		m2c := f.next(t, "Platz A", "mbe") // m1 done
		callM2 := f.now()

		snap := f.snapshot(t, f.day())
		if got, want := snap.Seq, f.lastSeq(t); got != want {
			t.Errorf("seq=%d, want last seq %d", got, want)
		}
		want := []queue.Ticket{j1c, m2c, j2, m3}
		if got := ticketList(snap.Tickets); !slices.Equal(got, ticketList(want)) {
			t.Fatalf("tickets %v, want %v in place order", got, ticketList(want))
		}
		for i, tk := range snap.Tickets {
			assertTicket(t, "snapshot "+tk.Number, tk, want[i])
		}
		wantRecent := []queue.Call{
			{Number: m2.Number, Desk: "Platz A", At: callM2, Line: "mbe"},
			{Number: j1.Number, Desk: "Platz B", At: callJ1, Line: "jmd"},
			{Number: m1.Number, Desk: "Platz A", At: callM1, Line: "mbe"},
		}
		checkRecent(t, snap.Recent, wantRecent)

		if other := f.snapshot(t, "2026-03-10"); len(other.Tickets) != 0 || len(other.Recent) != 0 {
			t.Errorf("snapshot of another day: %d tickets, %d recent; want none", len(other.Tickets), len(other.Recent))
		}
	})

	t.Run("RecentCallsPerLine", func(t *testing.T) {
		f := setup(t, open)
		n := queue.RecentCalls + 2
		for range n {
			f.draw(t, "mbe")
		}
		f.draw(t, "jmd")
		f.draw(t, "jmd")
		var calls []queue.Call
		for _, line := range append(slices.Repeat([]string{"mbe"}, n), "jmd", "jmd") {
			f.clock.Advance(time.Second)
			tk := f.next(t, "Platz 1", line)
			calls = append([]queue.Call{{Number: tk.Number, Desk: "Platz 1", At: f.now(), Line: line}}, calls...)
		}
		// Newest first: both jmd calls, then the newest RecentCalls of mbe.
		checkRecent(t, f.snapshot(t, f.day()).Recent, calls[:2+queue.RecentCalls])
	})

	// Served feeds the waiting-time estimate: the day's finished
	// consultations (done, never no-shows or transfers), oldest first, at
	// most the last 20 per line.
	t.Run("Served", func(t *testing.T) {
		f := setup(t, open)
		perLine := queue.ServedPerLine
		n := perLine + 2
		for range n {
			f.draw(t, "mbe")
		}
		j := f.draw(t, "jmd")
		f.draw(t, "jmd")
		var want []queue.Served
		for i := range n {
			f.clock.Advance(time.Minute)
			tk := f.next(t, "Platz 1", "mbe")
			called := f.now()
			f.clock.Advance(time.Duration(5+i) * time.Minute)
			f.act(t, tk.ID, queue.ActDone, "")
			want = append(want, queue.Served{Line: "mbe", CalledAt: called, FinishedAt: f.now()})
		}
		want = want[n-perLine:]
		// A jmd consultation ends after them; a no-show and a transfer are
		// not consultations.
		f.clock.Advance(time.Minute)
		jc := f.next(t, "Platz 2", "jmd")
		if jc.ID != j.ID {
			t.Fatalf("called %s, want %s", jc.Number, j.Number)
		}
		jCalled := f.now()
		f.clock.Advance(12 * time.Minute)
		f.act(t, jc.ID, queue.ActDone, "")
		want = append(want, queue.Served{Line: "jmd", CalledAt: jCalled, FinishedAt: f.now()})
		f.clock.Advance(time.Minute)
		ns := f.next(t, "Platz 2", "jmd")
		f.act(t, ns.ID, queue.ActNoShow, "")
		m := f.draw(t, "mbe")
		mc := f.next(t, "Platz 1", "mbe")
		if mc.ID != m.ID {
			t.Fatalf("called %s, want %s", mc.Number, m.Number)
		}
		f.act(t, mc.ID, queue.ActTransfer, "jmd")

		got := f.snapshot(t, f.day()).Served
		if len(got) != len(want) {
			t.Fatalf("served %d consultations %+v, want %d %+v", len(got), got, len(want), want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Line != w.Line || !g.CalledAt.Equal(w.CalledAt) || !g.FinishedAt.Equal(w.FinishedAt) {
				t.Errorf("served %d: %+v, want %+v", i, g, w)
			}
		}
		if other := f.snapshot(t, "2026-03-10"); len(other.Served) != 0 {
			t.Errorf("snapshot of another day: %d served, want none", len(other.Served))
		}
	})
}

func checkRecent(t *testing.T, got, want []queue.Call) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("recent calls %v, want %v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Number != w.Number || g.Desk != w.Desk || g.Line != w.Line || !g.At.Equal(w.At) {
			t.Errorf("recent call %d: %+v, want %+v", i, g, w)
		}
	}
}

func testWaitEvents(t *testing.T, open func(t *testing.T) queue.Store) {
	// A store may answer the EventsAfter that follows a WaitEvents from
	// what the wait already saw; it must not leave out what this store
	// wrote in between.
	t.Run("ReadAfterWaitSeesOwnWrites", func(t *testing.T) {
		f := setup(t, open)
		first := f.draw(t, "mbe")
		after := first.Place - 1
		if err := f.store.WaitEvents(t.Context(), after); err != nil {
			t.Fatal(err)
		}
		second := f.draw(t, "jmd")
		evs, err := f.store.EventsAfter(t.Context(), after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Ticket.ID != first.ID || evs[1].Ticket.ID != second.ID {
			t.Fatalf("events after %d: %+v; want the issues of %s and %s", after, evs, first.Number, second.Number)
		}
	})
	t.Run("ReturnsOnChange", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		after := f.lastSeq(t)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		waiting, exited := make(chan struct{}), make(chan struct{})
		got := make(chan error, 1)
		defer func() { cancel(); <-exited }() // before the store closes
		go func() {
			defer close(exited)
			close(waiting)
			// WaitEvents may return early; the caller then reads the log.
			for {
				if err := f.store.WaitEvents(ctx, after); err != nil {
					got <- err
					return
				}
				evs, err := f.store.EventsAfter(ctx, after, 10)
				if err != nil || len(evs) > 0 {
					got <- err
					return
				}
			}
		}()
		<-waiting
		// Nothing can tell when the waiter is parked inside WaitEvents; give
		// it a moment so that the change usually wakes a blocked wait.
		time.Sleep(20 * time.Millisecond)
		drawn := make(chan error, 1)
		go func() {
			_, _, err := f.svc.Draw(ctx, "jmd", "", "", "")
			drawn <- err
		}()
		if err := <-drawn; err != nil {
			t.Fatalf("draw: %v", err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("wait: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("WaitEvents did not return within 2s of a change")
		}
	})

	t.Run("ReturnsWhenBehind", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		if err := f.store.WaitEvents(ctx, 0); err != nil {
			t.Fatalf("wait after 0 with event 1 committed: %v", err)
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		after := f.lastSeq(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := within(t, 2*time.Second, func() error { return f.store.WaitEvents(ctx, after) })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("wait with a cancelled context: err=%v, want %v", err, context.Canceled)
		}
	})

	t.Run("CancelledWhileWaiting", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		after := f.lastSeq(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		err := within(t, 2*time.Second, func() error {
			time.AfterFunc(50*time.Millisecond, cancel)
			for {
				if err := f.store.WaitEvents(ctx, after); err != nil || ctx.Err() != nil {
					return err
				}
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("wait cancelled after 50ms: err=%v, want %v", err, context.Canceled)
		}
	})

	t.Run("DeadlineNothingNew", func(t *testing.T) {
		f := setup(t, open)
		f.draw(t, "mbe")
		after := f.lastSeq(t)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		for {
			err := within(t, 2*time.Second, func() error { return f.store.WaitEvents(ctx, after) })
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("wait: err=%v, want %v", err, context.DeadlineExceeded)
				}
				break
			}
			// An early return is allowed, but there is nothing to read...
			if evs := f.events(t, after); len(evs) != 0 {
				t.Fatalf("wait returned with new events %v; nothing changed", eventList(evs))
			}
			// ...and once the context has ended, the wait must say so.
			if ctx.Err() != nil {
				err := within(t, 2*time.Second, func() error { return f.store.WaitEvents(ctx, after) })
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("wait after the deadline: err=%v, want %v", err, context.DeadlineExceeded)
				}
				break
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("wait took %v after a 100ms deadline", d)
		}
	})
}

// within runs fn and fails the test unless it returns within d, so that a
// wait that ignores its context fails instead of hanging the suite.
func within(t *testing.T, d time.Duration, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("did not return within %v", d)
		return nil
	}
}

func testConcurrency(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("Draws", func(t *testing.T) {
		f := setup(t, open)
		const n = 200
		tickets := make([]queue.Ticket, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				tk, _, err := f.svc.Draw(t.Context(), "mbe", "", "", "")
				if err != nil {
					t.Errorf("draw %d: %v", i, err)
				}
				tickets[i] = tk
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		var numbers []string
		ids := map[string]bool{}
		places := map[int64]bool{}
		for _, tk := range tickets {
			numbers = append(numbers, tk.Number)
			if ids[tk.ID] || places[tk.Place] {
				t.Errorf("%s: id %q or place %d repeated", tk.Number, tk.ID, tk.Place)
			}
			ids[tk.ID], places[tk.Place] = true, true
		}
		sort.Strings(numbers) // three digits sort as text up to 999
		for i, got := range numbers {
			if want := queue.FormatNumber("M", i+1); got != want {
				t.Fatalf("sorted number %d=%q, want %q (numbers %v)", i, got, want, numbers)
			}
		}
		evs := f.events(t, 0)
		if got, want := len(evs), n; got != want {
			t.Fatalf("%d events, want %d", got, want)
		}
		checkSeqs(t, evs, 1)
		for _, e := range evs {
			if e.Type != queue.EventIssued || !ids[e.Ticket.ID] {
				t.Errorf("event %d: %s %s, want issued for a drawn ticket", e.Seq, e.Type, e.Ticket.ID)
			}
			delete(ids, e.Ticket.ID)
		}
		if got, want := f.lastSeq(t), int64(n); got != want {
			t.Errorf("last seq=%d, want %d", got, want)
		}
	})

	t.Run("Desks", func(t *testing.T) {
		f := setup(t, open)
		const n, desks = 100, 8
		place := map[string]int64{}
		for i := range n {
			tk := f.draw(t, []string{"mbe", "jmd"}[i%2])
			place[tk.ID] = tk.Place
		}
		drawSeq := f.lastSeq(t)
		called := make([][]queue.Ticket, desks)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for d := range desks {
			wg.Go(func() {
				<-start
				desk := fmt.Sprintf("Platz %d", d+1)
				for range n + 1 {
					tk, err := f.svc.Next(t.Context(), desk, []string{"mbe", "jmd"})
					if queue.ErrorCode(err) == queue.Empty {
						return
					}
					if err != nil {
						t.Errorf("next at %s: %v", desk, err)
						return
					}
					if tk.Desk != desk {
						t.Errorf("next at %s: ticket %s has desk %q", desk, tk.Number, tk.Desk)
					}
					called[d] = append(called[d], tk)
				}
				t.Errorf("%s: more than %d calls", desk, n)
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		seen := map[string]string{}
		for d, ts := range called {
			for i, tk := range ts {
				if other, ok := seen[tk.ID]; ok {
					t.Errorf("%s called by Platz %d and %s", tk.Number, d+1, other)
				}
				seen[tk.ID] = fmt.Sprintf("Platz %d", d+1)
				// Each call takes the oldest waiting ticket, so one desk's
				// calls follow place order.
				if i > 0 && place[tk.ID] <= place[ts[i-1].ID] {
					t.Errorf("Platz %d called %s after %s, out of place order", d+1, tk.Number, ts[i-1].Number)
				}
			}
		}
		if got, want := len(seen), n; got != want {
			t.Fatalf("%d tickets called, want %d", got, want)
		}
		evs := f.events(t, drawSeq)
		checkSeqs(t, evs, drawSeq+1)
		count := map[queue.EventType]int{}
		for _, e := range evs {
			count[e.Type]++
		}
		// Every call was finished by its desk's next press, the last one by
		// the press that found nobody waiting (see Next/EmptyFinishesDesksCall).
		if count[queue.EventCalled] != n || count[queue.EventDone] != n || len(evs) != 2*n {
			t.Errorf("events after the draws: %v, want %d called and %d done", count, n, n)
		}
		calledBy := map[string]string{}
		for _, e := range evs {
			switch e.Type {
			case queue.EventCalled:
				calledBy[e.Ticket.ID] = e.Ticket.Desk
			case queue.EventDone:
				if desk, ok := calledBy[e.Ticket.ID]; !ok || desk != e.Ticket.Desk {
					t.Errorf("event %d: %s done at %q, called at %q", e.Seq, e.Ticket.Number, e.Ticket.Desk, desk)
				}
			}
		}
		if snap := f.snapshot(t, f.day()); len(snap.Tickets) != 0 {
			t.Errorf("open tickets %v, want none", ticketList(snap.Tickets))
		}
	})
}

func testPrint(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("FailedThenPrinted", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		f.draw(t, "mbe")
		seq := f.lastSeq(t)
		got, err := f.svc.SetPrint(t.Context(), a.ID, queue.PrintFailed, "media-empty")
		if err != nil {
			t.Fatal(err)
		}
		if got.Print != queue.PrintFailed || got.PrintError != "media-empty" || got.Status != queue.StatusWaiting || got.Number != a.Number {
			t.Fatalf("after a failed slip: %+v", got)
		}
		if got.Ahead == nil || *got.Ahead != 0 {
			t.Fatalf("ahead after a failed slip=%v, want 0", got.Ahead)
		}
		evs := f.expectEvents(t, seq, wantEv{queue.EventPrintFailed, a.ID, ""})
		if evs[0].Ticket.PrintError != "media-empty" {
			t.Fatalf("event ticket=%+v", evs[0].Ticket)
		}
		// The ticket stays valid: it is called like any other.
		if c := f.next(t, "Platz 1", "mbe"); c.ID != a.ID || c.Print != queue.PrintFailed {
			t.Fatalf("next after a failed slip called %+v", c)
		}
		seq = f.lastSeq(t)
		got, err = f.svc.SetPrint(t.Context(), a.ID, queue.PrintDone, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.Print != queue.PrintDone || got.PrintError != "" || got.Status != queue.StatusCalled {
			t.Fatalf("after a reprint: %+v", got)
		}
		f.expectEvents(t, seq, wantEv{queue.EventPrinted, a.ID, "Platz 1"})
		if back := f.ticket(t, a.ID); back.Print != queue.PrintDone {
			t.Fatalf("read back print=%q", back.Print)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "jmd")
		seq := f.lastSeq(t)
		_, err := f.svc.SetPrint(t.Context(), "no-such-ticket", queue.PrintDone, "")
		wantCode(t, err, queue.NotFound)
		_, err = f.svc.SetPrint(t.Context(), a.ID, "smudged", "")
		wantCode(t, err, queue.Invalid)
		f.wantNoChange(t, seq)
	})
}

func testDesks(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("OpenPauseClose", func(t *testing.T) {
		f := setup(t, open)
		seq := f.lastSeq(t)
		d, err := f.svc.SetDesk(t.Context(), " Raum 2.14 ", []string{"mbe", "jmd", "mbe"}, true, false, "berater1")
		if err != nil {
			t.Fatal(err)
		}
		if d.Label != "Raum 2.14" || !slices.Equal(d.Lines, []string{"mbe", "jmd"}) || !d.Open || d.Paused || d.User != "berater1" || d.Day != f.day() {
			t.Fatalf("desk=%+v", d)
		}
		evs := f.events(t, seq)
		if len(evs) != 1 || evs[0].Type != queue.EventDeskUpdated || evs[0].Desk == nil || evs[0].Desk.Label != "Raum 2.14" || evs[0].Seq != seq+1 {
			t.Fatalf("events=%+v", evs)
		}
		checkEvent(t, evs[0])
		f.svc.SetDesk(t.Context(), "Empore", []string{"jmd"}, true, false, "berater2")
		if _, err := f.svc.SetDesk(t.Context(), "Raum 2.14", []string{"mbe"}, true, true, "berater1"); err != nil {
			t.Fatal(err)
		}
		snap := f.snapshot(t, f.day())
		if len(snap.Desks) != 2 || snap.Desks[0].Label != "Empore" || !snap.Desks[1].Paused || !slices.Equal(snap.Desks[1].Lines, []string{"mbe"}) {
			t.Fatalf("snapshot desks=%+v", snap.Desks)
		}
		if snap.Seq != f.lastSeq(t) {
			t.Fatalf("snapshot seq=%d, last %d", snap.Seq, f.lastSeq(t))
		}
		f.svc.SetDesk(t.Context(), "Empore", nil, false, false, "berater2")
		if snap := f.snapshot(t, f.day()); len(snap.Desks) != 1 || snap.Desks[0].Label != "Raum 2.14" {
			t.Fatalf("after closing Empore: %+v", snap.Desks)
		}
		// A new day starts with every desk closed.
		f.at(2026, 3, 12, 8, 0, 0, 0)
		if snap := f.snapshot(t, f.day()); len(snap.Desks) != 0 {
			t.Fatalf("next day's desks=%+v", snap.Desks)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		f := setup(t, open)
		seq := f.lastSeq(t)
		_, err := f.svc.SetDesk(t.Context(), "Raum 1", []string{"xyz"}, true, false, "b")
		wantCode(t, err, queue.UnknownLine)
		_, err = f.svc.SetDesk(t.Context(), "Raum 1", nil, true, false, "b")
		wantCode(t, err, queue.Invalid)
		_, err = f.svc.SetDesk(t.Context(), strings.Repeat("x", 41), []string{"mbe"}, true, false, "b")
		wantCode(t, err, queue.Invalid)
		f.wantNoChange(t, seq)
	})
}

func testDeskRules(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("CallOutOfOrder", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		b := f.draw(t, "mbe")
		cur := f.next(t, "Empore", "mbe") // a
		f.clock.Advance(time.Minute)
		seq := f.lastSeq(t)
		got, err := f.svc.ActWith(t.Context(), queue.ActRequest{ID: b.ID, Action: queue.ActCall, Desk: "Empore", Reason: "appointment"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != queue.StatusCalled || got.Desk != "Empore" || got.CallReason != "appointment" {
			t.Fatalf("called out of order: %+v", got)
		}
		// The desk's current ticket was done first, as with Next.
		f.expectEvents(t, seq, wantEv{queue.EventDone, cur.ID, "Empore"}, wantEv{queue.EventCalled, b.ID, "Empore"})
		_ = a
		_, err = f.svc.ActWith(t.Context(), queue.ActRequest{ID: b.ID, Action: queue.ActCall, Desk: "Empore", Reason: "gossip"})
		wantCode(t, err, queue.Invalid)
	})
	t.Run("PutBack", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "jmd")
		b := f.draw(t, "jmd")
		f.next(t, "Platz 1", "jmd") // a
		back := f.act(t, a.ID, queue.ActPutBack, "")
		if back.Status != queue.StatusWaiting || back.Place != a.Place || back.Desk != "" {
			t.Fatalf("put back: %+v", back)
		}
		if got := f.next(t, "Platz 1", "jmd"); got.ID != a.ID {
			t.Fatalf("after putting back at its place, next called %s, want %s", got.Number, a.Number)
		}
		end, err := f.svc.ActWith(t.Context(), queue.ActRequest{ID: a.ID, Action: queue.ActPutBack, AtEnd: true})
		if err != nil {
			t.Fatal(err)
		}
		if end.Place <= b.Place || end.Place != f.lastSeq(t) {
			t.Fatalf("put back at the end: place %d (b at %d, last seq %d)", end.Place, b.Place, f.lastSeq(t))
		}
		if got := f.next(t, "Platz 1", "jmd"); got.ID != b.ID {
			t.Fatalf("after putting back at the end, next called %s, want %s", got.Number, b.Number)
		}
		f.wantAhead(t, a.ID, 0)
	})
	t.Run("ReactivateNoShow", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		f.next(t, "Platz 1", "mbe")
		f.act(t, a.ID, queue.ActNoShow, "")
		f.clock.Advance(10 * time.Minute)
		back := f.act(t, a.ID, queue.ActReactivate, "")
		if back.Status != queue.StatusWaiting || back.FinishedAt != nil || back.Place != a.Place {
			t.Fatalf("reactivated: %+v", back)
		}
		f.next(t, "Platz 1", "mbe")
		f.act(t, a.ID, queue.ActNoShow, "")
		f.clock.Advance(queue.DefaultNoShowGrace + time.Minute)
		_, err := f.svc.Act(t.Context(), a.ID, queue.ActReactivate, "")
		wantCode(t, err, queue.Conflict)
	})
	t.Run("RecallInterval", func(t *testing.T) {
		f := setup(t, open)
		a := f.draw(t, "mbe")
		f.next(t, "Platz 1", "mbe")
		f.clock.Advance(5 * time.Second)
		_, err := f.svc.Act(t.Context(), a.ID, queue.ActRecall, "")
		wantCode(t, err, queue.Conflict)
		f.clock.Advance(queue.DefaultMinRecall)
		if got := f.act(t, a.ID, queue.ActRecall, ""); got.Recalls != 1 {
			t.Fatalf("recall after the interval: %+v", got)
		}
	})
}

func testLineModes(t *testing.T, open func(t *testing.T) queue.Store) {
	f := setup(t, open)
	lines := queue.DefaultLines()
	lines[0].Hours = []string{"wed 09:00-12:00"} // day1 is a Wednesday, 09:00
	f.svc.Lines = lines
	f.draw(t, "mbe")
	seq := f.lastSeq(t)
	m, err := f.svc.SetLineMode(t.Context(), "mbe", queue.ModeClosed, "chefin")
	if err != nil || m.Mode != queue.ModeClosed || m.Day != f.day() {
		t.Fatalf("close: %+v %v", m, err)
	}
	evs := f.events(t, seq)
	if len(evs) != 1 || evs[0].Type != queue.EventLineUpdated || evs[0].LineMode == nil || evs[0].LineMode.Mode != queue.ModeClosed {
		t.Fatalf("events=%+v", evs)
	}
	checkEvent(t, evs[0])
	_, _, err = f.svc.Draw(t.Context(), "mbe", "de", "", "")
	wantCode(t, err, queue.Closed)
	if _, _, err := f.svc.Draw(t.Context(), "jmd", "de", "", ""); err != nil {
		t.Fatalf("the other line: %v", err)
	}
	snap := f.snapshot(t, f.day())
	st := f.svc.LineStates(snap)
	if st[0].Open || st[0].Mode != queue.ModeClosed || !st[1].Open {
		t.Fatalf("line states=%+v", st)
	}
	// Opened by hand after hours: it issues again.
	f.at(2026, 3, 11, 13, 0, 0, 0)
	if _, _, err := f.svc.Draw(t.Context(), "mbe", "de", "", ""); queue.ErrorCode(err) != queue.Closed {
		t.Fatalf("after hours while closed: %v", err)
	}
	if _, err := f.svc.SetLineMode(t.Context(), "mbe", queue.ModeOpen, "chefin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Draw(t.Context(), "mbe", "de", "", ""); err != nil {
		t.Fatalf("opened by hand after hours: %v", err)
	}
	// Back to the hours: closed again (13:00 is after 12:00).
	if _, err := f.svc.SetLineMode(t.Context(), "mbe", queue.ModeAuto, "chefin"); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.Draw(t.Context(), "mbe", "de", "", "")
	wantCode(t, err, queue.Closed)
	if ms, err := f.store.LineModes(t.Context(), f.day()); err != nil || len(ms) != 0 {
		t.Fatalf("modes after auto: %+v %v", ms, err)
	}
	// A new day starts by the hours.
	f.at(2026, 3, 18, 10, 0, 0, 0)
	if _, _, err := f.svc.Draw(t.Context(), "mbe", "de", "", ""); err != nil {
		t.Fatalf("next Wednesday: %v", err)
	}
	_, err = f.svc.SetLineMode(t.Context(), "mbe", "maybe", "chefin")
	wantCode(t, err, queue.Invalid)
}
