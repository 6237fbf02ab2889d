package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/redisstore/redistest"
)

// drawN draws n tickets on s through its own Draw.
func drawN(t *testing.T, s *Store, n int) {
	t.Helper()
	now := time.Now()
	for range n {
		_, _, err := s.Draw(t.Context(), queue.DrawRequest{Line: queue.DefaultLines()[0], Lang: "de", Now: now,
			Day: now.Format(time.DateOnly), ID: queue.NewID(10), Token: queue.NewID(20), IdemSince: now.Add(-queue.IdempotencyTTL)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestEventsAfterHole checks that an event missing inside the stream (a
// script that failed between taking its seq and adding its event) is
// skipped, not taken for trimming, and that events trimmed from the front
// are Gone.
func TestEventsAfterHole(t *testing.T) {
	srv := redistest.Start(t)
	s, err := Open(t.Context(), srv.URL(), srv.Site(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drawN(t, s, 6)
	if err := s.rdb.XDel(t.Context(), s.k.events(), "3-0", "4-0").Err(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		after int64
		want  []int64
	}{
		{0, []int64{1, 2, 5, 6}},
		{2, []int64{5, 6}},
		{3, []int64{5, 6}},
		{4, []int64{5, 6}},
		{6, nil},
	} {
		evs, err := s.EventsAfter(t.Context(), tt.after, 10)
		if err != nil {
			t.Fatalf("events after %d: %v", tt.after, err)
		}
		var got []int64
		for _, e := range evs {
			got = append(got, e.Seq)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && (got[0] != tt.want[0] || got[len(got)-1] != tt.want[len(tt.want)-1])) {
			t.Errorf("events after %d: %v, want %v", tt.after, got, tt.want)
		}
	}
	if err := s.rdb.XTrimMinID(t.Context(), s.k.events(), "5-0").Err(); err != nil {
		t.Fatal(err)
	}
	for _, after := range []int64{0, 1, 2, 3} {
		if _, err := s.EventsAfter(t.Context(), after, 10); queue.ErrorCode(err) != queue.Gone {
			t.Errorf("events after %d, trimmed to 5: err=%v, want gone", after, err)
		}
	}
	if evs, err := s.EventsAfter(t.Context(), 4, 10); err != nil || len(evs) != 2 {
		t.Errorf("events after 4, trimmed to 5: %d events, err=%v, want 2", len(evs), err)
	}
}

// TestWaitAfterLostWrites checks that a store which believes it wrote an
// event the log does not hold (Redis lost it) returns early from WaitEvents
// at most until it has read the log's end, and then waits again.
func TestWaitAfterLostWrites(t *testing.T) {
	srv := redistest.Start(t)
	s, err := Open(t.Context(), srv.URL(), srv.Site(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drawN(t, s, 2)
	s.written.raise(5) // events 3 to 5 were lost
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := s.WaitEvents(ctx, 2); err != nil {
		t.Fatalf("wait with event 5 written: %v", err)
	}
	if evs, err := s.EventsAfter(ctx, 2, 10); err != nil || len(evs) != 0 {
		t.Fatalf("events after 2: %d, err=%v, want none", len(evs), err)
	}
	if err := s.WaitEvents(ctx, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait after the log's end was read: err=%v, want %v", err, context.DeadlineExceeded)
	}
}
