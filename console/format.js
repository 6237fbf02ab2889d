// Pure helpers of the console: durations, "last seen", printer reasons,
// device states, the served-today log. No DOM; unit tested with node --test.

import { t } from "./i18n.js";

/** Desk labels are free text of 1 to 40 characters (API rule). */
export const DESK_MAX = 40;
/** The shortest password the server accepts. */
export const PASSWORD_MIN = 10;
/** Account names as the server accepts them (it lower-cases first). */
export const ACCOUNT_NAME = /^[a-z0-9][a-z0-9._-]{1,39}$/;

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/**
 * A waiting time in words: "unter 1 Min.", "23 Min.", "1 Std. 5 Min.".
 * @param {number} ms
 */
export function duration(ms) {
  if (!(ms >= MIN)) return t("dur.lessMin");
  const m = Math.floor(ms / MIN);
  if (m < 60) return t("dur.min", { m });
  return t("dur.hourMin", { h: Math.floor(m / 60), m: m % 60 });
}

/**
 * How long ago an instant was: "gerade eben", "vor 3 Min.", "vor 2 Std.".
 * @param {string|undefined|null} iso
 * @param {number} now ms since the epoch
 */
export function ago(iso, now) {
  const at = Date.parse(iso || "");
  if (Number.isNaN(at)) return t("ago.never");
  const d = Math.max(0, now - at);
  if (d < MIN) return t("ago.now");
  if (d < HOUR) return t("ago.min", { m: Math.floor(d / MIN) });
  if (d < DAY) return t("ago.hour", { h: Math.floor(d / HOUR) });
  return t("ago.day", { d: Math.floor(d / DAY) });
}

/**
 * A printer's reason keyword in words ("media-empty" → "Papier leer").
 * Severity suffixes (-error, -warning, -report) are ignored.
 * @param {string} reason
 */
export function reasonText(reason) {
  const r = String(reason || "unknown").replace(/-(error|warning|report)$/, "");
  const key = `reason.${r}`;
  const s = t(key);
  return s === key ? t("reason.other") : s;
}

/**
 * Several reasons in words, without repeats ("Klappe offen, Papier leer").
 * @param {string[]} reasons
 */
export function reasonsText(reasons) {
  return [...new Set((reasons || []).map(reasonText))].join(", ");
}

/**
 * The oldest waiting ticket's wait in ms, or null when nobody waits.
 * @param {Array<{issued_at?: string}>} waiting
 * @param {number} now ms since the epoch (server time)
 */
export function longestWait(waiting, now) {
  let oldest = Infinity;
  for (const w of waiting) {
    const at = Date.parse(w.issued_at || "");
    if (!Number.isNaN(at) && at < oldest) oldest = at;
  }
  return oldest === Infinity ? null : Math.max(0, now - oldest);
}

/**
 * A device's state: "revoked", "paired" or "unpaired".
 * @param {{revoked_at?: string|null, paired_at?: string|null, active?: boolean}} d
 */
export function deviceState(d) {
  if (d.revoked_at) return "revoked";
  if (d.active || d.paired_at) return "paired";
  return "unpaired";
}

/**
 * What stops this desk from calling, as an i18n key (and its values), or
 * null when nothing does.
 * @param {string} desk the label, trimmed
 * @param {number} lineCount lines chosen
 * @param {"open"|"paused"|"closed"} mode
 * @returns {{key: string, vars?: Record<string, number>}|null}
 */
export function deskProblem(desk, lineCount, mode = "open") {
  if (!desk) return { key: "hint.noDesk" };
  if ([...desk].length > DESK_MAX) return { key: "hint.deskTooLong", vars: { max: DESK_MAX } };
  if (lineCount === 0) return { key: "hint.noLines" };
  if (mode === "paused") return { key: "hint.paused" };
  if (mode === "closed") return { key: "hint.closed" };
  return null;
}

/**
 * @typedef {{id: string, number: string, line: string, outcome: "done"|"no_show"|"transferred",
 *   to?: string, at: string, desk: string, day: string}} Served
 */

/**
 * The served-today entry an event makes for desk, or null: a ticket done or
 * a no-show at this desk, or one this desk transferred (the event no longer
 * names the desk, so the model before the event tells).
 * @param {any} msg the event
 * @param {{tickets: Record<string, any>}} prev the model before it
 * @param {string} desk
 * @returns {Served|null}
 */
export function servedEntry(msg, prev, desk) {
  const tk = msg && msg.ticket;
  if (!tk || !desk) return null;
  const at = msg.at || tk.finished_at || "";
  switch (msg.type) {
    case "ticket.done":
    case "ticket.no_show":
      if (tk.desk !== desk) return null;
      return {
        id: tk.id,
        number: tk.number,
        line: tk.line,
        outcome: msg.type === "ticket.done" ? "done" : "no_show",
        at,
        desk,
        day: tk.day || "",
      };
    case "ticket.transferred": {
      const before = prev && prev.tickets && prev.tickets[tk.id];
      if (!before || before.status !== "called" || before.desk !== desk) return null;
      return { id: tk.id, number: tk.number, line: before.line, outcome: "transferred", to: tk.line, at, desk, day: tk.day || "" };
    }
    default:
      return null;
  }
}

/**
 * The served list with e added: one entry per ticket (its latest outcome),
 * newest first, only of e's day.
 * @param {Served[]} list
 * @param {Served} e
 * @param {number} [max]
 */
export function addServed(list, e, max = 200) {
  const rest = list.filter((x) => x.id !== e.id && (!e.day || !x.day || x.day === e.day));
  return [e, ...rest].slice(0, max);
}

