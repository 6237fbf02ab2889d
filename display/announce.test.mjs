// Unit tests for the display's announcements, speech and call layout:
// node --test display/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  spokenNumber,
  announcementText,
  callText,
  partsFor,
  announcementFor,
  snapshotAnnouncements,
  enqueue,
  dequeue,
  Announcer,
  FRESH_MS,
  QUEUE_MAX_AGE_MS,
} from "./announce.js";
import { germanDesk, phraseLang, labelsFor, CALL_PHRASES, LABELS } from "./phrases.js";
import { pickVoice, Speech } from "./sound.js";
import { splitCalls } from "./calls.js";

const T0 = Date.parse("2026-11-25T09:12:00Z");
const DESKS = [
  { label: "Raum 2.14", spoken: "Raum zwei vierzehn" },
  { label: "Empore", spoken: "zur Empore" },
];
const called = (seq, number, desk, atMs, type = "ticket.called", lang = "de") => ({
  seq,
  type,
  at: new Date(atMs).toISOString(),
  ticket: { id: `id-${number}`, number, desk, lang, line: number.startsWith("M") ? "mbe" : "jmd", status: "called" },
});
const texts = (a) => a.parts.map((p) => `${p.lang}: ${p.text}`);

test("numbers are spoken without dash and leading zeros", () => {
  for (const [in_, want] of [["M-012", "M 12"], ["J-007", "J 7"], ["M-100", "M 100"], ["M-1234", "M 1234"], ["j-000", "J 0"], ["odd", "odd"]]) {
    assert.equal(spokenNumber(in_), want, in_);
  }
});

test("German sentence: the desk's spoken form, with zu unless it brings its own preposition", () => {
  assert.equal(announcementText({ number: "M-012", desk: "Raum 2.14" }), "Nummer M 12, bitte zu Raum 2.14.");
  const sp = { desks: DESKS };
  assert.equal(callText({ number: "M-012", desk: "Raum 2.14" }, "de", sp), "Nummer M 12, bitte zu Raum zwei vierzehn.");
  assert.equal(callText({ number: "J-003", desk: "Empore" }, "de", sp), "Nummer J 3, bitte zur Empore.");
  assert.equal(callText({ number: "J-003", desk: "Platz 3" }, "de", sp), "Nummer J 3, bitte zu Platz 3.", "a desk without config");
  assert.equal(callText({ number: "J-003", desk: "" }, "de", sp), "Nummer J 3.");
  for (const [label, spoken, want] of [
    ["Empore", "", "zu Empore"],
    ["Empore", "zur Empore", "zur Empore"],
    ["Raum 5", "im Raum 5", "im Raum 5"],
    ["Zimmer 5", "Zimmer fünf", "zu Zimmer fünf"],
    ["Zuwanderung", "", "zu Zuwanderung"],
  ]) {
    assert.equal(germanDesk(label, spoken), want, `${label}/${spoken}`);
  }
});

test("every core language has its sentence, with the number and the desk's label", () => {
  for (const lang of ["de", "en", "tr", "ro", "bg", "pl", "el", "it", "hr", "uk", "ar", "fa"]) {
    const s = callText({ number: "M-012", desk: "Raum 2.14" }, lang, { desks: DESKS });
    assert.ok(s.includes("M 12"), `${lang}: ${s}`);
    assert.ok(s.includes(lang === "de" ? "Raum zwei vierzehn" : "Raum 2.14"), `${lang}: ${s}`);
    assert.ok(CALL_PHRASES[lang](`M 12`, "").includes("M 12"), `${lang} without desk`);
  }
  assert.equal(callText({ number: "M-012", desk: "Empore" }, "en"), "Number M 12, please go to Empore.");
  assert.equal(phraseLang("bs"), "hr", "Bosnian reads the Croatian sentence");
  assert.equal(phraseLang("ar-SA"), "ar");
  assert.equal(phraseLang("ti"), "", "no sentence for Tigrinya");
  assert.equal(callText({ number: "M-012", desk: "Empore" }, "ti"), "");
});

