package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
	"wartemarke/server/queue/queuetest"
	"wartemarke/server/redisstore/redistest"
)

// TestRetention runs a consultation morning, reads its CSV export, lets the
// service restart eight days later and checks that the retention job at
// start deleted the day's tickets and that the export is the same as
// before, from the stored aggregates. Both stores.
func TestRetention(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testRetention(t, func(*Config) {}) })
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		site := srv.Site(t)
		testRetention(t, func(c *Config) { c.Store, c.Site = srv.URL(), site })
	})
}

func testRetention(t *testing.T, setStore func(*Config)) {
	auth.BcryptCost = 4
	ctx := context.Background()
	data := t.TempDir()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	clock := queuetest.NewClock(time.Date(2026, 3, 11, 9, 0, 0, 0, berlin))
	at := func(day, h, m int) { clock.Set(time.Date(2026, 3, day, h, m, 0, 0, berlin)) }
	start := func() *App {
		t.Helper()
		cfg := DefaultConfig()
		cfg.Addr, cfg.Data, cfg.Printer = "127.0.0.1:0", data, "none"
		setStore(&cfg)
		a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		a.Service.Now = clock.Now
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := start()
	if _, err := a.Auth.AddUser(ctx, "chefin", auth.RoleAdmin, "a long test password"); err != nil {
		t.Fatal(err)
	}
	admin, _, err := a.Auth.SignIn(ctx, "chefin", "a long test password")
	if err != nil {
		t.Fatal(err)
	}
	csv := func(a *App) string {
		t.Helper()
		req, _ := http.NewRequest("GET", a.URL()+"/api/v1/stats.csv?from=2026-03-01&to=2026-03-31", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("csv: %d %s", res.StatusCode, b)
		}
		return string(b)
	}

	// Six MBE tickets 9:00–9:25, called every 10 minutes from 9:30 at one
	// desk: waits 30…55 min (median 42.5, p90 55), five served in 10 min,
	// the last a no-show; one JMD ticket in Ukrainian; two turned away.
	var tickets []queue.Ticket
	for i, lang := range []string{"de", "de", "ar", "de", "de", "de"} {
		at(11, 9, 5*i)
		tk, _, err := a.Service.Draw(ctx, "mbe", lang, "key-"+lang+string(rune('a'+i)), "h")
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, tk)
	}
	for i := range tickets {
		at(11, 9, 30+10*i)
		queuetest.MustNext(t, a.Service, "Raum 1", "mbe")
	}
	at(11, 10, 30)
	queuetest.MustAct(t, a.Service, tickets[5].ID, queue.ActNoShow, "")
	at(11, 10, 40)
	j, _, err := a.Service.Draw(ctx, "jmd", "uk", "", "")
	if err != nil {
		t.Fatal(err)
	}
	tickets = append(tickets, j)
	at(11, 11, 30)
	// The cut-off reports refusals through the service's hook.
	a.Service.OnTurnedAway(ctx, "mbe")
	a.Service.OnTurnedAway(ctx, "mbe")

	before := csv(a)
	for _, want := range []string{"2026-03-11,mbe,9,6,5,<5,0,0,42.5,55,10,<5,5,0\n", "2026-03-11,mbe,11,0,0,0,0,<5,", "2026-03-11,jmd,10,<5,0,0,0,0,,,,0,0,<5\n"} {
		if !strings.Contains(before, want) {
			t.Fatalf("export before retiring lacks %q:\n%s", want, before)
		}
	}

	// Seven days later the day is still kept.
	at(18, 9, 0)
	if days, err := a.Retire(ctx); err != nil || len(days) != 0 {
		t.Fatalf("after 7 days: retired %v %v", days, err)
	}
	if _, err := a.Service.Store.Ticket(ctx, tickets[0].ID); err != nil {
		t.Fatalf("after 7 days: %v", err)
	}

	// The service restarts on the 19th; its retention job runs at start.
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	at(19, 1, 0)
	a = start()
	defer a.Close(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := a.Service.Store.Ticket(ctx, tickets[0].ID)
		if queue.ErrorCode(err) == queue.NotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the 11th's tickets were not retired at start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tk := range tickets {
		if _, err := a.Service.Store.Ticket(ctx, tk.ID); queue.ErrorCode(err) != queue.NotFound {
			t.Errorf("ticket %s after retiring: %v", tk.Number, err)
		}
		if _, err := a.Service.Store.TicketByToken(ctx, tk.Token); queue.ErrorCode(err) != queue.NotFound {
			t.Errorf("ticket %s by token after retiring: %v", tk.Number, err)
		}
	}
	d, err := a.Service.Stats(ctx, "2026-03-01", "2026-03-31")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Tickets) != 0 || len(d.Aggregates) != 2 || len(d.TurnedAway) != 1 {
		t.Fatalf("after retiring: %d ticket rows, %d aggregates, %d turn-away counts", len(d.Tickets), len(d.Aggregates), len(d.TurnedAway))
	}
	if after := csv(a); after != before {
		t.Fatalf("export changed by retiring:\nbefore\n%s\nafter\n%s", before, after)
	}
}
