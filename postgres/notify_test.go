package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/service"
)

// TestWatchTicketsReturned: a cancellation and a larger capacity, made
// through another store on the same database (another server), reach the
// watcher; a cancellation that fails sends nothing.
func TestWatchTicketsReturned(t *testing.T) {
	writer, watcher := twoServers(t)

	ctx, cancel := context.WithCancel(t.Context())
	heard := make(chan string, 16)
	done := make(chan struct{})
	go func() { defer close(done); watcher.WatchTicketsReturned(ctx, func(id string) { heard <- id }) }()
	t.Cleanup(func() { cancel(); <-done })

	u := mustCreateUser(t, writer, "nia")
	e := mustCreateEvent(t, writer, "Watched", time.Now().Add(time.Hour), 2)
	res, err := writer.BookBatch(t.Context(), []boxoffice.BookingRequest{{UserID: u.ID, EventID: e.ID, Tickets: 2}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("book: %v %v", err, res[0].Err)
	}
	b := res[0].Booking

	// LISTEN takes a moment after the goroutine starts: cancel until heard.
	expect := func(what string, act func()) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		act()
		for {
			select {
			case id := <-heard:
				if id != e.ID {
					t.Fatalf("%s: heard %s, want %s", what, id, e.ID)
				}
				return
			case <-deadline:
				t.Fatalf("%s: nothing heard in 10 s", what)
			}
		}
	}
	waitListening(t, watcher)
	expect("cancel", func() {
		if _, err := writer.CancelBooking(t.Context(), b.ID, boxoffice.Now()); err != nil {
			t.Fatal(err)
		}
	})
	// A second cancel fails (ECONFLICT) and must not notify.
	if _, err := writer.CancelBooking(t.Context(), b.ID, boxoffice.Now()); boxoffice.ErrorCode(err) != boxoffice.ECONFLICT {
		t.Fatalf("second cancel: %v", err)
	}
	more := 5
	expect("more tickets", func() {
		if _, err := writer.UpdateEvent(t.Context(), e.ID, boxoffice.EventUpdate{TotalTickets: &more, Version: e.Version}); err != nil {
			t.Fatal(err)
		}
	})
	select {
	case id := <-heard:
		t.Fatalf("heard %s from a failed cancellation or twice", id)
	case <-time.After(200 * time.Millisecond):
	}
}

// twoServers opens two stores on one fresh, migrated database, as two
// servers would.
func twoServers(t *testing.T) (*DB, *DB) {
	dbURL := newDatabase(t)
	a := openDB(t, dbURL, testSchema)
	migrate(t, a)
	return a, openDB(t, dbURL, testSchema)
}

// waitListening waits until the watcher's connection is listening, as
// pg_stat_activity shows it.
func waitListening(t *testing.T, db *DB) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var n int
		err := db.pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'").Scan(&n)
		if err == nil && n > 0 {
			return
		}
	}
	t.Fatal("the watcher never listened")
}

// TestWatchUsersChanged: a revocation and a new role, made through another
// store on the same database (another server), reach the watcher, which
// says when it listens and when it stops; a new password alone and an
// update that fails send nothing.
func TestWatchUsersChanged(t *testing.T) {
	writer, watcher := twoServers(t)

	ctx, cancel := context.WithCancel(t.Context())
	heard := make(chan string, 16)
	states := make(chan bool, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		watcher.WatchUsersChanged(ctx, func(id string) { heard <- id }, func(on bool) { states <- on })
	}()
	t.Cleanup(func() { cancel(); <-done })
	state := func(want bool) {
		t.Helper()
		select {
		case on := <-states:
			if on != want {
				t.Fatalf("listening(%v), want listening(%v)", on, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no listening(%v) in 10 s", want)
		}
	}
	state(true)

	u := mustCreateUser(t, writer, "ola")
	expect := func(what string, upd boxoffice.UserUpdate) {
		t.Helper()
		if _, err := writer.UpdateUser(t.Context(), u.ID, upd); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		select {
		case id := <-heard:
			if id != u.ID {
				t.Fatalf("%s: heard %s, want %s", what, id, u.ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: nothing heard in 10 s", what)
		}
	}
	expect("sign out", boxoffice.UserUpdate{BumpTokenVersion: true})
	organizer := boxoffice.RoleOrganizer
	expect("new role", boxoffice.UserUpdate{Role: &organizer})

	hash := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
	if _, err := writer.UpdateUser(t.Context(), u.ID, boxoffice.UserUpdate{PasswordHash: &hash}); err != nil {
		t.Fatal(err)
	}
	king := boxoffice.Role("KING")
	if _, err := writer.UpdateUser(t.Context(), u.ID, boxoffice.UserUpdate{Role: &king, BumpTokenVersion: true}); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
		t.Fatalf("unknown role: %v, want EINVALID", err)
	}
	select {
	case id := <-heard:
		t.Fatalf("heard %s from a password alone or a failed update", id)
	case <-time.After(200 * time.Millisecond):
	}

	cancel()
	state(false)
}

// TestSignOutReachesEveryServer: two services on one database, as two
// servers; a token checked (and remembered) by B is refused by B as soon as
// its user signs out through A.
func TestSignOutReachesEveryServer(t *testing.T) {
	dbA, dbB := twoServers(t)
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", 32)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a := service.New(dbA, service.Options{Tokens: tokens})
	b := service.New(dbB, service.Options{Tokens: tokens})
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)

	u := mustCreateUser(t, dbA, "pia")
	p, err := a.IssueToken(t.Context(), u.Email)
	if err != nil {
		t.Fatal(err)
	}
	// B remembers the caller once its watch listens: wait for a request
	// that reads nothing.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		before := dbB.StatementCount()
		if _, err := b.Authenticate(t.Context(), p.Token); err != nil {
			t.Fatal(err)
		}
		if dbB.StatementCount() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("B never remembered the caller: its watch never listened")
		}
	}

	if err := a.SignOut(boxoffice.NewContextWithCaller(t.Context(), boxoffice.Caller{UserID: u.ID, Role: u.Role})); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		_, err := b.Authenticate(t.Context(), p.Token)
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
