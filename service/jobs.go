package service

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Background work, as jobs (boxoffice.JobQueue): each is enqueued in the
// transaction of the change that calls for it, retried with backoff, and
// done by the method named.
type (
	// DeliverPaymentEventJob hands a provider's answer to
	// Bookings.ApplyPaymentEvent: the test provider answers this way, as
	// a real one answers by webhook.
	DeliverPaymentEventJob struct {
		Event boxoffice.PaymentEvent `json:"event"`
	}
	// RefundJob refunds what is left of a payment (Bookings.Refund).
	RefundJob struct {
		PaymentID string `json:"payment_id"`
	}
	// ExpireHoldsJob expires the holds that ran out (Bookings.ExpireHolds);
	// periodic.
	ExpireHoldsJob struct{}
	// PruneIdempotencyKeysJob drops the answers kept for Idempotency-Key
	// retries after a day (Services.PruneIdempotencyKeys); periodic.
	PruneIdempotencyKeysJob struct{}
	// RelayChangesJob turns committed changes into emails, webhook
	// deliveries and event-stream messages (Notifications.RelayChanges);
	// periodic.
	RelayChangesJob struct{}
	// SendMailJob sends one email about a change (Notifications.SendMail):
	// Template names the message (mail/templates), To the user it goes to.
	SendMailJob struct {
		Change   boxoffice.Change `json:"change"`
		Template string           `json:"template"`
		To       string           `json:"to"`
	}
	// SendRemindersJob queues the reminders of the events of the next day
	// (Notifications.SendReminders); periodic.
	SendRemindersJob struct{}
	// DeliverWebhookJob delivers a change to one webhook
	// (Notifications.DeliverWebhook), retried over about three days.
	DeliverWebhookJob struct {
		DeliveryID string `json:"delivery_id"`
	}
)

func (DeliverPaymentEventJob) Kind() string  { return "deliver_payment_event" }
func (RefundJob) Kind() string               { return "refund" }
func (ExpireHoldsJob) Kind() string          { return "expire_holds" }
func (PruneIdempotencyKeysJob) Kind() string { return "prune_idempotency_keys" }
func (RelayChangesJob) Kind() string         { return "relay_changes" }
func (SendMailJob) Kind() string             { return "send_mail" }
func (DeliverWebhookJob) Kind() string       { return "deliver_webhook" }
func (SendRemindersJob) Kind() string        { return "send_reminders" }

// IdempotencyKeyTTL is how long an answer is kept for retries with the
// same Idempotency-Key.
const IdempotencyKeyTTL = 24 * time.Hour

// The services do the jobs (the jobs package's Handlers).

func (s *Services) ApplyPaymentEvent(ctx context.Context, ev boxoffice.PaymentEvent) error {
	return s.Bookings.ApplyPaymentEvent(ctx, ev)
}

func (s *Services) Refund(ctx context.Context, paymentID string) error {
	return s.Bookings.Refund(ctx, paymentID)
}

// ExpireHolds does ExpireHoldsJob, every second: it skips while a sweep
// of this server's is still running (Bookings.ExpireHolds waits for it).
// Then it offers the tickets that came back, or came free otherwise, to
// the people waiting for them: the waiting lists are served by the same
// periodic job, on one server.
func (s *Services) ExpireHolds(ctx context.Context) (int, error) {
	n, err := s.Bookings.expireHoldsUnlessRunning(ctx)
	if err != nil {
		return n, err
	}
	if _, err := s.Waitlist.Serve(ctx); err != nil {
		return n, err
	}
	return n, nil
}

// PruneIdempotencyKeys drops the answers kept longer than IdempotencyKeyTTL.
func (s *Services) PruneIdempotencyKeys(ctx context.Context) (int, error) {
	return s.Bookings.store.Idempotency().Prune(ctx, s.Bookings.now().Add(-IdempotencyKeyTTL))
}

func (s *Services) RelayChanges(ctx context.Context) (int, error) {
	return s.Notifications.RelayChanges(ctx)
}

func (s *Services) SendMail(ctx context.Context, j SendMailJob) error {
	return s.Notifications.SendMail(ctx, j)
}

func (s *Services) DeliverWebhook(ctx context.Context, deliveryID string, attempt, most int) (time.Duration, error) {
	return s.Notifications.DeliverWebhook(ctx, deliveryID, attempt, most)
}

func (s *Services) SendReminders(ctx context.Context) (int, error) {
	return s.Notifications.SendReminders(ctx)
}
