package redisstore_test

import (
	"testing"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/redisstore"
	"wartemarke/server/redisstore/redistest"
)

// TestPruneEvents prunes the stream by age: resumes from before the cut get
// Gone, later ones work, seq goes on.
func TestPruneEvents(t *testing.T) {
	srv := redistest.Start(t)
	s := MustOpen(t, srv, redisstore.Options{})
	svc := newService(s)
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return now }
	for range 3 {
		if _, _, err := svc.Draw(t.Context(), "jmd", "", "", ""); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
	}
	// Events at 10:00, 11:00, 12:00: prune those before 11:30.
	n, err := s.PruneEvents(t.Context(), time.Date(2026, 11, 18, 11, 30, 0, 0, time.UTC))
	if err != nil || n != 2 {
		t.Fatalf("pruned %d (%v), want 2", n, err)
	}
	if _, err := s.EventsAfter(t.Context(), 0, 10); queue.ErrorCode(err) != queue.Gone {
		t.Fatalf("resume from 0 after pruning: %v, want gone", err)
	}
	evs, err := s.EventsAfter(t.Context(), 2, 10)
	if err != nil || len(evs) != 1 || evs[0].Seq != 3 {
		t.Fatalf("resume from 2: %v %v", evs, err)
	}
	// Everything older: the newest event stays.
	if n, err := s.PruneEvents(t.Context(), now.Add(24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("second prune: %d %v, want the newest kept", n, err)
	}
	if tk, _, err := svc.Draw(t.Context(), "jmd", "", "", ""); err != nil || tk.Place != 4 {
		t.Fatalf("draw after pruning: place %d %v", tk.Place, err)
	}
}
