package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/boxoffice/boxoffice/mail"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/webhooks"
)

// defaultAttempts are the attempts of the notification jobs: an email is
// retried with River's backoff (attempt⁴ seconds: the 12th attempt comes
// about 11 hours after the first), a webhook on the Standard Webhooks
// schedule of about three days. Then the job is discarded, visible in
// `boxoffice jobs`, and can be retried by hand.
var defaultAttempts = map[string]int{
	service.SendMailJob{}.Kind():       12,
	service.DeliverWebhookJob{}.Kind(): webhooks.MaxAttempts,
}

// mailOutcome turns a send error that no retry can cure (mail.Permanent:
// the server refused the address or the message) into a job discarded at
// once, so it is kept visible in `boxoffice jobs` as failed rather than
// retried for hours to the same answer.
func mailOutcome(err error) error {
	if err != nil && mail.Permanent(err) {
		return river.JobCancel(err)
	}
	return err
}

// webhookWorker delivers webhooks, each retry after the wait the attempt
// asked for (webhooks.Backoff, or the endpoint's Retry-After), which is
// also the next attempt's time shown in Webhook.deliveries.
type webhookWorker struct {
	river.WorkerDefaults[service.DeliverWebhookJob]
	q          *Queue
	retryDelay func(attempt int) time.Duration // tests: overrides the wait
	waits      sync.Map                        // job id -> time.Time of the next attempt, from Work to NextRetry
}

func (w *webhookWorker) Work(ctx context.Context, j *river.Job[service.DeliverWebhookJob]) error {
	wait, err := w.q.handlers.DeliverWebhook(ctx, j.Args.DeliveryID, j.Attempt, j.MaxAttempts)
	if err != nil && j.Attempt < j.MaxAttempts { // the last failure is discarded: no next attempt to time
		w.waits.Store(j.ID, time.Now().Add(wait))
	}
	return err
}

func (w *webhookWorker) NextRetry(j *river.Job[service.DeliverWebhookJob]) time.Time {
	if w.retryDelay != nil {
		w.waits.Delete(j.ID)
		return time.Now().Add(w.retryDelay(j.Attempt))
	}
	if at, ok := w.waits.LoadAndDelete(j.ID); ok {
		return at.(time.Time)
	}
	return time.Now().Add(webhooks.Backoff(j.Attempt))
}
