// The kiosk: choose a language, choose a line by age, get a number.
//
// One small state object and one render per screen:
//   lang → line → ticket, with printfail (the slip did not print), problem
//   (no connection, or another error), closed (no line issues numbers now),
//   and two overlays: the privacy notice and the idle warning.
// Every path leads back to the language screen: by Done at once, or after a
// visible countdown the visitor can stop (never a hard time-out).

import { api, ApiError, newIdempotencyKey } from "/common/api.js";
import { connectQueue, isStale, aheadOf } from "/common/events.js";
import { pickLanguages, GERMAN, language, translator } from "/kiosk/i18n/index.js";
import { KIOSK_LINES } from "/kiosk/lines.js";
import { formatWhen, waitRange, spokenNumber, openingState } from "/kiosk/format.js";
import { createSpeaker } from "/kiosk/speech.js";

// Timing, each with its reason.
/** Quiet this long on a screen, then ask whether the visitor is still there (0: never). */
const IDLE_MS = {
  lang: 0, // the start screen: nothing to go back to
  closed: 0, // in German it is the start screen too (see idleMs)
  line: 60000, // reading a new language slowly takes time
  ticket: 30000, // the slip is printed; the screen only repeats it
  printfail: 120000, // time to write the number down or photograph it
  problem: 60000,
};
/** Privacy notice open over a screen without its own time-out. */
const PRIVACY_IDLE_MS = 90000;
/** The warning counts down this many seconds (WCAG 2.2.1 asks for at least 20). */
const WARNING_SECONDS = 30;
/** Quiet retries of a failed ticket request, same Idempotency-Key, before telling the visitor. */
const RETRY_DELAYS_MS = [800, 2000];
/** How often the opening state of the lines is asked again. */
const LINES_REFRESH_MS = 30000;
/** A line's expected wait older than this (the server did not answer since) is not shown. */
const ESTIMATE_FRESH_MS = 3 * LINES_REFRESH_MS;
/** Added to the server's print deadline before the kiosk stops waiting for the outcome. */
const PRINT_GRACE_MS = 4000;
/** Pause between attempts to read the config while the server is unreachable. */
const CONFIG_RETRY_MS = 10000;
/**
 * A request whose answer never came may still have made a ticket. A tap on
 * the same line in the same language this soon after reuses its key, so that
 * ticket is handed out instead of a second one (also to the next visitor:
 * nobody has seen it).
 */
const UNANSWERED_KEY_MS = 5 * 60000;

const $ = (id) => document.getElementById(id);
const tDe = translator(GERMAN.code);
const speaker = createSpeaker();

// Tests (and an operator trying things out) may shorten the quiet times with
// ?idle=SECONDS; the warning itself always keeps its full WARNING_SECONDS.
const idleOverride = Number(new URLSearchParams(location.search).get("idle")) * 1000;

const state = {
  /** @type {"lang"|"closed"|"line"|"ticket"|"printfail"|"problem"} */
  screen: "lang",
  lang: GERMAN.code,
  t: tDe,
  languages: pickLanguages(undefined).languages,
  config: {
    timezone: "Europe/Berlin",
    lines: [],
    privacy: { responsible: "", contact: "" },
    printing: false,
    print_timeout_seconds: 15,
  },
  /** Lines with their opening state, from GET /api/v1/lines. */
  lines: [],
  /** When GET /api/v1/lines last answered (Date.now()), for the age of its estimates. */
  linesAt: 0,
  /** A ticket request in flight: {line, key}. */
  issuing: null,
  /** The last failed request, kept so "try again" reuses its key: {line, key, kind}. */
  failed: null,
  /** The line that closed as the visitor tapped it. */
  notice: null,
  ticket: null,
  /** What became of the slip: "off" (no printer), "pending", "printed", "failed". */
  print: "off",
  /** The last request that got no answer: {line, lang, key, at}. Survives startOver. */
  unanswered: null,
};

const live = connectQueue();
/** Print outcomes seen on the event stream, by ticket id: they may come before the POST answers. */
const printSeen = new Map();
let printTimer = 0;
let linesTimer = 0;

// ---- screens ---------------------------------------------------------------

const SCREENS = ["lang", "closed", "line", "ticket", "printfail", "problem"];

