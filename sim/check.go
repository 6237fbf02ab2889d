package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/stats"
)

// Report is the outcome of a day's checks.
type Report struct {
	*Result
	// Events is how many events the day added to the log; Tickets how
	// many tickets it issued.
	Events, Tickets int
	// From the log: calls (ticket.called), recalls, no-shows, transfers,
	// consultations done.
	Calls, Recalls, NoShows, Transfers, Done int
	// Lines are the waiting and counselling times per issuing line,
	// recomputed from the log.
	Lines []LineFigures
	// Checked counts what the listeners got that was compared with the
	// log: events, and calls (ticket.called and ticket.recalled) on
	// displays.
	Checked, DisplayCalls int
	// LastCall is the day's last call (ticket.called or recalled).
	LastCall time.Time
	// StatsRows is how many CSV rows were compared.
	StatsRows int
	// Warnings the service logged during the day.
	Warnings int64
	Problems []string
}

// LineFigures are one line's times in minutes.
type LineFigures struct {
	Line                       string
	Tickets, WaitN             int
	WaitMedian, WaitP90        float64
	ServiceN                   int
	ServiceMedian              float64
	Served, NoShows, Transfers int
	TurnedAway                 int
}

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < 100 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == 100 {
		r.Problems = append(r.Problems, "… more problems left out")
	}
}

// readLog reads the event log after seq from the store: the truth every
// client is compared with.
func readLog(ctx context.Context, s queue.Store, after int64) ([]queue.Event, error) {
	var out []queue.Event
	for {
		evs, err := s.EventsAfter(ctx, after, 1000)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			return out, nil
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Seq
	}
}

// life is one ticket as the log tells it.
type life struct {
	id, number, issuedLine, lang string
	hour                         int
	status                       queue.Status
	issued                       time.Time
	lastCall, finished           *time.Time
	calls, recalls, transfers    int
	last                         queue.Ticket
}

// Check compares the day with the event log, the listeners' streams and
// the statistics the service exports.
func Check(ctx context.Context, srv *Server, res *Result) (*Report, error) {
	log, err := readLog(ctx, srv.App.Store, res.FirstSeq)
	if err != nil {
		return nil, err
	}
	return check(ctx, srv, res, log)
}

// check is Check against a given log (the tests break it on purpose).
func check(ctx context.Context, srv *Server, res *Result, log []queue.Event) (*Report, error) {
	r := &Report{Result: res}
	r.Events = len(log)
	if res.Incomplete {
		r.problem("the day did not finish")
	}
	for _, e := range res.Errors {
		r.problem("client: %s", e)
	}
	loc := srv.App.Service.Location
	lives := r.checkTickets(log, loc)
	r.checkVisitors(lives)
	r.checkListeners(log)
	if err := r.checkStats(ctx, srv, lives, loc); err != nil {
		return nil, err
	}
	r.Warnings = srv.Warnings.Load()
	return r, nil
}

