package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
	"github.com/boxoffice/boxoffice/storetest"
)

// openEmpty opens a fresh, unmigrated database file in t.TempDir().
func openEmpty(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "boxoffice.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// openDB opens a fresh, migrated database file in t.TempDir().
func openDB(t *testing.T) *DB {
	t.Helper()
	db := openEmpty(t)
	if _, err := db.MigrateUp(t.Context()); err != nil {
		t.Fatalf("MigrateUp: %v", err)
	}
	return db
}

// dbFile returns the path of db's file.
func dbFile(t *testing.T, db *DB) string {
	t.Helper()
	var file string
	if err := db.driver.reader.QueryRowContext(t.Context(), "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		t.Fatal(err)
	}
	return file
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := boxoffice.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

func TestOpenRejectsMemory(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file::memory:?cache=shared"} {
		if db, err := Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q): no error", path)
		}
	}
}

func TestOpenCreatesFileAndDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a dir", "with?odd#chars", "box.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateSchema(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	if file := dbFile(t, db); file != path {
		t.Errorf("database file = %q, want %q", file, path)
	}
}

// The pragmas come from the DSN, so every pooled connection has them: check
// the writer and several readers held at once.
func TestPragmasOnEveryConnection(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	check := func(name string, c interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}, queryOnly int) {
		t.Helper()
		want := map[string]any{
			"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000,
			"synchronous": 1, "query_only": queryOnly,
		}
		for pragma, w := range want {
			var got any
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s: %s = %v, want %v", name, pragma, got, w)
			}
		}
	}
	w, err := db.driver.writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	check("writer", w, 0)
	for i := range 3 {
		r, err := db.driver.reader.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		check(fmt.Sprintf("reader %d", i), r, 1)
	}
	if got := db.driver.writer.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool: %d connections, want 1", got)
	}
	if got := db.driver.reader.Stats().MaxOpenConnections; got < 2 {
		t.Errorf("reader pool: %d connections, want several", got)
	}
	if _, err := db.driver.reader.ExecContext(ctx, "DELETE FROM users"); err == nil {
		t.Error("a reader connection could write")
	}
}

// In WAL mode a reader sees the last commit while a write transaction is
// open, without waiting for it.
func TestReadsProceedDuringWriteTransaction(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	u := storetest.MustCreateUser(t, db, "alice")

	release := make(chan struct{})
	inTx := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		tx, err := db.driver.Begin(ctx)
		if err == nil {
			defer tx.Rollback()
			err = tx.Run(ctx, &sqlstore.Query{SQL: "UPDATE users SET username = 'changed' WHERE id = $1", Args: []any{u.ID}})
		}
		close(inTx)
		if err == nil {
			<-release
			err = tx.Commit(ctx)
		}
		done <- err
	}()
	<-inTx

	readCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	got, err := db.Users().ByID(readCtx, u.ID)
	if err != nil {
		t.Fatalf("read during write transaction: %v", err)
	}
	if got.Username != "alice" {
		t.Errorf("read saw uncommitted username %q", got.Username)
	}
	if _, total, err := db.Users().Find(readCtx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); err != nil || total != 1 {
		t.Errorf("FindUsers during write transaction: total %d, err %v", total, err)
	}

	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Users().ByID(ctx, u.ID); got == nil || got.Username != "changed" {
		t.Errorf("after commit: %+v", got)
	}
}

func TestStatementCount(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	users := []*boxoffice.User{storetest.MustCreateUser(t, db, "ann"), storetest.MustCreateUser(t, db, "bob"), storetest.MustCreateUser(t, db, "cat")}
	ev := storetest.MustCreateEvent(t, db, 100, time.Hour)

	count := func(name string, want int64, fn func() error) {
		t.Helper()
		before := db.StatementCount()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := db.StatementCount() - before; got != want {
			t.Errorf("%s: %d statements, want %d", name, got, want)
		}
	}
	var reqs []boxoffice.BookingRequest
	for i := range 30 {
		reqs = append(reqs, boxoffice.BookingRequest{UserID: users[i%3].ID, EventID: ev.ID, Tickets: 1})
	}
	// BEGIN, events, users, expired holds, one INSERT of bookings, one of
	// tickets, one UPDATE, the changes, COMMIT: not one per request.
	count("BookBatch of 30", 9, func() error { _, err := db.Bookings().BookBatch(ctx, reqs, boxoffice.BookingTerms{}); return err })
	count("FindUserByID", 1, func() error { _, err := db.Users().ByID(ctx, users[0].ID); return err })
	ids := []string{users[0].ID, users[1].ID, users[2].ID}
	count("FindBookingsByUserIDs", 1, func() error { _, err := db.Bookings().ByUserIDs(ctx, ids, 5); return err })
	count("FindUsersByIDs", 1, func() error { _, err := db.Users().ByIDs(ctx, ids); return err })
	count("FindUsersByIDs, none", 0, func() error { _, err := db.Users().ByIDs(ctx, nil); return err })
	// BEGIN, count, page, ROLLBACK.
	count("FindBookings", 4, func() error {
		_, _, err := db.Bookings().Find(ctx, boxoffice.BookingFilter{Page: boxoffice.Page{Page: 1, Limit: 10}})
		return err
	})
}

