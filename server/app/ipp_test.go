package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/internal/testenv"
	"wartemarke/printer/printertest"
	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

// TestDrawPrintsToIPPPrinter is issue 5's test with real parts through the
// whole service: a kiosk draws over HTTP and the slip reaches a real
// ippeveprinter with the ticket's number in it; with the roll emptied the
// kiosk's event stream says the slip failed (media) within the print
// deadline, the ticket stays valid, and after a refill slips print again.
func TestDrawPrintsToIPPPrinter(t *testing.T) {
	pdftotext := testenv.LookPath(t, "pdftotext", "poppler-utils")
	p := printertest.StartIPPPrinter(t)
	auth.BcryptCost = 4
	cfg := DefaultConfig()
	cfg.Addr, cfg.Data, cfg.Printer = "127.0.0.1:0", t.TempDir(), p.URL
	cfg.PrintTimeoutSeconds = 5
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ctx := context.Background()
	_, code, _ := a.Auth.AddDevice(ctx, auth.Kiosk, "Eingang")
	_, kiosk, err := a.Auth.Pair(ctx, code)
	if err != nil {
		t.Fatal(err)
	}

	// The kiosk's own event stream, as the kiosk page holds it.
	h := http.Header{"Authorization": {"Bearer " + kiosk}}
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(a.URL(), "http", "ws", 1)+"/api/v1/events", h)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	printOutcome := func(number string, within time.Duration) queue.Event {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(within))
		for {
			var ev queue.Event
			if err := ws.ReadJSON(&ev); err != nil {
				t.Fatalf("no print outcome of %s on the kiosk's stream within %v: %v", number, within, err)
			}
			if ev.Ticket.Number == number && (ev.Type == queue.EventPrinted || ev.Type == queue.EventPrintFailed) {
				return ev
			}
		}
	}
	draw := func(line string) queue.Ticket {
		t.Helper()
		req, _ := http.NewRequest("POST", a.URL()+"/api/v1/tickets", strings.NewReader(`{"line":"`+line+`","lang":"uk"}`))
		req.Header.Set("Authorization", "Bearer "+kiosk)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var tk queue.Ticket
		if res.StatusCode != http.StatusCreated || json.NewDecoder(res.Body).Decode(&tk) != nil {
			t.Fatalf("draw: %s", res.Status)
		}
		return tk
	}
	slipText := func(file string) string {
		out, err := exec.Command(pdftotext, file, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", file, err)
		}
		return string(out)
	}

	first := draw("mbe")
	if ev := printOutcome(first.Number, 15*time.Second); ev.Type != queue.EventPrinted {
		t.Fatalf("first slip: %s %+v, want printed", ev.Type, ev.Ticket)
	}
	files := p.SpooledPDFs(t)
	if len(files) != 1 || !strings.Contains(slipText(files[0]), first.Number) {
		t.Fatalf("spooled %v, want one slip with %s", files, first.Number)
	}

	p.SetMediaLevel(t, 0)
	start := time.Now()
	empty := draw("jmd")
	ev := printOutcome(empty.Number, time.Duration(cfg.PrintTimeoutSeconds)*time.Second+10*time.Second)
	took := time.Since(start)
	if ev.Type != queue.EventPrintFailed || ev.Ticket.Status != queue.StatusWaiting {
		t.Fatalf("slip with an empty roll: %s, ticket %s; want print_failed and still waiting", ev.Type, ev.Ticket.Status)
	}
	if !strings.HasPrefix(ev.Ticket.PrintError, "media") {
		t.Errorf("print error %q, want a media reason", ev.Ticket.PrintError)
	}
	if max := time.Duration(cfg.PrintTimeoutSeconds)*time.Second + 5*time.Second; took > max {
		t.Errorf("the kiosk learned of the empty roll after %v, more than the deadline allows (%v)", took, max)
	}
	t.Logf("empty roll: %s after %v", ev.Ticket.PrintError, took.Round(time.Millisecond))

	p.SetMediaLevel(t, 250)
	refilled := draw("mbe")
	if ev := printOutcome(refilled.Number, 15*time.Second); ev.Type != queue.EventPrinted {
		t.Fatalf("slip after the refill: %s, want printed", ev.Type)
	}
	printed := p.PrintedPDFs(t)
	if len(printed) == 0 || !strings.Contains(slipText(printed[len(printed)-1]), refilled.Number) {
		t.Fatalf("printed %v, want the last with %s", printed, refilled.Number)
	}
}
