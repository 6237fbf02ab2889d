// Package stats computes the consultation's statistics from what the store
// keeps: per-ticket rows of recent days and the aggregates of retired
// days. Every figure is per service day, issuing line and hour (the hour of
// the draw in the office's time zone): tickets drawn, served, no-shows,
// transfers, turned away at the cut-off, waiting time (median and 90th
// percentile of issued→called) and counselling time (median of
// called→finished), and kiosk languages as counts.
//
// Exports suppress small numbers: a count from 1 to 4 is written "<5", and
// a time figure resting on fewer than 5 tickets is left out. It does no
// I/O.
package stats

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"wartemarke/server/queue"
)

// MinCount is the smallest count an export shows as it is.
const MinCount = 5

// Aggregate folds per-ticket rows into one aggregate per day, issuing line
// and hour of the draw in loc, ordered by day, line and hour. Times are
// rounded to whole minutes. A ticket's called_at is its latest call, so a
// recall lengthens its waiting time and shortens its counselling time.
func Aggregate(ts []queue.StatsTicket, loc *time.Location) []queue.Aggregate {
	byKey := map[key]*queue.Aggregate{}
	for _, t := range ts {
		k := key{day: t.Day, line: t.Line, hour: t.IssuedAt.In(loc).Hour()}
		a := byKey[k]
		if a == nil {
			a = &queue.Aggregate{Day: k.day, Line: k.line, Hour: k.hour}
			byKey[k] = a
		}
		one := queue.Aggregate{Drawn: 1, Langs: map[string]int{t.Lang: 1}}
		switch t.Status {
		case queue.StatusDone:
			one.Served = 1
		case queue.StatusNoShow:
			one.NoShows = 1
		}
		if t.Transfers > 0 {
			one.Transfers = 1
		}
		if t.CalledAt != nil {
			one.Wait = map[int]int{minutes(t.CalledAt.Sub(t.IssuedAt)): 1}
			if t.Status == queue.StatusDone && t.FinishedAt != nil {
				one.Service = map[int]int{minutes(t.FinishedAt.Sub(*t.CalledAt)): 1}
			}
		}
		a.Add(one)
	}
	return sorted(byKey)
}

// Collect gives one aggregate per day, line and hour of d: the aggregates
// of its tickets (see Aggregate), its stored aggregates and its turn-away
// counts, ordered by day, line and hour.
func Collect(d queue.StatsData, loc *time.Location) []queue.Aggregate {
	byKey := map[key]*queue.Aggregate{}
	add := func(a queue.Aggregate) {
		k := key{day: a.Day, line: a.Line, hour: a.Hour}
		if byKey[k] == nil {
			byKey[k] = &queue.Aggregate{Day: a.Day, Line: a.Line, Hour: a.Hour}
		}
		byKey[k].Add(a)
	}
	for _, a := range Aggregate(d.Tickets, loc) {
		add(a)
	}
	for _, a := range d.Aggregates {
		// Stored aggregates never carry turn-aways; the counters do.
		a.TurnedAway = 0
		add(a)
	}
	for _, c := range d.TurnedAway {
		add(queue.Aggregate{Day: c.Day, Line: c.Line, Hour: c.Hour, TurnedAway: c.N})
	}
	return sorted(byKey)
}

type key struct {
	day, line string
	hour      int
}

func sorted(m map[key]*queue.Aggregate) []queue.Aggregate {
	out := make([]queue.Aggregate, 0, len(m))
	for _, a := range m {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Hour < b.Hour
	})
	return out
}

// minutes rounds d to whole minutes; a negative span (clocks of several
// instances disagreeing) counts as 0.
func minutes(d time.Duration) int {
	return max(0, int(math.Round(d.Minutes())))
}

// Sum adds aggregates up; its Day, Line and Hour are those of the first.
func Sum(aggs []queue.Aggregate) queue.Aggregate {
	var s queue.Aggregate
	for i, a := range aggs {
		if i == 0 {
			s.Day, s.Line, s.Hour = a.Day, a.Line, a.Hour
		}
		s.Add(a)
	}
	return s
}

