// Unit tests for the phone page's translations: node --test phone/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { LANGUAGES, GERMAN, pickCode, loadLanguage, translator } from "./i18n/index.js";

const here = new URL("./", import.meta.url);
const CODES = Object.keys(LANGUAGES);
const all = Object.fromEntries(await Promise.all(CODES.map(async (c) => [c, await loadLanguage(c)])));
const ENGLISH = all.en;

/** Every message key, dotted. */
function keys(obj, prefix = "") {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === "object" ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}
function get(messages, key) {
  return key.split(".").reduce((v, k) => (v == null ? v : v[k]), messages);
}
function placeholders(s) {
  return [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

test("the kiosk's 19 languages, one file each, with the right direction", () => {
  const files = readdirSync(new URL("i18n/", here)).filter((f) => f.endsWith(".js") && f !== "index.js");
  assert.deepEqual(files.map((f) => f.replace(/\.js$/, "")).sort(), [...CODES].sort());
  assert.equal(CODES.length, 19);
  const kiosk = new URL("../kiosk-ui/i18n/", here);
  for (const c of CODES) {
    const l = all[c];
    assert.equal(l.code, c);
    assert.equal(l.dir, LANGUAGES[c], `${c} direction`);
    assert.equal(l.dir, ["ar", "fa", "ps"].includes(c) ? "rtl" : "ltr", `${c} direction`);
    assert.ok(typeof l.source === "string" && l.source.length > 20, `${c}: source`);
    assert.equal(typeof l.reviewed, "boolean", `${c}: reviewed`);
    // The same languages as the kiosk, by the same names.
    const k = readFileSync(new URL(`${c}.js`, kiosk), "utf8");
    assert.ok(k.includes(`name: ${JSON.stringify(l.name)}`), `${c}: named ${l.name} as on the kiosk`);
  }
});

test("every message key exists in every language, not empty, with the English placeholders", () => {
  const want = keys(ENGLISH.messages).sort();
  for (const c of CODES) {
    assert.deepEqual(keys(all[c].messages).sort(), want, c);
    for (const key of want) {
      const s = get(all[c].messages, key);
      assert.ok(typeof s === "string" && s.trim() !== "", `${c}: ${key} empty`);
      assert.deepEqual(placeholders(s), placeholders(get(ENGLISH.messages, key)), `${c}: ${key} placeholders`);
      if (c !== "en") assert.notEqual(s, get(ENGLISH.messages, key), `${c}: ${key} is still English`);
    }
  }
});

test("the kiosk's wording is reused where the kiosk has the message", () => {
  const shared = { yourNumber: "yourNumber", ahead: "ahead", estimate: "estimate", estimateRange: "estimateRange", weCall: "weCall",
    offlineTitle: "offlineTitle", pleaseWait: "pleaseWait", askDesk: "privacyAsk", "service.mbe": "service.mbe", "service.jmd": "service.jmd" };
  for (const c of CODES) {
    const k = readFileSync(new URL(`../kiosk-ui/i18n/${c}.js`, here), "utf8");
    for (const [mine, theirs] of Object.entries(shared)) {
      const s = get(all[c].messages, mine);
      const last = theirs.split(".").at(-1);
      assert.ok(k.includes(`${last}: ${JSON.stringify(s)}`), `${c}: ${mine} ${JSON.stringify(s)} differs from the kiosk's ${theirs}`);
    }
  }
});

test("the privacy line says no login and no cookies", () => {
  assert.equal(GERMAN.messages.privacy, "Keine Anmeldung, keine Cookies. Ihre Wartemarke ist nur eine Nummer.");
  assert.equal(ENGLISH.messages.privacy, "No login, no cookies. Your ticket is just a number.");
});

test("a ticket's language tag picks a language, German otherwise", () => {
  assert.equal(pickCode("uk"), "uk");
  assert.equal(pickCode("uk-UA"), "uk");
  assert.equal(pickCode("AR"), "ar");
  assert.equal(pickCode("prs"), "fa");
  assert.equal(pickCode("xx"), "de");
  assert.equal(pickCode(""), "de");
  assert.equal(pickCode(undefined), "de");
  assert.equal(pickCode("../de"), "de");
  assert.equal(pickCode("constructor"), "de");
});

test("translate fills placeholders and falls back to German", () => {
  const t = translator(all.uk);
  assert.equal(t("estimateRange", { min: 20, max: 35 }), "від 20 до 35 хвилин");
  assert.ok(t.has("turn"));
  const partial = translator({ code: "xx", messages: { turn: "!" } });
  assert.equal(partial("yourNumber"), "Ihre Nummer");
  assert.equal(partial.has("yourNumber"), false);
  assert.equal(partial("nope"), "nope");
  assert.equal(translator(GERMAN)("stale", { time: "09:41" }), "Stand: 09:41 Uhr");
});
