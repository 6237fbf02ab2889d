// The counsellor's console: open a desk for one or both lines, call the next
// number, then recall, finish, mark a no-show, hand over to the other line or
// put it back; call a waiting number out of order (with a reason from the
// configured list); reactivate a recent no-show; pause and leave; see the
// queue, the other desks and slips that failed.
// German first, English second; keyboard first. Admins also get devices and
// accounts (admin.js).

import { api, ApiError, configureAuth, serverNow } from "/common/api.js";
import { connectQueue, isStale, calledAt, waitingIn, openDesks } from "/common/events.js";
import { linesOrDefault } from "/common/lines.js";
import { t, lang, setLang, applyStatic, STORE_LANG } from "./i18n.js";
import {
  DEFAULT_GRACE_MINUTES,
  addNoShow,
  addServed,
  callReasonText,
  callReasons,
  deskProblem,
  duration,
  graceLeft,
  graceText,
  longestWait,
  noShowEntry,
  printerStates,
  reasonText,
  reasonsText,
  recallWaitSeconds,
  servedEntry,
} from "./format.js";
import { initAdmin } from "./admin.js";

// Where the device remembers its choices.
const STORE_DESK = "wartemarke.console.desk";
const STORE_LINES = "wartemarke.console.lines";
const STORE_SERVED = "wartemarke.console.served";
/** Today's no-shows this console saw (any desk), to reactivate them within the grace time. */
const STORE_NOSHOWS = "wartemarke.console.noshows";
/** Per tab: the desk this tab left, so a reload does not open it again. */
const STORE_LEFT = "wartemarke.console.left";

// Timing, each with its reason.
/** The printer's state changes rarely; slip failures arrive as events anyway. */
const HEALTH_EVERY_MS = 60 * 1000;
/** After a failed slip the server asks the printer again; look a moment later. */
const HEALTH_AFTER_FAIL_MS = 2000;
/** A desk state the server did not take is sent again after this pause. */
const DESK_RETRY_MS = 5000;
/** Without a first snapshot by then, the desk is reported anyway. */
const FIRST_SYNC_WAIT_MS = 3000;
/**
 * The offline banner appears by time, not by event, and the longest wait
 * moves on with the clock: render this often (well within the 30 s a
 * minute count needs).
 */
const TICK_MS = 2000;
/** Asking who is signed in again, while the server cannot be reached. */
const SESSION_RETRY_MS = 3000;
/** Waiting numbers listed per line in the overview. */
const QUEUE_SHOWN = 12;
const SIGNIN = "/signin?next=/console";

const $ = (id) => document.getElementById(id);
let timeFmt = new Intl.DateTimeFormat("de-DE", { hour: "2-digit", minute: "2-digit" });

const live = connectQueue();

const state = {
  /** @type {{name: string, role: string}|null} */
  me: null,
  /** The desk label this console calls to (committed from the input). */
  desk: load(STORE_DESK, ""),
  /** @type {Set<string>} */
  lines: loadLines(),
  /** @type {"open"|"paused"|"closed"} what this desk should be */
  mode: "open",
  /** @type {{label: string, lines: string[], open: boolean, paused: boolean}|null} last state the server took */
  sent: null,
  deskError: "",
  /** The first report of the desk waits for the snapshot (to keep a pause across a reload). */
  started: false,
  busy: false,
  /**
   * Tickets as our own requests returned them, by id. They win over the
   * model until the event stream reports that ticket again, so the screen
   * never jumps back while an event is on its way (or the stream is down).
   */
  overrides: new Map(),
  /** @type {import("./format.js").NoShow[]} today's no-shows seen here, newest first */
  noShows: loadNoShows(),
  /** The waiting ticket picked for a call out of order (id), or "". */
  picked: "",
  /** @type {Map<string, {id: string, number: string, reason: string, reprinting: boolean}>} failed slips */
  alerts: new Map(),
  /** Failed slips the staff dismissed, by ticket id. */
  dismissed: new Set(),
  /** @type {import("./format.js").PrinterState[]} the printers as /healthz last said */
  printers: [],
  /** Whether /healthz has answered once (before, the printer's state is not known at all). */
  healthChecked: false,
  /** @type {any} GET /api/v1/config */
  config: null,
  served: loadServed(),
  view: "work",
};

// ---- remembered settings ---------------------------------------------------------

function load(key, fallback, storage = globalThis.localStorage) {
  try {
    return storage.getItem(key) ?? fallback;
  } catch {
    return fallback;
  }
}

function store(key, value, storage = globalThis.localStorage) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // private mode or full storage: the setting just is not remembered
  }
}

function loadLines() {
  try {
    const v = JSON.parse(load(STORE_LINES, "null"));
    if (Array.isArray(v)) return new Set(v.filter((x) => typeof x === "string"));
  } catch {
    // fall through to the default
  }
  return new Set(["mbe", "jmd"]);
}

function loadServed() {
  try {
    const v = JSON.parse(load(STORE_SERVED, "null"));
    // Only today's: a new day starts an empty list.
    if (v && Array.isArray(v.items) && typeof v.since === "number" && new Date(v.since).toDateString() === new Date().toDateString()) {
      return v;
    }
  } catch {
    // fall through
  }
  return { since: Date.now(), day: "", items: [] };
}

function loadNoShows() {
  try {
    const v = JSON.parse(load(STORE_NOSHOWS, "null"));
    if (Array.isArray(v)) {
      const today = new Date().toDateString();
      return v.filter((e) => e && typeof e.id === "string" && new Date(e.at).toDateString() === today);
    }
  } catch {
    // fall through
  }
  return [];
}

function setNoShows(list) {
  state.noShows = list;
  store(STORE_NOSHOWS, JSON.stringify(list));
}

function dropNoShow(id) {
  if (state.noShows.some((e) => e.id === id)) setNoShows(state.noShows.filter((e) => e.id !== id));
}

function graceMinutes() {
  const g = state.config && state.config.no_show_grace_minutes;
  return typeof g === "number" ? g : DEFAULT_GRACE_MINUTES;
}

function saveSettings() {
  store(STORE_DESK, state.desk);
  store(STORE_LINES, JSON.stringify([...state.lines]));
}

// ---- small questions ---------------------------------------------------------------

