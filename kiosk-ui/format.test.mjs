// Unit tests for the kiosk's pure helpers: node --test kiosk-ui/
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatWhen, officeClock, waitRange, spokenNumber, voiceFor, openingState } from "./format.js";
import { language } from "./i18n/index.js";

// Wednesday 10 June 2026, 09:00 in Offenbach (summer time, UTC+2).
const WED_9 = "2026-06-10T07:00:00Z";
const TZ = "Europe/Berlin";

test("the office's wall clock, not the kiosk's", () => {
  assert.deepEqual(officeClock(new Date(WED_9), TZ), { weekday: 3, day: 10, month: 5, time: "09:00" });
  // Winter time: UTC+1.
  assert.deepEqual(officeClock(new Date("2026-12-02T08:00:00Z"), TZ), { weekday: 3, day: 2, month: 11, time: "09:00" });
  // Just after midnight in Berlin is still the day before in UTC.
  assert.deepEqual(officeClock(new Date("2026-06-09T22:30:00Z"), TZ), { weekday: 3, day: 10, month: 5, time: "00:30" });
});

test("next opening in the visitor's language, 24-hour clock, Latin digits", () => {
  const de = formatWhen(WED_9, language("de"), TZ);
  assert.match(de, /Mittwoch/);
  assert.match(de, /10\./);
  assert.match(de, /Juni/);
  assert.match(de, /09:00/);
  const ar = formatWhen(WED_9, language("ar"), TZ);
  assert.match(ar, /الأربعاء/);
  assert.match(ar, /09:00/);
  assert.doesNotMatch(ar, /[٠-٩]/, "Arabic-Indic digits");
  assert.doesNotMatch(ar, /ص|م$/, "12-hour clock");
  const uk = formatWhen(WED_9, language("uk"), TZ);
  assert.match(uk, /середа/);
  assert.match(uk, /червня/);
  // Dari/Farsi: the Gregorian date of the office, not the Solar Hijri one.
  const fa = formatWhen(WED_9, language("fa"), TZ);
  assert.doesNotMatch(fa, /خرداد/);
  assert.match(fa, /10/);
  assert.match(formatWhen(WED_9, language("en"), TZ), /Wednesday.*June.*09:00/);
});

test("short dates for the list of every language", () => {
  const de = formatWhen(WED_9, language("de"), TZ, { short: true });
  assert.match(de, /^Mi\./);
  assert.match(de, /09:00/);
  assert.equal(formatWhen(WED_9, language("ti"), TZ, { short: true }), "ረቡዕ 10 ሰነ፣ 09:00");
});

test("languages without Intl dates use their own words", () => {
  assert.equal(formatWhen(WED_9, language("ps"), TZ), "څلرنۍ، 10 جون، 09:00");
  assert.equal(formatWhen(WED_9, language("ti"), TZ), "ረቡዕ 10 ሰነ፣ 09:00");
  assert.equal(formatWhen(WED_9, language("so"), TZ), "Arbaco, 10 Juun, 09:00");
  assert.equal(formatWhen(WED_9, language("ku"), TZ), "çarşem, 10 Hezîran, 09:00");
  assert.equal(formatWhen("not a date", language("de"), TZ), "");
});

test("the wait range appears only when the ticket carries one", () => {
  assert.equal(waitRange({ number: "M-001" }), null);
  assert.equal(waitRange(null), null);
  assert.deepEqual(waitRange({ estimate: { min: 20, max: 35 } }), { min: 20, max: 35 });
  assert.deepEqual(waitRange({ estimate: { min: 0, max: 15 } }), { min: 0, max: 15 });
  assert.deepEqual(waitRange({ estimate: { min: 19.6, max: 35.2 } }), { min: 20, max: 35 });
  assert.equal(waitRange({ estimate: { min: 0, max: 0 } }), null);
  assert.equal(waitRange({ estimate: { min: 40, max: 35 } }), null);
  assert.equal(waitRange({ estimate: { min: "x", max: 35 } }), null);
});

test("numbers are spoken as the announcement says them", () => {
  assert.equal(spokenNumber("M-012"), "M 12");
  assert.equal(spokenNumber("J-100"), "J 100");
  assert.equal(spokenNumber("M-000"), "M 0");
  assert.equal(spokenNumber("odd"), "odd");
});

test("a voice for the language, or none", () => {
  const voices = [
    { lang: "de-DE", name: "de", localService: true },
    { lang: "ar-SA", name: "ar remote", localService: false },
    { lang: "ar-EG", name: "ar local", localService: true },
    { lang: "bs-BA", name: "bs", localService: true },
    { lang: "uk_UA", name: "uk", localService: true },
  ];
  assert.equal(voiceFor(voices, "ar").name, "ar local");
  assert.equal(voiceFor(voices, "hr").name, "bs");
  assert.equal(voiceFor(voices, "uk").name, "uk");
  assert.equal(voiceFor(voices, "ti"), null);
  assert.equal(voiceFor([], "de"), null);
  assert.equal(voiceFor(undefined, "de"), null);
});

test("opening state of the lines", () => {
  assert.deepEqual(openingState([]), { allClosed: false, nextOpen: null });
  assert.deepEqual(openingState([{ id: "mbe", open: true }, { id: "jmd", open: false, next_open: WED_9 }]), { allClosed: false, nextOpen: WED_9 });
  assert.deepEqual(
    openingState([
      { id: "mbe", open: false, next_open: "2026-06-17T07:00:00Z" },
      { id: "jmd", open: false, next_open: WED_9 },
    ]),
    { allClosed: true, nextOpen: WED_9 },
  );
  assert.deepEqual(openingState([{ id: "mbe", open: false }]), { allClosed: true, nextOpen: null });
  // Lines from an older server, without "open": open.
  assert.deepEqual(openingState([{ id: "mbe" }]), { allClosed: false, nextOpen: null });
});
