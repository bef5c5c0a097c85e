// Package jobs runs boxoffice's background work on River
// (riverqueue/river), in the database the stores use: jobs are rows
// inserted in the transaction of the change that calls for them, worked by
// whichever server fetches them first, retried with exponential backoff,
// and kept as discarded when their attempts run out, until an operator
// retries them (boxoffice jobs). Periodic work (expiring holds, pruning
// kept answers) runs on one server at a time: River's leader.
//
// The job types and the code that does them are the services'; this
// package only connects them to River, once per engine (New takes the
// engine's River driver).
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/service"
)

// Handlers do the jobs: the services, once they exist (Queue.Work).
type Handlers interface {
	ApplyPaymentEvent(ctx context.Context, ev boxoffice.PaymentEvent) error
	Refund(ctx context.Context, paymentID string) error
	PreparePayment(ctx context.Context, paymentID string) error
	ExpireHolds(ctx context.Context) (int, error)
	PruneIdempotencyKeys(ctx context.Context) (int, error)
	RelayChanges(ctx context.Context) (int, error)
	SendReminders(ctx context.Context) (int, error)
	SendMail(ctx context.Context, j service.SendMailJob) error
	DeliverWebhook(ctx context.Context, deliveryID string, attempt, most int) (time.Duration, error)
}

// Config tunes a Queue.
type Config struct {
	Schema  string // the PostgreSQL schema of River's tables; "" elsewhere
	Workers int    // jobs worked at once by this server (default 10)
	// NotifyWorkers is how many email and webhook jobs this server works
	// at once (default 1): rendering a confirmation's PDF costs CPU that
	// an on-sale's bookings need, so they drain after the rush instead.
	NotifyWorkers int
	Poll          time.Duration // how often to look for jobs where the engine cannot say (SQLite; default 100ms)
	Expire        time.Duration // how often holds that ran out are expired (default 1s)
	Relay         time.Duration // how often changes are relayed to email, webhooks and NATS (default 1s)
	Remind        time.Duration // how often reminders of the next day's events are queued (default 10m)
	Logger        *slog.Logger
	// AttemptsOf overrides River's 25 attempts for some kinds, for tests.
	AttemptsOf map[string]int
	// RetryDelay is the wait after a job's attempt-th failure; nil:
	// River's (attempt⁴ seconds, with jitter). For tests.
	RetryDelay func(attempt int) time.Duration
}

// Queue is the job queue: boxoffice.JobQueue, and what serve and the
// jobs command need of River.
type Queue struct {
	client   riverClient
	insertTx func(ctx context.Context, tx boxoffice.Tx, params []river.InsertManyParams) error
	handlers Handlers
	log      *slog.Logger
}

var _ boxoffice.JobQueue = (*Queue)(nil)

