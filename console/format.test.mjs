// Unit tests for the console's pure helpers: node --test console/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ago,
  addNoShow,
  addServed,
  callReasonText,
  callReasons,
  deskProblem,
  deviceState,
  duration,
  graceLeft,
  graceText,
  lineModeState,
  longestWait,
  noShowEntry,
  printerStates,
  reasonText,
  reasonsText,
  recallWaitSeconds,
  servedEntry,
} from "./format.js";
import { setLang, t, WORDS } from "./i18n.js";

test("durations and last-seen in German and English", () => {
  setLang("de");
  assert.equal(duration(20 * 1000), "unter 1 Min.");
  assert.equal(duration(23 * 60 * 1000 + 5000), "23 Min.");
  assert.equal(duration(65 * 60 * 1000), "1 Std. 5 Min.");
  const now = Date.parse("2026-11-25T10:00:00Z");
  assert.equal(ago("2026-11-25T09:57:00Z", now), "vor 3 Min.");
  assert.equal(ago("2026-11-25T09:59:40Z", now), "gerade eben");
  assert.equal(ago("2026-11-25T07:00:00Z", now), "vor 3 Std.");
  assert.equal(ago(undefined, now), "nie");
  setLang("en");
  assert.equal(ago("2026-11-25T09:57:00Z", now), "3 min ago");
  assert.equal(duration(65 * 60 * 1000), "1 h 5 min");
  setLang("xx");
  assert.equal(duration(0), "unter 1 Min.", "unknown languages fall back to German");
});

test("printer reasons in words", () => {
  setLang("de");
  assert.equal(reasonText("media-empty"), "Papier leer");
  assert.equal(reasonText("media-empty-error"), "Papier leer");
  assert.equal(reasonText("door-open"), "Klappe offen");
  assert.equal(reasonText("offline"), "Drucker aus oder nicht erreichbar");
  assert.match(reasonText("timeout"), /^Zeitüberschreitung/);
  assert.equal(reasonText("toner-low"), "Druckerfehler", "an unknown keyword is a printer error");
  assert.equal(reasonsText(["cover-open", "door-open", "media-empty"]), "Klappe offen, Papier leer");
  setLang("en");
  assert.equal(reasonText("media-empty"), "out of paper");
});

test("every German text has an English one, with the same placeholders", () => {
  const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(",");
  for (const [k, v] of Object.entries(WORDS.de)) {
    assert.ok(k in WORDS.en, `no English for ${k}`);
    assert.equal(ph(WORDS.en[k]), ph(v), `placeholders of ${k}`);
  }
  assert.deepEqual(Object.keys(WORDS.en).filter((k) => !(k in WORDS.de)), []);
  setLang("de");
  assert.equal(t("say.called", { number: "M-001", desk: "Raum 2.14" }), "M-001 aufgerufen zu Raum 2.14.");
});

test("longest wait, device states, desk problems", () => {
  const now = Date.parse("2026-11-25T10:00:00Z");
  assert.equal(longestWait([], now), null);
  assert.equal(longestWait([{ issued_at: "2026-11-25T09:50:00Z" }, { issued_at: "2026-11-25T09:30:00Z" }], now), 30 * 60 * 1000);
  assert.equal(deviceState({ revoked_at: "2026-11-25T09:00:00Z" }), "revoked");
  assert.equal(deviceState({ paired_at: "2026-11-25T09:00:00Z", active: true }), "paired");
  assert.equal(deviceState({}), "unpaired");
  assert.equal(deskProblem("", 1).key, "hint.noDesk");
  assert.equal(deskProblem("x".repeat(41), 1).key, "hint.deskTooLong");
  assert.equal(deskProblem("Raum 2", 0).key, "hint.noLines");
  assert.equal(deskProblem("Raum 2", 1, "paused").key, "hint.paused");
  assert.equal(deskProblem("Raum 2", 2), null);
});

test("served today: done and no-show here, transfers from here", () => {
  const prev = { tickets: { a: { id: "a", number: "M-001", line: "mbe", status: "called", desk: "Raum 2" } } };
  const done = servedEntry({ type: "ticket.done", at: "T1", ticket: { id: "a", number: "M-001", line: "mbe", desk: "Raum 2", day: "2026-11-25" } }, prev, "Raum 2");
  assert.equal(done.outcome, "done");
  assert.equal(servedEntry({ type: "ticket.done", ticket: { id: "a", desk: "Empore" } }, prev, "Raum 2"), null);
  const moved = servedEntry({ type: "ticket.transferred", at: "T2", ticket: { id: "a", number: "M-001", line: "jmd", day: "2026-11-25" } }, prev, "Raum 2");
  assert.deepEqual([moved.outcome, moved.line, moved.to], ["transferred", "mbe", "jmd"]);
  assert.equal(servedEntry({ type: "ticket.transferred", ticket: { id: "b" } }, prev, "Raum 2"), null);
  assert.equal(servedEntry({ type: "ticket.called", ticket: { id: "a", desk: "Raum 2" } }, prev, "Raum 2"), null);
  let list = addServed([], done);
  list = addServed(list, moved);
  assert.equal(list.length, 1, "one entry per ticket");
  assert.equal(list[0].outcome, "transferred");
  list = addServed(list, { ...done, id: "z", day: "2026-11-26" });
  assert.deepEqual(list.map((x) => x.id), ["z"], "a new day starts a new list");
});

