package service

import (
	"context"
	"slices"
	"strings"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/webhooks"
)

// Webhooks implements boxoffice.WebhookService: organizers and admins
// register endpoints that hear of their events' changes (relay.go sends
// them).
type Webhooks struct {
	*base
	// allowPrivate lets endpoints name loopback and private addresses
	// (WEBHOOK_ALLOW_PRIVATE).
	allowPrivate bool
}

var _ boxoffice.WebhookService = (*Webhooks)(nil)

// CreateWebhook checks the URL (no private targets unless allowed), the
// kinds (from boxoffice.WebhookEvents) and the event (the caller's to
// manage), and makes a new secret, returned this once.
func (s *Webhooks) CreateWebhook(ctx context.Context, in boxoffice.CreateWebhookInput) (*boxoffice.Webhook, error) {
	c := caller(ctx)
	var e *boxoffice.Event
	if in.EventID != "" {
		if err := validID("eventId", in.EventID); err != nil {
			return nil, err
		}
		if err := boxoffice.CanManageWebhooks(c, nil); err != nil {
			return nil, err // customers learn nothing of the event
		}
		var err error
		if e, err = s.store.Events().ByID(ctx, in.EventID); err != nil {
			return nil, err
		}
	}
	if err := boxoffice.CanManageWebhooks(c, e); err != nil {
		return nil, err
	}
	url := strings.TrimSpace(in.URL)
	if err := webhooks.ValidateURL(url, s.allowPrivate); err != nil {
		return nil, boxoffice.Invalidf("url", "url: %v", err)
	}
	kinds, err := webhookKinds(in.Events)
	if err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	mine, err := s.store.Webhooks().ByOwner(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	if len(mine) >= boxoffice.MaxWebhooksPerUser {
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "you have %d webhooks, the most allowed: delete one first", len(mine))
	}
	secret, err := webhooks.NewSecret()
	if err != nil {
		return nil, err
	}
	w := &boxoffice.Webhook{ID: boxoffice.NewID(), OwnerID: c.UserID, URL: url, Events: kinds, Active: true, Secret: secret,
		CreatedAt: s.now()}
	if e != nil {
		w.EventID = e.ID
	}
	if err := s.store.Webhooks().Create(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

// webhookKinds checks and de-duplicates the kinds a webhook asks for.
func webhookKinds(names []string) ([]boxoffice.ChangeKind, error) {
	if len(names) == 0 {
		return nil, boxoffice.Invalidf("events", "events: name at least one of %s", kindList())
	}
	var kinds []boxoffice.ChangeKind
	for _, n := range names {
		k := boxoffice.ChangeKind(strings.TrimSpace(n))
		if !slices.Contains(boxoffice.WebhookEvents, k) {
			return nil, boxoffice.Invalidf("events", "events: %q is not one of %s", n, kindList())
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

func kindList() string {
	names := make([]string, len(boxoffice.WebhookEvents))
	for i, k := range boxoffice.WebhookEvents {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// MyWebhooks: organizers and admins; their secrets are not shown again.
func (s *Webhooks) MyWebhooks(ctx context.Context) ([]*boxoffice.Webhook, error) {
	c := caller(ctx)
	if err := boxoffice.CanManageWebhooks(c, nil); err != nil {
		return nil, err
	}
	ws, err := s.store.Webhooks().ByOwner(ctx, c.UserID)
	for _, w := range ws {
		w.Secret = ""
	}
	return ws, err
}

// DeleteWebhook: its owner, or an admin; ENOTFOUND for anyone else.
func (s *Webhooks) DeleteWebhook(ctx context.Context, id string) error {
	c := caller(ctx)
	if err := validID("id", id); err != nil {
		return err
	}
	if err := boxoffice.CanManageWebhooks(c, nil); err != nil {
		return err
	}
	w, err := s.store.Webhooks().ByID(ctx, id)
	if err != nil {
		return err
	}
	if !c.Is(w.OwnerID) && c.Role != boxoffice.RoleAdmin {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "webhook not found")
	}
	return s.store.Webhooks().Delete(ctx, w.ID)
}

// WebhookDeliveries serves Webhook.deliveries, of webhooks the caller was
// shown (their own).
func (s *Webhooks) WebhookDeliveries(ctx context.Context, ids []string, limit int) ([]*boxoffice.WebhookDelivery, error) {
	return s.store.Webhooks().Deliveries(ctx, validIDs(ids), min(max(limit, 0), 100))
}
