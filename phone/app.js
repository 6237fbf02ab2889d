// The phone status page, /t/{token}: the ticket's number, line, people
// ahead and the wait, in the ticket's language with German small below;
// when it is called, "It's your turn: Raum 2.14" with vibration and a tone
// where the phone allows. It follows /t/status/{token}?after=SEQ (a long
// poll the server answers within 25 s), tries again with a growing pause
// when it cannot reach the server, and says so.
//
// No cookies, no storage, nothing from another origin and nothing outside
// /t/: only /t/ is exposed to the internet.

import { GERMAN, LANGUAGES, loadLanguage, pickCode, translator } from "./i18n/index.js";
import {
  MIN_POLL_GAP_MS, POLL_TIMEOUT_MS, answerKind, callKey, finishedReason, retryDelay, screenOf, statusPath, tokenFromPath,
} from "./state.js";

const $ = (id) => document.getElementById(id);
const tDe = translator(GERMAN);
const token = tokenFromPath(location.pathname);

/** What tests can read: every alert, with what the phone allowed. */
const log = [];
window.wartemarkePhone = { log };

const state = {
  t: tDe,
  st: null, // the last status the server sent
  seq: 0,
  invalid: false,
  offline: false,
  failures: 0,
  lastOk: null, // Date of the last answer
  alerted: null, // callKey of the last call announced
  sound: null, // AudioContext once the visitor tapped "Sound on"
};

// ---------------------------------------------------------------- texts

/** Fills every [data-k] with the visitor's language and [data-de] with German. */
function translateStatic() {
  for (const el of document.querySelectorAll("[data-k]")) el.textContent = state.t(el.dataset.k);
  for (const el of document.querySelectorAll("[data-de]")) el.textContent = tDe(el.dataset.de);
}

async function setLanguage(tag) {
  const code = pickCode(tag);
  if (state.t.code === code) return;
  let lang = GERMAN;
  try {
    lang = await loadLanguage(code);
  } catch {
    // The file did not arrive (a dropped connection): German for now, the
    // next answer tries again.
    return;
  }
  state.t = translator(lang);
  const html = document.documentElement;
  html.lang = lang.code;
  html.dir = LANGUAGES[lang.code] || "ltr";
  document.body.classList.toggle("is-german", lang.code === GERMAN.code);
  translateStatic();
}

function clock(date) {
  const code = state.t.code;
  try {
    return new Intl.DateTimeFormat(`${code}-u-nu-latn`, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(date);
  } catch {
    return new Intl.DateTimeFormat("de", { hour: "2-digit", minute: "2-digit" }).format(date);
  }
}

/** Sets a key line: the visitor's language, and German below it. */
function pair(id, key, vars) {
  $(id).textContent = state.t(key, vars);
  const de = $(`${id}-de`);
  if (de) de.textContent = tDe(key, vars);
}

// ---------------------------------------------------------------- render

function show(screen) {
  for (const s of ["loading", "waiting", "called", "finished", "invalid"]) {
    $(s).hidden = s !== screen;
  }
  document.body.dataset.screen = screen;
  $("ticket").hidden = screen === "invalid" || screen === "loading";
  $("sound").hidden = !(screen === "waiting" || screen === "called");
}

function render() {
  const t = state.t;
  if (state.invalid) {
    show("invalid");
    document.title = t("linkInvalid");
    renderConnection();
    return;
  }
  const st = state.st;
  if (!st) {
    show("loading");
    renderConnection();
    return;
  }
  const screen = screenOf(st);
  show(screen);

  $("number").textContent = st.number;
  const line = $("ticket");
  line.classList.toggle("line-mbe", st.line === "mbe");
  line.classList.toggle("line-jmd", st.line === "jmd");
  const german = st.line_name || st.line;
  $("line").textContent = t.code !== GERMAN.code && t.has(`service.${st.line}`) ? t(`service.${st.line}`) : german;
  $("line-de").textContent = german;

  if (screen === "waiting") {
    const ahead = typeof st.ahead === "number" ? st.ahead : null;
    $("fact-ahead").hidden = ahead === null;
    $("ahead-n").textContent = ahead === null ? "" : String(ahead);
    $("next").hidden = ahead !== 0;
    const est = st.estimate;
    const hasEst = est && Number.isFinite(est.min) && Number.isFinite(est.max) && ahead !== 0;
    $("fact-estimate").hidden = !hasEst;
    if (hasEst) pair("estimate-range", "estimateRange", { min: est.min, max: est.max });
    document.title = `${st.number} · ${t("yourNumber")}`;
  } else if (screen === "called") {
    $("desk").textContent = st.desk || "";
    $("again").hidden = !(st.recalls > 0);
    document.title = `${t("turn")} ${st.desk || ""}`.trim();
  } else {
    const why = finishedReason(st);
    $("finished-why").hidden = !why;
    if (why) pair("finished-why-text", why);
    document.title = `${st.number} · ${t("finished")}`;
  }
  renderConnection();
}

function renderConnection() {
  const off = state.offline && !state.invalid;
  $("offline").hidden = !off;
  document.body.classList.toggle("is-offline", off);
  const stale = $("stale");
  stale.hidden = !(off && state.lastOk);
  if (off && state.lastOk) {
    stale.textContent = state.t("stale", { time: clock(state.lastOk) });
    $("stale-de").textContent = tDe("stale", { time: clock(state.lastOk) });
  }
}

/** Says a change out loud for screen readers, once. */
function announce(text) {
  const live = $("announce");
  live.textContent = "";
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}

// ---------------------------------------------------------------- alert

/** Two rising notes, three times: a chime, not an alarm. */
function chime(ctx) {
  const start = ctx.currentTime + 0.05;
  for (let i = 0; i < 3; i++) {
    for (const [j, f] of [660, 880].entries()) {
      const at = start + i * 1.1 + j * 0.35;
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.type = "sine";
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, at);
      g.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, at + 0.6);
      o.connect(g).connect(ctx.destination);
      o.start(at);
      o.stop(at + 0.65);
    }
  }
}

