package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// newStore is a migrated SQLite store: these tests are about rules above
// the engine, which race_test.go and the cluster tests check on both.
func newStore(t *testing.T) boxoffice.Store {
	t.Helper()
	return testdb.Migrated(t, "sqlite")
}

func newService(t *testing.T, store boxoffice.Store) *service.Services {
	t.Helper()
	s := service.New(store, service.Options{})
	t.Cleanup(s.Close)
	return s
}

// asAdmin is ctx with an admin signed in: these tests are about validation
// and engine-independent rules; graph/authz_test.go walks the roles.
func asAdmin(ctx context.Context) context.Context {
	return boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: boxoffice.NewID(), Role: boxoffice.RoleAdmin})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := boxoffice.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
}

func validEvent() *boxoffice.Event {
	return &boxoffice.Event{Title: "Gig", Date: boxoffice.Now().Add(time.Hour), Location: "Club", TotalTickets: 10, PriceCents: 1000}
}

func TestValidationNeverReachesTheStore(t *testing.T) {
	ctx := asAdmin(context.Background())
	store := newStore(t)
	s := newService(t, store)
	id := boxoffice.NewID()
	page := boxoffice.Page{Page: 1, Limit: 10}
	past := boxoffice.Now().Add(-time.Minute)
	from := boxoffice.Now()
	before := from
	later := from.Add(time.Hour)
	event := func(change func(e *boxoffice.Event)) func() error {
		return func() error {
			e := validEvent()
			change(e)
			return s.Events.CreateEvent(ctx, e)
		}
	}
	user := func(name, email string) func() error {
		return func() error { return s.Users.CreateUser(ctx, &boxoffice.User{Username: name, Email: email}, "") }
	}
	book := func(userID, eventID string, n int) func() error {
		return func() error {
			_, err := s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: userID, EventID: eventID, Tickets: n})
			return err
		}
	}
	bookings := func(f boxoffice.BookingFilter) func() error {
		return func() error { _, _, err := s.Bookings.FindBookings(ctx, f); return err }
	}
	err1 := func(f func() (any, error)) func() error { return func() error { _, err := f(); return err } }

	cases := []struct {
		name, field string
		call        func() error
	}{
		{"username too short", "username", user("x", "x@example.com")},
		{"username blank", "username", user("   ", "x@example.com")},
		{"username too long", "username", user(strings.Repeat("n", 51), "x@example.com")},
		{"email malformed", "email", user("xavier", "not-an-email")},
		{"email with a name", "email", user("xavier", "Xavier <x@example.com>")},
		{"email too long", "email", user("xavier", strings.Repeat("x", 250)+"@example.com")},
		{"user id", "id", err1(func() (any, error) { return s.Users.FindUserByID(ctx, "42") })},
		{"users page", "page", func() error {
			_, _, err := s.Users.FindUsers(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 0, Limit: 10}})
			return err
		}},
		{"users limit", "limit", func() error {
			_, _, err := s.Users.FindUsers(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 1, Limit: 101}})
			return err
		}},

		{"title blank", "title", event(func(e *boxoffice.Event) { e.Title = " " })},
		{"title too long", "title", event(func(e *boxoffice.Event) { e.Title = strings.Repeat("t", 201) })},
		{"description too long", "description", event(func(e *boxoffice.Event) { d := strings.Repeat("d", 5001); e.Description = &d })},
		{"location blank", "location", event(func(e *boxoffice.Event) { e.Location = "" })},
		{"date missing", "date", event(func(e *boxoffice.Event) { e.Date = time.Time{} })},
		{"date in the past", "date", event(func(e *boxoffice.Event) { e.Date = past })},
		{"no tickets", "totalTickets", event(func(e *boxoffice.Event) { e.TotalTickets = 0 })},
		{"too many tickets", "totalTickets", event(func(e *boxoffice.Event) { e.TotalTickets = boxoffice.MaxEventTickets + 1 })},
		{"negative price", "price", event(func(e *boxoffice.Event) { e.PriceCents = -1 })},
		{"price too high", "price", event(func(e *boxoffice.Event) { e.PriceCents = boxoffice.MaxPriceCents + 1 })},
		{"event id", "id", err1(func() (any, error) { return s.Events.FindEventByID(ctx, "nope") })},
		{"events page", "page", func() error {
			_, _, err := s.Events.FindEvents(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: -1, Limit: 10}})
			return err
		}},
		{"popular 0", "limit", err1(func() (any, error) { return s.Events.PopularEvents(ctx, 0) })},
		{"popular over max", "limit", err1(func() (any, error) { return s.Events.PopularEvents(ctx, boxoffice.MaxTopEvents+1) })},
		{"upcoming 0", "limit", err1(func() (any, error) { return s.Events.UpcomingEvents(ctx, 0) })},
		{"upcoming over max", "limit", err1(func() (any, error) { return s.Events.UpcomingEvents(ctx, boxoffice.MaxTopEvents+1) })},
		{"update id", "id", err1(func() (any, error) { return s.Events.UpdateEvent(ctx, "nope", boxoffice.EventUpdate{Version: 1}) })},
		{"update date in the past", "date", err1(func() (any, error) {
			return s.Events.UpdateEvent(ctx, id, boxoffice.EventUpdate{Date: &past, Version: 1})
		})},

		{"booking user id", "userId", book("nope", id, 1)},
		{"booking event id", "eventId", book(id, "nope", 1)},
		{"booking 0 tickets", "numberOfTickets", book(id, id, 0)},
		{"booking 11 tickets", "numberOfTickets", book(id, id, boxoffice.MaxTicketsPerBooking+1)},
		{"cancel id", "id", err1(func() (any, error) { return s.Bookings.CancelBooking(ctx, "nope") })},
		{"booking id", "id", err1(func() (any, error) { return s.Bookings.FindBookingByID(ctx, id+"x") })},
		{"bookings user id", "userId", bookings(boxoffice.BookingFilter{UserID: "nope", Page: page})},
		{"bookings event id", "eventId", bookings(boxoffice.BookingFilter{EventID: "nope", Page: page})},
		{"bookings status", "status", bookings(boxoffice.BookingFilter{Status: "PAID", Page: page})},
		{"bookings empty range", "createdFrom", bookings(boxoffice.BookingFilter{CreatedFrom: &from, CreatedBefore: &before, Page: page})},
		{"bookings reversed range", "createdFrom", bookings(boxoffice.BookingFilter{CreatedFrom: &later, CreatedBefore: &from, Page: page})},
		{"bookings limit", "limit", bookings(boxoffice.BookingFilter{Page: boxoffice.Page{Page: 1, Limit: 0}})},
		{"bookings per user 0", "limit", err1(func() (any, error) { return s.Bookings.FindBookingsByUserIDs(ctx, []string{id}, 0) })},
		{"bookings per user over max", "limit", err1(func() (any, error) {
			return s.Bookings.FindBookingsByUserIDs(ctx, []string{id}, boxoffice.MaxNestedBookings+1)
		})},
		{"bookings per event 0", "limit", err1(func() (any, error) { return s.Bookings.FindBookingsByEventIDs(ctx, []string{id}, 0) })},
	}
	for _, c := range cases {
		before := store.StatementCount()
		err := c.call()
		if code := boxoffice.ErrorCode(err); code != boxoffice.EINVALID {
			t.Errorf("%s: code %q (%v), want %q", c.name, code, err, boxoffice.EINVALID)
		} else if f := boxoffice.ErrorField(err); f != c.field {
			t.Errorf("%s: field %q (%v), want %q", c.name, f, err, c.field)
		}
		if n := store.StatementCount() - before; n != 0 {
			t.Errorf("%s: %d statements reached the store", c.name, n)
		}
	}
}

