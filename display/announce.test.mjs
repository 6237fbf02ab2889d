// Unit tests for announce.js and calls.js: node --test display/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  spokenNumber,
  announcementText,
  announcementFor,
  enqueue,
  dequeue,
  Announcer,
  FRESH_MS,
} from "./announce.js";
import { splitCalls } from "./calls.js";

const T0 = Date.parse("2026-11-25T09:12:00Z");
const called = (seq, number, desk, atMs, type = "ticket.called") => ({
  seq,
  type,
  at: new Date(atMs).toISOString(),
  ticket: { id: `id-${number}`, number, desk, line: number.startsWith("M") ? "mbe" : "jmd", status: "called" },
});

test("numbers are spoken without dash and leading zeros", () => {
  for (const [in_, want] of [["M-012", "M 12"], ["J-007", "J 7"], ["M-100", "M 100"], ["M-1234", "M 1234"], ["j-000", "J 0"], ["odd", "odd"]]) {
    assert.equal(spokenNumber(in_), want, in_);
  }
  assert.equal(announcementText({ number: "M-012", desk: "Raum 2.14" }), "Nummer M 12, bitte zu Raum 2.14");
});

test("only fresh calls and recalls are announced", () => {
  assert.equal(announcementFor(called(1, "M-012", "Raum 2.14", T0), T0 + 1000).text, "Nummer M 12, bitte zu Raum 2.14");
  assert.equal(announcementFor(called(2, "M-012", "Raum 2.14", T0, "ticket.recalled"), T0 + 5000).recall, true);
  assert.equal(announcementFor(called(3, "M-012", "Raum 2.14", T0), T0 + FRESH_MS + 1), null, "old call replayed on reconnect");
  assert.equal(announcementFor({ ...called(4, "M-012", "X", T0), type: "ticket.done" }, T0), null);
  assert.equal(announcementFor({ type: "snapshot", seq: 9 }, T0), null);
  assert.equal(announcementFor({ ...called(5, "M-012", "X", T0), at: "garbage" }, T0), null);
});

test("queue keeps order, drops duplicates, replaces a waiting call of the same number", () => {
  const a = announcementFor(called(1, "M-012", "Raum 2.14", T0), T0);
  const b = announcementFor(called(2, "J-003", "Empore", T0), T0);
  const a2 = announcementFor(called(3, "M-012", "Raum 2.15", T0, "ticket.recalled"), T0);
  let q = enqueue([], a);
  q = enqueue(q, b);
  q = enqueue(q, a);
  assert.deepEqual(q.map((x) => x.key), ["1", "2"]);
  q = enqueue(q, a2);
  assert.deepEqual(q.map((x) => x.text), ["Nummer J 3, bitte zu Empore", "Nummer M 12, bitte zu Raum 2.15"]);
  const [first, rest] = dequeue(q, T0);
  assert.equal(first.number, "J-003");
  assert.equal(rest.length, 1);
  assert.deepEqual(dequeue(q, T0 + 10 * 60_000), [null, []], "too old to play after a long wait");
});

test("announcer plays one after another, gong before speech, and waits until enabled", async () => {
  const log = [];
  let now = T0;
  const an = new Announcer({
    now: () => now,
    gong: async () => log.push("gong"),
    speak: async (t) => {
      log.push(t);
      await new Promise((r) => setTimeout(r, 5));
    },
    sleep: async () => {},
  });
  an.push(announcementFor(called(1, "M-012", "Raum 2.14", T0), now));
  an.push(announcementFor(called(2, "J-003", "Empore", T0), now));
  assert.deepEqual(log, [], "nothing before sound is allowed");
  an.enable();
  an.push(announcementFor(called(3, "M-012", "Raum 2.14", T0, "ticket.recalled"), now));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(log, [
    "gong",
    "Nummer M 12, bitte zu Raum 2.14",
    "gong",
    "Nummer J 3, bitte zu Empore",
    "gong",
    "Nummer M 12, bitte zu Raum 2.14",
  ]);
});

test("a failing voice does not stop the queue", async () => {
  const log = [];
  const an = new Announcer({
    now: () => T0,
    gong: async () => {},
    speak: async (t) => {
      log.push(t);
      throw new Error("no voice");
    },
    sleep: async () => {},
  });
  an.enable();
  an.push(announcementFor(called(1, "M-001", "A", T0), T0));
  an.push(announcementFor(called(2, "M-002", "B", T0), T0));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(log.length, 2);
});

test("splitCalls: fresh calls large (at most two), else the latest plain", () => {
  const c = (n, ageMs) => ({ number: n, desk: "X", at: new Date(T0 - ageMs).toISOString() });
  const calls = [c("M-005", 5000), c("M-004", 20000), c("M-003", 30000), c("M-002", 120000), c("M-001", 200000)];
  let s = splitCalls(calls, T0);
  assert.deepEqual(s.current.map((x) => x.number), ["M-005", "M-004"]);
  assert.equal(s.fresh.size, 2);
  assert.deepEqual(s.rest.map((x) => x.number), ["M-003", "M-002", "M-001"]);
  s = splitCalls(calls, T0 + 10 * 60_000);
  assert.deepEqual(s.current.map((x) => x.number), ["M-005"]);
  assert.equal(s.fresh.size, 0);
  assert.deepEqual(splitCalls([], T0).current, []);
});
