package service_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/smtptest"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/mail"
	"github.com/boxoffice/boxoffice/payments/testpay"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// TestEveryEmailToTheOutbox walks a booking's life with the test payment
// provider and the outbox as the mail sender (no SMTP_URL), and finds one
// message per thing that happened, to the right person: held (with the
// time to pay by), confirmed (with the PDF), a ticket transferred (to
// both sides), cancelled, refunded; and for a hold left unpaid, expired.
func TestEveryEmailToTheOutbox(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		dir := filepath.Join(t.TempDir(), "outbox")
		outbox, err := mail.NewOutbox(dir, "boxoffice <tickets@example.com>")
		if err != nil {
			t.Fatal(err)
		}
		store, svc := notifyRig(t, engine, service.Options{Mail: outbox, Payments: testpay.New(), Hold: 10 * time.Second})
		ctx := t.Context()
		org := storetest.MustCreateUserWithRole(t, store, "Olga", boxoffice.RoleOrganizer)
		ann := storetest.MustCreateUser(t, store, "Ann")
		bob := storetest.MustCreateUser(t, store, "Bob")
		ev := storetest.MustCreateOrganizedEvent(t, store, org, 10, 48*time.Hour)

		paid, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: ev.ID, Tickets: 2})
		if err != nil {
			t.Fatal(err)
		}
		unpaid, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: ev.ID, Tickets: 1})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "both held emails", func() bool { return len(outboxMessages(t, dir)) >= 2 })
		if _, err := svc.Bookings.PayBooking(as(ctx, ann), paid.ID, testpay.CardPays); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the booking confirmed", func() bool {
			return storetest.MustFindBooking(t, store, paid.ID).Status == boxoffice.BookingConfirmed
		})
		eventually(t, 10*time.Second, "the confirmation email", func() bool { return len(outboxMessages(t, dir)) >= 3 })
		ts, err := store.Tickets().ByBookingIDs(ctx, []string{paid.ID})
		if err != nil || len(ts) != 2 {
			t.Fatalf("tickets: %v, %v", ts, err)
		}
		if _, err := svc.Tickets.TransferTicket(as(ctx, ann), ts[0].ID, bob.Email); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Bookings.CancelBooking(as(ctx, ann), paid.ID); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"ann booking-held", "ann booking-held", "ann booking-confirmed", "ann ticket-sent", "bob ticket-received",
			"ann booking-cancelled", "ann booking-refunded", "ann hold-expired",
		}
		slices.Sort(want)
		var got []string
		eventually(t, 30*time.Second, "every email", func() bool {
			got = got[:0]
			for _, m := range outboxMessages(t, dir) {
				to := strings.ToLower(m.Header.Get("To"))
				who := "ann"
				if strings.Contains(to, bob.Email) {
					who = "bob"
				}
				id := m.Header.Get("Message-Id")
				for _, kind := range []string{"booking-held", "booking-confirmed", "ticket-sent", "ticket-received", "booking-cancelled",
					"booking-refunded", "hold-expired"} {
					if strings.Contains(id, "-"+kind+"-") {
						got = append(got, who+" "+kind)
					}
				}
			}
			slices.Sort(got)
			return len(got) >= len(want)
		})
		time.Sleep(300 * time.Millisecond)
		if !slices.Equal(got, want) {
			t.Errorf("emails:\n got %v\nwant %v", got, want)
		}
		_ = unpaid
		for _, m := range outboxMessages(t, dir) {
			id := m.Header.Get("Message-Id")
			switch {
			case strings.Contains(id, "booking-confirmed"):
				if _, ok := m.Attachments["tickets.pdf"]; !ok {
					t.Errorf("the confirmation has no tickets.pdf")
				}
			case strings.Contains(id, "booking-held"):
				if !strings.Contains(m.Text, "until") {
					t.Errorf("the held email does not say until when:\n%s", m.Text)
				}
			}
		}
	})
}

// outboxMessages reads every .eml in dir.
func outboxMessages(t *testing.T, dir string) []*smtptest.Message {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	var out []*smtptest.Message
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), mail.OutboxExt) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, smtptest.Parse(t, raw))
	}
	return out
}

