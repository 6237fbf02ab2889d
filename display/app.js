// The call display: each line side by side with its current call(s), the
// last calls, how many wait and a clock in the office's time zone. Every new
// call is shown and heard (gong, then speech in the display's language and
// in the visitor's), one after another. When the server cannot be reached
// the screen says so instead of showing old numbers as if they were live.

import { api, serverNow, configureAuth } from "/common/api.js";
import { connectQueue, isStale } from "/common/events.js";
import { linesOrDefault, agesInGerman } from "/common/lines.js";
import { Announcer, announcementFor, snapshotAnnouncements, partsFor } from "/display/announce.js";
import { splitCalls } from "/display/calls.js";
import { Sound, Speech } from "/display/sound.js";
import { labelsFor, phraseLang } from "/display/phrases.js";

// Timing, each with its reason.
/** Redraw this often: the clock, the end of "new" highlights, the offline banner. */
const TICK_MS = 1000;
/** Read the config again this often (desks, time zone), which also syncs the clock with the server's. */
const CONFIG_EVERY_MS = 10 * 60 * 1000;
/**
 * Check this often that the server still answers. A server that vanished
 * without closing (power cut, cable pulled) leaves the websocket looking
 * open for minutes; the check notices within PROBE_EVERY_MS + PROBE_TIMEOUT_MS.
 */
const PROBE_EVERY_MS = 10000;
const PROBE_TIMEOUT_MS = 4000;
/** Voices load late in some browsers; only after this long does the screen say speech is off. */
const VOICES_WAIT_MS = 3000;
/** Entries kept in the test and diagnosis log (window.wartemarkeDisplay.log). */
const LOG_MAX = 200;
/** The office's time zone when the config does not say. */
const DEFAULT_TZ = "Europe/Berlin";

const $ = (id) => document.getElementById(id);

/** What the server's config tells the display; defaults until it has answered. */
const config = { office: "", timezone: DEFAULT_TZ, display_lang: "de", desks: [] };
let L = labelsFor("de");
let timeFmt = formatter({ hour: "2-digit", minute: "2-digit" });
let dateFmt = formatter({ weekday: "long", day: "numeric", month: "long" });

/** An Intl formatter in the office's time zone, or the browser's own zone if that one is unknown. */
function formatter(opts) {
  const locale = config.display_lang === "de" ? "de-DE" : config.display_lang;
  for (const timeZone of [config.timezone, DEFAULT_TZ, undefined]) {
    try {
      return new Intl.DateTimeFormat(locale, { ...opts, timeZone });
    } catch {
      // an unknown zone or locale: try the next
    }
  }
  return new Intl.DateTimeFormat("de-DE", opts);
}

const live = connectQueue();
const sound = new Sound();
const speech = new Speech();
const started = Date.now();

/** Recent happenings, for tests and for someone looking at a display's console. */
const log = [];
function note(kind, detail = {}) {
  log.push({ kind, t: Date.now(), ...detail });
  if (log.length > LOG_MAX) log.shift();
}
globalThis.wartemarkeDisplay = {
  log,
  get model() {
    return live.model;
  },
  get state() {
    return live.state;
  },
};

const speaking = () => ({ lang: config.display_lang, desks: config.desks });

const announcer = new Announcer({
  gong: async () => {
    note("gong");
    await sound.gong();
  },
  speak: async (text, lang) => {
    const said = await speech.speak(text, lang);
    note(said ? "spoken" : "silent", { text, lang });
  },
  now: serverNow,
  onStart: (a) => {
    note("announce", { key: a.key, number: a.number, recall: a.recall, test: !!a.test });
    document.body.dataset.speaking = a.number;
    render();
  },
  onEnd: () => {
    delete document.body.dataset.speaking;
    render();
  },
});

/** Per line id, what was last drawn, so unchanged lines are not rebuilt. */
const drawn = new Map();

