package boxoffice_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Malformed types, steps, codes and requests are refused with EINVALID,
// naming the field.
func TestSellingValidation(t *testing.T) {
	now := time.Now()
	one, big := 1, 100
	ok := func() *boxoffice.TicketType {
		return &boxoffice.TicketType{Name: "GA", PriceCents: 1000, TotalTickets: 100}
	}
	for name, tc := range map[string]struct {
		mod   func(tt *boxoffice.TicketType)
		field string
	}{
		"no name":             {func(tt *boxoffice.TicketType) { tt.Name = " " }, "ticketTypes.name"},
		"no tickets":          {func(tt *boxoffice.TicketType) { tt.TotalTickets = 0 }, "ticketTypes.totalTickets"},
		"11 per booking":      {func(tt *boxoffice.TicketType) { tt.MaxPerBooking = 11 }, "ticketTypes.maxPerBooking"},
		"window inside out":   {func(tt *boxoffice.TicketType) { a, b := now, now.Add(-time.Hour); tt.SalesStart, tt.SalesEnd = &a, &b }, "ticketTypes.salesEnd"},
		"step with both":      {func(tt *boxoffice.TicketType) { tt.PriceSteps = []boxoffice.PriceStep{{SoldAtLeast: &one, From: &now}} }, "ticketTypes.priceSteps"},
		"step with neither":   {func(tt *boxoffice.TicketType) { tt.PriceSteps = []boxoffice.PriceStep{{PriceCents: 5}} }, "ticketTypes.priceSteps"},
		"step past the stock": {func(tt *boxoffice.TicketType) { tt.PriceSteps = []boxoffice.PriceStep{{SoldAtLeast: &big}} }, "ticketTypes.priceSteps.soldAtLeast"},
	} {
		tt := ok()
		tc.mod(tt)
		if err := (&boxoffice.Event{}).SetTicketTypes([]*boxoffice.TicketType{tt}); boxoffice.ErrorField(err) != tc.field {
			t.Errorf("%s: %v, want field %s", name, err, tc.field)
		}
	}
	twice := []*boxoffice.TicketType{ok(), ok()}
	if err := (&boxoffice.Event{}).SetTicketTypes(twice); boxoffice.ErrorField(err) != "ticketTypes.name" {
		t.Errorf("two types of one name: %v", err)
	}
	if err := (&boxoffice.Event{}).SetTicketTypes(nil); boxoffice.ErrorField(err) != "ticketTypes" {
		t.Errorf("no types: %v", err)
	}
	pct, zero := 101, int64(0)
	for name, p := range map[string]*boxoffice.PromoCode{
		"short":       {Code: "ab", PercentOff: &one},
		"spaces":      {Code: "TWO WORDS", PercentOff: &one},
		"both":        {Code: "BOTH", PercentOff: &one, AmountOffCents: &big64},
		"neither":     {Code: "NONE"},
		"101 percent": {Code: "MANY", PercentOff: &pct},
		"zero amount": {Code: "ZERO", AmountOffCents: &zero},
	} {
		if err := p.Validate(); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("promo code %s: %v", name, err)
		}
	}
	id := boxoffice.NewID()
	for name, tc := range map[string]struct {
		r  boxoffice.BookingRequest
		ok bool
	}{
		"11 tickets":            {boxoffice.BookingRequest{UserID: id, EventID: id, Tickets: 11}, false},
		"bulk of 10,000":        {boxoffice.BookingRequest{UserID: id, EventID: id, Tickets: 10_000, Bulk: true}, true},
		"bulk of 10,001":        {boxoffice.BookingRequest{UserID: id, EventID: id, Tickets: 10_001, Bulk: true}, false},
		"more names than seats": {boxoffice.BookingRequest{UserID: id, EventID: id, Tickets: 1, AttendeeNames: []string{"a", "b"}}, false},
		"bad type id":           {boxoffice.BookingRequest{UserID: id, EventID: id, Tickets: 1, TicketTypeID: "x"}, false},
		"NUL in a code":         {boxoffice.BookingRequest{UserID: id, EventID: id, Tickets: 1, PromoCode: "A\x00"}, false},
	} {
		if err := tc.r.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
}

var big64 = int64(500)
