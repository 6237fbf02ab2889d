package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

// TestMain lowers bcrypt's cost: accounts are made for every test, under
// -race, and the cost is not what these tests are about.
func TestMain(m *testing.M) {
	auth.BcryptCost = 4
	os.Exit(m.Run())
}

// MustStart runs the real service for p at speed in a temporary folder.
func MustStart(tb testing.TB, p Params, speed float64) *Server {
	tb.Helper()
	srv, err := newServer(p, speed, tb.TempDir(), "", nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}

// testDay is the CI's busy Wednesday: 50 visitors in one hour, a tenth
// no-shows and late comers each and 15 % in the wrong line (so that a slow
// run that turns many away at the cut-off still has some of each), at 300×
// speed (12 s for the hour, a few more for the queue after it). Faster, the
// requests' real latency under -race on a loaded machine (a draw can take
// half a second) becomes minutes on the service's clock.
func testDay() Params {
	p := DefaultParams()
	p.Visitors, p.Hours = 50, 1
	p.NoShow, p.Late, p.WrongLine = 0.1, 0.1, 0.15
	return p
}

// TestBusyWednesday runs a shortened busy morning against the real service
// and asserts every check: each visitor called once per line and done or a
// no-show, numbers never reused, every display, console and kiosk got
// every event in order (also across a resume and a fresh snapshot), and the
// statistics export equals what the event log says.
func TestBusyWednesday(t *testing.T) {
	p := testDay()
	srv := MustStart(t, p, 300)
	res, err := RunDay(t.Context(), srv, p, Wednesday())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(context.Background(), srv, res)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	PrintReport(&b, rep, srv)
	t.Log("\n" + b.String())
	for _, p := range rep.Problems {
		t.Error(p)
	}
	// The day exercised what it is meant to.
	if got := rep.Drawn + rep.CutOff + rep.Closed; got != p.Visitors {
		t.Errorf("%d visitors drew or were refused, want %d", got, p.Visitors)
	}
	if rep.Tickets != rep.Drawn || rep.Drawn < p.Visitors/3 {
		t.Errorf("the log issued %d tickets, the kiosks drew %d of %d", rep.Tickets, rep.Drawn, p.Visitors)
	}
	for what, n := range map[string]int{"no-shows": rep.NoShows, "recalls": rep.Recalls, "transfers": rep.Transfers,
		"calls on displays": rep.DisplayCalls, "CSV rows": rep.StatsRows} {
		if n == 0 {
			t.Errorf("the day had no %s", what)
		}
	}
	reconnected := 0
	for _, l := range rep.Listeners {
		if l.Dials > 1 {
			reconnected++
		}
	}
	if reconnected < 3 {
		t.Errorf("%d listeners reconnected during the day, want 3 (two displays, a console)", reconnected)
	}
	if rep.Warnings != 0 {
		t.Errorf("the service logged %d warnings: %v", rep.Warnings, srv.FirstWarnings())
	}

	// The checks can fail: the same day with faults put in.
	t.Run("faults", func(t *testing.T) { testFaults(t, srv, res) })
}

// testFaults breaks a copy of a good day's record in the ways the checks
// are there to catch and expects each to be reported.
func testFaults(t *testing.T, srv *Server, good *Result) {
	log, err := readLog(t.Context(), srv.App.Store, good.FirstSeq)
	if err != nil {
		t.Fatal(err)
	}
	display := -1
	for i, l := range good.Listeners {
		if l.Kind == "display" && len(l.Segments[0].Events) > 10 {
			display = i
			break
		}
	}
	if display < 0 {
		t.Fatal("no display with events")
	}
	// withEvents gives the display's first connection other events.
	withEvents := func(f func([]ev) []ev) *Result {
		r := *good
		r.Listeners = append([]ListenerStats(nil), good.Listeners...)
		ls := r.Listeners[display]
		ls.Segments = append([]segment(nil), ls.Segments...)
		ls.Segments[0].Events = f(append([]ev(nil), ls.Segments[0].Events...))
		r.Listeners[display] = ls
		return &r
	}
	withoutListeners := &Result{}
	*withoutListeners = *good
	withoutListeners.Listeners = nil
	firstCall := func(log []queue.Event) int {
		for i, e := range log {
			if e.Type == queue.EventCalled {
				return i
			}
		}
		t.Fatal("no call in the log")
		return 0
	}
	for _, c := range []struct {
		name string
		res  *Result
		log  func([]queue.Event) []queue.Event
		want string
	}{
		{"display missed an event", withEvents(func(e []ev) []ev { return append(e[:5], e[6:]...) }), nil, "display"},
		{"display got two events swapped", withEvents(func(e []ev) []ev { e[5], e[6] = e[6], e[5]; return e }), nil, "display"},
		{"display got another desk", withEvents(func(e []ev) []ev {
			for i := range e {
				if e[i].Type == queue.EventCalled {
					e[i].Desk = "Raum 99"
					break
				}
			}
			return e
		}), nil, "display"},
		{"number used twice", good, func(l []queue.Event) []queue.Event {
			var first string
			for i, e := range l {
				if e.Type == queue.EventIssued && e.Ticket.IssuedLine == "mbe" {
					if first == "" {
						first = e.Ticket.Number
					} else {
						l[i].Ticket.Number = first
						break
					}
				}
			}
			return l
		}, "used twice"},
		{"called twice", good, func(l []queue.Event) []queue.Event {
			i := firstCall(l)
			dup := l[i]
			return append(l[:i+1:i+1], append([]queue.Event{dup}, l[i+1:]...)...)
		}, "ticket.called while called"},
		{"waits ten minutes longer", withoutListeners, func(l []queue.Event) []queue.Event {
			for i := range l {
				if l[i].Type == queue.EventIssued {
					l[i].At = l[i].At.Add(-10 * time.Minute)
					l[i].Ticket.IssuedAt = l[i].At
				}
			}
			return l
		}, "stats.csv"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := make([]queue.Event, len(log))
			copy(l, log)
			if c.log != nil {
				l = c.log(l)
			}
			rep, err := check(context.Background(), srv, c.res, l)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rep.Problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("no problem mentions %q; problems: %q", c.want, rep.Problems[:min(3, len(rep.Problems))])
		})
	}
}
