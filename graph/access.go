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
