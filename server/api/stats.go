package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"wartemarke/server/queue"
	"wartemarke/server/report"
	"wartemarke/server/stats"
)

// Statistics for the services' reports, admins only: the CSV export, the
// monthly PDF report and the admin page with charts. Every figure comes
// from server/stats; counts under 5 are suppressed as in every export.

// statsRange reads and folds the statistics of service days from..to.
func (s *Server) statsRange(ctx context.Context, from, to string) ([]queue.Aggregate, error) {
	d, err := s.Svc.Stats(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return stats.Collect(d, s.Svc.Location), nil
}

// handleStatsCSV answers GET /api/v1/stats.csv?from=YYYY-MM-DD&to=YYYY-MM-DD:
// one record per day, line and hour, with a header.
func (s *Server) handleStatsCSV(w http.ResponseWriter, r *http.Request) {
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if _, _, err := queue.ParseRange(from, to); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	aggs, err := s.statsRange(r.Context(), from, to)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="wartemarke-`+from+`-`+to+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(stats.Records(aggs)); err != nil {
		s.Logger.Warn("stats export cut short", "err", err)
	}
}

var reportFile = regexp.MustCompile(`^([0-9]{4}-[0-9]{2})\.pdf$`)

// handleReport answers GET /api/v1/reports/{YYYY-MM}.pdf with the monthly
// report. (A ServeMux wildcard is a whole path segment, so the route
// takes the file name and checks it here.)
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	m := reportFile.FindStringSubmatch(r.PathValue("file"))
	if m == nil {
		writeError(w, r, s.Logger, queue.Errorf(queue.Invalid, "name the month like 2026-03.pdf"))
		return
	}
	month, err := time.Parse("2006-01", m[1])
	if err != nil {
		writeError(w, r, s.Logger, queue.Errorf(queue.Invalid, "%s is not a month like 2026-03", m[1]))
		return
	}
	last := month.AddDate(0, 1, -1)
	aggs, err := s.statsRange(r.Context(), month.Format(time.DateOnly), last.Format(time.DateOnly))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	pdf, err := report.Render(report.Month{
		Office: s.Client.Office, Year: month.Year(), Month: month.Month(), Lines: s.Svc.Lines,
		Aggregates: aggs, Created: s.Svc.Now(), Location: s.Svc.Location,
	})
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	// A download: the report is attached to a funding report, and a
	// browser's PDF viewer may not run under the strict CSP.
	w.Header().Set("Content-Disposition", `attachment; filename="wartemarke-`+m[1]+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}

