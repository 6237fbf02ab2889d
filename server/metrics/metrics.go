// Package metrics exposes Wartemarke's operational figures at /metrics in
// the Prometheus text format: tickets drawn, called and finished per line,
// how many wait now, the wait from draw to call, connected screens, the
// slip printers' state, and the latency of the store and of API requests.
//
// It holds no visitor data. Labels are line ids, route patterns, printer
// (kiosk) names and device kinds – never a ticket id, number, token,
// language, client address or account name.
//
// Counters count the events of the store's log that the process reads
// after it starts (the event hub hands each page to Observe; they begin at
// 0 after a restart, as Prometheus expects of counters). With several
// instances on one Redis each instance counts every event of the site:
// aggregate them with max, not sum.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"wartemarke/server/queue"
)

// Namespace starts every metric name.
const Namespace = "wartemarke"

// Timing of the background work, each with its reason.
const (
	// pingEvery: often enough that a slow disk shows within a scrape
	// interval, rare enough to cost nothing.
	pingEvery = 10 * time.Second
	// scrapeWait bounds the store reads a scrape makes (waiting counts),
	// below Prometheus's default scrape timeout of 10 s.
	scrapeWait = 3 * time.Second
)

// waitBuckets are the wait from draw to call, in seconds: minutes to four
// hours, the range of a walk-in morning.
var waitBuckets = []float64{60, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400}

// PrinterState is one slip printer's state for the printer gauge.
type PrinterState struct {
	// Printer names the printer: the kiosk it belongs to, or "default".
	Printer string
	// State is ok, warning, error or unknown.
	State string
}

// Options are what the metrics read.
type Options struct {
	// Service gives the store (pinged for latency), the lines and today's
	// snapshot (waiting counts).
	Service *queue.Service
	// Clients counts the connected event-stream clients by kind (kiosk,
	// display, staff, other); nil reports none.
	Clients func(ctx context.Context) map[string]int
	// Printers lists the slip printers' states; nil reports none.
	Printers func() []PrinterState
	// Version is the build's version, reported as wartemarke_build_info.
	Version string
	Logger  *slog.Logger
}

// Metrics is the registry and the collectors of one service.
type Metrics struct {
	opt Options
	reg *prometheus.Registry

	drawn    *prometheus.CounterVec
	called   *prometheus.CounterVec
	recalled *prometheus.CounterVec
	finished *prometheus.CounterVec
	slips    *prometheus.CounterVec
	wait     *prometheus.HistogramVec
	ping     prometheus.Histogram
	pingFail prometheus.Counter
	requests *prometheus.HistogramVec
}

// New builds the metrics; Run follows the event log and pings the store.
func New(opt Options) *Metrics {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{opt: opt, reg: prometheus.NewRegistry()}
	f := factory{m.reg}
	m.drawn = f.counter("tickets_drawn_total", "Tickets drawn at the kiosks, by the line whose number they got.", "line")
	m.called = f.counter("tickets_called_total", "Tickets called to a desk (first calls, out-of-order calls and calls after a put-back), by line.", "line")
	m.recalled = f.counter("tickets_recalled_total", "Repeated calls of a ticket already called, by line.", "line")
	m.finished = f.counter("tickets_finished_total", "Tickets that left the queue, by line and outcome (done, no_show, expired).", "line", "outcome")
	m.slips = f.counter("slips_total", "Slip print outcomes (printed, failed).", "outcome")
	m.wait = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "wait_seconds",
		Help: "Time from drawing a ticket to its call, observed at each call, by line.", Buckets: waitBuckets}, []string{"line"})
	m.ping = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "store_ping_seconds",
		Help:    "Time the ticket store takes to answer a ping, every " + pingEvery.String() + ".",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}})
	m.pingFail = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "store_ping_failures_total",
		Help: "Pings the ticket store did not answer."})
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern and status class (2xx, 4xx, …); the event stream is not counted.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route", "status"})
	m.reg.MustRegister(m.wait, m.ping, m.pingFail, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&live{m})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help: "Always 1; the labels tell the running version."}, []string{"version", "goversion"})
	build.WithLabelValues(opt.Version, runtime.Version()).Set(1)
	m.reg.MustRegister(build)
	// Every configured line shows from the start, with 0.
	for _, l := range opt.Service.Lines {
		m.drawn.WithLabelValues(l.ID)
		m.called.WithLabelValues(l.ID)
		m.recalled.WithLabelValues(l.ID)
		for _, o := range []string{"done", "no_show", "expired"} {
			m.finished.WithLabelValues(l.ID, o)
		}
	}
	for _, o := range []string{"printed", "failed"} {
		m.slips.WithLabelValues(o)
	}
	return m
}