// checkTickets replays the log: every ticket goes issued → called
// (recalled any number of times) → done or no-show, a transfer sending it
// back to wait in the other line; called only while waiting, so exactly
// once per line it waits in; numbers count 1, 2, 3 … per line with none
// used twice; no desk holds two tickets.
func (r *Report) checkTickets(log []queue.Event, loc *time.Location) map[string]*life {
	lives := map[string]*life{}
	numbers := map[string]map[int]string{} // issued line → number → ticket id
	atDesk := map[string]string{}          // desk → called ticket id
	for i, e := range log {
		if i > 0 && e.Seq != log[i-1].Seq+1 {
			r.problem("log: seq %d follows %d", e.Seq, log[i-1].Seq)
		}
		t := e.Ticket
		if t.ID == "" {
			continue
		}
		if t.Day != r.Day {
			r.problem("log: event %d (%s) of ticket %s of day %s during %s", e.Seq, e.Type, t.Number, t.Day, r.Day)
			continue
		}
		l := lives[t.ID]
		if e.Type == queue.EventIssued {
			if l != nil {
				r.problem("log: ticket %s issued twice", t.Number)
				continue
			}
			l = &life{id: t.ID, number: t.Number, issuedLine: t.IssuedLine, lang: t.Lang, status: queue.StatusWaiting,
				issued: e.At, hour: e.At.In(loc).Hour()}
			lives[t.ID] = l
			if !t.IssuedAt.Equal(e.At) {
				r.problem("log: %s issued_at %s, its event at %s", t.Number, t.IssuedAt, e.At)
			}
			prefix, n, ok := strings.Cut(t.Number, "-")
			num, err := strconv.Atoi(n)
			if !ok || err != nil || prefix != strings.ToUpper(t.IssuedLine[:1]) {
				r.problem("log: %s is not a number of line %s", t.Number, t.IssuedLine)
			}
			if numbers[t.IssuedLine] == nil {
				numbers[t.IssuedLine] = map[int]string{}
			}
			if other, used := numbers[t.IssuedLine][num]; used {
				r.problem("log: number %s used twice (tickets %s and %s)", t.Number, other, t.ID)
			}
			numbers[t.IssuedLine][num] = t.ID
			l.last = t
			continue
		}
		if l == nil {
			r.problem("log: event %d (%s) of ticket %s that was not issued today", e.Seq, e.Type, t.Number)
			continue
		}
		at := e.At
		bad := func() { r.problem("log: %s %s while %s (seq %d)", t.Number, e.Type, l.status, e.Seq) }
		switch e.Type {
		case queue.EventCalled:
			if l.status != queue.StatusWaiting {
				bad()
			}
			if held, busy := atDesk[t.Desk]; busy {
				r.problem("log: desk %s calls %s while %s is still called there", t.Desk, t.Number, lives[held].number)
			}
			atDesk[t.Desk] = t.ID
			l.status, l.lastCall = queue.StatusCalled, &at
			l.calls++
		case queue.EventRecalled:
			if l.status != queue.StatusCalled {
				bad()
			}
			l.lastCall = &at
			l.recalls++
		case queue.EventTransferred:
			if l.status != queue.StatusWaiting && l.status != queue.StatusCalled {
				bad()
			}
			if l.status == queue.StatusCalled {
				delete(atDesk, l.last.Desk)
			}
			l.status, l.lastCall = queue.StatusWaiting, nil
			l.transfers++
		case queue.EventDone, queue.EventNoShow:
			if l.status != queue.StatusCalled {
				bad()
			}
			delete(atDesk, l.last.Desk)
			l.status, l.finished = t.Status, &at
		case queue.EventPrinted, queue.EventPrintFailed:
		default:
			r.problem("log: unexpected %s of %s (seq %d)", e.Type, t.Number, e.Seq)
		}
		if t.Status != l.status {
			r.problem("log: %s after %s is %s, want %s", t.Number, e.Type, t.Status, l.status)
		}
		if !sameTime(t.CalledAt, l.lastCall) {
			r.problem("log: %s after %s has called_at %v, the log's latest call %v", t.Number, e.Type, t.CalledAt, l.lastCall)
		}
		if l.finished != nil && !sameTime(t.FinishedAt, l.finished) {
			r.problem("log: %s finished_at %v, its event %v", t.Number, t.FinishedAt, l.finished)
		}
		l.last = t
	}
	for line, nums := range numbers {
		for n := 1; n <= len(nums); n++ {
			if _, ok := nums[n]; !ok {
				r.problem("log: line %s issued %d numbers but not number %d", line, len(nums), n)
				break
			}
		}
	}
	for _, l := range lives {
		r.Tickets++
		r.Calls += l.calls
		if l.lastCall != nil && l.lastCall.After(r.LastCall) {
			r.LastCall = *l.lastCall
		}
		r.Recalls += l.recalls
		r.Transfers += l.transfers
		// The simulation transfers only called tickets: one call per line
		// the ticket waited in.
		if l.calls != l.transfers+1 {
			r.problem("ticket %s was called %d times in %d lines", l.number, l.calls, l.transfers+1)
		}
		switch l.status {
		case queue.StatusDone:
			r.Done++
		case queue.StatusNoShow:
			r.NoShows++
		default:
			r.problem("ticket %s ended the day %s", l.number, l.status)
		}
	}
	return lives
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// checkVisitors compares what happened to each visitor with the log.
func (r *Report) checkVisitors(lives map[string]*life) {
	drawn := 0
	for _, v := range r.Visitors {
		if v.Ticket.ID == "" {
			if v.Refused == "" {
				r.problem("visitor %d (%s) got no ticket and no refusal", v.I, v.Line)
			}
			continue
		}
		drawn++
		l := lives[v.Ticket.ID]
		if l == nil {
			r.problem("visitor %d: ticket %s is not in the log", v.I, v.Ticket.Number)
			continue
		}
		if l.number != v.Ticket.Number || l.issuedLine != v.Line || l.lang != v.Lang {
			r.problem("visitor %d: kiosk showed %s %s %s, the log has %s %s %s", v.I, v.Ticket.Number, v.Line, v.Lang, l.number, l.issuedLine, l.lang)
		}
		want := queue.StatusDone
		if v.NoShow {
			want = queue.StatusNoShow
		}
		if l.status != want || v.Finished != want {
			r.problem("visitor %d (%s): ended %s (counsellor saw %q), want %s", v.I, l.number, l.status, v.Finished, want)
		}
		if (l.transfers > 0) != (v.WrongLine && !v.NoShow) {
			r.problem("visitor %d (%s): %d transfers, wrong line %v", v.I, l.number, l.transfers, v.WrongLine)
		}
	}
	if drawn != len(lives) {
		r.problem("the kiosks drew %d tickets, the log issued %d", drawn, len(lives))
	}
}

// checkListeners compares every connection of every display, console and
// kiosk with the log: each began with a snapshot equal to the log's state
// at its seq, or resumed right after the last event it had, and then got
// every event after it in order, none missed, none twice, equal to the
// log's; the last connection reached the end of the log.
func (r *Report) checkListeners(log []queue.Event) {
	bySeq := map[int64]queue.Event{}
	for _, e := range log {
		bySeq[e.Seq] = e
	}
	for _, ls := range r.Listeners {
		if len(ls.Problems) > 0 {
			for _, p := range ls.Problems {
				r.problem("%s", p)
			}
		}
		if len(ls.Segments) == 0 {
			r.problem("%s never connected", ls.Name)
			continue
		}
		if ls.Last != r.LastSeq {
			r.problem("%s: its last event is %d, the log's %d", ls.Name, ls.Last, r.LastSeq)
		}
		if !r.Params.Keep {
			// Without the events and snapshots kept (a soak), the listener
			// checked order and gaps as they came.
			r.Checked += ls.Events
			continue
		}
		end := int64(-1)
		for k, seg := range ls.Segments {
			start := seg.Since
			switch {
			case !seg.Fresh && !seg.Resume:
				r.problem("%s: connection %d began with neither a snapshot nor a resume", ls.Name, k+1)
				continue
			case seg.Fresh:
				if k == 0 && start > r.FirstSeq {
					r.problem("%s: first snapshot at seq %d, after the day began (%d)", ls.Name, start, r.FirstSeq)
				}
				if start < end {
					r.problem("%s: snapshot at %d is older than the event %d it had", ls.Name, start, end)
				}
				r.compareSnapshot(ls.Name, seg, log)
			case start != end:
				r.problem("%s: resumed after %d, but its last event was %d", ls.Name, start, end)
			}
			for i, e := range seg.Events {
				want, ok := bySeq[start+1+int64(i)]
				if e.Seq != start+1+int64(i) || !ok {
					r.problem("%s: connection %d got seq %d as its event %d after %d", ls.Name, k+1, e.Seq, i+1, start)
					break
				}
				if got := light(want); got != e {
					r.problem("%s: event %d is %+v, the log has %+v", ls.Name, e.Seq, e, got)
				}
				r.Checked++
				if ls.Kind == "display" && (e.Type == queue.EventCalled || e.Type == queue.EventRecalled) {
					r.DisplayCalls++
				}
			}
			end = start + int64(len(seg.Events))
		}
		if end != r.LastSeq {
			r.problem("%s: its connections end at event %d, the log at %d", ls.Name, end, r.LastSeq)
		}
	}
}

// compareSnapshot checks a snapshot's open tickets against the log's state
// at the snapshot's seq.
func (r *Report) compareSnapshot(name string, seg segment, log []queue.Event) {
	open := map[string]queue.Status{}
	for _, e := range log {
		if e.Seq > seg.Since {
			break
		}
		if e.Ticket.ID == "" || e.Type == queue.EventPrinted || e.Type == queue.EventPrintFailed {
			continue
		}
		if e.Ticket.Status.Open() {
			open[e.Ticket.ID] = e.Ticket.Status
		} else {
			delete(open, e.Ticket.ID)
		}
	}
	if !maps.Equal(open, seg.Snapshot) {
		r.problem("%s: snapshot at %d holds %d open tickets, the log %d (or their status differs)", name, seg.Since, len(seg.Snapshot), len(open))
	}
}

// lh is a line and hour of the draw.
type lh struct {
	line string
	hour int
}

// figures recomputes one group's statistics from the log.
type figures struct {
	drawn, served, noShows, transfers, turnedAway int
	langs                                         map[string]int
	wait, service                                 []int
}

func (f *figures) add(l *life) {
	f.drawn++
	if f.langs == nil {
		f.langs = map[string]int{}
	}
	f.langs[l.lang]++
	switch l.status {
	case queue.StatusDone:
		f.served++
	case queue.StatusNoShow:
		f.noShows++
	}
	if l.transfers > 0 {
		f.transfers++
	}
	if l.lastCall != nil {
		f.wait = append(f.wait, wholeMinutes(l.lastCall.Sub(l.issued)))
		if l.status == queue.StatusDone && l.finished != nil {
			f.service = append(f.service, wholeMinutes(l.finished.Sub(*l.lastCall)))
		}
	}
}

func wholeMinutes(d time.Duration) int { return max(0, int(math.Round(d.Minutes()))) }

// median and p90 as the README defines them: the mean of the two middle
// values for an even count; the 90th percentile by nearest rank.
func median(v []int) float64 {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

func p90(v []int) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s) == 0 {
		return 0
	}
	return float64(s[(90*len(s)+99)/100-1])
}