// riverClient is what Queue uses of River's client, whatever its
// transaction type.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// New returns the queue of an engine: driver is its River driver; the
// store transactions' Native value must be the driver's transaction type.
// It works nothing until Work.
func New[TTx any](driver riverdriver.Driver[TTx], cfg Config) (*Queue, error) {
	q := &Queue{log: cfg.Logger}
	if q.log == nil {
		q.log = slog.Default()
	}
	workers := river.NewWorkers()
	attempts := func(kind string) int {
		if n := cfg.AttemptsOf[kind]; n > 0 {
			return n
		}
		return defaultAttempts[kind]
	}
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[service.DeliverPaymentEventJob]) error {
		return q.handlers.ApplyPaymentEvent(ctx, j.Args.Event)
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[service.RefundJob]) error {
		return waitForProvider(q.handlers.Refund(ctx, j.Args.PaymentID))
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[service.PreparePaymentJob]) error {
		return waitForProvider(q.handlers.PreparePayment(ctx, j.Args.PaymentID))
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[service.ExpireHoldsJob]) error {
		n, err := q.handlers.ExpireHolds(ctx)
		if n > 0 {
			q.log.InfoContext(ctx, "expired holds that ran out", "count", n)
		}
		return err
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[service.PruneIdempotencyKeysJob]) error {
		_, err := q.handlers.PruneIdempotencyKeys(ctx)
		return err
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[service.RelayChangesJob]) error {
		_, err := q.handlers.RelayChanges(ctx)
		return err
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[service.SendRemindersJob]) error {
		_, err := q.handlers.SendReminders(ctx)
		return err
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[service.SendMailJob]) error {
		return mailOutcome(q.handlers.SendMail(ctx, j.Args))
	}))
	river.AddWorker(workers, &webhookWorker{q: q, retryDelay: cfg.RetryDelay})
	var retry river.ClientRetryPolicy
	if cfg.RetryDelay != nil {
		retry = retryPolicy(cfg.RetryDelay)
	}
	client, err := river.NewClient(driver, &river.Config{
		RetryPolicy: retry,
		Schema:      cfg.Schema,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cmp.Or(cfg.Workers, 10)},
			QueueNotifications: {MaxWorkers: cmp.Or(cfg.NotifyWorkers, 1)},
		},
		Workers:           workers,
		FetchPollInterval: cmp.Or(cfg.Poll, 100*time.Millisecond),
		// A buyer waits for the job that applies their payment's answer,
		// so a queue fetches again as soon as 5 ms after its last fetch:
		// River's default, 100 ms, let ten workers take at most about a
		// hundred jobs a second, which capped an on-sale's payments there.
		FetchCooldown: min(5*time.Millisecond, cmp.Or(cfg.Poll, 100*time.Millisecond)),
		Logger:        q.log,
		JobTimeout:    time.Minute,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cmp.Or(cfg.Expire, time.Second)), func() (river.JobArgs, *river.InsertOpts) {
				return service.ExpireHoldsJob{}, &river.InsertOpts{MaxAttempts: 1}
			}, &river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return service.PruneIdempotencyKeysJob{}, &river.InsertOpts{MaxAttempts: 3}
			}, &river.PeriodicJobOpts{RunOnStart: true}),
			// One run at a time is enough (it claims its changes, so two
			// would not clash); a failed run is the next run's to redo.
			river.NewPeriodicJob(river.PeriodicInterval(cmp.Or(cfg.Relay, time.Second)), func() (river.JobArgs, *river.InsertOpts) {
				return service.RelayChangesJob{}, &river.InsertOpts{MaxAttempts: 1}
			}, &river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cmp.Or(cfg.Remind, 10*time.Minute)), func() (river.JobArgs, *river.InsertOpts) {
				return service.SendRemindersJob{}, &river.InsertOpts{MaxAttempts: 1, Queue: QueueNotifications}
			}, &river.PeriodicJobOpts{RunOnStart: true}),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	q.client = client
	q.insertTx = func(ctx context.Context, tx boxoffice.Tx, params []river.InsertManyParams) error {
		native, err := tx.Native(ctx)
		if err != nil {
			return err
		}
		ttx, ok := native.(TTx)
		if !ok {
			return fmt.Errorf("jobs: the store's transaction is a %T, River's driver wants another", native)
		}
		for i := range params {
			opts := &river.InsertOpts{Queue: queueOf(params[i].Args.Kind())}
			if n := attempts(params[i].Args.Kind()); n > 0 {
				opts.MaxAttempts = n
			}
			if j, ok := params[i].Args.(Scheduled); ok {
				opts.ScheduledAt = j.RunAt() // zero: at once
			}
			params[i].InsertOpts = opts
		}
		_, err = client.InsertManyTx(ctx, ttx, params)
		return err
	}
	return q, nil
}

// Scheduled is a job that says when it is first worked
// (service.PreparePaymentJob): rather than being worked at once to
// answer that it is not its time yet, which costs a fetch and an update.
type Scheduled interface {
	RunAt() time.Time
}

// QueueNotifications is the River queue of email and webhook deliveries,
// with workers of its own (Config.NotifyWorkers): an on-sale's thousands
// of confirmation emails (each rendering a PDF) never hold up the payment
// answers, refunds and expiry of the default queue, and take at most that
// many cores from the bookings.
const QueueNotifications = "notifications"

// queueOf is the queue of a job kind.
func queueOf(kind string) string {
	switch kind {
	case service.SendMailJob{}.Kind(), service.DeliverWebhookJob{}.Kind(), service.SendRemindersJob{}.Kind():
		return QueueNotifications
	}
	return river.QueueDefault
}

