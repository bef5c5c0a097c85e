package service_test

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/eventstream"
	"github.com/boxoffice/boxoffice/internal/natstest"
	"github.com/boxoffice/boxoffice/internal/qrtest"
	"github.com/boxoffice/boxoffice/internal/smtptest"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/mail"
	"github.com/boxoffice/boxoffice/payments/testpay"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
	"github.com/boxoffice/boxoffice/webhooks"
)

// notifyRig is the services with a working job queue that relays changes
// quickly, on one engine, with the notification options a test gives.
func notifyRig(t *testing.T, engine string, opts service.Options) (testdb.Engine, *service.Services) {
	t.Helper()
	store := testdb.Migrated(t, engine)
	q := testdb.Queue(t, store, jobs.Config{Expire: 200 * time.Millisecond, Relay: 50 * time.Millisecond,
		RetryDelay: func(int) time.Duration { return 100 * time.Millisecond }})
	opts.Jobs = q
	opts.Limits = &service.Limits{}
	svc := service.New(store, opts)
	t.Cleanup(svc.Close)
	if err := q.Work(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	return store, svc
}

// TestConfirmationEmail: a real SMTP server, refusing the first attempt
// for a while (a retry with backoff), receives the confirmation of a
// booking: to its buyer, with text and HTML, the tickets' PDF attached,
// whose QR codes decode to codes the event's key verifies, one per ticket.
func TestConfirmationEmail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		srv := smtptest.Start(t)
		srv.RefuseNext(1)
		sender, err := mail.NewSMTP(mail.SMTPConfig{URL: srv.URL(), From: "boxoffice <tickets@example.com>", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		store, svc := notifyRig(t, engine, service.Options{Mail: sender})
		ctx := t.Context()
		org := storetest.MustCreateUserWithRole(t, store, "Olga", boxoffice.RoleOrganizer)
		ann := storetest.MustCreateUser(t, store, "Ann")
		ev := storetest.MustCreateOrganizedEvent(t, store, org, 10, 48*time.Hour)
		b, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: ev.ID, Tickets: 3})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "the confirmation received", func() bool { return len(srv.Received()) >= 1 })
		time.Sleep(300 * time.Millisecond) // nothing else is to come
		got := srv.Received()
		if len(got) != 1 {
			t.Fatalf("the server received %d messages, want 1 (the confirmation, once)", len(got))
		}
		if len(got[0].To) != 1 || !strings.EqualFold(got[0].To[0], ann.Email) {
			t.Errorf("sent to %v, want %s", got[0].To, ann.Email)
		}
		m := smtptest.Parse(t, got[0].Data)
		if !strings.Contains(m.Subject, ev.Title) {
			t.Errorf("subject %q does not name the event %q", m.Subject, ev.Title)
		}
		if !strings.Contains(m.Text, "confirmed") || !strings.Contains(m.HTML, "confirmed") {
			t.Errorf("text or HTML body does not say confirmed:\n%s\n%s", m.Text, m.HTML)
		}
		if len(m.Inline) != 3 {
			t.Errorf("%d inline QR images, want 3", len(m.Inline))
		}
		pdf, ok := m.Attachments["tickets.pdf"]
		if !ok || pdf.ContentType != "application/pdf" {
			t.Fatalf("no tickets.pdf attached as application/pdf: %v", m.Attachments)
		}
		pages, codes := qrtest.PDFCodes(t, pdf.Data)
		if pages != 3 || len(codes) != 3 {
			t.Fatalf("the PDF has %d pages and %d codes, want 3 and 3", pages, len(codes))
		}
		key, err := svc.Tickets.CheckInKey(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, code := range codes {
			claims, ok := boxoffice.VerifyTicketCode(ed25519.PublicKey(key), code)
			if !ok || claims.EventID != ev.ID {
				t.Errorf("code %q does not verify for the event", code)
			}
			seen[claims.TicketID] = true
		}
		ts, _ := store.Tickets().ByBookingIDs(ctx, []string{b.ID})
		for _, tk := range ts {
			if !seen[tk.ID] {
				t.Errorf("ticket %s has no code in the PDF", tk.ID)
			}
		}
	})
}

