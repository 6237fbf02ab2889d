// What the display says aloud, and in which order.
//
// Pure functions decide: which events are announced (calls and recalls that
// are still fresh; never old calls replayed on a reconnect), how a call is
// spoken, and the queue that plays calls one after another. The Announcer
// runs the queue with injected gong() and speak() functions, so tests need
// no audio and no speech voices.

import { CALL_PHRASES, germanDesk, phraseLang } from "./phrases.js";

/** A call counts as new for this long: it is highlighted and, when it arrives in time, announced. */
export const FRESH_MS = 60000;
/**
 * A queued announcement older than this is dropped unplayed: the queue was
 * long for minutes, and a stale call misleads more than it helps.
 */
export const QUEUE_MAX_AGE_MS = 120000;
/** Silence between two announcements, so they do not run together. */
export const GAP_MS = 800;
/** How many announced calls are remembered, so none is said twice. */
const SEEN_MAX = 500;

const CALL_TYPES = new Set(["ticket.called", "ticket.recalled"]);

/**
 * @typedef {{lang: string, text: string}} Part
 * @typedef {{key: string, number: string, desk: string, line: string, lang: string,
 *   at: number, recall: boolean, parts: Part[], test?: boolean}} Announcement
 * @typedef {{lang?: string, desks?: Array<{label: string, spoken?: string}>}} Speaking
 *   lang: the display's language; desks: the config's desks with spoken forms.
 */

/**
 * The number as it is spoken: "M-012" → "M 12" (letters, then the number
 * without leading zeros). Anything else is returned unchanged.
 * @param {string} number
 */
export function spokenNumber(number) {
  const m = /^\s*([A-Za-z]+)\s*-?\s*0*(\d+)\s*$/.exec(number || "");
  return m ? `${m[1].toUpperCase()} ${m[2]}` : number;
}

/**
 * The sentence for a call in one language, or "" when there is no phrase
 * for it: "Nummer M 12, bitte zu Raum 2.14."
 * @param {{number: string, desk: string}} call
 * @param {string} lang
 * @param {Speaking} [speaking]
 */
export function callText(call, lang = "de", speaking = {}) {
  const pl = phraseLang(lang);
  if (!pl) return "";
  const label = (call.desk || "").trim();
  const n = spokenNumber(call.number);
  if (pl === "de") {
    const d = (speaking.desks || []).find((x) => x.label === label);
    return CALL_PHRASES.de(n, label ? germanDesk(label, d && d.spoken) : "");
  }
  return CALL_PHRASES[pl](n, label);
}

/**
 * The German sentence for a call: "Nummer M 12, bitte zu Raum 2.14."
 * @param {{number: string, desk: string}} call
 */
export function announcementText(call) {
  return callText(call, "de");
}

/**
 * What is said for a call: in the display's language, then in the
 * ticket's language when that differs and has a phrase.
 * @param {{number: string, desk: string, lang?: string}} call
 * @param {Speaking} [speaking]
 * @returns {Part[]}
 */
export function partsFor(call, speaking = {}) {
  const main = phraseLang(speaking.lang) || "de";
  const parts = [{ lang: main, text: callText(call, main, speaking) }];
  const other = phraseLang(call.lang);
  if (other && other !== main) parts.push({ lang: other, text: callText(call, other, speaking) });
  return parts;
}

/** The key that names one call or recall: its number and its moment. */
export function callKey(number, at) {
  return `${number}@${at}`;
}

/**
 * The announcement for one event-stream message, or null when it is not to
 * be announced: not a call or recall, or older than maxAgeMs by the server's
 * clock (events replayed after a reconnect).
 * @param {any} msg
 * @param {number} serverNowMs
 * @param {Speaking} [speaking]
 * @returns {Announcement|null}
 */
export function announcementFor(msg, serverNowMs, speaking = {}, maxAgeMs = FRESH_MS) {
  if (!msg || !CALL_TYPES.has(msg.type) || !msg.ticket) return null;
  const at = Date.parse(msg.at);
  if (Number.isNaN(at) || serverNowMs - at > maxAgeMs) return null;
  const t = msg.ticket;
  const call = { number: t.number, desk: t.desk || "", lang: t.lang || "" };
  return {
    key: callKey(t.number, at),
    number: t.number,
    desk: call.desk,
    line: t.line,
    lang: call.lang,
    at,
    recall: msg.type === "ticket.recalled",
    parts: partsFor(call, speaking),
  };
}

/**
 * The announcements a snapshot brings that replaces a model the display
 * already had (the server could not replay what was missed): the calls in
 * it that are fresh and were not in the old model. A first snapshot
 * announces nothing: a display switched on says no old calls.
 * @param {{synced: boolean, recent: Record<string, any[]>, tickets: Record<string, any>}} prev
 * @param {{recent: Record<string, any[]>, tickets: Record<string, any>}} next
 * @param {number} serverNowMs
 * @param {Speaking} [speaking]
 * @returns {Announcement[]}
 */
