// Sound for the display: a two-tone gong made with WebAudio (no sound file
// to download) and German speech through speechSynthesis.

/** Longest a spoken call may take before we move on (no voice, or no end event). */
const SPEECH_MS_PER_CHAR = 110;
const SPEECH_MIN_MS = 3000;

/** Owns the AudioContext and knows whether the browser lets it play. */
export class Sound {
  constructor() {
    const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
    /** @type {AudioContext|null} */
    this.ctx = AC ? new AC() : null;
  }

  /** True when the browser holds sound back until someone taps the screen. */
  get blocked() {
    return !!this.ctx && this.ctx.state !== "running";
  }

  /** Tries to start sound; inside a tap handler this always works. */
  async unlock() {
    if (this.ctx && this.ctx.state !== "running") {
      try {
        await this.ctx.resume();
      } catch {
        // stays blocked; the overlay stays up
      }
    }
    // Chromium lets speech speak only after a user activation: say nothing once now.
    if (globalThis.speechSynthesis && globalThis.SpeechSynthesisUtterance) {
      const u = new SpeechSynthesisUtterance("");
      u.volume = 0;
      speechSynthesis.speak(u);
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
    return new Promise((resolve) => setTimeout(resolve, 2100));
  }

  /**
   * Says text in German. Resolves when speech ends, fails, or takes too long.
   * @param {string} text
   */
  speak(text) {
    const synth = globalThis.speechSynthesis;
    if (!synth || !globalThis.SpeechSynthesisUtterance) return Promise.resolve();
    return new Promise((resolve) => {
      const u = new SpeechSynthesisUtterance(text);
      u.lang = "de-DE";
      u.rate = 0.85; // slower than normal: a large hall, and listeners new to German
      const voice = germanVoice(synth);
      if (voice) u.voice = voice;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, Math.max(SPEECH_MIN_MS, text.length * SPEECH_MS_PER_CHAR));
      u.onend = finish;
      u.onerror = finish;
      synth.speak(u);
    });
  }
}

function germanVoice(synth) {
  const voices = synth.getVoices ? synth.getVoices() : [];
  return voices.find((v) => v.lang === "de-DE") || voices.find((v) => (v.lang || "").startsWith("de")) || null;
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
