//go:build !unix

package app

import "os"

// flock is a no-op where there is no flock(2): restore then cannot tell a
// running service; stop it first.
func flock(*os.File, bool) error { return nil }