test("parts: the display's language first, then the visitor's when different and known", () => {
  const sp = { lang: "de", desks: DESKS };
  assert.deepEqual(
    partsFor({ number: "M-012", desk: "Empore", lang: "ar" }, sp).map((p) => p.lang),
    ["de", "ar"],
  );
  assert.deepEqual(partsFor({ number: "M-012", desk: "Empore", lang: "de" }, sp).map((p) => p.lang), ["de"]);
  assert.deepEqual(partsFor({ number: "M-012", desk: "Empore", lang: "ti" }, sp).map((p) => p.lang), ["de"]);
  assert.deepEqual(partsFor({ number: "M-012", desk: "Empore", lang: "de" }, { lang: "en" }).map((p) => p.lang), ["en", "de"]);
  assert.deepEqual(partsFor({ number: "M-012", desk: "Empore" }, { lang: "xx" }).map((p) => p.lang), ["de"], "unknown display language: German");
});

test("only fresh calls and recalls are announced (the 60-second rule, by the server's clock)", () => {
  const sp = { lang: "de", desks: DESKS };
  const a = announcementFor(called(1, "M-012", "Raum 2.14", T0, "ticket.called", "ar"), T0 + 1000, sp);
  assert.deepEqual(texts(a), ["de: Nummer M 12, bitte zu Raum zwei vierzehn.", "ar: الرقم M 12، يرجى التوجه إلى Raum 2.14."]);
  assert.equal(a.key, `M-012@${T0}`);
  assert.equal(announcementFor(called(2, "M-012", "Raum 2.14", T0, "ticket.recalled"), T0 + 5000).recall, true);
  assert.ok(announcementFor(called(3, "M-012", "X", T0), T0 + FRESH_MS), "exactly 60 s old: still fresh");
  assert.equal(announcementFor(called(3, "M-012", "X", T0), T0 + FRESH_MS + 1), null, "old call replayed on reconnect");
  assert.equal(announcementFor({ ...called(4, "M-012", "X", T0), type: "ticket.done" }, T0), null);
  assert.equal(announcementFor({ type: "snapshot", seq: 9 }, T0), null);
  assert.equal(announcementFor({ ...called(5, "M-012", "X", T0), at: "garbage" }, T0), null);
});

test("a snapshot after a reconnect announces the fresh calls the display missed, a first one nothing", () => {
  const model = (recent, tickets = {}) => ({ synced: true, recent, tickets });
  const c = (number, atMs, desk = "Empore") => ({ number, desk, at: new Date(atMs).toISOString(), line: "mbe" });
  const prev = model({ mbe: [c("M-001", T0 - 30000)] });
  const next = model(
    { mbe: [c("M-003", T0 - 5000), c("M-002", T0 - 120000), c("M-001", T0 - 30000)], jmd: [c("J-001", T0 - 10000, "Raum 2.14")] },
    { x: { id: "x", number: "M-003", lang: "uk", status: "called" } },
  );
  const got = snapshotAnnouncements(prev, next, T0, { lang: "de", desks: DESKS });
  assert.deepEqual(got.map((a) => a.number), ["J-001", "M-003"], "oldest first; known and old calls left out");
  assert.deepEqual(got[1].parts.map((p) => p.lang), ["de", "uk"], "the ticket's language from the snapshot");
  assert.deepEqual(snapshotAnnouncements({ synced: false, recent: {}, tickets: {} }, next, T0), [], "first snapshot");
});

