package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boxoffice/boxoffice"
)

var firstPage = boxoffice.Page{Page: 1, Limit: 10}

// Messages a client may see carry nothing of SQL or the driver.
func TestErrorsCarryNoDriverText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	u := mustCreateUser(t, db, "carol")
	e := mustCreateEvent(t, db, "Gig", boxoffice.Now().Add(time.Hour), 10)

	dupEmail := &boxoffice.User{ID: boxoffice.NewID(), Username: "c2", Email: "CAROL@example.com", CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt}
	dupID := &boxoffice.User{ID: u.ID, Username: "c3", Email: "other@example.com", CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt}
	bad := *e
	bad.ID, bad.AvailableTickets = boxoffice.NewID(), 11
	dupEvent := *e
	_, errNoEvent := db.FindEventByID(ctx, boxoffice.NewID())
	_, errBadID := db.FindBookingByID(ctx, "not-a-uuid")

	for _, c := range []struct {
		name, code, msg string
		err             error
	}{
		{"email taken, other case", boxoffice.ECONFLICT, "email already registered", db.CreateUser(ctx, dupEmail)},
		{"user id taken", boxoffice.ECONFLICT, "user already exists", db.CreateUser(ctx, dupID)},
		{"event id taken", boxoffice.ECONFLICT, "event already exists", db.CreateEvent(ctx, &dupEvent)},
		{"available above total", boxoffice.ECONFLICT, "not enough tickets left", db.CreateEvent(ctx, &bad)},
		{"no such event", boxoffice.ENOTFOUND, "event not found", errNoEvent},
		{"malformed id", boxoffice.ENOTFOUND, "booking not found", errBadID},
	} {
		if boxoffice.ErrorCode(c.err) != c.code || boxoffice.ErrorMessage(c.err) != c.msg {
			t.Errorf("%s: got %v, want %s %q", c.name, c.err, c.code, c.msg)
		}
	}
}

func TestDBErrorTranslation(t *testing.T) {
	t.Parallel()
	fk := &pgconn.PgError{Code: "23503", ConstraintName: "bookings_event_id_fkey", Message: `insert violates foreign key "bookings_event_id_fkey"`}
	unknownFK := &pgconn.PgError{Code: "23503", ConstraintName: "other_fkey", Message: "violates"}
	check := &pgconn.PgError{Code: "23514", ConstraintName: "bookings_number_of_tickets_check", Message: "violates check"}
	unique := &pgconn.PgError{Code: "23505", ConstraintName: "some_new_key", Message: "duplicate key value"}
	organizer := &pgconn.PgError{Code: "23503", ConstraintName: "events_organizer_id_fkey", Message: "violates foreign key"}
	role := &pgconn.PgError{Code: "23514", ConstraintName: "users_role_check", Message: "violates check"}
	for _, c := range []struct {
		err       error
		code, msg string
	}{
		{pgx.ErrNoRows, boxoffice.ENOTFOUND, "event not found"},
		{fmt.Errorf("wrapped: %w", fk), boxoffice.ENOTFOUND, "event not found"},
		{unknownFK, boxoffice.ENOTFOUND, "a referenced record was not found"},
		{check, boxoffice.EINVALID, "numberOfTickets must be between 1 and 10"},
		{unique, boxoffice.ECONFLICT, "event already exists"},
		{organizer, boxoffice.ENOTFOUND, "organizer not found"},
		{role, boxoffice.EINVALID, "role is not valid"},
		{boxoffice.Errorf(boxoffice.ESOLDOUT, "sold out"), boxoffice.ESOLDOUT, "sold out"},
	} {
		got := dbError(c.err, "find", "event")
		if boxoffice.ErrorCode(got) != c.code || boxoffice.ErrorMessage(got) != c.msg {
			t.Errorf("dbError(%v) = %v, want %s %q", c.err, got, c.code, c.msg)
		}
	}
	// Anything else stays internal, wrapped with context, cause kept.
	cause := &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}
	got := dbError(cause, "find", "event")
	var be *boxoffice.Error
	if errors.As(got, &be) || !errors.Is(got, cause) || !strings.HasPrefix(got.Error(), "postgres: find event: ") {
		t.Errorf("dbError(timeout) = %v, want an internal error wrapping the cause", got)
	}
	if dbError(nil, "find", "event") != nil {
		t.Error("dbError(nil) != nil")
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
	_, err = db.pool.Exec(context.Background(), "SELECT pg_sleep(5)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || time.Since(start) > 3*time.Second {
		t.Fatalf("pg_sleep(5) = %v after %v, want a statement timeout", err, time.Since(start))
	}
}

