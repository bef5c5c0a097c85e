package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// 300 buyers race for 50 tickets: exactly 50 get one, nobody oversells.
func TestBookingRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	e := mustCreateEvent(t, db, "Hot", boxoffice.Now().Add(time.Hour), 50)
	users := make([]*boxoffice.User, 30)
	for i := range users {
		users[i] = mustCreateUser(t, db, "buyer"+string(rune('a'+i)))
	}

	const buyers = 300
	codes := make([]string, buyers)
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			res, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: users[i%len(users)].ID, EventID: e.ID, Tickets: 1}})
			if err != nil {
				codes[i] = "batch error: " + err.Error()
				return
			}
			codes[i] = boxoffice.ErrorCode(res[0].Err)
		})
	}
	wg.Wait()

	counts := map[string]int{}
	for _, c := range codes {
		counts[c]++
	}
	if counts[""] != 50 || counts[boxoffice.ESOLDOUT] != buyers-50 {
		t.Errorf("outcomes = %v, want 50 booked and %d sold out", counts, buyers-50)
	}
	got, err := db.FindEventByID(ctx, e.ID)
	if err != nil || got.AvailableTickets != 0 || got.Version != 1 {
		t.Errorf("event after the race = %+v, %v: want 0 available, version 1", got, err)
	}
	var booked int
	if err := db.pool.QueryRow(ctx, "SELECT coalesce(sum(number_of_tickets), 0) FROM bookings WHERE event_id = $1 AND status = 'CONFIRMED'", e.ID).Scan(&booked); err != nil || booked != 50 {
		t.Errorf("tickets in bookings = %d, %v; want 50", booked, err)
	}
}

// One batch: every request decided alone, in order, written together.
func TestBookBatchOutcomes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	u := mustCreateUser(t, db, "fay")
	e := mustCreateEvent(t, db, "Small", boxoffice.Now().Add(time.Hour), 5)
	past := mustCreateEvent(t, db, "Over", boxoffice.Now().Add(-time.Hour), 5)

	reqs := []boxoffice.BookingRequest{
		{UserID: u.ID, EventID: e.ID, Tickets: 3},
		{UserID: u.ID, EventID: e.ID, Tickets: 3},              // only 2 left
		{UserID: boxoffice.NewID(), EventID: e.ID, Tickets: 1}, // no such user
		{UserID: u.ID, EventID: boxoffice.NewID(), Tickets: 1}, // no such event
		{UserID: u.ID, EventID: "not-a-uuid", Tickets: 1},      // no such event either
		{UserID: u.ID, EventID: past.ID, Tickets: 1},           // started
		{UserID: u.ID, EventID: e.ID, Tickets: 2},              // the last 2
		{UserID: u.ID, EventID: e.ID, Tickets: 1},              // sold out
	}
	want := []string{"", boxoffice.ESOLDOUT, boxoffice.ENOTFOUND, boxoffice.ENOTFOUND, boxoffice.ENOTFOUND, boxoffice.ECONFLICT, "", boxoffice.ESOLDOUT}
	res, err := db.BookBatch(ctx, reqs)
	if err != nil || len(res) != len(reqs) {
		t.Fatalf("BookBatch = %d results, %v", len(res), err)
	}
	for i, r := range res {
		if got := boxoffice.ErrorCode(r.Err); got != want[i] || (got == "") != (r.Booking != nil) {
			t.Errorf("request %d: %v %v, want code %q", i, r.Booking, r.Err, want[i])
		}
	}
	stored, err := db.FindBookingByID(ctx, res[0].Booking.ID)
	if err != nil || *stored != withoutSnapshots(res[0].Booking) {
		t.Errorf("stored booking = %+v, %v; want %+v", stored, err, res[0].Booking)
	}
	if got, _ := db.FindEventByID(ctx, e.ID); got.AvailableTickets != 0 {
		t.Errorf("available = %d, want 0", got.AvailableTickets)
	}
	if res, err := db.BookBatch(ctx, nil); err != nil || len(res) != 0 {
		t.Errorf("empty batch = %v, %v", res, err)
	}
}

// A batch that fails as a whole writes nothing.
func TestBookBatchFailureWritesNothing(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	u := mustCreateUser(t, db, "gus")
	e := mustCreateEvent(t, db, "Gig", boxoffice.Now().Add(time.Hour), 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: e.ID, Tickets: 1}}); err == nil {
		t.Fatal("BookBatch with a cancelled context succeeded")
	}
	if got, _ := db.FindEventByID(context.Background(), e.ID); got.AvailableTickets != 5 {
		t.Errorf("available = %d, want 5", got.AvailableTickets)
	}
}

