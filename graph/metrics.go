package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Metrics is what the GraphQL layer reports; the metrics package
// implements it for Prometheus. kind is "query" or "mutation" ("-" for a
// document that did not parse or validate) and field the operation's first
// root field: labels the schema bounds, unlike operation names, which
// clients choose.
type Metrics interface {
	Operation(kind, field string, took time.Duration, codes []string)
}

// operationMetrics reports every answered operation to Metrics.
type operationMetrics struct{ m Metrics }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = operationMetrics{}

func (operationMetrics) ExtensionName() string                   { return "OperationMetrics" }
func (operationMetrics) Validate(graphql.ExecutableSchema) error { return nil }

func (o operationMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	start := graphql.GetStartTime(ctx)
	if start.IsZero() {
		start = time.Now()
	}
	kind, field := "-", "-"
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			kind = string(op.Operation)
			if f := firstField(op.SelectionSet); f != "" {
				field = f
			}
		}
	}
	codes := make([]string, 0, len(resp.Errors))
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		codes = append(codes, code)
	}
	o.m.Operation(kind, field, time.Since(start), codes)
	return resp
}

// firstField is the name of the first field of a selection set, looking
// into fragments; "" if there is none.
func firstField(set ast.SelectionSet) string {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			return sel.Name
		case *ast.InlineFragment:
			if name := firstField(sel.SelectionSet); name != "" {
				return name
			}
		case *ast.FragmentSpread:
			if sel.Definition != nil {
				if name := firstField(sel.Definition.SelectionSet); name != "" {
					return name
				}
			}
		}
	}
	return ""
}
