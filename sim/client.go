package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/server/queue"
)

// API is an HTTP client of the service with one bearer token, as a kiosk,
// a console or an admin's browser uses it.
type API struct {
	Base  string
	Token string
	HTTP  *http.Client
}

// apiError is an error answer of the service.
type apiError struct {
	Status int
	Code   string `json:"code"`
	Msg    string `json:"error"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Msg) }

// statusOf returns the HTTP status of an apiError, 0 for other errors.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// Do sends a request with a JSON body (nil: none) and decodes a JSON
// answer into out (nil: discarded). It returns the status; an answer of
// 400 or more is an *apiError.
func (c *API) Do(ctx context.Context, method, path string, body any, out any, header ...string) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode >= 400 {
		ae := &apiError{Status: res.StatusCode}
		json.Unmarshal(b, ae)
		return res.StatusCode, ae
	}
	if out != nil && len(b) > 0 {
		if s, ok := out.(*[]byte); ok {
			*s = b
			return res.StatusCode, nil
		}
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return res.StatusCode, nil
}

// deskPath is the path of a desk's resource; the label is escaped.
func deskPath(desk string) string { return "/api/v1/desks/" + url.PathEscape(desk) }

// ev is what the simulation keeps of an event: enough to compare it with
// the log.
type ev struct {
	Seq    int64
	Type   queue.EventType
	At     time.Time
	ID     string
	Number string
	Status queue.Status
	Line   string
	Desk   string
}

func light(e queue.Event) ev {
	return ev{Seq: e.Seq, Type: e.Type, At: e.At, ID: e.Ticket.ID, Number: e.Ticket.Number,
		Status: e.Ticket.Status, Line: e.Ticket.Line, Desk: e.Ticket.Desk}
}

// segment is one connection of a listener: how it started (a snapshot at
// Seq, or a resume after Seq) and the events it got.
type segment struct {
	Resume bool
	Since  int64
	// Fresh is true when the connection began with a snapshot; Snapshot
	// holds its open tickets (id → status) when the listener keeps what
	// it got.
	Fresh    bool
	Snapshot map[string]queue.Status
	Events   []ev
}

// Listener is a websocket client of GET /api/v1/events: a waiting-room
// display, a console or a kiosk. It checks as it goes that events come in
// order without gaps, and keeps them (Keep) for the checks at the end.
type Listener struct {
	Name, Kind string
	Base       string
	Token      string
	// Keep keeps every event; a soak keeps only counts.
	Keep bool
	// Wake gets a signal (never blocking) on every ticket event; a
	// console's counsellor waits on it when nobody waits.
	Wake chan struct{}

	mu       sync.Mutex
	conn     *websocket.Conn
	done     chan struct{}
	last     int64
	segments []segment
	events   int
	calls    int
	problems []string
	dials    int
}

// NewListener returns a listener that is not connected yet.
func NewListener(name, kind, base, token string, keep bool) *Listener {
	return &Listener{Name: name, Kind: kind, Base: base, Token: token, Keep: keep, Wake: make(chan struct{}, 1)}
}

var dialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 1024}

// Connect opens the event stream, resuming after the last event seen when
// resume is true and one was seen, and reads it in the background.
func (l *Listener) Connect(ctx context.Context, resume bool) error {
	l.mu.Lock()
	if l.conn != nil {
		l.mu.Unlock()
		return fmt.Errorf("%s: already connected", l.Name)
	}
	since := l.last
	resume = resume && len(l.segments) > 0
	l.mu.Unlock()
	u := "ws" + strings.TrimPrefix(l.Base, "http") + "/api/v1/events"
	if resume {
		u += "?since=" + strconv.FormatInt(since, 10)
	}
	h := http.Header{"Authorization": {"Bearer " + l.Token}}
	conn, res, err := dialer.DialContext(ctx, u, h)
	if err != nil {
		if res != nil {
			return fmt.Errorf("%s: dial: %v (%d)", l.Name, err, res.StatusCode)
		}
		return fmt.Errorf("%s: dial: %v", l.Name, err)
	}
	l.mu.Lock()
	l.conn, l.done = conn, make(chan struct{})
	l.dials++
	if !l.Keep {
		// A soak keeps nothing that grows with its reconnects: only the
		// connection at hand.
		l.segments = l.segments[:0]
	}
	l.segments = append(l.segments, segment{Resume: resume, Since: since})
	done := l.done
	l.mu.Unlock()
	go l.read(conn, done)
	return nil
}

// message is any message of the stream: a snapshot or an event.
type message struct {
	queue.Event
	Tickets []queue.Ticket `json:"tickets"`
}

func (l *Listener) read(conn *websocket.Conn, done chan struct{}) {
	defer close(done)
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			l.mu.Lock()
			if l.conn == conn {
				// The server ended the connection (not Close).
				l.conn = nil
				if !websocket.IsCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure) {
					l.problems = append(l.problems, fmt.Sprintf("%s: connection lost: %v", l.Name, err))
				}
			}
			l.mu.Unlock()
			return
		}
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			l.problem("%s: message is not JSON: %v", l.Name, err)
			continue
		}
		l.take(m)
	}
}

func (l *Listener) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// take checks and records one message.
func (l *Listener) take(m message) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seg := &l.segments[len(l.segments)-1]
	if m.Type == "snapshot" {
		if len(seg.Events) > 0 || seg.Fresh {
			l.problems = append(l.problems, fmt.Sprintf("%s: a snapshot in the middle of a connection (seq %d)", l.Name, m.Seq))
		}
		// A resume may get a snapshot (the log no longer holds since);
		// the segment then starts from the snapshot.
		seg.Resume, seg.Since, seg.Fresh = false, m.Seq, true
		if l.Keep {
			seg.Snapshot = map[string]queue.Status{}
			for _, t := range m.Tickets {
				seg.Snapshot[t.ID] = t.Status
			}
		}
		l.last = m.Seq
		return
	}
	if m.Seq == 0 {
		return // not an event of the log; ignored like an unknown type
	}
	if m.Seq != l.last+1 {
		l.problems = append(l.problems, fmt.Sprintf("%s: event %d after %d (%s)", l.Name, m.Seq, l.last, m.Type))
	}
	l.last = max(l.last, m.Seq)
	l.events++
	if m.Type == queue.EventCalled || m.Type == queue.EventRecalled {
		l.calls++
	}
	if l.Keep {
		seg.Events = append(seg.Events, light(m.Event))
	}
	if m.Ticket.ID != "" {
		select {
		case l.Wake <- struct{}{}:
		default:
		}
	}
}

// Close sends a Close frame, waits for the server's answer and closes the
// connection.
func (l *Listener) Close() {
	l.mu.Lock()
	conn, done := l.conn, l.done
	l.conn = nil
	l.mu.Unlock()
	if conn == nil {
		return
	}
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	conn.Close()
	<-done
}

// Last is the seq of the newest event seen.
func (l *Listener) Last() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// Connected tells whether the listener holds a connection.
func (l *Listener) Connected() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn != nil
}

// Stats are a listener's counts.
type ListenerStats struct {
	Name, Kind           string
	Dials, Events, Calls int
	// Last is the seq of the newest event it got.
	Last     int64
	Problems []string
	Segments []segment
}

// Stats returns the listener's counts and what it kept.
func (l *Listener) Stats() ListenerStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return ListenerStats{Name: l.Name, Kind: l.Kind, Last: l.last, Dials: l.dials, Events: l.events, Calls: l.calls,
		Problems: append([]string(nil), l.problems...), Segments: slices.Clone(l.segments)}
}
