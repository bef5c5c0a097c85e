package server

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// The states of a dependency, as /readyz and the metrics report them.
const (
	StateReady    = "ready"    // working as configured
	StateDegraded = "degraded" // working, on a fallback or in part (Redis down: limits counted in memory)
	StateDown     = "down"     // not working
)

// States lists the states a dependency can be in.
var States = []string{StateReady, StateDegraded, StateDown}

// Check is a dependency that /readyz reports: the database, Redis, and
// whatever comes next (a message bus, mail, a payment provider). Only a
// Critical dependency that is down makes the server unready; the others
// degrade what they serve, not everything.
type Check struct {
	Name     string // "database", "redis"…: the key in /readyz and the metric's label
	Critical bool
	// Probe returns the dependency's state now. It must be quick and
	// honour ctx: /readyz gives every probe 2 s in all, at the same time.
	Probe func(ctx context.Context) Status
}

// PingCheck is a dependency that is ready while ping succeeds, and down
// (detail "unreachable", the error logged) while it fails.
func PingCheck(name string, critical bool, ping func(ctx context.Context) error) Check {
	return Check{Name: name, Critical: critical, Probe: func(ctx context.Context) Status {
		if err := ping(ctx); err != nil {
			return Status{State: StateDown, Detail: "unreachable", Err: err}
		}
		return Status{State: StateReady}
	}}
}

// Status is a dependency's state.
type Status struct {
	State  string `json:"state"`            // StateReady, StateDegraded or StateDown
	Detail string `json:"detail,omitempty"` // for operators, shown by /readyz: nothing secret, no driver text
	Err    error  `json:"-"`                // the cause, logged and never shown
}

// Readiness is the /readyz answer: "ready" when every dependency is,
// "unavailable" (HTTP 503) when a critical one is down, else "degraded".
type Readiness struct {
	Status       string            `json:"status"`
	Dependencies map[string]Status `json:"dependencies"`
}

// The values of Readiness.Status.
const (
	Ready       = "ready"
	Degraded    = "degraded"
	Unavailable = "unavailable"
)

// health runs the checks, and logs each dependency's changes of state once.
type health struct {
	checks []Check
	log    *slog.Logger

	mu   sync.Mutex
	last map[string]string // the state each dependency was last seen in
}

func newHealth(checks []Check, log *slog.Logger) *health {
	return &health{checks: checks, log: log, last: map[string]string{}}
}

// probeLimit bounds a probe run: a dependency that has not answered by then
// is down.
const probeLimit = 2 * time.Second

// probe runs every check at once, each until ctx ends, and reports.
func (h *health) probe(ctx context.Context) Readiness {
	ctx, cancel := context.WithTimeout(ctx, probeLimit)
	defer cancel()
	results := make(chan struct {
		i int
		s Status
	}, len(h.checks))
	for i, c := range h.checks {
		go func() {
			results <- struct {
				i int
				s Status
			}{i, c.Probe(ctx)}
		}()
	}
	statuses := make([]Status, len(h.checks))
	for i := range statuses {
		statuses[i] = Status{State: StateDown, Detail: "no answer within " + probeLimit.String()}
	}
collect:
	for range h.checks {
		select {
		case r := <-results:
			statuses[r.i] = r.s
		case <-ctx.Done():
			break collect
		}
	}

	out := Readiness{Status: Ready, Dependencies: make(map[string]Status, len(h.checks))}
	for i, c := range h.checks {
		s := statuses[i]
		out.Dependencies[c.Name] = s
		switch {
		case s.State == StateDown && c.Critical:
			out.Status = Unavailable
		case s.State != StateReady && out.Status == Ready:
			out.Status = Degraded
		}
		h.changed(c.Name, s)
	}
	return out
}

// changed logs a dependency's new state: a warning when it leaves ready,
// info when it is back.
func (h *health) changed(name string, s Status) {
	h.mu.Lock()
	from, seen := h.last[name]
	h.last[name] = s.State
	h.mu.Unlock()
	if from == s.State || (!seen && s.State == StateReady) {
		return
	}
	attrs := []any{"dependency", name, "from", from, "to", s.State}
	if s.Detail != "" {
		attrs = append(attrs, "detail", s.Detail)
	}
	if s.Err != nil {
		attrs = append(attrs, "err", s.Err.Error())
	}
	if s.State == StateReady {
		h.log.Info("dependency ready again", attrs...)
		return
	}
	h.log.Warn("dependency "+s.State, attrs...)
}

// states is each dependency's state, for the metrics.
func (h *health) states(ctx context.Context) map[string]string {
	r := h.probe(ctx)
	out := make(map[string]string, len(r.Dependencies))
	for name, s := range r.Dependencies {
		out[name] = s.State
	}
	return out
}