func TestLimitBoundsAccepted(t *testing.T) {
	ctx := asAdmin(context.Background())
	store := newStore(t)
	s := newService(t, store)
	for _, n := range []int{1, boxoffice.MaxTopEvents} {
		if _, err := s.Events.PopularEvents(ctx, n); err != nil {
			t.Errorf("PopularEvents(%d): %v", n, err)
		}
		if _, err := s.Events.UpcomingEvents(ctx, n); err != nil {
			t.Errorf("UpcomingEvents(%d): %v", n, err)
		}
	}
	for _, n := range []int{1, boxoffice.MaxNestedBookings} {
		if _, err := s.Bookings.FindBookingsByUserIDs(ctx, []string{boxoffice.NewID()}, n); err != nil {
			t.Errorf("FindBookingsByUserIDs(…, %d): %v", n, err)
		}
		if _, err := s.Bookings.FindBookingsByEventIDs(ctx, []string{boxoffice.NewID()}, n); err != nil {
			t.Errorf("FindBookingsByEventIDs(…, %d): %v", n, err)
		}
	}
	if _, _, err := s.Users.FindUsers(ctx, boxoffice.UserFilter{Page: boxoffice.Page{Page: 1, Limit: boxoffice.MaxLimit}}); err != nil {
		t.Errorf("FindUsers(limit %d): %v", boxoffice.MaxLimit, err)
	}
	// Malformed ids in a batch load match nothing, without failing it.
	if got, err := s.Users.FindUsersByIDs(ctx, []string{"nope"}); err != nil || len(got) != 0 {
		t.Errorf("FindUsersByIDs(malformed) = %v, %v; want none, no error", got, err)
	}
}

