// What the display says aloud, and in which order.
//
// Pure functions decide: which events are announced (calls and recalls that
// are still fresh; never old calls replayed on a reconnect), how a call is
// spoken, and the queue that plays calls one after another. The Announcer
// runs the queue with injected gong() and speak() functions, so tests need
// no audio and no speech voices.

/** A call counts as new for this long (the display highlights it as long). */
export const FRESH_MS = 60000;
/**
 * A queued announcement older than this is dropped unplayed: the sound was
 * off (or the queue long) for minutes, and a stale call misleads more than it helps.
 */
export const QUEUE_MAX_AGE_MS = 120000;
/** Silence between two announcements, so they do not run together. */
export const GAP_MS = 800;

const CALL_TYPES = new Set(["ticket.called", "ticket.recalled"]);

/**
 * @typedef {{key: string, seq: number, number: string, desk: string, line: string,
 *   at: number, recall: boolean, text: string}} Announcement
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
 * The German sentence for a call: "Nummer M 12, bitte zu Raum 2.14".
 * @param {{number: string, desk: string}} call
 */
export function announcementText(call) {
  const desk = (call.desk || "").trim();
  return desk ? `Nummer ${spokenNumber(call.number)}, bitte zu ${desk}` : `Nummer ${spokenNumber(call.number)}`;
}

/**
 * The announcement for one event-stream message, or null when it is not to
 * be announced: not a call or recall, or older than maxAgeMs by the server's
 * clock (events replayed after a reconnect).
 * @param {any} msg
 * @param {number} serverNowMs
 * @returns {Announcement|null}
 */
export function announcementFor(msg, serverNowMs, maxAgeMs = FRESH_MS) {
  if (!msg || !CALL_TYPES.has(msg.type) || !msg.ticket) return null;
  const at = Date.parse(msg.at);
  if (Number.isNaN(at) || serverNowMs - at > maxAgeMs) return null;
  const t = msg.ticket;
  const call = { number: t.number, desk: t.desk || "" };
  return {
    key: `${msg.seq}`,
    seq: msg.seq,
    number: t.number,
    desk: call.desk,
    line: t.line,
    at,
    recall: msg.type === "ticket.recalled",
    text: announcementText(call),
  };
}

/**
 * Adds an announcement to the queue. The same event twice is kept once; a
 * newer call of a number that still waits in the queue replaces the older one
 * (a recall moments after the call is said once, at the newest desk).
 * @param {Announcement[]} queue
 * @param {Announcement} item
 * @returns {Announcement[]}
 */
export function enqueue(queue, item) {
  if (queue.some((q) => q.key === item.key)) return queue;
  return [...queue.filter((q) => q.number !== item.number), item];
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

/** Plays announcements one after another: gong, then speech. */
export class Announcer {
  /**
   * @param {{gong: () => Promise<void>, speak: (text: string) => Promise<void>,
   *   now: () => number, sleep?: (ms: number) => Promise<void>,
   *   onStart?: (a: Announcement) => void, onEnd?: (a: Announcement) => void}} deps
   *   now gives the server's time.
   */
  constructor(deps) {
    this.deps = deps;
    this.sleep = deps.sleep || ((ms) => new Promise((r) => setTimeout(r, ms)));
    /** @type {Announcement[]} */
    this.queue = [];
    this.busy = false;
    /** False until sound is allowed (autoplay); calls wait in the queue meanwhile. */
    this.enabled = false;
  }

  /** Queues an announcement and plays it when its turn comes. */
  push(item) {
    if (!item) return;
    this.queue = enqueue(this.queue, item);
    this.pump();
  }

  /** Allows sound; plays what is queued and still fresh. */
  enable() {
    this.enabled = true;
    this.pump();
  }

  /** Resolves when the queue has been played out. */
  async pump() {
    if (this.busy || !this.enabled) return;
    this.busy = true;
    try {
      for (;;) {
        const [item, rest] = dequeue(this.queue, this.deps.now());
        this.queue = rest;
        if (!item) break;
        if (this.deps.onStart) this.deps.onStart(item);
        try {
          await this.deps.gong();
          await this.deps.speak(item.text);
        } catch {
          // A failed gong or voice must not stop the calls after it.
        }
        if (this.deps.onEnd) this.deps.onEnd(item);
        await this.sleep(GAP_MS);
      }
    } finally {
      this.busy = false;
    }
  }
}