function deskDraft() {
  return /** @type {HTMLInputElement} */ ($("desk")).value.trim();
}

function problem() {
  return deskProblem(deskDraft(), state.lines.size, state.mode);
}

function tickets() {
  const all = { ...live.model.tickets };
  for (const [id, tk] of state.overrides) {
    if (tk.status === "waiting" || tk.status === "called") all[id] = tk;
    else delete all[id];
  }
  return all;
}

/** The waiting ticket picked for a call out of order, while it still waits in a line served here. */
function pickedTicket() {
  const tk = state.picked ? tickets()[state.picked] : null;
  return tk && tk.status === "waiting" && state.lines.has(tk.line) ? tk : null;
}

function currentTicket() {
  return state.desk ? calledAt(tickets(), state.desk)[0] || null : null;
}

function lineList() {
  const fromConfig = state.config && state.config.lines;
  return linesOrDefault(live.model.lines.length ? live.model.lines : fromConfig || []);
}

function lineShort(id) {
  const l = lineList().find((x) => x.id === id);
  return l ? l.short : String(id).toUpperCase();
}

function transferTarget(tk) {
  return lineList().find((l) => l.id !== tk.line) || null;
}

// ---- the desk's state on the server ---------------------------------------------

let syncChain = Promise.resolve();
let retryTimer = 0;

/**
 * Reports this desk's state (PUT /api/v1/desks/{desk}) when it differs from
 * what the server last took: the label in the input, the lines, open or
 * paused. A new label first closes the old desk. Calls run one after another.
 */
function syncDesk() {
  syncChain = syncChain.then(doSync, doSync);
  return syncChain;
}

async function doSync() {
  clearTimeout(retryTimer);
  const label = deskDraft();
  if (label !== state.desk && !deskProblem(label, 1)) {
    state.desk = label;
    saveSettings();
  }
  const valid = !deskProblem(state.desk, state.lines.size);
  const want = valid
    ? { label: state.desk, lines: [...state.lines], open: state.mode !== "closed", paused: state.mode === "paused" }
    : null;
  try {
    const sent = state.sent;
    if (sent && sent.open && (!want || sent.label !== want.label)) {
      await putDesk({ label: sent.label, lines: [], open: false, paused: false });
    }
    if (want && !same(state.sent, want) && (want.open || (state.sent && state.sent.open))) {
      await putDesk(want);
    }
    state.deskError = "";
  } catch (e) {
    state.deskError = errorText(e, t("what.desk"));
    if (!(e instanceof ApiError && e.status === 401)) retryTimer = setTimeout(syncDesk, DESK_RETRY_MS);
  }
  render();
}

async function putDesk(d) {
  await api(`/api/v1/desks/${encodeURIComponent(d.label)}`, {
    method: "PUT",
    body: { lines: d.lines, open: d.open, paused: d.paused },
  });
  state.sent = d.open ? d : null;
}

function same(a, b) {
  return !!a && !!b && a.label === b.label && a.open === b.open && a.paused === b.paused && a.lines.join() === b.lines.join();
}

// ---- rendering -------------------------------------------------------------------

function render() {
  const model = live.model;
  const lines = lineList();
  const stale = isStale(live.state, Date.now());
  const now = serverNow();

  // Connection
  const conn = $("conn");
  if (live.state.status === "open") {
    conn.textContent = t("conn.ok");
    conn.className = "conn is-ok";
  } else {
    conn.textContent = t("conn.down", { time: timeFmt.format(new Date(live.state.since)) });
    conn.className = "conn is-down";
  }
  $("offline").hidden = !stale;

  const all = { ...model, tickets: tickets() };
  renderAlerts();
  renderLineBoxes(lines, all, stale);
  renderOverview(lines, model, now);
  renderDeskBar();
  renderWork();
  renderPicks(lines, all, now);
  renderNoShows(now);
  renderServed();
}

/** @param {{synced: boolean, tickets: Record<string, any>}} model the model with this console's own knowledge */
function renderLineBoxes(lines, model, stale) {
  const boxes = $("line-boxes");
  const key = `${lines.map((l) => `${l.id}:${l.name}`).join(",")}|${lang()}`;
  if (boxes.dataset.key !== key) {
    boxes.dataset.key = key;
    boxes.replaceChildren();
    for (const l of lines) {
      const label = document.createElement("label");
      label.className = `line-box line-${l.id}`;
      const input = document.createElement("input");
      input.type = "checkbox";
      input.value = l.id;
      input.dataset.testid = `line-${l.id}`;
      input.addEventListener("change", () => {
        if (input.checked) state.lines.add(l.id);
        else state.lines.delete(l.id);
        saveSettings();
        syncDesk();
        render();
      });
      const text = document.createElement("span");
      text.className = "line-box-text";
      const name = document.createElement("strong");
      name.textContent = `${l.short} – ${l.name}`;
      const count = document.createElement("span");
      count.className = "line-box-count";
      count.dataset.line = l.id;
      text.append(name, count);
      label.append(input, text);
      boxes.append(label);
    }
  }
  for (const input of boxes.querySelectorAll("input")) input.checked = state.lines.has(input.value);
  for (const c of boxes.querySelectorAll(".line-box-count")) {
    const n = waitingIn(model, c.dataset.line).length;
    c.textContent = model.synced && !stale ? t("setup.waiting", { n }) : t("setup.unknown");
  }
}

