// Package queue holds Wartemarke's domain: lines, tickets, desks, events, the
// rules of numbering and of the ticket lifecycle, and the interfaces that the
// stores implement. It does no I/O: no HTTP, no SQL, no Redis.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is where a ticket is in its lifecycle.
type Status string

// The statuses a ticket can have. They are part of the API contract.
const (
	StatusWaiting Status = "waiting"
	StatusCalled  Status = "called"
	StatusDone    Status = "done"
	StatusNoShow  Status = "no_show"
	StatusExpired Status = "expired"
)

// Open reports whether a ticket in this status still takes part in the queue.
func (s Status) Open() bool { return s == StatusWaiting || s == StatusCalled }

// Line is one queue with its own numbering, such as MBE or JMD.
type Line struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
	// Ages says in words who the line is for ("27 und älter").
	Ages string `json:"ages,omitempty"`
	// Hours are the weekly opening periods, like "wed 09:00-12:00", in
	// the office's time zone; none means always open.
	Hours []string `json:"hours,omitempty"`
}

// DefaultLines are the two lines of the Offenbach consultation.
func DefaultLines() []Line {
	return []Line{
		{ID: "mbe", Name: "Migrationsberatung für erwachsene Zuwanderer", Prefix: "M", Ages: "27+"},
		{ID: "jmd", Name: "Jugendmigrationsdienst", Prefix: "J", Ages: "12–26"},
	}
}