/** Per line id, the expected wait of a ticket drawn now ({min, max} minutes). */
let estimates = {};
const ESTIMATE_EVERY_MS = 30_000;

/** Asks for the lines' estimates now and every ESTIMATE_EVERY_MS. */
async function refreshEstimates() {
  try {
    const lines = await api("/api/v1/lines");
    const next = {};
    for (const l of lines || []) {
      if (l && l.estimate && l.open !== false) next[l.id] = l.estimate;
    }
    estimates = next;
    render();
  } catch {
    // No estimate is better than a wrong one: the waiting count stays.
  }
  setTimeout(refreshEstimates, ESTIMATE_EVERY_MS);
}

function render() {
  const model = live.model;
  const now = serverNow();
  const stale = isStale(live.state, Date.now());
  document.body.classList.toggle("is-stale", stale);
  $("offline").hidden = !stale;

  const d = new Date(now);
  $("clock").textContent = timeFmt.format(d);
  $("clock").dateTime = d.toISOString();
  $("date").textContent = dateFmt.format(d);

  renderStatus(stale);

  const box = $("lines");
  const lines = linesOrDefault(model.lines);
  const ids = lines.map((l) => l.id).join(",");
  if (box.dataset.ids !== ids) {
    box.replaceChildren();
    drawn.clear();
    box.dataset.ids = ids;
    box.style.setProperty("--columns", String(lines.length));
  }
  const saying = document.body.dataset.speaking || "";
  for (const l of lines) {
    const calls = model.recent[l.id] || [];
    const { current, fresh, rest } = splitCalls(calls, now);
    const waiting = model.synced ? (model.waiting[l.id] ?? 0) : null;
    const sig = JSON.stringify([
      l,
      L.call,
      stale,
      saying,
      current.map((c) => [c.number, c.desk, c.at, fresh.has(c)]),
      rest.map((c) => [c.number, c.desk, c.at]),
      waiting,
      model.synced,
      estimates[l.id] || null,
    ]);
    if (drawn.get(l.id) === sig) continue;
    drawn.set(l.id, sig);
    const section = box.querySelector(`[data-line="${CSS.escape(l.id)}"]`);
    const next = lineSection(l, current, fresh, rest, waiting, stale, model.synced, saying);
    if (section) section.replaceWith(next);
    else box.append(next);
  }
  fitRecent();
}

/** The strip at the bottom: connection, sound, and the sound test for staff. */
function renderStatus(stale) {
  const st = live.state;
  const conn = $("status-connection");
  const reconnecting = !stale && st.status !== "open" && live.model.synced;
  conn.textContent = reconnecting ? L.reconnecting : "";
  conn.hidden = !reconnecting;

  const state = soundState();
  document.body.dataset.sound = state;
  $("status-sound").textContent = {
    on: L.soundOn,
    blocked: L.soundBlocked,
    speechOff: L.speechOff,
    off: L.soundOff,
    waiting: "",
  }[state];
  $("sound-overlay").hidden = state !== "blocked";
}

/**
 * How calls are heard now: "on" (gong and speech), "blocked" (the browser
 * waits for a tap), "speechOff" (no voice for the display's language: gong
 * only), "off" (no sound at all), "waiting" (voices not loaded yet).
 */
function soundState() {
  if (sound.blocked || speech.blocked) return "blocked";
  const voice = speech.has(phraseLang(config.display_lang) || "de");
  if (voice) return "on";
  if (Date.now() - started < VOICES_WAIT_MS) return "waiting";
  return sound.missing ? "off" : "speechOff";
}