export function snapshotAnnouncements(prev, next, serverNowMs, speaking = {}) {
  if (!prev || !prev.synced) return [];
  const known = new Set();
  for (const calls of Object.values(prev.recent || {})) {
    for (const c of calls) known.add(callKey(c.number, Date.parse(c.at)));
  }
  const out = [];
  for (const calls of Object.values(next.recent || {})) {
    for (const c of calls) {
      const at = Date.parse(c.at);
      const key = callKey(c.number, at);
      if (Number.isNaN(at) || known.has(key) || serverNowMs - at > FRESH_MS) continue;
      const t = Object.values(next.tickets || {}).find((x) => x.number === c.number);
      const call = { number: c.number, desk: c.desk || "", lang: (t && t.lang) || "" };
      out.push({ key, number: c.number, desk: call.desk, line: c.line, lang: call.lang, at, recall: false, parts: partsFor(call, speaking) });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Adds an announcement to the queue. The same call twice is kept once; a
 * newer call of a number that still waits in the queue replaces the older one
 * (a recall moments after the call is said once, at the newest desk).
 * @param {Announcement[]} queue
 * @param {Announcement} item
 * @returns {Announcement[]}
 */
export function enqueue(queue, item) {
  if (queue.some((q) => q.key === item.key)) return queue;
  return [...queue.filter((q) => q.number !== item.number || q.test), item];
}

/**
 * Takes the next announcement to play, dropping those that grew too old
 * while they waited.
 * @param {Announcement[]} queue
 * @param {number} serverNowMs
 * @returns {[Announcement|null, Announcement[]]}
 */
export function dequeue(queue, serverNowMs, maxAgeMs = QUEUE_MAX_AGE_MS) {
  const rest = queue.filter((q) => serverNowMs - q.at <= maxAgeMs);
  if (rest.length === 0) return [null, []];
  return [rest[0], rest.slice(1)];
}

/** Plays announcements one after another: gong, then each part's speech. */
export class Announcer {
  /**
   * @param {{gong: () => Promise<void>, speak: (text: string, lang: string) => Promise<unknown>,
   *   now: () => number, sleep?: (ms: number) => Promise<void>,
   *   onStart?: (a: Announcement) => void, onEnd?: (a: Announcement) => void}} deps
   *   now gives the server's time.
   */
  constructor(deps) {
    this.deps = deps;
    this.sleep = deps.sleep || ((ms) => new Promise((r) => setTimeout(r, ms)));
    /** @type {Announcement[]} */
    this.queue = [];
    /** Keys of calls queued or said already, oldest first. */
    this.seen = new Set();
    this.busy = false;
    /** False until sound is allowed (autoplay); calls wait in the queue meanwhile. */
    this.enabled = false;
    /** True once sound was held back, so that enable() drops what grew old meanwhile. */
    this.wasBlocked = false;
  }

  /** Queues an announcement, unless this call was queued or said before, and plays it when its turn comes. */
  push(item) {
    if (!item) return;
    if (this.seen.has(item.key)) return;
    this.seen.add(item.key);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value);
    this.queue = enqueue(this.queue, item);
    if (!this.enabled) this.wasBlocked = true;
    this.pump();
  }

  /**
   * Allows sound and plays what is queued. Calls that waited for sound
   * longer than FRESH_MS are dropped: a call a minute old is on the screen,
   * and a gong for it now would send someone to a desk that moved on.
   */
  enable() {
    if (this.enabled) return;
    this.enabled = true;
    if (this.wasBlocked) {
      const now = this.deps.now();
      this.queue = this.queue.filter((q) => now - q.at <= FRESH_MS);
    }
    this.pump();
  }

  /** Holds sound back again (the browser suspended it); calls wait in the queue. */
  disable() {
    this.enabled = false;
  }

  /** Resolves when the queue has been played out. */
  async pump() {
    if (this.busy || !this.enabled) return;
    this.busy = true;
    try {
      while (this.enabled) {
        const [item, rest] = dequeue(this.queue, this.deps.now());
        this.queue = rest;
        if (!item) break;
        if (this.deps.onStart) this.deps.onStart(item);
        try {
          await this.deps.gong();
        } catch {
          // A failed gong must not stop the speech or the calls after it.
        }
        for (const p of item.parts) {
          if (!p.text) continue;
          try {
            await this.deps.speak(p.text, p.lang);
          } catch {
            // Nor a failed voice.
          }
        }
        if (this.deps.onEnd) this.deps.onEnd(item);
        await this.sleep(GAP_MS);
      }
    } finally {
      this.busy = false;
    }
  }
}