// TestReminderTheDayBefore: a confirmed booking of an event starting in
// about a day gets one reminder, with its tickets; one of an event three
// days off gets none, nor does a cancelled one.
func TestReminderTheDayBefore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		dir := filepath.Join(t.TempDir(), "outbox")
		outbox, err := mail.NewOutbox(dir, "boxoffice <tickets@example.com>")
		if err != nil {
			t.Fatal(err)
		}
		store := testdb.Migrated(t, engine)
		q := testdb.Queue(t, store, jobs.Config{Remind: 100 * time.Millisecond})
		svc := service.New(store, service.Options{Jobs: q, Mail: outbox, Limits: &service.Limits{}})
		t.Cleanup(svc.Close)
		ctx := t.Context()
		ann := storetest.MustCreateUser(t, store, "Ann")
		tomorrow := storetest.MustCreateEvent(t, store, 10, 24*time.Hour)
		later := storetest.MustCreateEvent(t, store, 10, 72*time.Hour)
		b, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: tomorrow.ID, Tickets: 2})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: tomorrow.ID, Tickets: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Bookings.CancelBooking(as(ctx, ann), gone.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: later.ID, Tickets: 1}); err != nil {
			t.Fatal(err)
		}
		if err := q.Work(ctx, svc); err != nil {
			t.Fatal(err)
		}
		reminders := func() []*smtptest.Message {
			var out []*smtptest.Message
			for _, m := range outboxMessages(t, dir) {
				if strings.Contains(m.Header.Get("Message-Id"), "event-reminder") {
					out = append(out, m)
				}
			}
			return out
		}
		eventually(t, 20*time.Second, "the reminder", func() bool { return len(reminders()) >= 1 })
		time.Sleep(time.Second) // several runs of the job: still one
		ms := reminders()
		if len(ms) != 1 {
			t.Fatalf("%d reminders, want one", len(ms))
		}
		m := ms[0]
		if !strings.Contains(m.Header.Get("Message-Id"), b.ID) || !strings.HasPrefix(m.Subject, "Tomorrow") {
			t.Errorf("reminder %q (%s), want one for booking %s", m.Subject, m.Header.Get("Message-Id"), b.ID)
		}
		if _, ok := m.Attachments["tickets.pdf"]; !ok || len(m.Inline) != 2 {
			t.Errorf("the reminder has %d inline codes and attachments %v; want 2 and tickets.pdf", len(m.Inline), m.Attachments)
		}
	})
}

// While bookings queue (an on-sale), a run of the relay claims one batch
// of changes and leaves the rest, in the database, to the next runs;
// once the rush is over, a run takes all that waited.
func TestRelayYieldsToARush(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		ctx := t.Context()
		store := testdb.Migrated(t, engine)
		outbox, err := mail.NewOutbox(filepath.Join(t.TempDir(), "outbox"), "boxoffice <tickets@example.com>")
		if err != nil {
			t.Fatal(err)
		}
		svc := service.New(store, service.Options{Mail: outbox})
		t.Cleanup(svc.Close)
		u := storetest.MustCreateUser(t, store, "Ann")
		const n = 500
		for range n {
			if err := store.Changes().Record(ctx, &boxoffice.Change{Kind: boxoffice.ChangeUserChanged, At: time.Now(), UserID: u.ID}); err != nil {
				t.Fatal(err)
			}
		}
		rushing := true
		svc.Notifications.SetRushing(func() bool { return rushing })
		first, err := svc.Notifications.RelayChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if first <= 0 || first >= n {
			t.Fatalf("a run during a rush relayed %d of %d changes, want one batch", first, n)
		}
		rushing = false
		rest, err := svc.Notifications.RelayChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if first+rest < n {
			t.Fatalf("after the rush, a run relayed %d; %d of %d in all, want every change", rest, first+rest, n)
		}
		t.Logf("during the rush: %d changes; after: %d", first, rest)
	})
}

// While bookings queue, an email waits (its tickets' PDF would take the
// CPU from them), and it goes as soon as the rush is over.
func TestEmailsWaitForARush(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		ctx := t.Context()
		store := testdb.Migrated(t, engine)
		dir := filepath.Join(t.TempDir(), "outbox")
		outbox, err := mail.NewOutbox(dir, "boxoffice <tickets@example.com>")
		if err != nil {
			t.Fatal(err)
		}
		svc := service.New(store, service.Options{Mail: outbox})
		t.Cleanup(svc.Close)
		ann := storetest.MustCreateUser(t, store, "Ann")
		ev := storetest.MustCreateEvent(t, store, 10, 24*time.Hour)
		b, err := svc.Bookings.CreateBooking(as(ctx, ann), boxoffice.BookingRequest{UserID: ann.ID, EventID: ev.ID, Tickets: 1})
		if err != nil {
			t.Fatal(err)
		}
		var rushing atomic.Bool
		rushing.Store(true)
		svc.Notifications.SetRushing(rushing.Load)
		sent := make(chan error, 1)
		go func() {
			sent <- svc.Notifications.SendMail(ctx, service.SendMailJob{Template: "booking_confirmed", To: ann.ID,
				Change: boxoffice.Change{Kind: boxoffice.ChangeBookingConfirmed, At: time.Now(), UserID: ann.ID, EventID: ev.ID, BookingID: b.ID}})
		}()
		select {
		case err := <-sent:
			t.Fatalf("the email went during the rush (%v)", err)
		case <-time.After(300 * time.Millisecond):
		}
		if n := len(outboxMessages(t, dir)); n != 0 {
			t.Fatalf("%d emails written during the rush", n)
		}
		rushing.Store(false)
		select {
		case err := <-sent:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the email still waits 10 s after the rush")
		}
		if n := len(outboxMessages(t, dir)); n != 1 {
			t.Fatalf("%d emails after the rush, want 1", n)
		}
	})
}
