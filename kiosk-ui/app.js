// The kiosk: choose a language, choose a line by age, get a number.
//
// One small state object and one render per screen. Every path leads back to
// the language screen: by the Done button at once, or after a visible
// countdown the visitor can stop (never a hard time-out).

import { api, ApiError, newIdempotencyKey } from "/common/api.js";
import { connectQueue, isStale, aheadOf } from "/common/events.js";
import { LANGUAGES, GERMAN, language, translator } from "/kiosk/i18n/index.js";
import { KIOSK_LINES } from "/kiosk/lines.js";

// Timing, each with its reason.
/** Quiet on the line screen this long: ask whether the visitor is still there. Reading a new language slowly takes time. */
const IDLE_LINE_MS = 60000;
/** Quiet on the ticket screen this long: ask. The slip is printed; the screen only repeats it. */
const IDLE_TICKET_MS = 30000;
/** The warning counts down this many seconds (WCAG 2.2.1 asks for at least 20). */
const WARNING_SECONDS = 30;
/** Quiet retries of a failed ticket request, same Idempotency-Key, before telling the visitor. */
const RETRY_DELAYS_MS = [800, 2000];

const $ = (id) => document.getElementById(id);
const tDe = translator(GERMAN.code);

const state = {
  /** @type {"lang"|"line"|"ticket"} */
  screen: "lang",
  lang: GERMAN.code,
  t: tDe,
  /** A ticket request in flight: {line, key}. */
  issuing: null,
  /** The last failed request, kept so "try again" reuses its key: {line, key, kind}. */
  failed: null,
  ticket: null,
};

const live = connectQueue();

// ---- screens ---------------------------------------------------------------

function show(screen) {
  state.screen = screen;
  for (const s of ["lang", "line", "ticket"]) $(`screen-${s}`).hidden = s !== screen;
  window.scrollTo(0, 0);
  const heading = $(`screen-${screen}`).querySelector("h1, .ticket-label");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  idle.arm(screen === "line" ? IDLE_LINE_MS : screen === "ticket" ? IDLE_TICKET_MS : 0);
}

function setLanguage(code) {
  const lang = language(code);
  state.lang = lang.code;
  state.t = translator(lang.code);
  document.documentElement.lang = lang.code;
  document.documentElement.dir = lang.dir;
  document.body.classList.toggle("is-german", lang.code === GERMAN.code);
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = state.t(el.dataset.t);
  for (const el of document.querySelectorAll("[data-de]")) el.textContent = tDe(el.dataset.de);
}

function startOver() {
  state.issuing = null;
  state.failed = null;
  state.ticket = null;
  setLanguage(GERMAN.code);
  show("lang");
}

// ---- 1. language ------------------------------------------------------------

function renderLanguages() {
  const title = $("lang-title");
  title.replaceChildren();
  for (const l of LANGUAGES) {
    const span = document.createElement("span");
    span.lang = l.code;
    span.dir = l.dir;
    span.textContent = translator(l.code)("welcome");
    title.append(span);
  }
  const list = $("lang-list");
  list.replaceChildren();
  for (const l of LANGUAGES) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "lang-choice";
    b.lang = l.code;
    b.dir = l.dir;
    b.dataset.testid = `lang-${l.code}`;
    b.textContent = l.name;
    b.addEventListener("click", () => {
      setLanguage(l.code);
      state.failed = null;
      renderLines();
      show("line");
    });
    list.append(b);
  }
}

// ---- 2. line ----------------------------------------------------------------

function kioskLines() {
  const known = live.model.lines;
  if (!known.length) return KIOSK_LINES;
  return KIOSK_LINES.filter((l) => known.some((k) => k.id === l.id));
}

function renderLines() {
  const t = state.t;
  const box = $("line-choices");
  const tpl = /** @type {HTMLTemplateElement} */ ($("tpl-line"));
  const model = live.model;
  const countsLive = model.synced && !isStale(live.state, Date.now());
  box.replaceChildren();
  for (const l of kioskLines()) {
    const node = /** @type {HTMLElement} */ (tpl.content.firstElementChild.cloneNode(true));
    node.classList.add(`line-${l.id}`);
    node.dataset.testid = `line-${l.id}`;
    node.dataset.line = l.id;
    node.querySelector(".line-icon").setAttribute("src", l.icon);
    node.querySelector(".line-ages").textContent = l.ages;
    node.querySelector(".line-ages-text").textContent = t(`ages.${l.id}`);
    // The German name is always there: staff, signs and letters use it.
    const german = `${tDe(`service.${l.id}`)} (${l.short})`;
    const isGerman = state.lang === GERMAN.code;
    node.querySelector(".line-service-name").textContent = isGerman ? german : t(`service.${l.id}`);
    const de = node.querySelector(".line-service-de");
    de.textContent = german;
    de.hidden = isGerman;
    const waiting = node.querySelector(".line-waiting");
    const n = model.waiting[l.id];
    if (countsLive && typeof n === "number") waiting.textContent = t("waitingNow", { n });
    else waiting.hidden = true;
    const busy = node.querySelector(".line-busy");
    if (state.issuing) {
      node.disabled = true;
      node.setAttribute("aria-disabled", "true");
      if (state.issuing.line === l.id) {
        node.classList.add("is-busy");
        node.setAttribute("aria-busy", "true");
        busy.hidden = false;
        busy.textContent = t("pleaseWait");
      }
    }
    node.addEventListener("click", () => requestTicket(l.id));
    box.append(node);
  }
  $("line-back").disabled = !!state.issuing;
  renderIssueError();
}

