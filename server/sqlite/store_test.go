package sqlite_test

import (
	"context"
	"testing"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/auth/authtest"
	"wartemarke/server/queue"
	"wartemarke/server/queue/queuetest"
	"wartemarke/server/sqlite"
)

// MustOpen opens a store on a fresh file in a temporary folder.
func MustOpen(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.TempDir())
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queue.Store { return MustOpen(t) })
}

// TestReopen checks that tickets, numbering and seq survive closing and
// opening the file again.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := queue.NewService(s, queue.DefaultLines())
	ctx := context.Background()
	first, _, err := svc.Draw(ctx, "mbe", "ar", "k1", "h1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	svc.Store = s
	got, err := svc.Ticket(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != first.Number || got.Lang != "ar" || got.Token != first.Token {
		t.Fatalf("after reopen got %+v, want %+v", got, first)
	}
	again, replay, err := svc.Draw(ctx, "mbe", "ar", "k1", "h1")
	if err != nil || !replay || again.ID != first.ID {
		t.Fatalf("idempotent replay after reopen: %+v replay=%v err=%v", again, replay, err)
	}
	second, _, err := svc.Draw(ctx, "mbe", "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := second.Number, "M-002"; got != want {
		t.Fatalf("number after reopen=%q, want %q", got, want)
	}
	if seq, _ := s.LastSeq(ctx); seq != 2 {
		t.Fatalf("seq after reopen=%d, want 2", seq)
	}
}

// TestPruneEvents checks that a pruned log answers Gone for old resumes and
// that seq goes on from where it was.
func TestPruneEvents(t *testing.T) {
	s := MustOpen(t)
	defer s.Close()
	svc := queue.NewService(s, queue.DefaultLines())
	ctx := context.Background()
	for range 3 {
		if _, _, err := svc.Draw(ctx, "jmd", "", "", ""); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneEvents(ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("pruned %d events, want 2 (the newest is kept)", n)
	}
	if _, err := s.EventsAfter(ctx, 0, 10); queue.ErrorCode(err) != queue.Gone {
		t.Fatalf("EventsAfter(0) err=%v, want Gone", err)
	}
	evs, err := s.EventsAfter(ctx, 2, 10)
	if err != nil || len(evs) != 1 || evs[0].Seq != 3 {
		t.Fatalf("EventsAfter(2)=%v, %v; want the one event 3", evs, err)
	}
	tk, _, err := svc.Draw(ctx, "jmd", "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Place != 4 {
		t.Fatalf("place after prune=%d, want 4", tk.Place)
	}
}

func TestAuthConformance(t *testing.T) {
	authtest.Run(t, func(t *testing.T) auth.Store {
		s := MustOpen(t)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
