// The phone page's rules, without the DOM: which screen a status shows,
// when to alert the visitor, how long to wait before trying again.
// Unit-tested in state.test.mjs.

/** First and longest wait between tries while the server is unreachable. */
export const RETRY_MIN_MS = 1000;
export const RETRY_MAX_MS = 30000;

/**
 * How long a status request may take. The server answers a long poll
 * within 25 s even without a change; anything much longer is a dead
 * connection (a phone that slept, a proxy that dropped it).
 */
export const POLL_TIMEOUT_MS = 40000;

/** Quick answers in a row are spaced out by at least this much. */
export const MIN_POLL_GAP_MS = 500;

/**
 * The token of the page's URL: /t/{token}.
 * @param {string} pathname
 */
export function tokenFromPath(pathname) {
  const parts = String(pathname).split("/").filter(Boolean);
  return parts[0] === "t" && parts.length === 2 && parts[1] !== "static" ? decodeURIComponent(parts[1]) : "";
}

/**
 * The status request: the first one answers at once, the next ones wait
 * for a change after seq (a long poll).
 * @param {string} token
 * @param {number} seq 0 before the first answer
 */
export function statusPath(token, seq) {
  const base = `/t/status/${encodeURIComponent(token)}`;
  return seq > 0 ? `${base}?after=${seq}` : base;
}

/**
 * The delay before try number `failures` (1, 2, …) after the server could
 * not be reached: 1 s, 2 s, 4 s … up to 30 s, spread by ±20 % so a room
 * full of phones does not knock at the same moment.
 * @param {number} failures
 * @param {() => number} random
 */
export function retryDelay(failures, random = Math.random) {
  const n = Math.max(1, Math.floor(failures));
  const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(n - 1, 10));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * What an HTTP answer means for the page.
 * @param {number} status
 * @returns {"ok"|"invalid"|"retry"}
 */
export function answerKind(status) {
  if (status >= 200 && status < 300) return "ok";
  if (status === 404 || status === 410) return "invalid";
  return "retry"; // a proxy's 502, a 429, a restart: try again, say so
}

/**
 * The screen for a ticket status.
 * @param {{status: string}} st
 * @returns {"waiting"|"called"|"finished"}
 */
export function screenOf(st) {
  switch (st.status) {
    case "waiting":
      return "waiting";
    case "called":
      return "called";
    default:
      return "finished"; // done, no_show, expired, and anything newer
  }
}

/**
 * The reason line under "This number is finished".
 * @param {{status: string}} st
 * @returns {"thanks"|"missed"|""}
 */
export function finishedReason(st) {
  if (st.status === "done") return "thanks";
  if (st.status === "no_show") return "missed";
  return "";
}

/**
 * What identifies one call of the ticket: a new key means a new call or a
 * recall, which the page announces with vibration and a tone. Null when
 * the ticket is not called.
 * @param {{status: string, number: string, desk?: string, recalls?: number, called_at?: string}} st
 */
export function callKey(st) {
  if (st.status !== "called") return null;
  return `${st.number}|${st.desk || ""}|${st.called_at || ""}|${st.recalls || 0}`;
}
