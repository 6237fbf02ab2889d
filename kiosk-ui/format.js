// Small pure helpers of the kiosk: dates in the visitor's language, the
// waiting-time range, how a number is spoken, which voice reads a language,
// and which lines are open. No DOM, no I/O: unit tested with node --test.

/**
 * The Intl locale for a language code: Gregorian calendar (the office's
 * dates, also for Dari/Farsi), Latin digits (the ticket numbers on the
 * screen, the slip and the display are Latin too) and a 24-hour clock, as
 * on every sign in the office.
 */
function intlLocale(code) {
  return `${code}-u-ca-gregory-nu-latn-hc-h23`;
}

/** True when the browser's Intl can write dates in this language itself. */
export function intlSpeaks(code) {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([code]).length > 0;
  } catch {
    return false;
  }
}

/**
 * The date and time of an instant as the office's wall clock shows it,
 * e.g. {weekday: 3, day: 10, month: 5, time: "09:00"} (weekday 0 = Sunday,
 * month 0 = January).
 */
export function officeClock(date, timeZone) {
  const parts = {};
  const f = new Intl.DateTimeFormat("en-US-u-nu-latn-hc-h23", {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  for (const p of f.formatToParts(date)) parts[p.type] = p.value;
  const weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday);
  const hour = parts.hour === "24" ? "00" : parts.hour;
  return { weekday, day: Number(parts.day), month: Number(parts.month) - 1, time: `${hour}:${parts.minute}` };
}

/**
 * When a line opens next, written in the visitor's language and the office's
 * time zone: "Mittwoch, 10. Juni um 09:00", "الأربعاء، 10 يونيو في 09:00".
 * Languages Intl cannot write bring their own words ({weekdays, months,
 * pattern}); anything else falls back to German, the office's language.
 * With short, weekday and month are abbreviated where Intl knows how ("Mi.,
 * 17. Juni, 09:00"): for the list of every language on the closed screen.
 * @param {string|Date} when
 * @param {{code: string, dates?: {weekdays: string[], months: string[], pattern: string}}} lang
 * @param {string} timeZone IANA zone of the office
 * @param {{short?: boolean}} [opts]
 */
export function formatWhen(when, lang, timeZone, { short = false } = {}) {
  const date = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(date.getTime())) return "";
  if (lang.dates) {
    const c = officeClock(date, timeZone);
    return lang.dates.pattern
      .replace("{weekday}", lang.dates.weekdays[c.weekday] || "")
      .replace("{day}", String(c.day))
      .replace("{month}", lang.dates.months[c.month] || "")
      .replace("{time}", c.time);
  }
  const code = intlSpeaks(lang.code) ? lang.code : "de";
  return new Intl.DateTimeFormat(intlLocale(code), {
    timeZone,
    weekday: short ? "short" : "long",
    day: "numeric",
    month: short ? "short" : "long",
    hour: "2-digit",
    minute: "2-digit",
  }).format(date);
}

/**
 * The estimated wait of a ticket as whole minutes {min, max}, or null when
 * the ticket carries none (it is called already, or an older server). The
 * server sends `estimate: {min, max}` in minutes with a waiting ticket.
 * @param {any} ticket
 */
export function waitRange(ticket) {
  const e = ticket && ticket.estimate;
  if (!e || typeof e !== "object") return null;
  const min = Number(e.min);
  const max = Number(e.max);
  if (!Number.isFinite(min) || !Number.isFinite(max) || min < 0 || max < min || max === 0) return null;
  return { min: Math.round(min), max: Math.round(max) };
}

/**
 * A ticket number as a voice should say it: "M-012" → "M 12", as the
 * waiting-room announcement does.
 * @param {string} number
 */
export function spokenNumber(number) {
  const m = /^([A-Z]+)-?0*(\d+)$/.exec(String(number || "").trim());
  return m ? `${m[1]} ${m[2]}` : String(number || "");
}

/** Voices that may read a language besides its own code. */
const VOICE_ALIASES = {
  hr: ["hr", "bs", "sr"],
  fa: ["fa", "prs"],
  ku: ["ku", "kmr"],
};

/**
 * The best voice for a language: a local one first. Null when there is none,
 * so the kiosk does not offer to read aloud in a voice that cannot.
 * @param {Array<{lang: string, localService?: boolean, default?: boolean}>} voices
 * @param {string} code
 */
export function voiceFor(voices, code) {
  const wanted = VOICE_ALIASES[code] || [code];
  const fits = (voices || []).filter((v) => {
    const base = String(v.lang || "").toLowerCase().replace("_", "-").split("-")[0];
    return wanted.includes(base);
  });
  if (!fits.length) return null;
  fits.sort((a, b) => rank(b, wanted) - rank(a, wanted));
  return fits[0];
}

function rank(v, wanted) {
  const base = String(v.lang || "").toLowerCase().split(/[-_]/)[0];
  return (base === wanted[0] ? 4 : 0) + (v.localService ? 2 : 0) + (v.default ? 1 : 0);
}

/**
 * The opening state of the kiosk from GET /api/v1/lines: which lines are
 * open, and, when none is, the soonest next opening.
 * @param {Array<{id: string, open?: boolean, next_open?: string}>} lines
 * @returns {{allClosed: boolean, nextOpen: string|null}}
 */
export function openingState(lines) {
  if (!Array.isArray(lines) || !lines.length) return { allClosed: false, nextOpen: null };
  const open = lines.filter((l) => l.open !== false);
  let next = null;
  for (const l of lines) {
    if (l.open === false && l.next_open && (!next || Date.parse(l.next_open) < Date.parse(next))) next = l.next_open;
  }
  return { allClosed: open.length === 0, nextOpen: next };
}
