package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"wartemarke/console"
	"wartemarke/display"
	kioskui "wartemarke/kiosk-ui"
	"wartemarke/phone"
	"wartemarke/printer"
	"wartemarke/server/api"
	"wartemarke/server/auth"
	"wartemarke/server/hub"
	"wartemarke/server/metrics"
	"wartemarke/server/queue"
	uicommon "wartemarke/ui-common"
)

// Server timeouts, set once where the server is built.
const (
	readHeaderTimeout = 10 * time.Second // slow-loris guard
	readTimeout       = 30 * time.Second // bodies are at most 64 KiB
	writeTimeout      = 30 * time.Second // websockets set their own deadlines after hijack
	idleTimeout       = 120 * time.Second
	// drainTimeout is how long shutdown waits for requests in flight.
	drainTimeout = 5 * time.Second
)

// App is one running Wartemarke service.
type App struct {
	Config  Config
	Logger  *slog.Logger
	Store   queue.Store
	Service *queue.Service
	Auth    *auth.Service
	Hub     *hub.Hub
	Slips   *Printers
	// Metrics are served at /metrics (server/metrics).
	Metrics *metrics.Metrics

	ln     net.Listener
	http   *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New opens the store and builds every part; Start begins serving.
func New(cfg Config, logger *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, err
	}
	store, err := openStore(cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	svc := queue.NewService(store, cfg.Lines)
	svc.Location = loc
	svc.ClosedDays = cfg.ClosedDays
	svc.CallReasons = cfg.CallReasons
	svc.MinRecall = time.Duration(cfg.RecallIntervalSeconds) * time.Second
	svc.NoShowGrace = time.Duration(cfg.NoShowGraceMinutes) * time.Minute
	if cfg.CutOffGraceMinutes != nil {
		svc.CutOffGrace = time.Duration(*cfg.CutOffGraceMinutes) * time.Minute
	}

	renderer, err := printer.NewRenderer(printer.Options{})
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("slip renderer: %w", err)
	}
	transport, err := printer.OpenWith(cfg.PrinterURL(), renderer.Options())
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("setting printer: %w", err)
	}
	a := &App{Config: cfg, Logger: logger, Store: store, Service: svc}
	svc.OnTurnedAway = a.countTurnedAway
	spooler := func(t printer.Transport, log *slog.Logger) *Spooler {
		sp := NewSpooler(renderer, t, svc, a.slipFor, log)
		sp.Timeout = time.Duration(cfg.PrintTimeoutSeconds) * time.Second
		return sp
	}
	a.Slips = &Printers{def: spooler(transport, logger.With("component", "printer")), kiosks: map[string]*Spooler{}}
	for kiosk, url := range cfg.KioskPrinters {
		t, err := printer.OpenWith(url, renderer.Options())
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("setting kiosk_printers[%q]: %w", kiosk, err)
		}
		a.Slips.kiosks[kiosk] = spooler(t, logger.With("component", "printer", "kiosk", kiosk))
	}
	a.Hub = hub.New(svc, hub.Options{AllowedOrigins: cfg.AllowedOrigins, Logger: logger, OnEvents: func(evs []queue.Event) {
		// Set by wireOps below, before the hub runs.
		if a.Metrics != nil {
			a.Metrics.Observe(evs)
		}
	}})
	client := api.ClientConfig{
		Office: cfg.Office, Timezone: cfg.Timezone, Languages: cfg.Languages, DisplayLang: cfg.DisplayLang,
		Lines: cfg.Lines, ClosedDays: cfg.ClosedDays, Desks: []api.DeskConfig{},
		Printing: a.Slips.Enabled(), PrintTimeoutSeconds: cfg.PrintTimeoutSeconds,
		CallReasons: cfg.CallReasons, NoShowGraceMinutes: cfg.NoShowGraceMinutes,
	}
	for _, d := range cfg.Desks {
		client.Desks = append(client.Desks, api.DeskConfig{Label: d.Label, Spoken: d.Spoken})
	}
	client.Privacy.Responsible, client.Privacy.Contact = cfg.Privacy.Responsible, cfg.Privacy.Contact
	authStore, ok := store.(auth.Store)
	if !ok {
		store.Close()
		return nil, fmt.Errorf("setting store: this store does not keep accounts and devices")
	}
	a.Auth = auth.NewService(authStore)
	hasWord := func(word string) func(tag string) bool {
		return func(tag string) bool { return slices.Contains(strings.Fields(tag), word) }
	}
	srv := &api.Server{
		Auth:           a.Auth,
		TagConn:        hub.WithTag,
		CloseConns:     func(word string) { a.Hub.CloseWhere(hasWord(word)) },
		Connected:      func(word string) int { return a.Hub.CountWhere(hasWord(word)) },
		PublicURL:      strings.TrimRight(cfg.PublicURL, "/"),
		TrustedOrigins: cfg.AllowedOrigins,
		DrawRate:       cfg.DrawRatePerMinute,
		Client:         client,
		Svc:            svc,
		Events:         a.Hub,
		Printer:        a.Slips,
		Logger:         logger.With("component", "api"),
		UIs: map[string]fs.FS{
			"kiosk":   kioskui.Files,
			"display": display.Files,
			"console": console.Files,
			"common":  uicommon.Files,
			"phone":   phone.Files,
		},
	}
	if err := a.wireOps(srv); err != nil {
		store.Close()
		return nil, err
	}
	a.http = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          serverErrorLog(logger),
	}
	return a, nil
}

