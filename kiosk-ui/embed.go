// Package kioskui embeds the kiosk's web files. The server serves index.html
// at /kiosk and every other file at /kiosk/<path>.
package kioskui

import "embed"

// Files holds the kiosk page, its scripts, styles, translations and icons.
//
//go:embed *.html *.js *.css i18n/*.js icons/*.svg
var Files embed.FS
