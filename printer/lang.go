package printer

import "strings"

// policyDE is the German policy sentence printed on every slip.
const policyDE = "Wir rufen Ihre Nummer auf dem Bildschirm und per Lautsprecher auf."

// policyTranslations holds the policy sentence in the kiosk languages whose
// script fpdf prints correctly (Latin, Cyrillic, Greek), keyed by primary
// language subtag. Languages in Arabic script (ar, fa, prs, ps, ckb, ur) and
// Tigrinya (Ethiopic, not in DejaVu Sans) are missing on purpose: fpdf cannot
// shape them, so their slips carry German and language-neutral content only.
//
// MACHINE-WRITTEN: these translations were written by a program, not by a
// native speaker. Have a fluent reader check each line before relying on it.
var policyTranslations = map[string]string{
	"en": "We will call your number on the screen and over the loudspeaker.",
	"tr": "Numaranızı ekranda ve hoparlörden çağıracağız.",
	"ro": "Vă vom chema numărul pe ecran și prin difuzor.",
	"bg": "Ще извикаме номера Ви на екрана и по високоговорителя.",
	"pl": "Numer zostanie wywołany na ekranie i przez głośnik.",
	"el": "Θα καλέσουμε τον αριθμό σας στην οθόνη και από τα μεγάφωνα.",
	"it": "Il Suo numero verrà chiamato sullo schermo e con l’altoparlante.",
	"hr": "Vaš broj ćemo prozvati na ekranu i preko zvučnika.",
	"uk": "Ми викличемо Ваш номер на екрані та через гучномовець.",
	"ru": "Мы вызовем Ваш номер на экране и через громкоговоритель.",
	"ku": "Em ê hejmara we li ser ekranê û bi bilindgoyê bang bikin.",
	"so": "Lambarkaaga waxaan ku dhawaaqi doonnaa shaashadda iyo sameecadda.",
	"es": "Llamaremos su número en la pantalla y por el altavoz.",
	"fr": "Nous appellerons votre numéro à l’écran et par haut-parleur.",
}

// langAliases maps primary subtags that share a table entry.
var langAliases = map[string]string{
	"bs":  "hr", // the kiosk offers Hrvatski/Bosanski/Srpski as one language
	"sr":  "hr", // Serbian readers read Latin script too
	"sh":  "hr",
	"cnr": "hr",
	"kmr": "ku", // Kurmancî; Sorani (ckb) is written in Arabic script
}

// printableScripts are the BCP 47 script subtags fpdf prints correctly.
var printableScripts = map[string]bool{"latn": true, "cyrl": true, "grek": true}

// policyTranslation returns the policy sentence in the language of the BCP 47
// tag lang, or "" when there is none the slip can print. German ("de") has
// none: the German sentence is always printed.
func policyTranslation(lang string) string {
	parts := strings.FieldsFunc(strings.ToLower(strings.TrimSpace(lang)), func(r rune) bool {
		return r == '-' || r == '_'
	})
	if len(parts) == 0 {
		return ""
	}
	base := parts[0]
	// A script subtag outside Latin, Cyrillic and Greek (ku-Arab, az-Arab)
	// means the visitor reads a script the slip cannot print. Four letters
	// starting with a letter can only be a script: variants start with a digit.
	for _, p := range parts[1:] {
		if len(p) == 4 && p[0] >= 'a' && p[0] <= 'z' && !printableScripts[p] {
			return ""
		}
	}
	if a, ok := langAliases[base]; ok {
		base = a
	}
	return policyTranslations[base]
}