// The admin page is rendered by the server with inline SVG: no script, no
// style attribute (the CSP allows neither), the look in /common/stats.css.
var statsTmpl = template.Must(template.New("stats").Parse(`<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statistik – Wartemarke</title>
<link rel="stylesheet" href="/common/base.css">
<link rel="stylesheet" href="/common/stats.css">
</head><body class="stats-page">
<header class="stats-head"><h1>Statistik der Sprechstunde</h1><p>{{.Office}}</p></header>
<main>
<form class="stats-range" method="get" action="/admin/stats">
<label for="from">Von</label> <input id="from" name="from" type="date" value="{{.From}}" required data-testid="from">
<label for="to">bis</label> <input id="to" name="to" type="date" value="{{.To}}" required data-testid="to">
<button type="submit" data-testid="show">Anzeigen</button>
</form>
{{if .Error}}<p class="stats-error" role="alert" data-testid="stats-error">{{.Error}}</p>{{else}}
<nav class="stats-downloads" aria-label="Downloads">
<a href="{{.CSV}}" data-testid="csv">CSV-Export {{.FromDE}}–{{.ToDE}}</a>
{{range .Reports}}<a href="{{.URL}}" data-testid="report">Monatsbericht {{.Label}} (PDF)</a>
{{end}}</nav>
<section aria-labelledby="sum-h"><h2 id="sum-h">Je Dienst</h2>
<table class="stats-table" data-testid="summary">
<thead><tr><th scope="col">Dienst</th><th scope="col">Gezogen</th><th scope="col">Beraten</th><th scope="col">Nicht erschienen</th><th scope="col">Weitergeleitet</th><th scope="col">Abgewiesen</th><th scope="col">Wartezeit Median</th><th scope="col">Wartezeit 90 %</th><th scope="col">Beratung Median</th></tr></thead>
<tbody>{{range .Lines}}<tr{{if .Total}} class="total"{{end}}><th scope="row">{{.Label}}</th><td>{{.Drawn}}</td><td>{{.Served}}</td><td>{{.NoShows}}</td><td>{{.Transfers}}</td><td>{{.TurnedAway}}</td><td>{{.WaitMedian}}</td><td>{{.WaitP90}}</td><td>{{.ServiceMedian}}</td></tr>
{{end}}</tbody></table>
<p class="stats-note">Zeiten in Minuten. Anzahlen von 1 bis 4 erscheinen als „&lt;5“, Zeiten aus weniger als 5 Fällen als „–“.</p>
</section>
{{range .Charts}}<section aria-labelledby="{{.ID}}-h"><h2 id="{{.ID}}-h">{{.Title}}</h2>
{{if .Empty}}<p>Keine Daten im gewählten Zeitraum.</p>{{else}}
<svg class="chart" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-labelledby="{{.ID}}-t {{.ID}}-d" data-testid="chart-{{.ID}}">
<title id="{{.ID}}-t">{{.Title}}</title><desc id="{{.ID}}-d">{{.Desc}}</desc>
{{range .Lines}}<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" class="{{.Class}}"/>
{{end}}{{range .Rects}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" class="{{.Class}}"><title>{{.Title}}</title></rect>
{{end}}{{range .Paths}}<polyline points="{{.Points}}" class="{{.Class}}"/>
{{end}}{{range .Dots}}<circle cx="{{.X}}" cy="{{.Y}}" r="3" class="{{.Class}}"><title>{{.Title}}</title></circle>
{{end}}{{range .Texts}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}" class="{{.Class}}">{{.Text}}</text>
{{end}}</svg>
{{if .Legend}}<ul class="legend">{{range .Legend}}<li><span class="swatch {{.Class}}" aria-hidden="true"></span>{{.Label}}</li>{{end}}</ul>{{end}}
{{if .Note}}<p class="stats-note">{{.Note}}</p>{{end}}
{{end}}</section>
{{end}}{{end}}
<p class="stats-note">Diese Seite zeigt nur Summen je Tag, Dienst und Stunde; Wartemarke speichert nichts über die Person.</p>
</main></body></html>
`))

type statsPage struct {
	Office, From, To, FromDE, ToDE, Error, CSV string
	Reports                                    []link
	Lines                                      []lineRow
	Charts                                     []chart
}

type link struct{ Label, URL string }

type lineRow struct {
	Label                                                                             string
	Total                                                                             bool
	Drawn, Served, NoShows, Transfers, TurnedAway, WaitMedian, WaitP90, ServiceMedian string
}

// chart is one inline SVG chart; coordinates are in its viewBox.
type chart struct {
	ID, Title, Desc, Note string
	W, H                  float64
	Empty                 bool
	Lines                 []svgLine
	Rects                 []svgRect
	Paths                 []svgPath
	Dots                  []svgDot
	Texts                 []svgText
	Legend                []legendItem
}

type svgLine struct {
	X1, Y1, X2, Y2 float64
	Class          string
}
type svgRect struct {
	X, Y, W, H   float64
	Class, Title string
}
type svgPath struct{ Points, Class string }
type svgDot struct {
	X, Y         float64
	Class, Title string
}
type svgText struct {
	X, Y                float64
	Anchor, Class, Text string
}
type legendItem struct{ Class, Label string }

// statsPageDays is the range the page shows without one given: the last
// 30 days.
const statsPageDays = 30

