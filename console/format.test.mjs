// Unit tests for the console's pure helpers: node --test console/
import { test } from "node:test";
import assert from "node:assert/strict";
import { ago, addServed, deskProblem, deviceState, duration, longestWait, printerStates, reasonText, reasonsText, servedEntry } from "./format.js";
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
