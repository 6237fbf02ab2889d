package printer

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"
)

// State sums up a printer's condition for the kiosk, the console and
// /healthz.
type State string

// Printer states, from good to unknown.
const (
	StateOK      State = "ok"      // ready, nothing to report
	StateWarning State = "warning" // prints, but needs attention soon (paper near end)
	StateError   State = "error"   // cannot print now (paper out, cover open, offline)
	StateUnknown State = "unknown" // the connection reports no status, or none was asked yet
)

// Reasons are IPP printer-state-reasons keywords without their severity
// suffix (-report, -warning, -error), so that the same words come from every
// transport. An IPP printer may send others; these are the ones the slip
// transports produce themselves and the kiosk should know.
const (
	ReasonMediaEmpty  = "media-empty"  // paper out
	ReasonMediaNeeded = "media-needed" // a job waits for paper (IPP)
	ReasonMediaLow    = "media-low"    // paper near end: a warning, printing goes on
	ReasonMediaJam    = "media-jam"    // paper jam
	ReasonCoverOpen   = "cover-open"   // the paper cover is open (ESC/POS, some IPP printers)
	ReasonDoorOpen    = "door-open"    // a door is open (IPP)
	ReasonOffline     = "offline"      // not reachable, or the printer says it is offline
	ReasonTimeout     = "timeout"      // no answer, or the job did not finish, within the deadline
	ReasonStopped     = "stopped"      // the printer (or queue) is stopped without saying why
	ReasonOther       = "other"        // any other fault; Detail or the error says more
)

// Status is a printer's condition when it was last asked.
type Status struct {
	State   State     `json:"state"`
	Reasons []string  `json:"reasons,omitempty"` // Reason* keywords, most important first
	Checked time.Time `json:"checked"`           // when the printer was asked; zero if never
	Detail  string    `json:"detail,omitempty"`  // a sentence for staff, e.g. the printer's own state message
}

// Has reports whether the status lists reason.
func (s Status) Has(reason string) bool { return slices.Contains(s.Reasons, reason) }

// StatusReporter is implemented by transports that can ask the printer for
// its condition (IPP, ESC/POS). Status always returns a Status fit to show:
// when the printer cannot be asked, State is error or unknown and the error
// says why.
type StatusReporter interface {
	Status(ctx context.Context) (Status, error)
}

// StatusOf asks t for its printer's status. Transports without a status
// (a folder, none) report StateUnknown with a Detail saying so.
func StatusOf(ctx context.Context, t Transport) (Status, error) {
	if sr, ok := t.(StatusReporter); ok {
		return sr.Status(ctx)
	}
	return Status{State: StateUnknown, Checked: time.Now(), Detail: t.String() + " reports no printer status"}, nil
}

// PrintError is the error Print returns when a slip was not printed (or may
// not have been printed completely). Reasons say why in the words of Status,
// so that the kiosk can tell paper out from cover open, offline or timeout.
// Use errors.As to get it, or Reasons for any error.
type PrintError struct {
	Reasons []string // Reason* keywords, never empty
	Err     error    // the underlying cause
}

func (e *PrintError) Error() string {
	msg := "printer: slip not printed (" + strings.Join(e.Reasons, ", ") + ")"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *PrintError) Unwrap() error { return e.Err }

// Has reports whether reason is one of the error's reasons.
func (e *PrintError) Has(reason string) bool { return slices.Contains(e.Reasons, reason) }

// Reasons returns why err kept a slip from printing: the reasons of a
// PrintError, "timeout" for a deadline, "other" for anything else, and nil
// for no error.
func Reasons(err error) []string {
	var pe *PrintError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) && len(pe.Reasons) > 0:
		return pe.Reasons
	case errors.Is(err, context.DeadlineExceeded):
		return []string{ReasonTimeout}
	default:
		return []string{ReasonOther}
	}
}

// printError wraps err in a PrintError with reasons, or with reasons
// derived from err when none are given.
func printError(err error, reasons ...string) *PrintError {
	if len(reasons) == 0 {
		reasons = connReasons(err)
	}
	return &PrintError{Reasons: dedup(reasons), Err: err}
}

// connReasons classifies a network or device error: a printer that is off
// or unplugged is offline; a deadline is a timeout as well.
func connReasons(err error) []string {
	var r []string
	var ne net.Error
	var oe *net.OpError
	var ie *ippStatusError
	switch {
	case errors.As(err, &ie):
		r = append(r, ie.reasons()...)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ENODEV),
		errors.Is(err, syscall.ENXIO), errors.Is(err, os.ErrNotExist),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// Refused, unreachable, unplugged, or hung up on us.
		r = append(r, ReasonOffline)
	case errors.As(err, &oe) && oe.Op == "dial":
		// A dial that timed out or found no host: nobody answers there.
		r = append(r, ReasonOffline)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		r = append(r, ReasonTimeout)
	}
	if len(r) == 0 {
		r = append(r, ReasonOther)
	}
	return r
}

// stateOf derives the state from reasons: media-low and other "-low" or
// "-warning" reasons are warnings, everything else listed is an error.
func stateOf(reasons []string) State {
	st := StateOK
	for _, r := range reasons {
		if isWarning(r) {
			st = StateWarning
		} else {
			return StateError
		}
	}
	return st
}

// isWarning reports whether a (suffix-free) reason still lets slips print.
func isWarning(reason string) bool {
	return strings.HasSuffix(reason, "-low") || strings.HasSuffix(reason, "-near-end") || reason == "media-needed-soon"
}

// orderReasons puts errors before warnings, keeping their order otherwise.
func orderReasons(reasons []string) []string {
	out := dedup(reasons)
	slices.SortStableFunc(out, func(a, b string) int {
		wa, wb := isWarning(a), isWarning(b)
		switch {
		case wa == wb:
			return 0
		case wb:
			return -1
		default:
			return 1
		}
	})
	return out
}

func dedup(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
