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

func newEvent(in model.CreateEventInput) (*boxoffice.Event, error) {
	cents, err := priceCents(in.Price)
	if err != nil {
		return nil, err
	}
	return &boxoffice.Event{
		Title:        in.Title,
		Description:  in.Description,
		Date:         in.Date,
		Location:     in.Location,
		TotalTickets: in.TotalTickets,
		PriceCents:   cents,
		NoTransfers:  in.TransfersAllowed != nil && !*in.TransfersAllowed,
	}, nil
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
