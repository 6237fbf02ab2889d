// What the display says aloud and shows, per language.
//
// The call is announced in the display's language (German unless the
// config says otherwise) and, when the visitor drew the ticket in another
// language and the browser has a voice for it, in that language too. The
// sentences are short and plain: a number and a place.

/**
 * The spoken call per language: n is the number as spoken ("M 12"), desk the
 * desk. German receives the desk with its preposition ("zur Empore"); the
 * others receive the label as the screen shows it, after a colon where the
 * language would otherwise inflect it.
 * @type {Record<string, (n: string, desk: string) => string>}
 */
export const CALL_PHRASES = {
  de: (n, desk) => (desk ? `Nummer ${n}, bitte ${desk}.` : `Nummer ${n}.`),
  en: (n, desk) => (desk ? `Number ${n}, please go to ${desk}.` : `Number ${n}.`),
  tr: (n, desk) => (desk ? `Numara ${n}, lütfen şuraya gidin: ${desk}.` : `Numara ${n}.`),
  ro: (n, desk) => (desk ? `Numărul ${n}, vă rugăm să mergeți la ${desk}.` : `Numărul ${n}.`),
  bg: (n, desk) => (desk ? `Номер ${n}, моля, отидете до ${desk}.` : `Номер ${n}.`),
  pl: (n, desk) => (desk ? `Numer ${n}, proszę podejść do: ${desk}.` : `Numer ${n}.`),
  el: (n, desk) => (desk ? `Αριθμός ${n}, παρακαλούμε προσέλθετε: ${desk}.` : `Αριθμός ${n}.`),
  it: (n, desk) => (desk ? `Numero ${n}, si prega di recarsi a: ${desk}.` : `Numero ${n}.`),
  hr: (n, desk) => (desk ? `Broj ${n}, molimo dođite do: ${desk}.` : `Broj ${n}.`),
  uk: (n, desk) => (desk ? `Номер ${n}, будь ласка, підійдіть до: ${desk}.` : `Номер ${n}.`),
  ar: (n, desk) => (desk ? `الرقم ${n}، يرجى التوجه إلى ${desk}.` : `الرقم ${n}.`),
  fa: (n, desk) => (desk ? `شماره ${n}، لطفاً به ${desk} بروید.` : `شماره ${n}.`),
  ru: (n, desk) => (desk ? `Номер ${n}, пожалуйста, пройдите к: ${desk}.` : `Номер ${n}.`),
  es: (n, desk) => (desk ? `Número ${n}, por favor, diríjase a ${desk}.` : `Número ${n}.`),
  fr: (n, desk) => (desk ? `Numéro ${n}, veuillez vous rendre à : ${desk}.` : `Numéro ${n}.`),
};

/** Languages that the phrase of another one serves ("bs" and "sr" read the Croatian one). */
const PHRASE_ALIASES = { bs: "hr", sr: "hr", prs: "fa" };

/** The language whose phrase serves code, or "" when there is none. */
export function phraseLang(code) {
  const base = String(code || "")
    .toLowerCase()
    .split(/[-_]/)[0];
  if (CALL_PHRASES[base]) return base;
  return PHRASE_ALIASES[base] || "";
}

/** German prepositions a configured spoken desk may already start with. */
const GERMAN_PREPOSITION = /^(zu|zum|zur|in|ins|im|an|am|auf|nach|bei|beim|vor)\s/i;

/**
 * The desk as the German sentence says it: the config's spoken form
 * ("zur Empore", or "Raum zwei vierzehn"), else the label, with "zu" in
 * front unless it starts with a preposition already.
 * @param {string} label
 * @param {string} [spoken]
 */
export function germanDesk(label, spoken) {
  const s = String(spoken || label || "").trim();
  if (!s) return "";
  return GERMAN_PREPOSITION.test(s) ? s : `zu ${s}`;
}

/**
 * The display's words in its language. Missing keys fall back to German.
 * @type {Record<string, Record<string, string>>}
 */
export const LABELS = {
  de: {
    title: "Migrationsberatung",
    hint: "Bitte achten Sie auf Ihre Nummer. Wir rufen sie hier und per Lautsprecher auf.",
    call: "Aufruf",
    noCall: "Noch kein Aufruf",
    connecting: "Verbindung wird hergestellt …",
    noConnection: "Keine Verbindung",
    notCurrent: "Letzter bekannter Stand – nicht aktuell",
    recent: "Zuletzt aufgerufen",
    waiting: "Es warten",
    estimate: (min, max) => `Wartezeit etwa ${min}–${max} Min.`,
    new: "Neu",
    to: "zu",
    offlineTitle: "Keine Verbindung zum Server",
    offlineText: "Die Anzeige ist gerade nicht aktuell. Ihre Nummer verfällt nicht – bitte warten Sie, wir rufen Sie auf.",
    reconnecting: "Verbindung wird wiederhergestellt …",
    soundOn: "Aufrufe werden angesagt",
    soundBlocked: "Ton ist aus – bitte einmal tippen",
    speechOff: "Sprachausgabe nicht verfügbar – Aufrufe mit Gong und Anzeige",
    soundOff: "Kein Ton in diesem Browser – Aufrufe nur auf der Anzeige",
    soundButton: "Ton einschalten",
    soundPrompt: "Der Browser hält den Ton zurück. Einmal tippen, dann werden Aufrufe auch angesagt.",
    soundTest: "Tontest",
    testPhrase: "Dies ist ein Tontest.",
  },
  en: {
    title: "Migration counselling",
    hint: "Please watch for your number. We call it here and over the loudspeaker.",
    call: "Now calling",
    noCall: "No call yet",
    connecting: "Connecting …",
    noConnection: "No connection",
    notCurrent: "Last known state – not current",
    recent: "Called before",
    waiting: "Waiting",
    estimate: (min, max) => `Wait about ${min}–${max} min`,
    new: "New",
    to: "to",
    offlineTitle: "No connection to the server",
    offlineText: "This screen is not up to date right now. Your number stays valid – please wait, we will call you.",
    reconnecting: "Reconnecting …",
    soundOn: "Calls are announced",
    soundBlocked: "Sound is off – please tap once",
    speechOff: "No speech voice – calls with gong and screen",
    soundOff: "No sound in this browser – calls on screen only",
    soundButton: "Turn sound on",
    soundPrompt: "The browser holds the sound back. Tap once and calls are announced too.",
    soundTest: "Sound test",
    testPhrase: "This is a sound test.",
  },
};

/**
 * The labels for the display's language.
 * @param {string} lang
 * @returns {Record<string, string>}
 */
export function labelsFor(lang) {
  return { ...LABELS.de, ...(LABELS[String(lang || "").toLowerCase()] || {}) };
}
