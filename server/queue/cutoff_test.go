package queue_test

import (
	"context"
	"testing"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/sqlite"
)

// TestCutOff fills a line towards closing time and checks that the kiosk
// stops issuing numbers once the expected call would come more than the
// grace after closing, counts the refusal, still answers a retry of an
// earlier draw, and that the line shows as cut off with tomorrow's opening.
func TestCutOff(t *testing.T) {
	store, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	lines := queue.DefaultLines()
	lines[0].Hours = []string{"wed 09:00-12:00"}
	svc := queue.NewService(store, lines)
	svc.Location = berlin
	now := time.Date(2026, 11, 25, 11, 0, 0, 0, berlin)
	svc.Now = func() time.Time { return now }
	var turnedAway []string
	svc.OnTurnedAway = func(_ context.Context, line string) { turnedAway = append(turnedAway, line) }
	ctx := t.Context()
	if _, err := svc.SetDesk(ctx, "Raum 1", []string{"mbe"}, true, false, "b"); err != nil {
		t.Fatal(err)
	}
	// One desk, 20 minutes a visitor, 30 minutes' grace: from 11:00 the
	// expected call of the n-th waiting visitor is 11:00 + (n+0.5)·20 min,
	// so the fifth (n=4: 12:30) is the last one issued.
	var last queue.Ticket
	for i := 1; i <= 4; i++ {
		now = now.Add(11 * time.Second) // past the estimate's cache
		tk, _, err := svc.Draw(ctx, "mbe", "de", "tap-"+string(rune('0'+i)), "h")
		if err != nil {
			t.Fatalf("draw %d: %v", i, err)
		}
		last = tk
	}
	now = now.Add(11 * time.Second)
	_, _, err = svc.Draw(ctx, "mbe", "de", "tap-late", "h")
	if queue.ErrorCode(err) != queue.Closed {
		t.Fatalf("draw past the cut-off: %v, want closed", err)
	}
	if len(turnedAway) != 1 || turnedAway[0] != "mbe" {
		t.Fatalf("turned away=%v", turnedAway)
	}
	// The kiosk's retry of an answered draw still gets its ticket.
	again, replay, err := svc.Draw(ctx, "mbe", "de", "tap-4", "h")
	if err != nil || !replay || again.ID != last.ID {
		t.Fatalf("retry after the cut-off: %+v %v %v", again, replay, err)
	}
	// JMD has no hours: never cut off.
	if _, _, err := svc.Draw(ctx, "jmd", "de", "", ""); err != nil {
		t.Fatalf("jmd: %v", err)
	}
	snap, err := svc.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := svc.LineStates(snap)[0]
	if st.Open || !st.CutOff || st.NextOpen == nil || !st.NextOpen.Equal(time.Date(2026, 12, 2, 9, 0, 0, 0, berlin)) {
		t.Fatalf("line state=%+v", st)
	}
	// Serving people moves the estimate: once the queue is shorter, numbers
	// are issued again.
	for range 3 {
		if _, err := svc.Next(ctx, "Raum 1", []string{"mbe"}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(11 * time.Second)
	if _, _, err := svc.Draw(ctx, "mbe", "de", "", ""); err != nil {
		t.Fatalf("draw after the queue got shorter: %v", err)
	}
}