function show(screen) {
  state.screen = screen;
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== screen;
  document.body.dataset.screen = screen;
  window.scrollTo(0, 0);
  speaker.stop();
  const heading = $(`screen-${screen}`).querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  idle.arm(idleMs());
}

/** The quiet time before the idle warning on the current screen. */
function idleMs() {
  let ms = IDLE_MS[state.screen] || 0;
  // The closed screen in another language than German is a visitor's: give it back.
  if (state.screen === "closed" && state.lang !== GERMAN.code) ms = IDLE_MS.line;
  if (!ms && !$("privacy").hidden) ms = PRIVACY_IDLE_MS;
  if (ms && idleOverride > 0) ms = idleOverride;
  return ms;
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
  updateReadAloud();
}

function startOver() {
  state.issuing = null;
  state.failed = null;
  state.notice = null;
  state.ticket = null;
  state.print = "off";
  clearTimeout(printTimer);
  closePrivacy();
  setLanguage(GERMAN.code);
  showHome();
  refreshLines();
}

/** The start screen: languages, or the closed screen when no line is open. */
function showHome() {
  if (openingState(state.lines).allClosed) {
    renderClosed();
    show("closed");
  } else {
    show("lang");
  }
}

// ---- 1. language ------------------------------------------------------------

function renderLanguages() {
  const title = $("lang-title");
  title.replaceChildren();
  title.classList.toggle("is-many", state.languages.length > 12);
  for (const l of state.languages) {
    const span = document.createElement("span");
    span.lang = l.code;
    span.dir = l.dir;
    span.textContent = translator(l.code)("welcome");
    title.append(span);
  }
  const list = $("lang-list");
  list.replaceChildren();
  list.classList.toggle("is-many", state.languages.length > 12);
  for (const l of state.languages) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = l.name.length > 16 ? "lang-choice is-long" : "lang-choice";
    b.lang = l.code;
    b.dir = l.dir;
    b.dataset.testid = `lang-${l.code}`;
    b.textContent = l.name;
    b.addEventListener("click", () => chooseLanguage(l.code));
    list.append(b);
  }
}

function chooseLanguage(code) {
  setLanguage(code);
  state.failed = null;
  state.notice = null;
  if (openingState(state.lines).allClosed) {
    renderClosed();
    show("closed");
    return;
  }
  renderLines();
  show("line");
  refreshLines();
}

// ---- closed -----------------------------------------------------------------

/** "Open again: Wednesday, 10 June at 09:00" in a language, or "no opening planned". */
function opensText(code, iso, short = false) {
  const t = translator(code);
  if (!iso) return t("noOpening");
  return t("opensAt", { when: formatWhen(iso, language(code), state.config.timezone, { short }) });
}

function renderClosed() {
  const { nextOpen } = openingState(state.lines);
  $("closed-when").textContent = opensText(state.lang, nextOpen);
  $("closed-when-de").textContent = opensText(GERMAN.code, nextOpen);
  const list = $("closed-list");
  list.replaceChildren();
  list.classList.toggle("is-many", state.languages.length > 13);
  for (const l of state.languages) {
    if (l.code === GERMAN.code) continue; // German is on every screen already
    const t = translator(l.code);
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "closed-choice";
    b.lang = l.code;
    b.dir = l.dir;
    b.dataset.testid = `closed-${l.code}`;
    b.setAttribute("aria-pressed", String(l.code === state.lang));
    const name = document.createElement("span");
    name.className = "closed-name";
    name.textContent = l.name;
    const text = document.createElement("span");
    text.className = "closed-line";
    const head = document.createElement("strong");
    head.textContent = t("closedTitle");
    text.append(head, " ", opensText(l.code, nextOpen, true));
    b.append(name, text);
    b.addEventListener("click", () => {
      setLanguage(l.code);
      renderClosed();
      show("closed");
    });
    li.append(b);
    list.append(li);
  }
}

// ---- 2. line ----------------------------------------------------------------

