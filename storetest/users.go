package storetest

import (
	"testing"

	"github.com/boxoffice/boxoffice"
)

func testUsers(t *testing.T, open Opener) {
	t.Run("CreateFind", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Alice")
		got, err := s.Users().ByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("FindUserByID: %v", err)
		}
		if d := diffUser(got, u); d != "" {
			t.Errorf("stored user differs from the created one: %s", d)
		}
		_, err = s.Users().ByID(ctx, boxoffice.NewID())
		WantCode(t, err, boxoffice.ENOTFOUND)
	})

	t.Run("Conflicts", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "bob")

		other := NewUser("bobby")
		other.Email = "BOB@Example.COM" // bob@example.com in another case
		WantCode(t, s.Users().Create(ctx, other), boxoffice.ECONFLICT)

		sameID := NewUser("robert")
		sameID.ID = u.ID
		WantCode(t, s.Users().Create(ctx, sameID), boxoffice.ECONFLICT)

		if _, n, err := s.Users().Find(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); err != nil || n != 1 {
			t.Errorf("after the conflicts: %d users (err %v), want 1", n, err)
		}
		// The store works on after a failed insert.
		MustCreateUser(t, s, "carol")
	})

	t.Run("ListOrderAndPages", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		var users []*boxoffice.User // oldest first
		for _, name := range []string{"u0", "u1", "u2", "u3", "u4"} {
			users = append(users, MustCreateUser(t, s, name))
		}
		id := func(i int) string { return users[i].ID }

		got, total, err := s.Users().Find(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 1, Limit: 10}})
		if err != nil {
			t.Fatalf("FindUsers: %v", err)
		}
		if total != 5 {
			t.Errorf("total %d, want 5", total)
		}
		wantIDs(t, "users, newest first", userIDs(got), []string{id(4), id(3), id(2), id(1), id(0)})

		got, total, err = s.Users().Find(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 2, Limit: 2}})
		if err != nil {
			t.Fatalf("FindUsers page 2: %v", err)
		}
		if total != 5 {
			t.Errorf("page 2: total %d, want 5", total)
		}
		wantIDs(t, "page 2 of 2", userIDs(got), []string{id(2), id(1)})

		got, total, err = s.Users().Find(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 3, Limit: 2}})
		if err != nil || total != 5 {
			t.Fatalf("FindUsers page 3: total %d, err %v", total, err)
		}
		wantIDs(t, "page 3 of 2", userIDs(got), []string{id(0)})

		got, total, err = s.Users().Find(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 9, Limit: 2}})
		if err != nil || total != 5 || len(got) != 0 {
			t.Errorf("page past the end: %d users, total %d, err %v; want 0, 5, nil", len(got), total, err)
		}
		if got == nil && err == nil {
			t.Errorf("page past the end: nil list, want an empty one")
		}
	})

	t.Run("Filters", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		mk := func(name, email string) *boxoffice.User {
			u := NewUser(name)
			u.Email = email
			return MustInsertUser(t, s, u)
		}
		alice := mk("Alice", "alice@wonder.org")
		alison := mk("alIson", "alison@example.com")
		bob := mk("Bob", "bob@Wonder.ORG")
		pct := mk("100%_real", "a_b@example.com")
		xx := mk("100xxreal", "axb@example.com")
		under := mk("snake_case", "snake@example.com")
		back := mk(`back\slash`, "back@example.com")
		emile := mk("Émile", "emile@example.com")

		cases := []struct {
			name   string
			filter boxoffice.UserFilter
			want   []*boxoffice.User // newest first
		}{
			{"username any case", boxoffice.UserFilter{Username: "ALI"}, []*boxoffice.User{alison, alice}},
			{"username substring", boxoffice.UserFilter{Username: "ob"}, []*boxoffice.User{bob}},
			{"email any case", boxoffice.UserFilter{Email: "WONDER.org"}, []*boxoffice.User{bob, alice}},
			{"email and username", boxoffice.UserFilter{Email: "wonder", Username: "b"}, []*boxoffice.User{bob}},
			{"percent is literal", boxoffice.UserFilter{Username: "0%"}, []*boxoffice.User{pct}},
			{"percent alone", boxoffice.UserFilter{Username: "%"}, []*boxoffice.User{pct}},
			{"underscore is literal", boxoffice.UserFilter{Username: "_"}, []*boxoffice.User{under, pct}},
			{"underscore in email", boxoffice.UserFilter{Email: "a_b"}, []*boxoffice.User{pct}},
			{"backslash is literal", boxoffice.UserFilter{Username: `k\s`}, []*boxoffice.User{back}},
			{"no match", boxoffice.UserFilter{Email: "nobody"}, nil},
			{"username, any case beyond ASCII", boxoffice.UserFilter{Username: "ÉMI"}, []*boxoffice.User{emile}},
			{"no filter", boxoffice.UserFilter{}, []*boxoffice.User{emile, back, under, xx, pct, bob, alison, alice}},
		}
		for _, c := range cases {
			c.filter.Page = boxoffice.Page{Page: 1, Limit: 10}
			got, total, err := s.Users().Find(ctx, c.filter)
			if err != nil {
				t.Errorf("%s: FindUsers: %v", c.name, err)
				continue
			}
			if total != len(c.want) {
				t.Errorf("%s: total %d, want %d", c.name, total, len(c.want))
			}
			wantIDs(t, c.name, userIDs(got), userIDs(c.want))
		}

		// A filtered page: total counts the matches, not the page.
		got, total, err := s.Users().Find(ctx, boxoffice.UserFilter{Email: "example.com", Page: boxoffice.Page{Page: 2, Limit: 2}})
		if err != nil {
			t.Fatalf("FindUsers filtered page 2: %v", err)
		}
		if total != 6 {
			t.Errorf("filtered page 2: total %d, want 6", total)
		}
		wantIDs(t, "filtered page 2", userIDs(got), userIDs([]*boxoffice.User{under, xx}))
	})

	t.Run("FindUsersByIDs", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		a := MustCreateUser(t, s, "ann")
		b := MustCreateUser(t, s, "ben")
		MustCreateUser(t, s, "cid")

		got, err := s.Users().ByIDs(ctx, []string{b.ID, boxoffice.NewID(), a.ID, b.ID})
		if err != nil {
			t.Fatalf("FindUsersByIDs: %v", err)
		}
		wantIDs(t, "FindUsersByIDs (any order, each once)", sorted(userIDs(got)), sorted([]string{a.ID, b.ID}))
		for _, u := range got {
			want := a
			if u.ID == b.ID {
				want = b
			}
			if d := diffUser(u, want); d != "" {
				t.Errorf("FindUsersByIDs: %s", d)
			}
		}

		got, err = s.Users().ByIDs(ctx, []string{boxoffice.NewID()})
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("FindUsersByIDs(unknown) = %v, %v; want an empty list", got, err)
		}
		got, err = s.Users().ByIDs(ctx, nil)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("FindUsersByIDs(nil) = %v, %v; want an empty list", got, err)
		}
	})
}
