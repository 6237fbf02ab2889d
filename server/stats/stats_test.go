package stats_test

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/stats"
)

var berlin = mustLoc()

func mustLoc() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a time on 2026-03-11 (a Wednesday, CET) in Berlin.
func at(hour, min, sec int) time.Time {
	return time.Date(2026, 3, 11, hour, min, sec, 0, berlin).UTC()
}

func ptr(t time.Time) *time.Time { return &t }

// tk is one ticket of the synthetic day.
func tk(line, lang string, st queue.Status, issued time.Time, called, finished *time.Time) queue.StatsTicket {
	return queue.StatsTicket{Day: "2026-03-11", Line: line, Lang: lang, Status: st, IssuedAt: issued, CalledAt: called, FinishedAt: finished}
}

// syntheticDay is a morning of both lines. Its figures, by hand:
//
//	mbe 9h: 7 drawn; waits 10, 16 (15:31 rounds up), 21, 30, 30, 55, 50 min
//	        → sorted 10 16 21 30 30 50 55: median 30, p90 (rank 7) 55;
//	        6 served, counselling 20, 25, 21, 30, 15, 20 → sorted
//	        15 20 20 21 25 30: median 20.5; 1 no-show; 1 transfer;
//	        languages de 5, ar 1, uk 1.
//	mbe 10h: 1 drawn (tr), never called.
//	mbe 11h: nothing drawn, 3 turned away (counted apart).
//	jmd 9h: 2 drawn (uk), 1 served (wait 10, counselling 28), 1 no-show
//	        (wait 2): too few for time figures.
func syntheticDay() []queue.StatsTicket {
	done, noShow, expired := queue.StatusDone, queue.StatusNoShow, queue.StatusExpired
	transferred := tk("mbe", "de", done, at(9, 40, 0), ptr(at(10, 30, 0)), ptr(at(10, 50, 0)))
	transferred.Transfers = 1
	return []queue.StatsTicket{
		tk("mbe", "de", done, at(9, 0, 0), ptr(at(9, 10, 29)), ptr(at(9, 30, 29))),
		tk("mbe", "de", done, at(9, 5, 0), ptr(at(9, 20, 31)), ptr(at(9, 45, 31))),
		tk("mbe", "ar", done, at(9, 10, 0), ptr(at(9, 31, 0)), ptr(at(9, 52, 0))),
		tk("mbe", "de", noShow, at(9, 15, 0), ptr(at(9, 45, 0)), ptr(at(9, 50, 0))),
		tk("mbe", "uk", done, at(9, 20, 0), ptr(at(9, 50, 0)), ptr(at(10, 20, 0))),
		tk("mbe", "de", done, at(9, 30, 0), ptr(at(10, 25, 0)), ptr(at(10, 40, 0))),
		transferred,
		tk("mbe", "tr", expired, at(10, 5, 0), nil, ptr(at(23, 0, 0))),
		tk("jmd", "uk", done, at(9, 2, 0), ptr(at(9, 12, 0)), ptr(at(9, 40, 0))),
		tk("jmd", "uk", noShow, at(9, 20, 0), ptr(at(9, 22, 0)), ptr(at(9, 27, 0))),
	}
}

var turnedAway = []queue.TurnAwayCount{{Day: "2026-03-11", Line: "mbe", Hour: 11, N: 3}}

