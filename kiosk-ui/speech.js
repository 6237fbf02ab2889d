// Read aloud: speaks a screen's words in the visitor's language with the
// browser's speech synthesis, but only where a voice for that language exists
// (the button is hidden otherwise). Voices load late in some browsers: the
// kiosk asks again on "voiceschanged".

import { voiceFor } from "./format.js";

/**
 * @param {SpeechSynthesis|undefined} synth
 */
export function createSpeaker(synth = globalThis.speechSynthesis) {
  const Utterance = globalThis.SpeechSynthesisUtterance;
  const Voice = globalThis.SpeechSynthesisVoice;
  const listeners = new Set();
  if (synth && typeof synth.addEventListener === "function") {
    synth.addEventListener("voiceschanged", () => {
      for (const fn of listeners) fn();
    });
  }
  const voices = () => {
    try {
      return synth ? synth.getVoices() : [];
    } catch {
      return [];
    }
  };
  return {
    /** True when a voice can read this language. */
    canSpeak(code) {
      return !!(synth && Utterance && voiceFor(voices(), code));
    },
    /** Calls fn when the list of voices changes. */
    onVoices(fn) {
      listeners.add(fn);
    },
    /**
     * Speaks the texts one after another, stopping whatever was being said.
     * @param {string} code
     * @param {string[]} texts
     */
    speak(code, texts) {
      const voice = synth && voiceFor(voices(), code);
      if (!voice || !Utterance) return false;
      synth.cancel();
      for (const text of texts) {
        if (!text) continue;
        const u = new Utterance(text);
        u.lang = voice.lang;
        if (Voice && voice instanceof Voice) u.voice = voice;
        u.rate = 0.9; // a little slower: a new language, a busy room
        synth.speak(u);
      }
      return true;
    },
    stop() {
      if (synth) synth.cancel();
    },
  };
}
