package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// TestWatchTicketsReturned: a cancellation and a larger capacity, made
// through another store on the same database (another server), reach the
// watcher; a cancellation that fails sends nothing.
func TestWatchTicketsReturned(t *testing.T) {
	dbURL := newDatabase(t)
	writer := openDB(t, dbURL, testSchema)
	migrate(t, writer)
	watcher := openDB(t, dbURL, testSchema)

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