// The statement counter proves the batching: each method costs the
// statements below, BEGIN and COMMIT included.
func TestStatementCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	u := mustCreateUser(t, db, "dave")
	e := mustCreateEvent(t, db, "Show", boxoffice.Now().Add(time.Hour), 100)
	other := mustCreateEvent(t, db, "Other", boxoffice.Now().Add(2*time.Hour), 100)

	var booked *boxoffice.Booking
	steps := []struct {
		name string
		want int64
		run  func() error
	}{
		{"FindUserByID", 1, func() error { _, err := db.FindUserByID(ctx, u.ID); return err }},
		{"FindUsers (count + page)", 2, func() error {
			_, _, err := db.FindUsers(ctx, boxoffice.UserFilter{Email: "dave", Page: firstPage})
			return err
		}},
		{"FindEventsByIDs", 1, func() error { _, err := db.FindEventsByIDs(ctx, []string{e.ID, other.ID}); return err }},
		{"BookBatch of 3 on 2 events", 6, func() error {
			res, err := db.BookBatch(ctx, []boxoffice.BookingRequest{
				{UserID: u.ID, EventID: e.ID, Tickets: 1}, {UserID: u.ID, EventID: other.ID, Tickets: 2}, {UserID: u.ID, EventID: e.ID, Tickets: 3},
			})
			if err == nil {
				booked = res[0].Booking
			}
			return err
		}},
		{"BookBatch with nothing to book (rolls back)", 4, func() error {
			_, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: boxoffice.NewID(), Tickets: 1}})
			return err
		}},
		{"FindBookingsByUserIDs", 1, func() error { _, err := db.FindBookingsByUserIDs(ctx, []string{u.ID}, 10); return err }},
		// BEGIN, the lock, two updates, the notification to other servers, COMMIT.
		{"CancelBooking", 6, func() error { _, err := db.CancelBooking(ctx, booked.ID, boxoffice.Now()); return err }},
		{"UpdateEvent", 4, func() error {
			title := "Renamed"
			_, err := db.UpdateEvent(ctx, e.ID, boxoffice.EventUpdate{Title: &title, Version: 1})
			return err
		}},
	}
	for _, s := range steps {
		before := db.StatementCount()
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := db.StatementCount() - before; got != s.want {
			t.Errorf("%s: %d statements, want %d", s.name, got, s.want)
		}
	}
}

