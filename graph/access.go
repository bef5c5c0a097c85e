package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/boxoffice/boxoffice"
)

// Who may see what is decided by the domain (policy.go): the services
// enforce it for the top-level operations, and the resolvers of protected
// fields (User.email, role and bookings; Event.bookings) ask the same
// policy functions for each parent object. This package writes no rule of
// its own.

// caller is who makes the request: the HTTP layer puts it in the context.
func caller(ctx context.Context) boxoffice.Caller { return boxoffice.CallerFromContext(ctx) }

// payloadUserIsCaller reads the user of an AuthPayload (signUp, signIn,
// changePassword) as the user its token signs in: the request's caller is
// still anonymous (or someone else) while the payload is resolved, and the
// newly signed-in user must see their own email and role. Only that
// subtree changes caller; gqlgen resolves a field's children with the
// context its field middleware passed on.
func payloadUserIsCaller(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc != nil && fc.Object == "AuthPayload" && fc.Field.Name == "user" && fc.Parent != nil {
		if p, ok := fc.Parent.Result.(*boxoffice.AuthPayload); ok && p.User != nil {
			ctx = boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: p.User.ID, Role: p.User.Role})
		}
	}
	return next(ctx)
}

// visibleTickets keeps, of a booking's tickets, those the caller may read
// (boxoffice.CanReadTicket): a buyer who gave a ticket away no longer sees
// it, nor its code. The event is loaded only for an organizer, the one
// role whose access depends on it.
func (r *Resolver) visibleTickets(ctx context.Context, b *boxoffice.Booking, all []*boxoffice.Ticket) ([]*boxoffice.Ticket, error) {
	c := caller(ctx)
	var e *boxoffice.Event
	if c.Role == boxoffice.RoleOrganizer {
		var err error
		if e, err = loadersFrom(ctx).events.Load(ctx, b.EventID); err != nil {
			return nil, err
		}
	}
	shown := make([]*boxoffice.Ticket, 0, len(all))
	for _, t := range all {
		if boxoffice.CanReadTicket(c, t, e, false) == nil {
			shown = append(shown, t)
		}
	}
	return shown, nil
}

// optional is s, or null for "".
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
