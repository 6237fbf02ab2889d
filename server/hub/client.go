package hub

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/server/queue"
)

// client is one connection. One goroutine at a time writes data frames to
// conn: the upgrading handler while it sends the snapshot or backlog, then
// writePump, which it starts. The reader goroutine (readPump) only keeps
// the connection alive.
type client struct {
	conn *websocket.Conn
	// tag is set from the request context (WithTag).
	tag    string
	since  int64
	resume bool

	// sent is the seq of the newest event the client has, or will get from
	// the store: the writer moves it, the broadcaster reads it to drop a
	// client the ring has left behind.
	sent atomic.Int64
	// wake has one slot: a broadcast leaves a token, the writer then takes
	// everything new from the ring.
	wake chan struct{}
	// quit is closed when the hub stops the client.
	quit chan struct{}
	// readDone is closed when the reader ends.
	readDone chan struct{}

	// stopped is guarded by Hub.mu. closeCode and closeText are set before
	// quit is closed and read after it is.
	stopped   bool
	closeCode int
	closeText string
}

// isStopped reports whether the hub has stopped c.
func (c *client) isStopped() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// closeError asks the writer to end with a Close frame.
type closeError struct {
	code int
	text string
}

func (e *closeError) Error() string { return e.text }

var (
	// errStopped: the hub stopped the client; the Close frame is in the client.
	errStopped = errors.New("stopped by the hub")
	// errReadDone: the client closed or went silent.
	errReadDone = errors.New("reader ended")
)

// writePump takes over as c's writer once sendStart has sent events up to
// seq sent or failed with startErr. It sends the live events and pings
// until the client goes or the hub stops it, then closes the connection.
func (h *Hub) writePump(c *client, sent int64, startErr error) {
	defer h.wg.Done()
	err := startErr
	if err == nil {
		err = h.serve(c, sent)
	}

	code, text := 0, ""
	var ce *closeError
	switch {
	case errors.As(err, &ce):
		code, text = ce.code, ce.text
	case errors.Is(err, errStopped):
		// A shutdown may be stopping c right now; quit orders the reads.
		<-c.quit
		code, text = c.closeCode, c.closeText
	}
	if code != 0 {
		// The closing handshake: our Close frame, the client's answer
		// (which ends the reader), then the TCP close.
		err := c.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(code, text), time.Now().Add(closeGrace))
		if err == nil {
			t := time.NewTimer(closeGrace)
			select {
			case <-c.readDone:
			case <-t.C:
			}
			t.Stop()
		}
	}
	c.conn.Close()
	h.unregister(c)
	h.log.Debug("client disconnected", "reason", err, "close_code", code)
}

// serve writes live events after seq sent until the writer must end, and
// says why.
func (h *Hub) serve(c *client, sent int64) error {
	ping := time.NewTicker(h.opt.PingPeriod)
	defer ping.Stop()
	c.sent.Store(sent)

	var buf [16]*websocket.PreparedMessage
	for {
		for {
			first, batch, ok := h.pending(c.sent.Load(), buf[:0])
			if !ok {
				return &closeError{websocket.CloseTryAgainLater, "too far behind; resume with since"}
			}
			if len(batch) == 0 {
				break
			}
			for i, pm := range batch {
				if c.isStopped() {
					return errStopped
				}
				c.conn.SetWriteDeadline(time.Now().Add(h.opt.WriteWait))
				if err := c.conn.WritePreparedMessage(pm); err != nil {
					return err
				}
				c.sent.Store(first + int64(i))
			}
			clear(batch) // let sent events be collected
		}
		select {
		case <-c.wake:
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.opt.WriteWait)); err != nil {
				return err
			}
		case <-c.quit:
			return errStopped
		case <-c.readDone:
			return errReadDone
		}
	}
}

// pending appends to buf, up to its capacity, the ring's events after
// `after`, and returns the seq of the first. ok is false when the ring no
// longer holds the event after `after`.
func (h *Hub) pending(after int64, buf []*websocket.PreparedMessage) (first int64, batch []*websocket.PreparedMessage, ok bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if after >= h.ring.head {
		return 0, buf, true
	}
	first = after + 1
	if first < h.ring.oldest() {
		return 0, buf, false
	}
	for seq := first; seq <= h.ring.head && len(buf) < cap(buf); seq++ {
		buf = append(buf, h.ring.get(seq))
	}
	return first, buf, true
}

