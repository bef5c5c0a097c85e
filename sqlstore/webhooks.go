package sqlstore

import (
	"context"
	"strings"

	"github.com/boxoffice/boxoffice"
)

const webhookColumns = "id, owner_id, url, events, event_id, active, secret, created_at"

func scanWebhook(r Rows) (*boxoffice.Webhook, error) {
	var w boxoffice.Webhook
	var events string
	err := r.Scan(&w.ID, &w.OwnerID, &w.URL, &events, optionalText{&w.EventID}, &w.Active, &w.Secret, &w.CreatedAt)
	for _, k := range strings.Split(events, ",") {
		if k != "" {
			w.Events = append(w.Events, boxoffice.ChangeKind(k))
		}
	}
	return &w, err
}

const deliveryColumns = "id, webhook_id, change_id, type, payload, attempts, last_status, last_response, delivered_at, next_attempt_at, created_at"

func scanDelivery(r Rows) (*boxoffice.WebhookDelivery, error) {
	var d boxoffice.WebhookDelivery
	var payload string
	var status *int
	err := r.Scan(&d.ID, &d.WebhookID, &d.ChangeID, &d.Type, &payload, &d.Attempts, &status, optionalText{&d.LastResponse},
		&d.DeliveredAt, &d.NextAttemptAt, &d.CreatedAt)
	d.Payload = []byte(payload)
	if status != nil {
		d.LastStatus = *status
	}
	return &d, err
}

// webhooks implements boxoffice.WebhookStore.
type webhooks struct{ scope }

func (s webhooks) Create(ctx context.Context, w *boxoffice.Webhook) error {
	w.CreatedAt = Time(w.CreatedAt)
	events := make([]string, len(w.Events))
	for i, k := range w.Events {
		events[i] = string(k)
	}
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("INSERT INTO webhooks ("+webhookColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			canonicalID(w.ID), canonicalID(w.OwnerID), w.URL, strings.Join(events, ","), nullID(w.EventID), w.Active, w.Secret, w.CreatedAt))
	})
	return s.fail(err, "create", "webhook", "event")
}

func (s webhooks) ByID(ctx context.Context, id string) (*boxoffice.Webhook, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("webhook")
	}
	var w *boxoffice.Webhook
	err := s.read(ctx, rowOf(&w, "webhook", scanWebhook, "SELECT "+webhookColumns+" FROM webhooks WHERE id = $1", canonicalID(id)))
	return w, s.fail(err, "find", "webhook")
}

func (s webhooks) ByOwner(ctx context.Context, ownerID string) ([]*boxoffice.Webhook, error) {
	found := []*boxoffice.Webhook{}
	if !boxoffice.ValidID(ownerID) {
		return found, nil
	}
	err := s.read(ctx, rowsOf(&found, scanWebhook, "SELECT "+webhookColumns+" FROM webhooks WHERE owner_id = $1 ORDER BY created_at, id",
		canonicalID(ownerID)))
	return found, s.fail(err, "find", "webhooks")
}

func (s webhooks) Delete(ctx context.Context, id string) error {
	if !boxoffice.ValidID(id) {
		return notFound("webhook")
	}
	del := exec("DELETE FROM webhooks WHERE id = $1", canonicalID(id))
	err := s.write(ctx, func(tx Tx) error {
		if err := tx.Run(ctx, exec("DELETE FROM webhook_deliveries WHERE webhook_id = $1", canonicalID(id)), del); err != nil {
			return err
		}
		if del.Affected == 0 {
			return notFound("webhook")
		}
		return nil
	})
	return s.fail(err, "delete", "webhook")
}

func (s webhooks) Disable(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("UPDATE webhooks SET active = $2 WHERE id = $1", canonicalID(id), false))
	})
	return s.fail(err, "disable", "webhook")
}

func (s webhooks) Listening(ctx context.Context, eventID string) ([]*boxoffice.Webhook, error) {
	found := []*boxoffice.Webhook{}
	if !boxoffice.ValidID(eventID) {
		return found, nil
	}
	err := s.read(ctx, rowsOf(&found, scanWebhook, "SELECT "+Qualify("w", webhookColumns)+" FROM webhooks w JOIN users u ON u.id = w.owner_id "+
		"WHERE w.active = $2 AND (w.event_id = $1 OR (w.event_id IS NULL AND (u.role = 'ADMIN' OR "+
		"w.owner_id = (SELECT organizer_id FROM events WHERE id = $1)))) ORDER BY w.created_at, w.id",
		canonicalID(eventID), true))
	return found, s.fail(err, "find", "webhooks")
}

func (s webhooks) AddDeliveries(ctx context.Context, ds []*boxoffice.WebhookDelivery) ([]*boxoffice.WebhookDelivery, error) {
	added := []*boxoffice.WebhookDelivery{}
	if len(ds) == 0 {
		return added, nil
	}
	err := s.write(ctx, func(tx Tx) error {
		qs := make([]*Query, len(ds))
		for i, d := range ds {
			d.CreatedAt = Time(d.CreatedAt)
			qs[i] = exec("INSERT INTO webhook_deliveries (id, webhook_id, change_id, type, payload, next_attempt_at, created_at) "+
				"VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (webhook_id, change_id) DO NOTHING",
				canonicalID(d.ID), canonicalID(d.WebhookID), d.ChangeID, string(d.Type), string(d.Payload), timeOrNil(d.NextAttemptAt), d.CreatedAt)
		}
		if err := tx.Run(ctx, qs...); err != nil {
			return err
		}
		for i, q := range qs {
			if q.Affected == 1 {
				added = append(added, ds[i])
			}
		}
		return nil
	})
	return added, s.fail(err, "add", "webhook deliveries", "webhook")
}

func (s webhooks) Delivery(ctx context.Context, id string) (*boxoffice.WebhookDelivery, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("webhook delivery")
	}
	var d *boxoffice.WebhookDelivery
	err := s.read(ctx, rowOf(&d, "webhook delivery", scanDelivery, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = $1",
		canonicalID(id)))
	return d, s.fail(err, "find", "webhook delivery")
}

func (s webhooks) Deliveries(ctx context.Context, webhookIDs []string, limit int) ([]*boxoffice.WebhookDelivery, error) {
	found := []*boxoffice.WebhookDelivery{}
	if webhookIDs = validIDs(webhookIDs); len(webhookIDs) == 0 || limit < 1 {
		return found, nil
	}
	var args Args
	err := s.read(ctx, rowsOf(&found, scanDelivery, s.d.Latest(&args, "webhook_deliveries", deliveryColumns, "webhook_id", webhookIDs, limit,
		"created_at DESC, id DESC"), args...))
	return found, s.fail(err, "find", "webhook deliveries")
}

func (s webhooks) RecordAttempt(ctx context.Context, deliveryID string, a boxoffice.WebhookAttempt) error {
	var delivered any
	if a.Delivered {
		delivered = Time(a.At)
	}
	var status any
	if a.Status != 0 {
		status = a.Status
	}
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_response = $3, "+
			"delivered_at = COALESCE(delivered_at, $4), next_attempt_at = $5 WHERE id = $1",
			canonicalID(deliveryID), status, nullText(a.Response), delivered, timeOrNil(a.NextAttempt)))
	})
	return s.fail(err, "record", "webhook attempt")
}