func TestAggregate(t *testing.T) {
	got := stats.Aggregate(syntheticDay(), berlin)
	want := []queue.Aggregate{
		{Day: "2026-03-11", Line: "jmd", Hour: 9, Drawn: 2, Served: 1, NoShows: 1,
			Langs: map[string]int{"uk": 2}, Wait: map[int]int{10: 1, 2: 1}, Service: map[int]int{28: 1}},
		{Day: "2026-03-11", Line: "mbe", Hour: 9, Drawn: 7, Served: 6, NoShows: 1, Transfers: 1,
			Langs:   map[string]int{"de": 5, "ar": 1, "uk": 1},
			Wait:    map[int]int{10: 1, 16: 1, 21: 1, 30: 2, 50: 1, 55: 1},
			Service: map[int]int{20: 2, 25: 1, 21: 1, 30: 1, 15: 1}},
		{Day: "2026-03-11", Line: "mbe", Hour: 10, Drawn: 1, Langs: map[string]int{"tr": 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("aggregates:\n got %+v\nwant %+v", got, want)
	}
}

func TestFigures(t *testing.T) {
	aggs := stats.Aggregate(syntheticDay(), berlin)
	if got, want := stats.FiguresOf(aggs[1]), (stats.Figures{WaitN: 7, WaitMedian: 30, WaitP90: 55, ServiceN: 6, ServiceMedian: 20.5}); got != want {
		t.Fatalf("mbe 9h figures=%+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		name     string
		h        map[int]int
		n        int
		med, p90 float64
	}{
		{"empty", nil, 0, 0, 0},
		{"one", map[int]int{5: 1}, 1, 5, 5},
		{"two", map[int]int{1: 1, 2: 1}, 2, 1.5, 2},
		{"ten", map[int]int{1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 10: 1}, 10, 5.5, 9},
		{"repeats", map[int]int{3: 4, 40: 1}, 5, 3, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, med := stats.Median(tc.h)
			_, p90 := stats.Percentile(tc.h, 90)
			if n != tc.n || med != tc.med || p90 != tc.p90 {
				t.Fatalf("n=%d median=%g p90=%g, want %d %g %g", n, med, p90, tc.n, tc.med, tc.p90)
			}
		})
	}
}

func TestSuppression(t *testing.T) {
	for n, want := range map[int]string{0: "0", 1: "<5", 4: "<5", 5: "5", 123: "123"} {
		if got := stats.Count(n); got != want {
			t.Errorf("Count(%d)=%q, want %q", n, got, want)
		}
	}
	if got := stats.Minutes(12.5, 4); got != "" {
		t.Errorf("a figure of 4 tickets: %q, want it left out", got)
	}
	if got := stats.Minutes(12.5, 5); got != "12.5" {
		t.Errorf("a figure of 5 tickets: %q", got)
	}
}

// TestRecords checks the CSV export of the synthetic day, figures by hand.
func TestRecords(t *testing.T) {
	aggs := stats.Collect(queue.StatsData{Tickets: syntheticDay(), TurnedAway: turnedAway}, berlin)
	got := stats.Records(aggs)
	want := []string{
		"day,line,hour,drawn,served,no_shows,transfers,turned_away,wait_median_min,wait_p90_min,service_median_min,lang_ar,lang_de,lang_tr,lang_uk",
		"2026-03-11,jmd,9,<5,<5,<5,0,0,,,,0,0,0,<5",
		"2026-03-11,mbe,9,7,6,<5,<5,0,30,55,20.5,<5,5,0,<5",
		"2026-03-11,mbe,10,<5,0,0,0,0,,,,0,0,<5,0",
		"2026-03-11,mbe,11,0,0,0,0,<5,,,,0,0,0,0",
	}
	lines := make([]string, len(got))
	for i, r := range got {
		lines[i] = strings.Join(r, ",")
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("records:\n got %s\nwant %s", strings.Join(lines, "\n     "), strings.Join(want, "\n     "))
	}
}

// TestCollectRetired checks that a day read from stored aggregates gives
// the same figures as the same day read from its tickets: retiring a day
// changes no statistic.
func TestCollectRetired(t *testing.T) {
	fromTickets := stats.Collect(queue.StatsData{Tickets: syntheticDay(), TurnedAway: turnedAway}, berlin)
	stored := stats.Aggregate(syntheticDay(), berlin)
	// A store might hand back a turn-away count in an aggregate by
	// mistake; the counters alone count.
	stored[0].TurnedAway = 99
	fromStored := stats.Collect(queue.StatsData{Aggregates: stored, TurnedAway: turnedAway}, berlin)
	if !reflect.DeepEqual(stats.Records(fromTickets), stats.Records(fromStored)) {
		t.Fatalf("from tickets %v\nfrom stored %v", stats.Records(fromTickets), stats.Records(fromStored))
	}
	// A day split between both (retired twice) adds up.
	ts := syntheticDay()
	half := stats.Aggregate(ts[:4], berlin)
	mixed := stats.Collect(queue.StatsData{Tickets: ts[4:], Aggregates: half, TurnedAway: turnedAway}, berlin)
	if !reflect.DeepEqual(stats.Records(fromTickets), stats.Records(mixed)) {
		t.Fatalf("mixed %v", stats.Records(mixed))
	}
}

// TestHourInOfficeTime checks that hours follow Berlin, also on the day
// summer time begins (2026-03-29, 02:00 → 03:00).
func TestHourInOfficeTime(t *testing.T) {
	for _, tc := range []struct {
		utc  time.Time
		hour int
	}{
		{time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), 1},
		{time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), 3},
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), 2},
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), 2},
		{time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC), 3},
	} {
		got := stats.Aggregate([]queue.StatsTicket{{Day: tc.utc.In(berlin).Format(time.DateOnly), Line: "mbe", Lang: "de", Status: queue.StatusWaiting, IssuedAt: tc.utc}}, berlin)
		if len(got) != 1 || got[0].Hour != tc.hour {
			t.Errorf("%v: %+v, want hour %d", tc.utc, got, tc.hour)
		}
	}
}

func TestLangs(t *testing.T) {
	sum := stats.Sum(stats.Aggregate(syntheticDay(), berlin))
	got := stats.Langs(sum)
	want := []stats.LangCount{{"de", 5}, {"uk", 3}, {"ar", 1}, {"tr", 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("langs=%v, want %v", got, want)
	}
	if sum.Drawn != 10 || sum.Served != 7 || sum.NoShows != 2 || !maps.Equal(sum.Langs, map[string]int{"de": 5, "uk": 3, "ar": 1, "tr": 1}) {
		t.Fatalf("sum=%+v", sum)
	}
}
