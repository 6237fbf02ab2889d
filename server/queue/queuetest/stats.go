package queuetest

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"wartemarke/server/queue"
)

// testStats covers queue.StatsStore: turn-away counts, the statistics rows
// of tickets, and retirement of old days into stored aggregates.
func testStats(t *testing.T, open func(t *testing.T) queue.Store) {
	t.Run("TurnAway", func(t *testing.T) {
		f := setup(t, open)
		seq := f.lastSeq(t)
		for range 3 {
			if err := f.svc.TurnedAway(t.Context(), "mbe"); err != nil {
				t.Fatal(err)
			}
		}
		f.at(2026, 3, 11, 10, 15, 0, 0)
		if err := f.svc.TurnedAway(t.Context(), "jmd"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.svc.TurnedAway(t.Context(), "xyz"), queue.UnknownLine)
		// The next day counts apart.
		f.at(2026, 3, 12, 9, 0, 0, 0)
		f.svc.TurnedAway(t.Context(), "jmd")
		d := f.stats(t, "2026-03-11", "2026-03-11")
		want := []queue.TurnAwayCount{{Day: "2026-03-11", Line: "jmd", Hour: 10, N: 1}, {Day: "2026-03-11", Line: "mbe", Hour: 9, N: 3}}
		if !slices.Equal(d.TurnedAway, want) {
			t.Fatalf("turned away=%+v, want %+v", d.TurnedAway, want)
		}
		if len(d.Tickets) != 0 || len(d.Aggregates) != 0 {
			t.Fatalf("stats of a day without tickets: %+v", d)
		}
		// A refusal is no change of the queue: no event.
		f.wantNoChange(t, seq)
	})

	t.Run("Tickets", func(t *testing.T) {
		f := setup(t, open)
		a, _, err := f.svc.Draw(t.Context(), "mbe", "ar", "", "")
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := f.svc.Draw(t.Context(), "jmd", "uk", "", "")
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(5 * time.Minute)
		f.next(t, "Raum 1", "mbe")
		called := f.now()
		f.clock.Advance(20 * time.Minute)
		f.act(t, a.ID, queue.ActDone, "")
		finished := f.now()
		f.act(t, b.ID, queue.ActTransfer, "mbe")
		// The next day's first draw expires b.
		f.at(2026, 3, 12, 9, 0, 0, 0)
		c := f.draw(t, "jmd")
		expired := f.now()

		got := f.stats(t, "2026-03-11", "2026-03-11").Tickets
		sort.Slice(got, func(i, j int) bool {
			return got[i].IssuedAt.Before(got[j].IssuedAt) || got[i].IssuedAt.Equal(got[j].IssuedAt) && got[i].Line > got[j].Line
		})
		want := []queue.StatsTicket{
			{Day: a.Day, Line: "mbe", Lang: "ar", Status: queue.StatusDone, IssuedAt: a.IssuedAt, CalledAt: &called, FinishedAt: &finished},
			{Day: b.Day, Line: "jmd", Lang: "uk", Status: queue.StatusExpired, IssuedAt: b.IssuedAt, FinishedAt: &expired, Transfers: 1},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("tickets of %s:\n got %s\nwant %s", a.Day, fmtStats(got), fmtStats(want))
		}
		got = f.stats(t, "2026-03-12", "2026-03-31").Tickets
		if len(got) != 1 || got[0].Line != "jmd" || got[0].Status != queue.StatusWaiting || !got[0].IssuedAt.Equal(c.IssuedAt) || got[0].Lang != "de" {
			t.Fatalf("tickets from 2026-03-12: %s", fmtStats(got))
		}
		if got := f.stats(t, "2026-03-01", "2026-03-10").Tickets; len(got) != 0 {
			t.Fatalf("tickets before the first: %s", fmtStats(got))
		}
	})

	t.Run("Retire", func(t *testing.T) {
		f := setup(t, open)
		a, _, err := f.svc.Draw(t.Context(), "mbe", "ar", "key-a", "hash-a")
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := f.svc.Draw(t.Context(), "jmd", "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetDesk(t.Context(), "Raum 1", []string{"mbe"}, true, false, "berater1"); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(5 * time.Minute)
		f.next(t, "Raum 1", "mbe")
		f.clock.Advance(20 * time.Minute)
		f.act(t, a.ID, queue.ActDone, "")
		f.svc.TurnedAway(t.Context(), "jmd")
		day1 := a.Day
		// b is expired by the first draw of the next day; c is left
		// waiting until retirement expires it.
		f.at(2026, 3, 12, 9, 0, 0, 0)
		c := f.draw(t, "mbe")
		replay := func() bool {
			t.Helper()
			now := f.now()
			_, replay, err := f.store.Draw(t.Context(), queue.DrawRequest{Line: queue.DefaultLines()[0], Lang: "ar", Now: now, Day: f.day(),
				ID: queue.NewID(10), Token: queue.NewID(20), IdemKey: "key-a", IdemHash: "hash-a", IdemSince: time.UnixMilli(0), ReplayOnly: true})
			if err != nil && queue.ErrorCode(err) != queue.NotFound {
				t.Fatal(err)
			}
			return replay
		}
		if !replay() {
			t.Fatal("the key of a is unknown before retiring")
		}
		f.at(2026, 3, 19, 9, 0, 0, 0)
		if snap := f.snapshot(t, day1); len(snap.Desks) != 1 {
			t.Fatalf("desks of %s before retiring: %+v", day1, snap.Desks)
		}
		last := f.lastSeq(t)

		var gave [][]queue.StatsTicket
		agg := func(day string, ts []queue.StatsTicket) []queue.Aggregate {
			gave = append(gave, ts)
			return byLine(day, ts)
		}
		days, err := f.svc.Retire(t.Context(), 7, agg)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(days, []string{day1}) {
			t.Fatalf("retired %v, want [%s] (the 12th is 7 days old and stays)", days, day1)
		}
		if len(gave) != 1 || len(gave[0]) != 2 {
			t.Fatalf("aggregate got %d days: %v", len(gave), gave)
		}
		for _, st := range gave[0] {
			if st.Line == "jmd" && st.Status != queue.StatusExpired {
				t.Fatalf("b was retired as %s, want expired", st.Status)
			}
		}
		// Retirement expired c first, with its event; the log keeps
		// every earlier one.
		evs := f.events(t, 0)
		if len(evs) == 0 || evs[0].Seq != 1 || evs[len(evs)-1].Seq != last+1 || evs[len(evs)-1].Type != queue.EventExpired || evs[len(evs)-1].Ticket.ID != c.ID {
			t.Fatalf("event log after retiring: %v", eventList(evs))
		}

		for _, id := range []string{a.ID, b.ID} {
			_, err := f.store.Ticket(t.Context(), id)
			wantCode(t, err, queue.NotFound)
		}
		_, err = f.store.TicketByToken(t.Context(), a.Token)
		wantCode(t, err, queue.NotFound)
		if replay() {
			t.Fatal("the key of a is still known after retiring")
		}
		if snap := f.snapshot(t, day1); len(snap.Desks) != 0 || len(snap.Tickets) != 0 || len(snap.Recent) != 0 {
			t.Fatalf("%s after retiring: %+v", day1, snap)
		}
		f.ticket(t, c.ID)

		d := f.stats(t, day1, "2026-03-31")
		wantAggs := byLine(day1, gave[0])
		if !reflect.DeepEqual(d.Aggregates, wantAggs) {
			t.Fatalf("stored aggregates:\n got %+v\nwant %+v", d.Aggregates, wantAggs)
		}
		if len(d.Tickets) != 1 || d.Tickets[0].Day != c.Day {
			t.Fatalf("tickets after retiring: %s", fmtStats(d.Tickets))
		}
		if len(d.TurnedAway) != 1 || d.TurnedAway[0].N != 1 {
			t.Fatalf("turned away after retiring: %+v", d.TurnedAway)
		}

		// Nothing is left to retire; the aggregates stay as they are.
		if days, err := f.svc.Retire(t.Context(), 7, agg); err != nil || len(days) != 0 {
			t.Fatalf("second run: %v %v", days, err)
		}
		if d := f.stats(t, day1, day1); !reflect.DeepEqual(d.Aggregates, wantAggs) {
			t.Fatalf("after a second run: %+v", d.Aggregates)
		}
		// A day later the 12th goes too.
		f.at(2026, 3, 20, 0, 30, 0, 0)
		if days, err := f.svc.Retire(t.Context(), 7, agg); err != nil || !slices.Equal(days, []string{c.Day}) {
			t.Fatalf("next day's run: %v %v", days, err)
		}
		if d := f.stats(t, day1, "2026-03-31"); len(d.Tickets) != 0 || len(d.Aggregates) != 3 {
			t.Fatalf("after retiring the 12th: %+v", d)
		}
	})

	t.Run("RetireRefused", func(t *testing.T) {
		f := setup(t, open)
		_, err := f.svc.Retire(t.Context(), 0, byLine)
		wantCode(t, err, queue.Invalid)
		_, err = f.store.Retire(t.Context(), queue.RetireRequest{Before: "2026-03-12", Day: "2026-03-11", Now: f.now(), Aggregate: byLine})
		wantCode(t, err, queue.Invalid)
		_, err = f.store.Retire(t.Context(), queue.RetireRequest{Before: "2026-03-10", Day: "2026-03-11", Now: f.now()})
		wantCode(t, err, queue.Invalid)
	})
}

// byLine is a simple aggregate function for the suite: per line, all in
// hour 0, with the kiosk languages and the waits in minutes.
func byLine(day string, ts []queue.StatsTicket) []queue.Aggregate {
	m := map[string]*queue.Aggregate{}
	for _, t := range ts {
		a := m[t.Line]
		if a == nil {
			a = &queue.Aggregate{Day: day, Line: t.Line}
			m[t.Line] = a
		}
		one := queue.Aggregate{Drawn: 1, Langs: map[string]int{t.Lang: 1}}
		if t.Status == queue.StatusDone {
			one.Served = 1
		}
		if t.CalledAt != nil {
			one.Wait = map[int]int{int(t.CalledAt.Sub(t.IssuedAt).Minutes()): 1}
		}
		a.Add(one)
	}
	var out []queue.Aggregate
	for _, a := range m {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

func (f *fixture) stats(t *testing.T, from, to string) queue.StatsData {
	t.Helper()
	d, err := f.store.Stats(t.Context(), from, to)
	if err != nil {
		t.Fatalf("stats %s..%s: %v", from, to, err)
	}
	sort.Slice(d.TurnedAway, func(i, j int) bool {
		a, b := d.TurnedAway[i], d.TurnedAway[j]
		return a.Day+a.Line < b.Day+b.Line || a.Day+a.Line == b.Day+b.Line && a.Hour < b.Hour
	})
	sort.Slice(d.Aggregates, func(i, j int) bool {
		a, b := d.Aggregates[i], d.Aggregates[j]
		return a.Day+" "+a.Line < b.Day+" "+b.Line || a.Day == b.Day && a.Line == b.Line && a.Hour < b.Hour
	})
	return d
}

func fmtStats(ts []queue.StatsTicket) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString("\n  " + t.Day + " " + t.Line + " " + t.Lang + " " + string(t.Status) + " issued " + t.IssuedAt.Format(time.RFC3339Nano) +
			" called " + fmtTime(t.CalledAt) + " finished " + fmtTime(t.FinishedAt))
		if t.Transfers > 0 {
			b.WriteString(" transferred")
		}
	}
	return b.String()
}
