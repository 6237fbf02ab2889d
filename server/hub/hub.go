// Package hub fans Wartemarke's event log out to displays over websockets.
//
// # Protocol
//
// GET /api/v1/events upgrades to a websocket. The server then sends text
// messages only; the client sends nothing but control frames.
//
//   - On a first connect the server sends
//     {"type":"snapshot","seq":N,"lines":[…],"tickets":[…]}, the state of
//     today as of event N, and then every event N+1, N+2, … as the JSON of
//     queue.Event, in order, none missed, none twice.
//   - With ?since=S, when the store still keeps the events after S and S is
//     not ahead of the log, the server sends no snapshot, only every event
//     after S. When S is older than the kept log (queue.Gone) or ahead of it
//     (the store was replaced), the client gets a snapshot as on a first
//     connect. A since that is not a non-negative integer is a 400; an
//     empty one counts as absent.
//
// Clients ignore message types they do not know. Liveness uses websocket
// pings, not messages.
//
// # Design
//
// One pump (Run) reads the store's log and broadcasts each event, encoded
// once as a websocket.PreparedMessage, into a ring shared by all clients.
// Each connection has one goroutine of its own, the reader, which enforces
// the read limit, the read deadline and the pong handler. Events and pings
// are written by a small pool of writer goroutines shared by all
// connections (Options.Writers, two per CPU), never by more than one
// goroutine at a time per connection; only the Close frame of a stopped
// client is written by a goroutine of its own, through WriteControl, which
// gorilla allows next to a writer. The shape was chosen by the benchmark
// in BENCHMARKS.md: against a writer goroutine per connection (gorilla's
// chat shape) it holds about half the memory per idle display, and
// reaches the last of 10,000 displays sooner.
//
// The shared ring takes the place of the chat example's per-client channel:
// the broadcaster appends each event once and hands every client to the
// pool, whose writers take them one at a time; a writer copies out of the
// ring the events after the last one the client was sent. A client's queue
// is thus its distance behind the newest event, bounded by
// Options.SendQueue; a client that falls further behind is dropped, its TCP
// connection closed at once, and it resumes with ?since when it reconnects.
// A write that blocks (the display stopped reading and its socket buffer is
// full) is cut after Options.StallWait, so a dead display holds one pool
// writer for moments while the others go on. This keeps per-connection
// memory to the reader goroutine and a few words whatever SendQueue is,
// lets a burst (the morning's expiry of yesterday's tickets) cost one
// hand-over per client instead of one send per event and client, and never
// blocks the broadcaster on a client. One pinger goroutine asks for each
// client's pings, PingPeriod apart, instead of a timer per connection.
//
// Exactly one goroutine at a time is a client's writer. Whoever wants the
// client's pending events written increments client.want; the one that
// moved it from 0 becomes the writer, writes until nothing is pending and
// gives the role up by subtracting what it has seen, looping when someone
// asked again meanwhile. No request is lost and no two writers overlap.
//
// A connecting client is registered first, at the newest broadcast seq L,
// holding the writer role, and the upgrading handler then reads its backlog
// or snapshot from the store, which holds at least everything up to L, and
// writes it. Live events after L wait in the ring; the handler writes them
// too, skipping any it already sent from the store, before it gives the
// role up. So nothing falls into the gap between the store read and the
// live stream.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"wartemarke/server/queue"
)

// Defaults for Options; a zero field takes its default.
const (
	// DefaultWriteWait bounds one write: on the office LAN a write takes
	// milliseconds, so one this slow means the display is gone.
	DefaultWriteWait = 10 * time.Second
	// DefaultPongWait is how long a silent display still counts as alive.
	DefaultPongWait = 60 * time.Second
	// DefaultPingPeriod must be below PongWait; at under half of it one lost
	// ping is survived, and it stays under common proxies' 60 s idle timeout.
	DefaultPingPeriod = 25 * time.Second
	// DefaultSendQueue is how many events a client may lag behind: a day's
	// expiry burst fits, and the ring holding them is shared by all clients.
	DefaultSendQueue = 256
	// DefaultMaxMessage limits what a client may send; clients send nothing
	// meaningful, so anything bigger is abuse.
	DefaultMaxMessage = 512
	// DefaultStallWait bounds the write of one live event. An event is a
	// few hundred bytes; its write blocks only when the display has left
	// its whole socket buffer unread, and then it holds a shared writer.
	DefaultStallWait = 2 * time.Second
)