/** The lines the kiosk offers: the server's, youngest first, with the kiosk's icons. */
function kioskLines() {
  const server = state.config.lines.length ? state.config.lines : state.lines;
  if (!server.length) return KIOSK_LINES.map((k) => ({ ...k, name: tDe(`service.${k.id}`) }));
  const known = server.map((l) => {
    const k = KIOSK_LINES.find((x) => x.id === l.id);
    return {
      id: l.id,
      short: k ? k.short : l.prefix || l.id.toUpperCase(),
      ages: k ? k.ages : l.ages || "",
      icon: k ? k.icon : "/kiosk/icons/adult.svg",
      name: l.name || tDe(`service.${l.id}`),
      order: k ? KIOSK_LINES.indexOf(k) : KIOSK_LINES.length,
    };
  });
  return known.sort((a, b) => a.order - b.order);
}

function lineState(id) {
  return state.lines.find((l) => l.id === id) || { open: true };
}

/** What the line buttons were last built from: unchanged, they are only updated in place. */
let linesBuiltFrom = "";

function renderLines() {
  const t = state.t;
  const box = $("line-choices");
  const tpl = /** @type {HTMLTemplateElement} */ ($("tpl-line"));
  const isGerman = state.lang === GERMAN.code;
  // Rebuilding the buttons under a finger would swallow its tap: only when
  // what they show has changed.
  const from = JSON.stringify([state.lang, state.issuing && state.issuing.line, state.notice,
    kioskLines().map((l) => [l.id, l.name, lineState(l.id).open, lineState(l.id).next_open])]);
  if (from === linesBuiltFrom && box.childElementCount) {
    refreshCounts();
    return;
  }
  linesBuiltFrom = from;
  box.replaceChildren();
  for (const l of kioskLines()) {
    const ls = lineState(l.id);
    const closed = ls.open === false;
    let node = /** @type {HTMLElement} */ (tpl.content.firstElementChild.cloneNode(true));
    if (closed) {
      // Not a button: there is nothing to press. Says why, and when it opens.
      const div = document.createElement("div");
      div.className = node.className;
      div.append(...node.childNodes);
      node = div;
      node.classList.add("is-closed");
    }
    node.classList.add(`line-${l.id}`);
    node.dataset.testid = `line-${l.id}`;
    node.dataset.line = l.id;
    node.querySelector(".line-icon").setAttribute("src", l.icon);
    node.querySelector(".line-ages").textContent = l.ages;
    node.querySelector(".line-ages-text").textContent = translated(`ages.${l.id}`, "");
    // The German name is always there: staff, signs and letters use it.
    const german = `${l.name} (${l.short})`;
    node.querySelector(".line-service-name").textContent = isGerman ? german : translated(`service.${l.id}`, german);
    const de = node.querySelector(".line-service-de");
    de.textContent = german;
    de.hidden = isGerman || !hasMessage(`service.${l.id}`);
    node.querySelector(".line-helps").textContent = translated(`helps.${l.id}`, "");
    const status = node.querySelector(".line-status");
    status.dataset.testid = `line-status-${l.id}`;
    if (closed) {
      status.classList.add("is-closed");
      status.replaceChildren(closedBadge(t("lineClosed")), document.createTextNode(opensText(state.lang, ls.next_open)));
    } else if (state.issuing && state.issuing.line === l.id) {
      status.classList.add("is-busy");
      status.textContent = t("pleaseWait");
      node.setAttribute("aria-busy", "true");
    } else {
      status.classList.add("line-waiting");
      const n = waitingCount(l.id);
      status.hidden = n === null;
      if (n !== null) status.textContent = t("waitingNow", { n });
    }
    const est = node.querySelector(".line-estimate");
    est.dataset.testid = `line-estimate-${l.id}`;
    if (closed) est.remove();
    else showEstimate(est, l.id);
    if (!closed) {
      if (state.issuing) node.setAttribute("aria-disabled", "true");
      node.addEventListener("click", () => requestTicket(l.id));
    }
    box.append(node);
  }
  const notice = $("line-notice");
  notice.hidden = !state.notice;
  notice.replaceChildren();
  if (state.notice) {
    const p = document.createElement("span");
    p.textContent = t("lineClosedNow");
    const d = document.createElement("span");
    d.className = "de-sub";
    d.lang = "de";
    d.textContent = tDe("lineClosedNow");
    notice.append(p, d);
  }
  $("line-back").setAttribute("aria-disabled", String(!!state.issuing));
}

function closedBadge(text) {
  const b = document.createElement("span");
  b.className = "closed-badge";
  const img = document.createElement("img");
  img.src = "/kiosk/icons/closed.svg";
  img.alt = "";
  const s = document.createElement("span");
  s.textContent = text;
  b.append(img, s);
  return b;
}