// TestWebhooksSignedAndOnce: a receiver verifies every delivery's
// signature, answers the first attempt of each with 500, and sees each
// change delivered once after a retry; deliveries show both attempts.
// An endpoint answering 410 is disabled; a private target is refused
// without WEBHOOK_ALLOW_PRIVATE, at registration and at delivery.
func TestWebhooksSignedAndOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		var mu sync.Mutex
		var secret string
		attempts := map[string]int{} // webhook-id -> requests
		delivered := map[string]int{}
		types := map[string]string{}
		bad := 0
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if err := webhooks.Verify(secret, r.Header, body); err != nil {
				bad++
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			id := r.Header.Get(webhooks.HeaderID)
			attempts[id]++
			if attempts[id] == 1 {
				http.Error(w, "not now", http.StatusInternalServerError)
				return
			}
			delivered[id]++
			var p struct {
				Type string                `json:"type"`
				Data service.ChangeMessage `json:"data"`
			}
			json.Unmarshal(body, &p)
			types[id] = p.Type
			w.WriteHeader(http.StatusNoContent)
		}))
		defer recv.Close()
		gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
		defer gone.Close()

		store, svc := notifyRig(t, engine, service.Options{WebhookAllowPrivate: true,
			WebhookBackoff: func(int) time.Duration { return 100 * time.Millisecond }})
		ctx := t.Context()
		org := storetest.MustCreateUserWithRole(t, store, "Olga", boxoffice.RoleOrganizer)
		ann := storetest.MustCreateUser(t, store, "Ann")
		ev := storetest.MustCreateOrganizedEvent(t, store, org, 50, 48*time.Hour)
		elsewhere := storetest.MustCreateEvent(t, store, 50, 48*time.Hour)
		hook, err := svc.Webhooks.CreateWebhook(as(ctx, org), boxoffice.CreateWebhookInput{URL: recv.URL + "/hooks",
			Events: []string{"booking.confirmed", "booking.cancelled"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hook.Secret, webhooks.SecretPrefix) {
			t.Fatalf("createWebhook's secret %q", hook.Secret)
		}
		mu.Lock()
		secret = hook.Secret
		mu.Unlock()
		goneHook, err := svc.Webhooks.CreateWebhook(as(ctx, org), boxoffice.CreateWebhookInput{URL: gone.URL, Events: []string{"booking.confirmed"},
			EventID: ev.ID})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Webhooks.CreateWebhook(as(ctx, ann), boxoffice.CreateWebhookInput{URL: recv.URL, Events: []string{"booking.confirmed"}})
		storetest.WantCode(t, err, boxoffice.EFORBIDDEN)
		_, err = svc.Webhooks.CreateWebhook(as(ctx, org), boxoffice.CreateWebhookInput{URL: recv.URL, Events: []string{"booking.confirmed"},
			EventID: elsewhere.ID})
		storetest.WantCode(t, err, boxoffice.EFORBIDDEN)
		_, err = svc.Webhooks.CreateWebhook(as(ctx, org), boxoffice.CreateWebhookInput{URL: recv.URL, Events: []string{"user.created"}})
		storetest.WantCode(t, err, boxoffice.EINVALID)

		const n = 5
		var bookings []*boxoffice.Booking
		for range n {
			b, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: ev.ID, Tickets: 1})
			if err != nil {
				t.Fatal(err)
			}
			bookings = append(bookings, b)
		}
		if _, err := svc.Bookings.CancelBooking(as(ctx, ann), bookings[0].ID); err != nil {
			t.Fatal(err)
		}
		// Not for this organizer's webhook: another event.
		if _, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: elsewhere.ID, Tickets: 1}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "every change delivered", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(delivered) >= n+1
		})
		time.Sleep(500 * time.Millisecond) // any extra delivery would come now
		mu.Lock()
		if bad != 0 {
			t.Errorf("%d deliveries failed verification", bad)
		}
		if len(delivered) != n+1 {
			t.Errorf("%d changes delivered, want %d (%d confirmed, 1 cancelled): %v", len(delivered), n+1, n, types)
		}
		kinds := map[string]int{}
		for id, k := range delivered {
			if k != 1 || attempts[id] != 2 {
				t.Errorf("%s: delivered %d times after %d attempts, want once after 2", id, k, attempts[id])
			}
			kinds[types[id]]++
		}
		if kinds["booking.confirmed"] != n || kinds["booking.cancelled"] != 1 {
			t.Errorf("delivered kinds %v, want %d booking.confirmed and 1 booking.cancelled", kinds, n)
		}
		mu.Unlock()

		mine, err := svc.Webhooks.MyWebhooks(as(ctx, org))
		if err != nil || len(mine) != 2 || mine[0].Secret != "" {
			t.Fatalf("MyWebhooks = %v, %v; want both, without secrets", mine, err)
		}
		ds, err := svc.Webhooks.WebhookDeliveries(as(ctx, org), []string{hook.ID}, 100)
		if err != nil || len(ds) != n+1 {
			t.Fatalf("deliveries = %d, %v; want %d", len(ds), err, n+1)
		}
		for _, d := range ds {
			if d.Attempts != 2 || d.LastStatus != http.StatusNoContent || d.DeliveredAt == nil || d.NextAttemptAt != nil {
				t.Errorf("delivery %+v: want 2 attempts, 204, delivered, nothing due", d)
			}
		}
		eventually(t, 10*time.Second, "the 410 endpoint disabled", func() bool {
			w, err := store.Webhooks().ByID(ctx, goneHook.ID)
			return err == nil && !w.Active
		})
		gd, _ := svc.Webhooks.WebhookDeliveries(as(ctx, org), []string{goneHook.ID}, 100)
		tried := 0
		for _, d := range gd {
			if d.Attempts > 0 {
				tried++
				if d.LastStatus != http.StatusGone || d.Attempts != 1 || d.NextAttemptAt != nil {
					t.Errorf("a delivery to the 410 endpoint: %+v; want one attempt, 410, none due", d)
				}
			}
		}
		if tried == 0 {
			t.Errorf("no delivery to the 410 endpoint was tried")
		}
		if err := svc.Webhooks.DeleteWebhook(as(ctx, ann), hook.ID); boxoffice.ErrorCode(err) == "" {
			t.Errorf("a customer deleted the organizer's webhook")
		}
		if err := svc.Webhooks.DeleteWebhook(as(ctx, org), hook.ID); err != nil {
			t.Errorf("DeleteWebhook: %v", err)
		}
	})
}