type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogErrors{m.opt.Logger}})
}

// Registry is the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest records one answered HTTP request. route is the matched
// pattern ("POST /api/v1/tickets"), never the path: paths hold tokens.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status/100)+"xx").Observe(d.Seconds())
}

// Run pings the store until ctx ends.
func (m *Metrics) Run(ctx context.Context) {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		m.pingOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *Metrics) pingOnce(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, scrapeWait)
	defer cancel()
	start := time.Now()
	if err := m.opt.Service.Store.Ping(pctx); err != nil {
		if ctx.Err() == nil {
			m.pingFail.Inc()
		}
		return
	}
	m.ping.Observe(time.Since(start).Seconds())
}

// Observe counts events of the log, each once and in order: the event
// hub calls it with every page it reads, so the log is read once for the
// screens and the counters together.
func (m *Metrics) Observe(evs []queue.Event) {
	for _, ev := range evs {
		m.count(ev)
	}
}

// count adds one event to the counters.
func (m *Metrics) count(ev queue.Event) {
	t := ev.Ticket
	switch ev.Type {
	case queue.EventIssued:
		m.drawn.WithLabelValues(t.IssuedLine).Inc()
	case queue.EventCalled:
		m.called.WithLabelValues(t.Line).Inc()
		if t.CalledAt != nil && !t.IssuedAt.IsZero() {
			m.wait.WithLabelValues(t.Line).Observe(max(0, t.CalledAt.Sub(t.IssuedAt).Seconds()))
		}
	case queue.EventRecalled:
		m.recalled.WithLabelValues(t.Line).Inc()
	case queue.EventDone:
		m.finished.WithLabelValues(t.Line, "done").Inc()
	case queue.EventNoShow:
		m.finished.WithLabelValues(t.Line, "no_show").Inc()
	case queue.EventExpired:
		m.finished.WithLabelValues(t.Line, "expired").Inc()
	case queue.EventPrinted:
		m.slips.WithLabelValues("printed").Inc()
	case queue.EventPrintFailed:
		m.slips.WithLabelValues("failed").Inc()
	}
}

// live is the collector of what is read at scrape time: waiting tickets,
// connected clients, printer states.
type live struct{ m *Metrics }

var (
	waitingDesc = prometheus.NewDesc(Namespace+"_tickets_waiting", "Tickets waiting now, by line (today's service day).", []string{"line"}, nil)
	clientsDesc = prometheus.NewDesc(Namespace+"_event_clients", "Screens connected to the event stream now, by kind (kiosk, display, staff for consoles, other).", []string{"kind"}, nil)
	printerDesc = prometheus.NewDesc(Namespace+"_printer_state", "Slip printer state: 0 ok, 1 warning, 2 error, -1 unknown; by printer (the kiosk's name, or default).", []string{"printer"}, nil)
	storeUpDesc = prometheus.NewDesc(Namespace+"_store_up", "1 when the ticket store answered the scrape's read, else 0.", nil, nil)
)

func (l *live) Describe(ch chan<- *prometheus.Desc) {
	ch <- waitingDesc
	ch <- clientsDesc
	ch <- printerDesc
	ch <- storeUpDesc
}

func (l *live) Collect(ch chan<- prometheus.Metric) {
	opt := l.m.opt
	ctx, cancel := context.WithTimeout(context.Background(), scrapeWait)
	defer cancel()
	snap, err := opt.Service.Snapshot(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 0)
	} else {
		ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 1)
		waiting := map[string]int{}
		for _, ln := range opt.Service.Lines {
			waiting[ln.ID] = 0
		}
		for _, t := range snap.Tickets {
			if t.Status == queue.StatusWaiting {
				waiting[t.Line]++
			}
		}
		for line, n := range waiting {
			ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(n), line)
		}
	}
	if opt.Clients != nil {
		for kind, n := range opt.Clients(ctx) {
			ch <- prometheus.MustNewConstMetric(clientsDesc, prometheus.GaugeValue, float64(n), kind)
		}
	}
	if opt.Printers != nil {
		for _, p := range opt.Printers() {
			ch <- prometheus.MustNewConstMetric(printerDesc, prometheus.GaugeValue, PrinterValue(p.State), p.Printer)
		}
	}
}

// PrinterValue is a printer state as the gauge shows it.
func PrinterValue(state string) float64 {
	switch state {
	case "ok":
		return 0
	case "warning":
		return 1
	case "error":
		return 2
	}
	return -1
}

// slogErrors lets promhttp log through slog.
type slogErrors struct{ log *slog.Logger }

func (s slogErrors) Println(v ...any) { s.log.Warn("metrics", "err", v) }
