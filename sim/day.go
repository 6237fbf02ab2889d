package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"wartemarke/server/queue"
)

// Params describe a busy Wednesday.
type Params struct {
	// Visitors arrive over Hours (the lines' opening hours from 9:00).
	Visitors int
	Hours    float64
	// Desks are the counsellors, one per desk (see deskLines).
	Desks int
	// Kiosks draw the tickets; Displays are the waiting-room screens.
	Kiosks, Displays int
	// Seed makes the day's schedule and every choice in it repeatable.
	Seed uint64
	// JMDShare is the share of visitors in the JMD line; NoShow, Late
	// (recalled, then comes) and WrongLine (transferred to the other line)
	// are probabilities per visitor.
	JMDShare, NoShow, Late, WrongLine float64
	// ServiceMean is the mean counselling time (at least 3 minutes,
	// exponential above that, at most 30).
	ServiceMean time.Duration
	// Keep keeps every event each listener got, for the checks; a soak
	// only counts them.
	Keep bool
	// Churn, when set, closes and reopens a random display or console every
	// Churn of real time (alternately resuming with since and starting
	// afresh); without it, two displays and a console reconnect once each.
	Churn time.Duration
}

// DefaultParams is the busy Wednesday of the issue: 150 visitors over 3
// hours, 6 counsellors, a few no-shows, late comers and wrong lines.
func DefaultParams() Params {
	return Params{Visitors: 150, Hours: 3, Desks: 6, Kiosks: 1, Displays: 3, Seed: 1,
		JMDShare: 0.3, NoShow: 0.06, Late: 0.1, WrongLine: 0.05, ServiceMean: 8 * time.Minute, Keep: true}
}

// visitor is one person of the day, with everything decided in advance.
type visitor struct {
	I      int
	Arrive time.Time
	Line   string
	Lang   string
	Kiosk  int
	// Fate: does not come (no-show), comes only when recalled (late),
	// stands in the wrong line (transferred).
	NoShow, Late, WrongLine bool
	Service                 time.Duration
	// Pauses (simulated) the counsellor waits before a recall and so on.
	Pause [3]time.Duration

	// What happened.
	Ticket      queue.Ticket
	Refused     string // "cut_off" or "closed"; "" when drawn
	RefusedAt   [2]time.Time
	Transferred bool
	Finished    queue.Status
}

// languages of the kiosk with rough weights for Offenbach (DESIGN.md).
var languages = []struct {
	tag string
	w   int
}{{"de", 30}, {"tr", 12}, {"ar", 12}, {"uk", 10}, {"ro", 8}, {"en", 7}, {"pl", 5}, {"bg", 5}, {"fa", 4}, {"el", 3}, {"it", 2}, {"hr", 2}}

// Schedule returns the day's visitors in order of arrival, from open on.
// A fifth queue at the door and come in the first ten minutes; the others
// arrive at random until a minute before closing.
func Schedule(p Params, open time.Time) []*visitor {
	rng := rand.New(rand.NewPCG(p.Seed, 0x5ee0))
	span := time.Duration(p.Hours*float64(time.Hour)) - time.Minute
	total := 0
	for _, l := range languages {
		total += l.w
	}
	vs := make([]*visitor, p.Visitors)
	for i := range vs {
		v := &visitor{Line: "mbe"}
		if rng.Float64() < 0.2 {
			v.Arrive = open.Add(time.Duration(rng.Int64N(int64(10 * time.Minute))))
		} else {
			v.Arrive = open.Add(time.Duration(rng.Int64N(int64(span))))
		}
		v.Arrive = v.Arrive.Truncate(time.Second)
		if rng.Float64() < p.JMDShare {
			v.Line = "jmd"
		}
		n := rng.IntN(total)
		for _, l := range languages {
			if n -= l.w; n < 0 {
				v.Lang = l.tag
				break
			}
		}
		switch f := rng.Float64(); {
		case f < p.NoShow:
			v.NoShow = true
		case f < p.NoShow+p.Late:
			v.Late = true
		case f < p.NoShow+p.Late+p.WrongLine:
			v.WrongLine = true
		}
		extra := time.Duration(rng.ExpFloat64() * float64(p.ServiceMean-3*time.Minute))
		v.Service = min(3*time.Minute+extra, 30*time.Minute).Truncate(time.Second)
		for j := range v.Pause {
			v.Pause[j] = time.Minute + time.Duration(rng.Int64N(int64(2*time.Minute)))
		}
		vs[i] = v
	}
	slices.SortStableFunc(vs, func(a, b *visitor) int { return a.Arrive.Compare(b.Arrive) })
	for i, v := range vs {
		v.I = i
		v.Kiosk = i % max(1, p.Kiosks)
	}
	return vs
}

