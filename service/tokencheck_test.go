package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// always lets every token's check wait for its booking, as the HTTP layer
// does for a createBooking (graph's DefersTokenCheck).
func always() bool { return true }

// A token the server has not seen books without a read of its user first:
// the booking's transaction checks it. A current one books, gives the
// caller their role and is remembered; a revoked one is refused with
// UNAUTHENTICATED and takes nothing; booking for someone else, or with an
// Idempotency-Key, checks it at once.
func TestTokenCheckedInTheBooking(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		ctx := t.Context()
		store := testdb.Migrated(t, engine)
		s := service.New(store, service.Options{Tokens: newTokens(t)})
		t.Cleanup(s.Close)
		ana := storetest.MustCreateUser(t, store, "ana")
		ben := storetest.MustCreateUser(t, store, "ben")
		root := storetest.MustCreateUserWithRole(t, store, "root", boxoffice.RoleAdmin)
		ev := storetest.MustCreateEvent(t, store, 10, 24*time.Hour)
		token := func(u *boxoffice.User) string {
			p, err := s.Accounts.IssueToken(ctx, u.Email)
			if err != nil {
				t.Fatal(err)
			}
			return p.Token
		}
		// deferred authenticates as the HTTP layer does for a createBooking,
		// and reports how many statements that cost.
		deferred := func(tok string) (context.Context, boxoffice.Caller, int64) {
			t.Helper()
			before := store.StatementCount()
			c, err := s.Accounts.Authenticate(ctx, tok, always)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			return boxoffice.NewContextWithCaller(ctx, c), c, store.StatementCount() - before
		}
		book := func(ctx context.Context, u *boxoffice.User) (*boxoffice.Booking, error) {
			return s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1})
		}
		revoke := func(u *boxoffice.User) {
			if _, err := store.Users().Update(ctx, u.ID, boxoffice.UserUpdate{BumpTokenVersion: true}); err != nil {
				t.Fatal(err)
			}
		}

		// A current token: no read before, the booking made, the role known.
		anaToken := token(ana)
		anaCtx, c, n := deferred(anaToken)
		if c.Token == nil || c.Role != "" || n != 0 {
			t.Fatalf("ana's first request: %+v after %d statements; want its token left to check, no role, nothing read", c, n)
		}
		if b, err := book(anaCtx, ana); err != nil || b.UserID != ana.ID {
			t.Fatalf("ana books: %+v, %v", b, err)
		}
		if got := boxoffice.CallerFromContext(anaCtx); got.Token != nil || got.Role != boxoffice.RoleCustomer || got.UserID != ana.ID {
			t.Fatalf("ana after booking: %+v; want her, checked, a customer", got)
		}
		// ... and remembered: paying next reads no user.
		before := store.StatementCount()
		if c, err := s.Accounts.Authenticate(ctx, anaToken, func() bool { t.Error("asked to put off a known token"); return true }); err != nil ||
			c.Token != nil || c.Role != boxoffice.RoleCustomer || store.StatementCount() != before {
			t.Fatalf("ana's next request: %+v, %v, %d statements; want her from memory", c, err, store.StatementCount()-before)
		}

		// A revoked token: refused in the transaction, nothing taken.
		benToken := token(ben)
		revoke(ben)
		benCtx, c, _ := deferred(benToken)
		if c.Token == nil {
			t.Fatalf("ben: %+v; want the check put off", c)
		}
		if b, err := book(benCtx, ben); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED || b != nil {
			t.Fatalf("ben with a revoked token: %+v, %v; want UNAUTHENTICATED", b, err)
		}
		if !c.Token.Revoked() {
			t.Error("ben's token check does not say revoked: the HTTP layer would answer 200")
		}
		if got := boxoffice.CallerFromContext(benCtx); got.Token == nil {
			t.Errorf("ben after the refusal: %+v; want still unchecked", got)
		}
		// ... and from then on refused at the door.
		if _, err := s.Accounts.Authenticate(ctx, benToken, always); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
			t.Fatalf("ben's revoked token again: %v; want UNAUTHENTICATED at once", err)
		}

		// A revoked token with an Idempotency-Key is checked before the key
		// is looked up.
		cy := storetest.MustCreateUser(t, store, "cy")
		cyToken := token(cy)
		revoke(cy)
		cyCtx, _, _ := deferred(cyToken)
		if _, err := book(boxoffice.NewContextWithIdempotencyKey(cyCtx, "k1"), cy); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
			t.Fatalf("cy with a key: %v; want UNAUTHENTICATED", err)
		}

		// An admin booking for ana: the role is needed, so it is read first.
		rootCtx, _, _ := deferred(token(root))
		if b, err := book(rootCtx, ana); err != nil || b.UserID != ana.ID {
			t.Fatalf("an admin books for ana: %+v, %v", b, err)
		}
		root2 := storetest.MustCreateUserWithRole(t, store, "root2", boxoffice.RoleAdmin)
		rootToken := token(root2)
		revoke(root2)
		rootCtx, _, _ = deferred(rootToken)
		if _, err := book(rootCtx, ana); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
			t.Fatalf("a revoked admin books for ana: %v; want UNAUTHENTICATED", err)
		}
		// A customer's unchecked token cannot book for someone else.
		anaOther, _, _ := deferred(token(ana))
		if _, err := book(anaOther, ben); boxoffice.ErrorCode(err) != boxoffice.EFORBIDDEN {
			t.Fatalf("ana books for ben: %v; want FORBIDDEN", err)
		}

		e, err := store.Events().ByID(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.AvailableTickets != 8 {
			t.Errorf("%d tickets left, want 8: ana's and the admin's bookings only", e.AvailableTickets)
		}
	})
}

