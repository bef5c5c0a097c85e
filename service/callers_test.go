package service_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

func newTokens(t *testing.T) *auth.Tokens {
	t.Helper()
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", 32)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// A signed-in request reads its user once a TTL, not once a request; yet
// signing out, a new password and a new role hold from the next request.
func TestAuthenticateRemembersCallersUntilTheyChange(t *testing.T) {
	ctx := t.Context()
	store := newStore(t)
	s := service.New(store, service.Options{Tokens: newTokens(t)})
	t.Cleanup(s.Close)
	u := storetest.MustCreateUser(t, store, "ana")
	admin := storetest.MustCreateUser(t, store, "root")

	authenticate := func(token string) (boxoffice.Caller, int64, error) {
		before := store.StatementCount()
		c, err := s.Accounts.Authenticate(ctx, token, nil)
		return c, store.StatementCount() - before, err
	}
	issue := func(email string) string {
		p, err := s.Accounts.IssueToken(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return p.Token
	}

	token := issue(u.Email)
	if c, n, err := authenticate(token); err != nil || c.UserID != u.ID || c.Role != boxoffice.RoleCustomer || n == 0 {
		t.Fatalf("first request: %+v, %d statements, %v; want ana, a customer, read from the store", c, n, err)
	}
	if c, n, err := authenticate(token); err != nil || c.UserID != u.ID || n != 0 {
		t.Fatalf("second request: %+v, %d statements, %v; want ana from memory", c, n, err)
	}

	// A new role holds at once.
	if _, err := s.Users.SetUserRole(boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: admin.ID, Role: boxoffice.RoleAdmin}),
		u.ID, boxoffice.RoleOrganizer); err != nil {
		t.Fatal(err)
	}
	if c, _, err := authenticate(token); err != nil || c.Role != boxoffice.RoleOrganizer {
		t.Fatalf("after SetUserRole: %+v, %v; want an organizer", c, err)
	}

	// Signing out revokes at once.
	if err := s.Accounts.SignOut(boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: u.ID, Role: boxoffice.RoleOrganizer})); err != nil {
		t.Fatal(err)
	}
	if _, _, err := authenticate(token); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
		t.Fatalf("after SignOut: %v, want UNAUTHENTICATED", err)
	}
	fresh := issue(u.Email)
	if _, _, err := authenticate(fresh); err != nil {
		t.Fatalf("a token issued after signing out: %v", err)
	}
}

// With a negative TTL, every request reads its user.
func TestAuthenticateWithoutCache(t *testing.T) {
	store := newStore(t)
	s := service.New(store, service.Options{Tokens: newTokens(t), CallerCacheTTL: -1})
	t.Cleanup(s.Close)
	u := storetest.MustCreateUser(t, store, "ben")
	p, err := s.Accounts.IssueToken(t.Context(), u.Email)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		before := store.StatementCount()
		if _, err := s.Accounts.Authenticate(t.Context(), p.Token, nil); err != nil {
			t.Fatal(err)
		}
		if store.StatementCount() == before {
			t.Fatalf("request %d read nothing; want the user read on every request", i+1)
		}
	}
}

// A user changed behind the service's back is read again once the TTL has
// passed.
func TestAuthenticateCacheExpires(t *testing.T) {
	store := newStore(t)
	s := service.New(store, service.Options{Tokens: newTokens(t), CallerCacheTTL: 50 * time.Millisecond})
	t.Cleanup(s.Close)
	u := storetest.MustCreateUser(t, store, "cy")
	p, err := s.Accounts.IssueToken(t.Context(), u.Email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accounts.Authenticate(t.Context(), p.Token, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Users().Update(t.Context(), u.ID, boxoffice.UserUpdate{BumpTokenVersion: true}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if _, err := s.Accounts.Authenticate(t.Context(), p.Token, nil); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
		t.Fatalf("after the TTL: %v, want UNAUTHENTICATED", err)
	}
}

// Under a stream of requests with one token, from hundreds of goroutines,
// no request that starts after SignOut has returned is let in: the cache
// never hands back a token version that the sign-out has replaced.
func TestSignOutRevokesUnderConcurrentRequests(t *testing.T) {
	ctx := t.Context()
	store := newStore(t)
	s := service.New(store, service.Options{Tokens: newTokens(t)})
	t.Cleanup(s.Close)
	u := storetest.MustCreateUser(t, store, "dee")
	p, err := s.Accounts.IssueToken(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}

	var (
		revoked    atomic.Bool
		admitted   atomic.Int64 // requests let in before the sign-out returned
		lateLetIns atomic.Int64 // requests let in although they started after it
		stop       = make(chan struct{})
		wg         sync.WaitGroup
	)
	for range 200 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				after := revoked.Load()
				_, err := s.Accounts.Authenticate(ctx, p.Token, nil)
				switch {
				case err == nil && after:
					lateLetIns.Add(1)
				case err == nil:
					admitted.Add(1)
				case boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED:
					t.Errorf("Authenticate: %v", err)
					return
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.Accounts.SignOut(boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: u.ID, Role: u.Role})); err != nil {
		t.Fatal(err)
	}
	revoked.Store(true)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if admitted.Load() == 0 {
		t.Fatal("no request was let in before the sign-out: the test proves nothing")
	}
	if n := lateLetIns.Load(); n > 0 {
		t.Fatalf("%d requests that started after SignOut returned were let in", n)
	}
}

// At an on-sale's opening, buyers arrive at once with tokens this server
// has not seen: their users are read together, a few queries for a
// hundred requests rather than one each (and one database connection
// each, which bookings then wait for). Each still gets its own caller,
// and a revoked token or one of an unknown user is still refused.
func TestColdTokensAreReadTogether(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		ctx := t.Context()
		store := testdb.Migrated(t, engine)
		tokens := newTokens(t)
		s := service.New(store, service.Options{Tokens: tokens})
		t.Cleanup(s.Close)
		const n = 100
		users := make([]*boxoffice.User, n)
		issued := make([]string, n)
		for i := range n {
			role := boxoffice.RoleCustomer
			if i%10 == 0 {
				role = boxoffice.RoleOrganizer
			}
			users[i] = storetest.MustCreateUserWithRole(t, store, fmt.Sprintf("buyer %d", i), role)
			p, err := s.Accounts.IssueToken(ctx, users[i].Email)
			if err != nil {
				t.Fatal(err)
			}
			issued[i] = p.Token
		}
		revoked, _, err := tokens.Issue(users[1].ID, users[1].TokenVersion+1, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		unknown, _, err := tokens.Issue(boxoffice.NewID(), 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}

		before := store.StatementCount()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				c, err := s.Accounts.Authenticate(ctx, issued[i], nil)
				if err != nil || c.UserID != users[i].ID || c.Role != users[i].Role {
					t.Errorf("buyer %d: %+v, %v; want %s as %s", i, c, err, users[i].ID, users[i].Role)
				}
			})
		}
		for _, token := range []string{revoked, unknown} {
			wg.Go(func() {
				<-start
				if _, err := s.Accounts.Authenticate(ctx, token, nil); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
					t.Errorf("a revoked or unknown user's token: %v, want UNAUTHENTICATED", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if reads := store.StatementCount() - before; reads > n/4 {
			t.Errorf("%d statements for %d cold tokens arriving at once, want them read together (at most %d)", reads, n+2, n/4)
		} else {
			t.Logf("%d cold tokens: %d statements", n+2, reads)
		}
	})
}
