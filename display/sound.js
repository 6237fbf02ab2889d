// Sound for the display: a two-tone gong made with WebAudio (no sound file
// to download) and speech through the browser's speechSynthesis, only with a
// voice for the language and never over another announcement.

// Timing, each with its reason.
/** The gong's two strikes and their fade take this long. */
const GONG_MS = 2100;
/** A spoken call normally ends by this long per character… */
const SPEECH_MS_PER_CHAR = 150;
/** …or this long for a short one; after that the display checks whether the voice still speaks. */
const SPEECH_MIN_MS = 4000;
/** Longest wait for a voice that does not say it has finished; then it is cut off. */
const SPEECH_MAX_MS = 30000;
/** How often to look whether the voice has finished, when it does not say so. */
const SPEECH_POLL_MS = 200;

/** Owns the AudioContext and knows whether the browser lets it play. */
export class Sound {
  constructor() {
    const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
    /** @type {AudioContext|null} */
    this.ctx = null;
    try {
      this.ctx = AC ? new AC() : null;
    } catch {
      this.ctx = null;
    }
  }

  /** True when the browser has no WebAudio at all. */
  get missing() {
    return !this.ctx;
  }

  /** True when the browser holds sound back until someone taps the screen. */
  get blocked() {
    return !!this.ctx && this.ctx.state !== "running";
  }

  /** Calls fn when the browser starts or suspends the sound. */
  onChange(fn) {
    if (this.ctx) this.ctx.addEventListener("statechange", fn);
  }

  /** Tries to start sound; inside a tap handler this works. */
  async unlock() {
    if (this.ctx && this.ctx.state !== "running") {
      try {
        await this.ctx.resume();
      } catch {
        // stays blocked; the prompt stays up
      }
    }
  }

  /** Plays the gong: a bell-like high tone, then a lower one. Resolves when it has faded. */
  gong() {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== "running") return Promise.resolve();
    const t0 = ctx.currentTime + 0.05;
    const out = ctx.createGain();
    out.gain.value = 0.5;
    out.connect(ctx.destination);
    bell(ctx, out, 659.25, t0); // E5
    bell(ctx, out, 523.25, t0 + 0.65); // C5
    return new Promise((resolve) => setTimeout(resolve, GONG_MS));
  }
}

/** Languages whose voice may read another's text (a Bosnian or Serbian voice reads Croatian). */
const VOICE_ALIASES = { hr: ["hr", "bs", "sr"], fa: ["fa", "prs"], nb: ["nb", "no"] };

/**
 * The best voice for a language: one whose language matches, preferring the
 * exact language, then voices on the device, then the default.
 * @param {Array<{lang: string, localService?: boolean, default?: boolean}>} voices
 * @param {string} code
 */
export function pickVoice(voices, code) {
  const want = String(code || "")
    .toLowerCase()
    .split(/[-_]/)[0];
  if (!want) return null;
  const wanted = VOICE_ALIASES[want] || [want];
  const base = (v) =>
    String(v.lang || "")
      .toLowerCase()
      .replace("_", "-")
      .split("-")[0];
  const fits = (voices || []).filter((v) => wanted.includes(base(v)));
  if (!fits.length) return null;
  const rank = (v) => (base(v) === want ? 4 : 0) + (v.localService ? 2 : 0) + (v.default ? 1 : 0);
  return fits.sort((a, b) => rank(b) - rank(a))[0];
}

/** Speaks through speechSynthesis, one utterance at a time. */
export class Speech {
  /**
   * @param {any} [synth] speechSynthesis
   * @param {any} [Utterance] SpeechSynthesisUtterance
   */
  constructor(synth = globalThis.speechSynthesis, Utterance = globalThis.SpeechSynthesisUtterance) {
    this.synth = synth || null;
    this.Utterance = Utterance || null;
    /** True once the browser refused to speak without a tap (error "not-allowed"). */
    this.blocked = false;
    /** The utterance being said: the next one starts when it has ended. */
    this.turn = Promise.resolve();
    this.fns = new Set();
    if (this.synth && typeof this.synth.addEventListener === "function") {
      this.synth.addEventListener("voiceschanged", () => this.changed());
    }
  }

  changed() {
    for (const fn of this.fns) fn();
  }

  /** Calls fn when the voices or the blocked state change. */
  onChange(fn) {
    this.fns.add(fn);
  }

  voices() {
    try {
      return this.synth ? this.synth.getVoices() || [] : [];
    } catch {
      return [];
    }
  }

  /** True when there is speech at all and a voice for lang. */
  has(lang) {
    return !!(this.synth && this.Utterance && pickVoice(this.voices(), lang));
  }

  /** Lets speech speak: inside a tap handler a silent utterance unlocks it in Chromium. */
  unlock() {
    this.blocked = false;
    if (!this.synth || !this.Utterance) return;
    try {
      const u = new this.Utterance("");
      u.volume = 0;
      this.synth.speak(u);
    } catch {
      // nothing to unlock
    }
    this.changed();
  }

  /** Resolves when nothing is being said, cutting off a voice that never ends. */
  async idle(sleep) {
    const synth = this.synth;
    const until = Date.now() + SPEECH_MAX_MS;
    while (synth && (synth.speaking || synth.pending)) {
      if (Date.now() > until) {
        synth.cancel();
        return;
      }
      await sleep(SPEECH_POLL_MS);
    }
  }

  /**
   * Says text in lang with a voice for it. Resolves false at once when there
   * is no such voice, else true when the voice has finished. Never starts
   * while something is still being said, by this page or another.
   * @param {string} text
   * @param {string} lang
   */
  speak(text, lang) {
    const voice = pickVoice(this.voices(), lang);
    if (!voice || !this.synth || !this.Utterance || !text) return Promise.resolve(false);
    const mine = this.turn.then(() => this.say(text, voice));
    this.turn = mine.catch(() => {});
    return mine;
  }

  /** Says text with voice once nothing else is being said. */
  async say(text, voice) {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    await this.idle(sleep);
    await new Promise((resolve) => {
      const u = new this.Utterance(text);
      u.lang = voice.lang;
      const V = globalThis.SpeechSynthesisVoice;
      if (V && voice instanceof V) u.voice = voice;
      u.rate = 0.85; // slower than normal: a large hall, and listeners new to the language
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(undefined);
      };
      // A voice that never says "end": wait while it still speaks.
      const timer = setTimeout(
        () => this.idle(sleep).then(finish),
        Math.max(SPEECH_MIN_MS, text.length * SPEECH_MS_PER_CHAR),
      );
      u.onend = finish;
      u.onerror = (e) => {
        if (e && e.error === "not-allowed") {
          this.blocked = true;
          this.changed();
        }
        finish();
      };
      this.synth.speak(u);
    });
    return true;
  }
}

/** One struck bell: a few partials, each fading on its own. */
function bell(ctx, out, freq, t0) {
  const partials = [
    [1, 0.6, 1.6],
    [2, 0.25, 1.0],
    [3, 0.12, 0.6],
    [4.2, 0.06, 0.4],
  ];
  for (const [ratio, level, decay] of partials) {
    const osc = ctx.createOscillator();
    const g = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = freq * ratio;
    g.gain.setValueAtTime(0.0001, t0);
    g.gain.exponentialRampToValueAtTime(level, t0 + 0.01);
    g.gain.exponentialRampToValueAtTime(0.0001, t0 + decay);
    osc.connect(g).connect(out);
    osc.start(t0);
    osc.stop(t0 + decay + 0.05);
  }
}