function audio() {
  if (state.sound) return state.sound;
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return null;
  try {
    // Without a tap first most phones keep this suspended: then the screen
    // and the vibration carry the call, and "Sound on" says why.
    state.sound = new AC();
    state.sound.addEventListener("statechange", renderSound);
  } catch {
    return null;
  }
  return state.sound;
}

async function alertVisitor(st) {
  let vibrated = false;
  try {
    vibrated = !!(navigator.vibrate && navigator.vibrate([400, 200, 400, 200, 800]));
  } catch {
    vibrated = false;
  }
  let tone = false;
  const ctx = audio();
  if (ctx) {
    try {
      if (ctx.state !== "running") await Promise.race([ctx.resume(), new Promise((r) => setTimeout(r, 300))]);
      if (ctx.state === "running") {
        chime(ctx);
        tone = true;
      }
    } catch {
      tone = false;
    }
  }
  log.push({ kind: "alert", desk: st.desk || "", recalls: st.recalls || 0, vibrated, tone });
  renderSound();
}

async function soundOn() {
  const ctx = audio();
  if (!ctx) return;
  try {
    await ctx.resume();
    chime(ctx);
  } catch {
    /* the button stays as it was */
  }
  // A tap also lets the phone vibrate later; a short buzz says it works.
  try {
    navigator.vibrate?.(150);
  } catch {
    /* no vibration on this phone */
  }
  log.push({ kind: "sound-on", running: ctx.state === "running" });
  renderSound();
}

function renderSound() {
  const on = !!state.sound && state.sound.state === "running";
  document.body.classList.toggle("sound-is-on", on);
  $("sound-label").dataset.k = on ? "soundIsOn" : "soundOn";
  $("sound-label").textContent = state.t(on ? "soundIsOn" : "soundOn");
  $("sound-on").setAttribute("aria-pressed", on ? "true" : "false");
  $("sound-hint").hidden = on;
}

// ---------------------------------------------------------------- poll

let controller = null;
let wake = null; // resolves the pause between tries early

function pause(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      wake = null;
      resolve();
    }
    wake = done;
  });
}

async function onStatus(st) {
  await setLanguage(st.lang);
  const before = state.st;
  state.st = st;
  state.seq = Number(st.seq) || state.seq;
  const key = callKey(st);
  render();
  if (key && key !== state.alerted) {
    state.alerted = key;
    announce(`${state.t("turn")} ${state.t("goTo")} ${st.desk || ""}. ${st.recalls > 0 ? state.t("again") : ""}`);
    alertVisitor(st);
  } else if (!key) {
    state.alerted = null;
    if (before && screenOf(before) !== screenOf(st) && screenOf(st) === "finished") announce(state.t("finished"));
  }
}

async function poll() {
  if (!token) {
    state.invalid = true;
    render();
    return;
  }
  for (;;) {
    const started = Date.now();
    controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), POLL_TIMEOUT_MS);
    let kind = "retry";
    let body = null;
    try {
      const res = await fetch(statusPath(token, state.seq), {
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
        signal: controller.signal,
      });
      kind = answerKind(res.status);
      if (kind === "ok") body = await res.json();
    } catch {
      kind = "retry";
    } finally {
      clearTimeout(timer);
    }
    if (kind === "invalid") {
      state.invalid = true;
      state.offline = false;
      render();
      return; // the link has ended: nothing more to ask
    }
    if (kind === "ok" && body) {
      const wasOffline = state.offline;
      state.offline = false;
      state.failures = 0;
      state.lastOk = new Date();
      await onStatus(body);
      if (wasOffline) renderConnection();
      // Answers that come back at once (a busy morning) are spaced out.
      const took = Date.now() - started;
      if (took < MIN_POLL_GAP_MS) await pause(MIN_POLL_GAP_MS - took);
      continue;
    }
    state.failures++;
    state.offline = true;
    render();
    await pause(retryDelay(state.failures));
  }
}

/** Try now: the phone is back online or the page is seen again. */
function retryNow() {
  if (state.invalid) return;
  if (wake) wake();
  else if (controller && state.lastOk && Date.now() - state.lastOk.getTime() > 30000) controller.abort();
}

window.addEventListener("online", retryNow);
window.addEventListener("offline", () => {
  if (state.invalid) return;
  state.offline = true;
  renderConnection();
  controller?.abort();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") retryNow();
});
$("sound-on").addEventListener("click", soundOn);

translateStatic();
renderSound();
render();
poll();
