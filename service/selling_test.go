package service_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// typedShop is an organizer's event with ticket types, and buyers, on one
// engine, with bookings confirmed at once and no rate limits.
type typedShop struct {
	store  testdb.Engine
	svc    *service.Services
	org    *boxoffice.User
	orgCtx context.Context
	ev     *boxoffice.Event
	buyers []*boxoffice.User
}

func newTypedShop(t *testing.T, engine string, buyers int, types ...*boxoffice.TicketType) *typedShop {
	t.Helper()
	store := testdb.Migrated(t, engine)
	svc := service.New(store, service.Options{Limits: &service.Limits{}})
	t.Cleanup(svc.Close)
	sh := &typedShop{store: store, svc: svc}
	sh.org = storetest.MustCreateUserWithRole(t, store, "olga", boxoffice.RoleOrganizer)
	sh.orgCtx = as(t.Context(), sh.org)
	sh.ev = &boxoffice.Event{Title: "Festival", Date: time.Now().Add(24 * time.Hour), Location: "Field", TicketTypes: types}
	if err := svc.Events.CreateEvent(sh.orgCtx, sh.ev); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	for i := range buyers {
		sh.buyers = append(sh.buyers, storetest.MustCreateUser(t, store, fmt.Sprintf("buyer%03d", i)))
	}
	return sh
}

// book books for buyer i, as them.
func (sh *typedShop) book(ctx context.Context, i int, req boxoffice.BookingRequest) (*boxoffice.Booking, error) {
	u := sh.buyers[i%len(sh.buyers)]
	req.UserID, req.EventID = u.ID, sh.ev.ID
	return sh.svc.Bookings.CreateBooking(as(ctx, u), req)
}

// eventBookings reads the event's bookings in the order they were decided:
// by creation time, then by id (time-ordered UUIDs, made in plan order).
func eventBookings(t *testing.T, s boxoffice.Store, eventID string) []*boxoffice.Booking {
	t.Helper()
	var all []*boxoffice.Booking
	for page := 1; ; page++ {
		p, _ := boxoffice.NewPage(&page, nil)
		bs, total, err := s.Bookings().Find(t.Context(), boxoffice.BookingFilter{EventID: eventID, Page: p})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, bs...)
		if len(all) >= total || len(bs) == 0 {
			break
		}
	}
	slices.SortFunc(all, func(a, b *boxoffice.Booking) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return all
}