// DefaultWriters is the size of the writer pool: two per CPU keep every
// core writing during a broadcast while a writer waits in the kernel, and
// at least 4 let three displays stall at once without holding the others
// up. On 2 cores it spent 5 % less CPU per broadcast than one per CPU
// (BENCHMARKS.md).
func DefaultWriters() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// Internal timings and sizes.
const (
	// readyWait is how long an upgrade waits for Run to learn the log
	// position, which covers the first moments after start, before a 503.
	readyWait = 5 * time.Second
	// storeWait bounds one store read for a connecting client, so a stuck
	// store cannot pin its goroutines.
	storeWait = 10 * time.Second
	// closeGrace is how long a client gets to answer our Close frame, and
	// how long Close waits for that before it cuts the TCP connections.
	closeGrace = time.Second
	// resyncEvery is how often the idle pump checks that the log was not
	// reset under it, which WaitEvents alone would sleep through.
	resyncEvery = 30 * time.Second
	// minBackoff is the first retry delay after a store error: a blip heals.
	minBackoff = 100 * time.Millisecond
	// maxBackoff caps the retry delay: a store that is down is not hammered.
	maxBackoff = 10 * time.Second
	// pumpPage is how many events the pump reads per store call.
	pumpPage = 500
	// backlogPage is how many events a resuming client reads per store
	// call; small, because many displays may resume at once.
	backlogPage = 100
	// bufferSize is the read and write buffer per connection: messages are
	// small, and 10,000 displays must fit.
	bufferSize = 1024
	// pingTick is how often the pinger looks for clients due a ping.
	pingTick = time.Second
)

// Options configure a Hub. Zero fields take the Default values.
type Options struct {
	// WriteWait bounds each write of a snapshot, a backlog or a control
	// frame to a client.
	WriteWait time.Duration
	// StallWait bounds each write of a live event; a client whose write
	// takes longer is dropped and resumes with since.
	StallWait time.Duration
	// Writers is the number of pool goroutines writing live events.
	Writers int
	// PongWait is how long a client may stay silent (no pong, no message).
	PongWait time.Duration
	// PingPeriod is how often the server pings; it must be below PongWait.
	PingPeriod time.Duration
	// SendQueue is how many events a client may fall behind the newest
	// broadcast before it is dropped.
	SendQueue int
	// MaxMessage is the largest message a client may send, in bytes.
	MaxMessage int64
	// AllowedOrigins lists browser origins allowed besides the server's own
	// host, as browsers send them ("https://display.example.org"); they are
	// compared without regard to case.
	AllowedOrigins []string
	// Logger receives the hub's logs; nil means slog.Default().
	Logger *slog.Logger
	// OnEvents, if set, gets every page of events the pump reads, in
	// order, before they are broadcast (the metrics count them there
	// instead of reading the log a second time). It runs on the pump and
	// must not block.
	OnEvents func([]queue.Event)
}

// Hub serves the event stream: one pump reading the store, and the set of
// connected clients it broadcasts to.
type Hub struct {
	svc   *queue.Service
	store queue.Store
	opt   Options
	log   *slog.Logger
	up    websocket.Upgrader

	// ctx ends when the hub shuts down; it bounds the clients' store reads.
	ctx    context.Context
	cancel context.CancelFunc

	// ready is closed once Run has read the log position; until then a
	// client could not be registered at a known seq.
	ready   chan struct{}
	running atomic.Bool

	mu sync.RWMutex
	// ring holds the newest broadcast events; ring.head is the newest seq.
	ring ring
	// clients are all connections whose goroutines run, stopped or not.
	clients map[*client]struct{}
	// active counts the clients not stopped.
	active int
	closed bool

	// work hands batches of clients with events to write to the pool,
	// pings the batches of clients due a ping, which wait for events.
	work, pings chan *batch
	// wg counts the connection goroutines: readers, handlers while they
	// write a start, closers.
	wg sync.WaitGroup
	// writers counts the pool goroutines, which Run starts and waits for.
	writers sync.WaitGroup
}

