// Package phone embeds the phone status page served under /t/: the page at
// /t/{token}, its files at /t/static/…, its translations in i18n/.
package phone

import "embed"

// Files are the page and its assets.
//
//go:embed *.html *.js *.css *.svg i18n/*.js
var Files embed.FS
