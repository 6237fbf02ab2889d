// The kiosk's languages and the translate function.
//
// Each language is one module in this folder: its code (BCP 47), its own name
// in its own script, its writing direction, where its text came from and
// whether a fluent reader has reviewed it, and its messages. German is the
// fallback for any message a language lacks. The operator's config
// (languages in GET /api/v1/config) picks which of them the kiosk offers, and
// in which order; ALL_LANGUAGES only says which ones exist.
//
// A message is a string with {placeholders}, or, when it holds a number that
// changes the words, an object keyed by the plural categories of
// Intl.PluralRules for that language ("zero", "one", "two", "few", "many",
// "other").
//
// A language whose dates Intl cannot write (Chromium lacks ku, ps, so and ti)
// brings its own weekday and month names in `dates`.

import de from "./de.js";
import en from "./en.js";
import tr from "./tr.js";
import ro from "./ro.js";
import bg from "./bg.js";
import pl from "./pl.js";
import el from "./el.js";
import it from "./it.js";
import hr from "./hr.js";
import uk from "./uk.js";
import ar from "./ar.js";
import fa from "./fa.js";
import ru from "./ru.js";
import ku from "./ku.js";
import ps from "./ps.js";
import ti from "./ti.js";
import so from "./so.js";
import es from "./es.js";
import fr from "./fr.js";

/**
 * @typedef {{weekdays: string[], months: string[], pattern: string}} DateWords
 * @typedef {{code: string, name: string, dir: "ltr"|"rtl", source: string, reviewed: boolean,
 *   same?: string[], dates?: DateWords, messages: Record<string, any>}} Language
 */

/** Every language the kiosk can speak: the 12 core ones, then the optional ones. @type {Language[]} */
export const ALL_LANGUAGES = [de, en, tr, ro, bg, pl, el, it, hr, uk, ar, fa, ru, ku, ps, ti, so, es, fr];

/** The core languages in their default order, used until the server's config arrives. */
export const CORE_CODES = ["de", "en", "tr", "ro", "bg", "pl", "el", "it", "hr", "uk", "ar", "fa"];

/** The fallback and second language of every screen. */
export const GERMAN = de;

/** English: the text every other translation was made from. */
export const ENGLISH = en;

/** @returns {Language} the language with this code, or German. */
export function language(code) {
  return ALL_LANGUAGES.find((l) => l.code === code) || GERMAN;
}

/**
 * The languages to offer, in the operator's order. Codes the kiosk has no
 * translation for are left out (and returned in `unknown`, to be logged);
 * German is always offered, since every screen also speaks it.
 * @param {string[]|undefined} codes
 * @returns {{languages: Language[], unknown: string[]}}
 */
export function pickLanguages(codes) {
  const list = Array.isArray(codes) && codes.length ? codes : CORE_CODES;
  const out = [];
  const unknown = [];
  for (const raw of list) {
    const code = String(raw).toLowerCase();
    const l = ALL_LANGUAGES.find((x) => x.code === code);
    if (!l) unknown.push(String(raw));
    else if (!out.includes(l)) out.push(l);
  }
  if (!out.includes(GERMAN)) out.unshift(GERMAN);
  return { languages: out, unknown };
}

function lookup(messages, key) {
  let v = messages;
  for (const part of key.split(".")) {
    if (v == null || typeof v !== "object") return undefined;
    v = v[part];
  }
  return v;
}

/**
 * A translate function for one language: t("ahead"), t("returnsIn", {n: 20}).
 * @param {string} code
 * @returns {(key: string, vars?: Record<string, string|number>) => string}
 */
export function translator(code) {
  const lang = language(code);
  const rules = new Intl.PluralRules(lang.code);
  return function t(key, vars = {}) {
    let v = lookup(lang.messages, key);
    if (v === undefined) v = lookup(GERMAN.messages, key);
    if (v === undefined) return key;
    if (v && typeof v === "object") {
      const n = Number(vars.n ?? 0);
      v = v[rules.select(n)] ?? v.other;
    }
    return String(v).replace(/\{(\w+)\}/g, (_, k) => (vars[k] === undefined ? "" : String(vars[k])));
  };
}
