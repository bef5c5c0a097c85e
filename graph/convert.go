package graph

import (
	"math"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/graph/model"
)

// This file turns GraphQL inputs into domain values. It translates, and
// leaves every rule to the domain and the services.

// newPage applies the defaults and bounds of boxoffice.NewPage.
func newPage(in *model.PaginationInput) (boxoffice.Page, error) {
	if in == nil {
		return boxoffice.NewPage(nil, nil)
	}
	return boxoffice.NewPage(in.Page, in.Limit)
}

// orDefault reads an optional Int argument.
func orDefault(n *int, def int) int {
	if n == nil {
		return def
	}
	return *n
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func userFilter(in *model.UserFilterInput, page boxoffice.Page) boxoffice.UserFilter {
	f := boxoffice.UserFilter{Page: page}
	if in != nil {
		f.Email, f.Username = deref(in.Email), deref(in.Username)
	}
	return f
}

// bookingFilter maps the inclusive createdFrom..createdTo of the API onto
// the domain's half-open CreatedFrom..CreatedBefore. A plain-date createdTo
// means the whole of that day.
func bookingFilter(in *model.BookingFilterInput, page boxoffice.Page) boxoffice.BookingFilter {
	f := boxoffice.BookingFilter{Page: page}
	if in == nil {
		return f
	}
	f.UserID, f.EventID = deref(in.UserID), deref(in.EventID)
	if in.Status != nil {
		f.Status = *in.Status
	}
	if in.CreatedFrom != nil {
		from := in.CreatedFrom.Time
		f.CreatedFrom = &from
	}
	if to := in.CreatedTo; to != nil {
		// DateTime shows milliseconds, and a createdTo copied from a
		// createdAt must include that booking, stored to the microsecond:
		// "at or before t" is "before the millisecond after t's".
		before := to.Time.Truncate(time.Millisecond).Add(time.Millisecond)
		if to.DateOnly {
			before = to.Time.Add(24 * time.Hour)
		}
		// Through the end of the supported range is no bound at all, and
		// a bound past the range (createdTo: "9999-12-31") is one that no
		// store can compare with.
		if before.After(boxoffice.MaxTime) {
			return f
		}
		f.CreatedBefore = &before
	}
	return f
}

// newEvent turns the input into an event: with ticket types, its
// totals and price are theirs (boxoffice.Event.SetTicketTypes), and giving
// them as well is refused; without, both are required.
func newEvent(in model.CreateEventInput) (*boxoffice.Event, error) {
	e := &boxoffice.Event{
		Title:       in.Title,
		Description: in.Description,
		Date:        in.Date,
		Location:    in.Location,
		NoTransfers: in.TransfersAllowed != nil && !*in.TransfersAllowed,
	}
	if in.TicketTypes != nil {
		if in.TotalTickets != nil || in.Price != nil {
			return nil, boxoffice.Invalidf("ticketTypes", "with ticketTypes, leave totalTickets and price out: they are the types'")
		}
		for _, t := range in.TicketTypes {
			tt, err := newTicketType(t)
			if err != nil {
				return nil, err
			}
			e.TicketTypes = append(e.TicketTypes, tt)
		}
		if len(e.TicketTypes) == 0 {
			return nil, boxoffice.Invalidf("ticketTypes", "an event has 1 to %d ticket types", boxoffice.MaxTicketTypes)
		}
		return e, nil
	}
	if in.TotalTickets == nil {
		return nil, boxoffice.Invalidf("totalTickets", "totalTickets is required without ticketTypes")
	}
	if in.Price == nil {
		return nil, boxoffice.Invalidf("price", "price is required without ticketTypes")
	}
	cents, err := priceCents(*in.Price)
	if err != nil {
		return nil, err
	}
	e.TotalTickets, e.PriceCents = *in.TotalTickets, cents
	return e, nil
}

func newTicketType(in *model.TicketTypeInput) (*boxoffice.TicketType, error) {
	cents, err := priceCents(in.Price)
	if err != nil {
		return nil, err
	}
	t := &boxoffice.TicketType{Name: in.Name, PriceCents: cents, TotalTickets: in.TotalTickets,
		SalesStart: in.SalesStart, SalesEnd: in.SalesEnd}
	if in.MaxPerBooking != nil {
		t.MaxPerBooking = *in.MaxPerBooking
		if t.MaxPerBooking == 0 {
			return nil, boxoffice.Invalidf("maxPerBooking", "maxPerBooking must be between 1 and %d", boxoffice.MaxTicketsPerBooking)
		}
	}
	for _, s := range in.PriceSteps {
		cents, err := priceCents(s.Price)
		if err != nil {
			return nil, err
		}
		t.PriceSteps = append(t.PriceSteps, boxoffice.PriceStep{SoldAtLeast: s.SoldAtLeast, From: s.From, PriceCents: cents})
	}
	return t, nil
}

func newPromoCode(in model.CreatePromoCodeInput) (*boxoffice.PromoCode, error) {
	p := &boxoffice.PromoCode{EventID: in.EventID, Code: in.Code, PercentOff: in.PercentOff, MaxUses: in.MaxUses, ValidUntil: in.ValidUntil}
	if in.AmountOff != nil {
		cents, err := priceCents(*in.AmountOff)
		if err != nil {
			return nil, boxoffice.Invalidf("amountOff", "amountOff must be an amount with at most two decimals")
		}
		p.AmountOffCents = &cents
	}
	return p, nil
}

func eventUpdate(in model.UpdateEventInput) (boxoffice.EventUpdate, error) {
	upd := boxoffice.EventUpdate{
		Title:        in.Title,
		Description:  in.Description,
		Date:         in.Date,
		Location:     in.Location,
		TotalTickets: in.TotalTickets,
		Version:      in.Version,
	}
	if in.TransfersAllowed != nil {
		no := !*in.TransfersAllowed
		upd.NoTransfers = &no
	}
	if in.Price != nil {
		cents, err := priceCents(*in.Price)
		if err != nil {
			return upd, err
		}
		upd.PriceCents = &cents
	}
	return upd, nil
}

// maxExactPrice bounds prices to where float64 still holds every cent
// exactly; the domain's own, lower bound applies after conversion.
const maxExactPrice = 1 << 50 / 100

// priceCents converts a Float price to whole cents, refusing what is not
// an amount of money: NaN, infinities, negatives, fractions of a cent.
func priceCents(price float64) (int64, error) {
	if math.IsNaN(price) || math.IsInf(price, 0) || price < 0 || price > maxExactPrice {
		return 0, boxoffice.Invalidf("price", "price must be a non-negative amount")
	}
	cents := math.Round(price * 100)
	// price*100 carries binary rounding (0.29*100 = 28.999999999999996):
	// tolerate that, not a third decimal.
	if math.Abs(price*100-cents) > 1e-6 {
		return 0, boxoffice.Invalidf("price", "price must have at most two decimals")
	}
	return int64(cents), nil
}