// slipFor turns a ticket into what the slip shows.
func (a *App) slipFor(t queue.Ticket) printer.Slip {
	l, _ := a.Service.Line(t.IssuedLine)
	short := strings.ToUpper(l.ID)
	ahead := 0
	if t.Ahead != nil {
		ahead = *t.Ahead
	}
	estimate := ""
	if t.Estimate != nil {
		estimate = fmt.Sprintf("%d–%d min", t.Estimate.Min, t.Estimate.Max)
	}
	return printer.Slip{
		Office: a.Config.Office, LineID: l.ID, LineName: l.Name, LineShort: short,
		Number: t.Number, IssuedAt: t.IssuedAt, Location: a.Service.Location,
		Ahead: ahead, Estimate: estimate, Lang: t.Lang, StatusURL: a.BaseURL() + "/t/" + t.Token,
	}
}

// Start listens on the configured address and serves in the background.
func (a *App) Start() error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	a.ln = ln
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.wg.Go(func() {
		if err := a.Hub.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Logger.Error("hub stopped", "err", err)
		}
	})
	a.wg.Go(func() { a.Slips.Run(ctx) })
	a.wg.Go(func() { a.runRetention(ctx) })
	a.wg.Go(func() {
		if err := a.serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("http server stopped", "err", err)
		}
	})
	a.wg.Go(func() { a.Metrics.Run(ctx) })
	a.wg.Go(func() { a.sweepRevoked(ctx) })
	return nil
}

// Addr is the address the service listens on (useful with port 0).
func (a *App) Addr() net.Addr { return a.ln.Addr() }

// URL is the local base URL of the running service.
func (a *App) URL() string {
	host, port, _ := net.SplitHostPort(a.ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return a.scheme() + "://" + net.JoinHostPort(host, port)
}

// BaseURL is the public base URL for links, or the local one.
func (a *App) BaseURL() string {
	if a.Config.PublicURL != "" {
		return strings.TrimRight(a.Config.PublicURL, "/")
	}
	if a.ln == nil {
		return ""
	}
	return a.URL()
}

// Close shuts down in order: stop accepting and drain HTTP requests, close
// the websockets with a Close frame, stop the printer, close the store.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.ln != nil {
		dctx, cancel := context.WithTimeout(ctx, drainTimeout)
		if err := a.http.Shutdown(dctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		cancel()
		a.Hub.Close()
		a.cancel()
		a.wg.Wait()
	}
	if err := a.Store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("store close: %w", err))
	}
	return errors.Join(errs...)
}