// The export's suppression: a count from 1 to 4 is "<5", a time figure
// resting on fewer than 5 tickets is left out.
func countCell(n int) string {
	if n > 0 && n < 5 {
		return "<5"
	}
	return strconv.Itoa(n)
}

func minutesCell(v float64, n int) string {
	if n < 5 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func histogram(v []int) map[int]int {
	h := map[int]int{}
	for _, x := range v {
		h[x]++
	}
	return h
}

// checkStats recomputes the day's statistics from the log (and the
// turn-aways from the kiosks' refusals) and compares them with the CSV
// export an admin downloads, row by row and cell by cell, and with the
// unsuppressed figures the monthly report is made from, line by line.
func (r *Report) checkStats(ctx context.Context, srv *Server, lives map[string]*life, loc *time.Location) error {
	// groups are per issuing line and hour of the draw, as the export;
	// lineFig per line, the whole day.
	groups, lineFig := map[lh]*figures{}, map[string]*figures{}
	get := func(m map[lh]*figures, k lh) *figures {
		if m[k] == nil {
			m[k] = &figures{}
		}
		return m[k]
	}
	ofLine := func(line string) *figures {
		if lineFig[line] == nil {
			lineFig[line] = &figures{}
		}
		return lineFig[line]
	}
	for _, l := range lives {
		get(groups, lh{l.issuedLine, l.hour}).add(l)
		ofLine(l.issuedLine).add(l)
	}
	// A refusal is counted in the hour the service refused it, somewhere
	// between the request's start and its answer; when those fall in two
	// hours (a slow answer at speed×), either may hold it.
	maybe := map[lh]int{}
	for _, v := range r.Visitors {
		if v.Refused != "cut_off" {
			continue
		}
		h0, h1 := v.RefusedAt[0].In(loc).Hour(), v.RefusedAt[1].In(loc).Hour()
		if h0 == h1 {
			get(groups, lh{v.Line, h0}).turnedAway++
		} else {
			for h := h0; h != h1+1; h = (h + 1) % 24 {
				maybe[lh{v.Line, h}]++
			}
		}
		ofLine(v.Line).turnedAway++
	}
	for _, l := range srv.App.Service.Lines {
		f := ofLine(l.ID)
		r.Lines = append(r.Lines, LineFigures{Line: l.ID, Tickets: f.drawn, WaitN: len(f.wait), WaitMedian: median(f.wait), WaitP90: p90(f.wait),
			ServiceN: len(f.service), ServiceMedian: median(f.service), Served: f.served, NoShows: f.noShows,
			Transfers: f.transfers, TurnedAway: f.turnedAway})
	}

	// The CSV export, as an admin downloads it.
	hc := &http.Client{Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	admin := &API{Base: srv.URL, Token: srv.Admin, HTTP: hc}
	var body []byte
	if _, err := admin.Do(ctx, "GET", "/api/v1/stats.csv?from="+r.Day+"&to="+r.Day, nil, &body); err != nil {
		return fmt.Errorf("stats.csv: %w", err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(recs) == 0 {
		r.problem("stats.csv is not CSV: %v", err)
		return nil
	}
	head := recs[0]
	wantHead := strings.Split("day,line,hour,drawn,served,no_shows,transfers,turned_away,wait_median_min,wait_p90_min,service_median_min", ",")
	if len(head) < len(wantHead) || !slices.Equal(head[:len(wantHead)], wantHead) {
		r.problem("stats.csv header %v", head)
		return nil
	}
	seen := map[lh]bool{}
	for _, rec := range recs[1:] {
		if len(rec) != len(head) {
			r.problem("stats.csv: record %v has %d fields, the header %d", rec, len(rec), len(head))
			continue
		}
		hour, _ := strconv.Atoi(rec[2])
		k := lh{rec[1], hour}
		f := groups[k]
		if f == nil && maybe[k] > 0 {
			f = &figures{}
		}
		if rec[0] != r.Day || f == nil {
			r.problem("stats.csv: row %v, but the log has no tickets or refusals for it", rec[:3])
			continue
		}
		seen[k] = true
		r.StatsRows++
		want := []string{countCell(f.drawn), countCell(f.served), countCell(f.noShows), countCell(f.transfers), countCell(f.turnedAway),
			minutesCell(median(f.wait), len(f.wait)), minutesCell(p90(f.wait), len(f.wait)), minutesCell(median(f.service), len(f.service))}
		for i, w := range want {
			col := wantHead[3+i]
			if col == "turned_away" && maybe[k] > 0 {
				n, err := strconv.Atoi(rec[3+i])
				if rec[3+i] == "<5" && f.turnedAway < 5 {
					n, err = max(f.turnedAway, 1), nil
				}
				if err != nil || n < f.turnedAway || n > f.turnedAway+maybe[k] {
					r.problem("stats.csv %s %s %d–%d h: turned_away is %q, recomputed %d and up to %d more", r.Day, k.line, hour, hour+1, rec[3+i], f.turnedAway, maybe[k])
				}
				continue
			}
			if rec[3+i] != w {
				r.problem("stats.csv %s %s %d–%d h: %s is %q, recomputed from the log %q", r.Day, k.line, hour, hour+1, col, rec[3+i], w)
			}
		}
		for i := len(wantHead); i < len(head); i++ {
			lang := strings.TrimPrefix(head[i], "lang_")
			if w := countCell(f.langs[lang]); rec[i] != w {
				r.problem("stats.csv %s %d h: %s is %q, recomputed %q", k.line, hour, head[i], rec[i], w)
			}
		}
	}
	for k := range groups {
		if !seen[k] {
			r.problem("stats.csv lacks the row of %s %d h", k.line, k.hour)
		}
	}

	// The unsuppressed figures behind the export and the monthly report.
	data, err := srv.App.Service.Stats(ctx, r.Day, r.Day)
	if err != nil {
		return err
	}
	byLine := map[string]queue.Aggregate{}
	for _, a := range stats.Collect(data, loc) {
		s := byLine[a.Line]
		s.Add(a)
		byLine[a.Line] = s
	}
	for line, f := range lineFig {
		a := byLine[line]
		got := fmt.Sprint(a.Drawn, a.Served, a.NoShows, a.Transfers)
		want := fmt.Sprint(f.drawn, f.served, f.noShows, f.transfers)
		if got != want {
			r.problem("statistics of %s: drawn, served, no-shows, transfers %s, the log %s", line, got, want)
		}
		if a.TurnedAway != f.turnedAway {
			r.problem("statistics of %s: %d turned away, the kiosks were refused %d times at the cut-off", line, a.TurnedAway, f.turnedAway)
		}
		if !maps.Equal(nonEmpty(a.Wait), histogram(f.wait)) {
			r.problem("statistics of %s: waits %v, the log %v", line, a.Wait, histogram(f.wait))
		}
		if !maps.Equal(nonEmpty(a.Service), histogram(f.service)) {
			r.problem("statistics of %s: counselling times %v, the log %v", line, a.Service, histogram(f.service))
		}
	}
	return nil
}

func nonEmpty(h map[int]int) map[int]int {
	if h == nil {
		return map[int]int{}
	}
	return h
}
