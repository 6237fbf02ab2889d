// Unit tests for events.js: node --test ui-common/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  emptyModel,
  reduce,
  aheadOf,
  calledAt,
  waitingIn,
  backoffDelay,
  isStale,
  openDesks,
  EventStream,
  BACKOFF_MIN_MS,
  BACKOFF_MAX_MS,
} from "./events.js";

const lines = [
  { id: "mbe", name: "MBE", prefix: "M", ages: "27+", waiting: 1, called: 0, recent_calls: [] },
  { id: "jmd", name: "JMD", prefix: "J", ages: "12–26", waiting: 0, called: 1,
    recent_calls: [
      { number: "J-001", desk: "Empore", at: "2026-11-25T09:00:00Z", line: "jmd" },
      { number: "J-002", desk: "Raum 2", at: "2026-11-25T09:05:00Z", line: "jmd" },
    ] },
];
const tk = (id, number, line, status, extra = {}) => ({ id, number, line, issued_line: line, status, place: 0, ...extra });

function snapshot() {
  return reduce(emptyModel(), {
    type: "snapshot",
    seq: 10,
    lines,
    tickets: [tk("a", "M-001", "mbe", "waiting", { place: 3 }), tk("b", "J-002", "jmd", "called", { desk: "Raum 2", place: 4 })],
  });
}

test("snapshot builds the model", () => {
  const m = snapshot();
  assert.equal(m.seq, 10);
  assert.equal(m.synced, true);
  assert.deepEqual(m.waiting, { mbe: 1, jmd: 0 });
  assert.deepEqual(m.called, { mbe: 0, jmd: 1 });
  assert.equal(m.recent.jmd[0].number, "J-002", "recent calls newest first");
});

test("events update tickets, counts and recent calls", () => {
  let m = snapshot();
  m = reduce(m, { seq: 11, type: "ticket.issued", at: "2026-11-25T09:10:00Z", ticket: tk("c", "M-002", "mbe", "waiting", { place: 11 }) });
  assert.equal(m.waiting.mbe, 2);
  m = reduce(m, { seq: 12, type: "ticket.called", at: "2026-11-25T09:11:00Z", ticket: tk("a", "M-001", "mbe", "called", { desk: "Raum 2.14" }) });
  assert.equal(m.waiting.mbe, 1);
  assert.equal(m.called.mbe, 1);
  assert.deepEqual(
    [m.recent.mbe[0].number, m.recent.mbe[0].desk, m.recent.mbe[0].at],
    ["M-001", "Raum 2.14", "2026-11-25T09:11:00Z"],
  );
  m = reduce(m, { seq: 13, type: "ticket.recalled", at: "2026-11-25T09:12:00Z", ticket: tk("a", "M-001", "mbe", "called", { desk: "Raum 2.14", recalls: 1 }) });
  assert.equal(m.recent.mbe.length, 1, "a recall replaces the earlier entry of the same number");
  assert.equal(m.recent.mbe[0].recall, true);
  m = reduce(m, { seq: 14, type: "ticket.done", at: "2026-11-25T09:20:00Z", ticket: tk("a", "M-001", "mbe", "done") });
  assert.equal(m.tickets.a, undefined);
  assert.equal(m.called.mbe, 0);
  assert.equal(m.recent.mbe[0].number, "M-001", "history stays after done");
  m = reduce(m, { seq: 15, type: "ticket.transferred", at: "2026-11-25T09:21:00Z", ticket: tk("c", "M-002", "jmd", "waiting", { place: 11 }) });
  assert.deepEqual(m.waiting, { mbe: 0, jmd: 1 });
  m = reduce(m, { seq: 16, type: "ticket.expired", ticket: tk("c", "M-002", "jmd", "expired") });
  assert.deepEqual(m.waiting, { mbe: 0, jmd: 0 });
});

test("put back and reactivated tickets wait again", () => {
  let m = snapshot();
  m = reduce(m, { seq: 11, type: "ticket.put_back", ticket: tk("b", "J-002", "jmd", "waiting", { place: 11 }) });
  assert.deepEqual([m.waiting.jmd, m.called.jmd], [1, 0]);
  m = reduce(m, { seq: 12, type: "ticket.called", ticket: tk("b", "J-002", "jmd", "called", { desk: "Empore" }) });
  m = reduce(m, { seq: 13, type: "ticket.no_show", ticket: tk("b", "J-002", "jmd", "no_show") });
  assert.equal(m.tickets.b, undefined);
  m = reduce(m, { seq: 14, type: "ticket.reactivated", ticket: tk("b", "J-002", "jmd", "waiting", { place: 4 }) });
  assert.equal(m.waiting.jmd, 1);
});

