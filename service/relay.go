package service

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/mail"
	"github.com/boxoffice/boxoffice/webhooks"
)

// Publisher is the event stream (eventstream.Stream): Publish returns once
// the stream stored the message, de-duplicated by msgID.
type Publisher interface {
	Subject(kind string) string
	Publish(ctx context.Context, subject, msgID string, data []byte) error
}

// Notifications turn committed changes into work: the relay (RelayChanges,
// a periodic job on one server) claims each change once and queues, in the
// same transaction, its emails and its webhook deliveries as jobs, then
// publishes the changes to the event stream in id order. Bookings never
// wait for any of it: they only record their changes.
//
// Changes are read by flag (relayed_at, published_at), never "after the
// last id seen": ids are numbered at insert, so a transaction that
// commits late holds a lower id than changes already handled, and a cursor
// would skip it. A flag is cleared only by handling the change.
type Notifications struct {
	*base
	mail    mail.Sender
	hooks   *webhooks.Client
	stream  Publisher
	backoff func(attempt int) time.Duration
	// rushing says whether bookings are queueing on this server
	// (Batcher.Rushing): the relay then claims one batch a run.
	rushing func() bool

	publishFailing atomic.Bool // the last publish failed: logged once
}

// relayBatch is how many changes one transaction of the relay claims, and
// relayBudget how long one run of the job keeps claiming batches.
const (
	relayBatch  = 200
	relayBudget = 5 * time.Second
)

// ChangeMessage is a change as the event stream and webhooks carry it.
type ChangeMessage struct {
	ID              int64                `json:"id"`
	Kind            boxoffice.ChangeKind `json:"kind"`
	At              time.Time            `json:"at"`
	ActorID         string               `json:"actorId,omitempty"`
	UserID          string               `json:"userId,omitempty"`
	EventID         string               `json:"eventId,omitempty"`
	BookingID       string               `json:"bookingId,omitempty"`
	TicketsReturned int                  `json:"ticketsReturned,omitempty"`
	Detail          string               `json:"detail,omitempty"`
}

func messageOf(c *boxoffice.Change) ChangeMessage {
	return ChangeMessage{ID: c.ID, Kind: c.Kind, At: c.At.UTC(), ActorID: c.ActorID, UserID: c.UserID, EventID: c.EventID,
		BookingID: c.BookingID, TicketsReturned: c.TicketsReturned, Detail: c.Detail}
}

// MessageID is the id a change is published under (Nats-Msg-Id): the
// change's id, the same on every retry, so that JetStream de-duplicates.
func MessageID(changeID int64) string { return strconv.FormatInt(changeID, 10) }

// WebhookMessageID is the webhook-id a change is delivered under, the
// same on every retry and to every endpoint, so that receivers
// de-duplicate.
func WebhookMessageID(changeID int64) string { return "msg_" + strconv.FormatInt(changeID, 10) }

// RelayChanges queues the work of the changes not yet relayed, then
// publishes those not yet published. It returns how many changes it
// relayed. The event stream being down (NATS) is not an error: it is
// logged, and the next run tries again from the same change.
//
// While bookings queue on this server (an on-sale), a run claims one
// batch, relayBatch changes, and leaves the rest to the next runs: the
// emails and webhooks of an on-sale wait, in the database, until its
// rush is over, rather than take the CPU and the database its bookings
// need. They fall behind by at most what the rush adds beyond
// relayBatch changes a run, and catch up once it ends.
func (s *Notifications) RelayChanges(ctx context.Context) (int, error) {
	total := 0
	deadline := time.Now().Add(relayBudget)
	for {
		n, err := s.relayBatch(ctx)
		total += n
		if err != nil {
			return total, err
		}
		if n < relayBatch || time.Now().After(deadline) || (s.rushing != nil && s.rushing()) {
			break
		}
	}
	if s.stream == nil {
		return total, nil
	}
	// A stream that is down is no failure of the job (which would be kept,
	// once a second, as discarded): the changes wait, and the next run
	// tries again. The outage is logged once, and its end.
	if err := s.publish(ctx, deadline); err != nil {
		if !s.publishFailing.Swap(true) {
			s.log.WarnContext(ctx, "event stream: publishing waits; changes are kept until it succeeds", "err", err)
		}
	} else if s.publishFailing.Swap(false) {
		s.log.InfoContext(ctx, "event stream: publishing again")
	}
	return total, nil
}

