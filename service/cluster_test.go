package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// Two services on one PostgreSQL database, as two servers: what one
// changes, the other hears through the change feed (Store.Watch).

// TestCancellationReopensTheEventEverywhere: B has seen an event sold out
// and refuses it from memory (for ten minutes, by its TTL); a cancellation
// through A reopens it on B at once.
func TestCancellationReopensTheEventEverywhere(t *testing.T) {
	dbs := testdb.Servers(t, 2)
	opts := service.Options{SoldOutTTL: 10 * time.Minute, Limits: &service.Limits{}}
	a, b := service.New(dbs[0], opts), service.New(dbs[1], opts)
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	ann := storetest.MustCreateUser(t, dbs[0], "ann")
	bob := storetest.MustCreateUser(t, dbs[0], "bob")
	ev := storetest.MustCreateEvent(t, dbs[0], 1, time.Hour)
	as := func(u *boxoffice.User) boxoffice.Caller { return boxoffice.Caller{UserID: u.ID, Role: u.Role} }

	booked, err := b.Bookings.CreateBooking(ctxAs(t, as(ann)), boxoffice.BookingRequest{UserID: ann.ID, EventID: ev.ID, Tickets: 1})
	if err != nil {
		t.Fatal(err)
	}
	// B remembers the sell-out once its watch listens: wait for a refusal
	// that reads nothing.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		before := dbs[1].StatementCount()
		_, err = b.Bookings.CreateBooking(ctxAs(t, as(bob)), boxoffice.BookingRequest{UserID: bob.ID, EventID: ev.ID, Tickets: 1})
		if boxoffice.ErrorCode(err) != boxoffice.ESOLDOUT {
			t.Fatalf("B after the sell-out: %v, want SOLD_OUT", err)
		}
		if dbs[1].StatementCount() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("B never refused the sold-out event from memory: its watch never listened")
		}
	}

	if _, err := a.Bookings.CancelBooking(ctxAs(t, as(ann)), booked.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		_, err := b.Bookings.CreateBooking(ctxAs(t, as(bob)), boxoffice.BookingRequest{UserID: bob.ID, EventID: ev.ID, Tickets: 1})
		if err == nil {
			t.Logf("B sold the returned ticket %v after the cancellation through A", time.Since(start))
			return
		}
		if boxoffice.ErrorCode(err) != boxoffice.ESOLDOUT {
			t.Fatal(err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("B still refuses the event 5 s after a cancellation through A")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSignOutReachesEveryServer: a token checked (and remembered) by B is
// refused by B as soon as its user signs out through A.
func TestSignOutReachesEveryServer(t *testing.T) {
	dbs := testdb.Servers(t, 2)
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", 32)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a := service.New(dbs[0], service.Options{Tokens: tokens})
	b := service.New(dbs[1], service.Options{Tokens: tokens})
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)

	u := storetest.MustCreateUser(t, dbs[0], "pia")
	p, err := a.Accounts.IssueToken(t.Context(), u.Email)
	if err != nil {
		t.Fatal(err)
	}
	// B remembers the caller once its watch listens: wait for a request
	// that reads nothing.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		before := dbs[1].StatementCount()
		if _, err := b.Accounts.Authenticate(t.Context(), p.Token, nil); err != nil {
			t.Fatal(err)
		}
		if dbs[1].StatementCount() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("B never remembered the caller: its watch never listened")
		}
	}

	if err := a.Accounts.SignOut(ctxAs(t, boxoffice.Caller{UserID: u.ID, Role: u.Role})); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		_, err := b.Accounts.Authenticate(t.Context(), p.Token, nil)
		if boxoffice.ErrorCode(err) == boxoffice.EUNAUTHENTICATED {
			t.Logf("B refused the token %v after the sign-out through A", time.Since(start))
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 5*time.Second { // the cache's TTL is a minute
			t.Fatal("B still accepts the token 5 s after the sign-out through A")
		}
		time.Sleep(time.Millisecond)
	}
}

func ctxAs(t *testing.T, c boxoffice.Caller) context.Context {
	return boxoffice.NewContextWithCaller(t.Context(), c)
}
