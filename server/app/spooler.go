package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"wartemarke/printer"
	"wartemarke/server/queue"
)

// Printing limits.
const (
	spoolQueue = 256 // slips waiting to print; a kiosk draws far fewer
	// DefaultPrintTimeout is how long a slip may take before it is reported
	// as failed (print_timeout_seconds in the config).
	DefaultPrintTimeout = 15 * time.Second
)

// Spooler renders and prints slips in the background, one at a time, so
// that printing never holds up a draw. Each outcome is recorded as an event
// (ticket.printed, ticket.print_failed): the kiosk learns it over its event
// stream and the console alerts the staff.
type Spooler struct {
	renderer  *printer.Renderer
	transport printer.Transport
	slip      func(queue.Ticket) printer.Slip
	svc       *queue.Service
	log       *slog.Logger
	jobs      chan queue.Ticket
	// Timeout is the print deadline of each slip; 0 means
	// DefaultPrintTimeout.
	Timeout time.Duration

	mu     sync.Mutex
	status printer.Status
}

// NewSpooler returns a spooler; Run must be started for it to print.
func NewSpooler(r *printer.Renderer, t printer.Transport, svc *queue.Service, slip func(queue.Ticket) printer.Slip, log *slog.Logger) *Spooler {
	return &Spooler{renderer: r, transport: t, svc: svc, slip: slip, log: log, jobs: make(chan queue.Ticket, spoolQueue)}
}

// Enabled reports whether slips go anywhere (the printer is not "none").
func (s *Spooler) Enabled() bool { return s.transport.String() != "none" }

// Submit queues a ticket's slip without blocking.
func (s *Spooler) Submit(t queue.Ticket) {
	if !s.Enabled() {
		return
	}
	select {
	case s.jobs <- t:
	default:
		s.log.Error("print queue full; slip dropped", "number", t.Number)
		s.record(context.Background(), t, queue.PrintFailed, "queue-full")
	}
}

// Status returns the printer's last known state (paper near end shows
// here as a warning before it becomes a fault).
func (s *Spooler) Status() printer.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// checkStatus asks the printer for its state, when it can tell.
func (s *Spooler) checkStatus(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st, err := printer.StatusOf(ctx, s.transport)
	if err != nil {
		st = printer.Status{State: printer.StateError, Reasons: printer.Reasons(err), Checked: time.Now().UTC(), Detail: err.Error()}
	}
	s.mu.Lock()
	prev := s.status
	s.status = st
	s.mu.Unlock()
	if st.State != prev.State && st.State != printer.StateOK && st.State != printer.StateUnknown {
		s.log.Warn("printer needs attention", "state", st.State, "reasons", st.Reasons)
	}
}

// record stores a slip's outcome; the ticket stays valid either way.
func (s *Spooler) record(ctx context.Context, t queue.Ticket, state queue.PrintState, reason string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := s.svc.SetPrint(ctx, t.ID, state, reason); err != nil {
		s.log.Error("print outcome not recorded", "number", t.Number, "err", err)
	}
}

// Run prints queued slips until ctx ends.
func (s *Spooler) Run(ctx context.Context) {
	if s.Enabled() {
		s.checkStatus(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-s.jobs:
			s.print(ctx, t)
		}
	}
}

func (s *Spooler) print(ctx context.Context, t queue.Ticket) {
	start := time.Now()
	pdf, err := s.renderer.Render(s.slip(t))
	if err != nil {
		s.log.Error("slip not rendered", "number", t.Number, "err", err)
		s.record(ctx, t, queue.PrintFailed, "render")
		return
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultPrintTimeout
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.transport.Print(pctx, printer.Job{Number: t.Number, TicketID: t.ID, PDF: pdf}); err != nil {
		s.log.Error("slip not printed", "number", t.Number, "printer", s.transport.String(), "err", err)
		s.record(ctx, t, queue.PrintFailed, printReason(err))
		s.checkStatus(ctx)
		return
	}
	s.record(ctx, t, queue.PrintDone, "")
	s.checkStatus(ctx)
	s.log.Debug("slip printed", "number", t.Number, "took", time.Since(start).Round(time.Millisecond))
}

// printReason turns a print error into the short reason the kiosk and the
// console show: the printer's most important one (media-empty, door-open,
// offline, timeout, …).
func printReason(err error) string {
	if rs := printer.Reasons(err); len(rs) > 0 {
		return rs[0]
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}
