package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"wartemarke/server/queue"
)

// The phone status page: /t/{token} (the page), /t/static/… (its files) and
// /t/status/{token} (its data). Everything lives under /t/, so an office's
// reverse proxy can expose exactly that to mobile data. No sign-in, no
// cookies: the unguessable token in the link is the only key.

// statusWait is how long a status request waits for a change before it
// answers anyway (below common proxy timeouts).
const statusWait = 25 * time.Second

// ticketStatus is what the phone page shows: nothing about the person, and
// nothing of other visitors beyond a count.
type ticketStatus struct {
	Seq        int64           `json:"seq"`
	Number     string          `json:"number"`
	Line       string          `json:"line"`
	LineName   string          `json:"line_name"`
	Status     queue.Status    `json:"status"`
	Lang       string          `json:"lang"`
	Ahead      *int            `json:"ahead,omitempty"`
	Estimate   *queue.Estimate `json:"estimate,omitempty"`
	Desk       string          `json:"desk,omitempty"`
	CalledAt   *time.Time      `json:"called_at,omitempty"`
	Recalls    int             `json:"recalls"`
	IssuedAt   time.Time       `json:"issued_at"`
	DeskSpoken string          `json:"desk_spoken,omitempty"`
}

func (s *Server) statusOf(ctx context.Context, token string) (ticketStatus, error) {
	seq, err := s.Svc.Store.LastSeq(ctx)
	if err != nil {
		return ticketStatus{}, err
	}
	t, err := s.Svc.TicketByToken(ctx, token)
	if err != nil {
		return ticketStatus{}, err
	}
	l, _ := s.Svc.Line(t.Line)
	return ticketStatus{Seq: seq, Number: t.Number, Line: t.Line, LineName: l.Name, Status: t.Status, Lang: t.Lang,
		Ahead: t.Ahead, Estimate: t.Estimate, Desk: t.Desk, CalledAt: t.CalledAt, Recalls: t.Recalls, IssuedAt: t.IssuedAt}, nil
}

// handleTicketStatus answers GET /t/status/{token}. With ?after=SEQ it
// waits (long poll) until the log has moved past SEQ or statusWait passed.
func (s *Server) handleTicketStatus(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if a := r.URL.Query().Get("after"); a != "" {
		after, err := strconv.ParseInt(a, 10, 64)
		if err != nil || after < 0 {
			writeError(w, r, s.Logger, queue.Errorf(queue.Invalid, "after must be a sequence number"))
			return
		}
		// Check the token before waiting: an unknown one answers at once.
		if _, err := s.statusOf(r.Context(), token); err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), statusWait)
		err = s.Svc.Store.WaitEvents(ctx, after)
		cancel()
		if r.Context().Err() != nil {
			return // the phone went away
		}
		_ = err // a timeout answers with the current state
	}
	st, err := s.statusOf(r.Context(), token)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// handleStatusPage serves the phone page for any well-formed token; the
// page then asks for its status and says when the link has expired.
func (s *Server) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	s.serveUI(w, r, "phone", "index.html")
}

func (s *Server) handleStatusFile(w http.ResponseWriter, r *http.Request) {
	s.serveUI(w, r, "phone", r.PathValue("file"))
}