function hasMessage(key) {
  return state.t(key) !== key;
}

/** A message of the visitor's language, or fallback for a line the kiosk has no words for. */
function translated(key, fallback) {
  return hasMessage(key) ? state.t(key) : fallback;
}

/** Waiting count of a line while the event stream is live, else null (never a stale number). */
function waitingCount(id) {
  const model = live.model;
  if (!model.synced || isStale(live.state, Date.now())) return null;
  const n = model.waiting[id];
  return typeof n === "number" ? n : null;
}

/**
 * The expected wait of a ticket drawn now in a line, {min, max} minutes, as
 * GET /api/v1/lines last said; null for a closed line, when the server gave
 * none, or when its answer is too old to be trusted.
 */
function lineEstimate(id) {
  const ls = lineState(id);
  if (ls.open === false || Date.now() - state.linesAt > ESTIMATE_FRESH_MS) return null;
  return waitRange(ls);
}

/** "Geschätzte Wartezeit: 20 bis 35 Minuten" under an open line, or nothing. */
function showEstimate(el, id) {
  const range = lineEstimate(id);
  el.hidden = !range;
  if (!range) {
    el.replaceChildren();
    return;
  }
  const label = `${state.t("estimate")}: `;
  const words = state.t("estimateRange", range);
  if (el.textContent === label + words) return; // refreshed every 2 s: touch the page only on a change
  const value = document.createElement("span");
  value.className = "line-estimate-range";
  value.textContent = words;
  el.replaceChildren(label, value);
}

/** Updates the waiting counts and expected waits on the line buttons without rebuilding them. */
function refreshCounts() {
  for (const el of document.querySelectorAll("#line-choices .line-waiting")) {
    const id = el.closest("[data-line]").dataset.line;
    const n = waitingCount(id);
    el.hidden = n === null;
    if (n !== null) el.textContent = state.t("waitingNow", { n });
  }
  for (const el of document.querySelectorAll("#line-choices .line-estimate")) {
    showEstimate(/** @type {HTMLElement} */ (el), el.closest("[data-line]").dataset.line);
  }
}

// ---- drawing a ticket ---------------------------------------------------------

/** Starts a ticket request for a tap on a line: a fresh Idempotency-Key, unless an unanswered one fits. */
function requestTicket(lineId) {
  if (state.issuing) return; // a second tap while the first is on its way
  const u = state.unanswered;
  const reuse = u && u.line === lineId && u.lang === state.lang && Date.now() - u.at < UNANSWERED_KEY_MS;
  issue(lineId, reuse ? u.key : newIdempotencyKey());
}

/** Sends the request, retrying quietly with the same key, so the server makes at most one ticket. */
async function issue(lineId, key) {
  if (state.issuing) return;
  state.issuing = { line: lineId, key };
  state.failed = null;
  state.notice = null;
  if (state.screen === "line") renderLines();
  else setProblemBusy(true);
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
      state.unanswered = null;
      setProblemBusy(false);
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
  setProblemBusy(false);
  if (err instanceof ApiError && err.code === "closed") {
    state.notice = lineId;
    await refreshLines();
    if (openingState(state.lines).allClosed) {
      renderClosed();
      show("closed");
    } else {
      renderLines();
      show("line");
    }
    return;
  }
  const kind = err instanceof ApiError && err.retryable ? "offline" : "other";
  state.failed = { line: lineId, key, kind };
  state.unanswered = kind === "offline" ? { line: lineId, lang: state.lang, key, at: Date.now() } : null;
  renderProblem();
  show("problem");
}

// ---- problem ------------------------------------------------------------------

function renderProblem() {
  const f = state.failed;
  const offline = !f || f.kind === "offline";
  const titleKey = offline ? "offlineTitle" : "errorOther";
  $("problem-title-t").textContent = state.t(titleKey);
  $("problem-title-de").textContent = tDe(titleKey);
  $("problem-text-p").hidden = !offline;
  $("problem-text").textContent = state.t("offlineText");
  $("problem-text-de").textContent = tDe("offlineText");
  $("problem-retry-note").hidden = !offline;
  $("problem-retry").hidden = !offline;
  document.body.dataset.problem = offline ? "offline" : "other";
}