func TestCreateEvent(t *testing.T) {
	store := newStore(t)
	s := newService(t, store)
	organizer := storetest.MustCreateUser(t, store, "olga")
	ctx := boxoffice.NewContextWithCaller(context.Background(), boxoffice.Caller{UserID: organizer.ID, Role: boxoffice.RoleOrganizer})

	e := validEvent()
	e.Title, e.AvailableTickets, e.Version = "  Padded  ", 3, 9 // the service sets both
	if err := s.Events.CreateEvent(ctx, e); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	if !boxoffice.ValidID(e.ID) || e.Version != 1 || e.AvailableTickets != 10 || e.Title != "Padded" || e.CreatedAt.IsZero() || !e.UpdatedAt.Equal(e.CreatedAt) {
		t.Errorf("created event %+v: want an id, version 1, 10 available, a trimmed title, timestamps", e)
	}
	got, err := store.Events().ByID(ctx, e.ID)
	if err == nil && (got.OrganizerID == nil || *got.OrganizerID != organizer.ID) {
		t.Errorf("the creator must organize the event: organizer %v", got.OrganizerID)
	}
	if err != nil || got.AvailableTickets != 10 || got.Title != "Padded" {
		t.Errorf("stored event %+v, %v", got, err)
	}

	// The past, by the service's clock, is refused; the store would not.
	old := validEvent()
	old.Date = boxoffice.Now().Add(-time.Second)
	err = s.Events.CreateEvent(ctx, old)
	wantCode(t, err, boxoffice.EINVALID)
	if f := boxoffice.ErrorField(err); f != "date" {
		t.Errorf("event in the past: field %q, want date", f)
	}
	if _, n, _ := store.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); n != 1 {
		t.Errorf("%d events stored, want 1", n)
	}
}

func TestCreateUserNormalizes(t *testing.T) {
	ctx := asAdmin(context.Background())
	s := newService(t, newStore(t))
	u := &boxoffice.User{Username: "  Zoe ", Email: " Zoe@Example.COM "}
	if err := s.Users.CreateUser(ctx, u, ""); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if !boxoffice.ValidID(u.ID) || u.Username != "Zoe" || u.Email != "zoe@example.com" || u.CreatedAt.IsZero() {
		t.Errorf("created user %+v", u)
	}
	got, err := s.Users.FindUserByID(ctx, u.ID)
	if err != nil || got.Email != "zoe@example.com" {
		t.Errorf("FindUserByID = %+v, %v", got, err)
	}
	wantCode(t, s.Users.CreateUser(ctx, &boxoffice.User{Username: "Other", Email: "ZOE@example.com"}, ""), boxoffice.ECONFLICT)
}