function renderOverview(lines, model, now) {
  const all = { ...model, tickets: tickets() };
  const q = $("queue");
  q.replaceChildren();
  for (const l of lines) {
    const box = document.createElement("div");
    box.className = `queue-line line-${l.id}`;
    const waiting = waitingIn(all, l.id);
    const h = document.createElement("h3");
    const n = document.createElement("span");
    n.className = "num";
    n.dataset.testid = `waiting-${l.id}`;
    n.textContent = model.synced ? String(waiting.length) : "–";
    h.append(document.createTextNode(`${l.short}: `), n, document.createTextNode(` ${t("overview.waiting")}`));
    const wait = document.createElement("p");
    wait.className = "queue-wait";
    wait.dataset.testid = `longest-${l.id}`;
    const ms = longestWait(waiting, now);
    wait.textContent = !model.synced ? "" : ms === null ? t("overview.nobody") : t("overview.longest", { d: duration(ms) });
    const ol = document.createElement("ol");
    ol.className = "queue-list";
    for (const tk of waiting.slice(0, QUEUE_SHOWN)) {
      const li = document.createElement("li");
      li.className = "num";
      li.textContent = tk.number;
      ol.append(li);
    }
    if (waiting.length > QUEUE_SHOWN) {
      const li = document.createElement("li");
      li.className = "more";
      li.textContent = `+ ${waiting.length - QUEUE_SHOWN}`;
      ol.append(li);
    }
    box.append(h, wait, ol);
    q.append(box);
  }

  // Who serves where: today's open desks.
  const ul = $("desks");
  ul.replaceChildren();
  const desks = openDesks(model);
  if (desks.length === 0) {
    const li = document.createElement("li");
    li.className = "desk-none";
    li.textContent = t("overview.noDesks");
    ul.append(li);
  }
  for (const d of desks) {
    const li = document.createElement("li");
    li.className = `desk-item${d.paused ? " is-paused" : ""}${d.label === state.desk ? " is-mine" : ""}`;
    li.dataset.desk = d.label;
    const name = document.createElement("strong");
    name.textContent = d.label;
    const who = document.createElement("span");
    who.className = "desk-who";
    const parts = [];
    if (d.user) parts.push(d.user);
    parts.push((d.lines || []).map(lineShort).join(" + "));
    if (d.since) parts.push(t("desk.since", { time: timeFmt.format(new Date(d.since)) }));
    who.textContent = parts.join(" · ");
    li.append(name);
    if (d.label === state.desk) {
      const mine = document.createElement("span");
      mine.className = "desk-mine";
      mine.textContent = `(${t("overview.thisDesk")})`;
      li.append(" ", mine);
    }
    if (d.paused) {
      const p = document.createElement("span");
      p.className = "pill pill-paused";
      p.textContent = t("overview.paused");
      li.append(" ", p);
    }
    li.append(who);
    ul.append(li);
  }

  // The printers, as /healthz last said.
  const ps = $("printer-state");
  const printers = state.printers;
  if (state.config && !state.config.printing) ps.textContent = t("printer.none");
  else if (printers.length === 0) ps.textContent = state.healthChecked ? t("printer.unknown") : "–";
  else ps.textContent = printers.map((p) => (p.name ? `${p.name}: ` : "") + printerWords(p)).join(" · ");
  ps.className = printers.some(isBadPrinter) ? "is-bad" : "";
}

function renderDeskBar() {
  const valid = !deskProblem(state.desk, state.lines.size);
  $("view-work").classList.toggle("needs-setup", !valid);
  $("desk-name").textContent = state.desk || t("desk.none");
  $("desk-lines").textContent = valid ? [...state.lines].map(lineShort).join(" + ") : "";
  const pill = $("desk-state");
  pill.hidden = !valid;
  pill.textContent = t(`desk.state.${state.mode}`);
  pill.className = `pill pill-${state.mode}`;
  $("pause").hidden = state.mode === "closed" || !valid;
  $("pause").classList.toggle("btn-primary", state.mode === "paused");
  $("pause-label").textContent = state.mode === "paused" ? t("desk.resume") : t("desk.pause");
  $("pause").setAttribute("aria-pressed", String(state.mode === "paused"));
  $("leave").hidden = state.mode === "closed" || !valid;
  $("reopen").hidden = state.mode !== "closed" || !valid;
  const note = $("desk-note");
  note.hidden = state.mode === "open";
  note.textContent = state.mode === "paused" ? t("desk.pausedNote") : state.mode === "closed" ? t("desk.closedNote") : "";
  note.className = `note note-${state.mode}`;
  const de = $("desk-error");
  de.hidden = !state.deskError;
  de.textContent = state.deskError;
}

function renderWork() {
  const p = problem();
  // Busy does not disable the buttons (focus would jump to the page); run()
  // ignores a second press while a request is on its way.
  $("work-area").setAttribute("aria-busy", String(state.busy));
  $("next").disabled = !!p;
  $("next-hint").hidden = !p || state.mode !== "open";
  $("next-hint").textContent = p ? t(p.key, p.vars) : "";

  const tk = currentTicket();
  const cur = $("current");
  cur.className = `current${tk ? ` line-${tk.line}` : " is-empty"}`;
  $("current-number").textContent = tk ? tk.number : "–";
  if (tk) {
    const parts = [lineShort(tk.line)];
    if (tk.called_at) parts.push(t("current.calledAt", { time: timeFmt.format(new Date(tk.called_at)) }));
    if (tk.recalls) parts.push(t("current.recalls", { n: tk.recalls }));
    if (tk.issued_line && tk.issued_line !== tk.line) parts.push(t("current.from", { line: lineShort(tk.issued_line) }));
    $("current-meta").textContent = parts.join(" · ");
  } else {
    $("current-meta").textContent = t("current.none");
  }
  const reason = $("current-reason");
  reason.hidden = !(tk && tk.call_reason);
  reason.textContent = tk && tk.call_reason ? t("current.reason", { reason: callReasonText(tk.call_reason) }) : "";
  for (const id of ["recall", "done", "no-show", "transfer", "put-back"]) $(id).disabled = !tk;
  const target = tk && transferTarget(tk);
  $("transfer-label").textContent = target ? t("act.transferTo", { line: target.short }) : t("act.transfer");
  if (!target) $("transfer").disabled = true;
}

/**
 * The waiting numbers of the lines served here, each a radio button to
 * pick one for a call out of order. Rebuilt only when the numbers change,
 * so focus and the pick stay put while the minutes move on.
 */