test("queue keeps order, drops duplicates, replaces a waiting call of the same number", () => {
  const a = announcementFor(called(1, "M-012", "Raum 2.14", T0), T0);
  const b = announcementFor(called(2, "J-003", "Empore", T0), T0);
  const a2 = announcementFor(called(3, "M-012", "Raum 2.15", T0 + 2000, "ticket.recalled"), T0);
  let q = enqueue([], a);
  q = enqueue(q, b);
  q = enqueue(q, a);
  assert.deepEqual(q.map((x) => x.number), ["M-012", "J-003"]);
  q = enqueue(q, a2);
  assert.deepEqual(q.map((x) => x.parts[0].text), ["Nummer J 3, bitte zu Empore.", "Nummer M 12, bitte zu Raum 2.15."]);
  const [first, rest] = dequeue(q, T0);
  assert.equal(first.number, "J-003");
  assert.equal(rest.length, 1);
  assert.deepEqual(dequeue(q, T0 + QUEUE_MAX_AGE_MS + 5000), [null, []], "too old to play after a long wait");
});

/** A fake clock and speech that take time, recording when each part starts and ends. */
function rig(start = T0) {
  const log = [];
  let now = start;
  let busy = false;
  const an = new Announcer({
    now: () => now,
    gong: async () => {
      log.push("gong");
      await new Promise((r) => setTimeout(r, 2));
    },
    speak: async (text, lang) => {
      if (busy) log.push("OVERLAP");
      busy = true;
      log.push(`${lang}: ${text}`);
      await new Promise((r) => setTimeout(r, 5));
      busy = false;
    },
    sleep: async () => {},
  });
  return { an, log, setNow: (t) => (now = t), idle: () => new Promise((r) => setTimeout(r, 80)) };
}

test("announcer: one after another, gong before speech, each part in turn; waits until enabled", async () => {
  const { an, log, idle } = rig();
  const sp = { lang: "de", desks: DESKS };
  an.push(announcementFor(called(1, "M-012", "Raum 2.14", T0, "ticket.called", "ar"), T0, sp));
  an.push(announcementFor(called(2, "J-003", "Empore", T0), T0, sp));
  await idle();
  assert.deepEqual(log, [], "nothing before sound is allowed");
  an.enable();
  // Calls that arrive while one is being said wait their turn.
  await new Promise((r) => setTimeout(r, 3));
  an.push(announcementFor(called(3, "J-004", "Raum 2.14", T0 + 1000), T0 + 1000, sp));
  await idle();
  assert.deepEqual(log, [
    "gong",
    "de: Nummer M 12, bitte zu Raum zwei vierzehn.",
    "ar: الرقم M 12، يرجى التوجه إلى Raum 2.14.",
    "gong",
    "de: Nummer J 3, bitte zur Empore.",
    "gong",
    "de: Nummer J 4, bitte zu Raum zwei vierzehn.",
  ]);
});

test("announcer: a recall is said again, the same call never twice", async () => {
  const { an, log, idle } = rig();
  an.enable();
  const ev = called(1, "M-012", "Empore", T0);
  an.push(announcementFor(ev, T0));
  await idle();
  // The same event again (a replay, a snapshot that repeats it): silence.
  an.push(announcementFor(ev, T0 + 1000));
  await idle();
  assert.equal(log.filter((x) => x === "gong").length, 1);
  an.push(announcementFor(called(2, "M-012", "Empore", T0 + 20000, "ticket.recalled"), T0 + 20000));
  await idle();
  assert.deepEqual(log, ["gong", "de: Nummer M 12, bitte zu Empore.", "gong", "de: Nummer M 12, bitte zu Empore."]);
});

test("announcer: after sound was held back, calls that waited over a minute are dropped", async () => {
  const { an, log, setNow, idle } = rig();
  an.push(announcementFor(called(1, "M-001", "A", T0), T0));
  an.push(announcementFor(called(2, "M-002", "B", T0 + 50000), T0 + 50000));
  setNow(T0 + 70000); // someone taps 70 s after the first call
  an.enable();
  await idle();
  assert.deepEqual(log, ["gong", "de: Nummer M 2, bitte zu B."]);
});

