package storetest

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func testMigrations(t *testing.T, open Opener) {
	t.Run("StatusOnFreshEngine", func(t *testing.T) {
		e := open(t)
		if err := e.CreateSchema(t.Context()); err != nil {
			t.Fatalf("CreateSchema: %v", err)
		}
		if err := e.CreateSchema(t.Context()); err != nil {
			t.Fatalf("CreateSchema again (must be idempotent): %v", err)
		}
		states := mustStatus(t, e)
		if len(states) == 0 {
			t.Fatal("MigrationStatus lists no migration")
		}
		if n := boxoffice.Pending(states); n != len(states) {
			t.Errorf("fresh engine: %d of %d migrations pending, want all", n, len(states))
		}
		for i, s := range states {
			if s.Name == "" || s.Version <= 0 {
				t.Errorf("migration %d: version %d, name %q", i, s.Version, s.Name)
			}
			if i > 0 && s.Version <= states[i-1].Version {
				t.Errorf("migrations not oldest first: %d after %d", s.Version, states[i-1].Version)
			}
			if !s.AppliedAt.IsZero() {
				t.Errorf("pending migration %d has AppliedAt %v", s.Version, s.AppliedAt)
			}
		}
	})

	t.Run("UpDownUp", func(t *testing.T) {
		ctx := t.Context()
		e := open(t)
		if err := e.CreateSchema(ctx); err != nil {
			t.Fatalf("CreateSchema: %v", err)
		}
		all := mustStatus(t, e)
		before := time.Now().Add(-time.Minute)

		applied, err := e.MigrateUp(ctx)
		if err != nil {
			t.Fatalf("MigrateUp: %v", err)
		}
		if len(applied) != len(all) {
			t.Fatalf("MigrateUp applied %d migrations, want all %d", len(applied), len(all))
		}
		for i, s := range applied {
			if s.Version != all[i].Version || !s.Applied {
				t.Errorf("MigrateUp result %d: %+v, want version %d applied", i, s, all[i].Version)
			}
		}
		states := mustStatus(t, e)
		if n := boxoffice.Pending(states); n != 0 {
			t.Errorf("after MigrateUp: %d pending", n)
		}
		for _, s := range states {
			if s.AppliedAt.Before(before) || s.AppliedAt.After(time.Now().Add(time.Minute)) {
				t.Errorf("migration %d: AppliedAt %v, want about now", s.Version, s.AppliedAt)
			}
		}
		if again, err := e.MigrateUp(ctx); err != nil || len(again) != 0 {
			t.Errorf("MigrateUp when up to date: %d applied, err %v; want 0, nil", len(again), err)
		}
		usable(t, e) // leaves data behind, which the migrations down must drop

		// Down, one at a time, newest first.
		for i := len(all) - 1; i >= 0; i-- {
			s, err := e.MigrateDown(ctx)
			if err != nil {
				t.Fatalf("MigrateDown (%d applied): %v", i+1, err)
			}
			if s == nil || s.Version != all[i].Version {
				t.Fatalf("MigrateDown rolled back %+v, want version %d", s, all[i].Version)
			}
			if n := boxoffice.Pending(mustStatus(t, e)); n != len(all)-i {
				t.Fatalf("after rolling back %d: %d pending, want %d", s.Version, n, len(all)-i)
			}
		}
		_, err = e.MigrateDown(ctx)
		WantCode(t, err, boxoffice.ENOTFOUND)

		tablesGone(t, e)

		applied, err = e.MigrateUp(ctx)
		if err != nil {
			t.Fatalf("MigrateUp after all down: %v", err)
		}
		if len(applied) != len(all) {
			t.Errorf("MigrateUp after all down applied %d, want %d", len(applied), len(all))
		}
		empty(t, e)
		usable(t, e)
		wantSchema(t, e)
	})

	// The tickets migration gives the bookings confirmed before it their
	// tickets, one per seat, valid, held by the buyer.
	t.Run("TicketsForBookingsConfirmedBefore", func(t *testing.T) {
		ctx := t.Context()
		e := Migrated(t, open)
		ann := MustCreateUser(t, e, "Ann")
		ev := MustCreateEvent(t, e, 10, time.Hour)
		b := MustBook(t, e, ann, ev, 3)
		if _, err := cancelBooking(ctx, e, MustBook(t, e, ann, ev, 2).ID, Tick()); err != nil {
			t.Fatal(err)
		}
		for {
			states := mustStatus(t, e)
			newest := states[len(states)-1-boxoffice.Pending(states)]
			if newest.Version < ticketsMigration {
				break
			}
			if _, err := e.MigrateDown(ctx); err != nil {
				t.Fatalf("MigrateDown: %v", err)
			}
		}
		if _, err := e.MigrateUp(ctx); err != nil {
			t.Fatalf("MigrateUp: %v", err)
		}
		ts := wantTickets(t, e, b.ID, 3, 3)
		for _, tk := range ts {
			if tk.OwnerID != ann.ID || tk.EventID != ev.ID || tk.Version != 1 || !boxoffice.ValidID(tk.ID) {
				t.Errorf("ticket made by the migration: %+v", tk)
			}
		}
		AssertInvariants(t, e)
	})

	t.Run("DropSchemaCreateSchemaUp", func(t *testing.T) {
		ctx := t.Context()
		e := Migrated(t, open)
		usable(t, e)
		n := len(mustStatus(t, e))

		if err := e.DropSchema(ctx); err != nil {
			t.Fatalf("DropSchema: %v", err)
		}
		tablesGone(t, e)
		if err := e.CreateSchema(ctx); err != nil {
			t.Fatalf("CreateSchema after DropSchema: %v", err)
		}
		if p := boxoffice.Pending(mustStatus(t, e)); p != n {
			t.Errorf("after DropSchema and CreateSchema: %d of %d migrations pending, want all", p, n)
		}
		applied, err := e.MigrateUp(ctx)
		if err != nil {
			t.Fatalf("MigrateUp after DropSchema and CreateSchema: %v", err)
		}
		if len(applied) != n {
			t.Errorf("MigrateUp after DropSchema applied %d, want %d", len(applied), n)
		}
		empty(t, e)
		usable(t, e)
		if err := e.DropSchema(ctx); err != nil {
			t.Fatalf("DropSchema again: %v", err)
		}
	})
}

