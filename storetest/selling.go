package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// intp is a pointer to n, for optional fields.
func intp(n int) *int { return &n }

func testSelling(t *testing.T, open Opener) {
	t.Run("DownDropsBulkBookings", func(t *testing.T) { testSellingDown(t, open) })
	t.Run("TypesReadBack", func(t *testing.T) {
		s := Migrated(t, open)
		from := Tick().Add(48 * time.Hour)
		start := Tick().Add(-time.Minute)
		ev := MustCreateTypedEvent(t, s,
			&boxoffice.TicketType{Name: "Standing", PriceCents: 2000, TotalTickets: 100, SalesStart: &start,
				PriceSteps: []boxoffice.PriceStep{{SoldAtLeast: intp(50), PriceCents: 2500}, {From: &from, PriceCents: 3000}}},
			&boxoffice.TicketType{Name: "Seated", PriceCents: 4000, TotalTickets: 50, MaxPerBooking: 4})
		got := MustFindEvent(t, s, ev.ID)
		if !got.HasTicketTypes || got.TotalTickets != 150 || got.AvailableTickets != 150 || got.PriceCents != 2000 {
			t.Fatalf("event with types read back: %+v", got)
		}
		types, err := s.TicketTypes().ByEventIDs(t.Context(), []string{ev.ID, boxoffice.NewID(), "bad"})
		if err != nil || len(types) != 2 {
			t.Fatalf("ByEventIDs: %v, %v", types, err)
		}
		a, b := types[0], types[1]
		if a.Name != "Standing" || a.ID != ev.TicketTypes[0].ID || a.EventID != ev.ID || a.MaxPerBooking != boxoffice.MaxTicketsPerBooking ||
			a.SalesStart == nil || !a.SalesStart.Equal(start) || a.SalesEnd != nil || len(a.PriceSteps) != 2 ||
			*a.PriceSteps[0].SoldAtLeast != 50 || !a.PriceSteps[1].From.Equal(from) || a.PriceSteps[1].PriceCents != 3000 {
			t.Errorf("first type read back: %+v", a)
		}
		if b.Name != "Seated" || b.MaxPerBooking != 4 || b.AvailableTickets != 50 || len(b.PriceSteps) != 0 {
			t.Errorf("second type read back: %+v", b)
		}
		AssertInvariants(t, s)
	})

	t.Run("PriceStepsWithinABatch", func(t *testing.T) {
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Ann")
		ev := MustCreateTypedEvent(t, s, &boxoffice.TicketType{Name: "GA", PriceCents: 1000, TotalTickets: 10,
			PriceSteps: []boxoffice.PriceStep{{SoldAtLeast: intp(3), PriceCents: 1500}, {SoldAtLeast: intp(6), PriceCents: 2000}}})
		ga := ev.TicketTypes[0].ID
		var reqs []boxoffice.BookingRequest
		for _, n := range []int{2, 2, 1, 2, 2} { // sold before each: 0, 2, 4, 5, 7
			reqs = append(reqs, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, TicketTypeID: ga, Tickets: n})
		}
		res, err := s.Bookings().BookBatch(t.Context(), reqs, boxoffice.BookingTerms{})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []int64{1000, 1000, 1500, 1500, 2000} {
			if res[i].Err != nil {
				t.Fatalf("request %d: %v", i, res[i].Err)
			}
			got := MustFindBooking(t, s, res[i].Booking.ID)
			if got.UnitPriceCents != want || got.TotalCents != want*int64(reqs[i].Tickets) || got.TicketTypeID != ga {
				t.Errorf("request %d: unit %d total %d type %q, want %d", i, got.UnitPriceCents, got.TotalCents, got.TicketTypeID, want)
			}
		}
		AssertInvariants(t, s)
	})

	t.Run("TypesNeverOversell", func(t *testing.T) {
		s := Migrated(t, open)
		users := raceUsers(t, s, 10)
		ev := MustCreateTypedEvent(t, s, &boxoffice.TicketType{Name: "A", PriceCents: 1000, TotalTickets: 30},
			&boxoffice.TicketType{Name: "B", PriceCents: 2000, TotalTickets: 20})
		ctx, cancel := context.WithTimeout(t.Context(), raceTimeout)
		defer cancel()
		var sold [2]atomic.Int64
		race(raceBuyers, func(i int) {
			k := i % 2
			req := boxoffice.BookingRequest{UserID: users[i%len(users)].ID, EventID: ev.ID, TicketTypeID: ev.TicketTypes[k].ID, Tickets: 1 + i%3}
			res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{req}, boxoffice.BookingTerms{})
			switch {
			case err != nil:
				t.Errorf("buyer %d: %v", i, err)
			case res[0].Err == nil:
				sold[k].Add(int64(req.Tickets))
			case boxoffice.ErrorCode(res[0].Err) != boxoffice.ESOLDOUT:
				t.Errorf("buyer %d: %v", i, res[0].Err)
			}
		})
		types, err := s.TicketTypes().ByEventIDs(t.Context(), []string{ev.ID})
		if err != nil {
			t.Fatal(err)
		}
		for k, tt := range types {
			if int64(tt.Sold()) != sold[k].Load() || tt.AvailableTickets > 2 {
				t.Errorf("type %s: %d sold (%d available), buyers got %d", tt.Name, tt.Sold(), tt.AvailableTickets, sold[k].Load())
			}
		}
		AssertInvariants(t, s)
	})

	t.Run("PromoUsesExact", func(t *testing.T) {
		s := Migrated(t, open)
		users := raceUsers(t, s, 10)
		ev := MustCreateTypedEvent(t, s, &boxoffice.TicketType{Name: "GA", PriceCents: 1000, TotalTickets: 500})
		promo := MustCreatePromoCode(t, s, &boxoffice.PromoCode{EventID: ev.ID, Code: "ten", PercentOff: intp(20), MaxUses: intp(10)})
		ctx, cancel := context.WithTimeout(t.Context(), raceTimeout)
		defer cancel()
		var ok, refused atomic.Int64
		var held []*boxoffice.Booking
		var heldCh = make(chan *boxoffice.Booking, 100)
		race(100, func(i int) {
			req := boxoffice.BookingRequest{UserID: users[i%len(users)].ID, EventID: ev.ID, TicketTypeID: ev.TicketTypes[0].ID, Tickets: 2, PromoCode: "Ten"}
			res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{req}, holdTerms)
			switch {
			case err != nil:
				t.Errorf("buyer %d: %v", i, err)
			case res[0].Err == nil:
				if b := res[0].Booking; b.DiscountCents != 400 || b.TotalCents != 1600 || b.PromoCodeID != promo.ID {
					t.Errorf("buyer %d: discounted booking %+v", i, b)
				}
				ok.Add(1)
				heldCh <- res[0].Booking
			case boxoffice.ErrorCode(res[0].Err) == boxoffice.ECONFLICT:
				CheckError(t, res[0].Err)
				refused.Add(1)
			default:
				t.Errorf("buyer %d: %v", i, res[0].Err)
			}
		})
		close(heldCh)
		for b := range heldCh {
			held = append(held, b)
		}
		if ok.Load() != 10 || refused.Load() != 90 {
			t.Fatalf("%d discounts and %d refusals, want 10 and 90", ok.Load(), refused.Load())
		}
		WantAvailable(t, s, ev.ID, 480)
		AssertInvariants(t, s)

		// A cancelled booking gives back its type's tickets and its use.
		if _, err := cancelBooking(ctx, s, held[0].ID, Tick()); err != nil {
			t.Fatal(err)
		}
		wantUses(t, s, ev.ID, 9)
		WantAvailable(t, s, ev.ID, 482)
		AssertInvariants(t, s)

		// Expired holds too, the sweeper's and a batch's alike.
		if _, err := s.Bookings().ExpireHolds(ctx, Tick().Add(2*time.Hour), 3); err != nil {
			t.Fatal(err)
		}
		wantUses(t, s, ev.ID, 6)
		AssertInvariants(t, s)

		// An expired code is refused, and nothing is booked.
		past, five := Tick().Add(-time.Minute), int64(500)
		MustCreatePromoCode(t, s, &boxoffice.PromoCode{EventID: ev.ID, Code: "OLD", AmountOffCents: &five, ValidUntil: &past})
		res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{
			{UserID: users[0].ID, EventID: ev.ID, TicketTypeID: ev.TicketTypes[0].ID, Tickets: 1, PromoCode: "old"},
			{UserID: users[0].ID, EventID: ev.ID, TicketTypeID: ev.TicketTypes[0].ID, Tickets: 1, PromoCode: "nope"},
		}, holdTerms)
		if err != nil {
			t.Fatal(err)
		}
		WantCode(t, res[0].Err, boxoffice.ECONFLICT)
		WantCode(t, res[1].Err, boxoffice.EINVALID)
		AssertInvariants(t, s)

		dup := &boxoffice.PromoCode{ID: boxoffice.NewID(), EventID: ev.ID, Code: "TEN", PercentOff: intp(5), CreatedAt: Tick()}
		WantCode(t, s.PromoCodes().Create(ctx, dup), boxoffice.ECONFLICT)
		orphan := &boxoffice.PromoCode{ID: boxoffice.NewID(), EventID: boxoffice.NewID(), Code: "TEN", PercentOff: intp(5), CreatedAt: Tick()}
		WantCode(t, s.PromoCodes().Create(ctx, orphan), boxoffice.ENOTFOUND)
	})

	t.Run("BulkBooking", func(t *testing.T) {
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "Box office")
		later := Tick().Add(30 * time.Minute)
		ev := MustCreateTypedEvent(t, s, &boxoffice.TicketType{Name: "Group", PriceCents: 1000, TotalTickets: 3000, SalesStart: &later, MaxPerBooking: 2})
		names := []string{"Ann", "Bob"}
		res, err := s.Bookings().BookBatch(t.Context(), []boxoffice.BookingRequest{
			{UserID: u.ID, EventID: ev.ID, TicketTypeID: ev.TicketTypes[0].ID, Tickets: 2500, Bulk: true, AttendeeNames: names},
			{UserID: u.ID, EventID: ev.ID, TicketTypeID: ev.TicketTypes[0].ID, Tickets: 501, Bulk: true},
			{UserID: u.ID, EventID: ev.ID, TicketTypeID: ev.TicketTypes[0].ID, Tickets: 1}, // not on sale yet
		}, holdTerms)
		if err != nil || res[0].Err != nil {
			t.Fatalf("bulk booking: %v %+v", err, res)
		}
		WantCode(t, res[1].Err, boxoffice.ESOLDOUT)
		WantCode(t, res[2].Err, boxoffice.ECONFLICT)
		b := MustFindBooking(t, s, res[0].Booking.ID)
		if b.Status != boxoffice.BookingConfirmed || b.NumberOfTickets != 2500 || b.TotalCents != 2_500_000 {
			t.Errorf("bulk booking read back: %+v", b)
		}
		tickets, err := s.Tickets().ByBookingIDs(t.Context(), []string{b.ID})
		if err != nil || len(tickets) != 2500 || tickets[0].AttendeeName != "Ann" || tickets[1].AttendeeName != "Bob" {
			t.Fatalf("tickets: %d, %v", len(tickets), err)
		}
		WantAvailable(t, s, ev.ID, 500)
		AssertInvariants(t, s)
	})
}

