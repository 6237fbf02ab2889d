package report_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"wartemarke/internal/testenv"
	"wartemarke/server/queue"
	"wartemarke/server/report"
	"wartemarke/server/stats"
)

// syntheticMonth is March 2026 with three Wednesday consultations (11th,
// 18th, 25th) and one Thursday ticket. Each Wednesday:
//
//	MBE: 6 tickets 9:00–9:50 (4 de, 2 ar), waits 5 10 15 20 25 30 min,
//	     all served, counselling 20 20 30 30 40 40 min; 2 turned away.
//	JMD: 2 tickets at 10:05 and 10:35 (uk), waits 10 and 2 min, one
//	     served (25 min), one no-show.
//
// Thursday the 12th: one JMD ticket at 11:00 (fa), never called.
//
// By hand: MBE 18 drawn, 18 served, 0 no-shows, 6 turned away; waits
// 5…30 three times each, median (15+20)/2 = 17.5, p90 rank 17 = 30;
// counselling 20, 30, 40 six times each, median 30. JMD 7 drawn, 3 served,
// 3 no-shows; waits 2 and 10 three times each, median 6, p90 rank 6 = 10;
// counselling from 3 tickets: left out. Together 25 drawn, 21 served; 24
// called, waits 2×3 5×3 10×6 15×3 20×3 25×3 30×3: median (10+15)/2 = 12.5,
// p90 rank 22 = 30; counselling 20×6 25×3 30×6 40×6: median (11th) 30.
// Wednesday 9–10: 18, 10–11: 6, 11–12: 0;
// Thursday 11–12: 1 (<5). Languages: de 12 (48 %), ar 6 (24 %), uk 6
// (24 %), fa 1 (<5).
func syntheticMonth(loc *time.Location) queue.StatsData {
	var d queue.StatsData
	at := func(day, h, m int) time.Time { return time.Date(2026, 3, day, h, m, 0, 0, loc).UTC() }
	add := func(day int, line, lang string, st queue.Status, issued time.Time, wait, service int) {
		t := queue.StatsTicket{Day: issued.In(loc).Format(time.DateOnly), Line: line, Lang: lang, Status: st, IssuedAt: issued}
		if wait >= 0 {
			c := issued.Add(time.Duration(wait) * time.Minute)
			f := c.Add(time.Duration(max(service, 3)) * time.Minute)
			t.CalledAt, t.FinishedAt = &c, &f
		}
		d.Tickets = append(d.Tickets, t)
	}
	for _, day := range []int{11, 18, 25} {
		langs := []string{"de", "de", "ar", "de", "ar", "de"}
		for i, w := range []int{5, 10, 15, 20, 25, 30} {
			add(day, "mbe", langs[i], queue.StatusDone, at(day, 9, 10*i), w, []int{20, 20, 30, 30, 40, 40}[i])
		}
		add(day, "jmd", "uk", queue.StatusDone, at(day, 10, 5), 10, 25)
		add(day, "jmd", "uk", queue.StatusNoShow, at(day, 10, 35), 2, 0)
		d.TurnedAway = append(d.TurnedAway, queue.TurnAwayCount{Day: at(day, 12, 0).In(loc).Format(time.DateOnly), Line: "mbe", Hour: 11, N: 2})
	}
	add(12, "jmd", "fa", queue.StatusExpired, at(12, 11, 0), -1, 0)
	return d
}

func TestMonthlyReport(t *testing.T) {
	pdftotext := testenv.LookPath(t, "pdftotext", "poppler-utils")
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	aggs := stats.Collect(syntheticMonth(loc), loc)
	pdf, err := report.Render(report.Month{
		Office: "Bürgerbüro Offenbach am Main", Year: 2026, Month: time.March,
		Lines: queue.DefaultLines(), Aggregates: aggs, Location: loc,
		Created: time.Date(2026, 4, 1, 8, 30, 0, 0, loc),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("not a PDF: %.20q", pdf)
	}
	path := filepath.Join(t.TempDir(), "bericht.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := regexp.MustCompile(`[ \t]+`).ReplaceAllString(string(out), " ")
	for _, want := range []string{
		"Bürgerbüro Offenbach am Main",
		"März 2026",
		"Tage mit gezogenen Nummern: 4",
		"MBE 18 18 0 0 6",
		"JMD 7 <5 <5 0 0",
		"Zusammen 25 21 <5 0 6",
		"MBE 17,5 30 30 18",
		"JMD 6 10 – 6",
		"Zusammen 12,5 30 30 24",
		"Mittwoch (3 Tage) 18 6 0",
		"Donnerstag (1 Tag) 0 0 <5",
		"Deutsch (de) 12 48 %",
		"Arabisch (ar) 6 24 %",
		"Ukrainisch (uk) 6 24 %",
		"Persisch/Dari (fa) <5 –",
		"keine personenbezogenen Daten",
		"Erstellt am 01.04.2026 08:30",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("pdftotext:\n%s", out)
	}
}