function renderPicks(lines, all, now) {
  const box = $("picks");
  const served = lines.filter((l) => state.lines.has(l.id));
  const groups = served.map((l) => ({ line: l, waiting: waitingIn(all, l.id) }));
  if (!pickedTicket()) state.picked = "";
  const key = `${lang()}|${all.synced}|${groups.map((g) => `${g.line.id}:${g.waiting.map((x) => x.id).join(",")}`).join(";")}`;
  if (box.dataset.key !== key) {
    box.dataset.key = key;
    const focused = /** @type {HTMLInputElement|null} */ (box.contains(document.activeElement) ? document.activeElement : null);
    const focusedId = focused && focused.value;
    box.replaceChildren();
    if (groups.length === 0) {
      const p = document.createElement("p");
      p.className = "pick-none";
      p.textContent = t("picks.noLines");
      box.append(p);
    } else if (!all.synced) {
      const p = document.createElement("p");
      p.className = "pick-none";
      p.textContent = t("picks.unknown");
      box.append(p);
    }
    for (const g of all.synced ? groups : []) {
      const sec = document.createElement("div");
      sec.className = `pick-line line-${g.line.id}`;
      const h = document.createElement("h3");
      h.className = "pick-head";
      h.textContent = t("picks.line", { line: g.line.short, n: g.waiting.length });
      sec.append(h);
      if (g.waiting.length === 0) {
        const p = document.createElement("p");
        p.className = "pick-none";
        p.textContent = t("picks.nobody", { line: g.line.short });
        sec.append(p);
      } else {
        const ul = document.createElement("ul");
        ul.className = "pick-list";
        for (const tk of g.waiting) {
          const li = document.createElement("li");
          const label = document.createElement("label");
          label.className = "pick";
          const input = document.createElement("input");
          input.type = "radio";
          input.name = "pick";
          input.value = tk.id;
          input.dataset.testid = `pick-${tk.number}`;
          input.addEventListener("change", () => {
            if (input.checked) state.picked = tk.id;
            renderPickButton();
          });
          // Enter on a picked number goes straight to the reason.
          input.addEventListener("keydown", (e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              state.picked = tk.id;
              input.checked = true;
              openCallOut();
            }
          });
          const num = document.createElement("span");
          num.className = "pick-num num";
          num.textContent = tk.number;
          const since = document.createElement("span");
          since.className = "pick-since";
          since.dataset.issued = tk.issued_at || "";
          label.append(input, num, since);
          li.append(label);
          ul.append(li);
        }
        sec.append(ul);
      }
      box.append(sec);
    }
    if (focusedId) {
      const again = box.querySelector(`input[value="${CSS.escape(focusedId)}"]`);
      if (again) /** @type {HTMLElement} */ (again).focus();
    }
  }
  for (const input of box.querySelectorAll("input")) input.checked = input.value === state.picked;
  for (const since of box.querySelectorAll(".pick-since")) {
    const at = Date.parse(since.dataset.issued || "");
    since.textContent = Number.isNaN(at) ? "" : t("picks.since", { time: timeFmt.format(new Date(at)), d: duration(Math.max(0, now - at)) });
  }
  renderPickButton();
}

function renderPickButton() {
  const tk = pickedTicket();
  const any = !!$("picks").querySelector("input");
  $("call-pick").disabled = !!problem() || !any;
  $("call-pick-label").textContent = tk ? t("act.callOutPicked", { number: tk.number }) : t("act.callOut");
}

/** Recent no-shows (any desk) that may still be reactivated, each with the minutes left. */
function renderNoShows(now) {
  const grace = graceMinutes();
  $("noshows-intro").textContent = grace > 0 ? t("noShows.intro", { m: grace }) : t("noShows.introNoLimit");
  const open = tickets();
  const list = state.noShows.filter((e) => !open[e.id] && graceLeft(e, grace, now) > 0);
  const ul = $("no-shows");
  const key = `${lang()}|${list.map((e) => e.id).join(",")}`;
  if (ul.dataset.key !== key) {
    ul.dataset.key = key;
    const focused = ul.contains(document.activeElement) ? /** @type {HTMLElement} */ (document.activeElement).dataset.ticket : "";
    ul.replaceChildren();
    if (list.length === 0) {
      const li = document.createElement("li");
      li.className = "noshow-none";
      li.textContent = t("noShows.none");
      ul.append(li);
    }
    list.forEach((e, i) => {
      const li = document.createElement("li");
      li.className = `noshow-item line-${e.line}`;
      li.dataset.ticket = e.id;
      const num = document.createElement("strong");
      num.className = "num noshow-num";
      num.textContent = e.number;
      const text = document.createElement("span");
      text.className = "noshow-text";
      const where = document.createElement("span");
      where.className = "noshow-where";
      const at = Date.parse(e.at);
      where.textContent = [lineShort(e.line), e.desk, Number.isNaN(at) ? "" : timeFmt.format(new Date(at))].filter(Boolean).join(" · ");
      const left = document.createElement("span");
      left.className = "noshow-left";
      left.dataset.testid = `noshow-left-${e.number}`;
      text.append(where, left);
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-small";
      b.dataset.testid = `reactivate-${e.number}`;
      b.dataset.ticket = e.id;
      const label = document.createElement("span");
      label.textContent = t("act.reactivate");
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = ` ${e.number}`;
      b.append(label, hidden);
      if (i === 0) {
        // W takes back the newest one: the visitor who just stepped out.
        b.id = "reactivate-first";
        b.setAttribute("aria-keyshortcuts", "W");
        const k = document.createElement("kbd");
        k.textContent = "W";
        b.append(k);
      }
      b.addEventListener("click", () => reactivate(e.id));
      li.append(num, text, b);
      ul.append(li);
    });
    if (focused) {
      const again = ul.querySelector(`button[data-ticket="${CSS.escape(focused)}"]`);
      if (again) /** @type {HTMLElement} */ (again).focus();
    }
  }
  for (const e of list) {
    const left = ul.querySelector(`[data-testid="noshow-left-${CSS.escape(e.number)}"]`);
    if (left) left.textContent = graceText(graceLeft(e, grace, now));
  }
}

function renderServed() {
  $("served-note").textContent = t("served.note", { time: timeFmt.format(new Date(state.served.since)) });
  const ol = $("served");
  ol.replaceChildren();
  const mine = state.served.items.filter((x) => x.desk === state.desk);
  if (mine.length === 0) {
    const li = document.createElement("li");
    li.className = "served-none";
    li.textContent = t("served.none");
    ol.append(li);
    return;
  }
  for (const e of mine) {
    const li = document.createElement("li");
    li.className = `served-item line-${e.line}`;
    const num = document.createElement("strong");
    num.className = "num";
    num.textContent = e.number;
    const what = document.createElement("span");
    what.textContent =
      e.outcome === "done" ? t("served.done") : e.outcome === "no_show" ? t("served.noShow") : t("served.transferred", { line: lineShort(e.to) });
    const at = document.createElement("span");
    at.className = "served-at";
    at.textContent = e.at ? timeFmt.format(new Date(e.at)) : "";
    li.append(num, what, at);
    ol.append(li);
  }
}

