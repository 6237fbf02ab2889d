// Package console embeds the counsellors' desk console. The server serves
// index.html at /console and every other file at /console/<path>.
package console

import "embed"

// Files holds the console page, its scripts and styles.
//
//go:embed *.html *.js *.css
var Files embed.FS
