package graph

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/boxoffice/boxoffice"
)

// loaders batch the lookups of nested objects, so a page of N bookings with
// their users and events costs the same number of queries whatever N. They
// cache for one request only (see NewHandler), so no one sees another
// request's data or stale data from a previous request.
type loaders struct {
	users           *dataloadgen.Loader[string, *boxoffice.User]
	events          *dataloadgen.Loader[string, *boxoffice.Event]
	bookingsByUser  *dataloadgen.Loader[nestedKey, []*boxoffice.Booking]
	bookingsByEvent *dataloadgen.Loader[nestedKey, []*boxoffice.Booking]
	payments        *dataloadgen.Loader[string, *boxoffice.Payment]      // by booking id
	changes         *dataloadgen.Loader[string, []*boxoffice.Change]     // by booking id: histories
	bookings        *dataloadgen.Loader[string, *boxoffice.Booking]      // tickets' bookings
	tickets         *dataloadgen.Loader[string, []*boxoffice.Ticket]     // by booking id
	ticketTypes     *dataloadgen.Loader[string, []*boxoffice.TicketType] // by event id
}

// nestedKey asks for up to limit bookings of one user or event: the limit
// is part of the key because `bookings(limit:)` may differ between fields.
type nestedKey struct {
	parentID string
	limit    int
}

// newLoaders makes one request's loaders. A loader collects keys for wait
// before it fetches: gqlgen resolves the fields of a list's items
// concurrently, so every item asks within microseconds, and one short
// window turns N lookups into one query.
func newLoaders(s services, wait time.Duration) *loaders {
	opt := dataloadgen.WithWait(wait)
	return &loaders{
		users:           dataloadgen.NewLoader(byID("user", s.users.FindUsersByIDs, func(u *boxoffice.User) string { return u.ID }), opt),
		events:          dataloadgen.NewLoader(byID("event", s.events.FindEventsByIDs, func(e *boxoffice.Event) string { return e.ID }), opt),
		bookingsByUser:  dataloadgen.NewLoader(bookingsBy(s.bookings.FindBookingsByUserIDs, func(b *boxoffice.Booking) string { return b.UserID }), opt),
		bookingsByEvent: dataloadgen.NewLoader(bookingsBy(s.bookings.FindBookingsByEventIDs, func(b *boxoffice.Booking) string { return b.EventID }), opt),
		payments:        dataloadgen.NewLoader(byID("payment", s.bookings.FindPaymentsByBookingIDs, func(p *boxoffice.Payment) string { return p.BookingID }), opt),
		changes:         dataloadgen.NewLoader(groupedBy(s.bookings.FindChangesByBookingIDs, func(c *boxoffice.Change) string { return c.BookingID }), opt),
		bookings:        dataloadgen.NewLoader(byID("booking", s.tickets.FindTicketBookings, func(b *boxoffice.Booking) string { return b.ID }), opt),
		tickets:         dataloadgen.NewLoader(groupedBy(s.tickets.FindTicketsByBookingIDs, func(t *boxoffice.Ticket) string { return t.BookingID }), opt),
		ticketTypes:     dataloadgen.NewLoader(groupedBy(s.events.FindTicketTypesByEventIDs, func(t *boxoffice.TicketType) string { return t.EventID }), opt),
	}
}

// clear forgets what was loaded: a mutation's result must show the state
// after it, not what an earlier field of the same request loaded.
func (l *loaders) clear() {
	l.users.ClearAll()
	l.events.ClearAll()
	l.bookingsByUser.ClearAll()
	l.bookingsByEvent.ClearAll()
	l.payments.ClearAll()
	l.changes.ClearAll()
	l.bookings.ClearAll()
	l.tickets.ClearAll()
	l.ticketTypes.ClearAll()
}

type loadersKey struct{}

func withLoaders(ctx context.Context, l *loaders) context.Context {
	return context.WithValue(ctx, loadersKey{}, l)
}

// loadersFrom returns the request's loaders; NewHandler always sets them.
func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}

// byID adapts a batch lookup by ids to a loader: one result per key, in key
// order, ENOTFOUND for the ids that matched nothing.
func byID[T any](kind string, find func(context.Context, []string) ([]T, error), id func(T) string) func(context.Context, []string) ([]T, []error) {
	return func(ctx context.Context, ids []string) ([]T, []error) {
		found, err := find(ctx, ids)
		if err != nil {
			return nil, []error{err}
		}
		byID := make(map[string]T, len(found))
		for _, v := range found {
			byID[id(v)] = v
		}
		values, errs := make([]T, len(ids)), make([]error, len(ids))
		for i, key := range ids {
			v, ok := byID[key]
			if !ok {
				errs[i] = boxoffice.Errorf(boxoffice.ENOTFOUND, "%s %s not found", kind, key)
			}
			values[i] = v
		}
		return values, errs
	}
}

// bookingsBy adapts a batch lookup of the bookings of many parents to a
// loader: one query per distinct limit (in practice one), each parent's
// bookings most recent first, [] for a parent without bookings.
func bookingsBy(find func(context.Context, []string, int) ([]*boxoffice.Booking, error), parent func(*boxoffice.Booking) string) func(context.Context, []nestedKey) ([][]*boxoffice.Booking, []error) {
	return func(ctx context.Context, keys []nestedKey) ([][]*boxoffice.Booking, []error) {
		idsByLimit := map[int][]string{}
		for _, k := range keys {
			idsByLimit[k.limit] = append(idsByLimit[k.limit], k.parentID)
		}
		found := make(map[nestedKey][]*boxoffice.Booking, len(keys))
		failed := map[int]error{}
		for limit, ids := range idsByLimit {
			bookings, err := find(ctx, ids, limit)
			if err != nil {
				failed[limit] = err
				continue
			}
			for _, b := range bookings {
				k := nestedKey{parent(b), limit}
				found[k] = append(found[k], b)
			}
		}
		values, errs := make([][]*boxoffice.Booking, len(keys)), make([]error, len(keys))
		for i, k := range keys {
			values[i], errs[i] = mostRecentFirst(found[k]), failed[k.limit]
		}
		return values, errs
	}
}

// mostRecentFirst sorts in place (stores may return any order) and never
// returns nil, which GraphQL would show as null rather than [].
func mostRecentFirst(bs []*boxoffice.Booking) []*boxoffice.Booking {
	if bs == nil {
		return []*boxoffice.Booking{}
	}
	slices.SortFunc(bs, func(a, b *boxoffice.Booking) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return bs
}

// groupedBy adapts a batch lookup of the rows of many parents (a
// booking's changes, its tickets) to a loader: each key gets its own rows,
// in the order found, and an empty list if none.
func groupedBy[T any](find func(context.Context, []string) ([]T, error), parent func(T) string) func(context.Context, []string) ([][]T, []error) {
	return func(ctx context.Context, ids []string) ([][]T, []error) {
		found, err := find(ctx, ids)
		if err != nil {
			return nil, []error{err}
		}
		out := make([][]T, len(ids))
		at := make(map[string]int, len(ids))
		for i, id := range ids {
			at[id] = i
			out[i] = []T{}
		}
		for _, row := range found {
			if i, ok := at[parent(row)]; ok {
				out[i] = append(out[i], row)
			}
		}
		return out, nil
	}
}
