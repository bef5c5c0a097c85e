package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/storetest"
)

// wantUnavailable fails t unless err is EUNAVAILABLE with a wait of retry,
// a message free of SQLite's words, and SQLite's error kept for the log.
func wantUnavailable(t *testing.T, err error, retry time.Duration, logged string) {
	t.Helper()
	if got := boxoffice.ErrorCode(err); got != boxoffice.EUNAVAILABLE {
		t.Fatalf("error code = %q, want %q (err: %v)", got, boxoffice.EUNAVAILABLE, err)
	}
	if got := boxoffice.ErrorRetryAfter(err); got != retry {
		t.Errorf("retry after %v, want %v", got, retry)
	}
	msg := strings.ToLower(boxoffice.ErrorMessage(err))
	for _, leak := range []string{"sqlite", "database or disk", "locked", "busy", "(13)", "(5)"} {
		if strings.Contains(msg, leak) {
			t.Errorf("client message %q shows the driver's words (%q)", msg, leak)
		}
	}
	if !strings.Contains(err.Error(), logged) {
		t.Errorf("error %q does not keep SQLite's %q for the log", err, logged)
	}
}

// A full disk refuses writes with EUNAVAILABLE, not INTERNAL; the store
// reports that writes are refused, reads still work, and the first write
// that commits once there is room again clears it. max_page_count caps the
// database as a full disk would: SQLite answers SQLITE_FULL alike. (The
// real full disk, a tmpfs, is cmd/boxoffice's TestEmbeddedDiskFull.)
func TestDiskFullIsUnavailable(t *testing.T) {
	ctx := t.Context()
	db := openDB(t)
	user := storetest.MustCreateUser(t, db, "Dora")
	event := storetest.MustCreateEvent(t, db, 1_000_000, time.Hour)
	if _, refused := db.WritesRefused(); refused {
		t.Fatal("writes refused before the disk is full")
	}

	var pages int
	if err := db.Writer().QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	var err error
	booked := 0
	for ; booked < 100_000; booked++ {
		var res []boxoffice.BookingResult
		if res, err = db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: user.ID, EventID: event.ID, Tickets: 1}}, boxoffice.BookingTerms{}); err != nil {
			break
		}
		if res[0].Err != nil {
			t.Fatalf("booking %d: %v", booked, res[0].Err)
		}
	}
	wantUnavailable(t, err, 10*time.Second, "database or disk is full")
	since, refused := db.WritesRefused()
	if !refused || since.IsZero() {
		t.Fatal("a write refused for a full disk is not reported")
	}
	if _, err := db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: user.ID, EventID: event.ID, Tickets: 1}}, boxoffice.BookingTerms{}); boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
		t.Fatalf("another booking on the full disk: %v, want EUNAVAILABLE", err)
	}
	if s2, _ := db.WritesRefused(); !s2.Equal(since) {
		t.Errorf("a second refusal moved the start of the outage from %v to %v", since, s2)
	}
	// Nothing of the refused booking was kept, and reads still work.
	storetest.WantAvailable(t, db, event.ID, 1_000_000-booked)
	storetest.AssertInvariants(t, db)
	if _, refused := db.WritesRefused(); !refused {
		t.Error("reads cleared the refusal")
	}

	// Room again: writes resume, and the refusal is over.
	if _, err := db.Writer().ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	storetest.MustBook(t, db, user, event, 1)
	if _, refused := db.WritesRefused(); refused {
		t.Error("writes still reported refused after a booking committed")
	}
	storetest.WantAvailable(t, db, event.ID, 1_000_000-booked-1)
}

// Another process holding the write lock past the busy timeout makes a
// write EUNAVAILABLE (SQLITE_BUSY), not INTERNAL, and does not count as a
// full disk. The writer's busy timeout is shortened for the test.
func TestBusyIsUnavailable(t *testing.T) {
	ctx := t.Context()
	db := openDB(t)
	if _, err := db.Writer().ExecContext(ctx, "PRAGMA busy_timeout = 100"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", dbFile(t, db))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	err = db.Users().Create(ctx, storetest.NewUser("Bea"))
	wantUnavailable(t, err, time.Second, "SQLITE_BUSY")
	if _, refused := db.WritesRefused(); refused {
		t.Error("a busy database is reported as a full disk")
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	storetest.MustCreateUser(t, db, "Bea")
}

// A caller whose time has run out gets EUNAVAILABLE, on reads and writes.
func TestTimeUpIsUnavailable(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, _, err := db.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 1, Limit: 10}})
	wantUnavailable(t, err, time.Second, "deadline exceeded")
	wantUnavailable(t, db.Users().Create(ctx, storetest.NewUser("Tim")), time.Second, "deadline exceeded")
}
