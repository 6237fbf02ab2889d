package app

import (
	"context"
	"log/slog"
	"time"

	"wartemarke/printer"
	"wartemarke/server/queue"
)

// Printing limits.
const (
	spoolQueue   = 256              // slips waiting to print; a kiosk draws far fewer
	printTimeout = 15 * time.Second // a slip not printed by then is reported as failed
)

// Spooler renders and prints slips in the background, one at a time, so
// that printing never holds up a draw.
type Spooler struct {
	renderer  *printer.Renderer
	transport printer.Transport
	slip      func(queue.Ticket) printer.Slip
	log       *slog.Logger
	jobs      chan queue.Ticket
}

// NewSpooler returns a spooler; Run must be started for it to print.
func NewSpooler(r *printer.Renderer, t printer.Transport, slip func(queue.Ticket) printer.Slip, log *slog.Logger) *Spooler {
	return &Spooler{renderer: r, transport: t, slip: slip, log: log, jobs: make(chan queue.Ticket, spoolQueue)}
}

// Submit queues a ticket's slip without blocking.
func (s *Spooler) Submit(t queue.Ticket) {
	select {
	case s.jobs <- t:
	default:
		s.log.Error("print queue full; slip dropped", "number", t.Number)
	}
}

// Run prints queued slips until ctx ends.
func (s *Spooler) Run(ctx context.Context) {
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
		return
	}
	ctx, cancel := context.WithTimeout(ctx, printTimeout)
	defer cancel()
	if err := s.transport.Print(ctx, printer.Job{Number: t.Number, TicketID: t.ID, PDF: pdf}); err != nil {
		s.log.Error("slip not printed", "number", t.Number, "printer", s.transport.String(), "err", err)
		return
	}
	s.log.Debug("slip printed", "number", t.Number, "took", time.Since(start).Round(time.Millisecond))
}
