// The call display: each line side by side with its current call(s), the
// last calls, how many wait and a clock; every new call is shown and heard
// (gong, then German speech), one after another.

import { api, serverNow } from "/common/api.js";
import { connectQueue, isStale } from "/common/events.js";
import { linesOrDefault, agesInGerman } from "/common/lines.js";
import { Announcer, announcementFor } from "/display/announce.js";
import { splitCalls } from "/display/calls.js";
import { Sound } from "/display/sound.js";

// Timing, each with its reason.
/** Redraw this often: the clock, the end of "new" highlights, the offline banner. */
const TICK_MS = 1000;
/** Ask the server for its time this often; the display box's own clock may drift. */
const CLOCK_SYNC_MS = 10 * 60 * 1000;

const $ = (id) => document.getElementById(id);
const timeFmt = new Intl.DateTimeFormat("de-DE", { hour: "2-digit", minute: "2-digit" });
const dateFmt = new Intl.DateTimeFormat("de-DE", { weekday: "long", day: "numeric", month: "long" });

const live = connectQueue();
const sound = new Sound();
const announcer = new Announcer({
  gong: () => sound.gong(),
  speak: (text) => sound.speak(text),
  now: serverNow,
  onStart: (a) => document.body.setAttribute("data-speaking", a.number),
  onEnd: () => document.body.removeAttribute("data-speaking"),
});

/** Per line id, what was last drawn, so unchanged lines are not rebuilt. */
const drawn = new Map();

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

  const box = $("lines");
  const lines = linesOrDefault(model.lines);
  const ids = lines.map((l) => l.id).join(",");
  if (box.dataset.ids !== ids) {
    box.replaceChildren();
    drawn.clear();
    box.dataset.ids = ids;
    box.style.setProperty("--columns", String(lines.length));
  }
  for (const l of lines) {
    const calls = model.recent[l.id] || [];
    const { current, fresh, rest } = splitCalls(calls, now);
    const waiting = model.synced ? model.waiting[l.id] ?? 0 : null;
    const sig = JSON.stringify([
      l,
      stale,
      current.map((c) => [c.number, c.desk, c.at, fresh.has(c)]),
      rest.map((c) => [c.number, c.desk, c.at]),
      waiting,
      model.synced,
    ]);
    if (drawn.get(l.id) === sig) continue;
    drawn.set(l.id, sig);
    let section = box.querySelector(`[data-line="${CSS.escape(l.id)}"]`);
    const next = lineSection(l, current, fresh, rest, waiting, stale, model.synced);
    if (section) section.replaceWith(next);
    else box.append(next);
  }
  fitRecent();
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

function lineSection(l, current, fresh, rest, waiting, stale, synced) {
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
    label.textContent = stale ? "Keine Verbindung" : "Verbindung wird hergestellt …";
  } else if (stale) {
    label.textContent = "Letzter bekannter Stand – nicht aktuell";
  } else {
    label.textContent = current.length ? "Aufruf" : "Noch kein Aufruf";
  }
  box.classList.toggle("is-two", current.length > 1);
  for (const c of current) {
    const isNew = !stale && fresh.has(c);
    const el = document.createElement("div");
    el.className = `call${isNew ? " is-new" : ""}`;
    el.dataset.testid = "current-call";
    el.dataset.number = c.number;
    const num = document.createElement("span");
    num.className = "call-number num";
    num.textContent = c.number;
    const arrow = document.createElement("span");
    arrow.className = "call-arrow";
    arrow.setAttribute("aria-label", "zu");
    arrow.textContent = "→";
    const desk = document.createElement("span");
    desk.className = "call-desk";
    desk.textContent = c.desk;
    el.append(num, arrow, desk);
    if (isNew) {
      const badge = document.createElement("span");
      badge.className = "call-badge";
      badge.textContent = c.recall ? "Erneut" : "Neu";
      el.append(badge);
    }
    box.append(el);
  }

  const list = s.querySelector(".recent-list");
  for (const c of rest) {
    const li = document.createElement("li");
    const num = document.createElement("span");
    num.className = "num recent-number";
    num.textContent = c.number;
    const desk = document.createElement("span");
    desk.className = "recent-desk";
    desk.textContent = `→ ${c.desk}`;
    const at = document.createElement("time");
    at.className = "num recent-time";
    const when = new Date(c.at);
    at.dateTime = when.toISOString();
    at.textContent = timeFmt.format(when);
    li.append(num, desk, at);
    list.append(li);
  }
  s.querySelector(".recent").hidden = rest.length === 0;

  const w = s.querySelector(".waiting");
  w.dataset.testid = `waiting-${l.id}`;
  w.textContent = waiting === null || stale ? "–" : String(waiting);
  return s;
}

// ---- sound -------------------------------------------------------------------

async function enableSound() {
  await sound.unlock();
  if (!sound.blocked) {
    $("sound-overlay").hidden = true;
    announcer.enable();
  }
}

function setUpSound() {
  if (sound.blocked) {
    // Autoplay is held back: calls wait in the queue (and fresh ones are
    // played) once someone taps. The overlay does not hide the calls.
    $("sound-overlay").hidden = false;
    $("sound-on").addEventListener("click", enableSound);
    document.addEventListener("pointerdown", enableSound, { once: true });
  } else {
    announcer.enable();
  }
}

// ---- wiring ------------------------------------------------------------------

function syncClock() {
  api("/api/v1/lines").catch(() => {});
}

function main() {
  setUpSound();
  live.subscribe((model, msg) => {
    announcer.push(announcementFor(msg, serverNow()));
    render();
  });
  live.onState(render);
  live.start();
  syncClock();
  setInterval(syncClock, CLOCK_SYNC_MS);
  setInterval(render, TICK_MS);
  window.addEventListener("resize", () => {
    drawn.clear();
    render();
  });
  render();
}

main();
