package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
	"github.com/boxoffice/boxoffice/storetest"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	var d driver
	for _, c := range []struct {
		err        error
		kind       sqlstore.ErrorKind
		constraint string
	}{
		{&pgconn.PgError{Code: "23505", ConstraintName: "users_email_key"}, sqlstore.Unique, "users_email_key"},
		{&pgconn.PgError{Code: "23503", ConstraintName: "bookings_event_id_fkey"}, sqlstore.ForeignKey, "bookings_event_id_fkey"},
		{&pgconn.PgError{Code: "23514", ConstraintName: "users_role_check"}, sqlstore.Check, "users_role_check"},
		{&pgconn.PgError{Code: "23502"}, sqlstore.NotNull, ""},
		{&pgconn.PgError{Code: "57014"}, sqlstore.Unavailable, ""}, // statement timeout: try again (TestClassifyUnavailable)
		{pgx.ErrNoRows, sqlstore.NoConstraint, ""},
	} {
		if kind, constraint := d.Classify(c.err); kind != c.kind || constraint != c.constraint {
			t.Errorf("Classify(%v) = %v %q, want %v %q", c.err, kind, constraint, c.kind, c.constraint)
		}
	}
}

func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), Config{URL: newDatabase(t), Schema: testSchema, StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = db.Pool().Exec(context.Background(), "SELECT pg_sleep(5)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || time.Since(start) > 3*time.Second {
		t.Fatalf("pg_sleep(5) = %v after %v, want a statement timeout", err, time.Since(start))
	}
}

// TestRoundTrips proves the pipelining: a transaction begins with its first
// round trip and commits with its last, so a booking batch, a cancellation
// with its record, and an event update cost two round trips each, however
// many statements they send. Outside a transaction a page costs one.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	u := storetest.MustCreateUser(t, db, "dave")
	e := storetest.MustCreateEvent(t, db, 100, time.Hour)
	other := storetest.MustCreateEvent(t, db, 100, 2*time.Hour)

	var booked *boxoffice.Booking
	steps := []struct {
		name                   string
		statements, roundTrips int64
		run                    func() error
	}{
		{"FindUserByID", 1, 1, func() error { _, err := db.Users().ByID(ctx, u.ID); return err }},
		{"FindUsers (count + page)", 2, 1, func() error {
			_, _, err := db.Users().Find(ctx, boxoffice.UserFilter{Email: "dave", Page: boxoffice.Page{Page: 1, Limit: 10}})
			return err
		}},
		// BEGIN, lock events, lock users, expire run-out holds | insert bookings, issue their tickets, update events, record
		// changes, COMMIT.
		{"BookBatch of 3 on 2 events", 9, 2, func() error {
			res, err := db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
				{UserID: u.ID, EventID: e.ID, Tickets: 1}, {UserID: u.ID, EventID: other.ID, Tickets: 2}, {UserID: u.ID, EventID: e.ID, Tickets: 3},
			}, boxoffice.BookingTerms{})
			if err == nil {
				booked = res[0].Booking
			}
			return err
		}},
		// The same, passing over events others hold: no more statements.
		{"BookBatch of 3 on 2 events, SkipLocked", 9, 2, func() error {
			_, err := db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
				{UserID: u.ID, EventID: e.ID, Tickets: 1}, {UserID: u.ID, EventID: other.ID, Tickets: 2}, {UserID: u.ID, EventID: e.ID, Tickets: 3},
			}, boxoffice.BookingTerms{SkipLocked: true})
			return err
		}},
		// BEGIN, the locks and the expiry | COMMIT of nothing.
		{"BookBatch with nothing to book", 5, 2, func() error {
			_, err := db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: boxoffice.NewID(), Tickets: 1}}, boxoffice.BookingTerms{})
			return err
		}},
		// BEGIN, lock the event, lock the booking | update the booking, void its tickets, give the tickets back, record,
		// notify, COMMIT.
		{"cancel with its change", 9, 2, func() error {
			return db.InTx(ctx, func(tx boxoffice.Tx) error {
				now := boxoffice.Now()
				b, err := tx.Bookings().Update(ctx, booked.ID, func(b *boxoffice.Booking) error { return b.Cancel(now, false) })
				if err != nil {
					return err
				}
				return tx.Changes().Record(ctx, &boxoffice.Change{Kind: boxoffice.ChangeBookingCancelled, At: now,
					BookingID: b.ID, EventID: b.EventID, TicketsReturned: b.NumberOfTickets})
			})
		}},
		// BEGIN, lock | save, COMMIT.
		{"update an event", 4, 2, func() error {
			title := "Renamed"
			_, err := db.Events().Update(ctx, e.ID, boxoffice.EventUpdate{Title: &title, Version: 1}.Apply)
			return err
		}},
		{"a transaction that does nothing", 0, 0, func() error {
			return db.InTx(ctx, func(boxoffice.Tx) error { return nil })
		}},
	}
	for _, s := range steps {
		statements, trips := db.StatementCount(), db.driver.roundTrips.Load()
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := db.StatementCount() - statements; got != s.statements {
			t.Errorf("%s: %d statements, want %d", s.name, got, s.statements)
		}
		if got := db.driver.roundTrips.Load() - trips; got != s.roundTrips {
			t.Errorf("%s: %d round trips, want %d", s.name, got, s.roundTrips)
		}
	}
}

// TestNativeJoinsTheTransaction: what a library writes through the
// transaction's pgx.Tx (as River's InsertTx does) commits and rolls back
// with the store's writes.
func TestNativeJoinsTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	if _, err := db.Pool().Exec(ctx, "CREATE TABLE jobs (name text)"); err != nil {
		t.Fatal(err)
	}
	write := func(name string, fail error) error {
		return db.InTx(ctx, func(tx boxoffice.Tx) error {
			if err := tx.Users().Create(ctx, storetest.NewUser(name)); err != nil {
				return err
			}
			native, err := tx.Native(ctx)
			if err != nil {
				return err
			}
			ptx, ok := native.(pgx.Tx)
			if !ok {
				t.Fatalf("Native = %T, want a pgx.Tx", native)
			}
			if _, err := ptx.Exec(ctx, "INSERT INTO jobs VALUES ($1)", name); err != nil {
				return err
			}
			if err := ptx.Commit(ctx); err == nil {
				t.Error("the library could commit the store's transaction")
			}
			return fail
		})
	}
	if err := write("kept", nil); err != nil {
		t.Fatal(err)
	}
	if err := write("dropped", errors.New("abort")); err == nil {
		t.Fatal("InTx ignored fn's error")
	}
	var jobs []string
	rows, _ := db.Pool().Query(ctx, "SELECT name FROM jobs")
	jobs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(jobs) != 1 || jobs[0] != "kept" {
		t.Errorf("jobs = %v (%v), want only the committed one", jobs, err)
	}
	if _, err := db.Users().ByEmail(ctx, "dropped@example.com"); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		t.Errorf("the rolled-back user: %v", err)
	}
}