// ticketsMigration is the version of the migration that makes tickets.
const ticketsMigration = 6

func mustStatus(t *testing.T, e Engine) []boxoffice.MigrationState {
	t.Helper()
	states, err := e.MigrationStatus(t.Context())
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	return states
}

// usable proves the store works: a user, an event and a booking round-trip.
func usable(t *testing.T, s boxoffice.Store) {
	t.Helper()
	u := MustCreateUser(t, s, "user-"+boxoffice.NewID()[24:])
	ev := MustCreateEvent(t, s, 5, time.Hour)
	b := MustBook(t, s, u, ev, 2)
	WantAvailable(t, s, ev.ID, 3)
	if got := MustFindBooking(t, s, b.ID); got.UserID != u.ID {
		t.Errorf("booking's user %s, want %s", got.UserID, u.ID)
	}
	AssertInvariants(t, s)
}

// empty fails t unless the store has no user, event or booking.
func empty(t *testing.T, s boxoffice.Store) {
	t.Helper()
	ctx := t.Context()
	page := boxoffice.Page{Page: 1, Limit: 10}
	if _, n, err := s.Users().Find(ctx, boxoffice.UserFilter{Page: page}); err != nil || n != 0 {
		t.Errorf("FindUsers: %d users, err %v; want an empty store", n, err)
	}
	if _, n, err := s.Events().Find(ctx, boxoffice.EventFilter{Page: page}); err != nil || n != 0 {
		t.Errorf("FindEvents: %d events, err %v; want an empty store", n, err)
	}
	if _, n, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{Page: page}); err != nil || n != 0 {
		t.Errorf("FindBookings: %d bookings, err %v; want an empty store", n, err)
	}
}

// tablesGone checks that the store's queries fail, with an internal error
// (not, say, ENOTFOUND, which would hide the missing tables).
func tablesGone(t *testing.T, s boxoffice.Store) {
	t.Helper()
	ctx := t.Context()
	page := boxoffice.Page{Page: 1, Limit: 10}
	checks := map[string]error{}
	_, checks["FindUserByID"] = s.Users().ByID(ctx, boxoffice.NewID())
	_, _, checks["FindUsers"] = s.Users().Find(ctx, boxoffice.UserFilter{Page: page})
	_, _, checks["FindEvents"] = s.Events().Find(ctx, boxoffice.EventFilter{Page: page})
	_, _, checks["FindBookings"] = s.Bookings().Find(ctx, boxoffice.BookingFilter{Page: page})
	checks["CreateUser"] = s.Users().Create(ctx, NewUser("ghost"))
	_, checks["BookBatch"] = s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: boxoffice.NewID(), EventID: boxoffice.NewID(), Tickets: 1}}, boxoffice.BookingTerms{})
	for op, err := range checks {
		if code := boxoffice.ErrorCode(err); code != boxoffice.EINTERNAL {
			t.Errorf("%s with the tables gone: code %q (%v), want %q", op, code, err, boxoffice.EINTERNAL)
		}
	}
}
