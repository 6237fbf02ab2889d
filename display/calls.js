// Which calls the display shows large, and which in the list below.

import { FRESH_MS } from "./announce.js";

/** At most this many calls are shown large at once per line. */
export const MAX_CURRENT = 2;
/** Earlier calls listed under the current ones. */
export const MAX_RECENT = 5;

/**
 * Splits a line's recent calls (newest first) into those shown large and the
 * rest. Calls under FRESH_MS old are current and highlighted, at most
 * MAX_CURRENT; with none fresh, the latest call stays current, unhighlighted.
 * @param {Array<{number: string, desk: string, at: string}>} calls
 * @param {number} nowMs the server's time
 */
export function splitCalls(calls, nowMs) {
  const fresh = calls.filter((c) => nowMs - Date.parse(c.at) <= FRESH_MS).slice(0, MAX_CURRENT);
  const current = fresh.length ? fresh : calls.slice(0, 1);
  const rest = calls.filter((c) => !current.includes(c)).slice(0, MAX_RECENT);
  return { current, fresh: new Set(fresh), rest };
}
