package boxoffice

import (
	"context"
	"slices"
	"time"
)

// WebhookEvents are the change kinds a webhook may subscribe to: what
// happens to bookings and tickets, which an organizer's systems react to.
var WebhookEvents = []ChangeKind{
	ChangeBookingCreated, ChangeBookingPaid, ChangeBookingPaymentFailed, ChangeBookingConfirmed,
	ChangeBookingExpired, ChangeBookingCancelled, ChangeBookingRefunded,
	ChangeTicketCheckedIn, ChangeTicketTransferred, ChangeWaitlistOffered,
}

// MaxWebhooksPerUser bounds the endpoints one user registers.
const MaxWebhooksPerUser = 20

// Webhook is an HTTP endpoint an organizer or admin registered to hear of
// changes to their events, signed as Standard Webhooks says.
type Webhook struct {
	ID      string
	OwnerID string // who registered it
	URL     string
	Events  []ChangeKind // the kinds it hears of, from WebhookEvents
	// EventID is the one event it hears of; "": every event its owner
	// organizes (every event, for an admin).
	EventID string
	// Active is false once the endpoint answered 410 Gone: nothing more is
	// sent to it.
	Active bool
	// Secret signs the deliveries. It is shown once, when the webhook is
	// created; reading it back is for the sender only.
	Secret    string
	CreatedAt time.Time
}

// Hears reports whether the webhook subscribes to kind.
func (w *Webhook) Hears(kind ChangeKind) bool { return w.Active && slices.Contains(w.Events, kind) }

// WebhookDelivery is one change sent, or being sent, to one webhook: its
// payload is fixed when it is made, so every attempt sends the same bytes.
type WebhookDelivery struct {
	ID        string
	WebhookID string
	ChangeID  int64
	Type      ChangeKind
	Payload   []byte
	Attempts  int
	// LastStatus is the endpoint's HTTP status at the last attempt; 0: no
	// answer (or no attempt yet).
	LastStatus    int
	LastResponse  string // the start of the last answer, or what went wrong
	DeliveredAt   *time.Time
	NextAttemptAt *time.Time // when the next attempt is due; nil: none is
	CreatedAt     time.Time
}

// WebhookAttempt is what one delivery attempt came to, for the store.
type WebhookAttempt struct {
	At          time.Time
	Status      int
	Response    string
	Delivered   bool
	NextAttempt *time.Time // nil: no other attempt will be made
}

// WebhookStore keeps webhooks and their deliveries. ENOTFOUND where one is
// missing.
type WebhookStore interface {
	// Create inserts w as given (ID, secret and times set by the caller).
	Create(ctx context.Context, w *Webhook) error
	ByID(ctx context.Context, id string) (*Webhook, error)
	// ByOwner returns a user's webhooks, oldest first.
	ByOwner(ctx context.Context, ownerID string) ([]*Webhook, error)
	// Delete removes the webhook and its deliveries.
	Delete(ctx context.Context, id string) error
	// Disable marks the webhook inactive: nothing more is sent to it.
	Disable(ctx context.Context, id string) error
	// Listening returns the active webhooks that hear of changes to the
	// event eventID, whatever their kinds: those registered for it, those
	// of its organizer registered for all their events, and those of
	// admins registered for all events.
	Listening(ctx context.Context, eventID string) ([]*Webhook, error)
	// AddDeliveries inserts deliveries; one for a (webhook, change) that
	// already has one is skipped, so a change relayed twice is sent once.
	// It returns those inserted.
	AddDeliveries(ctx context.Context, ds []*WebhookDelivery) ([]*WebhookDelivery, error)
	Delivery(ctx context.Context, id string) (*WebhookDelivery, error)
	// Deliveries returns up to limit of each webhook's deliveries, newest
	// first, in any order between webhooks.
	Deliveries(ctx context.Context, webhookIDs []string, limit int) ([]*WebhookDelivery, error)
	// RecordAttempt counts an attempt of the delivery and keeps its
	// outcome.
	RecordAttempt(ctx context.Context, deliveryID string, a WebhookAttempt) error
}

// WebhookService is the webhooks API: organizers and admins register the
// endpoints that hear of their events' changes.
type WebhookService interface {
	// CreateWebhook registers an endpoint; the webhook returned carries
	// its secret, shown this once. EINVALID, EFORBIDDEN, ENOTFOUND.
	CreateWebhook(ctx context.Context, in CreateWebhookInput) (*Webhook, error)
	// MyWebhooks are the caller's webhooks, without their secrets.
	MyWebhooks(ctx context.Context) ([]*Webhook, error)
	// DeleteWebhook removes one of the caller's webhooks (any, for an
	// admin). ENOTFOUND.
	DeleteWebhook(ctx context.Context, id string) error
	// WebhookDeliveries returns up to limit of each webhook's deliveries,
	// newest first: for webhooks the caller was shown.
	WebhookDeliveries(ctx context.Context, webhookIDs []string, limit int) ([]*WebhookDelivery, error)
}

// CreateWebhookInput is what createWebhook takes.
type CreateWebhookInput struct {
	URL     string
	Events  []string
	EventID string // "": every event of the caller
}

// ReminderStore keeps which bookings were reminded of their event, so that
// each is reminded once.
type ReminderStore interface {
	// Claim marks up to limit CONFIRMED bookings of events dated in
	// (from, to] that were never reminded as reminded at now, and returns
	// their ids: each booking is claimed once, even by claims running at
	// once, and only if the caller's transaction commits.
	Claim(ctx context.Context, from, to, now time.Time, limit int) ([]string, error)
}
