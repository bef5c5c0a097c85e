package sqlite

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// 300 buyers race for 50 tickets, each in a batch of their own: exactly 50
// win, the others are told the event is sold out, and nothing ever fails
// with "database is locked". A third of them book through a second handle
// on the file, as another process would, which busy_timeout lets wait.
func TestBookingRace(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	other, err := Open(ctx, dbFile(t, db))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ev := newEvent(t, db, 50, time.Now().Add(time.Hour))
	users := make([]*boxoffice.User, 10)
	for i := range users {
		users[i] = newUser(t, db, "user"+string(rune('a'+i)))
	}

	const buyers = 300
	var wg sync.WaitGroup
	results := make([]boxoffice.BookingResult, buyers)
	errs := make([]error, buyers)
	for i := range buyers {
		wg.Go(func() {
			req := boxoffice.BookingRequest{UserID: users[i%len(users)].ID, EventID: ev.ID, Tickets: 1}
			store := db
			if i%3 == 0 {
				store = other
			}
			res, err := store.BookBatch(ctx, []boxoffice.BookingRequest{req})
			if err == nil {
				results[i] = res[0]
			}
			errs[i] = err
		})
	}
	wg.Wait()

	won, soldOut := 0, 0
	for i := range buyers {
		if errs[i] != nil {
			t.Fatalf("buyer %d: batch error: %v", i, errs[i])
		}
		switch code := boxoffice.ErrorCode(results[i].Err); {
		case code == "" && results[i].Booking != nil:
			won++
		case code == boxoffice.ESOLDOUT:
			soldOut++
		default:
			t.Errorf("buyer %d: %v", i, results[i].Err)
		}
		if results[i].Err != nil && strings.Contains(results[i].Err.Error(), "locked") {
			t.Errorf("buyer %d: %v", i, results[i].Err)
		}
	}
	if won != 50 || soldOut != buyers-50 {
		t.Errorf("%d won, %d sold out; want 50 and %d", won, soldOut, buyers-50)
	}

	got, err := db.FindEventByID(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AvailableTickets != 0 || got.Version != ev.Version {
		t.Errorf("event: available %d, version %d; want 0 and %d", got.AvailableTickets, got.Version, ev.Version)
	}
	var sum, count int
	if err := db.reader.QueryRowContext(ctx, "SELECT coalesce(sum(number_of_tickets), 0), count(*) FROM bookings WHERE event_id = ? AND status = 'CONFIRMED'", ev.ID).Scan(&sum, &count); err != nil {
		t.Fatal(err)
	}
	if sum != 50 || count != 50 {
		t.Errorf("bookings: %d tickets in %d bookings, want 50 in 50", sum, count)
	}
}

// A batch decides each request alone, in order, and writes all its winners
// in one transaction.
func TestBookBatchOutcomes(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	u := newUser(t, db, "alice")
	ev := newEvent(t, db, 5, time.Now().Add(time.Hour))
	past := newEvent(t, db, 5, time.Now().Add(-time.Hour))
	reqs := []boxoffice.BookingRequest{
		{UserID: u.ID, EventID: ev.ID, Tickets: 3},
		{UserID: u.ID, EventID: ev.ID, Tickets: 3},              // only 2 left
		{UserID: u.ID, EventID: ev.ID, Tickets: 2},              // fits
		{UserID: u.ID, EventID: boxoffice.NewID(), Tickets: 1},  // no such event
		{UserID: boxoffice.NewID(), EventID: ev.ID, Tickets: 1}, // no such user
		{UserID: u.ID, EventID: past.ID, Tickets: 1},            // started
	}
	res, err := db.BookBatch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", boxoffice.ESOLDOUT, "", boxoffice.ENOTFOUND, boxoffice.ENOTFOUND, boxoffice.ECONFLICT}
	for i, w := range want {
		if got := boxoffice.ErrorCode(res[i].Err); got != w {
			t.Errorf("request %d: %q, want %q", i, got, w)
		}
	}
	got, _ := db.FindEventByID(ctx, ev.ID)
	if got == nil || got.AvailableTickets != 0 {
		t.Errorf("event after batch: %+v", got)
	}
	bookings, total, err := db.FindBookings(ctx, boxoffice.BookingFilter{UserID: u.ID, Page: boxoffice.Page{Page: 1, Limit: 10}})
	if err != nil || total != 2 || len(bookings) != 2 {
		t.Errorf("bookings: %d of %d, %v; want 2", len(bookings), total, err)
	}
}

func TestCancelBooking(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	u := newUser(t, db, "alice")
	ev := newEvent(t, db, 5, time.Now().Add(time.Hour))
	res, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 4}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	id := res[0].Booking.ID

	// Too late: the event has started by then.
	_, err = db.CancelBooking(ctx, id, ev.Date)
	wantCode(t, err, boxoffice.ECONFLICT)

	now := boxoffice.Now()
	b, err := db.CancelBooking(ctx, id, now)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != boxoffice.BookingCancelled || b.CancelledAt == nil || !b.CancelledAt.Equal(now) || !b.UpdatedAt.Equal(now) {
		t.Errorf("cancelled booking: %+v", b)
	}
	stored, err := db.FindBookingByID(ctx, id)
	if err != nil || stored.Status != boxoffice.BookingCancelled || *stored.CancelledAt != *b.CancelledAt {
		t.Errorf("stored booking: %+v, %v", stored, err)
	}
	if got, _ := db.FindEventByID(ctx, ev.ID); got == nil || got.AvailableTickets != 5 {
		t.Errorf("event after cancel: %+v", got)
	}

	_, err = db.CancelBooking(ctx, id, now)
	wantCode(t, err, boxoffice.ECONFLICT)
	_, err = db.CancelBooking(ctx, boxoffice.NewID(), now)
	wantCode(t, err, boxoffice.ENOTFOUND)
}