/** The alerts bar: failed slips (each with Reprint) and the printer's state. Keyed, so focus stays put. */
function renderAlerts() {
  const box = $("alerts");
  const want = new Map();
  for (const a of state.alerts.values()) if (!state.dismissed.has(a.id)) want.set(`slip:${a.id}`, a);
  for (const p of state.printers) if (isBadPrinter(p)) want.set(`printer:${p.name}`, p);

  for (const el of [...box.children]) if (!want.has(el.dataset.key)) el.remove();
  for (const [key, a] of want) {
    let el = box.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (!el) {
      el = key.startsWith("printer:") ? printerAlert() : slipAlert(a);
      el.dataset.key = key;
      box.append(el);
    }
    if (key.startsWith("printer:")) {
      el.className = `alert ${a.state === "error" ? "alert-error" : "alert-warning"}`;
      const reasons = printerWords(a);
      el.querySelector(".alert-title").textContent = a.name
        ? t("alert.printerNamed", { name: a.name, reasons })
        : t("alert.printer", { reasons });
      el.querySelector(".alert-hint").textContent = a.detail || "";
    } else {
      el.querySelector(".alert-title").textContent = t("alert.print", { number: a.number, reason: reasonText(a.reason) });
      el.querySelector(".alert-hint").textContent = t("alert.printHint");
      const b = el.querySelector("[data-act=reprint]");
      b.textContent = a.reprinting ? t("alert.reprinting") : t("alert.reprint");
      b.disabled = a.reprinting;
      el.querySelector("[data-act=dismiss]").textContent = t("alert.dismiss");
    }
  }
}

function alertShell(testid) {
  const el = document.createElement("div");
  el.className = "alert alert-error";
  el.setAttribute("role", "alert");
  el.dataset.testid = testid;
  el.innerHTML =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" d="M12 3 2 21h20L12 3zM12 10v5M12 18v.5"/></svg>' +
    '<div class="alert-text"><p class="alert-title"></p><p class="alert-hint"></p></div>';
  return el;
}

function isBadPrinter(p) {
  return p.state === "error" || p.state === "warning";
}

/** A printer's state in words: its reasons when it has trouble. */
function printerWords(p) {
  if (p.state === "ok") return t("printer.ok");
  if (p.state === "unknown") return t("printer.unknown");
  return reasonsText(p.reasons) || t(`printer.${p.state}`);
}

function printerAlert() {
  return alertShell("printer-alert");
}

function slipAlert(a) {
  const el = alertShell("print-alert");
  el.dataset.ticket = a.id;
  const actions = document.createElement("div");
  actions.className = "alert-actions";
  const reprint = document.createElement("button");
  reprint.type = "button";
  reprint.className = "btn btn-alert";
  reprint.dataset.act = "reprint";
  reprint.dataset.testid = "reprint";
  reprint.addEventListener("click", () => doReprint(a.id));
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.className = "btn btn-alert-quiet";
  dismiss.dataset.act = "dismiss";
  dismiss.dataset.testid = "dismiss";
  dismiss.addEventListener("click", () => {
    state.dismissed.add(a.id);
    render();
  });
  actions.append(reprint, dismiss);
  el.append(actions);
  return el;
}

// ---- messages -----------------------------------------------------------------------

function say(text) {
  $("status").textContent = text;
  $("error").hidden = true;
}

function errorText(err, what) {
  if (err instanceof ApiError) {
    switch (err.code) {
      case "network":
      case "unavailable":
        return t("err.network");
      case "conflict":
        return t("err.conflict", { what });
      case "closed":
        return t("err.closed");
      case "forbidden":
        return t("err.forbidden", { what });
      default:
        return t("err.generic", { what, message: err.message });
    }
  }
  return t("err.plain", { what });
}

function fail(err, what) {
  failText(errorText(err, what));
}

function failText(text) {
  $("status").textContent = "";
  const e = $("error");
  e.textContent = text;
  e.hidden = false;
}

// ---- actions --------------------------------------------------------------------------

/** Runs one request at a time; a second press while one is on its way is ignored. */
async function run(fn) {
  if (state.busy) return;
  state.busy = true;
  render();
  try {
    await fn();
  } finally {
    state.busy = false;
    render();
  }
}

function remember(tk) {
  if (tk && tk.id) state.overrides.set(tk.id, tk);
}

async function callNext() {
  if (problem() || state.busy) return;
  await syncDesk();
  const still = currentTicket();
  if (still) {
    const ok = await confirmDialog(t("confirm.stillCalled", { number: still.number }), t("confirm.doneNext"));
    if (!ok) return;
  }
  await run(async () => {
    if (still) {
      try {
        remember(await api(`/api/v1/tickets/${encodeURIComponent(still.id)}/done`, { method: "POST" }));
      } catch (e) {
        fail(e, t("what.done", { number: still.number }));
        return;
      }
    }
    const lines = [...state.lines];
    try {
      const tk = await api(`/api/v1/desks/${encodeURIComponent(state.desk)}/next`, { method: "POST", body: { lines } });
      if (!tk) {
        say(t("say.nobody", { lines: lines.map(lineShort).join(t("say.or")) }));
        return;
      }
      remember(tk);
      say(t("say.called", { number: tk.number, desk: tk.desk || state.desk }));
    } catch (e) {
      fail(e, t("what.call"));
    }
  });
}

/**
 * Sends one action on the ticket called here.
 * @param {string} path the action's path segment
 * @param {string} okKey i18n key of what happened
 * @param {string} whatKey i18n key of what was tried
 */
function ticketAction(path, okKey, whatKey, body, vars = {}) {
  const tk = currentTicket();
  if (!tk) return;
  run(async () => {
    try {
      const after = await api(`/api/v1/tickets/${encodeURIComponent(tk.id)}/${path}`, { method: "POST", body });
      remember(after);
      const ns = noShowEntry(after, new Date(serverNow()).toISOString());
      if (ns) setNoShows(addNoShow(state.noShows, ns));
      say(t(okKey, { number: tk.number, ...vars }));
    } catch (e) {
      // A recall within recall_interval_seconds: the server says how long to wait.
      const s = path === "recall" && e instanceof ApiError && e.code === "conflict" ? recallWaitSeconds(e.message) : null;
      if (s !== null) failText(t("err.recallWait", { number: tk.number, s }));
      else fail(e, t(whatKey, { number: tk.number, ...vars }));
    }
  });
}

