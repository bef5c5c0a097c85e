package service

import "time"

// Metrics is what the services report as they work; the metrics package
// implements it for Prometheus.
type Metrics interface {
	// BookingBatch is one group commit: how many requests it decided, how
	// long its transaction took, and whether it failed as a whole.
	BookingBatch(size int, took time.Duration, failed bool)
	// SoldOutRefused is a booking refused from memory, without a
	// transaction, because its event was just seen sold out.
	SoldOutRefused()
	// BookingQueueFull is a booking refused at once (UNAVAILABLE) because
	// its event's queue was longer than could be served in time.
	BookingQueueFull()
	// RateLimited is a request refused by a rate limit: "sign-in",
	// "sign-up", "password change" or "changes".
	RateLimited(limit string)
}

type noMetrics struct{}

func (noMetrics) BookingBatch(int, time.Duration, bool) {}
func (noMetrics) SoldOutRefused()                       {}
func (noMetrics) BookingQueueFull()                     {}
func (noMetrics) RateLimited(string)                    {}