// waitForProvider turns the error of a payment provider whose circuit
// breaker is open (boxoffice.ErrProviderShedding) into a snooze until the
// breaker lets a call through again, with a jitter of up to a quarter so
// that the jobs waiting do not all come back at once, and a job's answer
// that it is not its time yet (service.Later) into a snooze of its wait.
// A snooze spends no attempt: the work waits out an outage of any length
// and is done when the provider answers. Other errors are retried with
// backoff, as usual.
func waitForProvider(err error) error {
	var later *service.Later
	if errors.As(err, &later) {
		return river.JobSnooze(later.Wait)
	}
	if !errors.Is(err, boxoffice.ErrProviderShedding) {
		return err
	}
	d := max(boxoffice.ErrorRetryAfter(err), 100*time.Millisecond)
	return river.JobSnooze(d + rand.N(d/4+1))
}

// retryPolicy is a River retry policy with the wait given by attempt.
type retryPolicy func(attempt int) time.Duration

func (r retryPolicy) NextRetry(j *rivertype.JobRow) time.Time {
	return time.Now().Add(r(j.Attempt))
}

// EnqueueTx adds jobs in the store transaction tx.
func (q *Queue) EnqueueTx(ctx context.Context, tx boxoffice.Tx, jobs ...boxoffice.Job) error {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		args, ok := j.(river.JobArgs)
		if !ok {
			return fmt.Errorf("jobs: %T is not a job", j)
		}
		params[i] = river.InsertManyParams{Args: args}
	}
	if err := q.insertTx(ctx, tx, params); err != nil {
		return fmt.Errorf("jobs: enqueue: %w", err)
	}
	return nil
}

// Work starts working jobs with h, until Stop.
func (q *Queue) Work(ctx context.Context, h Handlers) error {
	q.handlers = h
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop lets the jobs running finish until ctx ends, then cancels them:
// a cancelled job is retried later, by this server or another.
func (q *Queue) Stop(ctx context.Context) error {
	if q.handlers == nil {
		return nil // never started
	}
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return q.client.StopAndCancel(stopCtx)
	}
	return err
}

// Job is a job as an operator sees it.
type Job struct {
	ID          int64
	Kind        string
	State       string // available, running, retryable, discarded, completed, …
	Attempt     int
	MaxAttempts int
	Errors      []string // one per failed attempt, oldest first
	Args        string   // the job's arguments, as JSON
	CreatedAt   time.Time
	NextAt      time.Time // retryable: when it runs again
}

// Failed lists the jobs that failed: retryable ones (waiting for another
// attempt), discarded ones (out of attempts) and cancelled ones (given up
// at once: an email the server refused for good), newest first.
func (q *Queue) Failed(ctx context.Context, limit int) ([]Job, error) {
	res, err := q.client.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateRetryable, rivertype.JobStateDiscarded, rivertype.JobStateCancelled).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	out := make([]Job, len(res.Jobs))
	for i, j := range res.Jobs {
		out[i] = jobOf(j)
	}
	return out, nil
}

// Retry makes a failed job run again at once, with fresh attempts.
func (q *Queue) Retry(ctx context.Context, id int64) (Job, error) {
	j, err := q.client.JobRetry(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, boxoffice.Errorf(boxoffice.ENOTFOUND, "no job %d", id)
	} else if err != nil {
		return Job{}, fmt.Errorf("jobs: retry %d: %w", id, err)
	}
	return jobOf(j), nil
}

// Get returns a job.
func (q *Queue) Get(ctx context.Context, id int64) (Job, error) {
	j, err := q.client.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, boxoffice.Errorf(boxoffice.ENOTFOUND, "no job %d", id)
	} else if err != nil {
		return Job{}, fmt.Errorf("jobs: get %d: %w", id, err)
	}
	return jobOf(j), nil
}

func jobOf(j *rivertype.JobRow) Job {
	out := Job{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		Args: string(j.EncodedArgs), CreatedAt: j.CreatedAt, NextAt: j.ScheduledAt}
	for _, e := range j.Errors {
		out.Errors = append(out.Errors, e.Error)
	}
	return out
}
