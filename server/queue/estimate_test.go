package queue

import (
	"testing"
	"time"
)

func TestEstimateWait(t *testing.T) {
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	served := func(line string, minutes ...int) []Served {
		var out []Served
		for i, m := range minutes {
			c := base.Add(time.Duration(i) * time.Hour)
			out = append(out, Served{Line: line, CalledAt: c, FinishedAt: c.Add(time.Duration(m) * time.Minute)})
		}
		return out
	}
	desk := func(label string, paused bool, lines ...string) DeskState {
		return DeskState{Label: label, Lines: lines, Open: true, Paused: paused}
	}
	s := NewService(nil, DefaultLines())
	for _, tc := range []struct {
		name  string
		snap  Snapshot
		line  string
		ahead int
		want  Estimate
	}{
		// 20 min default, one desk: (0+0.5)*20 = 10 → 7–13 → 5–15.
		{"first of the day, one desk", Snapshot{Desks: []DeskState{desk("A", false, "mbe")}}, "mbe", 0, Estimate{5, 15}},
		// (4.5*20)/1 = 90 → 63–117 → 60–120.
		{"four ahead, one desk", Snapshot{Desks: []DeskState{desk("A", false, "mbe")}}, "mbe", 4, Estimate{60, 120}},
		// Two desks halve it: 45 → 31.5–58.5 → 30–60.
		{"four ahead, two desks", Snapshot{Desks: []DeskState{desk("A", false, "mbe"), desk("B", false, "mbe")}}, "mbe", 4, Estimate{30, 60}},
		// A paused desk does not count.
		{"paused desk", Snapshot{Desks: []DeskState{desk("A", false, "mbe"), desk("B", true, "mbe")}}, "mbe", 4, Estimate{60, 120}},
		// A desk serving both lines counts half: capacity 1.5 → 60 → 42–78 → 40–80.
		{"shared desk", Snapshot{Desks: []DeskState{desk("A", false, "mbe"), desk("B", false, "mbe", "jmd")}}, "mbe", 4, Estimate{40, 80}},
		// The day's own service times: median of 10,10,30 = 10 → 4.5*10 = 45 → 30–60.
		{"measured service time", Snapshot{Desks: []DeskState{desk("A", false, "jmd")}, Served: served("jmd", 10, 30, 10)}, "jmd", 4, Estimate{30, 60}},
		// Too few samples: still the default.
		{"two samples are too few", Snapshot{Desks: []DeskState{desk("A", false, "jmd")}, Served: served("jmd", 5, 5)}, "jmd", 4, Estimate{60, 120}},
		// No desk open yet: one assumed, with a wider range: 90 → 45–135.
		{"no desk open", Snapshot{}, "mbe", 4, Estimate{45, 135}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.EstimateWait(tc.snap, tc.line, tc.ahead); got != tc.want {
				t.Fatalf("estimate=%+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestEstimateWithCountedWaiting checks that figures whose waiting counts
// were taken once (Snapshot.Waiting, as the service keeps them) give the
// same estimates as counting the tickets on every call.
func TestEstimateWithCountedWaiting(t *testing.T) {
	var snap Snapshot
	for i := range 300 {
		line, status := "mbe", StatusWaiting
		if i%3 == 0 {
			line = "jmd"
		}
		if i%7 == 0 {
			status = StatusCalled
		}
		snap.Tickets = append(snap.Tickets, Ticket{Line: line, Status: status, Place: int64(i + 1)})
	}
	snap.Desks = []DeskState{
		{Label: "1", Lines: []string{"mbe"}, Open: true},
		{Label: "2", Lines: []string{"mbe", "jmd"}, Open: true},
		{Label: "3", Lines: []string{"jmd"}, Open: true, Paused: true},
	}
	counted := snap
	counted.Waiting = waitingCounts(snap)
	if got := counted.Waiting["mbe"] + counted.Waiting["jmd"]; got != 257 {
		t.Fatalf("counted %d waiting, want 257 (300 less the 43 called)", got)
	}
	svc := NewService(nil, DefaultLines())
	for _, line := range []string{"mbe", "jmd", "nosuchline"} {
		for _, ahead := range []int{0, 5, 100} {
			if a, b := svc.EstimateWait(snap, line, ahead), svc.EstimateWait(counted, line, ahead); a != b {
				t.Errorf("%s, %d ahead: %+v counting, %+v counted once", line, ahead, a, b)
			}
		}
	}
}