// snapshotMessage is the first message of a fresh connection.
type snapshotMessage struct {
	Type    string            `json:"type"`
	Seq     int64             `json:"seq"`
	Lines   []queue.LineState `json:"lines"`
	Tickets []queue.Ticket    `json:"tickets"`
}

// sendStart sends the backlog after since when the client resumes and the
// log still holds it, and a snapshot otherwise. It returns the seq of the
// newest event the client then has.
func (h *Hub) sendStart(c *client) (int64, error) {
	if c.resume {
		ctx, cancel := context.WithTimeout(h.ctx, storeWait)
		last, err := h.store.LastSeq(ctx)
		cancel()
		if err != nil {
			return 0, h.storeFailed("reading the log position", err)
		}
		// since above the log: the store was replaced; the client's state
		// belongs to another log and needs a snapshot.
		if c.since <= last {
			sent, n, err := h.sendBacklog(c)
			switch {
			case err == nil:
				return sent, nil
			case queue.ErrorCode(err) == queue.Gone && n == 0:
				// Older than the kept log: a snapshot instead.
			case queue.ErrorCode(err) == queue.Gone:
				return 0, &closeError{websocket.CloseTryAgainLater, "log pruned while resuming; reconnect"}
			default:
				return 0, err
			}
		}
	}

	ctx, cancel := context.WithTimeout(h.ctx, storeWait)
	snap, err := h.svc.Snapshot(ctx)
	cancel()
	if err != nil {
		return 0, h.storeFailed("reading a snapshot", err)
	}
	msg := snapshotMessage{Type: "snapshot", Seq: snap.Seq, Lines: h.svc.LineStates(snap), Tickets: snap.Tickets}
	if msg.Tickets == nil {
		msg.Tickets = []queue.Ticket{}
	}
	if err := h.writeJSON(c, msg); err != nil {
		return 0, err
	}
	return snap.Seq, nil
}

// sendBacklog sends every event after c.since from the store, page by
// page, and returns the seq of the last and how many it sent.
func (h *Hub) sendBacklog(c *client) (last int64, n int, err error) {
	last = c.since
	for {
		ctx, cancel := context.WithTimeout(h.ctx, storeWait)
		evs, err := h.store.EventsAfter(ctx, last, backlogPage)
		cancel()
		if err != nil {
			if queue.ErrorCode(err) == queue.Gone {
				return last, n, err
			}
			return last, n, h.storeFailed("reading the backlog", err)
		}
		for _, ev := range evs {
			if ev.Seq <= last {
				continue
			}
			if err := h.writeJSON(c, ev); err != nil {
				return last, n, err
			}
			last = ev.Seq
			n++
		}
		if len(evs) < backlogPage {
			return last, n, nil
		}
	}
}

// storeFailed logs a store error met while serving a client and returns
// the Close frame that asks it to come back later.
func (h *Hub) storeFailed(what string, err error) error {
	if h.ctx.Err() != nil {
		return errStopped // shutting down; not the store's fault
	}
	h.log.Error("store error while connecting a client", "op", what, "err", err)
	return &closeError{websocket.CloseTryAgainLater, "store unavailable; try again later"}
}

// writeJSON writes v as one text message, unless the hub stopped c.
func (h *Hub) writeJSON(c *client, v any) error {
	if c.isStopped() {
		return errStopped
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.conn.SetWriteDeadline(time.Now().Add(h.opt.WriteWait))
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

// readPump reads and discards what the client sends, which keeps pongs
// and the closing handshake flowing and notices a dead connection.
func (h *Hub) readPump(c *client) {
	defer h.wg.Done()
	defer close(c.readDone)
	c.conn.SetReadLimit(h.opt.MaxMessage)
	c.conn.SetReadDeadline(time.Now().Add(h.opt.PongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(h.opt.PongWait))
	})
	for {
		// NextReader discards the rest of the previous message itself.
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}
