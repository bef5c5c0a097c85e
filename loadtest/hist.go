package loadtest

import (
	"math/bits"
	"time"
)

// histogram records latencies in microseconds in log-linear buckets, as
// HdrHistogram does: values below 2^subBits µs exactly, larger ones with
// subBits bits of precision (under 1% error). It takes no lock: each worker
// has its own, merged at the end.
type histogram struct {
	counts [histBuckets]int64
	n      int64
	sum    int64 // µs
	max    int64 // µs
}

const (
	subBits     = 7
	subCount    = 1 << subBits
	maxBits     = 36 // values are clamped below 2^36 µs, about 19 hours
	histBuckets = (maxBits - subBits + 1) * subCount
)

func bucketOf(v uint64) int {
	l := bits.Len64(v)
	if l <= subBits {
		return int(v)
	}
	s := l - subBits - 1 // shift that leaves subBits+1 significant bits
	return (s+1)<<subBits + int(v>>uint(s)) - subCount
}

// bucketHigh is the largest value that falls in bucket i.
func bucketHigh(i int) int64 {
	s := i>>subBits - 1
	if s < 0 {
		return int64(i)
	}
	low := uint64(subCount+i&(subCount-1)) << uint(s)
	return int64(low + 1<<uint(s) - 1)
}

func (h *histogram) record(d time.Duration) {
	us := d.Microseconds()
	us = min(max(us, 0), 1<<maxBits-1)
	h.counts[bucketOf(uint64(us))]++
	h.n++
	h.sum += us
	if us > h.max {
		h.max = us
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the latency at or below which a fraction q of the
// recorded values fall (the bucket's upper edge, at most the maximum).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketHigh(i), h.max)) * time.Microsecond
		}
	}
	return time.Duration(h.max) * time.Microsecond
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum/h.n) * time.Microsecond
}