// Error messages a client may see never carry SQL or driver text; the
// others are wrapped, and shown as "internal error".
func TestErrorsCarryNoDriverText(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	u := storetest.MustCreateUser(t, db, "alice")
	ev := storetest.MustCreateEvent(t, db, 10, time.Hour)
	now := boxoffice.Now()

	dupEmail := &boxoffice.User{ID: boxoffice.NewID(), Username: "al", Email: "ALICE@example.com", CreatedAt: now, UpdatedAt: now}
	dupUserID := &boxoffice.User{ID: u.ID, Username: "al", Email: "other@example.com", CreatedAt: now, UpdatedAt: now}
	dupEvent := *ev
	noTickets := *ev
	noTickets.ID, noTickets.TotalTickets, noTickets.AvailableTickets = boxoffice.NewID(), 0, 0
	tooMany := *ev
	tooMany.ID, tooMany.AvailableTickets = boxoffice.NewID(), 11
	organized := *ev
	organized.ID, organized.OrganizerID = boxoffice.NewID(), &u.ID
	ghost := boxoffice.NewID()
	orphan := *ev
	orphan.ID, orphan.OrganizerID = boxoffice.NewID(), &ghost
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, canceledErr := db.Events().ByID(canceled, ev.ID)

	for _, tc := range []struct {
		name, code, message string
		err                 error
	}{
		{"duplicate email", boxoffice.ECONFLICT, "email already registered", db.Users().Create(ctx, dupEmail)},
		{"duplicate user id", boxoffice.ECONFLICT, "user already exists", db.Users().Create(ctx, dupUserID)},
		{"duplicate event id", boxoffice.ECONFLICT, "event already exists", db.Events().Create(ctx, &dupEvent)},
		{"total tickets check", boxoffice.EINVALID, "totalTickets must be at least 1", db.Events().Create(ctx, &noTickets)},
		{"available tickets check", boxoffice.ECONFLICT, "not enough tickets left", db.Events().Create(ctx, &tooMany)},
		{"foreign key", boxoffice.ENOTFOUND, "organizer not found", db.Events().Create(ctx, &orphan)},
		{"no such event", boxoffice.ENOTFOUND, "event not found", second(db.Events().ByID(ctx, boxoffice.NewID()))},
		{"canceled context", boxoffice.EINTERNAL, "internal error", canceledErr},
	} {
		wantCode(t, tc.err, tc.code)
		if got := boxoffice.ErrorMessage(tc.err); got != tc.message {
			t.Errorf("%s: message %q, want %q", tc.name, got, tc.message)
		}
		var e *boxoffice.Error
		if errors.As(tc.err, &e) {
			for _, leak := range []string{"sqlite", "SQL", "constraint", "UNIQUE", "CHECK", "FOREIGN", "users.", "events."} {
				if strings.Contains(e.Message, leak) {
					t.Errorf("%s: message %q carries driver text %q", tc.name, e.Message, leak)
				}
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

// Data and times survive Close and a reopen, identical to what was stored.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "box.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	u := storetest.MustCreateUser(t, db, "Alice")
	// Not UTC, and to the microsecond: stored and read back in UTC.
	date := time.Date(2099, 3, 4, 5, 6, 7, 123456000, time.FixedZone("X", 3600))
	ev := storetest.NewEvent(5, time.Hour)
	ev.Date = date
	storetest.MustInsertEvent(t, db, ev)
	res, err := db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 2}}, boxoffice.BookingTerms{})
	if err != nil || res[0].Err != nil {
		t.Fatalf("BookBatch: %v %v", err, res)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	status, err := db.MigrationStatus(ctx)
	if err != nil || boxoffice.Pending(status) != 0 {
		t.Fatalf("status after reopen: %v %v", status, err)
	}
	gotUser, err := db.Users().ByID(ctx, u.ID)
	if err != nil || *gotUser != *u {
		t.Errorf("user after reopen: %+v, %v; want %+v", gotUser, err, u)
	}
	gotEvent, err := db.Events().ByID(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !gotEvent.Date.Equal(date) || gotEvent.Date.Location() != time.UTC || gotEvent.Date != date.UTC() {
		t.Errorf("event date %v, want %v in UTC", gotEvent.Date, date)
	}
	if gotEvent.AvailableTickets != 3 || gotEvent.Version != 1 {
		t.Errorf("event after booking: available %d version %d, want 3 and 1", gotEvent.AvailableTickets, gotEvent.Version)
	}
	gotBooking, err := db.Bookings().ByID(ctx, res[0].Booking.ID)
	if err != nil || *gotBooking != withoutSnapshots(res[0].Booking) {
		t.Errorf("booking after reopen: %+v, %v; want %+v", gotBooking, err, res[0].Booking)
	}
}

// Filters match case-insensitively for all of Unicode, and the user's
// %, _ and \ match only themselves.
func TestUserFilter(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	for _, name := range []string{"Élodie", "a_b", "axb", `back\slash`, "100%"} {
		storetest.MustCreateUser(t, db, name)
	}
	for filter, want := range map[string]int{"éLO": 1, "_": 1, "%": 1, `\`: 1, "A": 3, "": 5} {
		_, total, err := db.Users().Find(ctx, boxoffice.UserFilter{Username: filter, Page: boxoffice.Page{Page: 1, Limit: 10}})
		if err != nil || total != want {
			t.Errorf("username %q: %d users, %v; want %d", filter, total, err, want)
		}
	}
	_, total, err := db.Users().Find(ctx, boxoffice.UserFilter{Email: "ÉLODIE@", Page: boxoffice.Page{Page: 1, Limit: 10}})
	if err != nil || total != 1 {
		t.Errorf("email filter: %d users, %v; want 1", total, err)
	}
}

// withoutSnapshots is a booking as read back: without the event and buyer
// a new booking carries.
func withoutSnapshots(b *boxoffice.Booking) boxoffice.Booking {
	c := *b
	c.Event, c.User = nil, nil
	return c
}
