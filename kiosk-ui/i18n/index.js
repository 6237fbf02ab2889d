// The kiosk's languages and the translate function.
//
// Each language is one module in this folder: its code (BCP 47), its own name
// in its own script, its writing direction and its messages. German is the
// fallback for any message a language lacks. To add a language, write its
// module, import it here and put it in LANGUAGES where it should appear.
//
// A message is a string with {placeholders}, or, when it holds a number that
// changes the words, an object keyed by the plural categories of
// Intl.PluralRules for that language ("one", "two", "few", "many", "other").

import de from "./de.js";
import en from "./en.js";
import tr from "./tr.js";
import uk from "./uk.js";
import ar from "./ar.js";

/**
 * @typedef {{code: string, name: string, dir: "ltr"|"rtl", messages: Record<string, any>}} Language
 */

/** The languages in the order the kiosk offers them. @type {Language[]} */
export const LANGUAGES = [de, en, tr, uk, ar];

/** The fallback and second language of every screen. */
export const GERMAN = de;

/** @returns {Language} the language with this code, or German. */
export function language(code) {
  return LANGUAGES.find((l) => l.code === code) || GERMAN;
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