test("announcer: a failing voice or gong does not stop the queue; disable holds the rest", async () => {
  const log = [];
  const an = new Announcer({
    now: () => T0,
    gong: async () => {
      throw new Error("no audio");
    },
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
  an.disable();
  an.push(announcementFor(called(3, "M-003", "C", T0), T0));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(log.length, 2, "held while disabled");
  an.enable();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(log.length, 3);
});

test("voices: the language's own first, then a related one, on-device preferred", () => {
  const voices = [
    { lang: "en-US", localService: false },
    { lang: "en-GB", localService: true },
    { lang: "de-DE", localService: true, default: true },
    { lang: "sr-RS", localService: true },
    { lang: "ar_SA", localService: false },
  ];
  assert.equal(pickVoice(voices, "en").lang, "en-GB");
  assert.equal(pickVoice(voices, "de").lang, "de-DE");
  assert.equal(pickVoice(voices, "hr").lang, "sr-RS", "a Serbian voice reads Croatian");
  assert.equal(pickVoice(voices, "ar").lang, "ar_SA");
  assert.equal(pickVoice(voices, "tr"), null);
  assert.equal(pickVoice([], "de"), null);
});

/** A fake speechSynthesis whose voice takes ms to speak. */
function fakeSynth(voices, ms = 5) {
  const said = [];
  const synth = {
    speaking: false,
    pending: false,
    getVoices: () => voices,
    cancel() {},
    speak(u) {
      said.push({ text: u.text, lang: u.lang, overlap: synth.speaking });
      if (!u.text) return;
      synth.speaking = true;
      setTimeout(() => {
        synth.speaking = false;
        if (u.onend) u.onend({});
      }, ms);
    },
  };
  class Utterance {
    constructor(text) {
      this.text = text;
    }
  }
  return { synth, Utterance, said };
}

test("speech: only with a voice for the language, never over what is still being said", async () => {
  const { synth, Utterance, said } = fakeSynth([{ lang: "de-DE" }, { lang: "ar-SA" }], 30);
  const sp = new Speech(synth, Utterance);
  assert.equal(sp.has("de"), true);
  assert.equal(sp.has("tr"), false);
  assert.equal(await sp.speak("Numara M 12", "tr"), false, "no Turkish voice");
  // Something else is talking (another tab, the sound test): wait for it.
  synth.speaking = true;
  setTimeout(() => (synth.speaking = false), 250);
  const t = Date.now();
  assert.equal(await sp.speak("Nummer M 12", "de"), true);
  assert.ok(Date.now() - t >= 250, "waited until the voice was free");
  await Promise.all([sp.speak("eins", "de"), sp.speak("اثنان", "ar")]);
  assert.deepEqual(said.map((s) => s.overlap), [false, false, false]);
  assert.deepEqual(said.map((s) => s.lang), ["de-DE", "de-DE", "ar-SA"]);
});

test("speech: a browser that refuses to speak without a tap is noticed", async () => {
  const { Utterance } = fakeSynth([]);
  const synth = {
    speaking: false,
    getVoices: () => [{ lang: "de-DE" }],
    cancel() {},
    speak(u) {
      setTimeout(() => u.onerror && u.onerror({ error: "not-allowed" }), 1);
    },
  };
  const sp = new Speech(synth, Utterance);
  let changed = 0;
  sp.onChange(() => changed++);
  await sp.speak("Nummer M 1", "de");
  assert.equal(sp.blocked, true);
  assert.ok(changed > 0);
  sp.unlock();
  assert.equal(sp.blocked, false);
  assert.equal(new Speech(undefined, undefined).has("de"), false, "no speech at all");
});

test("labels: the display's language, German for what it lacks", () => {
  assert.equal(labelsFor("en").waiting, "Waiting");
  assert.equal(labelsFor("tr").waiting, "Es warten");
  for (const [lang, labels] of Object.entries(LABELS)) {
    assert.deepEqual(Object.keys(labels).sort(), Object.keys(LABELS.de).sort(), `${lang} has every label`);
  }
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
