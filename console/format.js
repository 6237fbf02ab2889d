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
