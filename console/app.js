// The counsellor's console: call the next number, then recall, finish,
// mark a no-show or hand over to the other line. German, keyboard first.

import { api, ApiError } from "/common/api.js";
import { connectQueue, isStale, calledAt, waitingIn } from "/common/events.js";
import { linesOrDefault } from "/common/lines.js";

const STORE_DESK = "wartemarke.console.desk";
const STORE_LINES = "wartemarke.console.lines";
/** Desk labels are free text of 1 to 40 characters (API rule). */
const DESK_MAX = 40;
/** Waiting numbers listed per line in the side panel. */
const QUEUE_SHOWN = 12;

const $ = (id) => document.getElementById(id);
const timeFmt = new Intl.DateTimeFormat("de-DE", { hour: "2-digit", minute: "2-digit" });

const live = connectQueue();

const state = {
  desk: loadDesk(),
  /** @type {Set<string>} */
  lines: loadLines(),
  busy: false,
  /**
   * Tickets as our own requests returned them, by id. They win over the
   * model until the event stream reports that ticket again, so the screen
   * never jumps back while an event is on its way (or the stream is down).
   */
  overrides: new Map(),
};

// ---- settings ------------------------------------------------------------------

function loadDesk() {
  try {
    return localStorage.getItem(STORE_DESK) || "";
  } catch {
    return "";
  }
}

function loadLines() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE_LINES) || "null");
    if (Array.isArray(v)) return new Set(v.filter((x) => typeof x === "string"));
  } catch {
    // fall through to the default
  }
  return new Set(["mbe", "jmd"]);
}

function save() {
  try {
    localStorage.setItem(STORE_DESK, state.desk);
    localStorage.setItem(STORE_LINES, JSON.stringify([...state.lines]));
  } catch {
    // private mode or full storage: the settings just are not remembered
  }
}

function deskLabel() {
  return state.desk.trim();
}

function deskProblem() {
  const d = deskLabel();
  if (!d) return "Bitte geben Sie zuerst die Bezeichnung dieses Platzes ein.";
  if ([...d].length > DESK_MAX) return `Die Bezeichnung darf höchstens ${DESK_MAX} Zeichen haben.`;
  if (state.lines.size === 0) return "Bitte wählen Sie mindestens eine Beratung (MBE oder JMD).";
  return "";
}

// ---- the model, with our own answers on top -------------------------------------

function tickets() {
  const all = { ...live.model.tickets };
  for (const [id, t] of state.overrides) {
    if (t.status === "waiting" || t.status === "called") all[id] = t;
    else delete all[id];
  }
  return all;
}

function currentTicket() {
  const d = deskLabel();
  return d ? calledAt(tickets(), d)[0] || null : null;
}

function lineInfo(id) {
  return linesOrDefault(live.model.lines).find((l) => l.id === id);
}

function lineShort(id) {
  const l = lineInfo(id);
  return l ? l.short : id.toUpperCase();
}

function transferTarget(t) {
  const other = linesOrDefault(live.model.lines).find((l) => l.id !== t.line);
  return other || null;
}

// ---- rendering -----------------------------------------------------------------