// deskLines are the lines desk i of n serves: with three desks or more
// the last serves both lines, about a quarter of the others JMD (at least
// one) and the rest MBE.
func deskLines(i, n int) []string {
	switch {
	case n == 1 || (n >= 3 && i == n-1):
		return []string{"mbe", "jmd"}
	case n == 2:
		return [][]string{{"mbe"}, {"jmd"}}[i]
	case i < n-1-max(1, (n-1)/4):
		return []string{"mbe"}
	}
	return []string{"jmd"}
}

func other(line string) string {
	if line == "mbe" {
		return "jmd"
	}
	return "mbe"
}

// Result is what one simulated day did, for the checks and the report.
type Result struct {
	Params Params
	Day    string
	// Open and Close are the lines' hours that day; Begin and End the
	// simulated times the day's work began and ended.
	Open, Close, Begin, End time.Time
	Real                    time.Duration
	// FirstSeq is the log's last seq before the day; LastSeq after it.
	FirstSeq, LastSeq int64
	Visitors          []*visitor
	// Counts of what the simulation did.
	Drawn, CutOff, Closed, Retries     int
	Calls, Recalls, NoShows, Transfers int
	Served, Empty                      int
	// Latency is the real time of the requests: draw, next, action.
	Latency    map[string][]time.Duration
	Listeners  []ListenerStats
	Errors     []string
	Incomplete bool
}

// day runs one service day.
type day struct {
	p       Params
	srv     *Server
	clock   *Clock
	res     *Result
	http    *http.Client
	byID    sync.Map // ticket id → *visitor
	open    atomic.Int64
	kiosks  atomic.Bool // all kiosks are done
	mu      sync.Mutex
	counts  map[string]int
	latency map[string][]time.Duration
	errs    []string
	listen  []*Listener
	console []*Listener
}

func (d *day) errorf(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.errs) < 200 {
		d.errs = append(d.errs, fmt.Sprintf(format, args...))
	}
}

func (d *day) count(what string) {
	d.mu.Lock()
	d.counts[what]++
	d.mu.Unlock()
}