const recall = () => ticketAction("recall", "say.recalled", "what.recall");
const done = () => ticketAction("done", "say.done", "what.done");
const noShow = () => ticketAction("no-show", "say.noShow", "what.noShow");

/**
 * Calls the picked waiting ticket out of order: asks for the reason (the
 * dialog also says that the ticket still called here will be done), then
 * POST /call. Without a pick, the waiting list gets the focus.
 */
async function openCallOut() {
  if (problem() || state.busy) return;
  const tk = pickedTicket();
  if (!tk) {
    const first = /** @type {HTMLElement|null} */ ($("picks").querySelector("input"));
    if (first) first.focus();
    say(t("say.pickFirst"));
    return;
  }
  await syncDesk();
  const still = currentTicket();
  const reason = await reasonDialog(tk, still);
  if (!reason || problem()) return;
  await run(async () => {
    try {
      const called = await api(`/api/v1/tickets/${encodeURIComponent(tk.id)}/call`, {
        method: "POST",
        body: { desk: state.desk, reason },
      });
      // The server finished the ticket that was called here first.
      if (still && still.id !== called.id) remember({ ...still, status: "done" });
      remember(called);
      state.picked = "";
      say(t("say.calledOut", { number: called.number, desk: called.desk || state.desk, reason: callReasonText(reason) }));
      $("next").focus();
    } catch (e) {
      fail(e, t("what.callOut", { number: tk.number }));
    }
  });
}

/** Puts the current ticket back into its line: at its place or at the end. */
async function putBack() {
  const tk = currentTicket();
  if (!tk || state.busy) return;
  const where = await putBackDialog(tk);
  if (where !== "place" && where !== "end") return;
  const atEnd = where === "end";
  await run(async () => {
    try {
      remember(await api(`/api/v1/tickets/${encodeURIComponent(tk.id)}/put-back`, { method: "POST", body: { at_end: atEnd } }));
      say(t(atEnd ? "say.putBackEnd" : "say.putBackPlace", { number: tk.number }));
      if (!problem()) $("next").focus();
    } catch (e) {
      fail(e, t("what.putBack", { number: tk.number }));
    }
  });
}

/** Reactivates a no-show: it waits again at its old place. */
function reactivate(id) {
  const e = state.noShows.find((x) => x.id === id);
  if (!e) return;
  run(async () => {
    try {
      const tk = await api(`/api/v1/tickets/${encodeURIComponent(id)}/reactivate`, { method: "POST" });
      remember(tk);
      dropNoShow(id);
      say(t("say.reactivated", { number: e.number, line: lineShort(tk.line || e.line) }));
    } catch (err) {
      if (err instanceof ApiError && err.code === "conflict") {
        // Too late, or no longer a no-show (taken back or called elsewhere).
        dropNoShow(id);
        const grace = graceMinutes();
        if (grace > 0 && graceLeft(e, grace, serverNow()) <= 60 * 1000) failText(t("err.reactivateLate", { number: e.number, m: grace }));
        else fail(err, t("what.reactivate", { number: e.number }));
      } else {
        fail(err, t("what.reactivate", { number: e.number }));
      }
    }
  });
}

function reactivateFirst() {
  const b = $("reactivate-first");
  if (b && b.dataset.ticket) reactivate(b.dataset.ticket);
}
function transfer() {
  const tk = currentTicket();
  const target = tk && transferTarget(tk);
  if (!target) return;
  ticketAction("transfer", "say.transferred", "what.transfer", { line: target.id }, { line: target.short });
}

function togglePause() {
  if (state.mode === "closed" || deskProblem(deskDraft(), state.lines.size)) return;
  state.mode = state.mode === "paused" ? "open" : "paused";
  say(state.mode === "paused" ? t("say.paused") : t("say.resumed"));
  syncDesk();
  render();
}

async function leaveDesk() {
  if (state.mode === "closed") return;
  const still = currentTicket();
  if (still) {
    const ok = await confirmDialog(t("confirm.leaveCalled", { number: still.number }), t("confirm.doneLeave"));
    if (!ok) return;
    try {
      remember(await api(`/api/v1/tickets/${encodeURIComponent(still.id)}/done`, { method: "POST" }));
    } catch (e) {
      fail(e, t("what.done", { number: still.number }));
      return;
    }
  }
  state.mode = "closed";
  store(STORE_LEFT, state.desk, sessionStorage);
  await syncDesk();
  if (!state.deskError) say(t("say.left", { desk: state.desk }));
}

async function reopenDesk() {
  state.mode = "open";
  store(STORE_LEFT, null, sessionStorage);
  await syncDesk();
  if (!state.deskError) say(t("say.opened", { desk: state.desk }));
  $("next").focus();
}

async function doReprint(id) {
  const a = state.alerts.get(id);
  if (!a || a.reprinting) return;
  a.reprinting = true;
  render();
  try {
    await api(`/api/v1/tickets/${encodeURIComponent(id)}/reprint`, { method: "POST" });
    say(t("say.reprinting", { number: a.number }));
  } catch (e) {
    a.reprinting = false;
    if (e instanceof ApiError && e.code === "conflict") {
      $("error").textContent = t("err.noPrinter");
      $("error").hidden = false;
    } else {
      fail(e, t("what.reprint", { number: a.number }));
    }
  }
  render();
}

async function signOut() {
  // Leaving the console leaves the desk: nobody is called to an empty chair.
  if (state.sent && state.sent.open) {
    state.mode = "closed";
    await syncDesk();
  }
  store(STORE_LEFT, null, sessionStorage);
  try {
    await api("/api/v1/session", { method: "DELETE" });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      fail(e, t("what.signout"));
      return;
    }
  }
  live.stop();
  location.assign(SIGNIN);
}

/** Asks a yes/no question in a modal dialog. */
function confirmDialog(text, okLabel, danger = false) {
  const dlg = /** @type {HTMLDialogElement} */ ($("confirm"));
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okLabel;
  $("confirm-ok").classList.toggle("btn-danger", danger);
  dlg.returnValue = "";
  dlg.showModal();
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
  });
}