func TestCancelBooking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	u := mustCreateUser(t, db, "hal")
	e := mustCreateEvent(t, db, "Play", boxoffice.Now().Add(time.Hour), 10)
	res, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: e.ID, Tickets: 4}, {UserID: u.ID, EventID: e.ID, Tickets: 1}})
	if err != nil {
		t.Fatal(err)
	}
	b := res[0].Booking

	now := boxoffice.Now()
	got, err := db.CancelBooking(ctx, b.ID, now)
	if err != nil || got.Status != boxoffice.BookingCancelled || got.CancelledAt == nil || !got.CancelledAt.Equal(now) || !got.UpdatedAt.Equal(now) {
		t.Fatalf("CancelBooking = %+v, %v", got, err)
	}
	if stored, _ := db.FindBookingByID(ctx, b.ID); stored.Status != boxoffice.BookingCancelled || !stored.CancelledAt.Equal(now) {
		t.Errorf("stored = %+v", stored)
	}
	if ev, _ := db.FindEventByID(ctx, e.ID); ev.AvailableTickets != 9 {
		t.Errorf("available = %d, want 9", ev.AvailableTickets)
	}
	_, err = db.CancelBooking(ctx, b.ID, now)
	wantCode(t, err, boxoffice.ECONFLICT)
	_, err = db.CancelBooking(ctx, boxoffice.NewID(), now)
	wantCode(t, err, boxoffice.ENOTFOUND)
	_, err = db.CancelBooking(ctx, res[1].Booking.ID, e.Date) // the event starts
	wantCode(t, err, boxoffice.ECONFLICT)

	// Each refusal rolled back and gave its connection back in good order.
	if ev, _ := db.FindEventByID(ctx, e.ID); ev.AvailableTickets != 9 {
		t.Errorf("available = %d, want 9", ev.AvailableTickets)
	}
}

func TestUpdateEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	u := mustCreateUser(t, db, "ida")
	e := mustCreateEvent(t, db, "Talk", boxoffice.Now().Add(time.Hour), 10)
	if _, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: e.ID, Tickets: 6}}); err != nil {
		t.Fatal(err)
	}

	total, title, desc := 20, "Keynote", "the big one"
	got, err := db.UpdateEvent(ctx, e.ID, boxoffice.EventUpdate{TotalTickets: &total, Title: &title, Description: &desc, Version: 1})
	if err != nil || got.Version != 2 || got.TotalTickets != 20 || got.AvailableTickets != 14 || got.Title != title {
		t.Fatalf("UpdateEvent = %+v, %v", got, err)
	}
	stored, _ := db.FindEventByID(ctx, e.ID)
	if stored.Version != 2 || stored.AvailableTickets != 14 || *stored.Description != desc || !stored.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("stored = %+v, want %+v", stored, got)
	}

	_, err = db.UpdateEvent(ctx, e.ID, boxoffice.EventUpdate{Title: &title, Version: 1})
	wantCode(t, err, boxoffice.ECONFLICT) // stale version
	five := 5
	_, err = db.UpdateEvent(ctx, e.ID, boxoffice.EventUpdate{TotalTickets: &five, Version: 2})
	wantCode(t, err, boxoffice.ECONFLICT) // below the 6 sold
	_, err = db.UpdateEvent(ctx, boxoffice.NewID(), boxoffice.EventUpdate{Version: 1})
	wantCode(t, err, boxoffice.ENOTFOUND)
}

// BenchmarkBookBatchHot books one ticket per batch on one event from many
// goroutines: the on-sale hot row. Compare with ../shared/bench (hot.sql).
func BenchmarkBookBatchHot(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	u := mustCreateUser(b, db, "bench")
	e := mustCreateEvent(b, db, "Hot", boxoffice.Now().Add(time.Hour), boxoffice.MaxEventTickets)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := db.BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: e.ID, Tickets: 1}})
			if err != nil || res[0].Err != nil {
				b.Errorf("BookBatch: %v %v", err, res)
				return
			}
		}
	})
}

// withoutSnapshots is a booking as read back: without the event and buyer
// a new booking carries.
func withoutSnapshots(b *boxoffice.Booking) boxoffice.Booking {
	c := *b
	c.Event, c.User = nil, nil
	return c
}
