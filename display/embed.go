// Package display embeds the call display's web files. The server serves
// index.html at /display and every other file at /display/<path>.
package display

import "embed"

// Files holds the display page, its scripts and styles.
//
//go:embed *.html *.js *.css
var Files embed.FS
