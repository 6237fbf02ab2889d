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

// client is one connection. Its own goroutine is the reader (readPump),
// which only keeps the connection alive. Events and pings are written by
// one goroutine at a time, the holder of the writer role (see want): the
// upgrading handler while it sends the start, then whichever pool writer
// a broadcast or the pinger hands the client to. Only the Close frame of a
// stopped client is written by another goroutine (closeClient), through
// WriteControl, which gorilla allows next to a writer.
type client struct {
	conn *websocket.Conn
	// tag is set from the request context (WithTag).
	tag string

	// sent is the seq of the newest event the client has, or will get from
	// the store: the writer moves it, the broadcaster reads it to drop a
	// client the ring has left behind.
	sent atomic.Int64
	// want counts requests to write the client's pending events. Whoever
	// moves it from 0 holds the writer role until it is back at 0.
	want atomic.Int64
	// halted is set once the hub has stopped the client: no data frame may
	// be written any more.
	halted atomic.Bool
	// pingDue asks the writer for a ping.
	pingDue atomic.Bool
	// pingAt is when the pinger next asks for a ping, in Unix nanoseconds;
	// only the pinger and register touch it.
	pingAt int64

	// stopped is guarded by Hub.mu; halted follows it.
	stopped bool
}

// closeError asks for the client to be stopped with a Close frame.
type closeError struct {
	code int
	text string
}

func (e *closeError) Error() string { return e.text }

// errStopped: the hub stopped the client; its Close frame is on the way.
var errStopped = errors.New("stopped by the hub")

// start sends c its snapshot, or with resume its backlog after since,
// and then the events broadcast meanwhile. The caller holds the writer
// role, which start gives up.
func (h *Hub) start(c *client, since int64, resume bool) {
	defer h.wg.Done()
	if sent, err := h.sendStart(c, since, resume); err != nil {
		h.fail(c, err)
	} else {
		c.sent.Store(sent)
	}
	var buf [16]*websocket.PreparedMessage
	h.drain(c, buf[:0])
}

// drain writes c's pending events as its writer, then gives the writer
// role up. A request that came in meanwhile makes it write again, so no
// event is left waiting without a writer.
func (h *Hub) drain(c *client, buf []*websocket.PreparedMessage) {
	for {
		n := c.want.Load()
		if err := h.flush(c, buf); err != nil {
			h.fail(c, err)
		}
		if c.want.Add(-n) == 0 {
			return
		}
	}
}

// flush writes the ring's events after c.sent until the client has them
// all, and says why it could not.
func (h *Hub) flush(c *client, buf []*websocket.PreparedMessage) error {
	for {
		if c.halted.Load() {
			return nil
		}
		first, batch, ok := h.pending(c.sent.Load(), buf)
		if !ok {
			return &closeError{websocket.CloseTryAgainLater, "too far behind; resume with since"}
		}
		if len(batch) == 0 {
			// Events first, then the ping that was asked for.
			if c.pingDue.CompareAndSwap(true, false) {
				return c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.opt.StallWait))
			}
			return nil
		}
		for i, pm := range batch {
			if c.halted.Load() {
				return nil
			}
			c.conn.SetWriteDeadline(time.Now().Add(h.opt.StallWait))
			if err := c.conn.WritePreparedMessage(pm); err != nil {
				return err
			}
			c.sent.Store(first + int64(i))
		}
		clear(batch) // let sent events be collected
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

// fail stops c after a failed write or start: with the Close frame err
// asks for, or by closing the broken connection.
func (h *Hub) fail(c *client, err error) {
	var ce *closeError
	switch {
	case errors.As(err, &ce):
		h.stop(c, ce.code, ce.text)
	case errors.Is(err, errStopped):
	default:
		h.log.Debug("write failed", "err", err)
		h.stop(c, 0, "")
	}
}

// stop stops c (see stopLocked).
func (h *Hub) stop(c *client, code int, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopLocked(c, code, text)
}

// closeClient starts the closing handshake of a stopped client: our Close
// frame, then the client's answer, which ends the reader, which closes the
// connection. A client that does not answer within closeGrace is cut off
// by the read deadline.
func (h *Hub) closeClient(c *client, code int, text string) {
	defer h.wg.Done()
	err := c.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(code, text), time.Now().Add(closeGrace))
	if err == nil {
		err = c.conn.SetReadDeadline(time.Now().Add(closeGrace))
	}
	if err != nil {
		c.conn.Close()
	}
}

// snapshotMessage is the first message of a fresh connection.
type snapshotMessage struct {
	Type    string            `json:"type"`
	Seq     int64             `json:"seq"`
	Lines   []queue.LineState `json:"lines"`
	Tickets []queue.Ticket    `json:"tickets"`
	// Desks are today's open desks (consoles show who serves what).
	Desks []queue.DeskState `json:"desks"`
}

// sendStart sends the backlog after since when the client resumes and the
// log still holds it, and a snapshot otherwise. It returns the seq of the
// newest event the client then has.
func (h *Hub) sendStart(c *client, since int64, resume bool) (int64, error) {
	if resume {
		ctx, cancel := context.WithTimeout(h.ctx, storeWait)
		last, err := h.store.LastSeq(ctx)
		cancel()
		if err != nil {
			return 0, h.storeFailed("reading the log position", err)
		}
		// since above the log: the store was replaced; the client's state
		// belongs to another log and needs a snapshot.
		if since <= last {
			sent, n, err := h.sendBacklog(c, since)
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
	msg := snapshotMessage{Type: "snapshot", Seq: snap.Seq, Lines: h.svc.LineStates(snap), Tickets: snap.Tickets, Desks: snap.Desks}
	if msg.Desks == nil {
		msg.Desks = []queue.DeskState{}
	}
	if msg.Tickets == nil {
		msg.Tickets = []queue.Ticket{}
	}
	if err := h.writeJSON(c, msg); err != nil {
		return 0, err
	}
	return snap.Seq, nil
}

// sendBacklog sends every event after since from the store, page by
// page, and returns the seq of the last and how many it sent.
func (h *Hub) sendBacklog(c *client, since int64) (last int64, n int, err error) {
	last = since
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
	if c.halted.Load() {
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
// and the closing handshake flowing and notices a dead connection. When
// it ends the client is gone. ServeHTTP has set the read limit, deadline
// and pong handler.
//
// Every idle display is parked in this loop, so its stack is what a
// display costs. The frame is kept small (the setup is in prepareRead, the
// ending in readEnded): the whole read path then uses about 1 KiB and fits
// the smallest goroutine stack, 2 KiB (BENCHMARKS.md).
func (h *Hub) readPump(c *client) {
	var err error
	for err == nil {
		// NextReader discards the rest of the previous message itself.
		_, _, err = c.conn.NextReader()
	}
	h.readEnded(c, err)
}

// prepareRead sets what the reader enforces: the size limit, and the read
// deadline that each pong moves on.
func (h *Hub) prepareRead(c *client) {
	c.conn.SetReadLimit(h.opt.MaxMessage)
	c.conn.SetReadDeadline(time.Now().Add(h.opt.PongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(h.opt.PongWait))
	})
}

// readEnded closes c's connection and unregisters it once its reader has
// ended.
//
//go:noinline
func (h *Hub) readEnded(c *client, err error) {
	defer h.wg.Done()
	c.conn.Close()
	h.unregister(c)
	h.log.Debug("client disconnected", "reason", err)
}
