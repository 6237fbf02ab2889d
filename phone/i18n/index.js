// The phone page's languages: the kiosk's 19, with the kiosk's wording where
// the kiosk has it (yourNumber, service, ahead, estimate, weCall, …) and the
// phone page's own messages beside it. The page must not load anything from
// /kiosk (only /t/ is exposed to the internet), so the texts live here.
//
// German is always loaded (the fallback, and the small second line under
// every key line); the visitor's language is loaded on its own with a
// dynamic import, so a phone on mobile data fetches two small files, not 19.

import de from "./de.js";

/** The languages there are, with their writing direction. */
export const LANGUAGES = Object.freeze({
  de: "ltr", en: "ltr", tr: "ltr", ro: "ltr", bg: "ltr", pl: "ltr", el: "ltr", it: "ltr", hr: "ltr", uk: "ltr",
  ar: "rtl", fa: "rtl", ru: "ltr", ku: "ltr", ps: "rtl", ti: "ltr", so: "ltr", es: "ltr", fr: "ltr",
});

/** German: the fallback and second language. */
export const GERMAN = de;

// Tags the kiosk does not use itself but a ticket might carry.
const ALIASES = { prs: "fa", bs: "hr", sr: "hr", kmr: "ku" };

/**
 * The code of the language to show for a ticket's lang tag ("uk",
 * "uk-UA", "AR"); German for anything unknown.
 * @param {unknown} tag
 * @returns {string}
 */
export function pickCode(tag) {
  const base = String(tag ?? "").trim().toLowerCase().split(/[-_]/)[0];
  const code = ALIASES[base] || base;
  return Object.hasOwn(LANGUAGES, code) ? code : "de";
}

/**
 * Loads a language module (German without a request).
 * @param {string} code a code from pickCode
 */
export async function loadLanguage(code) {
  const c = pickCode(code);
  if (c === "de") return GERMAN;
  const mod = await import(`./${c}.js`);
  return mod.default;
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
 * A translate function for one loaded language, falling back to German:
 * t("estimateRange", {min: 20, max: 35}). t.has(key) tells whether the
 * language itself (not the fallback) has the message.
 * @param {{code: string, messages: object}} lang
 */
export function translator(lang) {
  const t = (key, vars = {}) => {
    let v = lookup(lang.messages, key);
    if (typeof v !== "string") v = lookup(GERMAN.messages, key);
    if (typeof v !== "string") return key;
    return v.replace(/\{(\w+)\}/g, (_, k) => (vars[k] === undefined ? "" : String(vars[k])));
  };
  t.has = (key) => typeof lookup(lang.messages, key) === "string";
  t.code = lang.code;
  return t;
}
