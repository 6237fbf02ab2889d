package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"wartemarke/server/api"
	"wartemarke/server/auth"
	"wartemarke/server/queue"
	"wartemarke/server/queue/queuetest"
)

// statsDay fills the store with a consultation morning, Wednesday
// 2026-03-11, and leaves the clock at 12:00. By hand:
//
//	mbe 9h: 6 drawn 9:00–9:25 (5 de, 1 ar), called every 10 min from 9:30
//	        at one desk: waits 30 35 40 45 50 55 → median 42.5, p90
//	        (rank 6) 55; 5 served in 10 min each; the last a no-show.
//	jmd 10h: 1 drawn at 10:40 (uk), transferred to mbe, never called.
//	mbe 11h: 2 turned away at the cut-off.
func statsDay(t *testing.T, svc *queue.Service, clock *queuetest.Clock) {
	t.Helper()
	berlin := svc.Location
	at := func(h, m int) { clock.Set(time.Date(2026, 3, 11, h, m, 0, 0, berlin)) }
	ctx := t.Context()
	langs := []string{"de", "de", "ar", "de", "de", "de"}
	var ids []string
	for i, lang := range langs {
		at(9, 5*i)
		tk, _, err := svc.Draw(ctx, "mbe", lang, "", "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	for i := range ids {
		at(9, 30+10*i)
		queuetest.MustNext(t, svc, "Raum 1", "mbe")
	}
	at(10, 30)
	queuetest.MustAct(t, svc, ids[5], queue.ActNoShow, "")
	at(10, 40)
	j, _, err := svc.Draw(ctx, "jmd", "uk", "", "")
	if err != nil {
		t.Fatal(err)
	}
	queuetest.MustAct(t, svc, j.ID, queue.ActTransfer, "mbe")
	at(11, 30)
	for range 2 {
		if err := svc.TurnedAway(ctx, "mbe"); err != nil {
			t.Fatal(err)
		}
	}
	at(12, 0)
}

// serveStats starts the API over a store holding statsDay.
func serveStats(t *testing.T) *env {
	t.Helper()
	clock := queuetest.NewClock(time.Now())
	var svc *queue.Service
	e := MustServeWith(t, func(s *api.Server) {
		svc = s.Svc
		svc.Now = clock.Now
		s.Client.Office = "Bürgerbüro Offenbach am Main"
	})
	statsDay(t, svc, clock)
	return e
}

func TestStatsCSV(t *testing.T) {
	e := serveStats(t)
	r := e.do(t, "GET", "/api/v1/stats.csv?from=2026-03-01&to=2026-03-31", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="wartemarke-2026-03-01-2026-03-31.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	want := strings.Join([]string{
		"day,line,hour,drawn,served,no_shows,transfers,turned_away,wait_median_min,wait_p90_min,service_median_min,lang_ar,lang_de,lang_uk",
		"2026-03-11,jmd,10,<5,0,0,<5,0,,,,0,0,<5",
		"2026-03-11,mbe,9,6,5,<5,0,0,42.5,55,10,<5,5,0",
		"2026-03-11,mbe,11,0,0,0,0,<5,,,,0,0,0",
	}, "\n") + "\n"
	if got := string(r.body); got != want {
		t.Fatalf("csv:\n%s\nwant:\n%s", got, want)
	}
	// Another range holds nothing but the header.
	if r := e.do(t, "GET", "/api/v1/stats.csv?from=2026-03-12&to=2026-03-12", ""); r.status != 200 || strings.Count(string(r.body), "\n") != 1 {
		t.Fatalf("empty range: %d %q", r.status, r.body)
	}
	for _, q := range []string{
		"", "from=2026-03-01", "from=2026-3-1&to=2026-03-31", "from=2026-03-01&to=gestern", "from=2026-02-30&to=2026-03-31",
		"from=2026-03-31&to=2026-03-01", "from=2025-03-01&to=2026-03-02",
	} {
		r := e.do(t, "GET", "/api/v1/stats.csv?"+q, "")
		if r.status != 422 || r.errorCode(t) != "invalid" {
			t.Errorf("?%s: %d %s, want 422 invalid", q, r.status, r.body)
		}
	}
	// 366 days is the longest range.
	if r := e.do(t, "GET", "/api/v1/stats.csv?from=2025-03-11&to=2026-03-11", ""); r.status != 200 {
		t.Errorf("366 days: %d %s", r.status, r.body)
	}
	counsellor := e.user(t, "berater", auth.RoleCounsellor)
	if r := e.do(t, "GET", "/api/v1/stats.csv?from=2026-03-01&to=2026-03-31", "", "Authorization", "Bearer "+counsellor); r.status != 403 {
		t.Errorf("counsellor: %d", r.status)
	}
}

func TestReportRoute(t *testing.T) {
	e := serveStats(t)
	r := e.do(t, "GET", "/api/v1/reports/2026-03.pdf", "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(r.body), "%PDF-") {
		t.Fatalf("report: %d %s %.40q", r.status, r.header.Get("Content-Type"), r.body)
	}
	for _, f := range []string{"2026-13.pdf", "2026-03.csv", "März.pdf", "2026-3.pdf"} {
		if r := e.do(t, "GET", "/api/v1/reports/"+f, ""); r.status != 422 {
			t.Errorf("%s: %d %s", f, r.status, r.body)
		}
	}
}

func TestStatsPage(t *testing.T) {
	e := serveStats(t)
	counsellor := e.user(t, "berater", auth.RoleCounsellor)
	get := func(path, token string) response {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return response{status: res.StatusCode, header: res.Header, body: []byte(b.String())}
	}
	for _, token := range []string{"", counsellor, e.kiosk} {
		if r := get("/admin/stats", token); r.status != 303 || r.header.Get("Location") != "/signin?next=/admin/stats" {
			t.Errorf("without an admin: %d to %q", r.status, r.header.Get("Location"))
		}
	}
	r := get("/admin/stats?from=2026-03-01&to=2026-03-31", e.staff)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", r.status, r.body)
	}
	page := string(r.body)
	for _, want := range []string{
		`<html lang="de">`, `href="/common/stats.css"`,
		`href="/api/v1/stats.csv?from=2026-03-01&amp;to=2026-03-31"`, `href="/api/v1/reports/2026-03.pdf"`,
		`data-testid="chart-hours"`, `data-testid="chart-wait"`, `data-testid="chart-langs"`,
		`<th scope="row">MBE</th><td>6</td><td>5</td><td>&lt;5</td><td>0</td><td>&lt;5</td><td>42,5</td><td>55</td><td>10</td>`,
		`Deutsch (de)`, `Arabisch (ar): &lt;5`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The CSP forbids inline styles and scripts; nothing leaves the site.
	for _, bad := range []string{"style=", "<style", "<script", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, "http://www.w3.org", ""), bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	if n := len(regexp.MustCompile(`<svg `).FindAllString(page, -1)); n != 3 {
		t.Errorf("%d charts, want 3", n)
	}
	// Without a range it shows the last 30 days up to today (the clock's).
	if r := get("/admin/stats", e.staff); r.status != 200 || !strings.Contains(string(r.body), `value="2026-02-10"`) || !strings.Contains(string(r.body), `value="2026-03-11"`) {
		t.Errorf("default range: %d", r.status)
	}
	if r := get("/admin/stats?from=2026-03-31&to=2026-03-01", e.staff); r.status != 422 || !strings.Contains(string(r.body), `data-testid="stats-error"`) {
		t.Errorf("bad range: %d", r.status)
	}
}
