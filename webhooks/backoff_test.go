package webhooks

import (
	"testing"
	"time"
)

// TestBackoffSpansThreeDays: the schedule is the specification's, each
// wait lengthened by 0 to 10%, and MaxAttempts attempts span at least 75 h
// 35 min 5 s and at most 10% more.
func TestBackoffSpansThreeDays(t *testing.T) {
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
		10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
	if len(want) != MaxAttempts-1 {
		t.Fatalf("%d waits for %d attempts", len(want), MaxAttempts)
	}
	for range 200 {
		var total time.Duration
		for attempt := 1; attempt < MaxAttempts; attempt++ {
			d := Backoff(attempt)
			base := want[attempt-1]
			if d < base || d > base+base/10 {
				t.Fatalf("Backoff(%d) = %v, want %v to %v", attempt, d, base, base+base/10)
			}
			total += d
		}
		const span = 75*time.Hour + 35*time.Minute + 5*time.Second
		if total < span || total > span+span/10 {
			t.Fatalf("the attempts span %v, want about three days (%v)", total, span)
		}
	}
	// Beyond the schedule, and before it, it stays sane.
	if d := Backoff(50); d < 24*time.Hour || d > 27*time.Hour {
		t.Errorf("Backoff(50) = %v", d)
	}
	if d := Backoff(0); d < 5*time.Second || d > 6*time.Second {
		t.Errorf("Backoff(0) = %v", d)
	}
	// The jitter is real: waits differ.
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[Backoff(4)] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 waits after attempt 4 were all equal: no jitter")
	}
}
