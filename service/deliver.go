package service

import (
	"context"
	"errors"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/webhooks"
)

// DeliverWebhook makes attempt (of most) of a webhook delivery and keeps
// its outcome for Webhook.deliveries. It returns nil when there is
// nothing more to do: delivered, the endpoint answered 410 Gone (the
// webhook is disabled), or the webhook was deleted or disabled. Otherwise
// it returns the error and how long to wait before the next attempt:
// webhooks.Backoff (about three days in all), or longer if the endpoint
// asked for it (Retry-After).
func (s *Notifications) DeliverWebhook(ctx context.Context, deliveryID string, attempt, most int) (time.Duration, error) {
	if err := s.afterRush(ctx); err != nil {
		return 0, err
	}
	d, err := s.store.Webhooks().Delivery(ctx, deliveryID)
	if err != nil {
		return 0, ignoreNotFound(err)
	}
	if d.DeliveredAt != nil {
		return 0, nil
	}
	w, err := s.store.Webhooks().ByID(ctx, d.WebhookID)
	if err != nil {
		return 0, ignoreNotFound(err)
	}
	if !w.Active {
		return 0, nil
	}
	a := s.hooks.Deliver(ctx, w.URL, w.Secret, WebhookMessageID(d.ChangeID), string(d.Type), d.Payload)
	rec := boxoffice.WebhookAttempt{At: a.At, Status: a.StatusCode, Response: a.Response}
	var wait time.Duration
	switch a.Outcome {
	case webhooks.Delivered:
		rec.Delivered = true
	case webhooks.Gone:
	default:
		wait = max(s.backoff(attempt), a.RetryAfter)
		if attempt < most {
			next := a.At.Add(wait)
			rec.NextAttempt = &next
		}
	}
	if err := s.store.Webhooks().RecordAttempt(ctx, d.ID, rec); err != nil {
		return 0, err
	}
	switch a.Outcome {
	case webhooks.Delivered:
		return 0, nil
	case webhooks.Gone:
		s.log.WarnContext(ctx, "webhook endpoint gone: disabled", "webhook", w.ID, "err", a.Err)
		return 0, s.store.Webhooks().Disable(ctx, w.ID)
	}
	if a.Err == nil {
		a.Err = errors.New("webhooks: not delivered")
	}
	return wait, a.Err
}