// relayBatch claims a batch of changes and queues their jobs, all in one
// transaction: a failure leaves the changes unclaimed for the next run.
func (s *Notifications) relayBatch(ctx context.Context) (int, error) {
	n := 0
	err := s.store.InTx(ctx, func(tx boxoffice.Tx) error {
		cs, err := tx.Changes().ClaimUnrelayed(ctx, s.now(), relayBatch, s.stream == nil)
		if err != nil {
			return err
		}
		n = len(cs)
		var jobs []boxoffice.Job
		var deliveries []*boxoffice.WebhookDelivery
		listening := map[string][]*boxoffice.Webhook{}
		for _, c := range cs {
			if s.mail != nil {
				jobs = append(jobs, mailJobs(c)...)
			}
			if c.EventID == "" {
				continue
			}
			ws, ok := listening[c.EventID]
			if !ok {
				if ws, err = tx.Webhooks().Listening(ctx, c.EventID); err != nil {
					return err
				}
				listening[c.EventID] = ws
			}
			for _, w := range ws {
				if !w.Hears(c.Kind) {
					continue
				}
				payload, err := webhooks.Payload(string(c.Kind), c.At, messageOf(c))
				if err != nil {
					return err
				}
				deliveries = append(deliveries, &boxoffice.WebhookDelivery{ID: boxoffice.NewID(), WebhookID: w.ID, ChangeID: c.ID,
					Type: c.Kind, Payload: payload, CreatedAt: s.now()})
			}
		}
		added, err := tx.Webhooks().AddDeliveries(ctx, deliveries)
		if err != nil {
			return err
		}
		for _, d := range added {
			jobs = append(jobs, DeliverWebhookJob{DeliveryID: d.ID})
		}
		if len(jobs) == 0 {
			return nil
		}
		return s.jobs.EnqueueTx(ctx, tx, jobs...)
	})
	return n, err
}

// publish sends the unpublished changes to the stream in id order, one
// acknowledged before the next, so a consumer sees each booking's changes
// in the order they were committed; it stops at the first failure, which
// the next run retries under the same message id. Two publishers running
// at once keep the order too: each publishes a change only after the one
// before it is stored, by either of them.
func (s *Notifications) publish(ctx context.Context, deadline time.Time) error {
	for {
		cs, err := s.store.Changes().Unpublished(ctx, relayBatch)
		if err != nil {
			return err
		}
		var done []int64
		var failed error
		for _, c := range cs {
			data, _ := json.Marshal(messageOf(c)) // strings, numbers and a time: cannot fail
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			failed = s.stream.Publish(pctx, s.stream.Subject(string(c.Kind)), MessageID(c.ID), data)
			cancel()
			if failed != nil {
				break
			}
			done = append(done, c.ID)
		}
		if err := s.store.Changes().MarkPublished(ctx, done, s.now()); err != nil {
			return errors.Join(failed, err)
		}
		if failed != nil {
			return failed
		}
		if len(cs) < relayBatch || time.Now().After(deadline) {
			return nil
		}
	}
}

// maxRushWait bounds how long a notification waits for a rush to pass
// (afterRush), well within a job's minute: past it, it goes anyway.
const maxRushWait = 30 * time.Second

// afterRush waits while bookings are queueing on this server (an
// on-sale), up to maxRushWait: an email, with its tickets' PDF to render,
// or a webhook's delivery can wait seconds; the holds cannot. The relay
// yields the same way (RelayChanges). In make bench, the emails of the
// bookings before its on-sale, worked during it, held the on-sale to
// 2,585 to 2,864 holds a second; 3,874 to 4,574 since (docs/benchmarks.md,
// the on-sale's fourth pass).
func (s *Notifications) afterRush(ctx context.Context) error {
	if s.rushing == nil {
		return nil
	}
	deadline := time.Now().Add(maxRushWait)
	for s.rushing() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rushPoll):
		}
	}
	return nil
}

// rushPoll is how often afterRush looks again.
const rushPoll = 50 * time.Millisecond