// handleStatsPage answers GET /admin/stats?from=&to= (admins; pageGate
// sends others to sign in).
func (s *Server) handleStatsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	today := s.Svc.Day(s.Svc.Now())
	if to == "" {
		to = today
	}
	if from == "" {
		if t, err := time.Parse(time.DateOnly, to); err == nil {
			from = t.AddDate(0, 0, -(statsPageDays - 1)).Format(time.DateOnly)
		}
	}
	p := statsPage{Office: s.Client.Office, From: from, To: to}
	status := http.StatusOK
	f, t, err := queue.ParseRange(from, to)
	var aggs []queue.Aggregate
	if err == nil {
		aggs, err = s.statsRange(r.Context(), from, to)
	}
	if err != nil {
		status = statusOf(queue.ErrorCode(err))
		p.Error = queue.ErrorMessage(err)
		if status >= 500 {
			s.Logger.Error("stats page", "err", err)
		}
	} else {
		s.fillStatsPage(&p, f, t, aggs)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := statsTmpl.Execute(w, p); err != nil {
		s.Logger.Error("stats page", "err", err)
	}
}

func (s *Server) fillStatsPage(p *statsPage, from, to time.Time, aggs []queue.Aggregate) {
	p.FromDE, p.ToDE = from.Format("02.01.2006"), to.Format("02.01.2006")
	p.CSV = "/api/v1/stats.csv?from=" + p.From + "&to=" + p.To
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(to); m = m.AddDate(0, 1, 0) {
		p.Reports = append(p.Reports, link{Label: report.Title(m.Year(), m.Month()), URL: "/api/v1/reports/" + m.Format("2006-01") + ".pdf"})
	}
	lines := s.lineIDs(aggs)
	var total queue.Aggregate
	for _, id := range lines {
		var sum queue.Aggregate
		for _, a := range aggs {
			if a.Line == id {
				sum.Add(a)
			}
		}
		total.Add(sum)
		p.Lines = append(p.Lines, summaryRow(strings.ToUpper(id), sum))
	}
	row := summaryRow("Zusammen", total)
	row.Total = true
	p.Lines = append(p.Lines, row)
	p.Charts = []chart{hourChart(aggs, lines), waitChart(aggs, from, to), langChart(total)}
}

// lineIDs are the configured lines, then any other line the figures have.
func (s *Server) lineIDs(aggs []queue.Aggregate) []string {
	var ids []string
	for _, l := range s.Svc.Lines {
		ids = append(ids, l.ID)
	}
	for _, a := range aggs {
		if !slices.Contains(ids, a.Line) {
			ids = append(ids, a.Line)
		}
	}
	return ids
}

func summaryRow(label string, a queue.Aggregate) lineRow {
	f := stats.FiguresOf(a)
	return lineRow{Label: label, Drawn: stats.Count(a.Drawn), Served: stats.Count(a.Served), NoShows: stats.Count(a.NoShows),
		Transfers: stats.Count(a.Transfers), TurnedAway: stats.Count(a.TurnedAway),
		WaitMedian: report.Minutes(f.WaitMedian, f.WaitN), WaitP90: report.Minutes(f.WaitP90, f.WaitN),
		ServiceMedian: report.Minutes(f.ServiceMedian, f.ServiceN)}
}

// Chart geometry, in viewBox units.
const (
	chartW     = 720.0
	chartH     = 280.0
	padLeft    = 44.0
	padRight   = 28.0
	padTop     = 22.0
	padBottom  = 34.0
	plotW      = chartW - padLeft - padRight
	plotH      = chartH - padTop - padBottom
	axisTicks  = 4
	langRowH   = 26.0
	langLabelW = 210.0
)

// niceMax rounds a chart's top value up to a number whose quarters are
// round too (the grid has four steps); at least 8, above the 5 that a
// suppressed bar reaches.
func niceMax(v float64) float64 {
	if v <= 8 {
		return 8
	}
	step := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.6, 2, 4, 6, 8, 10} {
		if m*step >= v {
			return m * step
		}
	}
	return 10 * step
}

// axes draws the horizontal grid with its labels from 0 to top.
func axes(c *chart, top float64, unit string) {
	for i := 0; i <= axisTicks; i++ {
		v := top * float64(i) / axisTicks
		y := padTop + plotH - plotH*float64(i)/axisTicks
		class := "grid"
		if i == 0 {
			class = "axis"
		}
		c.Lines = append(c.Lines, svgLine{X1: padLeft, Y1: y, X2: chartW - padRight, Y2: y, Class: class})
		c.Texts = append(c.Texts, svgText{X: padLeft - 6, Y: y + 4, Anchor: "end", Class: "tick", Text: strconv.FormatFloat(v, 'f', -1, 64) + unit})
	}
}

