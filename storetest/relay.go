package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// testRelay: every committed change is claimed for relaying exactly once,
// even by relays running at once, and one that commits late (a lower id
// than changes already claimed) is still claimed; publishing is flagged
// apart.
func testRelay(t *testing.T, open Opener) {
	t.Run("ClaimOnceEvenConcurrently", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann") // its change is recorded by the service, not the store: none here
		const n = 60
		for i := range n {
			if err := s.Changes().Record(ctx, &boxoffice.Change{Kind: boxoffice.ChangeUserChanged, At: Tick(), UserID: u.ID, Detail: string(rune('a' + i%26))}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				for {
					var got []*boxoffice.Change
					err := s.InTx(ctx, func(tx boxoffice.Tx) error {
						var err error
						got, err = tx.Changes().ClaimUnrelayed(ctx, time.Now(), 7, false)
						return err
					})
					if err != nil {
						t.Errorf("ClaimUnrelayed: %v", err)
						return
					}
					for i := 1; i < len(got); i++ {
						if got[i].ID <= got[i-1].ID {
							t.Errorf("claimed out of order: %d after %d", got[i].ID, got[i-1].ID)
						}
					}
					mu.Lock()
					for _, c := range got {
						seen[c.ID]++
					}
					mu.Unlock()
					if len(got) == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("claimed %d distinct changes, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("change %d claimed %d times", id, k)
			}
		}
		// Not published: relayed and published are separate flags.
		un, err := s.Changes().Unpublished(ctx, 1000)
		if err != nil || len(un) != n {
			t.Fatalf("Unpublished = %d, %v; want %d", len(un), err, n)
		}
		ids := make([]int64, 0, n)
		for i, c := range un {
			if i > 0 && c.ID <= un[i-1].ID {
				t.Errorf("unpublished out of order")
			}
			ids = append(ids, c.ID)
		}
		if err := s.Changes().MarkPublished(ctx, ids[:n/2], time.Now()); err != nil {
			t.Fatal(err)
		}
		un, _ = s.Changes().Unpublished(ctx, 1000)
		if len(un) != n-n/2 || un[0].ID != ids[n/2] {
			t.Errorf("after marking half published, %d unpublished starting at %v, want %d from %d", len(un), un, n-n/2, ids[n/2])
		}
	})

	t.Run("ClaimRolledBackIsClaimedAgain", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		if err := s.Changes().Record(ctx, &boxoffice.Change{Kind: boxoffice.ChangeUserChanged, At: Tick(), UserID: u.ID}); err != nil {
			t.Fatal(err)
		}
		err := s.InTx(ctx, func(tx boxoffice.Tx) error {
			got, err := tx.Changes().ClaimUnrelayed(ctx, time.Now(), 10, true)
			if err == nil && len(got) != 1 {
				t.Errorf("claimed %d, want 1", len(got))
			}
			return boxoffice.Errorf(boxoffice.ECONFLICT, "the jobs could not be queued")
		})
		WantCode(t, err, boxoffice.ECONFLICT)
		got, err := s.Changes().ClaimUnrelayed(ctx, time.Now(), 10, true)
		if err != nil || len(got) != 1 {
			t.Fatalf("after a rollback, claimed %d, %v; want the change again", len(got), err)
		}
		if un, _ := s.Changes().Unpublished(ctx, 10); len(un) != 0 {
			t.Errorf("claimed with published=true, yet %d unpublished", len(un))
		}
	})

	t.Run("LateCommitIsNotSkipped", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		// A transaction records a change (its id numbered now) and commits
		// only after a later change was recorded and claimed.
		recorded, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- s.InTx(ctx, func(tx boxoffice.Tx) error {
				if err := tx.Changes().Record(ctx, &boxoffice.Change{Kind: boxoffice.ChangeUserChanged, At: Tick(), UserID: u.ID, Detail: "late"}); err != nil {
					return err
				}
				if _, err := tx.Changes().After(ctx, 0, 1); err != nil { // sends the insert: its id is numbered
					return err
				}
				close(recorded)
				<-release
				return nil
			})
		}()
		<-recorded
		// SQLite writes one transaction at a time: the late one holds the
		// lock, so the "later" change waits for it; on PostgreSQL it
		// commits first with a higher id.
		later := make(chan error, 1)
		go func() {
			later <- s.Changes().Record(ctx, &boxoffice.Change{Kind: boxoffice.ChangeUserChanged, At: Tick(), UserID: u.ID, Detail: "early"})
		}()
		select {
		case err := <-later:
			if err != nil {
				t.Fatal(err)
			}
			first, err := s.Changes().ClaimUnrelayed(ctx, time.Now(), 10, false)
			if err != nil || len(first) != 1 || first[0].Detail != "early" {
				t.Fatalf("claim while the late change is uncommitted: %v, %v; want only the committed one", first, err)
			}
			close(release)
		case <-time.After(500 * time.Millisecond):
			close(release) // one writer at a time: no late commit possible
			if err := <-later; err != nil {
				t.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		var all []*boxoffice.Change
		for {
			got, err := s.Changes().ClaimUnrelayed(ctx, time.Now(), 10, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			all = append(all, got...)
		}
		un, _ := s.Changes().Unpublished(ctx, 10)
		if len(un) != 2 {
			t.Errorf("%d unpublished, want both changes", len(un))
		}
		found := false
		for _, c := range append(all, un...) {
			found = found || c.Detail == "late"
		}
		if !found {
			t.Errorf("the change that committed late was never claimed")
		}
	})
}

// testWebhooks: endpoints by owner, which hear of an event, deliveries
// made once per change, attempts, disabling and deleting.
func testWebhooks(t *testing.T, open Opener) {
	ctx := t.Context()
	s := Migrated(t, open)
	olga := MustCreateUserWithRole(t, s, "Olga", boxoffice.RoleOrganizer)
	oscar := MustCreateUserWithRole(t, s, "Oscar", boxoffice.RoleOrganizer)
	adam := MustCreateUserWithRole(t, s, "Adam", boxoffice.RoleAdmin)
	ev := MustCreateOrganizedEvent(t, s, olga, 10, time.Hour)
	other := MustCreateOrganizedEvent(t, s, oscar, 10, time.Hour)
	mk := func(owner *boxoffice.User, eventID string, kinds ...boxoffice.ChangeKind) *boxoffice.Webhook {
		w := &boxoffice.Webhook{ID: boxoffice.NewID(), OwnerID: owner.ID, URL: "https://example.com/" + owner.Username, Events: kinds,
			EventID: eventID, Active: true, Secret: "whsec_x", CreatedAt: Tick()}
		if err := s.Webhooks().Create(ctx, w); err != nil {
			t.Fatalf("Create: %v", err)
		}
		return w
	}
	all := mk(olga, "", boxoffice.ChangeBookingConfirmed, boxoffice.ChangeTicketCheckedIn)
	one := mk(olga, ev.ID, boxoffice.ChangeBookingCancelled)
	oscars := mk(oscar, "", boxoffice.ChangeBookingConfirmed)
	admins := mk(adam, "", boxoffice.ChangeBookingConfirmed)
	oscarsOnOlgas := mk(oscar, other.ID, boxoffice.ChangeBookingConfirmed)
	_ = oscarsOnOlgas

	got, err := s.Webhooks().ByID(ctx, all.ID)
	if err != nil || got.URL != all.URL || len(got.Events) != 2 || got.Events[1] != boxoffice.ChangeTicketCheckedIn || got.EventID != "" ||
		!got.Active || got.Secret != "whsec_x" || !got.CreatedAt.Equal(Time(all.CreatedAt)) {
		t.Errorf("ByID = %+v, %v; want %+v", got, err, all)
	}
	mine, err := s.Webhooks().ByOwner(ctx, olga.ID)
	if err != nil || len(mine) != 2 || mine[0].ID != all.ID || mine[1].ID != one.ID {
		t.Errorf("ByOwner(olga) = %v, %v; want her two, oldest first", mine, err)
	}
	listening, err := s.Webhooks().Listening(ctx, ev.ID)
	wantIDs(t, "webhooks listening to olga's event", idsOf(listening, func(w *boxoffice.Webhook) string { return w.ID }),
		[]string{all.ID, one.ID, admins.ID})
	_ = oscars
	WantCode(t, s.Webhooks().Create(ctx, &boxoffice.Webhook{ID: boxoffice.NewID(), OwnerID: olga.ID, URL: "https://x", Events: nil,
		EventID: boxoffice.NewID(), Active: true, Secret: "s", CreatedAt: Tick()}), boxoffice.ENOTFOUND)

	d := &boxoffice.WebhookDelivery{ID: boxoffice.NewID(), WebhookID: all.ID, ChangeID: 42, Type: boxoffice.ChangeBookingConfirmed,
		Payload: []byte(`{"a":1}`), CreatedAt: Tick()}
	dup := *d
	dup.ID = boxoffice.NewID()
	added, err := s.Webhooks().AddDeliveries(ctx, []*boxoffice.WebhookDelivery{d})
	if err != nil || len(added) != 1 {
		t.Fatalf("AddDeliveries = %v, %v", added, err)
	}
	added, err = s.Webhooks().AddDeliveries(ctx, []*boxoffice.WebhookDelivery{&dup})
	if err != nil || len(added) != 0 {
		t.Errorf("a second delivery of the same change to the same webhook: added %v, %v; want none", added, err)
	}
	next := Tick().Add(time.Minute)
	if err := s.Webhooks().RecordAttempt(ctx, d.ID, boxoffice.WebhookAttempt{At: Tick(), Status: 500, Response: "boom", NextAttempt: &next}); err != nil {
		t.Fatal(err)
	}
	at := Tick()
	if err := s.Webhooks().RecordAttempt(ctx, d.ID, boxoffice.WebhookAttempt{At: at, Status: 204, Delivered: true}); err != nil {
		t.Fatal(err)
	}
	back, err := s.Webhooks().Delivery(ctx, d.ID)
	if err != nil || back.Attempts != 2 || back.LastStatus != 204 || back.DeliveredAt == nil || !back.DeliveredAt.Equal(Time(at)) ||
		back.NextAttemptAt != nil || string(back.Payload) != `{"a":1}` || back.ChangeID != 42 {
		t.Errorf("Delivery after two attempts = %+v, %v", back, err)
	}
	list, err := s.Webhooks().Deliveries(ctx, []string{all.ID, one.ID}, 5)
	if err != nil || len(list) != 1 || list[0].ID != d.ID {
		t.Errorf("Deliveries = %v, %v", list, err)
	}

	if err := s.Webhooks().Disable(ctx, all.ID); err != nil {
		t.Fatal(err)
	}
	listening, _ = s.Webhooks().Listening(ctx, ev.ID)
	wantIDs(t, "after disabling one", idsOf(listening, func(w *boxoffice.Webhook) string { return w.ID }), []string{one.ID, admins.ID})
	if err := s.Webhooks().Delete(ctx, all.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Webhooks().Delivery(ctx, d.ID)
	WantCode(t, err, boxoffice.ENOTFOUND)
	WantCode(t, s.Webhooks().Delete(ctx, all.ID), boxoffice.ENOTFOUND)
}

// Time is t as the stores keep it.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// testReminders: a CONFIRMED booking of an event in the window is claimed
// once, even by claims running at once; others never.
func testReminders(t *testing.T, open Opener) {
	ctx := t.Context()
	s := Migrated(t, open)
	ann := MustCreateUser(t, s, "Ann")
	soon := MustCreateEvent(t, s, 20, 24*time.Hour)
	later := MustCreateEvent(t, s, 20, 72*time.Hour)
	var want []string
	for range 5 {
		want = append(want, MustBook(t, s, ann, soon, 1).ID)
	}
	MustBook(t, s, ann, later, 1)
	cancelled := MustBook(t, s, ann, soon, 1)
	if _, err := cancelBooking(ctx, s, cancelled.ID, Tick()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			ids, err := s.Reminders().Claim(ctx, now.Add(20*time.Hour), now.Add(28*time.Hour), now, 100)
			if err != nil {
				t.Errorf("Claim: %v", err)
			}
			mu.Lock()
			got = append(got, ids...)
			mu.Unlock()
		})
	}
	wg.Wait()
	wantIDs(t, "reminded bookings", sorted(got), sorted(want))
	again, err := s.Reminders().Claim(ctx, now.Add(20*time.Hour), now.Add(28*time.Hour), now, 100)
	if err != nil || len(again) != 0 {
		t.Errorf("a second claim: %v, %v; want none", again, err)
	}
}