test("duplicates and unknown types", () => {
  const m = snapshot();
  const same = reduce(m, { seq: 10, type: "ticket.issued", ticket: tk("z", "M-009", "mbe", "waiting") });
  assert.equal(same, m, "an event already applied changes nothing");
  const u = reduce(m, { seq: 11, type: "desk.renamed", ticket: tk("z", "M-009", "mbe", "waiting") });
  assert.equal(u.seq, 11);
  assert.equal(u.tickets.z, undefined);
  assert.equal(reduce(m, "nonsense"), m);
});

test("the old model is never changed", () => {
  const m = snapshot();
  const before = JSON.stringify(m);
  reduce(m, { seq: 11, type: "ticket.called", at: "2026-11-25T09:11:00Z", ticket: tk("a", "M-001", "mbe", "called", { desk: "X" }) });
  assert.equal(JSON.stringify(m), before);
});

test("selectors", () => {
  let m = snapshot();
  m = reduce(m, { seq: 11, type: "ticket.issued", ticket: tk("c", "M-002", "mbe", "waiting", { place: 11 }) });
  assert.deepEqual(waitingIn(m, "mbe").map((t) => t.number), ["M-001", "M-002"]);
  assert.equal(aheadOf(m, { id: "c" }), 1);
  assert.equal(aheadOf(m, { id: "a" }), 0);
  assert.equal(aheadOf(m, { id: "nope" }), null);
  assert.deepEqual(calledAt(m.tickets, "Raum 2").map((t) => t.number), ["J-002"]);
});

test("backoff grows from 0.5 s to 15 s with jitter", () => {
  for (let a = 0; a < 20; a++) {
    for (const r of [0, 0.5, 0.999]) {
      const d = backoffDelay(a, () => r);
      assert.ok(d >= BACKOFF_MIN_MS && d <= BACKOFF_MAX_MS, `attempt ${a}: ${d}`);
    }
  }
  assert.equal(backoffDelay(0, () => 0), 500);
  assert.ok(backoffDelay(3, () => 1) === 4000);
  assert.equal(backoffDelay(10, () => 1), BACKOFF_MAX_MS);
  assert.ok(backoffDelay(10, () => 0) >= BACKOFF_MAX_MS / 2);
});

test("stale only after the grace period", () => {
  assert.equal(isStale({ status: "open", since: 0, attempt: 0 }, 100000), false);
  assert.equal(isStale({ status: "reconnecting", since: 1000, attempt: 1 }, 5000), false);
  assert.equal(isStale({ status: "reconnecting", since: 1000, attempt: 1 }, 7000), true);
});

// A fake WebSocket and clock for EventStream.
function harness() {
  const sockets = [];
  class FakeWS {
    constructor(url) {
      this.url = url;
      this.closed = false;
      sockets.push(this);
    }
    close() {
      this.closed = true;
    }
    open() {
      this.onopen && this.onopen();
    }
    send(obj) {
      this.onmessage && this.onmessage({ data: JSON.stringify(obj) });
    }
    drop() {
      this.onclose && this.onclose();
    }
  }
  let now = 1000;
  const timers = [];
  const stream = new EventStream({
    url: "ws://h/api/v1/events",
    WebSocket: FakeWS,
    now: () => now,
    random: () => 0,
    setTimeout: (f, ms) => timers.push({ f, at: now + ms }) - 1,
    clearTimeout: (i) => (timers[i] = null),
    window: null,
  });
  const fire = () => {
    const t = timers.filter(Boolean).sort((a, b) => a.at - b.at)[0];
    timers[timers.indexOf(t)] = null;
    now = t.at;
    t.f();
    return t;
  };
  return { stream, sockets, fire, tick: (ms) => (now += ms), get now() { return now; } };
}