func seriesClass(i int) string { return "series-" + strconv.Itoa(i%4) }

// hourChart shows the tickets drawn per hour of the day, summed over the
// range, one bar per line. A count under 5 is drawn as a dashed outline
// up to 5 and labelled "<5".
func hourChart(aggs []queue.Aggregate, lines []string) chart {
	c := chart{ID: "hours", Title: "Gezogene Nummern je Stunde und Dienst", W: chartW, H: chartH,
		Desc: "Balken je Stunde der Ziehung und Dienst, summiert über den Zeitraum."}
	counts := map[string]map[int]int{}
	lo, hi := 24, -1
	for _, a := range aggs {
		if a.Drawn == 0 {
			continue
		}
		if counts[a.Line] == nil {
			counts[a.Line] = map[int]int{}
		}
		counts[a.Line][a.Hour] += a.Drawn
		lo, hi = min(lo, a.Hour), max(hi, a.Hour)
	}
	if hi < 0 {
		c.Empty = true
		return c
	}
	top := 0
	for _, m := range counts {
		for _, n := range m {
			top = max(top, n)
		}
	}
	yMax := niceMax(float64(top))
	axes(&c, yMax, "")
	hours := hi - lo + 1
	group := plotW / float64(hours)
	barW := group * 0.8 / float64(len(lines))
	for h := lo; h <= hi; h++ {
		gx := padLeft + group*float64(h-lo)
		c.Texts = append(c.Texts, svgText{X: gx + group/2, Y: chartH - padBottom + 18, Anchor: "middle", Class: "tick",
			Text: fmt.Sprintf("%d–%d", h, h+1)})
		for i, id := range lines {
			n := counts[id][h]
			if n == 0 {
				continue
			}
			class, shown := "bar "+seriesClass(i), float64(n)
			if n < stats.MinCount {
				class, shown = "bar bar-small "+seriesClass(i), stats.MinCount
			}
			bh := plotH * shown / yMax
			x := gx + group*0.1 + barW*float64(i)
			y := padTop + plotH - bh
			c.Rects = append(c.Rects, svgRect{X: x, Y: y, W: barW, H: bh, Class: class,
				Title: fmt.Sprintf("%s, %d–%d Uhr: %s", strings.ToUpper(id), h, h+1, stats.Count(n))})
			c.Texts = append(c.Texts, svgText{X: x + barW/2, Y: y - 5, Anchor: "middle", Class: "value", Text: stats.Count(n)})
		}
	}
	for i, id := range lines {
		if len(counts[id]) > 0 {
			c.Legend = append(c.Legend, legendItem{Class: seriesClass(i), Label: strings.ToUpper(id)})
		}
	}
	c.Note = "Stunde der Ziehung (Ortszeit). Gestrichelt: weniger als 5."
	return c
}

