// Package phone embeds the phone status page served under /t/.
package phone

import "embed"

// Files are the page and its assets.
//
//go:embed *.html *.js *.css
var Files embed.FS