function renderIssueError() {
  const f = state.failed;
  $("issue-error").hidden = !f;
  $("line-choices").hidden = !!f;
  if (!f) return;
  const key = f.kind === "closed" ? "errorClosed" : f.kind === "offline" ? "errorOffline" : "errorOther";
  $("issue-error-msg").textContent = state.t(key);
  $("issue-error-msg-de").textContent = tDe(key);
  $("issue-retry").hidden = f.kind === "closed";
}

/** Starts a new ticket request for a tap on a line: a fresh Idempotency-Key. */
function requestTicket(lineId) {
  if (state.issuing) return; // a second tap while the first is on its way
  issue(lineId, newIdempotencyKey());
}

/** Sends the request, retrying quietly with the same key, so the server makes at most one ticket. */
async function issue(lineId, key) {
  if (state.issuing) return;
  state.issuing = { line: lineId, key };
  state.failed = null;
  renderLines();
  idle.pause();
  let err = null;
  for (let i = 0; ; i++) {
    try {
      const ticket = await api("/api/v1/tickets", {
        method: "POST",
        body: { line: lineId, lang: state.lang },
        headers: { "Idempotency-Key": key },
      });
      state.issuing = null;
      showTicket(ticket);
      return;
    } catch (e) {
      err = e;
      const retryable = !(e instanceof ApiError) || e.retryable;
      if (!retryable || i >= RETRY_DELAYS_MS.length) break;
      await sleep(RETRY_DELAYS_MS[i]);
    }
  }
  state.issuing = null;
  state.failed = { line: lineId, key, kind: failureKind(err) };
  renderLines();
  idle.arm(IDLE_LINE_MS);
}

function failureKind(err) {
  if (!(err instanceof ApiError)) return "other";
  if (err.code === "closed") return "closed";
  if (err.retryable) return "offline";
  return "other";
}

// ---- 3. ticket --------------------------------------------------------------

function showTicket(ticket) {
  state.ticket = ticket;
  const l = KIOSK_LINES.find((x) => x.id === ticket.line);
  $("ticket-number").textContent = ticket.number;
  $("ticket-number").classList.toggle("is-long", ticket.number.length > 5);
  const german = `${tDe(`service.${ticket.line}`)}${l ? ` (${l.short})` : ""}`;
  $("ticket-service").textContent = state.lang === GERMAN.code ? german : state.t(`service.${ticket.line}`);
  $("ticket-service-de").textContent = german;
  $("ticket-card").className = `ticket-card line-${ticket.line}`;
  renderAhead();
  show("ticket");
}

/** Keeps "people before you" current while the ticket is on screen. */
function renderAhead() {
  const t = state.ticket;
  if (!t) return;
  let ahead = aheadOf(live.model, t);
  if (ahead === null) ahead = typeof t.ahead === "number" ? t.ahead : null;
  $("ticket-ahead-box").hidden = ahead === null;
  $("ticket-ahead").textContent = ahead === null ? "" : String(ahead);
}

// ---- idle warning -------------------------------------------------------------

const idle = {
  timer: 0,
  tick: 0,
  left: 0,
  ms: 0,
  /** Starts waiting for ms of quiet; 0 means this screen never times out. */
  arm(ms) {
    this.stop();
    this.ms = ms;
    if (ms > 0) this.timer = window.setTimeout(() => this.warn(), ms);
  },
  pause() {
    this.stop();
  },
  stop() {
    clearTimeout(this.timer);
    clearInterval(this.tick);
    this.timer = this.tick = 0;
    $("idle").hidden = true;
  },
  /** Any touch or key counts as the visitor still being there. */
  poke() {
    if (this.timer && $("idle").hidden) this.arm(this.ms);
  },
  warn() {
    this.timer = 0;
    this.left = WARNING_SECONDS;
    this.render();
    $("idle").hidden = false;
    $("idle-continue").focus();
    this.tick = window.setInterval(() => {
      this.left--;
      if (this.left <= 0) {
        this.stop();
        startOver();
        return;
      }
      this.render();
    }, 1000);
  },
  render() {
    $("idle-count").textContent = String(this.left);
    $("idle-msg").textContent = state.t("returnsIn", { n: this.left });
    $("idle-msg-de").textContent = tDe("returnsIn", { n: this.left });
  },
};

// ---- wiring -----------------------------------------------------------------

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function main() {
  renderLanguages();
  setLanguage(GERMAN.code);
  $("line-back").addEventListener("click", () => {
    if (!state.issuing) startOver();
  });
  $("issue-retry").addEventListener("click", () => {
    const f = state.failed;
    if (f) issue(f.line, f.key); // same key: if the first request did arrive, no second ticket
  });
  $("issue-back").addEventListener("click", startOver);
  $("new-ticket").addEventListener("click", startOver);
  $("idle-continue").addEventListener("click", () => idle.arm(idle.ms));
  $("idle").addEventListener("click", (e) => {
    if (e.target === $("idle")) idle.arm(idle.ms);
  });
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, () => idle.poke(), { passive: true });

  live.subscribe(() => {
    if (state.screen === "line" && !state.issuing) refreshCounts();
    if (state.screen === "ticket") renderAhead();
  });
  live.onState(() => {
    if (state.screen === "line" && !state.issuing) refreshCounts();
  });
  // The counts hide themselves when the stream has been down a while.
  setInterval(() => {
    if (state.screen === "line" && !state.issuing) refreshCounts();
  }, 2000);
  live.start();
  show("lang");
}

/** Updates the waiting counts on the line buttons without rebuilding them. */
function refreshCounts() {
  const model = live.model;
  const countsLive = model.synced && !isStale(live.state, Date.now());
  for (const b of document.querySelectorAll("#line-choices .line-choice")) {
    const w = b.querySelector(".line-waiting");
    const n = model.waiting[b.dataset.line];
    const visible = countsLive && typeof n === "number";
    w.hidden = !visible;
    if (visible) w.textContent = state.t("waitingNow", { n });
  }
}

main();