// waitChart shows each day's median and 90th percentile of the waiting
// time, both lines together; a day with fewer than 5 calls is left out.
func waitChart(aggs []queue.Aggregate, from, to time.Time) chart {
	c := chart{ID: "wait", Title: "Wartezeit je Tag (Minuten)", W: chartW, H: chartH,
		Desc: "Median und 90-%-Wert der Wartezeit je Tag, beide Dienste zusammen; Tage mit weniger als 5 Aufrufen fehlen."}
	perDay := map[string]queue.Aggregate{}
	for _, a := range aggs {
		d := perDay[a.Day]
		d.Add(a)
		perDay[a.Day] = d
	}
	days := int(to.Sub(from).Hours()/24) + 1
	type point struct {
		x    float64
		f    stats.Figures
		day  string
		show bool
	}
	var pts []point
	top := 0.0
	for i := range days {
		day := from.AddDate(0, 0, i).Format(time.DateOnly)
		f := stats.FiguresOf(perDay[day])
		x := padLeft + plotW/2
		if days > 1 {
			x = padLeft + plotW*float64(i)/float64(days-1)
		}
		ok := f.WaitN >= stats.MinCount
		if ok {
			top = max(top, f.WaitP90)
		}
		pts = append(pts, point{x: x, f: f, day: day, show: ok})
	}
	if top == 0 && !slices.ContainsFunc(pts, func(p point) bool { return p.show }) {
		c.Empty = true
		return c
	}
	yMax := niceMax(top)
	axes(&c, yMax, "")
	y := func(v float64) float64 { return padTop + plotH - plotH*v/yMax }
	for _, series := range []struct {
		class string
		value func(stats.Figures) float64
		label string
	}{
		{"line-p90", func(f stats.Figures) float64 { return f.WaitP90 }, "90 %"},
		{"line-median", func(f stats.Figures) float64 { return f.WaitMedian }, "Median"},
	} {
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				c.Paths = append(c.Paths, svgPath{Points: strings.Join(seg, " "), Class: series.class})
			}
			seg = nil
		}
		for _, p := range pts {
			if !p.show {
				flush()
				continue
			}
			v := series.value(p.f)
			seg = append(seg, fmt.Sprintf("%.1f,%.1f", p.x, y(v)))
			c.Dots = append(c.Dots, svgDot{X: p.x, Y: y(v), Class: series.class,
				Title: p.day + ": " + series.label + " " + report.Minutes(v, p.f.WaitN) + " min"})
		}
		flush()
		c.Legend = append(c.Legend, legendItem{Class: series.class, Label: series.label})
	}
	// Day labels: the first, the last and a few between.
	step := max(1, (days+6)/7)
	for i := 0; i < days; i += step {
		d := from.AddDate(0, 0, i)
		c.Texts = append(c.Texts, svgText{X: pts[i].x, Y: chartH - padBottom + 18, Anchor: "middle", Class: "tick", Text: d.Format("02.01.")})
	}
	c.Note = "Wartezeit: vom Ziehen der Nummer bis zum (letzten) Aufruf."
	return c
}

// langChart shows the kiosk languages of the range; under 5 a language is
// drawn as a dashed outline and labelled "<5", after the others by name.
func langChart(total queue.Aggregate) chart {
	c := chart{ID: "langs", Title: "Sprache an der Kiosk-Säule", W: chartW,
		Desc: "Gezogene Nummern je gewählter Sprache; Anzahlen unter 5 als „<5“."}
	langs := stats.Langs(total)
	if len(langs) == 0 {
		c.Empty, c.H = true, chartH
		return c
	}
	slices.SortStableFunc(langs, func(a, b stats.LangCount) int {
		sa, sb := a.N < stats.MinCount, b.N < stats.MinCount
		switch {
		case sa && !sb:
			return 1
		case sb && !sa:
			return -1
		case sa && sb:
			return strings.Compare(a.Lang, b.Lang)
		}
		return 0
	})
	top := float64(max(langs[0].N, stats.MinCount))
	barMax := chartW - langLabelW - 70
	c.H = langRowH*float64(len(langs)) + 10
	for i, l := range langs {
		y := 5 + langRowH*float64(i)
		shown, class := float64(l.N), "bar series-0"
		if l.N < stats.MinCount {
			shown, class = stats.MinCount, "bar bar-small series-0"
		}
		w := barMax * shown / top
		c.Texts = append(c.Texts, svgText{X: langLabelW - 8, Y: y + langRowH/2 + 4, Anchor: "end", Class: "label", Text: report.LangName(l.Lang)})
		c.Rects = append(c.Rects, svgRect{X: langLabelW, Y: y + 3, W: w, H: langRowH - 8, Class: class, Title: report.LangName(l.Lang) + ": " + stats.Count(l.N)})
		c.Texts = append(c.Texts, svgText{X: langLabelW + w + 6, Y: y + langRowH/2 + 4, Anchor: "start", Class: "value", Text: stats.Count(l.N)})
	}
	c.Note = "Die Sprache sagt nichts über Herkunft oder Staatsangehörigkeit; sie wird nur gezählt."
	return c
}
