// Live queue state for the display, the console and the kiosk.
//
// Two halves:
//   - pure functions (emptyModel, reduce, the selectors, backoffDelay) that
//     turn the server's messages into a plain, immutable model; no I/O, unit
//     tested with node --test;
//   - EventStream, which owns the websocket /api/v1/events: it connects,
//     keeps the last sequence number seen, resumes with ?since=, reconnects
//     with exponential backoff and jitter, and reports its connection state.
// connectQueue() joins the two, so a screen only renders model and state:
//
//   const live = connectQueue();
//   live.subscribe((model, msg, prev) => render(model));
//   live.onState((state) => showConnection(state));
//   live.start();

// Timing, each with its reason.
/** First retry after a drop: quick, a restarting server is back in a moment. */
export const BACKOFF_MIN_MS = 500;
/** Longest pause between retries: a display must not stay dark for long. */
export const BACKOFF_MAX_MS = 15000;
/** A connection open this long was healthy: the next drop retries quickly again. */
export const HEALTHY_AFTER_MS = 10000;
/** Screens call the data stale when the stream has been down this long. */
export const STALE_AFTER_MS = 5000;
/** Recent calls kept per line, as in the server's snapshot. */
export const RECENT_PER_LINE = 8;

const OPEN_STATUSES = new Set(["waiting", "called"]);

/**
 * @typedef {{id: string, number: string, line: string, issued_line?: string, lang?: string,
 *   status: string, desk?: string, place?: number, called_at?: string, issued_at?: string,
 *   recalls?: number}} Ticket
 * @typedef {{number: string, desk: string, at: string, line: string, id?: string, seq?: number,
 *   recall?: boolean}} Call
 * @typedef {{label: string, lines: string[], open: boolean, paused: boolean, user?: string,
 *   since?: string, day?: string}} Desk
 *   A desk as PUT /api/v1/desks/{desk} set it: who serves which lines there.
 * @typedef {"open"|"closed"|"auto"} LineModeName
 *   A line opened or closed by hand for today, or "auto": by its hours (PUT /api/v1/lines/{line}/mode).
 * @typedef {{seq: number, synced: boolean,
 *   lines: Array<{id: string, name: string, prefix: string, ages?: string}>,
 *   tickets: Record<string, Ticket>, recent: Record<string, Call[]>,
 *   waiting: Record<string, number>, called: Record<string, number>,
 *   desks: Record<string, Desk>, lineModes: Record<string, LineModeName>}} Model
 *   desks: today's open desks by label (snapshot, then desk.updated).
 *   lineModes: each line's hand-set mode today (snapshot, then line.updated).
 *   Tickets carry print ("printed"|"failed") and print_error once known.
 */

/** @returns {Model} the model before the first snapshot. */
export function emptyModel() {
  return { seq: 0, synced: false, lines: [], tickets: {}, recent: {}, waiting: {}, called: {}, desks: {}, lineModes: {} };
}

/**
 * Applies one message from the event stream to the model and returns the new
 * model; the old one is left untouched. Duplicates (seq already applied) and
 * unknown types change nothing but the seq.
 * @param {Model} model
 * @param {any} msg
 * @returns {Model}
 */
export function reduce(model, msg) {
  if (!msg || typeof msg !== "object") return model;
  if (msg.type === "snapshot") return fromSnapshot(msg);
  if (typeof msg.seq !== "number") return model;
  if (model.synced && msg.seq <= model.seq) return model;

  const next = { ...model, seq: msg.seq };
  if (msg.type === "desk.updated") return withDesk(next, msg.desk);
  if (msg.type === "line.updated") return withLineMode(next, msg.line_mode);
  const t = msg.ticket;
  if (!t || typeof t.id !== "string") return next;

  switch (msg.type) {
    case "ticket.issued":
    case "ticket.transferred":
    case "ticket.put_back": // a called ticket waits again (its place or the end)
    case "ticket.reactivated": // a no-show waits again
      next.tickets = { ...model.tickets, [t.id]: t };
      break;
    case "ticket.called":
    case "ticket.recalled": {
      next.tickets = { ...model.tickets, [t.id]: t };
      const call = {
        id: t.id,
        number: t.number,
        desk: t.desk || "",
        line: t.line,
        at: msg.at || t.called_at || "",
        seq: msg.seq,
        recall: msg.type === "ticket.recalled",
      };
      const old = model.recent[t.line] || [];
      next.recent = {
        ...model.recent,
        [t.line]: [call, ...old.filter((c) => c.number !== t.number)].slice(0, RECENT_PER_LINE),
      };
      break;
    }
    case "ticket.printed":
    case "ticket.print_failed":
      // Only the slip changed; a ticket that is no longer open stays gone.
      if (!(t.id in model.tickets)) return next;
      next.tickets = { ...model.tickets, [t.id]: t };
      break;
    case "ticket.done":
    case "ticket.no_show":
    case "ticket.expired": {
      if (!(t.id in model.tickets)) return next;
      const tickets = { ...model.tickets };
      delete tickets[t.id];
      next.tickets = tickets;
      break;
    }
    default:
      return next; // a type this client does not know: ignore it
  }
  return withCounts(next);
}