// TestWebhookPrivateTargetRefused: without WEBHOOK_ALLOW_PRIVATE, a
// loopback URL is refused at registration, and a webhook that names one
// anyway (registered while it was allowed) is never reached: the dial
// guard refuses the address, and the attempt is kept with no answer.
func TestWebhookPrivateTargetRefused(t *testing.T) {
	reached := make(chan struct{}, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached <- struct{}{} }))
	defer recv.Close()

	store, strict := notifyRig(t, "sqlite", service.Options{})
	ctx := t.Context()
	org := storetest.MustCreateUserWithRole(t, store, "Olga", boxoffice.RoleOrganizer)
	_, err := strict.Webhooks.CreateWebhook(as(ctx, org), boxoffice.CreateWebhookInput{URL: recv.URL, Events: []string{"booking.confirmed"}})
	storetest.WantCode(t, err, boxoffice.EINVALID)

	// Registered where allowed; delivered by a server where it is not.
	store2, svc := notifyRig(t, "sqlite", service.Options{WebhookAllowPrivate: true,
		WebhookClient: webhooks.NewClient(webhooks.Options{}), WebhookBackoff: func(int) time.Duration { return time.Hour }})
	org2 := storetest.MustCreateUserWithRole(t, store2, "Olga", boxoffice.RoleOrganizer)
	ann := storetest.MustCreateUser(t, store2, "Ann")
	ev := storetest.MustCreateOrganizedEvent(t, store2, org2, 10, 48*time.Hour)
	hook, err := svc.Webhooks.CreateWebhook(as(ctx, org2), boxoffice.CreateWebhookInput{URL: recv.URL, Events: []string{"booking.confirmed"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: ev.ID, Tickets: 1}); err != nil {
		t.Fatal(err)
	}
	var ds []*boxoffice.WebhookDelivery
	eventually(t, 20*time.Second, "an attempt made", func() bool {
		ds, _ = svc.Webhooks.WebhookDeliveries(as(ctx, org2), []string{hook.ID}, 10)
		return len(ds) == 1 && ds[0].Attempts >= 1
	})
	if d := ds[0]; d.LastStatus != 0 || d.DeliveredAt != nil || d.NextAttemptAt == nil || !strings.Contains(d.LastResponse, "WEBHOOK_ALLOW_PRIVATE") {
		t.Errorf("delivery to a loopback address: %+v; want refused, no answer, retried later", d)
	}
	select {
	case <-reached:
		t.Errorf("the loopback receiver was reached")
	default:
	}
}