/**
 * @typedef {{name: string, state: string, reasons: string[], detail: string}} PrinterState
 */

/**
 * The printers /healthz reports, as a list: one printer ({"state",…}), a
 * list of them, or an object of them by name (several kiosks, each with its
 * own printer). Anything else is no printer.
 * @param {any} p the "printer" (or "printers") field of /healthz
 * @returns {PrinterState[]}
 */
export function printerStates(p) {
  const one = (x, name = "") =>
    x && typeof x === "object" && typeof x.state === "string"
      ? [{ name: String(x.name || x.kiosk || name || ""), state: x.state, reasons: Array.isArray(x.reasons) ? x.reasons : [], detail: x.detail || "" }]
      : [];
  if (!p || typeof p !== "object") return [];
  if (Array.isArray(p)) return p.flatMap((x) => one(x));
  if (typeof p.state === "string") return one(p);
  return Object.entries(p).flatMap(([name, x]) => one(x, name));
}

// ---- calling out of order, putting back, no-shows ---------------------------------

/** The server's default reasons for calling out of order (config "call_reasons"). */
export const DEFAULT_CALL_REASONS = ["appointment", "interpreter", "urgent", "returning", "accessibility"];

/** The server's default for "no_show_grace_minutes". */
export const DEFAULT_GRACE_MINUTES = 30;

/**
 * A reason for calling out of order in words ("interpreter" → "Dolmetschung");
 * a key the console has no words for is shown as it is.
 * @param {string} key
 */
export function callReasonText(key) {
  const k = `callReason.${key}`;
  const s = t(k);
  return s === k ? String(key) : s;
}

/**
 * The reasons a counsellor may choose from: the config's list, or the
 * defaults before the config has arrived. Only short keys, no repeats.
 * @param {any} config GET /api/v1/config
 * @returns {string[]}
 */
export function callReasons(config) {
  const list = config && Array.isArray(config.call_reasons) ? config.call_reasons : DEFAULT_CALL_REASONS;
  return [...new Set(list.filter((x) => typeof x === "string" && x !== ""))];
}

/**
 * How many seconds the server asks to wait before the next recall, read
 * from its 409 message ("… recall again in 12s", "in 1m5s"), or null.
 * @param {string} message
 */
export function recallWaitSeconds(message) {
  const m = /again in (?:(\d+)m)?(\d+(?:\.\d+)?)s\b/.exec(String(message || ""));
  if (!m) return null;
  return Math.max(1, Math.ceil(Number(m[1] || 0) * 60 + Number(m[2])));
}

/**
 * @typedef {{id: string, number: string, line: string, desk: string, at: string, day: string}} NoShow
 *   a no-show this console saw, to be reactivated while the grace time lasts
 */

/**
 * The no-show entry a ticket.no_show event (or the answer to our own
 * no-show request) makes, or null.
 * @param {any} tk the ticket
 * @param {string} [at] when, if the ticket does not say
 * @returns {NoShow|null}
 */
export function noShowEntry(tk, at = "") {
  if (!tk || typeof tk.id !== "string" || tk.status !== "no_show") return null;
  return { id: tk.id, number: tk.number, line: tk.line, desk: tk.desk || "", at: tk.finished_at || at || "", day: tk.day || "" };
}

/**
 * The list with e added (newest first, one entry per ticket, only of e's day).
 * @param {NoShow[]} list
 * @param {NoShow} e
 * @param {number} [max]
 */
export function addNoShow(list, e, max = 100) {
  const rest = list.filter((x) => x.id !== e.id && (!e.day || !x.day || x.day === e.day));
  return [e, ...rest].sort((a, b) => Date.parse(b.at || 0) - Date.parse(a.at || 0)).slice(0, max);
}

/**
 * How long a no-show can still be reactivated, in ms: Infinity without a
 * limit (grace 0), 0 or less when the time is up.
 * @param {NoShow} e
 * @param {number} graceMinutes
 * @param {number} now ms since the epoch (server time)
 */
export function graceLeft(e, graceMinutes, now) {
  if (!(graceMinutes > 0)) return Infinity;
  const at = Date.parse(e.at || "");
  if (Number.isNaN(at)) return 0;
  return at + graceMinutes * 60 * 1000 - now;
}

/**
 * The time left in words, rounded down to whole minutes as the server
 * counts ("noch 27 Min.", "noch unter 1 Min."), or "" without a limit.
 * @param {number} ms
 */
export function graceText(ms) {
  if (ms === Infinity) return "";
  if (ms < 60 * 1000) return t("noShows.leftLess");
  return t("noShows.left", { m: Math.floor(ms / (60 * 1000)) });
}

/**
 * What a line of GET /api/v1/lines is today, for the admin's list:
 * "closedByHand", "openedByHand", "cutOff", "closedByHours" or "byHours",
 * and its mode as PUT /api/v1/lines/{line}/mode takes it.
 * @param {{open?: boolean, cut_off?: boolean, mode?: string}} l
 * @returns {{state: string, mode: "open"|"closed"|"auto", open: boolean}}
 */
export function lineModeState(l) {
  const mode = l.mode === "open" || l.mode === "closed" ? l.mode : "auto";
  let state = "byHours";
  if (mode === "closed") state = "closedByHand";
  else if (mode === "open") state = "openedByHand";
  else if (l.cut_off) state = "cutOff";
  else if (l.open === false) state = "closedByHours";
  return { state, mode, open: l.open !== false };
}
