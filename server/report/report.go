// Package report lays out the monthly statistics report as a PDF (A4,
// go-pdf/fpdf, the DejaVu Sans fonts embedded in the printer package): the
// page a service lead attaches to a funding report. It holds aggregates
// only, with the exports' suppression of small numbers (see server/stats).
package report

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"wartemarke/printer"
	"wartemarke/server/queue"
	"wartemarke/server/stats"
)

// Month is what a monthly report shows.
type Month struct {
	// Office is the office's name, as on the slips.
	Office string
	// Year and Month name the month.
	Year  int
	Month time.Month
	// Lines are the configured lines, in their order.
	Lines []queue.Line
	// Aggregates are the month's figures per day, line and hour, as
	// stats.Collect gives them.
	Aggregates []queue.Aggregate
	// Created is when the report is made; its footer says so.
	Created  time.Time
	Location *time.Location
}

var monthNames = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
	"September", "Oktober", "November", "Dezember"}

var weekdayNames = [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}

// LangNames are the German names of the kiosk languages.
var LangNames = map[string]string{
	"de": "Deutsch", "en": "Englisch", "tr": "Türkisch", "ro": "Rumänisch", "bg": "Bulgarisch",
	"pl": "Polnisch", "el": "Griechisch", "it": "Italienisch", "hr": "Kroatisch/Bosnisch/Serbisch",
	"uk": "Ukrainisch", "ar": "Arabisch", "fa": "Persisch/Dari", "ru": "Russisch",
	"ku": "Kurdisch/Kurmancî", "ps": "Paschtu", "ti": "Tigrinya", "so": "Somali",
	"es": "Spanisch", "fr": "Französisch",
}

// LangName is a kiosk language's German name with its tag, or the tag.
func LangName(tag string) string {
	if n, ok := LangNames[strings.ToLower(tag)]; ok {
		return n + " (" + tag + ")"
	}
	return tag
}

// Title is the month in words: "März 2026".
func Title(year int, m time.Month) string {
	return monthNames[m-1] + " " + strconv.Itoa(year)
}

// Page layout, in millimetres.
const (
	margin   = 18.0
	rowH     = 6.5
	fontBody = 9.5
)

const font = "DejaVuSans"