// New returns a Hub over svc: svc.Store provides the event log, and
// svc.Snapshot with svc.LineStates the snapshots. Call Run to start the pump
// and Close to end every connection.
func New(svc *queue.Service, o Options) *Hub {
	if o.WriteWait <= 0 {
		o.WriteWait = DefaultWriteWait
	}
	if o.PongWait <= 0 {
		o.PongWait = DefaultPongWait
	}
	if o.PingPeriod <= 0 {
		o.PingPeriod = DefaultPingPeriod
	}
	if o.SendQueue <= 0 {
		o.SendQueue = DefaultSendQueue
	}
	if o.MaxMessage <= 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.StallWait <= 0 {
		o.StallWait = DefaultStallWait
	}
	if o.Writers <= 0 {
		o.Writers = DefaultWriters()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger.With("component", "hub")
	if o.PingPeriod >= o.PongWait {
		log.Warn("ping period not below pong wait; using 9/10 of pong wait",
			"ping_period", o.PingPeriod, "pong_wait", o.PongWait)
		o.PingPeriod = o.PongWait * 9 / 10
	}
	o.AllowedOrigins = append([]string(nil), o.AllowedOrigins...)
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		svc:     svc,
		store:   svc.Store,
		opt:     o,
		log:     log,
		ctx:     ctx,
		cancel:  cancel,
		ready:   make(chan struct{}),
		ring:    newRing(o.SendQueue),
		clients: make(map[*client]struct{}),
		work:    make(chan *batch, o.Writers),
		pings:   make(chan *batch, o.Writers),
	}
	h.up = websocket.Upgrader{
		ReadBufferSize:  bufferSize,
		WriteBufferSize: bufferSize,
		// Only a snapshot or backlog message borrows a write buffer, for as
		// long as it is written; live events are prepared frames.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     h.allowOrigin,
	}
	return h
}

// Clients returns how many clients are connected and receiving events.
func (h *Hub) Clients() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.active
}

