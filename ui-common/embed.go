// Package uicommon embeds the web files shared by the kiosk, the display and
// the console: the API helper, the event-stream client with its queue model,
// the list of default lines and the base stylesheet. The server serves them
// under /common/.
package uicommon

import "embed"

// Files holds the shared ES modules and stylesheets.
//
//go:embed *.js *.css
var Files embed.FS
