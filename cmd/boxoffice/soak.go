package main

import (
	"flag"
	"io"
	"os"

	"github.com/boxoffice/boxoffice/loadtest"
)

// soakFlags adds bench's soak flags to fs. The function it returns makes
// the loadtest.Soak they ask for, or nil without -soak: its lines go to
// stdout, or to stderr when stdout holds the JSON report.
func soakFlags(fs *flag.FlagSet) func(stdout io.Writer, jsonOut bool) *loadtest.Soak {
	var (
		duration = fs.Duration("soak", 0, "soak: load for this long instead of -d (up to "+loadtest.MaxSoakDuration.String()+
			"), printing throughput, p99, server memory and goroutines every -every; best with mixed")
		every   = fs.Duration("every", loadtest.DefaultSoakStep, "soak: the interval of its lines")
		metrics = fs.String("metrics", "", "soak: the server's Prometheus endpoint (METRICS_ADDR), e.g. http://127.0.0.1:9090/metrics, for its memory and goroutines")
	)
	return func(stdout io.Writer, jsonOut bool) *loadtest.Soak {
		if *duration == 0 {
			return nil
		}
		s := &loadtest.Soak{Duration: *duration, Every: *every, MetricsURL: *metrics, Out: stdout}
		if jsonOut {
			s.Out = os.Stderr
		}
		return s
	}
}
