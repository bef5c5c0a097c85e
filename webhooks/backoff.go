package webhooks

import (
	"math/rand/v2"
	"time"
)

// schedule is the wait before each retry: the Standard Webhooks
// specification's example, which spans a little over three days (75 h
// 35 min 5 s from the first attempt to the last), long enough for a
// receiver to come back from a weekend outage. schedule[0] follows the
// first attempt, which is made at once.
var schedule = []time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	14 * time.Hour,
	20 * time.Hour,
	24 * time.Hour,
}

// MaxAttempts is how many times a delivery is tried, the first included:
// the job's MaxAttempts. After the last failure, the delivery is given up.
const MaxAttempts = 10

// Backoff is the wait after the attempt-th failed attempt (1 for the
// first) before the next: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h,
// 24 h, and 24 h after that. Each is lengthened by a random 0 to 10%, as
// the specification recommends, so that deliveries failing together (a
// receiver's outage) do not all come back at the same instant. It is
// River's NextRetry in the shape River wants once wrapped:
//
//	func (w *Worker) NextRetry(job *river.Job[Args]) time.Time {
//		return time.Now().Add(webhooks.Backoff(job.Attempt))
//	}
func Backoff(attempt int) time.Duration {
	i := min(max(attempt, 1), len(schedule)) - 1
	d := schedule[i]
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}
