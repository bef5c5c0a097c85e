// Package metrics is boxoffice's Prometheus metrics (prometheus/client_golang),
// on a registry of their own, served by Handler on a listener of its own
// (METRICS_ADDR). It implements what the services and the GraphQL layer
// report (service.Metrics, graph.Metrics); metric names and their meaning
// are listed in the README.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/boxoffice/boxoffice"
)

// Metrics holds every metric boxoffice exports.
type Metrics struct {
	registry *prometheus.Registry

	operations      *prometheus.CounterVec
	operationErrors *prometheus.CounterVec
	operationTime   *prometheus.HistogramVec
	batchSize       prometheus.Histogram
	batchTime       prometheus.Histogram
	batchesFailed   prometheus.Counter
	soldOutRefused  prometheus.Counter
	queueFull       prometheus.Counter
	rateLimited     *prometheus.CounterVec
	paymentCalls    *prometheus.CounterVec
	paymentCallTime *prometheus.HistogramVec
}

// New returns the metrics, with Go's runtime and the process's own.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_graphql_operations_total",
			Help: "GraphQL operations answered, by type (query, mutation; \"-\" for a document that did not parse or validate) and first root field.",
		}, []string{"type", "field"}),
		operationErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_graphql_errors_total",
			Help: "Errors in GraphQL answers, by type, first root field and extensions.code.",
		}, []string{"type", "field", "code"}),
		operationTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "boxoffice_graphql_operation_duration_seconds",
			Help:    "Time from a GraphQL request's arrival to its answer, by type and first root field.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"type", "field"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "boxoffice_booking_batch_size",
			Help:    "Booking requests decided by one group-commit transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		batchTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "boxoffice_booking_batch_duration_seconds",
			Help:    "Time of one group-commit booking transaction, from its start to its commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 10},
		}),
		batchesFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxoffice_booking_batches_failed_total",
			Help: "Group-commit booking transactions that failed as a whole (every request in them got the error).",
		}),
		soldOutRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxoffice_booking_sold_out_refusals_total",
			Help: "Bookings refused from memory, without a transaction, because their event was just seen sold out.",
		}),
		queueFull: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxoffice_booking_queue_full_refusals_total",
			Help: "Bookings refused at once (UNAVAILABLE) because their event's queue was longer than could be served in time.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_rate_limited_total",
			Help: "Requests refused by a rate limit, by limit (sign-in, sign-up, password change, changes).",
		}, []string{"limit"}),
		paymentCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_payment_provider_calls_total",
			Help: "Calls to the payment provider, by provider, call (create_payment_intent, refund) and outcome (ok; refused: it answered no; failed: no answer, a time-out or a 5xx; shed: refused by the circuit breaker, not made).",
		}, []string{"provider", "call", "outcome"}),
		paymentCallTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "boxoffice_payment_provider_call_duration_seconds",
			Help:    "Time of one call to the payment provider, by provider and call.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "call"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.operations, m.operationErrors, m.operationTime,
		m.batchSize, m.batchTime, m.batchesFailed, m.soldOutRefused, m.queueFull, m.rateLimited,
		m.paymentCalls, m.paymentCallTime,
	)
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Operation counts one GraphQL operation, its duration and its errors'
// codes (graph.Metrics).
func (m *Metrics) Operation(kind, field string, took time.Duration, codes []string) {
	m.operations.WithLabelValues(kind, field).Inc()
	m.operationTime.WithLabelValues(kind, field).Observe(took.Seconds())
	for _, c := range codes {
		m.operationErrors.WithLabelValues(kind, field, c).Inc()
	}
}

// BookingBatch observes one group commit (service.Metrics).
func (m *Metrics) BookingBatch(size int, took time.Duration, failed bool) {
	m.batchSize.Observe(float64(size))
	m.batchTime.Observe(took.Seconds())
	if failed {
		m.batchesFailed.Inc()
	}
}

// SoldOutRefused counts a refusal from memory (service.Metrics).
func (m *Metrics) SoldOutRefused() { m.soldOutRefused.Inc() }