function setProblemBusy(busy) {
  const b = $("problem-retry");
  b.setAttribute("aria-disabled", String(busy));
  b.classList.toggle("is-busy", busy);
}

// ---- 3. ticket ----------------------------------------------------------------

function lineInfo(id) {
  return kioskLines().find((l) => l.id === id) || { id, short: id.toUpperCase(), name: id, ages: "" };
}

function showTicket(ticket) {
  state.ticket = ticket;
  renderTicket();
  show("ticket");
  watchPrint(ticket);
}

function renderTicket() {
  const ticket = state.ticket;
  if (!ticket) return;
  const l = lineInfo(ticket.issued_line || ticket.line);
  const german = `${l.name} (${l.short})`;
  const isGerman = state.lang === GERMAN.code;
  const service = isGerman ? german : translated(`service.${l.id}`, german);
  for (const prefix of ["ticket", "printfail"]) {
    const num = $(`${prefix}-number`);
    num.textContent = ticket.number;
    num.dataset.ticketId = ticket.id;
    num.classList.toggle("is-long", ticket.number.length > 5);
    $(`${prefix}-service`).textContent = service;
    $(`${prefix}-service-de`).textContent = german;
    $(`${prefix}-service-de`).hidden = isGerman;
    $(`${prefix}-card`).className = `ticket-card ${prefix === "printfail" ? "printfail-card " : ""}line-${l.id}`;
  }
  renderAhead();
  const range = waitRange(ticket);
  $("ticket-estimate-box").hidden = !range;
  $("ticket-estimate").textContent = range ? state.t("estimateRange", range) : "";
  const slipKey = state.print === "off" ? "noteNumber" : "takeSlip";
  $("slip-note").textContent = state.t(slipKey);
  $("slip-note-de").textContent = tDe(slipKey);
}

/** How many wait before the ticket: live from the event stream, else as the API said. */
function aheadNow() {
  const t = state.ticket;
  if (!t) return null;
  let ahead = aheadOf(live.model, t);
  if (ahead === null && !live.model.tickets[t.id]) ahead = typeof t.ahead === "number" ? t.ahead : null;
  return ahead;
}

function renderAhead() {
  const ahead = aheadNow();
  $("ticket-ahead-box").hidden = ahead === null;
  $("ticket-ahead").textContent = ahead === null ? "" : String(ahead);
}

// ---- printing ----------------------------------------------------------------------

/**
 * Waits for the slip's outcome: a ticket.printed or ticket.print_failed
 * event, or, when none came within the server's print deadline and a little
 * more, asks the API once and shows printer trouble unless it says printed.
 */
function watchPrint(ticket) {
  clearTimeout(printTimer);
  if (!state.config.printing) {
    state.print = "off";
    renderTicket();
    return;
  }
  state.print = "pending";
  const known = printSeen.get(ticket.id) || ticket;
  if (known.print === "printed" || known.print === "failed") {
    applyPrint(known);
    return;
  }
  const wait = (Number(state.config.print_timeout_seconds) || 15) * 1000 + PRINT_GRACE_MS;
  printTimer = window.setTimeout(async () => {
    if (!state.ticket || state.ticket.id !== ticket.id || state.print !== "pending") return;
    let t = null;
    try {
      t = await api(`/api/v1/tickets/${encodeURIComponent(ticket.id)}`);
    } catch {
      t = null;
    }
    if (!state.ticket || state.ticket.id !== ticket.id || state.print !== "pending") return;
    applyPrint(t && t.print === "printed" ? t : { ...ticket, print: "failed" });
  }, wait);
}

function applyPrint(t) {
  if (!state.ticket || state.ticket.id !== t.id) return;
  if (t.print === "printed") {
    clearTimeout(printTimer);
    state.print = "printed";
    if (state.screen === "ticket") renderTicket();
  } else if (t.print === "failed" && state.print !== "failed") {
    clearTimeout(printTimer);
    state.print = "failed";
    renderTicket();
    show("printfail");
  }
}

function onPrintEvent(t) {
  printSeen.set(t.id, t);
  if (printSeen.size > 50) printSeen.delete(printSeen.keys().next().value);
  applyPrint(t);
}

// ---- opening hours -------------------------------------------------------------------

