package boxoffice_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func TestPlanBookingsDecidesEachRequestAlone(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	hot, past, gone := boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID()
	alice, ghost := boxoffice.NewID(), boxoffice.NewID()
	stock := map[string]*boxoffice.Event{
		hot:  {ID: hot, Title: "Hot", AvailableTickets: 5, TotalTickets: 5, Date: now.Add(time.Hour)},
		past: {ID: past, AvailableTickets: 5, TotalTickets: 5, Date: now.Add(-time.Hour)},
	}
	users := map[string]*boxoffice.User{alice: {ID: alice, Username: "alice"}}
	reqs := []boxoffice.BookingRequest{
		{UserID: alice, EventID: hot, Tickets: 3},  // ok, 2 left
		{UserID: alice, EventID: hot, Tickets: 3},  // only 2 left
		{UserID: ghost, EventID: hot, Tickets: 1},  // unknown user
		{UserID: alice, EventID: gone, Tickets: 1}, // unknown event
		{UserID: alice, EventID: past, Tickets: 1}, // started
		{UserID: alice, EventID: hot, Tickets: 2},  // ok, 0 left
		{UserID: alice, EventID: hot, Tickets: 1},  // sold out
	}
	plan := boxoffice.PlanBookings(reqs, boxoffice.Stock{Events: stock, Users: users}, boxoffice.BookingTerms{}, now)
	want := []struct {
		code      string
		remaining int
	}{{"", 2}, {boxoffice.ESOLDOUT, 2}, {boxoffice.ENOTFOUND, 2}, {boxoffice.ENOTFOUND, 0}, {boxoffice.ECONFLICT, 5}, {"", 0}, {boxoffice.ESOLDOUT, 0}}
	for i, w := range want {
		r := plan.Results[i]
		if got := boxoffice.ErrorCode(r.Err); got != w.code || r.Remaining != w.remaining {
			t.Errorf("request %d: code %q remaining %d, want %q and %d", i, got, r.Remaining, w.code, w.remaining)
		}
		if (r.Booking != nil) != (w.code == "") {
			t.Errorf("request %d: booking %v with code %q", i, r.Booking, w.code)
		}
	}
	if len(plan.Bookings) != 2 || plan.Taken[hot] != 5 || len(plan.Taken) != 1 {
		t.Fatalf("plan writes %d bookings, takes %v; want 2 bookings and 5 tickets of one event", len(plan.Bookings), plan.Taken)
	}
	if b := plan.Bookings[0]; b.Status != boxoffice.BookingConfirmed || !b.CreatedAt.Equal(now) || !boxoffice.ValidID(b.ID) {
		t.Fatalf("booking fields: %+v", b)
	}
	// Each confirmation shows its event as of its own commit, and its buyer.
	first, second := plan.Bookings[0], plan.Bookings[1]
	if first.Event.AvailableTickets != 2 || second.Event.AvailableTickets != 0 || first.Event.Title != "Hot" || first.User.Username != "alice" {
		t.Fatalf("snapshots: first sees %d left, second %d; user %v", first.Event.AvailableTickets, second.Event.AvailableTickets, first.User)
	}
	if stock[hot].AvailableTickets != 0 {
		t.Fatalf("the plan must take the tickets from the locked event: %d left", stock[hot].AvailableTickets)
	}
}