// wantUses checks the uses of the event's first promo code.
func wantUses(t *testing.T, s boxoffice.Store, eventID string, want int) {
	t.Helper()
	ps, err := s.PromoCodes().ByEvent(t.Context(), eventID)
	if err != nil || len(ps) == 0 || ps[0].Uses != want {
		t.Fatalf("promo codes: %v, %v; want %d uses of the first", ps, err, want)
	}
}

// testSellingDown: rolling 00007 back drops bulk bookings (over 10
// tickets), their tickets going back to their event, and keeps the rest;
// up again, the event books as before.
func testSellingDown(t *testing.T, open Opener) {
	ctx := t.Context()
	e := Migrated(t, open)
	u := MustCreateUser(t, e, "Ann")
	ev := MustCreateEvent(t, e, 100, time.Hour)
	MustBook(t, e, u, ev, 3)
	res, err := e.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: u.ID, EventID: ev.ID, Tickets: 40, Bulk: true}}, boxoffice.BookingTerms{})
	if err != nil || res[0].Err != nil {
		t.Fatalf("bulk booking: %v %v", err, res)
	}
	MustCreateTypedEvent(t, e, &boxoffice.TicketType{Name: "GA", PriceCents: 100, TotalTickets: 10})
	WantAvailable(t, e, ev.ID, 57)
	// Down to before 00007_selling, whatever came after it.
	for {
		m, err := e.MigrateDown(ctx)
		if err != nil {
			t.Fatalf("MigrateDown: %v", err)
		}
		if m == nil || m.Version <= 7 {
			break
		}
	}
	if _, err := e.MigrateUp(ctx); err != nil {
		t.Fatalf("MigrateUp: %v", err)
	}
	WantAvailable(t, e, ev.ID, 97) // the store of 00007 reads it
	if _, n, err := e.Bookings().Find(ctx, boxoffice.BookingFilter{EventID: ev.ID, Page: boxoffice.Page{Page: 1, Limit: 10}}); err != nil || n != 1 {
		t.Errorf("bookings after down and up: %d, %v; want the one of 3 tickets", n, err)
	}
	MustBook(t, e, u, ev, 2)
	AssertInvariants(t, e)
}
