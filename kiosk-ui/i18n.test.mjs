// Unit tests for the kiosk's translations: node --test kiosk-ui/
import { test } from "node:test";
import assert from "node:assert/strict";
import { ALL_LANGUAGES, CORE_CODES, GERMAN, ENGLISH, translator, language, pickLanguages } from "./i18n/index.js";
import { KIOSK_LINES } from "./lines.js";

/** Every message key, dotted; a plural object counts as one key. */
function keys(obj, prefix = "") {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === "object" && !("other" in v) ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function get(messages, key) {
  return key.split(".").reduce((v, k) => (v == null ? v : v[k]), messages);
}

/** The strings of a message: itself, or each plural form. */
function forms(v) {
  return typeof v === "string" ? [v] : Object.values(v);
}

function placeholders(s) {
  return [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

const EXPECTED_NAMES = {
  de: "Deutsch", en: "English", tr: "Türkçe", ro: "Română", bg: "Български", pl: "Polski", el: "Ελληνικά",
  it: "Italiano", hr: "Hrvatski / Bosanski / Srpski", uk: "Українська", ar: "العربية", fa: "دری / فارسی",
  ru: "Русский", ku: "Kurmancî", ps: "پښتو", ti: "ትግርኛ", so: "Soomaali", es: "Español", fr: "Français",
};
const RTL = new Set(["ar", "fa", "ps"]);

test("the 12 core and the 7 optional languages, each named in its own language and script", () => {
  assert.deepEqual(ALL_LANGUAGES.map((l) => l.code).sort(), Object.keys(EXPECTED_NAMES).sort());
  assert.deepEqual(CORE_CODES, ["de", "en", "tr", "ro", "bg", "pl", "el", "it", "hr", "uk", "ar", "fa"]);
  for (const l of ALL_LANGUAGES) {
    assert.equal(l.name, EXPECTED_NAMES[l.code], l.code);
    assert.equal(l.dir, RTL.has(l.code) ? "rtl" : "ltr", `${l.code} direction`);
  }
  assert.equal(language("ku").dir, "ltr", "Kurmancî is written in Latin script");
  assert.equal(language("xx"), GERMAN);
});

test("every language file says where its text came from and whether a fluent reader reviewed it", () => {
  for (const l of ALL_LANGUAGES) {
    assert.ok(typeof l.source === "string" && l.source.length > 20, `${l.code}: source`);
    assert.equal(typeof l.reviewed, "boolean", `${l.code}: reviewed`);
    // Nothing has been reviewed yet: a file that says so must also say by whom.
    if (l.reviewed) assert.match(l.source, /review/i, `${l.code}: reviewed by whom`);
  }
});

test("every message key exists in every language, and no other", () => {
  const want = keys(ENGLISH.messages).sort();
  for (const l of ALL_LANGUAGES) {
    assert.deepEqual(keys(l.messages).sort(), want, l.code);
  }
});

test("no translation is left equal to the English text unless marked deliberate", () => {
  const all = keys(ENGLISH.messages);
  for (const l of ALL_LANGUAGES) {
    if (l === ENGLISH) continue;
    const same = new Set(l.same || []);
    for (const key of all) {
      const en = forms(get(ENGLISH.messages, key));
      const mine = forms(get(l.messages, key));
      const equal = mine.some((s) => en.includes(s));
      if (same.has(key)) assert.ok(equal, `${l.code}: ${key} is marked deliberate but differs from English`);
      else assert.ok(!equal, `${l.code}: ${key} is still the English text ${JSON.stringify(mine)}`);
    }
    for (const key of same) assert.ok(all.includes(key), `${l.code}: same lists unknown key ${key}`);
  }
});

test("translations are not empty and keep the English placeholders", () => {
  for (const l of ALL_LANGUAGES) {
    for (const key of keys(ENGLISH.messages)) {
      const want = placeholders(forms(get(ENGLISH.messages, key)).at(-1));
      const v = get(l.messages, key);
      for (const s of forms(v)) {
        assert.ok(s.trim().length > 0, `${l.code}: ${key} is empty`);
        assert.doesNotMatch(s, /TODO|FIXME|\bxxx\b/i, `${l.code}: ${key}`);
        // A plural form may spell out its number ("ثانيتين"): then it drops {n}.
        if (typeof v === "string") assert.deepEqual(placeholders(s), want, `${l.code}: ${key}`);
        else for (const p of placeholders(s)) assert.ok(want.includes(p), `${l.code}: ${key} has {${p}}`);
      }
    }
  }
});

test("plural messages have every form the language's rules ask for", () => {
  // The kiosk counts seconds and people: 0 to 200 is plenty.
  const counts = [...Array(201).keys()];
  for (const l of ALL_LANGUAGES) {
    const rules = new Intl.PluralRules(l.code);
    const needed = new Set(counts.map((n) => rules.select(n)));
    for (const key of keys(l.messages)) {
      const v = get(l.messages, key);
      if (typeof v === "string") continue;
      assert.ok("other" in v, `${l.code}: ${key} has no "other"`);
      for (const cat of needed) assert.ok(cat in v || cat === "other", `${l.code}: ${key} lacks "${cat}"`);
    }
  }
});

test("right-to-left languages are written in Arabic script, the others not", () => {
  const arabic = /[\u0600-\u06FF]/;
  for (const l of ALL_LANGUAGES) {
    for (const key of ["welcome", "howOld", "weCall", "printFailed"]) {
      assert.equal(arabic.test(translator(l.code)(key)), RTL.has(l.code), `${l.code}: ${key}`);
    }
  }
  assert.match(translator("ti")("weCall"), /[\u1200-\u137F]/, "Tigrinya in Ge'ez script");
});

test("languages Intl cannot date bring complete date words", () => {
  for (const l of ALL_LANGUAGES) {
    if (!l.dates) continue;
    assert.equal(l.dates.weekdays.length, 7, l.code);
    assert.equal(l.dates.months.length, 12, l.code);
    for (const p of ["{weekday}", "{day}", "{month}", "{time}"]) assert.ok(l.dates.pattern.includes(p), `${l.code} ${p}`);
  }
  for (const code of ["ku", "ps", "ti", "so"]) assert.ok(language(code).dates, `${code} needs dates: Chromium lacks it`);
});

test("each kiosk line has words in every language", () => {
  for (const l of ALL_LANGUAGES) {
    const t = translator(l.code);
    for (const line of KIOSK_LINES) {
      for (const k of ["service", "ages", "helps"]) assert.notEqual(t(`${k}.${line.id}`), `${k}.${line.id}`, `${l.code} ${k}.${line.id}`);
    }
  }
});

test("plural forms and placeholders", () => {
  assert.equal(translator("de")("returnsIn", { n: 1 }), "Diese Anzeige geht in 1 Sekunde zurück zum Anfang.");
  assert.equal(translator("de")("returnsIn", { n: 30 }), "Diese Anzeige geht in 30 Sekunden zurück zum Anfang.");
  assert.match(translator("uk")("returnsIn", { n: 5 }), /5 секунд\./);
  assert.match(translator("uk")("returnsIn", { n: 22 }), /22 секунди\./);
  assert.match(translator("pl")("returnsIn", { n: 22 }), /22 sekundy\./);
  assert.match(translator("ro")("returnsIn", { n: 20 }), /20 de secunde/);
  assert.match(translator("ar")("returnsIn", { n: 5 }), /5 ثوانٍ/);
  assert.match(translator("ar")("returnsIn", { n: 2 }), /ثانيتين/);
  assert.match(translator("ar")("returnsIn", { n: 20 }), /20 ثانية/);
  assert.equal(translator("tr")("waitingNow", { n: 3 }), "Şu an bekleyen: 3");
  assert.equal(translator("en")("estimateRange", { min: 20, max: 35 }), "20 to 35 minutes");
  for (const l of ALL_LANGUAGES) {
    const t = translator(l.code);
    for (let n = 0; n <= 30; n++) assert.doesNotMatch(t("returnsIn", { n }), /\{|\}/, `${l.code} ${n}`);
  }
});

test("the sentences the brief asks for, in German", () => {
  assert.equal(translator("de")("weCall"), "Wir rufen Ihre Nummer auf dem Bildschirm und per Lautsprecher auf.");
  assert.equal(translator("de")("service.jmd"), "Jugendmigrationsdienst");
});

test("the operator's list picks and orders the languages; German is always there", () => {
  assert.deepEqual(pickLanguages(["ar", "uk", "de"]).languages.map((l) => l.code), ["ar", "uk", "de"]);
  assert.deepEqual(pickLanguages(["uk", "ti"]).languages.map((l) => l.code), ["de", "uk", "ti"]);
  const r = pickLanguages(["de", "xx", "FR", "de"]);
  assert.deepEqual(r.languages.map((l) => l.code), ["de", "fr"]);
  assert.deepEqual(r.unknown, ["xx"]);
  assert.deepEqual(pickLanguages(undefined).languages.map((l) => l.code), CORE_CODES);
  assert.deepEqual(pickLanguages([]).languages.map((l) => l.code), CORE_CODES);
});