function fromSnapshot(msg) {
  const lines = (msg.lines || []).map((l) => ({ id: l.id, name: l.name, prefix: l.prefix, ages: l.ages }));
  const tickets = {};
  for (const t of msg.tickets || []) {
    if (t && OPEN_STATUSES.has(t.status)) tickets[t.id] = t;
  }
  const recent = {};
  for (const l of msg.lines || []) {
    recent[l.id] = (l.recent_calls || [])
      .map((c) => ({ ...c, line: c.line || l.id }))
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
      .slice(0, RECENT_PER_LINE);
  }
  const desks = {};
  for (const d of msg.desks || []) {
    if (d && typeof d.label === "string" && d.open) desks[d.label] = d;
  }
  const lineModes = {};
  for (const l of msg.lines || []) {
    if (l && typeof l.id === "string") lineModes[l.id] = modeName(l.mode);
  }
  return withCounts({ seq: msg.seq || 0, synced: true, lines, tickets, recent, waiting: {}, called: {}, desks, lineModes });
}

/** The server's mode ("" or absent: by the hours) as a LineModeName. */
function modeName(mode) {
  return mode === "open" || mode === "closed" ? mode : "auto";
}

/** The model with line m.line opened or closed by hand, or back to its hours. */
function withLineMode(model, m) {
  if (!m || typeof m.line !== "string") return model;
  return { ...model, lineModes: { ...(model.lineModes || {}), [m.line]: modeName(m.mode) } };
}

/** The model with desk d opened, changed or (open: false) closed. */
function withDesk(model, d) {
  if (!d || typeof d.label !== "string") return model;
  const desks = { ...(model.desks || {}) };
  if (d.open) desks[d.label] = d;
  else delete desks[d.label];
  return { ...model, desks };
}

function withCounts(model) {
  const waiting = {};
  const called = {};
  for (const l of model.lines) {
    waiting[l.id] = 0;
    called[l.id] = 0;
  }
  for (const t of Object.values(model.tickets)) {
    if (t.status === "waiting") waiting[t.line] = (waiting[t.line] || 0) + 1;
    else if (t.status === "called") called[t.line] = (called[t.line] || 0) + 1;
  }
  model.waiting = waiting;
  model.called = called;
  return model;
}

// Selectors: small questions screens ask of the model.

/**
 * The waiting tickets of a line, first in line first.
 * @param {Model} model
 * @param {string} line
 * @returns {Ticket[]}
 */
export function waitingIn(model, line) {
  return Object.values(model.tickets)
    .filter((t) => t.line === line && t.status === "waiting")
    .sort((a, b) => (a.place || 0) - (b.place || 0));
}

/**
 * Today's open desks, by label.
 * @param {Model} model
 * @returns {Desk[]}
 */
export function openDesks(model) {
  return Object.values(model.desks || {}).sort((a, b) => a.label.localeCompare(b.label, "de", { numeric: true }));
}

/**
 * How many tickets wait before ticket t in its line, or null when the model
 * does not know t.
 * @param {Model} model
 * @param {Ticket} t
 */
export function aheadOf(model, t) {
  const mine = model.tickets[t.id];
  if (!mine || mine.status !== "waiting") return null;
  return waitingIn(model, mine.line).filter((x) => (x.place || 0) < (mine.place || 0)).length;
}

/**
 * The tickets called to a desk, most recently called first.
 * @param {Record<string, Ticket>} tickets
 * @param {string} desk
 * @returns {Ticket[]}
 */
export function calledAt(tickets, desk) {
  return Object.values(tickets)
    .filter((t) => t.status === "called" && t.desk === desk)
    .sort((a, b) => Date.parse(b.called_at || 0) - Date.parse(a.called_at || 0));
}

/**
 * The pause before reconnect attempt number `attempt` (0 for the first):
 * exponential from BACKOFF_MIN_MS to BACKOFF_MAX_MS, with "equal jitter" so that
 * many displays dropped together do not all return in the same instant.
 * @param {number} attempt
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, attempt));
  return Math.round(Math.max(BACKOFF_MIN_MS, ceiling / 2 + (random() * ceiling) / 2));
}

/**
 * True when the stream has been down for longer than graceMs, so what is
 * shown must not pass for live.
 * @param {StreamState} state
 * @param {number} now local time in ms
 */
export function isStale(state, now, graceMs = STALE_AFTER_MS) {
  return state.status !== "open" && now - state.since > graceMs;
}

/**
 * @typedef {{status: "connecting"|"open"|"reconnecting"|"stopped",
 *   since: number, attempt: number, retryAt?: number}} StreamState
 * since: local time the current status began; for "connecting" and
 * "reconnecting" that is when the stream was last live (or first started),
 * so "reconnecting since T" reads directly.
 */

