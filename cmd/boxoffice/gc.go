package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is serve's garbage-collection target when GOGC is not
// set. The server's live heap is a few megabytes, while every request
// allocates tens of kilobytes that are garbage when it ends, so at Go's
// default (100) the collector runs many times a second and takes about a
// fifth of the CPU. At 400 the heap may grow to five times the live data,
// still tens of megabytes, and reads gain about a quarter
// (docs/benchmarks.md). GOGC, when set, wins, as with any Go program.
const defaultGCPercent = 400

func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
