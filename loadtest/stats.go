package loadtest

import "time"

// stats is one worker's record, merged at the end.
type stats struct {
	hist      [opCount]histogram
	requests  [opCount]int64 // in the measured window
	ok        [opCount]int64
	errs      map[string]int64 // by extensions.code, measured window
	samples   map[string]string
	transport map[string]int64 // exchanges without a GraphQL answer, measured window

	// Whole run, warm-up included, for the verification.
	acked     []int64 // tickets acknowledged per event
	uncertain []int64 // tickets of bookings whose outcome is unknown
	attempts  []int64
	failedAll int64 // requests without a GraphQL answer, warm-up included

	// onsale: tickets of the holds paid (the server answered CONFIRMED)
	// and of the payments whose outcome is unknown, per event; holds the
	// server confirmed at once (it takes no payments).
	paid, payUncertain []int64
	confirmedAtOnce    int64
	holdTime, payTime  time.Duration // each phase's time, set on the merged stats
}

func newStats(events int) *stats {
	return &stats{
		errs: map[string]int64{}, samples: map[string]string{}, transport: map[string]int64{},
		acked: make([]int64, events), uncertain: make([]int64, events), attempts: make([]int64, events),
		paid: make([]int64, events), payUncertain: make([]int64, events),
	}
}

func (s *stats) merge(o *stats) {
	for i := range s.hist {
		s.hist[i].merge(&o.hist[i])
		s.requests[i] += o.requests[i]
		s.ok[i] += o.ok[i]
	}
	for k, v := range o.errs {
		s.errs[k] += v
	}
	for k, v := range o.samples {
		if _, ok := s.samples[k]; !ok {
			s.samples[k] = v
		}
	}
	for k, v := range o.transport {
		s.transport[k] += v
	}
	for i := range s.acked {
		s.acked[i] += o.acked[i]
		s.uncertain[i] += o.uncertain[i]
		s.attempts[i] += o.attempts[i]
		s.paid[i] += o.paid[i]
		s.payUncertain[i] += o.payUncertain[i]
	}
	s.failedAll += o.failedAll
	s.confirmedAtOnce += o.confirmedAtOnce
}