// Figures are the time figures of an aggregate, in minutes, each with the
// number of tickets it rests on.
type Figures struct {
	WaitN         int
	WaitMedian    float64
	WaitP90       float64
	ServiceN      int
	ServiceMedian float64
}

// FiguresOf computes the time figures of a.
func FiguresOf(a queue.Aggregate) Figures {
	var f Figures
	f.WaitN, f.WaitMedian = Median(a.Wait)
	_, f.WaitP90 = Percentile(a.Wait, 90)
	f.ServiceN, f.ServiceMedian = Median(a.Service)
	return f
}

// values lists a histogram's values in order, each as often as counted.
func values(h map[int]int) []int {
	var out []int
	for v, n := range h {
		for range n {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// Median returns how many values h holds and their median (the mean of the
// two middle values for an even count; 0 when empty).
func Median(h map[int]int) (n int, median float64) {
	v := values(h)
	switch n = len(v); {
	case n == 0:
		return 0, 0
	case n%2 == 1:
		return n, float64(v[n/2])
	}
	return n, float64(v[n/2-1]+v[n/2]) / 2
}

// Percentile returns how many values h holds and their p-th percentile by
// the nearest-rank method: the smallest value with at least p % of the
// values at or below it.
func Percentile(h map[int]int, p int) (n int, value float64) {
	v := values(h)
	if n = len(v); n == 0 {
		return 0, 0
	}
	rank := max(1, (p*n+99)/100) // ceil(p/100 * n)
	return n, float64(v[rank-1])
}

// Count writes a count for an export: "<5" from 1 to 4.
func Count(n int) string {
	if n > 0 && n < MinCount {
		return "<" + strconv.Itoa(MinCount)
	}
	return strconv.Itoa(n)
}

// Minutes writes a time figure for an export, or "" when it rests on fewer
// than MinCount tickets.
func Minutes(v float64, n int) string {
	if n < MinCount {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Header is the first record of the CSV export; a column lang_<tag> per
// kiosk language follows it.
var Header = []string{"day", "line", "hour", "drawn", "served", "no_shows", "transfers", "turned_away",
	"wait_median_min", "wait_p90_min", "service_median_min"}

// Records are the CSV export of aggregates (as Collect gives them): the
// header, then one record per day, line and hour, with a column per kiosk
// language that occurs, in alphabetical order.
func Records(aggs []queue.Aggregate) [][]string {
	var langs []string
	for _, a := range aggs {
		for l := range a.Langs {
			if !slices.Contains(langs, l) {
				langs = append(langs, l)
			}
		}
	}
	slices.Sort(langs)
	head := slices.Clone(Header)
	for _, l := range langs {
		head = append(head, "lang_"+l)
	}
	out := [][]string{head}
	for _, a := range aggs {
		f := FiguresOf(a)
		rec := []string{a.Day, a.Line, strconv.Itoa(a.Hour),
			Count(a.Drawn), Count(a.Served), Count(a.NoShows), Count(a.Transfers), Count(a.TurnedAway),
			Minutes(f.WaitMedian, f.WaitN), Minutes(f.WaitP90, f.WaitN), Minutes(f.ServiceMedian, f.ServiceN)}
		for _, l := range langs {
			rec = append(rec, Count(a.Langs[l]))
		}
		out = append(out, rec)
	}
	return out
}

// LangCount is one kiosk language with its count.
type LangCount struct {
	Lang string
	N    int
}

// Langs lists the languages of a by count, most used first.
func Langs(a queue.Aggregate) []LangCount {
	out := make([]LangCount, 0, len(a.Langs))
	for l, n := range a.Langs {
		if n > 0 {
			out = append(out, LangCount{l, n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Lang < out[j].Lang
	})
	return out
}