/** Asks the server which lines are open now, and updates what is shown. */
async function refreshLines() {
  clearTimeout(linesTimer);
  document.documentElement.dataset.lines = "loading"; // tests wait for "ready"
  let lines = null;
  try {
    lines = await api("/api/v1/lines");
  } catch {
    lines = null; // keep what we knew: a draw still says what the server thinks
  }
  let wait = LINES_REFRESH_MS;
  if (Array.isArray(lines)) {
    state.lines = lines;
    state.linesAt = Date.now();
    // Ask again just after the next line opens.
    for (const l of lines) {
      if (l.open === false && l.next_open) {
        const ms = Date.parse(l.next_open) - Date.now() + 1000;
        if (ms > 0 && ms < wait) wait = ms;
      }
    }
    applyOpening();
  }
  linesTimer = window.setTimeout(refreshLines, wait);
  document.documentElement.dataset.lines = "ready";
}

function applyOpening() {
  const { allClosed } = openingState(state.lines);
  switch (state.screen) {
    case "lang":
      if (allClosed) {
        renderClosed();
        show("closed");
      }
      break;
    case "closed":
      if (!allClosed) {
        if (state.lang === GERMAN.code) show("lang");
        else {
          renderLines();
          show("line");
        }
      } else renderClosed();
      break;
    case "line":
      if (state.issuing) break;
      if (allClosed) {
        renderClosed();
        show("closed");
      } else renderLines();
      break;
  }
}

// ---- configuration ---------------------------------------------------------------------

async function loadConfig() {
  let cfg;
  try {
    cfg = await api("/api/v1/config");
  } catch {
    window.setTimeout(loadConfig, CONFIG_RETRY_MS);
    return;
  }
  state.config = { ...state.config, ...cfg, privacy: { ...state.config.privacy, ...(cfg.privacy || {}) } };
  const { languages, unknown } = pickLanguages(cfg.languages);
  if (unknown.length) console.warn("kiosk: no translation for configured languages", unknown);
  state.languages = languages;
  renderLanguages();
  renderPrivacy();
  if (state.screen === "closed") renderClosed();
  if (state.screen === "line" && !state.issuing) renderLines();
  document.documentElement.dataset.config = "ready";
}

// ---- privacy -----------------------------------------------------------------------------

function renderPrivacy() {
  const p = state.config.privacy || {};
  $("privacy-responsible").textContent = p.responsible || state.config.office || "";
  const contact = $("privacy-contact");
  if (p.contact) {
    contact.textContent = p.contact;
    contact.lang = "de";
  } else {
    contact.textContent = state.t("privacyAsk");
    contact.removeAttribute("lang");
  }
}

function openPrivacy() {
  renderPrivacy();
  $("privacy").hidden = false;
  $("main").inert = true;
  $("privacy-close").focus();
  idle.arm(idleMs());
}

function closePrivacy() {
  if ($("privacy").hidden) return;
  $("privacy").hidden = true;
  $("main").inert = false;
  speaker.stop();
  idle.arm(idleMs());
}

// ---- read aloud ------------------------------------------------------------------------

/** Shows the read-aloud buttons only where a voice speaks the visitor's language. */
function updateReadAloud() {
  const can = speaker.canSpeak(state.lang);
  for (const b of document.querySelectorAll(".js-read")) b.hidden = !can;
}

