package api

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"wartemarke/server/queue"
)

var errEOF = io.EOF

// health is the /healthz answer; the detail is for signed-in staff only.
type health struct {
	Status  string `json:"status"`
	Store   string `json:"store,omitempty"`
	Printer any    `json:"printer,omitempty"`
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	h, status := health{Status: "ok", Store: "ok"}, http.StatusOK
	if err := s.Svc.Store.Ping(r.Context()); err != nil {
		h, status = health{Status: "unavailable", Store: "unreachable"}, http.StatusServiceUnavailable
	}
	if _, err := s.identify(r, Staff); err == nil {
		if s.PrinterStatus != nil {
			h.Printer = s.PrinterStatus()
		} else if rep, ok := s.Printer.(interface{ PrinterStatus() any }); ok {
			h.Printer = rep.PrinterStatus()
		}
	} else {
		h.Store = ""
	}
	writeJSON(w, status, h)
}

func (s *Server) handleConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Client)
}

func (s *Server) handleLines(w http.ResponseWriter, r *http.Request) {
	snap, err := s.Svc.Snapshot(r.Context())
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Svc.LineStates(snap))
}

// drawRequest is the body of POST /api/v1/tickets.
type drawRequest struct {
	Line string `json:"line"`
	Lang string `json:"lang"`
}

func (s *Server) handleDraw(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if p.Device != nil && !s.draws.take(p.Device.ID, time.Now()) {
		writeError(w, r, s.Logger, tooMany(w, time.Minute/time.Duration(max(1, int(s.draws.Rate))), "this kiosk draws too many tickets; please wait a moment"))
		return
	}
	var req drawRequest
	if err := decode(w, r, &req, false); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if req.Line == "" {
		writeError(w, r, s.Logger, queue.Errorf(queue.UnknownLine, "name the line to draw a ticket for"))
		return
	}
	// The key's request is identified by its meaning, not its bytes, so a
	// retry that re-encodes the same body is still the same request.
	sum := sha256.Sum256([]byte(req.Line + "\x00" + req.Lang))
	t, replay, err := s.Svc.Draw(r.Context(), req.Line, req.Lang, r.Header.Get("Idempotency-Key"), hex.EncodeToString(sum[:]))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tickets/"+t.ID)
	t.StatusURL = s.baseURL(r) + "/t/" + t.Token
	if replay {
		writeJSON(w, http.StatusOK, t)
		return
	}
	if s.Printer != nil {
		kiosk := ""
		if p.Device != nil {
			kiosk = p.Device.Name
		}
		s.Printer.Submit(t, kiosk)
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) handleTicket(w http.ResponseWriter, r *http.Request) {
	t, err := s.Svc.Ticket(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// actions maps the URL's last segment to the domain action.
var actions = map[string]queue.Action{
	"recall":     queue.ActRecall,
	"done":       queue.ActDone,
	"no-show":    queue.ActNoShow,
	"transfer":   queue.ActTransfer,
	"call":       queue.ActCall,
	"put-back":   queue.ActPutBack,
	"reactivate": queue.ActReactivate,
}

// actionRequest is the body of POST /api/v1/tickets/{id}/{action}: line
// for transfer; desk and reason for call; at_end for put-back.
type actionRequest struct {
	Line   string `json:"line"`
	Desk   string `json:"desk"`
	Reason string `json:"reason"`
	AtEnd  bool   `json:"at_end"`
}

func (s *Server) handleAction(w http.ResponseWriter, r *http.Request) {
	a, ok := actions[r.PathValue("action")]
	if !ok {
		writeError(w, r, s.Logger, errNoRoute)
		return
	}
	var req actionRequest
	if err := decode(w, r, &req, a != queue.ActTransfer && a != queue.ActCall); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if a == queue.ActTransfer && req.Line == "" {
		writeError(w, r, s.Logger, queue.Errorf(queue.UnknownLine, "name the line to transfer the ticket to"))
		return
	}
	t, err := s.Svc.ActWith(r.Context(), queue.ActRequest{ID: r.PathValue("id"), Action: a, ToLine: req.Line,
		Desk: req.Desk, Reason: req.Reason, AtEnd: req.AtEnd})
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// nextRequest is the body of POST /api/v1/desks/{desk}/next.
type nextRequest struct {
	Lines []string `json:"lines"`
}

func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	var req nextRequest
	if err := decode(w, r, &req, false); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	t, err := s.Svc.Next(r.Context(), r.PathValue("desk"), req.Lines)
	if queue.ErrorCode(err) == queue.Empty {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// deskRequest is the body of PUT /api/v1/desks/{desk}.
type deskRequest struct {
	Lines  []string `json:"lines"`
	Open   *bool    `json:"open"`
	Paused bool     `json:"paused"`
}

// handleSetDesk opens a desk for lines, pauses or resumes it, or closes it
// ({"open":false}); every change is a desk.updated event.
func (s *Server) handleSetDesk(w http.ResponseWriter, r *http.Request) {
	var req deskRequest
	if err := decode(w, r, &req, false); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	open := req.Open == nil || *req.Open
	d, err := s.Svc.SetDesk(r.Context(), r.PathValue("desk"), req.Lines, open, req.Paused, principalFrom(r.Context()).User)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// handleReprint sends a ticket's slip to the printer again (after paper was
// refilled); the outcome arrives as ticket.printed or ticket.print_failed.
func (s *Server) handleReprint(w http.ResponseWriter, r *http.Request) {
	t, err := s.Svc.Ticket(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if s.Printer == nil || !s.Client.Printing {
		writeError(w, r, s.Logger, queue.Errorf(queue.Conflict, "no printer is configured"))
		return
	}
	s.Printer.Submit(t, "")
	w.WriteHeader(http.StatusAccepted)
}

// lineModeRequest is the body of PUT /api/v1/lines/{line}/mode.
type lineModeRequest struct {
	Mode string `json:"mode"`
}

// handleLineMode lets an admin open ("open") or close ("closed") a line by
// hand for today, or hand it back to its hours ("auto").
func (s *Server) handleLineMode(w http.ResponseWriter, r *http.Request) {
	var req lineModeRequest
	if err := decode(w, r, &req, false); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	mode := req.Mode
	if mode == "auto" {
		mode = queue.ModeAuto
	} else if mode == "" {
		writeError(w, r, s.Logger, queue.Errorf(queue.Invalid, "mode must be open, closed or auto"))
		return
	}
	m, err := s.Svc.SetLineMode(r.Context(), r.PathValue("line"), mode, principalFrom(r.Context()).User)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
