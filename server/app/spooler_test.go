package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"wartemarke/printer"
	"wartemarke/server/queue"
	"wartemarke/server/sqlite"
)

// TestSpoolerRecordsOutcome prints through the file transport into a
// folder that works and one that cannot be written, and checks that each
// outcome is recorded on the ticket and in the event log.
func TestSpoolerRecordsOutcome(t *testing.T) {
	store, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := queue.NewService(store, queue.DefaultLines())
	renderer, err := printer.NewRenderer(printer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	blocked := filepath.Join(t.TempDir(), "file-not-folder")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		dir    string
		want   queue.PrintState
		wantEv queue.EventType
	}{
		{"printed", t.TempDir(), queue.PrintDone, queue.EventPrinted},
		{"folder unusable", blocked, queue.PrintFailed, queue.EventPrintFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := printer.Open("file://" + tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			sp := NewSpooler(renderer, tr, svc, func(tk queue.Ticket) printer.Slip {
				return printer.Slip{Office: "Test", LineName: "MBE", LineShort: "MBE", Number: tk.Number, IssuedAt: tk.IssuedAt}
			}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go sp.Run(ctx)
			tk, _, err := svc.Draw(ctx, "mbe", "de", "", "")
			if err != nil {
				t.Fatal(err)
			}
			seq, _ := store.LastSeq(ctx)
			sp.Submit(tk)
			deadline := time.Now().Add(10 * time.Second)
			for {
				got, err := svc.Ticket(ctx, tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Print != "" {
					if got.Print != tc.want || got.Status != queue.StatusWaiting {
						t.Fatalf("print=%q status=%q, want %q and still waiting", got.Print, got.Status, tc.want)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no print outcome recorded")
				}
				time.Sleep(20 * time.Millisecond)
			}
			evs, err := store.EventsAfter(ctx, seq, 10)
			if err != nil || len(evs) != 1 || evs[0].Type != tc.wantEv {
				t.Fatalf("events after the slip: %+v (%v), want one %s", evs, err, tc.wantEv)
			}
		})
	}
}