// Under terms with a hold, a booking that costs something is PENDING until
// paid, with a payment to make; a free one is confirmed at once. Each keeps
// its event's price as planned.
func TestPlanBookingsHoldsWhatCostsSomething(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	priced, free, alice := boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID()
	stock := map[string]*boxoffice.Event{
		priced: {ID: priced, AvailableTickets: 5, TotalTickets: 5, PriceCents: 2550, Currency: "CHF", Date: now.Add(time.Hour)},
		free:   {ID: free, AvailableTickets: 5, TotalTickets: 5, Date: now.Add(time.Hour)},
	}
	users := map[string]*boxoffice.User{alice: {ID: alice}}
	reqs := []boxoffice.BookingRequest{{UserID: alice, EventID: priced, Tickets: 2, IdempotencyKey: "k1"}, {UserID: alice, EventID: free, Tickets: 1}}
	terms := boxoffice.BookingTerms{Hold: 15 * time.Minute, Provider: "test"}
	plan := boxoffice.PlanBookings(reqs, boxoffice.Stock{Events: stock, Users: users}, terms, now)

	held, given := plan.Results[0].Booking, plan.Results[1].Booking
	if held.Status != boxoffice.BookingPending || held.ExpiresAt == nil || !held.ExpiresAt.Equal(now.Add(15*time.Minute)) ||
		held.UnitPriceCents != 2550 || held.TotalCents != 5100 || held.Currency != "CHF" || held.IdempotencyKey != "k1" {
		t.Errorf("held booking: %+v", held)
	}
	if p := held.Payment; p == nil || p.Status != boxoffice.PaymentRequired || p.AmountCents != 5100 || p.Currency != "CHF" ||
		p.Provider != "test" || p.BookingID != held.ID || len(plan.Payments) != 1 || plan.Payments[0] != p {
		t.Errorf("its payment: %+v (plan: %d payments)", p, len(plan.Payments))
	}
	if given.Status != boxoffice.BookingConfirmed || given.ExpiresAt != nil || given.Payment != nil || given.TotalCents != 0 {
		t.Errorf("free booking: %+v", given)
	}
	if plan.Taken[priced] != 2 || plan.Taken[free] != 1 {
		t.Errorf("a hold takes its tickets as a confirmation does: %v", plan.Taken)
	}
	// Without a hold, everything is confirmed at once.
	stock[priced].AvailableTickets = 5
	again := boxoffice.PlanBookings(reqs[:1], boxoffice.Stock{Events: stock, Users: users}, boxoffice.BookingTerms{}, now)
	if b := again.Results[0].Booking; b.Status != boxoffice.BookingConfirmed || b.Payment != nil || b.TotalCents != 5100 {
		t.Errorf("without terms: %+v", b)
	}
}