/** Shows only the earlier calls that fit whole; a half-cut row reads as a different number. */
function fitRecent() {
  for (const r of document.querySelectorAll(".recent")) {
    const items = [...r.querySelectorAll("li")];
    r.classList.remove("is-clipped");
    for (const li of items) li.hidden = false;
    const bottom = r.getBoundingClientRect().bottom;
    for (const li of items) {
      if (li.getBoundingClientRect().bottom > bottom + 1) li.hidden = true;
    }
    // No whole row fits: hide the heading too rather than show it cut.
    r.classList.toggle("is-clipped", items.length > 0 && items.every((li) => li.hidden));
  }
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function lineSection(l, current, fresh, rest, waiting, stale, synced, saying) {
  const tpl = /** @type {HTMLTemplateElement} */ ($("tpl-line"));
  const s = /** @type {HTMLElement} */ (tpl.content.firstElementChild.cloneNode(true));
  s.classList.add(`line-${l.id}`);
  s.dataset.line = l.id;
  s.querySelector(".line-prefix").textContent = l.prefix;
  s.querySelector(".line-name").textContent = l.name;
  s.querySelector(".line-meta").textContent = [l.short, agesInGerman(l.ages)].filter(Boolean).join(" · ");

  const cur = s.querySelector(".current");
  cur.dataset.testid = `current-${l.id}`;
  const label = s.querySelector(".current-label");
  const box = s.querySelector(".current-calls");
  if (!synced) {
    label.textContent = stale ? L.noConnection : L.connecting;
  } else if (stale) {
    label.textContent = L.notCurrent;
  } else {
    label.textContent = current.length ? L.call : L.noCall;
  }
  box.classList.toggle("is-two", current.length > 1);
  for (const c of current) {
    const isNew = !stale && fresh.has(c);
    const call = el("div", "call");
    call.classList.toggle("is-new", isNew);
    call.classList.toggle("is-speaking", !stale && c.number === saying);
    call.dataset.testid = "current-call";
    call.dataset.number = c.number;
    const arrow = el("span", "call-arrow", "→");
    arrow.setAttribute("aria-label", L.to);
    call.append(el("span", "call-number num", c.number), arrow, el("span", "call-desk", c.desk));
    if (isNew) call.append(el("span", "call-badge", L.new));
    box.append(call);
  }

  s.querySelector(".recent h3").textContent = L.recent;
  const list = s.querySelector(".recent-list");
  list.dataset.testid = `recent-${l.id}`;
  for (const c of rest) {
    const li = el("li");
    li.dataset.number = c.number;
    const at = el("time", "num recent-time", timeFmt.format(new Date(c.at)));
    at.dateTime = new Date(c.at).toISOString();
    li.append(el("span", "num recent-number", c.number), el("span", "recent-desk", `→ ${c.desk}`), at);
    list.append(li);
  }
  s.querySelector(".recent").hidden = rest.length === 0;

  s.querySelector(".waiting-label").textContent = L.waiting;
  const w = s.querySelector(".waiting");
  w.dataset.testid = `waiting-${l.id}`;
  w.textContent = waiting === null || stale ? "–" : String(waiting);
  const est = estimates[l.id];
  const e = s.querySelector(".estimate");
  e.dataset.testid = `estimate-${l.id}`;
  e.hidden = !est || stale || !waiting;
  e.textContent = est && typeof L.estimate === "function" ? L.estimate(est.min, est.max) : "";
  return s;
}

/** Puts the labels of the display's language into the static parts of the page. */
function applyLabels() {
  document.documentElement.lang = config.display_lang;
  $("title").textContent = L.title;
  $("office").textContent = config.office || "";
  $("office").hidden = !config.office;
  $("hint").textContent = L.hint;
  $("offline-title").textContent = L.offlineTitle;
  $("offline-text").textContent = L.offlineText;
  $("sound-on-label").textContent = L.soundButton;
  $("sound-prompt").textContent = L.soundPrompt;
  $("sound-test").textContent = L.soundTest;
  drawn.clear();
}

// ---- config and liveness ----------------------------------------------------

/** Reads GET /api/v1/config; without it (an older server, a blip) the defaults stay. */
async function loadConfig() {
  let c;
  try {
    c = await api("/api/v1/config");
  } catch {
    return;
  }
  if (!c || typeof c !== "object") return;
  if (typeof c.office === "string") config.office = c.office;
  if (typeof c.timezone === "string" && c.timezone) config.timezone = c.timezone;
  if (typeof c.display_lang === "string" && c.display_lang) config.display_lang = c.display_lang.toLowerCase();
  if (Array.isArray(c.desks)) {
    config.desks = c.desks.filter((d) => d && typeof d.label === "string");
  }
  L = labelsFor(config.display_lang);
  timeFmt = formatter({ hour: "2-digit", minute: "2-digit" });
  dateFmt = formatter({ weekday: "long", day: "numeric", month: "long" });
  applyLabels();
  render();
}

/**
 * Asks the server whether it still answers and still knows this display. A
 * network failure while the stream looks open drops the stream so that it
 * reconnects; a 401 (the pairing was revoked) reloads the page, which leads
 * to the pairing page.
 */
async function probe() {
  try {
    await api("/api/v1/session", { timeoutMs: PROBE_TIMEOUT_MS });
  } catch (e) {
    if (e && e.status === 0 && live.state.status === "open") {
      note("unreachable");
      live.stream.reconnect();
    }
  }
}

// ---- sound -------------------------------------------------------------------

/** A tap anywhere (or on the button) lets sound play where the browser held it back. */
async function enableSound() {
  await sound.unlock();
  speech.unlock();
  if (!sound.blocked) announcer.enable();
  render();
}

/** Sound state changed (the browser started or suspended audio, voices arrived). */
function soundChanged() {
  if (sound.blocked || speech.blocked) announcer.disable();
  else announcer.enable();
  render();
}

/** The staff's sound test: a gong and a sample call, queued like any call so it never talks over one. */
async function soundTest(ev) {
  ev.stopPropagation();
  if (sound.blocked || speech.blocked) await enableSound();
  const desk = (config.desks[0] && config.desks[0].label) || "Raum 1";
  const now = serverNow();
  const [first, ...more] = partsFor({ number: "M-001", desk }, speaking());
  announcer.push({
    key: `test@${now}`,
    number: "",
    desk,
    line: "",
    lang: "",
    at: now,
    recall: false,
    test: true,
    parts: [{ lang: first.lang, text: `${first.lang === "de" || first.lang === "en" ? L.testPhrase + " " : ""}${first.text}` }, ...more],
  });
}

// ---- wiring ------------------------------------------------------------------

function main() {
  // A display whose pairing was revoked is sent to the pairing page.
  configureAuth({ unauthorized: () => location.reload() });
  applyLabels();
  sound.onChange(soundChanged);
  speech.onChange(soundChanged);
  $("sound-on").addEventListener("click", enableSound);
  document.addEventListener("pointerdown", () => {
    if (sound.blocked || speech.blocked) enableSound();
  });
  $("sound-test").addEventListener("click", soundTest);
  if (!sound.blocked) announcer.enable();

  live.subscribe((model, msg, prev) => {
    if (msg.type === "snapshot") {
      for (const a of snapshotAnnouncements(prev, model, serverNow(), speaking())) announcer.push(a);
    } else {
      announcer.push(announcementFor(msg, serverNow(), speaking()));
    }
    render();
  });
  let wasOpen = false;
  live.onState((st) => {
    note("state", { status: st.status });
    // Back after a loss: the config may have changed meanwhile.
    if (st.status === "open" && !wasOpen && log.some((e) => e.kind === "state" && e.status === "reconnecting")) loadConfig();
    wasOpen = st.status === "open";
    render();
  });
  loadConfig();
  live.start();
  refreshEstimates();
  setInterval(loadConfig, CONFIG_EVERY_MS);
  setInterval(probe, PROBE_EVERY_MS);
  setInterval(render, TICK_MS);
  window.addEventListener("resize", () => {
    drawn.clear();
    render();
  });
  render();
}

main();
