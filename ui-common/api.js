// The one way the web UIs talk to the HTTP API.
//
// Every request goes through api(): it sends and reads JSON, turns the API's
// error bodies ({"error": "...", "code": "..."}) and network failures into an
// ApiError, and learns the server's clock from the Date header.
//
// Sign-in and pairing arrive later. Their place is here: configureAuth() sets
// a function that adds the auth headers to every request and a handler that is
// called on 401 (for example to show the pairing screen). Screens need no change.

/** How long one request may take before it counts as a network failure. */
export const REQUEST_TIMEOUT_MS = 10000;

/** An API or network failure. code is the API's machine code, or "network". */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server was not reached
   * @param {string} code machine-readable code ("closed", "conflict", "network", …)
   * @param {string} message human-readable message from the server, if any
   */
  constructor(status, code, message) {
    super(message || code);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }

  /** True when trying again later may help: no answer, timeout or 503. */
  get retryable() {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

let authHeaders = () => ({});
let onUnauthorized = null;

/**
 * Sets how requests are authorised. Both parts are optional.
 * @param {{headers?: () => Record<string,string>, unauthorized?: (err: ApiError) => void}} opts
 */
export function configureAuth({ headers, unauthorized } = {}) {
  if (headers) authHeaders = headers;
  if (unauthorized !== undefined) onUnauthorized = unauthorized;
}

// Server time minus this device's time, in ms. Displays and kiosks are small
// boxes whose clocks drift or start unset; the 60-second "new call" rule and
// the clock on the display go by the server's time.
let clockOffsetMs = 0;

/** The server's current time in ms since the epoch, as best known. */
export function serverNow() {
  return Date.now() + clockOffsetMs;
}

/**
 * Learns the server's clock from a response's Date header (one-second
 * resolution, so the middle of that second is taken).
 * @param {string|null} dateHeader
 * @param {number} sentAt local time the request was sent
 * @param {number} receivedAt local time the response arrived
 */
export function observeServerDate(dateHeader, sentAt, receivedAt) {
  const d = Date.parse(dateHeader || "");
  if (Number.isNaN(d)) return;
  clockOffsetMs = d + 500 - (sentAt + receivedAt) / 2;
}

/**
 * Calls the API.
 * @param {string} path absolute path, e.g. "/api/v1/lines"
 * @param {{method?: string, body?: any, headers?: Record<string,string>, timeoutMs?: number}} [opts]
 * @returns {Promise<any>} the decoded JSON body, or null for 204 No Content
 * @throws {ApiError}
 */
export async function api(path, { method = "GET", body, headers = {}, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const h = { Accept: "application/json", ...authHeaders(), ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const sentAt = Date.now();
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
      signal: ctl.signal,
    });
  } catch (e) {
    throw new ApiError(0, "network", "server not reachable");
  } finally {
    clearTimeout(timer);
  }
  observeServerDate(res.headers.get("Date"), sentAt, Date.now());

  if (res.status === 204) return null;
  let data = null;
  const text = await res.text().catch(() => "");
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const code = (data && data.code) || (res.status === 401 ? "unauthorized" : `http_${res.status}`);
    const err = new ApiError(res.status, code, (data && data.error) || res.statusText);
    if (res.status === 401 && onUnauthorized) onUnauthorized(err);
    throw err;
  }
  return data;
}

/**
 * A fresh UUID version 7 (RFC 9562) for an Idempotency-Key header: 48 bits
 * of the time in milliseconds, then 74 random bits. Keys made one after
 * another sort one after another, so the server's index of keys grows at
 * one end instead of at a random page per draw; the random bits keep them
 * unique. Only getRandomValues is needed (crypto.randomUUID, version 4,
 * exists only in secure contexts; a kiosk may run on plain http).
 * @param {Crypto} [c]
 * @param {number} [now] the time in milliseconds
 */
export function newIdempotencyKey(c = globalThis.crypto, now = Date.now()) {
  const b = c.getRandomValues(new Uint8Array(16));
  let ms = Math.max(0, Math.floor(now));
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
