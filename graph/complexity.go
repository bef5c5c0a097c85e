package graph

import (
	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/graph/generated"
	"github.com/boxoffice/boxoffice/graph/model"
)

// complexity prices list fields at their length times their selection, so
// the complexity limit bounds the objects an operation can make the server
// load: users(limit: 100) { bookings(limit: 1000) { ... } } costs 100,000
// times its innermost selection, not a few points. Other fields cost 1
// plus their selection (gqlgen's default).
func complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	c.Query.Users = func(child int, _ *model.UserFilterInput, p *model.PaginationInput) int {
		return listCost(child, pageLimit(p), boxoffice.MaxLimit)
	}
	c.Query.Events = func(child int, p *model.PaginationInput) int {
		return listCost(child, pageLimit(p), boxoffice.MaxLimit)
	}
	c.Query.Bookings = func(child int, _ *model.BookingFilterInput, p *model.PaginationInput) int {
		return listCost(child, pageLimit(p), boxoffice.MaxLimit)
	}
	c.Query.PopularEvents = func(child int, limit *int) int {
		return listCost(child, orDefault(limit, boxoffice.DefaultTopEvents), boxoffice.MaxTopEvents)
	}
	c.Query.UpcomingEvents = c.Query.PopularEvents
	c.User.Bookings = func(child int, limit *int) int {
		return listCost(child, orDefault(limit, boxoffice.DefaultNestedBookings), boxoffice.MaxNestedBookings)
	}
	c.Event.Bookings = c.User.Bookings
	return c
}

func pageLimit(p *model.PaginationInput) int {
	if p == nil {
		return boxoffice.DefaultLimit
	}
	return orDefault(p.Limit, boxoffice.DefaultLimit)
}

// listCost is the cost of up to n items. n is clamped to 1..most: a value
// outside is refused as BAD_USER_INPUT later, and clamping keeps nested
// products from overflowing.
func listCost(child, n, most int) int {
	return 1 + min(max(n, 1), most)*child
}