// TestEventStreamInCommitOrder: every change reaches a NATS consumer
// once, under its id, and each booking's changes in the order they were
// committed, with many bookings made and cancelled at once.
func TestEventStreamInCommitOrder(t *testing.T) {
	js := natstest.Require(t, natstest.URL())
	testdb.Each(t, func(t *testing.T, engine string) {
		streamName, prefix := natstest.Names(t, js)
		st, err := eventstream.Open(t.Context(), natstest.URL(), streamName, eventstream.WithPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		store, svc := notifyRig(t, engine, service.Options{Stream: st})
		makeTraffic(t, store, svc, 40)
		checkStream(t, store, js, streamName, prefix)
	})
}

// TestEventStreamSurvivesNATSRestart: with NATS stopped, bookings go on,
// and once it is back every change is published: nothing lost, nothing
// twice, each booking's changes in order.
func TestEventStreamSurvivesNATSRestart(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		srv := natstest.Start(t)
		js := natstest.Require(t, srv.URL())
		streamName, prefix := natstest.Names(t, js)
		st, err := eventstream.Open(t.Context(), srv.URL(), streamName, eventstream.WithPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		store, svc := notifyRig(t, engine, service.Options{Stream: st})
		makeTraffic(t, store, svc, 10)
		waitPublished(t, store)

		srv.Stop()
		makeTraffic(t, store, svc, 10) // bookings do not wait for NATS
		time.Sleep(time.Second)        // the relay tries, and fails
		if un, _ := store.Changes().Unpublished(t.Context(), 1000); len(un) == 0 {
			t.Errorf("every change published with NATS down?")
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		waitPublished(t, store)
		js = natstest.Require(t, srv.URL()) // the first connection saw the server go
		checkStream(t, store, js, streamName, prefix)
	})
}

// makeTraffic has n buyers book and half of them cancel, all at once.
func makeTraffic(t *testing.T, store testdb.Engine, svc *service.Services, n int) {
	t.Helper()
	ctx := t.Context()
	tag := boxoffice.NewID()[28:]
	org := storetest.MustCreateUserWithRole(t, store, "Olga "+tag, boxoffice.RoleOrganizer)
	ev := storetest.MustCreateOrganizedEvent(t, store, org, 10*n, 48*time.Hour)
	var wg sync.WaitGroup
	for i := range n {
		u := storetest.MustCreateUser(t, store, fmt.Sprintf("Buyer %d %s", i, tag))
		wg.Go(func() {
			b, err := svc.Bookings.CreateBooking(as(ctx, u), boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 2})
			if err != nil {
				t.Errorf("book: %v", err)
				return
			}
			if i%2 == 0 {
				if _, err := svc.Bookings.CancelBooking(as(ctx, u), b.ID); err != nil {
					t.Errorf("cancel: %v", err)
				}
			}
		})
	}
	wg.Wait()
}

func waitPublished(t *testing.T, store testdb.Engine) {
	t.Helper()
	eventually(t, 30*time.Second, "every change published", func() bool {
		un, err := store.Changes().Unpublished(t.Context(), 1)
		return err == nil && len(un) == 0
	})
}

