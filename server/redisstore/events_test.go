package redisstore

import (
	"context"
	"errors"
	"strconv"
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
	s := openSite(t, srv, "")
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
	s := openSite(t, srv, "")
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

// TestWakeServesEventsAfter checks that the EventsAfter after a wait
// answers from what the wait's XREAD returned, and only while that is all
// of the log this process can know of.
func TestWakeServesEventsAfter(t *testing.T) {
	srv := redistest.Start(t)
	open := func() *Store { return openSite(t, srv, "") }
	a := open()
	b := openSite(t, srv, a.Site())
	drawN(t, a, 2)
	// wait has a wait for events after 2 woken by b's draw of 3.
	wait := func(t *testing.T) {
		t.Helper()
		after, err := a.LastSeq(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.WaitEvents(t.Context(), after) }()
		time.Sleep(50 * time.Millisecond) // let it block in XREAD
		drawN(t, b, 1)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	seqs := func(t *testing.T, after int64, limit int) []int64 {
		t.Helper()
		evs, err := a.EventsAfter(t.Context(), after, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, e := range evs {
			out = append(out, e.Seq)
		}
		return out
	}
	// dropEntry deletes the stream's entry of event seq behind the store.
	dropEntry := func(t *testing.T, seq int64) {
		t.Helper()
		if err := a.rdb.XDel(t.Context(), a.k.events(), strconv.FormatInt(seq, 10)+"-0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("Served", func(t *testing.T) {
		wait(t)
		last, _ := a.LastSeq(t.Context())
		// Gone from the stream, the event still comes from the wake.
		dropEntry(t, last)
		if got := seqs(t, last-1, 10); len(got) != 1 || got[0] != last {
			t.Fatalf("events after %d: %v, want [%d] from the wake", last-1, got, last)
		}
		// Taken once.
		if got := seqs(t, last-1, 10); len(got) != 0 {
			t.Fatalf("events after %d again: %v, want none (deleted)", last-1, got)
		}
	})
	t.Run("NotPastWhatWasWritten", func(t *testing.T) {
		wait(t)
		drawN(t, a, 1) // this store knows of one more event
		last, _ := b.LastSeq(t.Context())
		if got := seqs(t, last-2, 10); len(got) != 2 {
			t.Fatalf("events after %d: %v, want 2", last-2, got)
		}
	})
	t.Run("NotPastWhatWasRead", func(t *testing.T) {
		wait(t)
		drawN(t, b, 1)
		last, _ := a.LastSeq(t.Context()) // seen through a
		if got := seqs(t, last-2, 10); len(got) != 2 {
			t.Fatalf("events after %d: %v, want 2", last-2, got)
		}
	})
	t.Run("OtherPosition", func(t *testing.T) {
		wait(t)
		last, _ := b.LastSeq(t.Context())
		if got := seqs(t, last-2, 10); len(got) != 2 {
			t.Fatalf("events after %d: %v, want 2", last-2, got)
		}
	})
	t.Run("Limit", func(t *testing.T) {
		wait(t)
		last, _ := b.LastSeq(t.Context())
		dropEntry(t, last)
		if got := seqs(t, last-1, 1); len(got) != 1 || got[0] != last {
			t.Fatalf("events after %d, limit 1: %v, want [%d] from the wake", last-1, got, last)
		}
	})
}

// openSite opens the store on srv's site (a fresh one for ""), closed when
// the test ends.
func openSite(t *testing.T, srv *redistest.Server, site string) *Store {
	t.Helper()
	if site == "" {
		site = srv.Site(t)
	}
	s, err := Open(t.Context(), srv.URL(), site, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
