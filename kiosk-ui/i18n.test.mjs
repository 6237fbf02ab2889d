// Unit tests for the kiosk's translations: node --test kiosk-ui/
import { test } from "node:test";
import assert from "node:assert/strict";
import { LANGUAGES, GERMAN, translator, language } from "./i18n/index.js";
import { KIOSK_LINES } from "./lines.js";

function keys(obj, prefix = "") {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === "object" && !("other" in v) ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

test("every language has every German message", () => {
  const want = keys(GERMAN.messages).sort();
  for (const l of LANGUAGES) {
    assert.deepEqual(keys(l.messages).sort(), want, l.code);
  }
});

test("every language names itself and says its direction", () => {
  const codes = new Set();
  for (const l of LANGUAGES) {
    assert.ok(l.name && l.name.length > 1, l.code);
    assert.ok(l.dir === "ltr" || l.dir === "rtl", l.code);
    assert.ok(!codes.has(l.code), `duplicate ${l.code}`);
    codes.add(l.code);
  }
  assert.equal(language("ar").dir, "rtl");
  assert.equal(language("xx"), GERMAN);
});

test("each kiosk line has words in every language", () => {
  for (const l of LANGUAGES) {
    const t = translator(l.code);
    for (const line of KIOSK_LINES) {
      assert.notEqual(t(`service.${line.id}`), `service.${line.id}`, `${l.code} ${line.id}`);
      assert.notEqual(t(`ages.${line.id}`), `ages.${line.id}`, `${l.code} ${line.id}`);
    }
  }
});

test("plural forms and placeholders", () => {
  assert.equal(translator("de")("returnsIn", { n: 1 }), "Diese Anzeige geht in 1 Sekunde zurück zum Anfang.");
  assert.equal(translator("de")("returnsIn", { n: 30 }), "Diese Anzeige geht in 30 Sekunden zurück zum Anfang.");
  assert.match(translator("uk")("returnsIn", { n: 5 }), /5 секунд\./);
  assert.match(translator("uk")("returnsIn", { n: 22 }), /22 секунди\./);
  assert.match(translator("ar")("returnsIn", { n: 5 }), /5 ثوانٍ/);
  assert.match(translator("ar")("returnsIn", { n: 20 }), /20 ثانية/);
  assert.equal(translator("tr")("waitingNow", { n: 3 }), "Bekleyen: 3");
  for (const l of LANGUAGES) {
    const t = translator(l.code);
    for (let n = 0; n <= 30; n++) assert.doesNotMatch(t("returnsIn", { n }), /\{|\}/, `${l.code} ${n}`);
  }
});

test("the kiosk's sentence in German is the one the brief asks for", () => {
  assert.equal(translator("de")("weCall"), "Wir rufen Ihre Nummer auf dem Bildschirm und per Lautsprecher auf.");
});