// BookingQueueFull counts a booking refused for its event's queue
// (service.Metrics).
func (m *Metrics) BookingQueueFull() { m.queueFull.Inc() }

// RateLimited counts a refusal by limit (service.Metrics).
func (m *Metrics) RateLimited(limit string) { m.rateLimited.WithLabelValues(limit).Inc() }

// PaymentCall counts one call to a payment provider (payments/stripe's
// Metrics). Calls the breaker shed took no time worth a sample.
func (m *Metrics) PaymentCall(provider, call, outcome string, took time.Duration) {
	m.paymentCalls.WithLabelValues(provider, call, outcome).Inc()
	if outcome != "shed" {
		m.paymentCallTime.WithLabelValues(provider, call).Observe(took.Seconds())
	}
}

var paymentBreakerState = prometheus.NewDesc("boxoffice_payment_provider_breaker_state",
	"The payment provider's circuit breaker: 1 for the state it is in (closed: calls go through; open: refused without a try; half-open: one call probes), 0 for the others.",
	[]string{"provider", "state"}, nil)

// WatchPaymentBreaker exports a payment provider's circuit breaker state,
// read at each scrape from state (one of states).
func (m *Metrics) WatchPaymentBreaker(provider string, states []string, state func() string) {
	m.registry.MustRegister(breakerCollector{provider, states, state})
}

// breakerCollector reads a breaker's state when scraped.
type breakerCollector struct {
	provider string
	states   []string
	state    func() string
}

func (breakerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- paymentBreakerState }

func (c breakerCollector) Collect(ch chan<- prometheus.Metric) {
	current := c.state()
	for _, s := range c.states {
		v := 0.0
		if s == current {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(paymentBreakerState, prometheus.GaugeValue, v, c.provider, s)
	}
}

// WatchPool exports a store's connection pool, read at each scrape.
func (m *Metrics) WatchPool(stats func() boxoffice.PoolStats) {
	m.registry.MustRegister(poolCollector{stats})
}

var (
	poolMax     = prometheus.NewDesc("boxoffice_db_pool_max_connections", "The most connections the database pool opens.", nil, nil)
	poolOpen    = prometheus.NewDesc("boxoffice_db_pool_open_connections", "Connections open now, in use or idle.", nil, nil)
	poolInUse   = prometheus.NewDesc("boxoffice_db_pool_in_use_connections", "Connections in use now.", nil, nil)
	poolWaits   = prometheus.NewDesc("boxoffice_db_pool_waits_total", "Acquisitions that had to wait for a connection.", nil, nil)
	poolWaiting = prometheus.NewDesc("boxoffice_db_pool_wait_seconds_total", "Time spent waiting for a connection, in all.", nil, nil)
)

// poolCollector reads the pool's numbers when scraped.
type poolCollector struct{ stats func() boxoffice.PoolStats }

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolMax, poolOpen, poolInUse, poolWaits, poolWaiting} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns))
	ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConns))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(poolWaiting, prometheus.CounterValue, s.WaitDuration.Seconds())
}

var dependencyState = prometheus.NewDesc("boxoffice_dependency_state",
	"A dependency's state (database, redis…): 1 for the state it is in, 0 for the others.", []string{"dependency", "state"}, nil)

// WatchDependencies exports each dependency's state, read at each scrape
// from read (dependency name to state, one of states).
func (m *Metrics) WatchDependencies(states []string, read func() map[string]string) {
	m.registry.MustRegister(dependencyCollector{states, read})
}

// dependencyCollector reads the dependencies' states when scraped.
type dependencyCollector struct {
	states []string
	read   func() map[string]string
}

func (dependencyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- dependencyState }

func (c dependencyCollector) Collect(ch chan<- prometheus.Metric) {
	for name, current := range c.read() {
		for _, s := range c.states {
			v := 0.0
			if s == current {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(dependencyState, prometheus.GaugeValue, v, name, s)
		}
	}
}