// Run is the pump: it waits for new events in the store and broadcasts
// them in seq order until ctx ends. It survives store errors, retrying with
// backoff. When the log turns out to be reset or pruned past the pump's
// position, it starts over at the newest seq and disconnects every client,
// which then reconnects and resumes or gets a snapshot.
//
// Run may be called once. When ctx ends it disconnects every client with
// Close frames (1001, going away), because without the pump they would go
// stale, and returns nil.
func (h *Hub) Run(ctx context.Context) error {
	if !h.running.CompareAndSwap(false, true) {
		return errors.New("hub: Run called twice")
	}
	defer func() {
		h.shutdown(websocket.CloseGoingAway, "server shutting down")
		h.writers.Wait()
	}()

	var b backoff
	var last int64
	for {
		n, err := h.store.LastSeq(ctx)
		if err == nil {
			last = n
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		h.log.Error("cannot read the event log position", "err", err)
		if !b.wait(ctx) {
			return nil
		}
	}
	h.mu.Lock()
	h.ring.reset(last)
	h.mu.Unlock()
	for range h.opt.Writers {
		h.writers.Go(h.writer)
	}
	h.writers.Go(h.pinger)
	close(h.ready)
	h.log.Info("event pump started", "seq", last)
	b.reset()

	caughtUp := true
	for {
		if caughtUp {
			wctx, cancel := context.WithTimeout(ctx, resyncEvery)
			err := h.store.WaitEvents(wctx, last)
			idle := err != nil && wctx.Err() != nil
			cancel()
			switch {
			case ctx.Err() != nil:
				return nil
			case idle:
				// Idle: make sure the log did not restart below us.
				if n, err := h.store.LastSeq(ctx); err == nil && n < last {
					h.log.Warn("event log is behind the hub; starting over", "hub_seq", last, "log_seq", n)
					last = n
					h.resync(n)
				}
				continue
			case err != nil:
				h.log.Error("waiting for events failed", "err", err)
				if !b.wait(ctx) {
					return nil
				}
				continue
			}
		}
		evs, err := h.store.EventsAfter(ctx, last, pumpPage)
		if ctx.Err() != nil {
			return nil
		}
		if queue.ErrorCode(err) == queue.Gone {
			n, err := h.store.LastSeq(ctx)
			if err != nil {
				h.log.Error("cannot read the event log position", "err", err)
				if !b.wait(ctx) {
					return nil
				}
				continue
			}
			h.log.Warn("events after the hub's position were pruned; starting over", "hub_seq", last, "log_seq", n)
			last = n
			h.resync(n)
			caughtUp = true
			continue
		}
		if err != nil {
			h.log.Error("reading events failed", "after", last, "err", err)
			if !b.wait(ctx) {
				return nil
			}
			continue
		}
		b.reset()
		if len(evs) > 0 {
			if h.opt.OnEvents != nil {
				h.opt.OnEvents(evs)
			}
			h.broadcast(evs)
			last = evs[len(evs)-1].Seq
		}
		caughtUp = len(evs) < pumpPage
	}
}

// broadcast adds evs to the ring and hands every client to the writer
// pool. A client that has fallen more than SendQueue events behind is
// dropped.
func (h *Hub) broadcast(evs []queue.Event) {
	// Encode outside the lock, once per event for all clients.
	msgs := make([]*websocket.PreparedMessage, 0, len(evs))
	seqs := make([]int64, 0, len(evs))
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err == nil {
			var pm *websocket.PreparedMessage
			if pm, err = websocket.NewPreparedMessage(websocket.TextMessage, b); err == nil {
				msgs = append(msgs, pm)
				seqs = append(seqs, ev.Seq)
				continue
			}
		}
		// Cannot happen with the domain's types; skipping would leave a
		// hole, so the ring restarts after it and clients resume.
		h.log.Error("cannot encode event", "seq", ev.Seq, "err", err)
	}

	h.mu.Lock()
	for i, pm := range msgs {
		h.ring.push(seqs[i], pm)
	}
	dropped := 0
	todo := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		if c.stopped {
			continue
		}
		if c.sent.Load()+1 < h.ring.oldest() {
			// Too far behind: closing the TCP connection also ends a
			// write it may be blocked in.
			h.stopLocked(c, 0, "")
			dropped++
			continue
		}
		if c.want.Add(1) == 1 {
			todo = append(todo, c)
		}
		// Otherwise a writer is at work on c and will see the new events.
	}
	head := h.ring.head
	h.mu.Unlock()
	if dropped > 0 {
		h.log.Info("dropped slow clients", "count", dropped, "seq", head)
	}
	h.dispatch(h.work, todo)
}

// dispatch hands clients whose writer role the caller took to the pool.
// Every writer may join in, each taking one client at a time, so a writer
// held up by a display that stopped reading (for StallWait at most) holds
// up no other display while fewer displays stall at once than there are
// writers.
func (h *Hub) dispatch(ch chan<- *batch, todo []*client) {
	if len(todo) == 0 {
		return
	}
	b := &batch{clients: todo}
	for range min(h.opt.Writers, len(todo)) {
		select {
		case ch <- b:
		case <-h.ctx.Done():
			return
		}
	}
}

// batch is a broadcast's clients, shared out among the pool's writers.
type batch struct {
	clients []*client
	next    atomic.Int64
}

// take returns the next client not yet taken, or nil.
func (b *batch) take() *client {
	i := b.next.Add(1) - 1
	if i >= int64(len(b.clients)) {
		return nil
	}
	return b.clients[i]
}

// pinger asks the pool for a ping to every client every PingPeriod. One
// sweep a second keeps each client's pings about PingPeriod apart without a
// timer per client, and spreads them as the clients connected.
func (h *Hub) pinger() {
	t := time.NewTicker(min(pingTick, h.opt.PingPeriod/4))
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-h.ctx.Done():
			return
		}
		now := time.Now().UnixNano()
		var todo []*client // the writers own it once dispatched
		h.mu.RLock()
		for c := range h.clients {
			if c.stopped || now < c.pingAt {
				continue
			}
			c.pingAt = now + int64(h.opt.PingPeriod)
			c.pingDue.Store(true)
			if c.want.Add(1) == 1 {
				todo = append(todo, c)
			}
		}
		h.mu.RUnlock()
		h.dispatch(h.pings, todo)
	}
}