/** What the Read aloud button says on the current screen, in the visitor's language. */
function speechNow() {
  const t = state.t;
  if (!$("privacy").hidden) {
    const p = state.config.privacy || {};
    return [t("privacy"), t("privacyNoName"), t("privacyNumber"), t("privacyWhy"), t("privacyKeep"), t("free"),
      `${t("privacyResponsible")}: ${p.responsible || ""}`, `${t("privacyContact")}: ${p.contact || t("privacyAsk")}`];
  }
  const ticket = state.ticket;
  switch (state.screen) {
    case "line":
      return [t("howOld"), ...kioskLines().flatMap((l) => {
        const ls = lineState(l.id);
        const range = lineEstimate(l.id);
        return [translated(`ages.${l.id}`, l.ages), translated(`service.${l.id}`, l.name), translated(`helps.${l.id}`, ""),
          ls.open === false ? `${t("lineClosed")}. ${opensText(state.lang, ls.next_open)}` : "",
          range ? `${t("estimate")}: ${t("estimateRange", range)}` : ""];
      }), t("free")];
    case "ticket": {
      const ahead = aheadNow();
      const range = waitRange(ticket);
      return [t("yourNumber"), spokenNumber(ticket.number), translated(`service.${ticket.line}`, ""),
        ahead === null ? "" : `${t("ahead")}: ${ahead}`, range ? `${t("estimate")}: ${t("estimateRange", range)}` : "",
        t("weCall"), t(state.print === "off" ? "noteNumber" : "takeSlip")];
    }
    case "printfail":
      return [t("printFailed"), t("stillValid"), t("yourNumber"), spokenNumber(ticket.number), t("noteOrPhoto"),
        t("staffTold"), t("weCall")];
    case "closed":
      return [t("closedTitle"), t("closedText"), opensText(state.lang, openingState(state.lines).nextOpen)];
    default:
      return [];
  }
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
    if (!$("idle").hidden) {
      $("idle").hidden = true;
      $("main").inert = !$("privacy").hidden;
      $("privacy").inert = false;
    }
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
    $("main").inert = true;
    $("privacy").inert = true;
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
  // A long press on the touchscreen opens no browser menu (kiosk mode alone
  // does not stop it; see deploy/kiosk-browser.sh).
  document.addEventListener("contextmenu", (e) => e.preventDefault());
  renderLanguages();
  setLanguage(GERMAN.code);
  renderPrivacy();
  $("line-back").addEventListener("click", () => {
    if (!state.issuing) startOver();
  });
  $("problem-retry").addEventListener("click", () => {
    const f = state.failed;
    if (f && !state.issuing) issue(f.line, f.key); // same key: if the first request did arrive, no second ticket
  });
  $("problem-back").addEventListener("click", () => {
    if (!state.issuing) startOver();
  });
  for (const b of document.querySelectorAll(".js-done")) b.addEventListener("click", startOver);
  for (const b of document.querySelectorAll(".js-privacy")) b.addEventListener("click", openPrivacy);
  for (const b of document.querySelectorAll(".js-read")) b.addEventListener("click", () => speaker.speak(state.lang, speechNow()));
  $("privacy-close").addEventListener("click", closePrivacy);
  $("privacy").addEventListener("click", (e) => {
    if (e.target === $("privacy")) closePrivacy();
  });
  $("idle-continue").addEventListener("click", () => idle.arm(idleMs()));
  $("idle").addEventListener("click", (e) => {
    if (e.target === $("idle")) idle.arm(idleMs());
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("privacy").hidden && $("idle").hidden) closePrivacy();
  });
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, () => idle.poke(), { passive: true });
  speaker.onVoices(updateReadAloud);

  live.subscribe((model, msg, prev) => {
    if (msg && (msg.type === "ticket.printed" || msg.type === "ticket.print_failed") && msg.ticket) onPrintEvent(msg.ticket);
    // A line opened or closed by hand (or a fresh snapshot after a gap): ask again which lines are open.
    if ((msg && msg.type === "line.updated") || (prev && prev.synced && model.lineModes !== prev.lineModes)) refreshLines();
    if (state.screen === "line" && !state.issuing) refreshCounts();
    if (state.screen === "ticket") renderAhead();
  });
  live.onState((st) => {
    if (state.screen === "line" && !state.issuing) refreshCounts();
    // The stream is back, so is the server (a restart, an upgrade that took
    // longer than the quiet tries): the visitor still on the no-connection
    // screen gets the draw tried again, same key, without having to tap.
    const f = state.failed;
    if (st.status === "open" && state.screen === "problem" && f && f.kind === "offline" && !state.issuing) issue(f.line, f.key);
  });
  // The counts hide themselves when the stream has been down a while.
  setInterval(() => {
    if (state.screen === "line" && !state.issuing) refreshCounts();
    // A visitor waits on the no-connection screen: look for the server every
    // 2 s instead of the stream's longer backoff, so the draw above follows
    // within moments of the server being back.
    const f = state.failed;
    if (state.screen === "problem" && f && f.kind === "offline" && live.state.status === "reconnecting") live.stream.retryNow();
  }, 2000);
  live.start();
  show("lang");
  loadConfig();
  refreshLines();
}

main();