// checkStream reads the whole stream and holds it to the changes table:
// each change once, under its id and kind, and each booking's in id order.
func checkStream(t *testing.T, store testdb.Engine, js jetstream.JetStream, streamName, prefix string) {
	t.Helper()
	waitPublished(t, store)
	all, err := store.Changes().After(t.Context(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	msgs := natstest.ReadAll(t, js, streamName)
	byID := map[int64]*boxoffice.Change{}
	for _, c := range all {
		byID[c.ID] = c
	}
	seen := map[int64]bool{}
	last := map[string]int64{} // booking -> last change id seen
	for _, m := range msgs {
		var cm service.ChangeMessage
		if err := json.Unmarshal(m.Data, &cm); err != nil {
			t.Fatalf("message %s: %v", m.ID, err)
		}
		c, ok := byID[cm.ID]
		if !ok || m.ID != service.MessageID(cm.ID) || m.Subject != prefix+"."+string(c.Kind) || cm.Kind != c.Kind {
			t.Errorf("message %s on %s: %+v does not match a change", m.ID, m.Subject, cm)
			continue
		}
		if seen[cm.ID] {
			t.Errorf("change %d received twice", cm.ID)
		}
		seen[cm.ID] = true
		if c.BookingID != "" {
			if cm.ID < last[c.BookingID] {
				t.Errorf("booking %s: change %d after %d", c.BookingID, cm.ID, last[c.BookingID])
			}
			last[c.BookingID] = cm.ID
		}
	}
	var missing []int64
	for _, c := range all {
		if !seen[c.ID] {
			missing = append(missing, c.ID)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d changes never received: %v", len(missing), len(all), missing)
	}
}

// TestUndeliverableEmailIsKept: an email the server refuses for good
// (550 for its recipient) is not retried for hours; its job ends at once,
// kept and listed among the failed jobs (boxoffice jobs) with the reason.
func TestUndeliverableEmailIsKept(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RejectRecipients()
	sender, err := mail.NewSMTP(mail.SMTPConfig{URL: srv.URL(), From: "tickets@example.com", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	store := testdb.Migrated(t, "sqlite")
	q := testdb.Queue(t, store, jobs.Config{Relay: 50 * time.Millisecond})
	svc := service.New(store, service.Options{Jobs: q, Mail: sender, Limits: &service.Limits{}})
	t.Cleanup(svc.Close)
	if err := q.Work(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	ann := storetest.MustCreateUser(t, store, "Ann")
	ev := storetest.MustCreateEvent(t, store, 10, 48*time.Hour)
	if _, err := svc.Bookings.CreateBooking(as(t.Context(), ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: ev.ID, Tickets: 1}); err != nil {
		t.Fatal(err)
	}
	var failed []jobs.Job
	eventually(t, 20*time.Second, "the email's job among the failed", func() bool {
		failed, err = q.Failed(t.Context(), 10)
		return err == nil && len(failed) > 0
	})
	j := failed[0]
	if j.Kind != (service.SendMailJob{}).Kind() || j.State != "cancelled" || j.Attempt != 1 || len(j.Errors) == 0 || !strings.Contains(j.Errors[0], "550") {
		t.Errorf("failed job %+v: want send_mail, cancelled after one attempt, with the 550", j)
	}
	if len(srv.Received()) != 0 {
		t.Errorf("the server accepted a message")
	}
}

// TestWaitlistOfferEmail: a waiting buyer whose offer is held is told by
// the waiting list's own message (not "your booking is held"), with the
// time to pay by; the buyer who cancelled hears of the cancellation.
func TestWaitlistOfferEmail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		srv := smtptest.Start(t)
		sender, err := mail.NewSMTP(mail.SMTPConfig{URL: srv.URL(), From: "boxoffice <tickets@example.com>", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		store, svc := notifyRig(t, engine, service.Options{Mail: sender, Payments: testpay.New(), Hold: time.Minute, OfferTTL: time.Hour})
		ctx := t.Context()
		ann, bea := storetest.MustCreateUser(t, store, "Ann"), storetest.MustCreateUser(t, store, "Bea")
		ev := storetest.MustCreateEvent(t, store, 1, 48*time.Hour)
		held := storetest.MustBook(t, store, ann, ev, 1) // cancelled before its confirmation goes: only the cancellation does
		if _, err := svc.Waitlist.JoinWaitlist(as(ctx, bea), ev.ID, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Bookings.CancelBooking(as(ctx, ann), held.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "two messages", func() bool { return len(srv.Received()) >= 2 })
		time.Sleep(500 * time.Millisecond) // nothing else is to come
		got := srv.Received()
		if len(got) != 2 {
			t.Fatalf("the server received %d messages, want 2 (Ann's cancellation, Bea's offer)", len(got))
		}
		var offer *smtptest.Message
		for i := range got {
			if strings.EqualFold(got[i].To[0], bea.Email) {
				offer = smtptest.Parse(t, got[i].Data)
			}
		}
		if offer == nil || !strings.Contains(strings.ToLower(offer.Text), "waiting list") {
			t.Fatalf("Bea's message: %+v; want the waiting list's offer", offer)
		}
	})
}