func TestUpcomingEventsUsesTheClock(t *testing.T) {
	ctx := asAdmin(context.Background())
	store := newStore(t)
	s := newService(t, store)
	storetest.MustCreateEvent(t, store, 5, -time.Hour)
	soon := storetest.MustCreateEvent(t, store, 5, time.Hour)
	later := storetest.MustCreateEvent(t, store, 5, 2*time.Hour)
	got, err := s.Events.UpcomingEvents(ctx, 10)
	if err != nil {
		t.Fatalf("UpcomingEvents: %v", err)
	}
	if len(got) != 2 || got[0].ID != soon.ID || got[1].ID != later.ID {
		t.Errorf("UpcomingEvents: %d events, want the 2 future ones, soonest first", len(got))
	}
	if got, err := s.Events.UpcomingEvents(ctx, 1); err != nil || len(got) != 1 || got[0].ID != soon.ID {
		t.Errorf("UpcomingEvents(1) = %d events, %v; want the soonest", len(got), err)
	}
}

func TestBookingLifecycle(t *testing.T) {
	ctx := asAdmin(context.Background())
	store := newStore(t)
	s := newService(t, store)
	u := storetest.MustCreateUser(t, store, "buyer")
	ev := storetest.MustCreateEvent(t, store, 3, time.Hour)
	past := storetest.MustCreateEvent(t, store, 3, -time.Hour)

	b, err := s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 3})
	if err != nil {
		t.Fatalf("CreateBooking: %v", err)
	}
	if b.Status != boxoffice.BookingConfirmed || b.NumberOfTickets != 3 {
		t.Errorf("booking %+v", b)
	}
	_, err = s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: past.ID, Tickets: 1})
	wantCode(t, err, boxoffice.ECONFLICT)
	_, err = s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: boxoffice.NewID(), EventID: past.ID, Tickets: 1})
	wantCode(t, err, boxoffice.ENOTFOUND)

	// Sold out: refused from memory, no statement.
	before := store.StatementCount()
	_, err = s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1})
	wantCode(t, err, boxoffice.ESOLDOUT)
	if n := store.StatementCount() - before; n != 0 {
		t.Errorf("a booking for an event seen sold out ran %d statements", n)
	}

	// A cancel through the service reopens the event at once.
	if _, err := s.Bookings.CancelBooking(ctx, b.ID); err != nil {
		t.Fatalf("CancelBooking: %v", err)
	}
	if _, err := s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 2}); err != nil {
		t.Errorf("CreateBooking after a cancel: %v", err)
	}
	_, err = s.Bookings.CancelBooking(ctx, b.ID)
	wantCode(t, err, boxoffice.ECONFLICT)

	// So does an update that adds tickets.
	if _, err := s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1}); err != nil {
		t.Fatalf("CreateBooking of the last ticket: %v", err)
	}
	before = store.StatementCount()
	_, err = s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1})
	wantCode(t, err, boxoffice.ESOLDOUT)
	if n := store.StatementCount() - before; n != 0 {
		t.Errorf("a booking for an event seen sold out ran %d statements", n)
	}
	more := 10
	if _, err := s.Events.UpdateEvent(ctx, ev.ID, boxoffice.EventUpdate{TotalTickets: &more, Version: 1}); err != nil {
		t.Fatalf("UpdateEvent: %v", err)
	}
	if _, err := s.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 2}); err != nil {
		t.Errorf("CreateBooking after adding tickets: %v", err)
	}

	list, total, err := s.Bookings.FindBookings(ctx, boxoffice.BookingFilter{UserID: u.ID, Page: boxoffice.Page{Page: 1, Limit: 10}})
	if err != nil || total != 4 || len(list) != 4 {
		t.Errorf("FindBookings: %d of %d, %v; want 4", len(list), total, err)
	}
}