test("stream resumes with since and reports its state", () => {
  const h = harness();
  const got = [];
  const states = [];
  h.stream.onMessage((m) => got.push(m.seq));
  h.stream.onState((s) => states.push(s.status));
  h.stream.start();
  assert.equal(h.sockets[0].url, "ws://h/api/v1/events");
  h.sockets[0].open();
  h.sockets[0].send({ type: "snapshot", seq: 5, lines: [], tickets: [] });
  h.sockets[0].send({ seq: 6, type: "ticket.issued", ticket: { id: "x" } });
  h.sockets[0].send({ seq: 6, type: "ticket.issued", ticket: { id: "x" } }); // duplicate: dropped
  h.tick(2000);
  h.sockets[0].drop();
  assert.equal(h.stream.state.status, "reconnecting");
  assert.equal(h.stream.state.since, 3000, "down since the drop");
  const t = h.fire();
  assert.equal(t.at - 3000, 500, "first retry after 0.5 s");
  assert.equal(h.sockets[1].url, "ws://h/api/v1/events?since=6");
  h.sockets[1].drop();
  const t2 = h.fire();
  assert.equal(t2.at - 3500, 500, "second retry waits longer (jitter at 0 gives half)");
  assert.equal(h.stream.state.since, 3000, "still down since the first drop");
  h.sockets[2].open();
  assert.equal(h.stream.state.status, "open");
  h.sockets[2].send({ seq: 7, type: "ticket.called", ticket: { id: "x" } });
  assert.deepEqual(got, [5, 6, 7]);
  assert.deepEqual(states.slice(0, 3), ["stopped", "connecting", "open"]);
});

test("a gap in seq reconnects with since instead of applying", () => {
  const h = harness();
  const got = [];
  h.stream.onMessage((m) => got.push(m.seq));
  h.stream.start();
  h.sockets[0].open();
  h.sockets[0].send({ type: "snapshot", seq: 5 });
  h.sockets[0].send({ seq: 8, type: "ticket.issued", ticket: { id: "x" } });
  assert.deepEqual(got, [5]);
  assert.equal(h.sockets[0].closed, true);
  h.fire();
  assert.equal(h.sockets[1].url, "ws://h/api/v1/events?since=5");
});

test("a server that cannot resume sends a snapshot, which replaces all", () => {
  const h = harness();
  const got = [];
  h.stream.onMessage((m) => got.push(m.type));
  h.stream.start();
  h.sockets[0].open();
  h.sockets[0].send({ type: "snapshot", seq: 5 });
  h.sockets[0].drop();
  h.fire();
  h.sockets[1].open();
  h.sockets[1].send({ type: "snapshot", seq: 2 }); // e.g. a restarted server with a new log
  h.sockets[1].send({ seq: 3, type: "ticket.issued", ticket: { id: "y" } });
  assert.deepEqual(got, ["snapshot", "snapshot", "ticket.issued"]);
  assert.equal(h.stream.seq, 3);
});

test("stop closes and does not reconnect", () => {
  const h = harness();
  h.stream.start();
  h.sockets[0].open();
  h.stream.stop();
  assert.equal(h.sockets[0].closed, true);
  assert.equal(h.stream.state.status, "stopped");
  h.sockets[0].drop();
  assert.equal(h.sockets.length, 1);
});

test("desks come from the snapshot and follow desk.updated", () => {
  let m = reduce(emptyModel(), {
    type: "snapshot",
    seq: 5,
    lines,
    tickets: [],
    desks: [{ label: "Raum 2.14", lines: ["mbe"], open: true, paused: false, user: "berater1" }],
  });
  assert.deepEqual(openDesks(m).map((d) => d.label), ["Raum 2.14"]);
  m = reduce(m, { seq: 6, type: "desk.updated", at: "2026-11-25T09:00:00Z",
    desk: { label: "Empore", lines: ["jmd", "mbe"], open: true, paused: false, user: "berater2" } });
  assert.deepEqual(openDesks(m).map((d) => d.label), ["Empore", "Raum 2.14"]);
  m = reduce(m, { seq: 7, type: "desk.updated", desk: { label: "Empore", lines: ["jmd"], open: true, paused: true } });
  assert.equal(m.desks.Empore.paused, true);
  assert.deepEqual(m.desks.Empore.lines, ["jmd"]);
  m = reduce(m, { seq: 8, type: "desk.updated", desk: { label: "Raum 2.14", lines: [], open: false, paused: false } });
  assert.deepEqual(openDesks(m).map((d) => d.label), ["Empore"]);
  assert.equal(m.seq, 8);
  assert.equal(emptyModel().desks && Object.keys(emptyModel().desks).length, 0);
});