// Ticket is one drawn number. It holds nothing about the person.
type Ticket struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	// Line is the line the ticket waits in now; a transfer changes it.
	Line string `json:"line"`
	// IssuedLine is the line whose numbering gave the number.
	IssuedLine string `json:"issued_line"`
	Lang       string `json:"lang"`
	Status     Status `json:"status"`
	// Day is the service day (YYYY-MM-DD in the office's time zone).
	Day        string     `json:"day"`
	IssuedAt   time.Time  `json:"issued_at"`
	CalledAt   *time.Time `json:"called_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Desk       string     `json:"desk,omitempty"`
	Recalls    int        `json:"recalls"`
	// Transfers counts moves to another line.
	Transfers int `json:"transfers,omitempty"`
	// Place orders waiting tickets: the sequence number of the event that
	// issued the ticket. A transfer keeps it, so the ticket keeps its place.
	Place int64 `json:"place"`
	// Ahead is how many tickets wait before this one in its line. It is
	// computed when a ticket is read on its own, and absent in events.
	Ahead *int `json:"ahead,omitempty"`
	// Estimate is the expected wait, with Ahead.
	Estimate *Estimate `json:"estimate,omitempty"`
	// CallReason says why the ticket was called out of order (a key of the
	// configured list, never free text).
	CallReason string `json:"call_reason,omitempty"`
	// Print is what became of the ticket's slip: "" (nothing known yet,
	// or no printer), "printed" or "failed".
	Print PrintState `json:"print,omitempty"`
	// PrintError says why the slip failed, in the printer's words
	// ("media-empty", "door-open", "offline", "timeout").
	PrintError string `json:"print_error,omitempty"`
	// Token is the unguessable status token; it is never sent in events.
	Token string `json:"-"`
	// StatusURL is the phone status page of the ticket (/t/{token}); the
	// API sets it on the kiosk's answer only.
	StatusURL string `json:"status_url,omitempty"`
}

// PrintState is the outcome of printing a ticket's slip.
type PrintState string

// The print states.
const (
	PrintDone   PrintState = "printed"
	PrintFailed PrintState = "failed"
)

// FormatNumber gives the printed number: prefix, dash, at least three digits.
func FormatNumber(prefix string, n int) string {
	return fmt.Sprintf("%s-%03d", prefix, n)
}

// EventType names a change.
type EventType string

// The event types. Clients ignore types they do not know.
const (
	EventIssued      EventType = "ticket.issued"
	EventCalled      EventType = "ticket.called"
	EventRecalled    EventType = "ticket.recalled"
	EventDone        EventType = "ticket.done"
	EventNoShow      EventType = "ticket.no_show"
	EventTransferred EventType = "ticket.transferred"
	EventExpired     EventType = "ticket.expired"
	// EventPrinted and EventPrintFailed report the slip; the ticket's
	// status does not change, a failed slip leaves the ticket valid.
	EventPrinted     EventType = "ticket.printed"
	EventPrintFailed EventType = "ticket.print_failed"
	EventPutBack     EventType = "ticket.put_back"
	EventReactivated EventType = "ticket.reactivated"
)

// Event is one change in the durable, ordered log. Seq grows by one per event,
// with no gaps, and is never reset. A ticket event carries the ticket; a
// desk event (desk.updated) carries the desk instead.
type Event struct {
	Seq    int64      `json:"seq"`
	Type   EventType  `json:"type"`
	At     time.Time  `json:"at"`
	Ticket Ticket     `json:"ticket,omitzero"`
	Desk   *DeskState `json:"desk,omitempty"`
	// LineMode is set on line.updated events.
	LineMode *LineMode `json:"line_mode,omitempty"`
}

// EventDeskUpdated reports that a desk opened, paused, resumed, changed
// its lines or closed.
const EventDeskUpdated EventType = "desk.updated"

// DeskState is a desk as the console and the waiting-time estimate see it:
// who serves which lines there, and whether the counsellor is away.
type DeskState struct {
	Label string   `json:"label"`
	Lines []string `json:"lines"`
	// Open is false once the counsellor has left the desk for the day.
	Open bool `json:"open"`
	// Paused is true while the counsellor is away from the desk.
	Paused bool `json:"paused"`
	// User is the counsellor's account name.
	User  string    `json:"user,omitempty"`
	Since time.Time `json:"since"`
	// Day is the service day the state belongs to; desks start closed
	// every day.
	Day string `json:"day"`
}

// DeskRequest sets a desk's state.
type DeskRequest struct {
	State DeskState
	Now   time.Time
	Day   string
}

// Call is one recent call of a line, as shown on the display.
type Call struct {
	Number string    `json:"number"`
	Desk   string    `json:"desk"`
	At     time.Time `json:"at"`
	Line   string    `json:"line"`
}

// ServedPerLine is how many of a line's latest consultations a Snapshot
// holds for the estimate.
const ServedPerLine = 20

// Snapshot is the state of a service day as of event Seq.
type Snapshot struct {
	Seq int64
	// Tickets are the day's waiting and called tickets, in place order.
	Tickets []Ticket
	// Desks are the day's open desks, by label.
	Desks []DeskState
	// LineModes are the day's hand-set line modes.
	LineModes []LineMode
	// Served are the day's finished consultations, oldest first, at most
	// the last ServedPerLine per line: the estimate's service times.
	Served []Served
	// Recent are the day's most recent calls, newest first, at most
	// RecentCalls per line. A recall moves its call to the top; a called
	// ticket that was transferred leaves the list (it waits again).
	Recent []Call
	// Waiting counts the waiting tickets of each line. Stores leave it
	// nil (it is counted from Tickets then); the service fills it once
	// for the figures it keeps for its estimates, which every draw reads.
	Waiting map[string]int `json:"-"`
}

// RecentCalls is how many recent calls per line a snapshot keeps.
const RecentCalls = 8

// Action is something a desk does to a ticket.
type Action string

// The actions on a single ticket.
const (
	ActRecall   Action = "recall"
	ActDone     Action = "done"
	ActNoShow   Action = "no_show"
	ActTransfer Action = "transfer"
	// ActCall calls a specific waiting ticket out of order, with a reason
	// from the configured list.
	ActCall Action = "call"
	// ActPutBack returns a called ticket to the queue, at its original
	// place or at the end.
	ActPutBack Action = "put_back"
	// ActReactivate brings a no-show back into the queue for a while
	// after it was marked (the visitor had stepped out).
	ActReactivate Action = "reactivate"
)

// Apply is the lifecycle: it applies action a to t at now and returns the
// changed ticket and the event type to record. toLine is the target of a
// transfer. It fails with a Conflict error when the status forbids the action.
// Stores call it inside their transaction, so every backend obeys one rule set.
func Apply(t Ticket, a Action, toLine string, now time.Time) (Ticket, EventType, error) {
	switch a {
	case ActRecall:
		if t.Status != StatusCalled {
			return t, "", Errorf(Conflict, "ticket %s is %s; only a called ticket can be recalled", t.Number, t.Status)
		}
		t.Recalls++
		t.CalledAt = &now
		return t, EventRecalled, nil
	case ActDone:
		if t.Status != StatusCalled {
			return t, "", Errorf(Conflict, "ticket %s is %s; only a called ticket can be done", t.Number, t.Status)
		}
		t.Status = StatusDone
		t.FinishedAt = &now
		return t, EventDone, nil
	case ActNoShow:
		if t.Status != StatusCalled {
			return t, "", Errorf(Conflict, "ticket %s is %s; only a called ticket can be a no-show", t.Number, t.Status)
		}
		t.Status = StatusNoShow
		t.FinishedAt = &now
		return t, EventNoShow, nil
	case ActTransfer:
		if !t.Status.Open() {
			return t, "", Errorf(Conflict, "ticket %s is %s; only a waiting or called ticket can be transferred", t.Number, t.Status)
		}
		if toLine == "" {
			return t, "", Errorf(Invalid, "name the line to transfer ticket %s to", t.Number)
		}
		if toLine == t.Line {
			return t, "", Errorf(Conflict, "ticket %s is already in line %s", t.Number, toLine)
		}
		t.Line = toLine
		t.Status = StatusWaiting
		t.Desk = ""
		t.CalledAt = nil
		t.CallReason = ""
		t.Transfers++
		return t, EventTransferred, nil
	}
	return t, "", Errorf(Invalid, "unknown action %q", a)
}

// CallTicket marks t called at desk. The ticket must be waiting.
func CallTicket(t Ticket, desk string, now time.Time) (Ticket, error) {
	if t.Status != StatusWaiting {
		return t, Errorf(Conflict, "ticket %s is %s; only a waiting ticket can be called", t.Number, t.Status)
	}
	t.Status = StatusCalled
	t.Desk = desk
	t.CalledAt = &now
	return t, nil
}

// SetPrint records the outcome of printing t's slip and returns the event
// type for it. It works in any status: a slip may fail after the visitor
// was already called.
func SetPrint(t Ticket, state PrintState, reason string) (Ticket, EventType, error) {
	switch state {
	case PrintDone:
		t.Print, t.PrintError = PrintDone, ""
		return t, EventPrinted, nil
	case PrintFailed:
		if reason == "" {
			reason = "unknown"
		}
		t.Print, t.PrintError = PrintFailed, reason
		return t, EventPrintFailed, nil
	}
	return t, "", Errorf(Invalid, "unknown print state %q", state)
}

// Expire marks an open ticket of an earlier service day expired.
func Expire(t Ticket, now time.Time) Ticket {
	t.Status = StatusExpired
	t.FinishedAt = &now
	return t
}

// DrawRequest asks a store to issue a ticket. The service fills every field.
type DrawRequest struct {
	Line    Line
	Lang    string
	Now     time.Time
	Day     string
	ID      string
	Token   string
	IdemKey string
	// IdemHash identifies the request body, so that a key reused with a
	// different body is refused.
	IdemHash string
	// IdemSince is the oldest key time still honoured.
	IdemSince time.Time
	// ReplayOnly asks only for the ticket of a known IdemKey: the store
	// issues nothing and fails with NotFound when the key is unknown. The
	// service uses it for retries that arrive after closing time.
	ReplayOnly bool
}

// NextRequest asks a store to call the oldest waiting ticket of Lines at Desk.
type NextRequest struct {
	Desk  string
	Lines []string
	Now   time.Time
	Day   string
}

// ActRequest asks a store to apply an action to one ticket.
type ActRequest struct {
	ID     string
	Action Action
	ToLine string
	Now    time.Time
	Day    string
	// Desk and Reason are for ActCall.
	Desk   string
	Reason string
	// AtEnd puts a ticket back at the end of its line instead of at its
	// original place (ActPutBack).
	AtEnd bool
	// MinRecall is the shortest time between two calls of a ticket.
	MinRecall time.Duration
	// Grace is how long after a no-show the ticket can be reactivated.
	Grace time.Duration
	// NextSeq is the seq the store's next event will get; a ticket put
	// back at the end takes it as its new place. The store fills it.
	NextSeq int64
}

// ApplyRequest is the whole lifecycle for one ticket: the actions of
// Apply plus calling out of order, putting back and reactivating, with the
// recall interval. Stores call it inside their transaction.
func ApplyRequest(t Ticket, r ActRequest) (Ticket, EventType, error) {
	now := r.Now
	switch r.Action {
	case ActRecall:
		if t.Status == StatusCalled && t.CalledAt != nil && r.MinRecall > 0 && now.Sub(*t.CalledAt) < r.MinRecall {
			wait := (r.MinRecall - now.Sub(*t.CalledAt)).Round(time.Second)
			return t, "", Errorf(Conflict, "ticket %s was called just now; recall again in %v", t.Number, max(wait, time.Second))
		}
	case ActCall:
		if r.Desk == "" || r.Reason == "" {
			return t, "", Errorf(Invalid, "calling out of order needs a desk and a reason")
		}
		c, err := CallTicket(t, r.Desk, now)
		if err != nil {
			return t, "", err
		}
		c.CallReason = r.Reason
		return c, EventCalled, nil
	case ActPutBack:
		if t.Status != StatusCalled {
			return t, "", Errorf(Conflict, "ticket %s is %s; only a called ticket can be put back", t.Number, t.Status)
		}
		t.Status, t.Desk, t.CalledAt, t.CallReason = StatusWaiting, "", nil, ""
		if r.AtEnd {
			if r.NextSeq <= t.Place {
				return t, "", Errorf(Internal, "no place at the end given")
			}
			t.Place = r.NextSeq
		}
		return t, EventPutBack, nil
	case ActReactivate:
		if t.Status != StatusNoShow {
			return t, "", Errorf(Conflict, "ticket %s is %s; only a no-show can be reactivated", t.Number, t.Status)
		}
		if t.FinishedAt != nil && r.Grace > 0 && now.Sub(*t.FinishedAt) > r.Grace {
			return t, "", Errorf(Conflict, "ticket %s was marked a no-show more than %v ago", t.Number, r.Grace)
		}
		t.Status, t.Desk, t.CalledAt, t.FinishedAt = StatusWaiting, "", nil, nil
		return t, EventReactivated, nil
	}
	return Apply(t, r.Action, r.ToLine, now)
}

// PrintRequest records the outcome of printing a ticket's slip.
type PrintRequest struct {
	ID     string
	State  PrintState
	Reason string
	Now    time.Time
	Day    string
}

// Store keeps tickets and the event log. Every method that changes state
// first expires open tickets of days before Day, records one event per
// change, and commits tickets and events together. Implementations must be
// safe for concurrent use, also from several processes sharing the backend.
type Store interface {
	LineModeStore
	StatsStore
	// Draw issues the next number of the line for the day. When IdemKey was
	// seen before with the same hash it returns that ticket and true; with a
	// different hash it fails with IdempotencyMismatch.
	Draw(ctx context.Context, r DrawRequest) (t Ticket, replay bool, err error)
	// Next calls the oldest waiting ticket (by place) of the lines at the
	// desk; a ticket still called at the desk is marked done first, also
	// when nobody waits, and Next then fails with Empty.
	Next(ctx context.Context, r NextRequest) (Ticket, error)
	// Act applies an action to a ticket (see Apply).
	Act(ctx context.Context, r ActRequest) (Ticket, error)
	// SetPrint records a slip's outcome (see SetPrint) with one event; it
	// does not expire anything and fails with NotFound for an unknown id.
	SetPrint(ctx context.Context, r PrintRequest) (Ticket, error)
	// SetDesk records a desk's state with one desk.updated event; it
	// replaces the desk's earlier state.
	SetDesk(ctx context.Context, r DeskRequest) (DeskState, error)
	// TicketByToken returns the ticket with a status token, with Ahead.
	TicketByToken(ctx context.Context, token string) (Ticket, error)
	// Ticket returns one ticket with Ahead filled in when it waits.
	Ticket(ctx context.Context, id string) (Ticket, error)
	// Snapshot returns the day's open tickets and recent calls, consistent
	// with the event log up to the returned Seq.
	Snapshot(ctx context.Context, day string) (Snapshot, error)
	// EventsAfter returns up to limit events with seq > after, in order. It
	// fails with Gone when events after `after` were pruned from the log.
	EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error)
	// LastSeq is the seq of the newest committed event (0 when none).
	LastSeq(ctx context.Context) (int64, error)
	// WaitEvents blocks until an event with seq > after may exist, or ctx
	// ends. It may return early; callers then read EventsAfter.
	WaitEvents(ctx context.Context, after int64) error
	// Ping tells whether the store is usable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// timeAlphabet sorts in ASCII as its digits' values do.
const timeAlphabet = "0123456789abcdefghijklmnopqrstuv"

// timePrefix is t in milliseconds as 9 base-32 digits (45 bits, enough
// until the year 3084), so that prefixes sort as times do.
func timePrefix(t time.Time) string {
	var b [9]byte
	ms := uint64(t.UnixMilli())
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = timeAlphabet[ms&31]
		ms >>= 5
	}
	return string(b[:])
}

// NewTicketID returns a ticket's id: the time of the draw (timePrefix) and
// 80 random bits. Ids drawn one after another sort one after another, so
// the stores' indexes of ids grow at one end instead of at a random page
// per draw (a page written per draw on SQLite); the random part keeps them
// unguessable.
func NewTicketID(now time.Time) string { return timePrefix(now) + NewID(10) }

// NewToken returns a ticket's status token: like NewTicketID, with 120
// random bits.
func NewToken(now time.Time) string { return timePrefix(now) + NewID(15) }

// NewID returns a random identifier of n random bytes, base32 encoded.
func NewID(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return idEncoding.EncodeToString(b)
}

// MaxDeskLen is the longest desk label, in characters.
const MaxDeskLen = 40

// CleanDesk validates a desk label (free text shown on the display) and
// returns it trimmed.
func CleanDesk(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 || n > MaxDeskLen || !utf8.ValidString(s) {
		return "", Errorf(Invalid, "a desk label has 1 to %d characters", MaxDeskLen)
	}
	for _, r := range s {
		// Control and format characters (zero-width, direction overrides
		// such as U+202E) and line/paragraph separators would make the
		// display show something other than what the counsellor typed.
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "", Errorf(Invalid, "a desk label cannot hold control or invisible formatting characters")
		}
	}
	return s, nil
}

var langRE = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$`)

// CleanLang validates a BCP 47 language tag; empty means German.
func CleanLang(s string) (string, error) {
	if s == "" {
		return "de", nil
	}
	if len(s) > 35 || !langRE.MatchString(s) {
		return "", Errorf(Invalid, "lang %q is not a BCP 47 language tag", s)
	}
	return s, nil
}
