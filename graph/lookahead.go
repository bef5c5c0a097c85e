package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
)

// itemsSelect reports whether the current field's `items` selection asks
// for any of fields: a resolver of a page looks ahead to read what its
// items will need together with the page.
func itemsSelect(ctx context.Context, fields ...string) bool {
	opCtx := graphql.GetOperationContext(ctx)
	for _, items := range graphql.CollectFieldsCtx(ctx, nil) {
		if items.Name != "items" {
			continue
		}
		for _, f := range graphql.CollectFields(opCtx, items.Selections, nil) {
			if slices.Contains(fields, f.Name) {
				return true
			}
		}
	}
	return false
}
