package loadtest

import (
	"time"
)

// uncertainCode tells the codes after which a booking may have been
// made after all: faults rather than decisions.
func uncertainCode(code string) bool {
	switch code {
	case "SOLD_OUT", "NOT_FOUND", "CONFLICT", "BAD_USER_INPUT", "BAD_REQUEST",
		"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "COMPLEXITY_LIMIT_EXCEEDED",
		"UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED":
		return false
	}
	return true
}

func (w *worker) graphQLError(e gqlError, measured bool) {
	w.live.errors.Add(1)
	if !measured {
		return
	}
	code := e.code()
	w.st.errs[code]++
	if _, ok := w.st.samples[code]; !ok {
		w.st.samples[code] = e.Message
	}
}

func (w *worker) transportError(class string, measured bool) {
	w.live.errors.Add(1)
	w.st.failedAll++
	if measured {
		w.st.transport[class]++
	}
	// Do not spin on a server that is down.
	if class == "connection refused" {
		time.Sleep(10 * time.Millisecond)
	}
}
