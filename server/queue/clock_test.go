package queue_test

import (
	"strings"
	"testing"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/sqlite"
)

// TestClockBehind boots "a box without a battery-backed clock" against the
// real store: after a morning's draws the clock goes back to a date long
// past (a fresh service restarting with a wrong date, and the running one),
// and draws are refused with code clock until the time is right again;
// numbering then goes on where it was.
func TestClockBehind(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, berlin)
	svc := queue.NewService(store, queue.DefaultLines())
	svc.Location = berlin
	svc.Now = func() time.Time { return now }
	ctx := t.Context()
	for range 3 {
		now = now.Add(time.Minute)
		if _, _, err := svc.Draw(ctx, "mbe", "de", "", ""); err != nil {
			t.Fatal(err)
		}
	}

	// A restart with the clock at the firmware's date: a new Service
	// (nothing cached) on the same store.
	wrong := time.Date(2020, 1, 1, 0, 0, 12, 0, time.UTC)
	booted := queue.NewService(store, queue.DefaultLines())
	booted.Location = berlin
	booted.Now = func() time.Time { return wrong }
	_, _, err = booted.Draw(ctx, "mbe", "de", "k1", "h")
	if queue.ErrorCode(err) != queue.ClockBehind {
		t.Fatalf("draw with the clock in 2020: %v, want code clock", err)
	}
	if msg := queue.ErrorMessage(err); !strings.Contains(msg, "clock") || !strings.Contains(msg, "2026-11-25 09:33:00") {
		t.Fatalf("message %q should say the clock is behind the last event's time", msg)
	}
	// The running service whose clock is set back (within the cache
	// time, and after it).
	now = now.Add(-time.Hour)
	if _, _, err := svc.Draw(ctx, "jmd", "de", "", ""); queue.ErrorCode(err) != queue.ClockBehind {
		t.Fatalf("draw an hour behind the last event: %v, want code clock", err)
	}
	// A few seconds behind (NTP's correction, another instance's clock)
	// is no reason to stop.
	now = time.Date(2026, 11, 25, 9, 32, 58, 0, berlin)
	if _, _, err := svc.Draw(ctx, "jmd", "de", "", ""); err != nil {
		t.Fatalf("draw 2 s behind the last event: %v", err)
	}
	// Time set right: draws go on, with the next numbers of the day.
	wrong = time.Date(2026, 11, 25, 9, 40, 0, 0, berlin)
	tk, _, err := booted.Draw(ctx, "mbe", "de", "k1", "h")
	if err != nil {
		t.Fatalf("draw after the clock was set: %v", err)
	}
	if tk.Number != "M-004" || tk.Day != "2026-11-25" {
		t.Fatalf("after the clock was set: %s on %s, want M-004 on 2026-11-25", tk.Number, tk.Day)
	}
	// An empty store has nothing to be behind.
	empty, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	fresh := queue.NewService(empty, queue.DefaultLines())
	fresh.Now = func() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }
	if _, _, err := fresh.Draw(ctx, "mbe", "", "", ""); err != nil {
		t.Fatalf("first draw ever: %v", err)
	}
}