// writer is one goroutine of the pool: it writes each client it is handed
// until the client has every event in the ring. Events go first: between
// two pings a writer turns to a broadcast that came meanwhile, so the
// pings' sweep (all displays every PingPeriod) does not hold up a call.
func (h *Hub) writer() {
	var buf [16]*websocket.PreparedMessage
	events := func(b *batch) {
		for c := b.take(); c != nil; c = b.take() {
			h.drain(c, buf[:0])
		}
	}
	for {
		select {
		case b := <-h.work:
			events(b)
			continue
		default:
		}
		select {
		case b := <-h.work:
			events(b)
		case b := <-h.pings:
			for c := b.take(); c != nil; c = b.take() {
				h.drain(c, buf[:0])
				select {
				case e := <-h.work:
					events(e)
				default:
				}
			}
		case <-h.ctx.Done():
			return
		}
	}
}

// resync restarts the ring at seq and disconnects every client, whose
// position may no longer exist in the log.
func (h *Hub) resync(seq int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ring.reset(seq)
	for c := range h.clients {
		h.stopLocked(c, websocket.CloseServiceRestart, "event log restarted")
	}
}

// Close sends a Close frame (1001, going away) to every client and waits
// until their goroutines have ended. Clients that do not answer within a
// second are cut off. New connections are refused with 503 afterwards.
func (h *Hub) Close() {
	h.shutdown(websocket.CloseGoingAway, "server shutting down")
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(2 * closeGrace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	h.mu.RLock()
	for c := range h.clients {
		c.conn.Close()
	}
	h.mu.RUnlock()
	<-done
}

// shutdown stops every client with a Close frame and refuses new ones.
func (h *Hub) shutdown(code int, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	h.cancel()
	for c := range h.clients {
		h.stopLocked(c, code, text)
	}
}

// CloseWhere disconnects, with a Close frame (1008, policy violation), every
// client whose tag (see WithTag) matches, and returns how many. It is the
// hook for revoking a device: once CloseWhere returns, those clients get no
// further event beyond a write already under way, and their connections end
// within two seconds (the Close frame's grace, then the cut).
func (h *Hub) CloseWhere(match func(tag string) bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.clients {
		if !c.stopped && match(c.tag) {
			h.stopLocked(c, websocket.ClosePolicyViolation, "access revoked")
			n++
		}
	}
	return n
}

type tagKey struct{}

// WithTag returns a context carrying tag, which the hub keeps with a
// connection made with that request context. The device authentication
// middleware sets it, so that CloseWhere can cut a revoked device off.
func WithTag(ctx context.Context, tag string) context.Context {
	return context.WithValue(ctx, tagKey{}, tag)
}

// tagFrom returns the tag set with WithTag, or "".
func tagFrom(ctx context.Context) string {
	tag, _ := ctx.Value(tagKey{}).(string)
	return tag
}

// ServeHTTP upgrades GET /api/v1/events to the event stream. It replies 400
// to a since that is not a non-negative integer, 403 to a foreign origin
// and 503 while the hub is not running, all before upgrading.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	since, resume, err := parseSince(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if !h.allowOrigin(r) {
		h.log.Info("websocket origin refused")
		writeError(w, http.StatusForbidden, "forbidden_origin", "this page's origin may not open the event stream")
		return
	}
	if !h.waitReady(r.Context()) {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the event stream is not available")
		return
	}
	conn, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has replied; a bad handshake is the client's fault.
		h.log.Debug("websocket upgrade failed", "err", err)
		return
	}
	c := &client{
		conn: conn,
		tag:  tagFrom(r.Context()),
	}
	if !h.register(c) {
		conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"),
			time.Now().Add(closeGrace))
		conn.Close()
		return
	}
	h.log.Debug("client connected", "resume", resume)
	h.prepareRead(c)
	go h.readPump(c)
	// This goroutine holds the writer role (register took it): it writes
	// the snapshot or backlog, then what was broadcast meanwhile, and gives
	// the role up. It then ends with the request, and the HTTP server's
	// buffers and the stack the store reads and encoding grew go with it.
	h.start(c, since, resume)
}