test("printer states from /healthz in any of its shapes", () => {
  assert.deepEqual(printerStates(undefined), []);
  assert.deepEqual(printerStates({ state: "error", reasons: ["media-empty"] }), [{ name: "", state: "error", reasons: ["media-empty"], detail: "" }]);
  assert.deepEqual(
    printerStates({ Eingang: { state: "ok" }, Empore: { state: "warning", reasons: ["media-low"], detail: "low" } }).map((p) => [p.name, p.state]),
    [["Eingang", "ok"], ["Empore", "warning"]],
  );
  assert.deepEqual(printerStates([{ name: "A", state: "unknown" }, "junk"]).map((p) => p.name), ["A"]);
});

test("reasons for calling out of order: labels for the known keys, the raw key otherwise", () => {
  setLang("de");
  assert.deepEqual(callReasons(null).map(callReasonText), ["Termin", "Dolmetschung", "dringend", "kommt zurück", "Barrierefreiheit"]);
  assert.equal(callReasonText("wheelchair"), "wheelchair");
  assert.deepEqual(callReasons({ call_reasons: ["urgent", "urgent", "", 3, "wheelchair"] }), ["urgent", "wheelchair"]);
  setLang("en");
  assert.equal(callReasonText("interpreter"), "interpreter");
  assert.equal(callReasonText("returning"), "returning");
});

test("the wait before a recall, from the server's 409 message", () => {
  assert.equal(recallWaitSeconds("ticket M-001 was called just now; recall again in 12s"), 12);
  assert.equal(recallWaitSeconds("ticket M-001 was called just now; recall again in 1m5s"), 65);
  assert.equal(recallWaitSeconds("recall again in 0.4s"), 1);
  assert.equal(recallWaitSeconds("ticket M-001 is done; only a called ticket can be recalled"), null);
  assert.equal(recallWaitSeconds(undefined), null);
});

test("no-shows: newest first, one per ticket, reactivatable within the grace time", () => {
  assert.equal(noShowEntry({ id: "a", status: "called" }), null);
  const a = noShowEntry({ id: "a", number: "M-001", line: "mbe", status: "no_show", desk: "Raum 2", finished_at: "2026-11-25T09:00:00Z", day: "2026-11-25" });
  const b = noShowEntry({ id: "b", number: "J-001", line: "jmd", status: "no_show", day: "2026-11-25" }, "2026-11-25T09:10:00Z");
  assert.equal(b.at, "2026-11-25T09:10:00Z", "the event's time when the ticket has none");
  let list = addNoShow([], a);
  list = addNoShow(list, b);
  list = addNoShow(list, a);
  assert.deepEqual(list.map((x) => x.id), ["b", "a"]);
  assert.deepEqual(addNoShow(list, { ...a, id: "c", day: "2026-11-26" }).map((x) => x.id), ["c"], "a new day starts a new list");

  const now = Date.parse("2026-11-25T09:20:30Z");
  assert.equal(graceLeft(a, 30, now), 9.5 * 60 * 1000);
  assert.ok(graceLeft(a, 20, now) < 0, "20 minutes are up");
  assert.equal(graceLeft(a, 0, now), Infinity, "0: no limit");
  setLang("de");
  assert.equal(graceText(graceLeft(a, 30, now)), "noch 9 Min.");
  assert.equal(graceText(30 * 1000), "noch unter 1 Min.");
  assert.equal(graceText(Infinity), "");
  setLang("en");
  assert.equal(graceText(27 * 60 * 1000), "27 min left");
});

test("a line's state today for the admin's list", () => {
  const st = (l) => lineModeState(l).state;
  assert.equal(st({ open: true }), "byHours");
  assert.equal(st({ open: false, next_open: "2026-11-26T08:00:00Z" }), "closedByHours");
  assert.equal(st({ open: false, cut_off: true }), "cutOff");
  assert.equal(st({ open: false, mode: "closed" }), "closedByHand");
  assert.equal(st({ open: true, mode: "open" }), "openedByHand");
  assert.deepEqual(lineModeState({ open: false, cut_off: true }), { state: "cutOff", mode: "auto", open: false });
  assert.equal(lineModeState({ open: true, mode: "" }).mode, "auto");
  for (const s of ["byHours", "closedByHours", "cutOff", "closedByHand", "openedByHand"]) {
    assert.ok(`admin.line.${s}` in WORDS.de, `no words for ${s}`);
  }
});