// TestPriceStepRace: 200 buyers race for an early-bird type whose price
// rises once 100 are sold. Every booking pays the price at its own place
// in the order the bookings were decided, batches crossing the step
// included; the revenue is the sum of the bookings' totals; nothing is
// oversold.
func TestPriceStepRace(t *testing.T) {
	const buyers = 200
	testdb.Each(t, func(t *testing.T, engine string) {
		step := 100
		early := &boxoffice.TicketType{Name: "Early bird", PriceCents: 1000, TotalTickets: 250,
			PriceSteps: []boxoffice.PriceStep{{SoldAtLeast: &step, PriceCents: 1500}}}
		sh := newTypedShop(t, engine, 20, early, &boxoffice.TicketType{Name: "VIP", PriceCents: 9000, TotalTickets: 10})
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		var paid, soldOut atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range buyers {
			wg.Go(func() {
				<-start
				b, err := sh.book(ctx, i, boxoffice.BookingRequest{TicketTypeID: early.ID, Tickets: 1 + i%2})
				switch {
				case err == nil:
					paid.Add(b.TotalCents)
				case boxoffice.ErrorCode(err) == boxoffice.ESOLDOUT:
					soldOut.Add(1)
				default:
					t.Errorf("buyer %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()

		sold, revenue, crossed := 0, int64(0), false
		for _, b := range eventBookings(t, sh.store, sh.ev.ID) {
			want := int64(1000)
			if sold >= step {
				want = 1500
			}
			crossed = crossed || sold < step && sold+b.NumberOfTickets > step
			if b.UnitPriceCents != want || b.TotalCents != want*int64(b.NumberOfTickets) || b.TicketTypeID != early.ID {
				t.Errorf("booking with %d sold before it: unit %d total %d, want unit %d", sold, b.UnitPriceCents, b.TotalCents, want)
			}
			sold += b.NumberOfTickets
			revenue += b.TotalCents
		}
		if sold != 250 || revenue != paid.Load() || soldOut.Load() == 0 {
			t.Errorf("%d sold for %d cents, buyers paid %d, %d sold out", sold, revenue, paid.Load(), soldOut.Load())
		}
		t.Logf("%s: %d sold for %d cents; a booking straddled the step: %v", engine, sold, revenue, crossed)
		storetest.AssertInvariants(t, sh.store)
	})
}

// TestPromoCodeRace: 100 buyers race for a code with 10 uses: exactly 10
// get the discount, the others CONFLICT and no booking.
func TestPromoCodeRace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		ga := &boxoffice.TicketType{Name: "GA", PriceCents: 2000, TotalTickets: 1000}
		sh := newTypedShop(t, engine, 25, ga)
		ten, pct := 10, 25
		code := &boxoffice.PromoCode{EventID: sh.ev.ID, Code: "friends", PercentOff: &pct, MaxUses: &ten}
		if err := sh.svc.Events.CreatePromoCode(sh.orgCtx, code); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 100 {
			wg.Go(func() {
				<-start
				b, err := sh.book(ctx, i, boxoffice.BookingRequest{TicketTypeID: ga.ID, Tickets: 2, PromoCode: "Friends"})
				switch {
				case err == nil && b.DiscountCents == 1000 && b.TotalCents == 3000:
					ok.Add(1)
				case boxoffice.ErrorCode(err) == boxoffice.ECONFLICT:
					refused.Add(1)
				default:
					t.Errorf("buyer %d: %+v, %v", i, b, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok.Load() != 10 || refused.Load() != 90 {
			t.Errorf("%d discounts, %d refused; want 10 and 90", ok.Load(), refused.Load())
		}
		if n := len(eventBookings(t, sh.store, sh.ev.ID)); n != 10 {
			t.Errorf("%d bookings, want 10", n)
		}
		codes, err := sh.svc.Events.FindPromoCodes(sh.orgCtx, sh.ev.ID)
		if err != nil || len(codes) != 1 || codes[0].Uses != 10 || codes[0].Code != "FRIENDS" {
			t.Errorf("codes: %+v, %v", codes, err)
		}
		// Only the organizer and admins manage codes; a buyer is refused.
		_, err = sh.svc.Events.FindPromoCodes(as(ctx, sh.buyers[0]), sh.ev.ID)
		if boxoffice.ErrorCode(err) != boxoffice.EFORBIDDEN {
			t.Errorf("a buyer lists the codes: %v", err)
		}
		storetest.AssertInvariants(t, sh.store)
	})
}

// TestBulkBookingAlongsideBuyers: a bulk booking of 10,000 tickets while
// 64 buyers book the same event: it succeeds, sold equals the sum of the
// bookings, nothing is oversold. It logs the bulk booking's time and the
// buyers' p99 with and without it (no timing assertions).
func TestBulkBookingAlongsideBuyers(t *testing.T) {
	const buyers, each = 64, 15
	testdb.Each(t, func(t *testing.T, engine string) {
		ga := &boxoffice.TicketType{Name: "GA", PriceCents: 3000, TotalTickets: 12_000}
		sh := newTypedShop(t, engine, buyers, ga)
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		defer cancel()

		// run has the buyers book each ticket `each` times, while during
		// runs; it returns their latencies.
		run := func(during func()) []time.Duration {
			var mu sync.Mutex
			var lat []time.Duration
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range buyers {
				wg.Go(func() {
					<-start
					for range each {
						t0 := time.Now()
						_, err := sh.book(ctx, i, boxoffice.BookingRequest{TicketTypeID: ga.ID, Tickets: 1})
						d := time.Since(t0)
						if err != nil {
							t.Errorf("buyer %d: %v", i, err)
						}
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				})
			}
			if during != nil {
				wg.Go(func() { <-start; during() })
			}
			close(start)
			wg.Wait()
			return lat
		}

		baseline := run(nil)
		names := make([]string, 10_000)
		for i := range names {
			names[i] = fmt.Sprintf("Guest %05d", i+1)
		}
		var bulkTime time.Duration
		var bulk *boxoffice.Booking
		withBulk := run(func() {
			time.Sleep(5 * time.Millisecond) // the buyers are at it
			t0 := time.Now()
			var err error
			bulk, err = sh.svc.Bookings.CreateBulkBooking(sh.orgCtx, boxoffice.BookingRequest{UserID: sh.buyers[0].ID, EventID: sh.ev.ID,
				TicketTypeID: ga.ID, Tickets: 10_000, AttendeeNames: names})
			bulkTime = time.Since(t0)
			if err != nil {
				t.Errorf("bulk booking: %v", err)
			}
		})
		if bulk == nil {
			t.FailNow()
		}
		if bulk.Status != boxoffice.BookingConfirmed || bulk.NumberOfTickets != 10_000 || bulk.TotalCents != 30_000_000 {
			t.Errorf("bulk booking: %+v", bulk)
		}
		// The rest, and one more than the rest.
		ev := storetest.MustFindEvent(t, sh.store, sh.ev.ID)
		left := ev.AvailableTickets
		_, err := sh.svc.Bookings.CreateBulkBooking(sh.orgCtx, boxoffice.BookingRequest{UserID: sh.buyers[1].ID, EventID: sh.ev.ID,
			TicketTypeID: ga.ID, Tickets: left + 1})
		if boxoffice.ErrorCode(err) != boxoffice.ESOLDOUT {
			t.Errorf("one more than the %d left: %v", left, err)
		}
		if _, err := sh.svc.Bookings.CreateBulkBooking(sh.orgCtx, boxoffice.BookingRequest{UserID: sh.buyers[1].ID, EventID: sh.ev.ID,
			TicketTypeID: ga.ID, Tickets: left}); err != nil {
			t.Errorf("the %d left: %v", left, err)
		}
		// A buyer may not book in bulk.
		_, err = sh.svc.Bookings.CreateBulkBooking(as(ctx, sh.buyers[2]), boxoffice.BookingRequest{UserID: sh.buyers[2].ID, EventID: sh.ev.ID,
			TicketTypeID: ga.ID, Tickets: 20})
		if boxoffice.ErrorCode(err) != boxoffice.EFORBIDDEN {
			t.Errorf("a buyer's bulk booking: %v", err)
		}

		sold := 0
		for _, b := range eventBookings(t, sh.store, sh.ev.ID) {
			sold += b.NumberOfTickets
		}
		if sold != 12_000 || left != 12_000-10_000-2*buyers*each {
			t.Errorf("sold %d of 12000 (%d left after the bulk booking)", sold, left)
		}
		storetest.WantAvailable(t, sh.store, sh.ev.ID, 0)
		storetest.AssertInvariants(t, sh.store)
		t.Logf("%s: bulk booking of 10,000 tickets: %v; %d buyers' p99: %v alone, %v alongside it (p50 %v, %v)", engine,
			bulkTime.Round(time.Millisecond), buyers, pct(baseline, 99), pct(withBulk, 99), pct(baseline, 50), pct(withBulk, 50))
	})
}

// pct is the p-th percentile of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(100 * time.Microsecond)
}

// TestOrganizerManagesTicketTypes: after the event is made, its organizer
// adds a type and changes another, while buyers hold tickets of it; the
// event's totals and price follow, a type cannot shrink below what it
// sold, and nobody else may change them.
func TestOrganizerManagesTicketTypes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		sh := newTypedShop(t, engine, 2, &boxoffice.TicketType{Name: "Standing", PriceCents: 4000, TotalTickets: 10})
		ctx := t.Context()
		standing := sh.ev.TicketTypes[0]
		if _, err := sh.book(ctx, 0, boxoffice.BookingRequest{Tickets: 4, TicketTypeID: standing.ID}); err != nil {
			t.Fatal(err)
		}
		vip, err := sh.svc.Events.AddTicketType(sh.orgCtx, sh.ev.ID, &boxoffice.TicketType{Name: "VIP", PriceCents: 9000, TotalTickets: 5})
		if err != nil || vip.AvailableTickets != 5 || vip.Position != 1 {
			t.Fatalf("AddTicketType: %+v, %v", vip, err)
		}
		if _, err := sh.book(ctx, 1, boxoffice.BookingRequest{Tickets: 2, TicketTypeID: vip.ID}); err != nil {
			t.Fatalf("booking the new type: %v", err)
		}
		ev := storetest.MustFindEvent(t, sh.store, sh.ev.ID)
		if ev.TotalTickets != 15 || ev.AvailableTickets != 9 || ev.PriceCents != 4000 {
			t.Errorf("event after adding VIP: %d of %d left at %d; want 9 of 15 from 4000", ev.AvailableTickets, ev.TotalTickets, ev.PriceCents)
		}

		// Standing shrinks to 6 (4 sold) and gets cheaper; not below 4.
		_, err = sh.svc.Events.UpdateTicketType(sh.orgCtx, standing.ID, &boxoffice.TicketType{Name: "Standing", PriceCents: 3500, TotalTickets: 3})
		storetest.WantCode(t, err, boxoffice.ECONFLICT)
		got, err := sh.svc.Events.UpdateTicketType(sh.orgCtx, standing.ID, &boxoffice.TicketType{Name: "Standing", PriceCents: 3500, TotalTickets: 6, MaxPerBooking: 2})
		if err != nil || got.TotalTickets != 6 || got.AvailableTickets != 2 || got.MaxPerBooking != 2 || got.ID != standing.ID {
			t.Fatalf("UpdateTicketType: %+v, %v; want 2 of 6 left, at most 2 a booking", got, err)
		}
		ev = storetest.MustFindEvent(t, sh.store, sh.ev.ID)
		if ev.TotalTickets != 11 || ev.AvailableTickets != 5 || ev.PriceCents != 3500 {
			t.Errorf("event after the change: %d of %d left at %d; want 5 of 11 from 3500", ev.AvailableTickets, ev.TotalTickets, ev.PriceCents)
		}
		_, err = sh.book(ctx, 0, boxoffice.BookingRequest{Tickets: 3, TicketTypeID: standing.ID})
		storetest.WantCode(t, err, boxoffice.EINVALID) // over the new maximum a booking
		_, err = sh.svc.Events.UpdateTicketType(sh.orgCtx, vip.ID, &boxoffice.TicketType{Name: "standing", PriceCents: 1, TotalTickets: 5})
		storetest.WantCode(t, err, boxoffice.EINVALID) // a name taken
		other := storetest.MustCreateUserWithRole(t, sh.store, "oscar", boxoffice.RoleOrganizer)
		_, err = sh.svc.Events.AddTicketType(as(ctx, other), sh.ev.ID, &boxoffice.TicketType{Name: "Mine", PriceCents: 1, TotalTickets: 1})
		storetest.WantCode(t, err, boxoffice.EFORBIDDEN)
		_, err = sh.svc.Events.UpdateTicketType(sh.orgCtx, boxoffice.NewID(), &boxoffice.TicketType{Name: "X", PriceCents: 1, TotalTickets: 1})
		storetest.WantCode(t, err, boxoffice.ENOTFOUND)
		plain := storetest.MustCreateOrganizedEvent(t, sh.store, sh.org, 10, time.Hour)
		_, err = sh.svc.Events.AddTicketType(sh.orgCtx, plain.ID, &boxoffice.TicketType{Name: "X", PriceCents: 1, TotalTickets: 1})
		storetest.WantCode(t, err, boxoffice.ECONFLICT)
		storetest.AssertInvariants(t, sh.store)
	})
}