func TestPageBounds(t *testing.T) {
	ptr := func(n int) *int { return &n }
	if p, err := boxoffice.NewPage(nil, nil); err != nil || p.Page != 1 || p.Limit != 10 || p.Offset() != 0 {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	if p, err := boxoffice.NewPage(ptr(3), ptr(100)); err != nil || p.Offset() != 200 {
		t.Fatalf("page 3 of 100: %+v %v", p, err)
	}
	for _, tc := range []struct {
		page, limit *int
		field       string
	}{{ptr(0), nil, "page"}, {ptr(-1), nil, "page"}, {nil, ptr(0), "limit"}, {nil, ptr(101), "limit"}} {
		_, err := boxoffice.NewPage(tc.page, tc.limit)
		if boxoffice.ErrorCode(err) != boxoffice.EINVALID || boxoffice.ErrorField(err) != tc.field {
			t.Errorf("page %v limit %v: %v, want EINVALID on %s", tc.page, tc.limit, err, tc.field)
		}
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	if boxoffice.ErrorCode(nil) != "" {
		t.Fatal("nil has a code")
	}
	coded := boxoffice.Errorf(boxoffice.ESOLDOUT, "only %d tickets left", 2)
	wrapped := &wrapErr{coded}
	if boxoffice.ErrorCode(wrapped) != boxoffice.ESOLDOUT || boxoffice.ErrorMessage(wrapped) != "only 2 tickets left" {
		t.Fatalf("wrapped coded error lost: %v", wrapped)
	}
	plain := &wrapErr{nil}
	if boxoffice.ErrorCode(plain) != boxoffice.EINTERNAL || boxoffice.ErrorMessage(plain) != "internal error" {
		t.Fatal("an uncoded error must be internal and hide its text")
	}
}

type wrapErr struct{ inner error }

func (w *wrapErr) Error() string { return "driver said: SELECT secret" }
func (w *wrapErr) Unwrap() error { return w.inner }

func TestValidation(t *testing.T) {
	u := &boxoffice.User{Username: "  ann ", Email: " Ann@Example.COM "}
	if err := u.Validate(); err != nil || u.Email != "ann@example.com" || u.Username != "ann" {
		t.Fatalf("user normalisation: %+v %v", u, err)
	}
	for _, bad := range []boxoffice.User{{Username: "a", Email: "a@b.c"}, {Username: "ann", Email: "not-an-email"}, {Username: "ann", Email: "Ann <a@b.c>"}} {
		if err := bad.Validate(); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("%+v accepted", bad)
		}
	}
	req := boxoffice.BookingRequest{UserID: boxoffice.NewID(), EventID: boxoffice.NewID(), Tickets: 11}
	if err := req.Validate(); boxoffice.ErrorField(err) != "numberOfTickets" {
		t.Errorf("11 tickets: %v", err)
	}
	req.Tickets, req.UserID = 1, "user-uuid"
	if err := req.Validate(); boxoffice.ErrorField(err) != "userId" {
		t.Errorf("bad user id: %v", err)
	}
}

// A batch that crosses a price step charges each booking the price at its
// own place; a promo code with one use left gives it to the first request
// alone; types never oversell; bulk bookings skip the sales window and are
// confirmed at once.
func TestPlanBookingsSellsTicketTypes(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	ev := &boxoffice.Event{ID: boxoffice.NewID(), Date: now.Add(24 * time.Hour), Currency: "EUR"}
	three, later := 3, now.Add(time.Hour)
	early := &boxoffice.TicketType{ID: boxoffice.NewID(), Name: "Early", PriceCents: 1000, TotalTickets: 5, MaxPerBooking: 4,
		PriceSteps: []boxoffice.PriceStep{{SoldAtLeast: &three, PriceCents: 1500}}}
	vip := &boxoffice.TicketType{ID: boxoffice.NewID(), Name: "VIP", PriceCents: 5000, TotalTickets: 3, MaxPerBooking: 10, SalesStart: &later}
	if err := ev.SetTicketTypes([]*boxoffice.TicketType{early, vip}); err != nil {
		t.Fatal(err)
	}
	if ev.TotalTickets != 8 || ev.AvailableTickets != 8 || ev.PriceCents != 1000 || early.EventID != ev.ID {
		t.Fatalf("event totals from its types: %+v", ev)
	}
	alice := boxoffice.NewID()
	one := 1
	promo := &boxoffice.PromoCode{ID: boxoffice.NewID(), EventID: ev.ID, Code: "HALF", PercentOff: new(int), MaxUses: &one}
	*promo.PercentOff = 50
	stock := boxoffice.Stock{
		Events: map[string]*boxoffice.Event{ev.ID: ev},
		Users:  map[string]*boxoffice.User{alice: {ID: alice}},
		Types:  map[string]*boxoffice.TicketType{early.ID: early, vip.ID: vip},
		Promos: map[boxoffice.PromoKey]*boxoffice.PromoCode{{EventID: ev.ID, Code: "HALF"}: promo},
	}
	reqs := []boxoffice.BookingRequest{
		{UserID: alice, EventID: ev.ID, TicketTypeID: early.ID, Tickets: 2, PromoCode: " half"}, // 10.00, half off: 10.00
		{UserID: alice, EventID: ev.ID, TicketTypeID: early.ID, Tickets: 1, PromoCode: "HALF"},  // used up
		{UserID: alice, EventID: ev.ID, TicketTypeID: early.ID, Tickets: 1},                     // 2 sold: 10.00
		{UserID: alice, EventID: ev.ID, TicketTypeID: early.ID, Tickets: 1},                     // 3 sold: 15.00
		{UserID: alice, EventID: ev.ID, TicketTypeID: early.ID, Tickets: 2},                     // 1 left
		{UserID: alice, EventID: ev.ID, TicketTypeID: vip.ID, Tickets: 1},                       // not on sale yet
		{UserID: alice, EventID: ev.ID, TicketTypeID: vip.ID, Tickets: 3, Bulk: true},           // bulk: fine
		{UserID: alice, EventID: ev.ID, Tickets: 1},                                             // no type named
		{UserID: alice, EventID: ev.ID, TicketTypeID: early.ID, Tickets: 1, PromoCode: "NOPE"},  // unknown code
	}
	plan := boxoffice.PlanBookings(reqs, stock, boxoffice.BookingTerms{Hold: time.Minute, Provider: "test"}, now)
	want := []struct {
		code        string
		unit, total int64
	}{{"", 1000, 1000}, {boxoffice.ECONFLICT, 0, 0}, {"", 1000, 1000}, {"", 1500, 1500}, {boxoffice.ESOLDOUT, 0, 0},
		{boxoffice.ECONFLICT, 0, 0}, {"", 5000, 15000}, {boxoffice.EINVALID, 0, 0}, {boxoffice.EINVALID, 0, 0}}
	for i, w := range want {
		r := plan.Results[i]
		if got := boxoffice.ErrorCode(r.Err); got != w.code {
			t.Errorf("request %d: code %q (%v), want %q", i, got, r.Err, w.code)
			continue
		}
		if b := r.Booking; b != nil && (b.UnitPriceCents != w.unit || b.TotalCents != w.total) {
			t.Errorf("request %d: unit %d total %d, want %d and %d", i, b.UnitPriceCents, b.TotalCents, w.unit, w.total)
		}
	}
	if b := plan.Results[0].Booking; b.PromoCodeID != promo.ID || b.DiscountCents != 1000 || b.TicketTypeID != early.ID {
		t.Errorf("discounted booking: %+v", b)
	}
	if b := plan.Results[6].Booking; b.Status != boxoffice.BookingConfirmed || b.Payment != nil {
		t.Errorf("a bulk booking is confirmed at once: %+v", b)
	}
	if promo.Uses != 1 || plan.PromosUsed[promo.ID] != 1 {
		t.Errorf("promo uses %d, plan %v; want 1", promo.Uses, plan.PromosUsed)
	}
	if early.AvailableTickets != 1 || vip.AvailableTickets != 0 || ev.AvailableTickets != 1 ||
		plan.TypesTaken[early.ID] != 4 || plan.TypesTaken[vip.ID] != 3 || plan.Taken[ev.ID] != 7 {
		t.Errorf("stock left: early %d vip %d event %d; taken %v %v", early.AvailableTickets, vip.AvailableTickets, ev.AvailableTickets, plan.TypesTaken, plan.Taken)
	}
}

// A percentage rounds half up to the cent; an amount never takes more than
// the total; an expired code is refused.
func TestPromoCodeRedeem(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	pct, amount := 15, int64(5000)
	p := &boxoffice.PromoCode{Code: "P", PercentOff: &pct}
	if off, err := p.Redeem(333, 1, now); err != nil || off != 50 { // 49.95 cents -> 50
		t.Errorf("15%% of 3.33: %d %v", off, err)
	}
	a := &boxoffice.PromoCode{Code: "A", AmountOffCents: &amount}
	if off, _ := a.Redeem(1000, 2, now); off != 2000 {
		t.Errorf("50.00 off 20.00: %d", off)
	}
	past := now.Add(-time.Second)
	a.ValidUntil = &past
	if _, err := a.Redeem(1000, 1, now); boxoffice.ErrorCode(err) != boxoffice.ECONFLICT || a.Uses != 1 {
		t.Errorf("expired: %v, uses %d", err, a.Uses)
	}
}
