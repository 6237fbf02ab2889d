package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"wartemarke/server/api"
	"wartemarke/server/app"
	"wartemarke/server/auth"
)

// ServerOptions say how to run the real service for a simulation.
type ServerOptions struct {
	// Data is the data folder (the SQLite store); required.
	Data string
	// Store is "" (SQLite in Data) or a Redis URL; Site names the queue
	// in Redis.
	Store, Site string
	// Start is the simulated time the clock starts at; Speed how much
	// faster than real time it runs.
	Start time.Time
	Speed float64
	// Open and Close are the lines' opening hours on the start's weekday
	// ("09:00", "12:00").
	Open, Close string
	// Desks is how many counsellor accounts to create, one per desk.
	Desks int
	// Kiosks and Displays are how many devices of each kind to pair.
	Kiosks, Displays int
	// Log receives the service's log at warn and above (nil: discarded);
	// every such record is counted in Server.Warnings either way.
	Log io.Writer
}

// Server is the real Wartemarke service, wired as `go run ./server` wires
// it (app.New, App.Start, a real listener on 127.0.0.1:0), with its clock
// replaced by the simulation's and the devices and accounts a busy morning
// needs.
type Server struct {
	App   *app.App
	Clock *Clock
	URL   string
	// Kiosks and Displays are paired device tokens.
	Kiosks, Displays []string
	// Counsellors are signed-in counsellor session tokens, one per desk;
	// Names their account names.
	Counsellors, Names []string
	// Admin is a signed-in admin's session token (statistics).
	Admin string
	// Warnings counts what the service logged at warn or error.
	Warnings atomic.Int64
	// warnLog keeps the first 20 warnings for the report.
	warnLog chan string
}

// StartServer builds and starts the service with opts.
func StartServer(opts ServerOptions) (*Server, error) {
	s := &Server{warnLog: make(chan string, 20)}
	cfg := app.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = opts.Data
	cfg.Printer = "none"
	cfg.LogLevel = "warn"
	if opts.Store != "" {
		cfg.Store, cfg.Site = opts.Store, opts.Site
	}
	day := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[opts.Start.Weekday()]
	for i := range cfg.Lines {
		cfg.Lines[i].Hours = []string{fmt.Sprintf("%s %s-%s", day, opts.Open, opts.Close)}
	}
	cfg.Desks = nil
	for i := range opts.Desks {
		cfg.Desks = append(cfg.Desks, app.Desk{Label: deskLabel(i), Spoken: fmt.Sprintf("zu Raum %d", i+1)})
	}
	// The kiosk's limit (30 draws a minute) is meant in the office's time;
	// at speed× the same limit in real time is speed times as many.
	cfg.DrawRatePerMinute = api.DefaultDrawRate * opts.Speed
	var out io.Writer = io.Discard
	if opts.Log != nil {
		out = opts.Log
	}
	logger := slog.New(&countingHandler{Handler: slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}), s: s})
	a, err := app.New(cfg, logger)
	if err != nil {
		return nil, err
	}
	s.Clock = NewClock(opts.Start, opts.Speed)
	a.Service.Now = s.Clock.Now
	if err := a.Start(); err != nil {
		a.Close(context.Background())
		return nil, err
	}
	s.App, s.URL = a, a.URL()
	if err := s.setUp(opts); err != nil {
		s.Close()
		return nil, err
	}
	// Accounts and devices are no events: the log is still empty.
	s.Clock.Restart(opts.Start)
	return s, nil
}

// setUp pairs the devices and signs in the accounts, as the admin commands
// and the end-to-end tests do.
func (s *Server) setUp(opts ServerOptions) error {
	ctx := context.Background()
	a := s.App
	pair := func(kind auth.DeviceKind, name string) (string, error) {
		_, code, err := a.Auth.AddDevice(ctx, kind, name)
		if err != nil {
			return "", err
		}
		_, token, err := a.Auth.Pair(ctx, code)
		return token, err
	}
	for i := range opts.Kiosks {
		t, err := pair(auth.Kiosk, fmt.Sprintf("Eingang %d", i+1))
		if err != nil {
			return err
		}
		s.Kiosks = append(s.Kiosks, t)
	}
	for i := range opts.Displays {
		t, err := pair(auth.Display, fmt.Sprintf("Warteraum %d", i+1))
		if err != nil {
			return err
		}
		s.Displays = append(s.Displays, t)
	}
	const password = "simulation password, loopback only"
	signIn := func(name string, role auth.Role) (string, error) {
		if _, err := a.Auth.AddUser(ctx, name, role, password); err != nil {
			return "", err
		}
		t, _, err := a.Auth.SignIn(ctx, name, password)
		return t, err
	}
	for i := range opts.Desks {
		name := fmt.Sprintf("berater%d", i+1)
		t, err := signIn(name, auth.RoleCounsellor)
		if err != nil {
			return err
		}
		s.Counsellors, s.Names = append(s.Counsellors, t), append(s.Names, name)
	}
	t, err := signIn("leitung", auth.RoleAdmin)
	s.Admin = t
	return err
}

// Close stops the service.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return s.App.Close(ctx)
}

// FirstWarnings returns the first warnings the service logged (at most
// 20), once.
func (s *Server) FirstWarnings() []string {
	var out []string
	for {
		select {
		case w := <-s.warnLog:
			out = append(out, w)
		default:
			return out
		}
	}
}

func deskLabel(i int) string { return fmt.Sprintf("Raum %d", i+1) }

// countingHandler counts the service's warnings and errors.
type countingHandler struct {
	slog.Handler
	s *Server
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.s.Warnings.Add(1)
		select {
		case h.s.warnLog <- r.Level.String() + " " + r.Message + attrs(r):
		default:
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithAttrs(as), s: h.s}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithGroup(name), s: h.s}
}

func attrs(r slog.Record) string {
	s := ""
	r.Attrs(func(a slog.Attr) bool {
		s += " " + a.String()
		return true
	})
	return s
}

// tempData makes a data folder for a command-line run.
func tempData() (string, func(), error) {
	dir, err := os.MkdirTemp("", "wartemarke-sim-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}
