package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// A password hash as the service stores it (argon2id, PHC string format);
// the stores keep it as an opaque string.
const (
	testHash  = "$argon2id$v=19$m=65536,t=3,p=2$c29tZXNhbHRzb21lc2FsdA$u1z3gDm7Yd9j0Q0i7kFv4Xy0Sx8yZq2Xq3e1c7b9a0k"
	testHash2 = "$argon2id$v=19$m=65536,t=3,p=2$b3RoZXJzYWx0b3RoZXJzYQ$Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycA"
)

// testAccounts covers what accounts and roles added to the stores: users'
// roles, password hashes and token versions, events' organizers, bookings
// by organizer, and the migration that brought them.
func testAccounts(t *testing.T, open Opener) {
	t.Run("CreateWithRoleAndHash", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		admin := NewUser("Root")
		admin.Role, admin.PasswordHash = boxoffice.RoleAdmin, testHash
		MustInsertUser(t, s, admin)
		org := NewUser("Olga")
		org.Role, org.PasswordHash, org.TokenVersion = boxoffice.RoleOrganizer, testHash2, 3 // as given
		MustInsertUser(t, s, org)
		cust := MustCreateUser(t, s, "Carl") // no password: cannot sign in

		for _, want := range []*boxoffice.User{admin, org, cust} {
			got, err := s.Users().ByID(ctx, want.ID)
			if err != nil {
				t.Fatalf("FindUserByID: %v", err)
			}
			if d := diffUser(got, want); d != "" {
				t.Errorf("stored %s differs from the created one: %s", want.Username, d)
			}
		}
		byID, err := s.Users().ByIDs(ctx, []string{admin.ID, org.ID})
		if err != nil || len(byID) != 2 {
			t.Fatalf("FindUsersByIDs = %d users, %v; want 2", len(byID), err)
		}
		listed, _, err := s.Users().Find(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 1, Limit: 10}})
		if err != nil || len(listed) != 3 {
			t.Fatalf("FindUsers = %d users, %v; want 3", len(listed), err)
		}
		want := map[string]*boxoffice.User{admin.ID: admin, org.ID: org, cust.ID: cust}
		for _, got := range append(byID, listed...) {
			if d := diffUser(got, want[got.ID]); d != "" {
				t.Errorf("listed %s: %s", got.Username, d)
			}
		}

		// An empty role is the column's default, and set in u.
		none := NewUser("Nora")
		none.Role = ""
		MustInsertUser(t, s, none)
		if none.Role != boxoffice.RoleCustomer {
			t.Errorf("CreateUser with no role set u.Role = %q, want %q", none.Role, boxoffice.RoleCustomer)
		}
		if got, err := s.Users().ByID(ctx, none.ID); err != nil || got.Role != boxoffice.RoleCustomer {
			t.Errorf("user created with no role: %+v, %v; want a %s", got, err, boxoffice.RoleCustomer)
		}
	})

	t.Run("FindUserByEmail", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := NewUser("Mixed")
		u.Email, u.Role, u.PasswordHash = "Mixed.Case@Example.COM", boxoffice.RoleOrganizer, testHash
		MustInsertUser(t, s, u)
		if u.Email != "mixed.case@example.com" {
			t.Errorf("CreateUser set the email to %q, want it lower-cased", u.Email)
		}
		MustCreateUser(t, s, "other")

		for _, email := range []string{"mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM", "Mixed.Case@Example.COM"} {
			got, err := s.Users().ByEmail(ctx, email)
			if err != nil {
				t.Errorf("FindUserByEmail(%q): %v", email, err)
				continue
			}
			if d := diffUser(got, u); d != "" {
				t.Errorf("FindUserByEmail(%q): %s", email, d)
			}
		}
		// No partial or pattern matches.
		for _, email := range []string{"nobody@example.com", "mixed.case@example", "%@example.com", "mixed_case@example.com", ""} {
			_, err := s.Users().ByEmail(ctx, email)
			WantCode(t, err, boxoffice.ENOTFOUND)
		}
	})

	t.Run("UpdateUser", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Uma")
		bystander := NewUser("Ben")
		bystander.PasswordHash = testHash2
		MustInsertUser(t, s, bystander)
		want := *u

		// update applies upd, and checks what it returns and what is stored
		// against want, changed by change; UpdatedAt must move to about now.
		update := func(what string, upd boxoffice.UserUpdate, change func(*boxoffice.User)) {
			t.Helper()
			waitPast(want.UpdatedAt)
			before := boxoffice.Now()
			got, err := s.Users().Update(ctx, u.ID, upd)
			after := boxoffice.Now()
			if err != nil {
				t.Fatalf("%s: UpdateUser: %v", what, err)
			}
			change(&want)
			if got.UpdatedAt.Before(before) || got.UpdatedAt.After(after) || !got.UpdatedAt.After(u.CreatedAt) {
				t.Errorf("%s: UpdatedAt %v, want it moved to within [%v, %v]", what, got.UpdatedAt, before, after)
			}
			want.UpdatedAt = got.UpdatedAt
			if d := diffUser(got, &want); d != "" {
				t.Errorf("%s: UpdateUser returned: %s", what, d)
			}
			stored, err := s.Users().ByID(ctx, u.ID)
			if err != nil {
				t.Fatalf("%s: FindUserByID: %v", what, err)
			}
			if d := diffUser(stored, &want); d != "" {
				t.Errorf("%s: stored user: %s", what, d)
			}
		}

		hash, hash2 := testHash, testHash2
		organizer, admin := boxoffice.RoleOrganizer, boxoffice.RoleAdmin
		update("password", boxoffice.UserUpdate{PasswordHash: &hash}, func(w *boxoffice.User) { w.PasswordHash = hash })
		update("role", boxoffice.UserUpdate{Role: &organizer}, func(w *boxoffice.User) { w.Role = organizer })
		update("bump", boxoffice.UserUpdate{BumpTokenVersion: true}, func(w *boxoffice.User) { w.TokenVersion = 1 })
		update("bump again", boxoffice.UserUpdate{BumpTokenVersion: true}, func(w *boxoffice.User) { w.TokenVersion = 2 })
		update("password change, revoking tokens", boxoffice.UserUpdate{PasswordHash: &hash2, BumpTokenVersion: true}, func(w *boxoffice.User) {
			w.PasswordHash, w.TokenVersion = hash2, 3
		})
		update("all at once", boxoffice.UserUpdate{PasswordHash: &hash, Role: &admin, BumpTokenVersion: true}, func(w *boxoffice.User) {
			w.PasswordHash, w.Role, w.TokenVersion = hash, admin, 4
		})
		update("nothing but the time", boxoffice.UserUpdate{}, func(*boxoffice.User) {})
		empty := ""
		update("password removed", boxoffice.UserUpdate{PasswordHash: &empty}, func(w *boxoffice.User) { w.PasswordHash = "" })
		// Any letter case of the id.
		if got, err := s.Users().Update(ctx, strings.ToUpper(u.ID), boxoffice.UserUpdate{BumpTokenVersion: true}); err != nil || got.ID != u.ID || got.TokenVersion != 5 {
			t.Errorf("UpdateUser(upper-case id) = %+v, %v; want user %s at token version 5", got, err, u.ID)
		}

		_, err := s.Users().Update(ctx, boxoffice.NewID(), boxoffice.UserUpdate{PasswordHash: &hash, Role: &admin, BumpTokenVersion: true})
		WantCode(t, err, boxoffice.ENOTFOUND)
		_, err = s.Users().Update(ctx, boxoffice.NewID(), boxoffice.UserUpdate{})
		WantCode(t, err, boxoffice.ENOTFOUND)
		for _, id := range []string{"not-a-uuid", ""} { // the service's to refuse
			_, err = s.Users().Update(ctx, id, boxoffice.UserUpdate{BumpTokenVersion: true})
			CheckError(t, err)
			if err == nil {
				t.Errorf("UpdateUser(%q) succeeded", id)
			}
		}

		if got, err := s.Users().ByID(ctx, bystander.ID); err != nil {
			t.Fatalf("FindUserByID: %v", err)
		} else if d := diffUser(got, bystander); d != "" {
			t.Errorf("updating another user changed %s: %s", bystander.Username, d)
		}
	})

	t.Run("InvalidRole", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		for _, role := range []boxoffice.Role{"SUPERUSER", "admin", " ADMIN"} {
			u := NewUser("Mallory")
			u.Role = role
			err := s.Users().Create(ctx, u)
			wantInvalidRole(t, "CreateUser with role "+string(role), err)
		}
		if _, n, err := s.Users().Find(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); err != nil || n != 0 {
			t.Errorf("after refused inserts: %d users (err %v), want 0", n, err)
		}

		u := MustCreateUser(t, s, "Victor")
		bad, hash := boxoffice.Role("ROOT"), testHash
		_, err := s.Users().Update(ctx, u.ID, boxoffice.UserUpdate{Role: &bad, PasswordHash: &hash, BumpTokenVersion: true})
		wantInvalidRole(t, "UpdateUser with role ROOT", err)
		if got, err := s.Users().ByID(ctx, u.ID); err != nil {
			t.Fatalf("FindUserByID: %v", err)
		} else if d := diffUser(got, u); d != "" {
			t.Errorf("a refused update changed the user: %s", d)
		}
	})

	t.Run("EventOrganizer", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		org := MustCreateUserWithRole(t, s, "Olga", boxoffice.RoleOrganizer)
		organized := MustCreateOrganizedEvent(t, s, org, 10, time.Hour)
		orphan := MustCreateEvent(t, s, 10, 2*time.Hour) // nobody organizes it
		upper := NewEvent(10, 3*time.Hour)
		upperID := strings.ToUpper(org.ID)
		upper.OrganizerID = &upperID
		MustInsertEvent(t, s, upper)
		if upper.OrganizerID == nil || *upper.OrganizerID != org.ID {
			t.Errorf("CreateEvent with an upper-case organizer id set it to %v, want the canonical %s", upper.OrganizerID, org.ID)
		}
		if orphan.OrganizerID != nil {
			t.Errorf("CreateEvent with no organizer set one: %s", *orphan.OrganizerID)
		}
		all := map[string]*boxoffice.Event{organized.ID: organized, orphan.ID: orphan, upper.ID: upper}

		// Every way of reading events carries the organizer.
		check := func(what string, got []*boxoffice.Event, err error, n int) {
			t.Helper()
			if err != nil || len(got) != n {
				t.Fatalf("%s = %d events, %v; want %d", what, len(got), err, n)
			}
			for _, g := range got {
				if d := diffEvent(g, all[g.ID]); d != "" {
					t.Errorf("%s: %s", what, d)
				}
			}
		}
		for _, want := range all {
			got, err := s.Events().ByID(ctx, want.ID)
			check("FindEventByID", []*boxoffice.Event{got}, err, 1)
		}
		got, _, err := s.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 1, Limit: 10}})
		check("FindEvents", got, err, 3)
		got, err = s.Events().ByIDs(ctx, []string{organized.ID, orphan.ID, upper.ID})
		check("FindEventsByIDs", got, err, 3)
		got, err = s.Events().Popular(ctx, 10)
		check("PopularEvents", got, err, 3)
		got, err = s.Events().Upcoming(ctx, Tick(), 10)
		check("UpcomingEvents", got, err, 3)

		// Updates keep the organizer.
		title := "Renamed"
		updated, err := updateEvent(ctx, s, organized.ID, boxoffice.EventUpdate{Title: &title, Version: 1})
		if err != nil {
			t.Fatalf("UpdateEvent: %v", err)
		}
		if updated.OrganizerID == nil || *updated.OrganizerID != org.ID {
			t.Errorf("UpdateEvent returned organizer %v, want %s", updated.OrganizerID, org.ID)
		}
		if d := diffEvent(MustFindEvent(t, s, organized.ID), updated); d != "" {
			t.Errorf("stored event after the update: %s", d)
		}
		if got := MustFindEvent(t, s, orphan.ID); got.OrganizerID != nil {
			t.Errorf("event with no organizer now has %s", *got.OrganizerID)
		}

		// Bookings leave the organizer alone.
		buyer := MustCreateUser(t, s, "buyer")
		MustBook(t, s, buyer, organized, 2)
		if got := MustFindEvent(t, s, organized.ID); got.OrganizerID == nil || *got.OrganizerID != org.ID {
			t.Errorf("after a booking the organizer is %v, want %s", got.OrganizerID, org.ID)
		}
	})

	t.Run("UnknownOrganizer", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		MustCreateUser(t, s, "someone")
		for _, id := range []string{boxoffice.NewID(), "not-a-uuid"} {
			e := NewEvent(10, time.Hour)
			e.OrganizerID = &id
			err := s.Events().Create(ctx, e)
			WantCode(t, err, boxoffice.ENOTFOUND)
			if msg := boxoffice.ErrorMessage(err); msg != "organizer not found" {
				t.Errorf("CreateEvent with organizer %q: message %q, want %q", id, msg, "organizer not found")
			}
			_, err = s.Events().ByID(ctx, e.ID)
			WantCode(t, err, boxoffice.ENOTFOUND)
		}
		if _, n, err := s.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); err != nil || n != 0 {
			t.Errorf("after refused inserts: %d events (err %v), want 0", n, err)
		}
		MustCreateEvent(t, s, 1, time.Hour) // the store works on
	})

	t.Run("FindBookingsByOrganizer", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		olga := MustCreateUserWithRole(t, s, "olga", boxoffice.RoleOrganizer)
		oscar := MustCreateUserWithRole(t, s, "oscar", boxoffice.RoleOrganizer)
		idle := MustCreateUserWithRole(t, s, "idle", boxoffice.RoleOrganizer) // organizes nothing
		u1, u2 := MustCreateUser(t, s, "one"), MustCreateUser(t, s, "two")
		e1 := MustCreateOrganizedEvent(t, s, olga, 50, time.Hour)
		e2 := MustCreateOrganizedEvent(t, s, olga, 50, 2*time.Hour)
		e3 := MustCreateOrganizedEvent(t, s, oscar, 50, time.Hour)
		e4 := MustCreateEvent(t, s, 50, time.Hour) // nobody's

		// b[0] oldest .. b[8] newest. Oscar buys for Olga's event too: as a
		// buyer, not as its organizer.
		plan := []struct {
			u *boxoffice.User
			e *boxoffice.Event
		}{{u1, e1}, {u2, e3}, {u1, e2}, {u2, e1}, {u1, e4}, {oscar, e1}, {u2, e2}, {u1, e3}, {u2, e4}}
		var b []*boxoffice.Booking
		for i, p := range plan {
			if i > 0 {
				waitPast(b[i-1].CreatedAt)
			}
			b = append(b, MustBook(t, s, p.u, p.e, 1+i%3))
		}
		if _, err := cancelBooking(ctx, s, b[3].ID, Tick()); err != nil {
			t.Fatalf("CancelBooking: %v", err)
		}
		ids := func(is ...int) []string {
			out := make([]string, len(is))
			for i, n := range is {
				out[i] = b[n].ID
			}
			return out
		}

		cases := []struct {
			name   string
			filter boxoffice.BookingFilter
			want   []string // newest first
		}{
			{"olga's events", boxoffice.BookingFilter{OrganizerID: olga.ID}, ids(6, 5, 3, 2, 0)},
			{"oscar's events", boxoffice.BookingFilter{OrganizerID: oscar.ID}, ids(7, 1)},
			{"organizer id in upper case", boxoffice.BookingFilter{OrganizerID: strings.ToUpper(olga.ID)}, ids(6, 5, 3, 2, 0)},
			{"organizes nothing", boxoffice.BookingFilter{OrganizerID: idle.ID}, nil},
			{"a customer", boxoffice.BookingFilter{OrganizerID: u1.ID}, nil},
			{"unknown organizer", boxoffice.BookingFilter{OrganizerID: boxoffice.NewID()}, nil},
			{"malformed organizer id", boxoffice.BookingFilter{OrganizerID: "not-a-uuid"}, nil},
			{"olga's, by one buyer", boxoffice.BookingFilter{OrganizerID: olga.ID, UserID: u2.ID}, ids(6, 3)},
			{"olga's, bought by oscar", boxoffice.BookingFilter{OrganizerID: olga.ID, UserID: oscar.ID}, ids(5)},
			{"oscar's, bought by oscar", boxoffice.BookingFilter{OrganizerID: oscar.ID, UserID: oscar.ID}, nil},
			{"olga's, one of her events", boxoffice.BookingFilter{OrganizerID: olga.ID, EventID: e2.ID}, ids(6, 2)},
			{"olga's, someone else's event", boxoffice.BookingFilter{OrganizerID: olga.ID, EventID: e3.ID}, nil},
			{"olga's, nobody's event", boxoffice.BookingFilter{OrganizerID: olga.ID, EventID: e4.ID}, nil},
			{"olga's, buyer and event", boxoffice.BookingFilter{OrganizerID: olga.ID, UserID: u1.ID, EventID: e1.ID}, ids(0)},
			{"olga's, cancelled", boxoffice.BookingFilter{OrganizerID: olga.ID, Status: boxoffice.BookingCancelled}, ids(3)},
			{"olga's, confirmed", boxoffice.BookingFilter{OrganizerID: olga.ID, Status: boxoffice.BookingConfirmed}, ids(6, 5, 2, 0)},
			{"olga's, from b[2] before b[6]", boxoffice.BookingFilter{OrganizerID: olga.ID, CreatedFrom: &b[2].CreatedAt, CreatedBefore: &b[6].CreatedAt}, ids(5, 3, 2)},
		}
		for _, c := range cases {
			c.filter.Page = boxoffice.Page{Page: 1, Limit: 10}
			got, total, err := s.Bookings().Find(ctx, c.filter)
			if err != nil {
				t.Errorf("%s: FindBookings: %v", c.name, err)
				continue
			}
			if total != len(c.want) {
				t.Errorf("%s: total %d, want %d", c.name, total, len(c.want))
			}
			wantIDs(t, c.name, bookingIDs(got), c.want)
			if got == nil {
				t.Errorf("%s: nil list, want an empty one", c.name)
			}
		}

		// Pages: the total counts all of the organizer's bookings.
		got, total, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{OrganizerID: olga.ID, Page: boxoffice.Page{Page: 2, Limit: 2}})
		if err != nil || total != 5 {
			t.Fatalf("FindBookings olga's page 2: total %d, err %v; want 5", total, err)
		}
		wantIDs(t, "olga's page 2 of 2", bookingIDs(got), ids(3, 2))
		got, total, err = s.Bookings().Find(ctx, boxoffice.BookingFilter{OrganizerID: olga.ID, Page: boxoffice.Page{Page: 4, Limit: 2}})
		if err != nil || total != 5 || len(got) != 0 {
			t.Errorf("FindBookings olga's page past the end: %d bookings, total %d, err %v; want 0, 5", len(got), total, err)
		}
		AssertInvariants(t, s)
	})

	t.Run("MigrateDownUp", func(t *testing.T) {
		ctx := t.Context()
		e := Migrated(t, open)
		all := mustStatus(t, e)

		// Data in every new column, and rows the foreign keys reference.
		admin := NewUser("Ada")
		admin.Role, admin.PasswordHash = boxoffice.RoleAdmin, testHash
		MustInsertUser(t, e, admin)
		org := MustCreateUserWithRole(t, e, "Olga", boxoffice.RoleOrganizer)
		if _, err := e.Users().Update(ctx, org.ID, boxoffice.UserUpdate{BumpTokenVersion: true}); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		buyer := MustCreateUser(t, e, "Bea")
		organized := MustCreateOrganizedEvent(t, e, org, 10, time.Hour)
		plain := MustCreateEvent(t, e, 5, 2*time.Hour)
		kept := MustBook(t, e, buyer, organized, 3)
		MustBook(t, e, admin, plain, 1)
		if _, err := cancelBooking(ctx, e, kept.ID, Tick()); err != nil {
			t.Fatal(err)
		}
		MustBook(t, e, buyer, organized, 2)

		// Down to before the accounts migration (and whatever came after it).
		accounts := int64(0)
		for accounts == 0 {
			s, err := e.MigrateDown(ctx)
			if err != nil {
				t.Fatalf("MigrateDown: %v", err)
			}
			if strings.HasSuffix(s.Name, "_accounts.sql") {
				accounts = s.Version
			}
		}
		for _, st := range mustStatus(t, e) {
			if st.Applied != (st.Version < accounts) {
				t.Errorf("after rolling back the accounts migration: migration %d (%s) applied = %t", st.Version, st.Name, st.Applied)
			}
		}

		// The rows survive on the old schema. (Today's code does not run on
		// it: serve refuses a database with pending migrations.)
		page := boxoffice.Page{Page: 1, Limit: 10}

		// Up again: the rows are all there, the new columns at their defaults.
		applied, err := e.MigrateUp(ctx)
		if err != nil {
			t.Fatalf("MigrateUp again: %v", err)
		}
		var want []int64
		for _, st := range all {
			if st.Version >= accounts {
				want = append(want, st.Version)
			}
		}
		var got []int64
		for _, st := range applied {
			got = append(got, st.Version)
		}
		if !slices.Equal(got, want) {
			t.Errorf("MigrateUp again applied versions %v, want %v", got, want)
		}
		for _, u := range []*boxoffice.User{admin, org, buyer} {
			got, err := e.Users().ByID(ctx, u.ID)
			if err != nil {
				t.Fatalf("FindUserByID after down and up: %v", err)
			}
			want := *u
			want.Role, want.PasswordHash, want.TokenVersion = boxoffice.RoleCustomer, "", 0
			if got.UpdatedAt.Before(u.UpdatedAt) {
				t.Errorf("%s: UpdatedAt went back to %v from %v", u.Username, got.UpdatedAt, u.UpdatedAt)
			}
			want.UpdatedAt = got.UpdatedAt // the update above moved org's
			if d := diffUser(got, &want); d != "" {
				t.Errorf("%s after down and up: %s", u.Username, d)
			}
		}
		for _, ev := range []*boxoffice.Event{organized, plain} {
			got := MustFindEvent(t, e, ev.ID)
			if got.OrganizerID != nil {
				t.Errorf("event %s after down and up: organizer %s, want none", ev.ID, *got.OrganizerID)
			}
			if got.Title != ev.Title || got.TotalTickets != ev.TotalTickets || got.Version != ev.Version || !got.Date.Equal(ev.Date) {
				t.Errorf("event after down and up: %+v, want %+v but for the organizer", got, ev)
			}
		}
		WantAvailable(t, e, organized.ID, 8) // 3 booked and cancelled, 2 booked
		WantAvailable(t, e, plain.ID, 4)
		AssertInvariants(t, e)

		// And the new columns work again.
		hash := testHash2
		if got, err := e.Users().Update(ctx, org.ID, boxoffice.UserUpdate{PasswordHash: &hash, BumpTokenVersion: true}); err != nil || got.TokenVersion != 1 || got.PasswordHash != hash {
			t.Errorf("UpdateUser after down and up = %+v, %v", got, err)
		}
		again := MustCreateOrganizedEvent(t, e, org, 5, time.Hour)
		MustBook(t, e, buyer, again, 1)
		if _, n, err := e.Bookings().Find(ctx, boxoffice.BookingFilter{OrganizerID: org.ID, Page: page}); err != nil || n != 1 {
			t.Errorf("FindBookings by organizer after down and up: %d, %v; want 1", n, err)
		}
		if got, err := e.Users().ByEmail(ctx, strings.ToUpper(buyer.Email)); err != nil || got.ID != buyer.ID {
			t.Errorf("FindUserByEmail after down and up = %v, %v", got, err)
		}
		usable(t, e)
	})
}

// wantInvalidRole fails t unless err is the EINVALID error of a role the
// users table refuses.
func wantInvalidRole(t *testing.T, what string, err error) {
	t.Helper()
	CheckError(t, err)
	if code := boxoffice.ErrorCode(err); code != boxoffice.EINVALID {
		t.Errorf("%s: code %q (%v), want %q", what, code, err, boxoffice.EINVALID)
		return
	}
	if f, msg := boxoffice.ErrorField(err), boxoffice.ErrorMessage(err); f != "role" || msg != "role is not valid" {
		t.Errorf("%s: field %q, message %q; want role, %q", what, f, msg, "role is not valid")
	}
}
