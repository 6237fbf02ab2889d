package main

import "runtime/debug"

// version is stamped at build time:
//
//	go build -ldflags "-X main.version=1.4.0" ./server
//
// deploy/build-release.sh does it. Empty means "ask the build info".
var version string

// versionString is the version this binary reports: the stamped one, else
// the module version or VCS revision Go recorded, else "devel".
func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" {
		return "devel-" + rev[:min(12, len(rev))] + dirty
	}
	return "devel"
}

// isVersionArg tells whether args ask for the version (--version or the
// command "version").
func isVersionArg(args []string) bool {
	return len(args) > 0 && (args[0] == "version" || args[0] == "--version" || args[0] == "-version")
}
