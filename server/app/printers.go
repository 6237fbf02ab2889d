package app

import (
	"context"
	"sync"

	"wartemarke/printer"
	"wartemarke/server/queue"
)

// Printers routes each slip to the printer of the kiosk that drew the
// ticket: kiosks named in the config's kiosk_printers have their own, the
// others share the default. Each printer has its own queue, so one printer
// out of paper holds up no other kiosk.
type Printers struct {
	def    *Spooler
	kiosks map[string]*Spooler

	mu sync.Mutex
	// byTicket remembers which kiosk drew a ticket, so that a reprint goes
	// to the same printer; it keeps the newest tickets only.
	byTicket map[string]string
	order    []string
}

// rememberTickets bounds byTicket: more than a day's tickets.
const rememberTickets = 2000

// Submit queues t's slip on the printer of kiosk ("" = the kiosk that drew
// it, for a reprint).
func (p *Printers) Submit(t queue.Ticket, kiosk string) {
	p.mu.Lock()
	if kiosk == "" {
		kiosk = p.byTicket[t.ID]
	} else if _, ok := p.byTicket[t.ID]; !ok {
		if p.byTicket == nil {
			p.byTicket = map[string]string{}
		}
		p.byTicket[t.ID] = kiosk
		p.order = append(p.order, t.ID)
		if len(p.order) > rememberTickets {
			delete(p.byTicket, p.order[0])
			p.order = p.order[1:]
		}
	}
	p.mu.Unlock()
	p.For(kiosk).Submit(t)
}

// For returns the spooler of kiosk's printer.
func (p *Printers) For(kiosk string) *Spooler {
	if s, ok := p.kiosks[kiosk]; ok {
		return s
	}
	return p.def
}

// Enabled reports whether any slip goes anywhere.
func (p *Printers) Enabled() bool {
	if p.def.Enabled() {
		return true
	}
	for _, s := range p.kiosks {
		if s.Enabled() {
			return true
		}
	}
	return false
}

// PrinterState is one printer's state as /healthz shows it.
type PrinterState struct {
	Kiosk   string `json:"kiosk,omitempty"`
	Printer string `json:"printer"`
	printer.Status
}

// Status lists the state of every printer that prints.
func (p *Printers) Status() []PrinterState {
	var out []PrinterState
	if p.def.Enabled() {
		out = append(out, PrinterState{Printer: p.def.transport.String(), Status: p.def.Status()})
	}
	for name, s := range p.kiosks {
		if s.Enabled() {
			out = append(out, PrinterState{Kiosk: name, Printer: s.transport.String(), Status: s.Status()})
		}
	}
	return out
}

// Run runs every printer's queue until ctx ends.
func (p *Printers) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range append([]*Spooler{p.def}, values(p.kiosks)...) {
		wg.Go(func() { s.Run(ctx) })
	}
	wg.Wait()
}

func values(m map[string]*Spooler) []*Spooler {
	out := make([]*Spooler, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}

// PrinterStatus is what /healthz shows signed-in staff: every printing
// printer's state, or nothing when slips go nowhere.
func (p *Printers) PrinterStatus() any {
	if !p.Enabled() {
		return nil
	}
	return p.Status()
}