// RunDay simulates the service day that starts at open (the clock must be
// before it): listeners connect, desks open, visitors draw, counsellors
// call and serve until everyone who drew is done or a no-show. It stops
// early, with Incomplete set, when ctx ends.
func RunDay(ctx context.Context, srv *Server, p Params, open time.Time) (*Result, error) {
	if now := srv.Clock.Now(); !now.Before(open) {
		return nil, fmt.Errorf("the service's clock (%s) is already past the day's opening (%s)", now.Format(time.RFC3339), open.Format(time.RFC3339))
	}
	loc := open.Location()
	res := &Result{Params: p, Day: open.In(loc).Format(time.DateOnly), Open: open,
		Close: open.Add(time.Duration(p.Hours * float64(time.Hour)))}
	first, err := srv.App.Store.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	res.FirstSeq = first
	start := time.Now()
	d := &day{p: p, srv: srv, clock: srv.Clock, res: res, counts: map[string]int{}, latency: map[string][]time.Duration{},
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second}}
	defer d.http.CloseIdleConnections()
	res.Visitors = Schedule(p, open)

	// Screens connect before the day begins: displays, consoles, kiosks.
	for i := range p.Displays {
		d.listen = append(d.listen, NewListener(fmt.Sprintf("display %d", i+1), "display", srv.URL, srv.Displays[i%len(srv.Displays)], p.Keep))
	}
	for i := range p.Desks {
		l := NewListener(fmt.Sprintf("console %s", deskLabel(i)), "console", srv.URL, srv.Counsellors[i], p.Keep)
		d.console = append(d.console, l)
		d.listen = append(d.listen, l)
	}
	for i := range p.Kiosks {
		d.listen = append(d.listen, NewListener(fmt.Sprintf("kiosk %d", i+1), "kiosk", srv.URL, srv.Kiosks[i%len(srv.Kiosks)], p.Keep))
	}
	defer func() {
		for _, l := range d.listen {
			l.Close()
		}
	}()
	for _, l := range d.listen {
		if err := l.Connect(ctx, false); err != nil {
			return nil, err
		}
	}
	if err := d.clock.SleepUntil(ctx, open); err != nil {
		return d.finish(start, true), nil
	}
	res.Begin = d.clock.Now()

	var wg sync.WaitGroup
	work, stop := context.WithCancel(ctx)
	defer stop()
	for i := range p.Desks {
		wg.Go(func() { d.counsellor(work, i) })
	}
	var kiosks sync.WaitGroup
	for k := range max(1, p.Kiosks) {
		kiosks.Go(func() { d.kiosk(work, k) })
	}
	var churn sync.WaitGroup
	churnStop := make(chan struct{})
	churn.Go(func() { d.reconnects(work, churnStop) })
	kiosks.Wait()
	d.kiosks.Store(true)
	wg.Wait()
	close(churnStop)
	churn.Wait()
	incomplete := ctx.Err() != nil
	res.End = d.clock.Now()

	// Every listener catches up with the log before the checks.
	if !incomplete {
		last, err := srv.App.Store.LastSeq(ctx)
		if err != nil {
			return nil, err
		}
		deadline := time.Now().Add(10 * time.Second)
		for _, l := range d.listen {
			for l.Last() < last && time.Now().Before(deadline) {
				if !l.Connected() {
					if err := l.Connect(ctx, true); err != nil {
						d.errorf("%s: reconnect at the end: %v", l.Name, err)
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	return d.finish(start, incomplete), nil
}

func (d *day) finish(start time.Time, incomplete bool) *Result {
	res := d.res
	res.Real = time.Since(start)
	res.Incomplete = incomplete
	for _, l := range d.listen {
		l.Close()
	}
	for _, l := range d.listen {
		res.Listeners = append(res.Listeners, l.Stats())
	}
	if last, err := d.srv.App.Store.LastSeq(context.Background()); err == nil {
		res.LastSeq = last
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	res.Errors = append(res.Errors, d.errs...)
	res.Drawn, res.CutOff, res.Closed, res.Retries = d.counts["drawn"], d.counts["cut_off"], d.counts["closed"], d.counts["retry"]
	res.Calls, res.Recalls, res.NoShows, res.Transfers = d.counts["call"], d.counts["recall"], d.counts["no_show"], d.counts["transfer"]
	res.Served, res.Empty = d.counts["done"], d.counts["empty"]
	res.Latency = d.latency
	return res
}

// kiosk draws the tickets of the visitors who use kiosk k, each when the
// visitor arrives, with an Idempotency-Key as the kiosk page does, and
// retries what may be retried. Each visitor's draw runs on its own: at
// speed× a draw's real latency is speed times as long on the service's
// clock, and draws one after another would fall behind the arrivals.
func (d *day) kiosk(ctx context.Context, k int) {
	c := &API{Base: d.srv.URL, Token: d.srv.Kiosks[k%len(d.srv.Kiosks)], HTTP: d.http}
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, v := range d.res.Visitors {
		if v.Kiosk != k {
			continue
		}
		if d.clock.SleepUntil(ctx, v.Arrive) != nil {
			return
		}
		wg.Go(func() { d.draw(ctx, c, v) })
	}
}

// draw draws visitor v's ticket.
func (d *day) draw(ctx context.Context, c *API, v *visitor) {
	key := fmt.Sprintf("sim-%s-%d-%d", d.res.Day, d.p.Seed, v.I)
	for attempt := 0; ; attempt++ {
		var t queue.Ticket
		before, real := d.clock.Now(), time.Now()
		_, err := c.Do(ctx, "POST", "/api/v1/tickets", map[string]string{"line": v.Line, "lang": v.Lang}, &t, "Idempotency-Key", key)
		after := d.clock.Now()
		d.took("draw", time.Since(real))
		if err == nil {
			v.Ticket = t
			d.open.Add(1)
			d.byID.Store(t.ID, v)
			d.count("drawn")
			return
		}
		if ctx.Err() != nil {
			return
		}
		var ae *apiError
		switch st := statusOf(err); {
		case st == http.StatusConflict && errors.As(err, &ae) && ae.Code == "closed":
			// The cut-off's refusal says no more numbers are issued
			// today; outside the hours the line is plainly closed.
			refused := "closed"
			if strings.Contains(ae.Msg, "no more numbers") {
				refused = "cut_off"
			}
			d.mu.Lock()
			v.Refused, v.RefusedAt = refused, [2]time.Time{before, after}
			d.mu.Unlock()
			d.count(refused)
		case (st == 0 || st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable) && attempt < 20:
			d.count("retry")
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
			continue
		default:
			d.errorf("draw %d (%s): %v", v.I, v.Line, err)
		}
		return
	}
}

// took records the real time a request took.
func (d *day) took(what string, dur time.Duration) {
	d.mu.Lock()
	d.latency[what] = append(d.latency[what], dur)
	d.mu.Unlock()
}

// lookup finds the visitor holding a ticket; the kiosk records it right
// after the draw's answer, which a quick counsellor may beat by moments.
func (d *day) lookup(id string) *visitor {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if v, ok := d.byID.Load(id); ok {
			return v.(*visitor)
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
}

// counsellor works desk i: opens it, calls the next ticket, serves, and
// closes the desk when every visitor who drew a ticket is done or gone.
func (d *day) counsellor(ctx context.Context, i int) {
	c := &API{Base: d.srv.URL, Token: d.srv.Counsellors[i], HTTP: d.http}
	desk, lines := deskLabel(i), deskLines(i, d.p.Desks)
	open := true
	if _, err := c.Do(ctx, "PUT", deskPath(desk), map[string]any{"lines": lines, "open": &open}, nil); err != nil {
		d.errorf("%s: open desk: %v", desk, err)
	}
	rng := rand.New(rand.NewPCG(d.p.Seed, uint64(i)+1))
	for ctx.Err() == nil {
		if d.kiosks.Load() && d.open.Load() == 0 {
			break
		}
		var t queue.Ticket
		began := time.Now()
		st, err := c.Do(ctx, "POST", deskPath(desk)+"/next", map[string]any{"lines": lines}, &t)
		d.took("next", time.Since(began))
		if err != nil {
			if ctx.Err() == nil {
				d.errorf("%s: next: %v", desk, err)
			}
			d.clock.Sleep(ctx, time.Minute)
			continue
		}
		if st == http.StatusNoContent {
			d.count("empty")
			// Nobody waits: the console shows the next draw or transfer.
			select {
			case <-d.console[i].Wake:
			case <-time.After(d.clock.Real(2 * time.Minute)):
			case <-ctx.Done():
			}
			d.clock.Sleep(ctx, time.Duration(5+rng.IntN(15))*time.Second)
			continue
		}
		d.count("call")
		v := d.lookup(t.ID)
		if v == nil {
			d.errorf("%s: called %s (%s), which no kiosk drew", desk, t.Number, t.ID)
			continue
		}
		d.serve(ctx, c, desk, v, t)
	}
	open = false
	if _, err := c.Do(context.Background(), "PUT", deskPath(desk), map[string]any{"lines": lines, "open": &open}, nil); err != nil && ctx.Err() == nil {
		d.errorf("%s: close desk: %v", desk, err)
	}
}

// transferred tells whether v was sent to the other line (at another
// desk, perhaps).
func (d *day) transferred(v *visitor) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return v.Transferred
}

// serve plays out one call: the visitor comes (perhaps only when
// recalled), is sent to the other line, or never comes.
func (d *day) serve(ctx context.Context, c *API, desk string, v *visitor, t queue.Ticket) {
	act := func(action string, body any) bool {
		var got queue.Ticket
		began := time.Now()
		_, err := c.Do(ctx, "POST", "/api/v1/tickets/"+t.ID+"/"+action, body, &got)
		d.took("action", time.Since(began))
		if err != nil {
			if ctx.Err() == nil {
				d.errorf("%s: %s %s: %v", desk, action, t.Number, err)
			}
			return false
		}
		return true
	}
	sleep := func(dur time.Duration) bool { return d.clock.Sleep(ctx, dur) == nil }
	switch {
	case v.NoShow:
		// Called, recalled twice, then marked a no-show.
		for j := range 2 {
			if !sleep(v.Pause[j]) || !act("recall", nil) {
				return
			}
			d.count("recall")
		}
		if !sleep(v.Pause[2]) || !act("no-show", nil) {
			return
		}
		d.count("no_show")
		d.mu.Lock()
		v.Finished = queue.StatusNoShow
		d.mu.Unlock()
		d.open.Add(-1)
		return
	case v.Late && !d.transferred(v):
		if !sleep(v.Pause[0]) || !act("recall", nil) {
			return
		}
		d.count("recall")
		if !sleep(v.Pause[1] / 2) {
			return
		}
	}
	if v.WrongLine && !d.transferred(v) {
		// A short talk shows the visitor belongs to the other service.
		if !sleep(v.Pause[2]) || !act("transfer", map[string]string{"line": other(t.Line)}) {
			return
		}
		d.mu.Lock()
		v.Transferred = true
		d.mu.Unlock()
		d.count("transfer")
		return
	}
	if !sleep(v.Service) || !act("done", nil) {
		return
	}
	d.count("done")
	d.mu.Lock()
	v.Finished = queue.StatusDone
	d.mu.Unlock()
	d.open.Add(-1)
}

// reconnects closes and reopens listeners during the day, where leaks and
// gaps show: with Churn a random one every Churn; otherwise display 1
// resumes with since after a break, display 2 starts afresh from a
// snapshot and the first console resumes.
func (d *day) reconnects(ctx context.Context, stop <-chan struct{}) {
	var screens []*Listener
	for _, l := range d.listen {
		if l.Kind != "kiosk" {
			screens = append(screens, l)
		}
	}
	cycle := func(l *Listener, resume bool, away time.Duration) {
		l.Close()
		select {
		case <-time.After(away):
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			return
		}
		if err := l.Connect(ctx, resume); err != nil {
			d.errorf("%s: reconnect: %v", l.Name, err)
		}
	}
	if d.p.Churn > 0 {
		rng := rand.New(rand.NewPCG(d.p.Seed, 0xc4))
		tick := time.NewTicker(d.p.Churn)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-tick.C:
				cycle(screens[rng.IntN(len(screens))], n%2 == 0, 50*time.Millisecond)
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}
	span := d.res.Close.Sub(d.res.Open)
	type plan struct {
		at     time.Duration
		l      *Listener
		resume bool
	}
	var plans []plan
	displays := 0
	for _, l := range screens {
		if l.Kind == "display" {
			switch displays {
			case 0:
				plans = append(plans, plan{span * 35 / 100, l, true})
			case 1:
				plans = append(plans, plan{span * 60 / 100, l, false})
			}
			displays++
		}
	}
	if len(d.console) > 0 {
		plans = append(plans, plan{span / 2, d.console[0], true})
	}
	slices.SortFunc(plans, func(a, b plan) int { return int(a.at - b.at) })
	for _, pl := range plans {
		at := d.res.Open.Add(pl.at)
		select {
		case <-time.After(d.clock.Real(at.Sub(d.clock.Now()))):
		case <-stop:
			return
		case <-ctx.Done():
			return
		}
		// Away for five simulated minutes: events pile up meanwhile.
		cycle(pl.l, pl.resume, d.clock.Real(5*time.Minute))
	}
}