/**
 * Asks for the reason of a call out of order. Resolves with the reason's
 * key, or null when cancelled. Digits 1–9 choose a reason; Enter calls.
 */
function reasonDialog(tk, still) {
  const dlg = /** @type {HTMLDialogElement} */ ($("call-dialog"));
  $("call-title").textContent = t("call.title", { number: tk.number });
  const at = Date.parse(tk.issued_at || "");
  $("call-waiting").textContent = Number.isNaN(at)
    ? lineShort(tk.line)
    : t("call.waiting", { line: lineShort(tk.line), time: timeFmt.format(new Date(at)), d: duration(Math.max(0, serverNow() - at)) });
  $("call-still").hidden = !still;
  $("call-still").textContent = still ? t("call.still", { number: still.number }) : "";
  $("call-msg").hidden = true;
  const box = $("call-reasons");
  box.replaceChildren(
    ...callReasons(state.config).map((r, i) => {
      const label = document.createElement("label");
      label.className = "radio reason";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "reason";
      input.value = r;
      input.dataset.testid = `reason-${r}`;
      const text = document.createElement("span");
      text.textContent = callReasonText(r);
      label.append(input, text);
      if (i < 9) {
        const k = document.createElement("kbd");
        k.textContent = String(i + 1);
        label.append(k);
      }
      return label;
    }),
  );
  dlg.returnValue = "";
  dlg.showModal();
  const first = /** @type {HTMLElement|null} */ (box.querySelector("input"));
  if (first) first.focus();
  return new Promise((resolve) => {
    dlg.addEventListener(
      "close",
      () => {
        const checked = /** @type {HTMLInputElement|null} */ (box.querySelector("input:checked"));
        resolve(dlg.returnValue === "ok" && checked ? checked.value : null);
      },
      { once: true },
    );
  });
}

/** Asks where a ticket goes back to: resolves "place", "end" or "" (cancelled). Digits 1 and 2 choose. */
function putBackDialog(tk) {
  const dlg = /** @type {HTMLDialogElement} */ ($("putback-dialog"));
  $("putback-title").textContent = t("putBack.title", { number: tk.number });
  dlg.returnValue = "";
  dlg.showModal();
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue), { once: true });
  });
}

function wireDialogs() {
  const callDlg = /** @type {HTMLDialogElement} */ ($("call-dialog"));
  $("call-form").addEventListener("submit", (e) => {
    const submitter = /** @type {HTMLButtonElement|null} */ (/** @type {SubmitEvent} */ (e).submitter);
    if (submitter && submitter.value === "cancel") return;
    if (!$("call-reasons").querySelector("input:checked")) {
      e.preventDefault();
      $("call-msg").textContent = t("call.needReason");
      $("call-msg").hidden = false;
      const first = /** @type {HTMLElement|null} */ ($("call-reasons").querySelector("input"));
      if (first) first.focus();
    }
  });
  callDlg.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const target = /** @type {HTMLInputElement} */ (e.target);
    if (e.key === "Enter" && target.type === "radio") {
      // Enter on a reason calls, as on the OK button.
      e.preventDefault();
      /** @type {HTMLFormElement} */ ($("call-form")).requestSubmit($("call-ok"));
      return;
    }
    if (!/^[1-9]$/.test(e.key)) return;
    const input = /** @type {HTMLInputElement|undefined} */ ($("call-reasons").querySelectorAll("input")[Number(e.key) - 1]);
    if (!input) return;
    e.preventDefault();
    input.checked = true;
    input.focus();
    $("call-msg").hidden = true;
  });
  $("call-reasons").addEventListener("change", () => {
    $("call-msg").hidden = true;
  });
  const pbDlg = /** @type {HTMLDialogElement} */ ($("putback-dialog"));
  pbDlg.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const v = { 1: "place", 2: "end" }[e.key];
    if (!v) return;
    e.preventDefault();
    pbDlg.close(v);
  });
}

// ---- live data ----------------------------------------------------------------------

function onMessage(model, msg, prev) {
  if (msg.type === "snapshot") {
    state.overrides.clear();
    // Open again (reactivated while this console was away): no longer a no-show.
    const open = state.noShows.filter((e) => model.tickets[e.id]);
    if (open.length) setNoShows(state.noShows.filter((e) => !model.tickets[e.id]));
    for (const tk of Object.values(model.tickets)) {
      if (tk.print === "failed" && !state.alerts.has(tk.id)) {
        state.alerts.set(tk.id, { id: tk.id, number: tk.number, reason: tk.print_error || "", reprinting: false });
      }
    }
    if (!state.started) firstSync(model);
  } else if (msg.ticket) {
    const id = msg.ticket.id;
    state.overrides.delete(id);
    const ns = msg.type === "ticket.no_show" ? noShowEntry(msg.ticket, msg.at) : null;
    if (ns) setNoShows(addNoShow(state.noShows, ns));
    else if (msg.ticket.status !== "no_show") dropNoShow(id);
  }

  const tk = msg.ticket;
  if (msg.type === "ticket.print_failed" && tk) {
    state.dismissed.delete(tk.id);
    state.alerts.set(tk.id, { id: tk.id, number: tk.number, reason: tk.print_error || "", reprinting: false });
    setTimeout(checkHealth, HEALTH_AFTER_FAIL_MS);
  } else if ((msg.type === "ticket.done" || msg.type === "ticket.no_show" || msg.type === "ticket.expired") && tk) {
    // Served or gone: a missing slip no longer matters.
    state.alerts.delete(tk.id);
  } else if (msg.type === "ticket.printed" && tk) {
    const a = state.alerts.get(tk.id);
    if (a) {
      state.alerts.delete(tk.id);
      if (a.reprinting) say(t("say.reprinted", { number: tk.number }));
      checkHealth();
    }
  }

  if (msg.type === "line.updated" || (msg.type === "snapshot" && prev.synced)) admin.linesChanged();

  const e = servedEntry(msg, prev, state.desk);
  if (e) {
    if (state.served.day && e.day && e.day !== state.served.day) state.served.since = Date.now();
    state.served = { since: state.served.since, day: e.day || state.served.day, items: addServed(state.served.items, e) };
    store(STORE_SERVED, JSON.stringify(state.served));
  }
  render();
}