test("print outcomes update open tickets only", () => {
  let m = snapshot();
  m = reduce(m, { seq: 11, type: "ticket.print_failed", ticket: tk("a", "M-001", "mbe", "waiting", { place: 3, print: "failed", print_error: "media-empty" }) });
  assert.equal(m.tickets.a.print, "failed");
  assert.equal(m.tickets.a.print_error, "media-empty");
  assert.equal(m.waiting.mbe, 1);
  m = reduce(m, { seq: 12, type: "ticket.printed", ticket: tk("a", "M-001", "mbe", "waiting", { place: 3, print: "printed" }) });
  assert.equal(m.tickets.a.print, "printed");
  m = reduce(m, { seq: 13, type: "ticket.print_failed", ticket: tk("z", "M-009", "mbe", "done", { print: "failed" }) });
  assert.equal(m.tickets.z, undefined, "a finished ticket is not brought back");
  assert.equal(m.seq, 13);
});

test("reconnect drops a socket that looks open and resumes with since", () => {
  const h = harness();
  h.stream.start();
  h.sockets[0].open();
  h.sockets[0].send({ type: "snapshot", seq: 7, lines: [], tickets: [] });
  h.tick(1000);
  // The page found the server unreachable while the socket still looked open.
  h.stream.reconnect();
  assert.equal(h.sockets[0].closed, true);
  assert.equal(h.stream.state.status, "reconnecting");
  assert.equal(h.stream.state.since, h.now, "down since now");
  h.sockets[0].drop(); // the late close event changes nothing
  assert.equal(h.sockets.length, 1);
  h.fire();
  assert.equal(h.sockets.length, 2);
  assert.equal(h.sockets[1].url, "ws://h/api/v1/events?since=7");
  // While waiting to retry, reconnect skips the pause.
  h.sockets[1].drop();
  h.stream.reconnect();
  assert.equal(h.sockets.length, 3);
  h.stream.stop();
  h.stream.reconnect();
  assert.equal(h.sockets.length, 3, "a stopped stream stays stopped");
});

test("line.updated stores the line's hand-set mode", () => {
  let m = reduce(emptyModel(), { type: "snapshot", seq: 10, lines: [{ ...lines[0], mode: "closed" }, lines[1]], tickets: [] });
  assert.deepEqual(m.lineModes, { mbe: "closed", jmd: "auto" }, "the snapshot's modes; none is by the hours");
  const before = m;
  m = reduce(m, { seq: 11, type: "line.updated", at: "2026-11-25T09:00:00Z",
    line_mode: { line: "jmd", mode: "closed", user: "leitung", since: "2026-11-25T09:00:00Z", day: "2026-11-25" } });
  assert.deepEqual(m.lineModes, { mbe: "closed", jmd: "closed" });
  assert.equal(before.lineModes.jmd, "auto", "the old model is untouched");
  assert.notEqual(m.lineModes, before.lineModes, "a new object, so screens can tell it changed");
  m = reduce(m, { seq: 12, type: "line.updated", line_mode: { line: "mbe", mode: "", day: "2026-11-25" } });
  assert.equal(m.lineModes.mbe, "auto", "an empty mode is back to the hours");
  m = reduce(m, { seq: 13, type: "line.updated", line_mode: { line: "mbe", mode: "open" } });
  assert.equal(m.lineModes.mbe, "open");
  assert.equal(m.seq, 13);
  assert.deepEqual(m.waiting, { mbe: 0, jmd: 0 }, "no ticket, no change to the counts");
  const same = reduce(m, { seq: 13, type: "line.updated", line_mode: { line: "mbe", mode: "closed" } });
  assert.equal(same, m, "a duplicate changes nothing");
  const bad = reduce(m, { seq: 14, type: "line.updated" });
  assert.equal(bad.lineModes, m.lineModes, "without line_mode only the seq moves");
  assert.equal(bad.seq, 14);
  assert.deepEqual(reduce(emptyModel(), { seq: 1, type: "line.updated", line_mode: { line: "jmd", mode: "closed" } }).lineModes, { jmd: "closed" });
});