// Hundreds of new buyers book at once, a third of them with revoked
// tokens, all checked in the booking batches: every revoked one is refused
// and booked nothing, the others book until the tickets run out, and the
// event's tickets add up.
func TestTokenChecksUnderARush(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		ctx := t.Context()
		store := testdb.Migrated(t, engine)
		s := service.New(store, service.Options{Tokens: newTokens(t), Limits: &service.Limits{}})
		t.Cleanup(s.Close)
		const buyers, tickets = 300, 150
		ev := storetest.MustCreateEvent(t, store, tickets, 24*time.Hour)
		users := make([]*boxoffice.User, buyers)
		tokens := make([]string, buyers)
		revoked := map[string]bool{}
		for i := range users {
			users[i] = storetest.MustCreateUser(t, store, fmt.Sprintf("buyer%d", i))
			p, err := s.Accounts.IssueToken(ctx, users[i].Email)
			if err != nil {
				t.Fatal(err)
			}
			tokens[i] = p.Token
			if i%3 == 0 {
				revoked[users[i].ID] = true
				if _, err := store.Users().Update(ctx, users[i].ID, boxoffice.UserUpdate{BumpTokenVersion: true}); err != nil {
					t.Fatal(err)
				}
			}
		}

		codes := make([]string, buyers)
		var wg sync.WaitGroup
		for i := range users {
			wg.Go(func() {
				c, err := s.Accounts.Authenticate(ctx, tokens[i], always)
				if err != nil {
					codes[i] = "authenticate: " + err.Error()
					return
				}
				_, err = s.Bookings.CreateBooking(boxoffice.NewContextWithCaller(ctx, c),
					boxoffice.BookingRequest{UserID: users[i].ID, EventID: ev.ID, Tickets: 1})
				codes[i] = boxoffice.ErrorCode(err)
				if revoked := boxoffice.ErrorCode(err) == boxoffice.EUNAUTHENTICATED; revoked != c.Token.Revoked() {
					t.Errorf("buyer %d: %v, and its token check says revoked %v", i, err, c.Token.Revoked())
				}
			})
		}
		wg.Wait()

		count := map[string]int{}
		for i, code := range codes {
			count[code]++
			if revoked[users[i].ID] != (code == boxoffice.EUNAUTHENTICATED) {
				t.Errorf("buyer %d (revoked %v): %q", i, revoked[users[i].ID], code)
			}
		}
		if count[""] != tickets || count[boxoffice.ESOLDOUT] != buyers-len(revoked)-tickets || count[boxoffice.EUNAUTHENTICATED] != len(revoked) {
			t.Errorf("outcomes %v; want %d booked, %d SOLD_OUT, %d UNAUTHENTICATED", count, tickets, buyers-len(revoked)-tickets, len(revoked))
		}
		booked, err := store.Bookings().ByEventIDs(ctx, []string{ev.ID}, buyers)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range booked {
			if revoked[b.UserID] {
				t.Errorf("booking %s is of a buyer whose token was revoked", b.ID)
			}
		}
		e, err := store.Events().ByID(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(booked) != tickets || e.AvailableTickets != 0 {
			t.Errorf("%d bookings and %d tickets left; want %d and 0", len(booked), e.AvailableTickets, tickets)
		}
	})
}
