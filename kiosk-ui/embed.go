// Package kioskui embeds the kiosk's web files. The server serves index.html
// at /kiosk and every other file at /kiosk/<path>.
package kioskui

import "embed"

// Files holds the kiosk page, its scripts, styles, translations, icons and
// fonts (with their licence). testdata/ is for the tests only.
//
//go:embed *.html *.js *.css i18n/*.js icons/*.svg fonts/*.ttf fonts/OFL.txt
var Files embed.FS