/**
 * Reports the desk for the first time. When the snapshot shows this desk
 * already open by this person (a reload), its pause is kept.
 */
function firstSync(model) {
  if (state.started || !state.me) return;
  state.started = true;
  const d = model && model.desks && model.desks[state.desk];
  if (d && d.user === state.me.name) {
    state.sent = { label: d.label, lines: [...d.lines], open: true, paused: d.paused };
    if (state.mode !== "closed") state.mode = d.paused ? "paused" : "open";
  }
  syncDesk();
}

let lastSessionCheck = 0;

/** After the stream drops, asks whether the session still holds (a 401 leads to sign-in). */
function onStreamState(s) {
  if (s.status === "reconnecting" && Date.now() - lastSessionCheck > 4000) {
    lastSessionCheck = Date.now();
    api("/api/v1/session").catch(() => {});
  }
  render();
}

async function checkHealth() {
  try {
    const h = await api("/healthz");
    state.printers = printerStates(h && (h.printer ?? h.printers));
    state.healthChecked = true;
  } catch {
    // the store is down or the network: the offline banner says enough
  }
  render();
}

// ---- wiring ---------------------------------------------------------------------------

const KEYS = {
  n: ["next", callNext],
  r: ["recall", recall],
  d: ["done", done],
  x: ["no-show", noShow],
  t: ["transfer", transfer],
  z: ["put-back", putBack],
  a: ["call-pick", openCallOut],
  w: ["reactivate-first", reactivateFirst],
  p: ["pause", togglePause],
};

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || state.view !== "work") return;
  if (document.querySelector("dialog[open]")) return;
  const el = /** @type {HTMLElement} */ (e.target);
  if (el && (el.isContentEditable || el.tagName === "INPUT" && el.type !== "checkbox" && el.type !== "radio" || el.tagName === "TEXTAREA" || el.tagName === "SELECT")) return;
  const k = KEYS[e.key.toLowerCase()];
  if (!k) return;
  const button = /** @type {HTMLButtonElement|null} */ ($(k[0]));
  if (!button || button.disabled || button.hidden) return;
  e.preventDefault();
  k[1]();
}

function chooseLang(l) {
  setLang(l);
  store(STORE_LANG, lang());
  timeFmt = new Intl.DateTimeFormat(lang() === "en" ? "en-GB" : "de-DE", { hour: "2-digit", minute: "2-digit" });
  document.documentElement.lang = lang();
  document.title = t("page.title");
  applyStatic(document);
  // The last message was in the other language: it goes rather than stay foreign.
  $("status").textContent = "";
  for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang()));
  renderMe();
  render();
  admin.render();
}

function renderMe() {
  if (!state.me) return;
  $("account").hidden = false;
  $("user-name").textContent = state.me.name;
  $("user-role").textContent = `(${t(`role.${state.me.role}`)})`;
}

function showView() {
  const wantAdmin = location.hash === "#verwaltung" && state.me && state.me.role === "admin";
  state.view = wantAdmin ? "admin" : "work";
  $("view-work").hidden = wantAdmin;
  $("view-admin").hidden = !wantAdmin;
  if (wantAdmin) {
    $("nav-work").removeAttribute("aria-current");
    $("nav-admin").setAttribute("aria-current", "page");
    admin.show();
  } else {
    $("nav-admin").removeAttribute("aria-current");
    $("nav-work").setAttribute("aria-current", "page");
    admin.hide();
  }
}

const admin = initAdmin({ confirm: confirmDialog, me: () => state.me });

async function main() {
  configureAuth({ unauthorized: () => location.assign(SIGNIN) });
  chooseLang(load(STORE_LANG, "de"));
  for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => chooseLang(b.dataset.lang));

  const desk = /** @type {HTMLInputElement} */ ($("desk"));
  desk.value = state.desk;
  if (load(STORE_LEFT, "", sessionStorage) === state.desk && state.desk) state.mode = "closed";
  desk.addEventListener("input", render);
  desk.addEventListener("change", () => syncDesk());
  // Enter in the desk field reports the desk and moves on to Next. Focus
  // moves on keyup: moved on keydown, the same key press would go on to
  // press Next itself.
  desk.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      syncDesk();
    }
  });
  desk.addEventListener("keyup", (e) => {
    if (e.key === "Enter" && !$("next").disabled) $("next").focus();
  });
  $("next").addEventListener("click", callNext);
  $("recall").addEventListener("click", recall);
  $("done").addEventListener("click", done);
  $("no-show").addEventListener("click", noShow);
  $("transfer").addEventListener("click", transfer);
  $("put-back").addEventListener("click", putBack);
  $("call-pick").addEventListener("click", openCallOut);
  wireDialogs();
  $("pause").addEventListener("click", togglePause);
  $("leave").addEventListener("click", leaveDesk);
  $("reopen").addEventListener("click", reopenDesk);
  $("signout").addEventListener("click", signOut);
  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", showView);

  live.subscribe(onMessage);
  live.onState(onStreamState);
  render();

  // Who is signed in. A 401 goes to the sign-in page (configureAuth);
  // while the server is not reachable, ask again.
  for (;;) {
    try {
      const who = await api("/api/v1/session");
      if (!who || !who.user) {
        location.assign(SIGNIN);
        return;
      }
      state.me = who.user;
      break;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      fail(e, t("what.session"));
      await new Promise((r) => setTimeout(r, SESSION_RETRY_MS));
    }
  }
  $("error").hidden = true;
  renderMe();
  $("nav").hidden = !(state.me && state.me.role === "admin");
  showView();

  live.start();
  setInterval(render, TICK_MS);
  checkHealth();
  setInterval(checkHealth, HEALTH_EVERY_MS);
  setTimeout(() => firstSync(live.model), FIRST_SYNC_WAIT_MS);

  api("/api/v1/config")
    .then((c) => {
      state.config = c;
      const dl = $("desk-suggestions");
      dl.replaceChildren(
        ...(c.desks || []).map((d) => {
          const o = document.createElement("option");
          o.value = d.label;
          return o;
        }),
      );
      render();
    })
    .catch(() => {});

  render();
  if (!state.desk) desk.focus();
}

main();