func TestUserFilterEscapesWildcards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	mustCreateUser(t, db, "a_b")
	mustCreateUser(t, db, "axb")
	mustCreateUser(t, db, "x%y")
	mustCreateUser(t, db, `back\slash`)
	for _, c := range []struct {
		username string
		want     int
	}{{"_", 1}, {"A_B", 1}, {"%", 1}, {`\`, 1}, {"B", 3}, {"", 4}} {
		users, n, err := db.FindUsers(ctx, boxoffice.UserFilter{Username: c.username, Page: firstPage})
		if err != nil || n != c.want || len(users) != c.want {
			t.Errorf("username %q: %d users (total %d, %v), want %d", c.username, len(users), n, err, c.want)
		}
	}
	if _, _, err := db.FindUsers(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 0, Limit: 10}}); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
		t.Errorf("page 0: err = %v, want EINVALID", err)
	}
}

func TestOrderings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	now := boxoffice.Now()
	day := 24 * time.Hour
	late := mustCreateEvent(t, db, "late", now.Add(3*day), 10)
	soon := mustCreateEvent(t, db, "soon", now.Add(day), 10)
	past := mustCreateEvent(t, db, "past", now.Add(-day), 10)
	sameDay := mustCreateEvent(t, db, "soon, created later", now.Add(day), 10) // newest first among equal dates
	u := mustCreateUser(t, db, "erin")
	if _, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: late.ID, Tickets: 9}, {UserID: u.ID, EventID: soon.ID, Tickets: 2}}); err != nil {
		t.Fatal(err)
	}

	titles := func(events []*boxoffice.Event) string {
		var s []string
		for _, e := range events {
			s = append(s, e.Title)
		}
		return strings.Join(s, " | ")
	}
	events, total, err := db.FindEvents(ctx, boxoffice.EventFilter{Page: firstPage})
	if want := titles([]*boxoffice.Event{past, sameDay, soon, late}); err != nil || total != 4 || titles(events) != want {
		t.Errorf("FindEvents = %s (%d, %v), want %s", titles(events), total, err, want)
	}
	popular, _ := db.PopularEvents(ctx, 2)
	if want := "late | soon"; titles(popular) != want {
		t.Errorf("PopularEvents = %s, want %s", titles(popular), want)
	}
	upcoming, _ := db.UpcomingEvents(ctx, now, 10)
	first, second := soon, sameDay
	if sameDay.ID < soon.ID {
		first, second = sameDay, soon
	}
	if want := titles([]*boxoffice.Event{first, second, late}); titles(upcoming) != want {
		t.Errorf("UpcomingEvents = %s, want %s", titles(upcoming), want)
	}
	if got, _ := db.FindEventByID(ctx, soon.ID); got.AvailableTickets != 8 || got.Version != 1 || got.Date.Location() != time.UTC || !got.Date.Equal(soon.Date) {
		t.Errorf("soon after booking = %+v: want 8 left, version 1, date in UTC", got)
	}
}

// Nested bookings: the newest per owner, a bound per owner, one statement.
func TestRecentBookingsPerOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	e := mustCreateEvent(t, db, "Fest", boxoffice.Now().Add(time.Hour), 1000)
	users := []*boxoffice.User{mustCreateUser(t, db, "u1"), mustCreateUser(t, db, "u2"), mustCreateUser(t, db, "u3")}
	for i := 0; i < 5; i++ {
		for _, u := range users[:2] {
			if _, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: e.ID, Tickets: 1}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := db.FindBookingsByUserIDs(ctx, []string{users[0].ID, users[1].ID, users[2].ID, users[0].ID, "junk"}, 3)
	if err != nil || len(got) != 6 {
		t.Fatalf("FindBookingsByUserIDs = %d bookings, %v; want 3 for each of 2 users", len(got), err)
	}
	all, _, _ := db.FindBookings(ctx, boxoffice.BookingFilter{UserID: users[0].ID, Page: firstPage})
	var newest []string
	for _, b := range got {
		if b.UserID == users[0].ID {
			newest = append(newest, b.ID)
		}
	}
	for i, id := range newest {
		if id != all[i].ID {
			t.Errorf("user 1's recent bookings = %v, want the 3 newest of %v", newest, all)
			break
		}
	}
	byEvent, err := db.FindBookingsByEventIDs(ctx, []string{e.ID}, 4)
	if err != nil || len(byEvent) != 4 {
		t.Errorf("FindBookingsByEventIDs = %d, %v; want 4", len(byEvent), err)
	}
	if none, _, err := db.FindBookings(ctx, boxoffice.BookingFilter{EventID: "junk", Page: firstPage}); err != nil || len(none) != 0 {
		t.Errorf("malformed eventId filter = %d, %v; want no match", len(none), err)
	}
}