// parseSince reads ?since. Absent or empty means a first connect.
func parseSince(q url.Values) (since int64, resume bool, err error) {
	s := q.Get("since")
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false, errors.New("since must be the seq of the last event received")
	}
	return n, true, nil
}

// waitReady waits until Run knows the log position, for at most readyWait.
// It reports false when the hub is not (or no longer) running.
func (h *Hub) waitReady(ctx context.Context) bool {
	select {
	case <-h.ready:
	case <-h.ctx.Done():
		return false
	default:
		t := time.NewTimer(readyWait)
		defer t.Stop()
		select {
		case <-h.ready:
		case <-h.ctx.Done():
			return false
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	return h.ctx.Err() == nil
}

// register adds c at the newest broadcast seq, holding the writer role
// for the caller; from then on every broadcast asks for it to be written.
// It reports false when the hub is closed.
func (h *Hub) register(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	c.sent.Store(h.ring.head)
	c.want.Store(1)
	c.pingAt = time.Now().Add(h.opt.PingPeriod).UnixNano()
	h.clients[c] = struct{}{}
	h.active++
	// The reader and the handler's start. Under the lock, so that Close's
	// Wait cannot start before this Add.
	h.wg.Add(2)
	return true
}

// unregister removes c once its reader has ended.
func (h *Hub) unregister(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopLocked(c, 0, "")
	delete(h.clients, c)
}

// stopLocked stops c: no data frame is written to it any more. With a code
// it gets a Close frame and a moment to answer before its connection is
// closed; with code 0 the connection is closed at once, which also ends a
// write blocked on it. The caller holds h.mu.
func (h *Hub) stopLocked(c *client, code int, text string) {
	if c.stopped {
		return
	}
	c.stopped = true
	c.halted.Store(true)
	h.active--
	if code == 0 {
		c.conn.Close()
		return
	}
	h.wg.Add(1)
	go h.closeClient(c, code, text)
}

// allowOrigin allows requests without an Origin header (displays and
// tools that are not browsers), from the server's own host, and from
// AllowedOrigins. A page elsewhere must not read the stream with the
// visitor's browser.
func (h *Hub) allowOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range h.opt.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// backoff paces retries after store errors.
type backoff struct{ d time.Duration }

func (b *backoff) reset() { b.d = 0 }

// wait sleeps for the next delay; it reports false when ctx ends first.
func (b *backoff) wait(ctx context.Context) bool {
	b.d = min(max(b.d*2, minBackoff), maxBackoff)
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ring holds the newest broadcast events, at most len(msgs). It holds the
// events with seq in (max(start, head-len(msgs)), head].
type ring struct {
	msgs  []*websocket.PreparedMessage
	start int64
	head  int64
}

func newRing(n int) ring { return ring{msgs: make([]*websocket.PreparedMessage, n)} }

// reset empties the ring, continuing after seq.
func (r *ring) reset(seq int64) {
	clear(r.msgs)
	r.start, r.head = seq, seq
}

// push appends the event seq. A seq that does not follow head restarts the
// ring, so it never holds a hole: clients behind it are dropped and resume
// from the store.
func (r *ring) push(seq int64, m *websocket.PreparedMessage) {
	if seq != r.head+1 {
		r.reset(seq - 1)
	}
	r.head = seq
	r.msgs[seq%int64(len(r.msgs))] = m
}

// oldest is the first seq the ring holds (head+1 when it is empty).
func (r *ring) oldest() int64 {
	return max(r.start, r.head-int64(len(r.msgs))) + 1
}

// get returns the event seq, which must be in [oldest(), head].
func (r *ring) get(seq int64) *websocket.PreparedMessage {
	return r.msgs[seq%int64(len(r.msgs))]
}

// writeError answers a refused upgrade in the API's error format,
// {"error":…,"code":…}, so clients translate it like any other error.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}{msg, code})
}