function render() {
  const model = live.model;
  const lines = linesOrDefault(model.lines);
  const stale = isStale(live.state, Date.now());

  // Connection
  const conn = $("conn");
  if (live.state.status === "open") {
    conn.textContent = "Live verbunden";
    conn.className = "conn is-ok";
  } else {
    conn.textContent = `Verbindung wird hergestellt … (getrennt seit ${timeFmt.format(new Date(live.state.since))})`;
    conn.className = "conn is-down";
  }
  $("offline").hidden = !stale;

  // Line checkboxes
  const boxes = $("line-boxes");
  const ids = lines.map((l) => l.id).join(",");
  if (boxes.dataset.ids !== ids) {
    boxes.dataset.ids = ids;
    boxes.replaceChildren();
    for (const l of lines) {
      const label = document.createElement("label");
      label.className = `line-box line-${l.id}`;
      const input = document.createElement("input");
      input.type = "checkbox";
      input.value = l.id;
      input.dataset.testid = `line-${l.id}`;
      input.checked = state.lines.has(l.id);
      input.addEventListener("change", () => {
        if (input.checked) state.lines.add(l.id);
        else state.lines.delete(l.id);
        save();
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
  for (const c of boxes.querySelectorAll(".line-box-count")) {
    const n = model.waiting[c.dataset.line];
    c.textContent = model.synced && !stale ? `${n ?? 0} wartend` : "Anzahl unbekannt";
  }

  // Queue panel
  const q = $("queue");
  q.replaceChildren();
  for (const l of lines) {
    const box = document.createElement("div");
    box.className = `queue-line line-${l.id}`;
    const h = document.createElement("h3");
    const waiting = waitingIn({ ...model, tickets: tickets() }, l.id);
    h.textContent = `${l.short}: `;
    const n = document.createElement("span");
    n.className = "num";
    n.dataset.testid = `waiting-${l.id}`;
    n.textContent = model.synced ? String(waiting.length) : "–";
    h.append(n, document.createTextNode(" wartend"));
    const ol = document.createElement("ol");
    ol.className = "queue-list";
    for (const t of waiting.slice(0, QUEUE_SHOWN)) {
      const li = document.createElement("li");
      li.className = "num";
      li.textContent = t.number;
      ol.append(li);
    }
    if (waiting.length > QUEUE_SHOWN) {
      const li = document.createElement("li");
      li.className = "more";
      li.textContent = `+ ${waiting.length - QUEUE_SHOWN}`;
      ol.append(li);
    }
    box.append(h, ol);
    q.append(box);
  }

  // Work area
  const problem = deskProblem();
  $("next").disabled = state.busy || !!problem;
  $("next-hint").hidden = !problem;
  $("next-hint").textContent = problem;

  const t = currentTicket();
  const cur = $("current");
  cur.className = `current${t ? ` line-${t.line}` : " is-empty"}`;
  $("current-number").textContent = t ? t.number : "–";
  if (t) {
    const parts = [lineShort(t.line)];
    if (t.called_at) parts.push(`aufgerufen ${timeFmt.format(new Date(t.called_at))}`);
    if (t.recalls) parts.push(`${t.recalls}× erneut aufgerufen`);
    if (t.issued_line && t.issued_line !== t.line) parts.push(`übergeben von ${lineShort(t.issued_line)}`);
    $("current-meta").textContent = parts.join(" · ");
  } else {
    $("current-meta").textContent = "Keine Nummer aufgerufen.";
  }
  for (const id of ["recall", "done", "no-show", "transfer"]) $(id).disabled = state.busy || !t;
  const target = t && transferTarget(t);
  $("transfer-label").textContent = target ? `An ${target.short} übergeben` : "Übergeben";
  if (!target) $("transfer").disabled = true;
}

function say(text) {
  $("status").textContent = text;
  $("error").hidden = true;
}

function fail(err, what) {
  let text;
  if (err instanceof ApiError) {
    switch (err.code) {
      case "network":
      case "unavailable":
        text = "Keine Verbindung zum Server. Bitte versuchen Sie es gleich noch einmal.";
        break;
      case "conflict":
        text = `${what} ging nicht: Die Nummer wurde inzwischen geändert, vielleicht an einem anderen Platz.`;
        break;
      case "unauthorized":
        text = "Dieser Platz ist nicht angemeldet.";
        break;
      case "closed":
        text = "Die Beratung ist geschlossen.";
        break;
      default:
        text = `${what} ging nicht (${err.message}).`;
    }
  } else {
    text = `${what} ging nicht.`;
  }
  $("status").textContent = "";
  const e = $("error");
  e.textContent = text;
  e.hidden = false;
}

// ---- actions -------------------------------------------------------------------

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

function remember(ticket) {
  if (ticket && ticket.id) state.overrides.set(ticket.id, ticket);
}

async function callNext() {
  if (deskProblem()) return;
  const still = currentTicket();
  if (still) {
    const ok = await confirmDialog(`${still.number} ist noch aufgerufen. Als erledigt markieren und nächste Nummer aufrufen?`);
    if (!ok) return;
  }
  await run(async () => {
    if (still) {
      try {
        remember(await api(`/api/v1/tickets/${encodeURIComponent(still.id)}/done`, { method: "POST" }));
      } catch (e) {
        fail(e, `${still.number} als erledigt markieren`);
        return;
      }
    }
    const lines = [...state.lines];
    try {
      const t = await api(`/api/v1/desks/${encodeURIComponent(deskLabel())}/next`, {
        method: "POST",
        body: { lines },
      });
      if (!t) {
        say(`Niemand wartet in ${lines.map(lineShort).join(" oder ")}.`);
        return;
      }
      remember(t);
      say(`${t.number} aufgerufen zu ${t.desk || deskLabel()}.`);
    } catch (e) {
      fail(e, "Aufrufen");
    }
  });
}

/**
 * Sends one action on the ticket called here.
 * @param {string} path the action's path segment
 * @param {(n: string) => string} okText what happened, for the status line
 * @param {(n: string) => string} whatText what was tried, for an error
 */
function ticketAction(path, okText, whatText, body) {
  const t = currentTicket();
  if (!t) return;
  run(async () => {
    try {
      const updated = await api(`/api/v1/tickets/${encodeURIComponent(t.id)}/${path}`, { method: "POST", body });
      remember(updated);
      say(okText(t.number));
    } catch (e) {
      fail(e, whatText(t.number));
    }
  });
}

const recall = () =>
  ticketAction("recall", (n) => `${n} erneut aufgerufen.`, (n) => `Erneut aufrufen von ${n}`);
const done = () => ticketAction("done", (n) => `${n} erledigt.`, (n) => `${n} als erledigt markieren`);
const noShow = () =>
  ticketAction("no-show", (n) => `${n} als nicht erschienen markiert.`, (n) => `${n} als nicht erschienen markieren`);
function transfer() {
  const t = currentTicket();
  const target = t && transferTarget(t);
  if (!target) return;
  ticketAction(
    "transfer",
    (n) => `${n} an ${target.short} übergeben; die Nummer behält ihren Platz.`,
    (n) => `Übergeben von ${n} an ${target.short}`,
    { line: target.id },
  );
}

/** Asks a yes/no question in a modal dialog. */
function confirmDialog(text) {
  const dlg = /** @type {HTMLDialogElement} */ ($("confirm"));
  $("confirm-text").textContent = text;
  dlg.returnValue = "";
  dlg.showModal();
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
  });
}

// ---- wiring --------------------------------------------------------------------

const KEYS = { n: callNext, r: recall, d: done, x: noShow, t: transfer };

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
  if (/** @type {HTMLDialogElement} */ ($("confirm")).open) return;
  const el = /** @type {HTMLElement} */ (e.target);
  if (el && (el.isContentEditable || (el.tagName === "INPUT" && el.type === "text") || el.tagName === "TEXTAREA")) return;
  const fn = KEYS[e.key.toLowerCase()];
  if (!fn) return;
  const button = { n: "next", r: "recall", d: "done", x: "no-show", t: "transfer" }[e.key.toLowerCase()];
  if ($(button).disabled) return;
  e.preventDefault();
  fn();
}

function main() {
  const desk = /** @type {HTMLInputElement} */ ($("desk"));
  desk.value = state.desk;
  desk.addEventListener("input", () => {
    state.desk = desk.value;
    save();
    render();
  });
  // Enter in the desk field moves on to work, not to submit anything.
  desk.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      $("next").focus();
    }
  });
  $("next").addEventListener("click", callNext);
  $("recall").addEventListener("click", recall);
  $("done").addEventListener("click", done);
  $("no-show").addEventListener("click", noShow);
  $("transfer").addEventListener("click", transfer);
  document.addEventListener("keydown", onKey);

  live.subscribe((model, msg) => {
    if (msg.type === "snapshot") state.overrides.clear();
    else if (msg.ticket) state.overrides.delete(msg.ticket.id);
    render();
  });
  live.onState(render);
  live.start();
  setInterval(render, 2000); // the offline banner appears by time, not by event
  render();
  if (!state.desk) desk.focus();
}

main();
