// Package api is Wartemarke's HTTP API: routes, handlers, the one mapping of
// domain errors to statuses, and the serving of the embedded web UIs.
package api

import (
	"bufio"
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"wartemarke/server/auth"
	"wartemarke/server/queue"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 64 << 10

// Printer takes a ticket's slip for the printer of the kiosk that drew it
// ("" for a reprint: the same printer as before). It must not block:
// printing never holds up a draw.
type Printer interface {
	Submit(t queue.Ticket, kiosk string)
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
	// Auth checks sign-ins, sessions and devices.
	Auth *auth.Service
	// TagConn marks a request's context with who makes it, so the hub can
	// close that principal's websockets later (see ConnTag).
	TagConn func(ctx context.Context, tag string) context.Context
	// CloseConns closes the live connections whose tag has the field word
	// ("device:ID", "user:NAME", "session:HASH").
	CloseConns func(word string)
	// Connected counts the live connections whose tag has the field word.
	Connected func(word string) int
	// PublicURL is the base of pairing links; empty means the request's.
	PublicURL string
	// SecureCookies marks cookies Secure also when TLS ends at a proxy.
	SecureCookies bool
	// TrustedOrigins may send cookie-authenticated changes besides the
	// page's own origin.
	TrustedOrigins []string
	// DrawRate is how many tickets one kiosk may draw a minute.
	DrawRate float64
	// PrinterStatus reports the slip printer's state for /healthz detail
	// (nil: no printer). A printer fault does not make the service
	// unhealthy: the queue works without slips.
	PrinterStatus func() any
	// Metrics serves GET /metrics (nil: 503); MetricsToken, when set, is
	// the Bearer token that may read it besides a signed-in admin.
	Metrics      http.Handler
	MetricsToken string
	// ObserveRequest is told of every answered request but the event
	// stream (route pattern, status, duration); nil: nobody.
	ObserveRequest func(route string, status int, d time.Duration)

	assets            map[string]map[string]*asset
	signIns, pairings failLimiter
	draws             bucket
	seenMu            sync.Mutex
	seenAt            map[string]time.Time
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
	// CallReasons are the keys a counsellor may give for calling out of
	// order; NoShowGraceMinutes how long a no-show can be reactivated.
	CallReasons        []string `json:"call_reasons"`
	NoShowGraceMinutes int      `json:"no_show_grace_minutes"`
}

// DeskConfig is a desk as the display shows and says it.
type DeskConfig struct {
	Label  string `json:"label"`
	Spoken string `json:"spoken,omitempty"`
}

// Route is one API route with who may call it.
type Route struct {
	Pattern string
	Policy  Policy
	handler http.HandlerFunc
}

// Routes lists every API route in one place, each with its policy.
func (s *Server) Routes() []Route {
	return []Route{
		{"GET /healthz", Public, s.handleHealth},
		{"GET /metrics", Metrics, s.handleMetrics},
		{"GET /api/v1/config", Public, s.handleConfig},
		{"GET /api/v1/lines", Public, s.handleLines},
		{"POST /api/v1/session", Public, s.handleSignIn},
		{"POST /api/v1/pair", Public, s.handlePair},

		{"POST /api/v1/tickets", KioskOnly, s.handleDraw},
		{"GET /api/v1/events", Listener, s.handleEvents},
		{"GET /api/v1/session", Listener, s.handleWhoami},
		// A kiosk reads back its ticket (the slip's outcome when its event
		// stream was down); displays see tickets in events anyway.
		{"GET /api/v1/tickets/{id}", Listener, s.handleTicket},

		{"DELETE /api/v1/session", Staff, s.handleSignOut},
		{"POST /api/v1/tickets/{id}/{action}", Staff, s.handleAction},
		{"POST /api/v1/desks/{desk}/next", Staff, s.handleNext},
		{"PUT /api/v1/desks/{desk}", Staff, s.handleSetDesk},
		{"POST /api/v1/tickets/{id}/reprint", Staff, s.handleReprint},

		{"PUT /api/v1/lines/{line}/mode", AdminOnly, s.handleLineMode},
		{"GET /api/v1/devices", AdminOnly, s.handleDevices},
		{"POST /api/v1/devices", AdminOnly, s.handleAddDevice},
		{"POST /api/v1/devices/{id}/pair-code", AdminOnly, s.handleNewPairCode},
		{"DELETE /api/v1/devices/{id}", AdminOnly, s.handleRevokeDevice},
		{"GET /api/v1/users", AdminOnly, s.handleUsers},
		{"POST /api/v1/users", AdminOnly, s.handleAddUser},
		{"DELETE /api/v1/users/{name}", AdminOnly, s.handleDeleteUser},
		{"GET /api/v1/stats.csv", AdminOnly, s.handleStatsCSV},
		{"GET /api/v1/reports/{file}", AdminOnly, s.handleReport},

		{"GET /t/{token}", Public, s.handleStatusPage},
		{"GET /t/static/{file...}", Public, s.handleStatusFile},
		{"GET /t/status/{token}", Public, s.handleTicketStatus},

		{"GET /pair", Public, s.handlePairPage},
		{"POST /pair", Public, s.handlePairForm},
		{"GET /signin", Public, s.handleSignInPage},
		{"POST /signin", Public, s.handleSignInForm},
	}
}

// Handler returns the complete HTTP handler: every route wrapped in its
// policy check, the static pages, and the common middleware.
func (s *Server) Handler() http.Handler {
	s.signIns = failLimiter{Max: 5, Window: 15 * time.Minute}
	s.pairings = failLimiter{Max: 10, Window: 15 * time.Minute}
	rate := s.DrawRate
	if rate <= 0 {
		rate = DefaultDrawRate
	}
	s.draws = bucket{Rate: rate, Burst: max(5, rate/4)}

	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		mux.HandleFunc(rt.Pattern, s.guard(rt.Policy, rt.handler))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, errNoRoute)
	})
	s.mountUIs(mux)
	mux.Handle("GET /admin/stats", s.pageGate("admin/stats", http.HandlerFunc(s.handleStatsPage)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/kiosk", http.StatusFound)
	})
	// Cookie-authenticated changes from another site are refused (the
	// browser's Sec-Fetch-Site / Origin headers tell); API clients with a
	// Bearer token send neither header and pass.
	csrf := http.NewCrossOriginProtection()
	for _, o := range s.TrustedOrigins {
		if err := csrf.AddTrustedOrigin(o); err != nil {
			s.Logger.Warn("allowed origin ignored", "origin", o, "err", err)
		}
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, queue.Errorf(queue.Forbidden, "cross-site request refused"))
	}))
	return s.recoverer(s.logRequests(securityHeaders(csrf.Handler(mux))))
}

// DefaultDrawRate is how many tickets a kiosk may draw a minute: far more
// than visitors arrive, far fewer than a hand hammering the screen.
const DefaultDrawRate = 30

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.Events == nil {
		writeError(w, r, s.Logger, queue.Errorf(queue.Unavailable, "the event stream is not available"))
		return
	}
	s.Events.ServeHTTP(w, r)
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
		if s.ObserveRequest != nil {
			s.ObserveRequest(r.Pattern, sw.status, time.Since(start))
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