// Render lays out the report and returns the PDF.
func Render(m Month) ([]byte, error) {
	if m.Month < time.January || m.Month > time.December {
		return nil, fmt.Errorf("report: month %d", m.Month)
	}
	loc := m.Location
	if loc == nil {
		loc = time.UTC
	}
	regular, bold := printer.DejaVuSans()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(font, "", regular)
	pdf.AddUTF8FontFromBytes(font, "B", bold)
	title := "Wartemarke – Monatsbericht " + Title(m.Year, m.Month)
	pdf.SetTitle(title, true)
	pdf.SetSubject("Nutzung der offenen Sprechstunde, ohne personenbezogene Daten", true)
	pdf.SetCreator("Wartemarke", true)
	pdf.SetLang("de")
	pdf.SetCreationDate(m.Created)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	pdf.AliasNbPages("{nb}")
	created := m.Created.In(loc).Format("02.01.2006 15:04")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(font, "", 7.5)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 4, "Erstellt am "+created+" mit Wartemarke · Seite "+strconv.Itoa(pdf.PageNo())+" von {nb}", "", 0, "C", false, 0, "")
	})
	pdf.AddPage()

	pdf.SetFont(font, "B", 16)
	pdf.SetTextColor(15, 39, 66)
	pdf.MultiCell(0, 8, m.Office, "", "L", false)
	pdf.SetFont(font, "B", 13)
	pdf.MultiCell(0, 7, "Offene Sprechstunde der Migrationsberatung – "+Title(m.Year, m.Month), "", "L", false)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont(font, "", fontBody)
	days := map[string]bool{}
	for _, a := range m.Aggregates {
		if a.Drawn > 0 {
			days[a.Day] = true
		}
	}
	pdf.MultiCell(0, 5, fmt.Sprintf("Tage mit gezogenen Nummern: %d", len(days)), "", "L", false)
	pdf.Ln(3)

	lines, perLine := byLine(m)
	total := stats.Sum(m.Aggregates)

	heading(pdf, "Je Dienst")
	rows := [][]string{}
	for i, id := range lines {
		a := perLine[i]
		rows = append(rows, []string{strings.ToUpper(id), stats.Count(a.Drawn), stats.Count(a.Served), stats.Count(a.NoShows),
			stats.Count(a.Transfers), stats.Count(a.TurnedAway)})
	}
	rows = append(rows, []string{"Zusammen", stats.Count(total.Drawn), stats.Count(total.Served), stats.Count(total.NoShows),
		stats.Count(total.Transfers), stats.Count(total.TurnedAway)})
	table(pdf, []float64{34, 27, 27, 30, 28, 28}, "LRRRRR",
		[]string{"Dienst", "Gezogen", "Beraten", "Nicht erschienen", "Weitergeleitet", "Abgewiesen¹"}, rows)
	pdf.SetFont(font, "", 7.5)
	for _, id := range lines {
		name := id
		for _, l := range m.Lines {
			if l.ID == id {
				name = l.Name
			}
		}
		pdf.MultiCell(0, 3.8, strings.ToUpper(id)+": "+name, "", "L", false)
	}
	pdf.MultiCell(0, 3.8, "¹ Abgewiesen: an der Kiosk-Säule keine Nummer mehr ausgegeben, weil die erwartete Wartezeit über das Ende der Sprechstunde hinaus reichte.", "", "L", false)
	pdf.Ln(3)

	heading(pdf, "Wartezeit und Beratungsdauer (Minuten)")
	rows = rows[:0]
	for i, id := range lines {
		rows = append(rows, timeRow(strings.ToUpper(id), perLine[i]))
	}
	rows = append(rows, timeRow("Zusammen", total))
	table(pdf, []float64{34, 36, 36, 36, 32}, "LRRRR",
		[]string{"Dienst", "Wartezeit Median", "Wartezeit 90 %²", "Beratung Median", "Aufgerufen"}, rows)
	pdf.SetFont(font, "", 7.5)
	pdf.MultiCell(0, 3.8, "² 90 % der aufgerufenen Personen warteten höchstens so lange. Wartezeit: vom Ziehen der Nummer bis zum Aufruf "+
		"(bei wiederholtem Aufruf bis zum letzten); Beratungsdauer: vom Aufruf bis zum Abschluss. „–“: weniger als 5 Fälle.", "", "L", false)
	pdf.Ln(3)

	weekdayTable(pdf, m, loc)
	langTable(pdf, total)

	pdf.Ln(2)
	heading(pdf, "Datenschutz")
	pdf.SetFont(font, "", fontBody)
	pdf.MultiCell(0, 4.8, "Dieser Bericht enthält keine personenbezogenen Daten: nur Anzahlen und Zeiten je Tag, Dienst und Stunde. "+
		"Wartemarke erfasst keine Namen, kein Geburtsdatum, keine Staatsangehörigkeit und keine Inhalte der Beratung. "+
		"Anzahlen von 1 bis 4 sind als „<5“ ausgewiesen; Zeitangaben aus weniger als 5 Fällen fehlen. "+
		"Die Daten einzelner Wartenummern werden nach wenigen Tagen zu solchen Summen zusammengefasst und gelöscht.", "", "L", false)

	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("report %s: %w", Title(m.Year, m.Month), err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("report %s: %w", Title(m.Year, m.Month), err)
	}
	return buf.Bytes(), nil
}

// byLine sums the aggregates per line: the configured lines first, in
// their order, then any other line the month has (one removed since).
func byLine(m Month) ([]string, []queue.Aggregate) {
	var ids []string
	for _, l := range m.Lines {
		ids = append(ids, l.ID)
	}
	var extra []string
	for _, a := range m.Aggregates {
		if !slices.Contains(ids, a.Line) && !slices.Contains(extra, a.Line) {
			extra = append(extra, a.Line)
		}
	}
	slices.Sort(extra)
	ids = append(ids, extra...)
	sums := make([]queue.Aggregate, len(ids))
	for _, a := range m.Aggregates {
		sums[slices.Index(ids, a.Line)].Add(a)
	}
	return ids, sums
}

func timeRow(label string, a queue.Aggregate) []string {
	f := stats.FiguresOf(a)
	return []string{label, Minutes(f.WaitMedian, f.WaitN), Minutes(f.WaitP90, f.WaitN),
		Minutes(f.ServiceMedian, f.ServiceN), stats.Count(f.WaitN)}
}

// Minutes writes a time figure the German way ("17,5"), or "–" for one
// resting on too few tickets.
func Minutes(v float64, n int) string {
	s := stats.Minutes(v, n)
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(s, ".", ",")
}