// Nested lists: the most recent bookings of each user, perUser at most,
// across more ids than one statement takes.
func TestFindBookingsByUserIDs(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	ev := newEvent(t, db, 1000, time.Now().Add(time.Hour))
	a, b := newUser(t, db, "ann"), newUser(t, db, "bob")
	var newestOfA []string
	for i := range 5 {
		for _, u := range []*boxoffice.User{a, b} {
			res, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 1}})
			if err != nil || res[0].Err != nil {
				t.Fatal(err, res)
			}
			if u == a && i >= 2 {
				newestOfA = append([]string{res[0].Booking.ID}, newestOfA...)
			}
		}
	}
	ids := []string{a.ID, b.ID, a.ID}
	for range 1200 {
		ids = append(ids, boxoffice.NewID())
	}
	got, err := db.FindBookingsByUserIDs(ctx, ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	var gotOfA []string
	for _, bk := range got {
		if bk.UserID == a.ID {
			gotOfA = append(gotOfA, bk.ID)
		}
	}
	if len(got) != 6 || strings.Join(gotOfA, ",") != strings.Join(newestOfA, ",") {
		t.Errorf("got %d bookings, of ann %v; want 6, of ann %v", len(got), gotOfA, newestOfA)
	}
	byEvent, err := db.FindBookingsByEventIDs(ctx, []string{ev.ID}, 4)
	if err != nil || len(byEvent) != 4 {
		t.Errorf("by event: %d, %v; want 4", len(byEvent), err)
	}
}

func TestUpdateEvent(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	u := newUser(t, db, "alice")
	ev := newEvent(t, db, 10, time.Now().Add(time.Hour))
	if _, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 4}}); err != nil {
		t.Fatal(err)
	}
	total, title := 20, "Bigger"
	got, err := db.UpdateEvent(ctx, ev.ID, boxoffice.EventUpdate{TotalTickets: &total, Title: &title, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := db.FindEventByID(ctx, ev.ID)
	if stored == nil || *stored != *got || got.AvailableTickets != 16 || got.Version != 2 || got.Title != title {
		t.Errorf("updated %+v, stored %+v", got, stored)
	}
	_, err = db.UpdateEvent(ctx, ev.ID, boxoffice.EventUpdate{Title: &title, Version: 1})
	wantCode(t, err, boxoffice.ECONFLICT)
	_, err = db.UpdateEvent(ctx, boxoffice.NewID(), boxoffice.EventUpdate{Version: 1})
	wantCode(t, err, boxoffice.ENOTFOUND)
}
