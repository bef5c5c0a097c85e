package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
// Without it, the version is read from what Go recorded in the binary (see
// describeVersion).
var version = ""

const versionUsage = `Usage: boxoffice version

Prints the version: the one stamped at build time (-ldflags "-X
main.version=v1.2.3"), or else the commit it was built from, as Go records
it when ` + "`go build`" + ` runs in a git checkout.
`

func runVersion(_ context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("version", versionUsage, stdout)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fs.fail("takes no arguments")
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintf(stdout, "boxoffice %s %s %s/%s\n", describeVersion(version, info), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// describeVersion is the stamped version when there is one. Otherwise it
// is the module version Go derived from a tag (v1.2.3), or "dev", and the
// commit Go recorded: "dev (commit 0a1b2c3d4e5f of 2026-12-01T17:26:26Z,
// with uncommitted changes)". go run, a build outside a git checkout and
// -buildvcs=false record none: "dev (no commit recorded: …)".
func describeVersion(stamped string, info *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	v := "dev"
	if info == nil {
		return v + " (no build information)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if mod := info.Main.Version; mod != "" && mod != "(devel)" && !strings.HasPrefix(mod, "v0.0.0-") {
		v = strings.TrimSuffix(mod, "+dirty") // a tag: v1.2.3, or v1.2.4-0.2026…-0a1b2c3d4e5f after one
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		return v + " (no commit recorded: built by go run, outside a git checkout or with -buildvcs=false)"
	}
	s := v + " (commit " + rev[:min(len(rev), 12)]
	if t := settings["vcs.time"]; t != "" {
		s += " of " + t
	}
	if settings["vcs.modified"] == "true" {
		s += ", with uncommitted changes"
	}
	return s + ")"
}