/** The events URL on the page's own host, ws:// or wss:// as the page. */
export function defaultEventsURL(loc = globalThis.location) {
  const proto = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${loc.host}/api/v1/events`;
}

/** Owns the websocket to /api/v1/events. */
export class EventStream {
  /**
   * @param {{url?: string, WebSocket?: any, now?: () => number, random?: () => number,
   *   setTimeout?: Function, clearTimeout?: Function, window?: any}} [opts]
   *   Everything but url is there for tests.
   */
  constructor(opts = {}) {
    this.url = opts.url || defaultEventsURL();
    this.WS = opts.WebSocket || globalThis.WebSocket;
    this.now = opts.now || Date.now;
    this.random = opts.random || Math.random;
    this.setTimeout = opts.setTimeout || ((f, ms) => setTimeout(f, ms));
    this.clearTimeout = opts.clearTimeout || ((id) => clearTimeout(id));
    this.window = opts.window !== undefined ? opts.window : globalThis.window;
    /** Last sequence number seen; 0 until the first snapshot. */
    this.seq = 0;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = true;
    /** @type {StreamState} */
    this.state = { status: "stopped", since: this.now(), attempt: 0 };
    this.messageFns = new Set();
    this.stateFns = new Set();
    this.onOnline = () => this.retryNow();
  }

  /** Calls fn(msg) for every snapshot and every new event, in order. */
  onMessage(fn) {
    this.messageFns.add(fn);
    return () => this.messageFns.delete(fn);
  }

  /** Calls fn(state) now and on every change of the connection state. */
  onState(fn) {
    this.stateFns.add(fn);
    fn(this.state);
    return () => this.stateFns.delete(fn);
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.setState({ status: "connecting", since: this.now(), attempt: 0 });
    if (this.window && this.window.addEventListener) this.window.addEventListener("online", this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
    if (this.window && this.window.removeEventListener) this.window.removeEventListener("online", this.onOnline);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "stopped");
    this.setState({ status: "stopped", since: this.now(), attempt: 0 });
  }

  /**
   * Drops the current connection and connects again after the usual pause,
   * resuming with since. For a page that found the server unreachable while
   * the socket still looked open (a server gone without closing it).
   */
  reconnect() {
    if (this.stopped) return;
    const ws = this.ws;
    if (!ws) {
      this.retryNow();
      return;
    }
    try {
      ws.close(4001, "server unreachable");
    } catch {
      // closing a broken socket may throw; it is dropped all the same
    }
    this.dropped(ws, 0);
  }

  /** Skips the rest of the current backoff pause (the network came back). */
  retryNow() {
    if (this.stopped || this.ws || this.timer === null) return;
    this.clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  connect() {
    const url = this.seq > 0 ? `${this.url}?since=${this.seq}` : this.url;
    let ws;
    try {
      ws = new this.WS(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let openedAt = 0;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      openedAt = this.now();
      this.setState({ status: "open", since: openedAt, attempt: this.attempt });
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!msg || typeof msg !== "object") return;
      if (msg.type === "snapshot") {
        this.seq = typeof msg.seq === "number" ? msg.seq : 0;
      } else if (typeof msg.seq === "number") {
        if (msg.seq <= this.seq) return; // seen already
        if (this.seq > 0 && msg.seq > this.seq + 1) {
          // Events went missing: reconnect and let the server replay from
          // what we have, rather than show a model with a hole in it.
          ws.close(4000, "gap");
          this.dropped(ws, openedAt);
          return;
        }
        this.seq = msg.seq;
      } else {
        return;
      }
      for (const fn of this.messageFns) fn(msg);
    };
    ws.onclose = () => this.dropped(ws, openedAt);
    ws.onerror = () => {}; // a close event follows
  }

  dropped(ws, openedAt) {
    if (this.ws !== ws) return;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (this.stopped) return;
    if (openedAt && this.now() - openedAt >= HEALTHY_AFTER_MS) this.attempt = 0;
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const delay = backoffDelay(this.attempt, this.random);
    const since = this.state.status === "open" ? this.now() : this.state.since;
    this.attempt++;
    this.setState({ status: "reconnecting", since, attempt: this.attempt, retryAt: this.now() + delay });
    this.timer = this.setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  setState(s) {
    this.state = s;
    for (const fn of this.stateFns) fn(s);
  }
}

/**
 * The live queue: an EventStream feeding reduce(). Screens subscribe and
 * render; they never touch the websocket.
 * @param {ConstructorParameters<typeof EventStream>[0]} [opts]
 */
export function connectQueue(opts) {
  const stream = new EventStream(opts);
  let model = emptyModel();
  const fns = new Set();
  stream.onMessage((msg) => {
    const prev = model;
    model = reduce(model, msg);
    for (const fn of fns) fn(model, msg, prev);
  });
  return {
    stream,
    /** @returns {Model} */
    get model() {
      return model;
    },
    /** @returns {StreamState} */
    get state() {
      return stream.state;
    },
    /** fn(model, msg, prev) after every message; returns an unsubscribe function. */
    subscribe(fn) {
      fns.add(fn);
      return () => fns.delete(fn);
    },
    /** fn(state) now and on every connection change; returns an unsubscribe function. */
    onState(fn) {
      return stream.onState(fn);
    },
    start() {
      stream.start();
      return this;
    },
    stop() {
      stream.stop();
    },
  };
}
