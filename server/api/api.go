// Package api is Wartemarke's HTTP API: routes, handlers, the one mapping of
// domain errors to statuses, and the serving of the embedded web UIs.
package api

import (
	"bufio"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"wartemarke/server/queue"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 64 << 10

// Printer takes a freshly drawn ticket's slip. It must not block: printing
// never holds up a draw.
type Printer interface {
	Submit(t queue.Ticket)
}

// Server holds what the handlers need.
type Server struct {
	Svc *queue.Service
	// Events serves GET /api/v1/events (the websocket hub).
	Events http.Handler
	// Printer receives each new ticket; nil prints nothing.
	Printer Printer
	// UIs maps a mount point ("kiosk", "display", "console", "common") to
	// the embedded files served there.
	UIs    map[string]fs.FS
	Logger *slog.Logger
	// Client is what the web UIs need to know of the configuration,
	// served at GET /api/v1/config.
	Client ClientConfig
}

// ClientConfig is the public part of the configuration that the kiosk,
// display and console read at start. It holds nothing secret.
type ClientConfig struct {
	Office      string       `json:"office"`
	Timezone    string       `json:"timezone"`
	Languages   []string     `json:"languages"`
	DisplayLang string       `json:"display_lang"`
	Lines       []queue.Line `json:"lines"`
	Desks       []DeskConfig `json:"desks"`
	ClosedDays  []string     `json:"closed_days"`
	Privacy     struct {
		Responsible string `json:"responsible"`
		Contact     string `json:"contact"`
	} `json:"privacy"`
	// Printing tells the kiosk to expect a print outcome for each ticket
	// (ticket.printed or ticket.print_failed) within PrintTimeoutSeconds.
	Printing            bool `json:"printing"`
	PrintTimeoutSeconds int  `json:"print_timeout_seconds"`
}

// DeskConfig is a desk as the display shows and says it.
type DeskConfig struct {
	Label  string `json:"label"`
	Spoken string `json:"spoken,omitempty"`
}

// Handler returns the complete HTTP handler: every route, listed here in
// one place, wrapped in the common middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /api/v1/config", s.handleConfig)
	mux.HandleFunc("GET /api/v1/lines", s.handleLines)
	mux.HandleFunc("POST /api/v1/tickets", s.handleDraw)
	mux.HandleFunc("GET /api/v1/tickets/{id}", s.handleTicket)
	mux.HandleFunc("POST /api/v1/tickets/{id}/{action}", s.handleAction)
	mux.HandleFunc("POST /api/v1/desks/{desk}/next", s.handleNext)
	if s.Events != nil {
		mux.Handle("GET /api/v1/events", s.Events)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, errNoRoute)
	})
	s.mountUIs(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/kiosk", http.StatusFound)
	})
	return s.recoverer(s.logRequests(securityHeaders(mux)))
}

// securityHeaders sets the headers every response carries. The CSP allows
// only the server's own scripts and styles: no inline script can run.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; media-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (and the websocket upgrader's
// Hijack) reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack passes the connection through for websocket upgrades.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.status = http.StatusSwitchingProtocols
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// logRequests logs one line per API request. Client addresses are not
// logged: the public pages are used by visitors.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if r.Pattern == "GET /api/v1/events" {
			return // long-lived; the hub logs connects itself
		}
		lvl := slog.LevelDebug
		if sw.status >= 500 {
			lvl = slog.LevelWarn
		} else if len(r.URL.Path) > 4 && r.URL.Path[:5] == "/api/" {
			lvl = slog.LevelInfo
		}
		s.Logger.Log(r.Context(), lvl, "request", "method", r.Method, "route", r.Pattern,
			"status", sw.status, "duration", time.Since(start).Round(time.Microsecond))
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic in handler", "route", r.Pattern, "panic", v)
				writeError(w, r, s.Logger, queue.Errorf(queue.Internal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
