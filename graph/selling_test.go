package graph_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Selling over the API, on both engines: an organizer creates an event
// with two ticket types, one with an early-bird step, and a promo code; a
// buyer books with the code and sees the discounted total; the price moves
// once the early birds are gone; a bulk booking books many at once; who
// may do what.
func TestSellingOverTheAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		olga := s.newAccount(t, "olga", boxoffice.RoleOrganizer)
		ann := s.signUp(t, "ann")
		type typeOut struct {
			ID               string  `json:"id"`
			Name             string  `json:"name"`
			Price            float64 `json:"price"`
			TotalTickets     int     `json:"totalTickets"`
			AvailableTickets int     `json:"availableTickets"`
			MaxPerBooking    int     `json:"maxPerBooking"`
		}
		var created struct {
			CreateEvent struct {
				ID               string    `json:"id"`
				TotalTickets     int       `json:"totalTickets"`
				AvailableTickets int       `json:"availableTickets"`
				Price            float64   `json:"price"`
				TicketTypes      []typeOut `json:"ticketTypes"`
			}
		}
		s.as(olga.Token).data(t, `mutation($in: CreateEventInput!) { createEvent(input: $in) {
				id totalTickets availableTickets price ticketTypes { id name price totalTickets availableTickets maxPerBooking } } }`,
			map[string]any{"in": map[string]any{
				"title": "Festival", "location": "Field", "date": time.Now().Add(72 * time.Hour).Format(time.RFC3339),
				"ticketTypes": []any{
					map[string]any{"name": "Standing", "price": 20, "totalTickets": 100, "maxPerBooking": 6,
						"priceSteps": []any{map[string]any{"soldAtLeast": 3, "price": 30}}},
					map[string]any{"name": "Seated", "price": 45.5, "totalTickets": 50},
				},
			}}, &created)
		ev := created.CreateEvent
		if ev.TotalTickets != 150 || ev.AvailableTickets != 150 || ev.Price != 20 || len(ev.TicketTypes) != 2 ||
			ev.TicketTypes[0].Name != "Standing" || ev.TicketTypes[0].Price != 20 || ev.TicketTypes[1].MaxPerBooking != 10 {
			t.Fatalf("event with types: %+v", ev)
		}
		standing := ev.TicketTypes[0].ID

		var promo struct {
			CreatePromoCode struct {
				Code       string `json:"code"`
				PercentOff *int   `json:"percentOff"`
				MaxUses    *int   `json:"maxUses"`
				Uses       int    `json:"uses"`
			}
		}
		const promoMutation = `mutation($in: CreatePromoCodeInput!) { createPromoCode(input: $in) { code percentOff maxUses uses } }`
		s.as(olga.Token).data(t, promoMutation, map[string]any{"in": map[string]any{"eventId": ev.ID, "code": "early10", "percentOff": 10, "maxUses": 1}}, &promo)
		if p := promo.CreatePromoCode; p.Code != "EARLY10" || *p.PercentOff != 10 || *p.MaxUses != 1 || p.Uses != 0 {
			t.Fatalf("promo code: %+v", p)
		}
		s.as(ann.Token).fails(t, promoMutation, map[string]any{"in": map[string]any{"eventId": ev.ID, "code": "MINE", "amountOff": 5}}, "FORBIDDEN", "")
		s.as(olga.Token).fails(t, promoMutation, map[string]any{"in": map[string]any{"eventId": ev.ID, "code": "EARLY10", "amountOff": 5}}, "CONFLICT", "")

		type bookingOut struct {
			UnitPrice  float64 `json:"unitPrice"`
			Total      float64 `json:"total"`
			Discount   float64 `json:"discount"`
			TicketType *struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"ticketType"`
		}
		book := func(input map[string]any) bookingOut {
			t.Helper()
			var out struct{ CreateBooking bookingOut }
			input["eventId"] = ev.ID
			s.as(ann.Token).data(t, `mutation($in: CreateBookingInput!, $u: ID!) { createBooking(input: $in, userId: $u) {
					unitPrice total discount ticketType { id name } } }`, map[string]any{"in": input, "u": ann.ID}, &out)
			return out.CreateBooking
		}
		b := book(map[string]any{"numberOfTickets": 2, "ticketTypeId": standing, "promoCode": "Early10"})
		if b.UnitPrice != 20 || b.Discount != 4 || b.Total != 36 || b.TicketType == nil || b.TicketType.Name != "Standing" {
			t.Errorf("booking with the code: %+v", b)
		}
		bookingMutation := `mutation($in: CreateBookingInput!, $u: ID!) { createBooking(input: $in, userId: $u) { id } }`
		// The code is used up; without a type, and with too many, it is refused.
		s.as(ann.Token).fails(t, bookingMutation, map[string]any{"u": ann.ID, "in": map[string]any{"eventId": ev.ID, "numberOfTickets": 1,
			"ticketTypeId": standing, "promoCode": "EARLY10"}}, "CONFLICT", "")
		s.as(ann.Token).fails(t, bookingMutation, map[string]any{"u": ann.ID, "in": map[string]any{"eventId": ev.ID, "numberOfTickets": 1}},
			"BAD_USER_INPUT", "ticketTypeId")
		s.as(ann.Token).fails(t, bookingMutation, map[string]any{"u": ann.ID, "in": map[string]any{"eventId": ev.ID, "numberOfTickets": 7,
			"ticketTypeId": standing}}, "BAD_USER_INPUT", "numberOfTickets")
		if b := book(map[string]any{"numberOfTickets": 1, "ticketTypeId": standing}); b.UnitPrice != 20 || b.Total != 20 {
			t.Errorf("the last early bird: %+v", b)
		}
		if b := book(map[string]any{"numberOfTickets": 1, "ticketTypeId": standing}); b.UnitPrice != 30 || b.Total != 30 {
			t.Errorf("after the step: %+v", b)
		}

		var bulk struct {
			CreateBulkBooking struct {
				NumberOfTickets int     `json:"numberOfTickets"`
				Status          string  `json:"status"`
				Total           float64 `json:"total"`
				Tickets         []struct {
					AttendeeName *string `json:"attendeeName"`
				} `json:"tickets"`
			}
		}
		const bulkMutation = `mutation($u: ID!, $in: BulkBookingInput!) { createBulkBooking(userId: $u, input: $in) {
			numberOfTickets status total tickets { attendeeName } } }`
		s.as(olga.Token).data(t, bulkMutation, map[string]any{"u": ann.ID, "in": map[string]any{"eventId": ev.ID,
			"ticketTypeId": ev.TicketTypes[1].ID, "numberOfTickets": 40, "attendeeNames": []string{"Ann", "Bob"}}}, &bulk)
		if bb := bulk.CreateBulkBooking; bb.NumberOfTickets != 40 || bb.Status != "CONFIRMED" || bb.Total != 40*45.5 || len(bb.Tickets) != 40 ||
			*bb.Tickets[0].AttendeeName != "Ann" {
			t.Errorf("bulk booking: %+v", bb)
		}
		s.as(ann.Token).fails(t, bulkMutation, map[string]any{"u": ann.ID, "in": map[string]any{"eventId": ev.ID,
			"ticketTypeId": ev.TicketTypes[1].ID, "numberOfTickets": 5}}, "FORBIDDEN", "")

		var read struct {
			Event struct {
				AvailableTickets int       `json:"availableTickets"`
				TicketTypes      []typeOut `json:"ticketTypes"`
			}
			PromoCodes []struct {
				Uses int `json:"uses"`
			} `json:"promoCodes"`
		}
		s.as(olga.Token).data(t, `query($e: ID!) { event(id: $e) { availableTickets ticketTypes { id name price availableTickets } } promoCodes(eventId: $e) { uses } }`,
			map[string]any{"e": ev.ID}, &read)
		if e := read.Event; e.AvailableTickets != 150-4-40 || e.TicketTypes[0].AvailableTickets != 96 || e.TicketTypes[0].Price != 30 ||
			e.TicketTypes[1].AvailableTickets != 10 || len(read.PromoCodes) != 1 || read.PromoCodes[0].Uses != 1 {
			t.Errorf("event read back: %+v, codes %+v", e, read.PromoCodes)
		}
		s.as(ann.Token).fails(t, `query($e: ID!) { promoCodes(eventId: $e) { uses } }`, map[string]any{"e": ev.ID}, "FORBIDDEN", "")
		// Its total and price are its types'.
		s.as(olga.Token).fails(t, `mutation($e: ID!) { updateEvent(id: $e, input: {totalTickets: 500, version: 1}) { id } }`,
			map[string]any{"e": ev.ID}, "BAD_USER_INPUT", "totalTickets")
	})
}