// weekdayTable shows the tickets drawn per weekday and hour of the month.
func weekdayTable(pdf *fpdf.Fpdf, m Month, loc *time.Location) {
	type cell struct {
		wd   time.Weekday
		hour int
	}
	counts := map[cell]int{}
	days := map[time.Weekday]map[string]bool{}
	var hours []int
	for _, a := range m.Aggregates {
		if a.Drawn == 0 {
			continue
		}
		d, err := time.ParseInLocation(time.DateOnly, a.Day, loc)
		if err != nil {
			continue
		}
		wd := d.Weekday()
		counts[cell{wd, a.Hour}] += a.Drawn
		if days[wd] == nil {
			days[wd] = map[string]bool{}
		}
		days[wd][a.Day] = true
		if !slices.Contains(hours, a.Hour) {
			hours = append(hours, a.Hour)
		}
	}
	heading(pdf, "Gezogene Nummern je Wochentag und Stunde")
	if len(hours) == 0 {
		pdf.SetFont(font, "", fontBody)
		pdf.MultiCell(0, 5, "Keine.", "", "L", false)
		pdf.Ln(2)
		return
	}
	slices.Sort(hours)
	// Every hour from the first to the last, so gaps show.
	span := []int{}
	for h := hours[0]; h <= hours[len(hours)-1]; h++ {
		span = append(span, h)
	}
	// Wide tables (a consultation over the whole day) get narrow columns.
	first := 38.0
	w := min(16.0, (210-2*margin-first)/float64(len(span)))
	widths := []float64{first}
	head := []string{"Wochentag"}
	aligns := "L"
	for _, h := range span {
		widths = append(widths, w)
		head = append(head, fmt.Sprintf("%d–%d", h, h+1))
		aligns += "R"
	}
	var rows [][]string
	// Monday first, as in a German calendar.
	for _, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		if len(days[wd]) == 0 {
			continue
		}
		n := len(days[wd])
		label := fmt.Sprintf("%s (%d Tage)", weekdayNames[wd], n)
		if n == 1 {
			label = weekdayNames[wd] + " (1 Tag)"
		}
		row := []string{label}
		for _, h := range span {
			row = append(row, stats.Count(counts[cell{wd, h}]))
		}
		rows = append(rows, row)
	}
	table(pdf, widths, aligns, head, rows)
	pdf.SetFont(font, "", 7.5)
	pdf.MultiCell(0, 3.8, "Stunde der Ziehung (Ortszeit), beide Dienste zusammen, summiert über die Tage des Monats.", "", "L", false)
	pdf.Ln(3)
}

// langTable shows the kiosk languages chosen, suppressed under 5.
func langTable(pdf *fpdf.Fpdf, total queue.Aggregate) {
	heading(pdf, "Sprache an der Kiosk-Säule")
	langs := stats.Langs(total)
	if len(langs) == 0 {
		pdf.SetFont(font, "", fontBody)
		pdf.MultiCell(0, 5, "Keine.", "", "L", false)
		return
	}
	// Suppressed languages go last, by name: their order would hint at
	// their counts.
	sort.SliceStable(langs, func(i, j int) bool {
		si, sj := langs[i].N < stats.MinCount, langs[j].N < stats.MinCount
		if si != sj {
			return sj
		}
		if si {
			return langs[i].Lang < langs[j].Lang
		}
		return false
	})
	var rows [][]string
	for _, l := range langs {
		share := "–"
		if l.N >= stats.MinCount && total.Drawn > 0 {
			share = strconv.Itoa(int(float64(l.N)*100/float64(total.Drawn)+0.5)) + " %"
		}
		rows = append(rows, []string{LangName(l.Lang), stats.Count(l.N), share})
	}
	table(pdf, []float64{80, 30, 30}, "LRR", []string{"Sprache", "Nummern", "Anteil"}, rows)
}

func heading(pdf *fpdf.Fpdf, s string) {
	// Keep a heading with at least the first rows of its table.
	if pdf.GetY() > 297-margin-30 {
		pdf.AddPage()
	}
	pdf.SetFont(font, "B", 11)
	pdf.SetTextColor(15, 39, 66)
	pdf.CellFormat(0, 7, s, "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
}

// table draws a header row and rows; aligns has one letter per column.
func table(pdf *fpdf.Fpdf, widths []float64, aligns string, head []string, rows [][]string) {
	pdf.SetFont(font, "B", 8.5)
	pdf.SetFillColor(228, 233, 240)
	pdf.SetDrawColor(150, 160, 175)
	for i, h := range head {
		pdf.CellFormat(widths[i], rowH, h, "1", 0, string(aligns[i]), true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont(font, "", fontBody)
	for _, r := range rows {
		if pdf.GetY()+rowH > 297-margin {
			pdf.AddPage()
		}
		bold := r[0] == "Zusammen"
		if bold {
			pdf.SetFont(font, "B", fontBody)
		}
		for i, c := range r {
			pdf.CellFormat(widths[i], rowH, c, "1", 0, string(aligns[i]), false, 0, "")
		}
		pdf.Ln(-1)
		if bold {
			pdf.SetFont(font, "", fontBody)
		}
	}
	pdf.Ln(1.5)
}
