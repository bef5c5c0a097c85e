package graph

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// costLimit refuses operations whose cost is over the limit: the cost
// model of gqlgen's complexity package (each field 1 plus its selection,
// or what complexity.go prices it at, fragments counted wherever they are
// spread), computed in time linear in the document. gqlgen's own walk
// (extension.FixedComplexityLimit) walks a fragment again at every spread,
// so a chain of fragments that each spread the previous one twice takes
// 2^n steps; this one prices each fragment once per operation.
type costLimit struct {
	limit int
	es    graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*costLimit)(nil)

const codeComplexityLimitExceeded = "COMPLEXITY_LIMIT_EXCEEDED"

func (*costLimit) ExtensionName() string { return "CostLimit" }

func (c *costLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *costLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if cost := operationCost(ctx, c.es, opCtx.Operation, opCtx.Variables); cost > c.limit {
		return &gqlerror.Error{
			Message:    formatCost(cost, c.limit),
			Extensions: map[string]any{"code": codeComplexityLimitExceeded},
		}
	}
	return nil
}

func formatCost(cost, limit int) string {
	if cost >= maxCost {
		return "operation has complexity beyond counting, which exceeds the limit of " + strconv.Itoa(limit)
	}
	return "operation has complexity " + strconv.Itoa(cost) + ", which exceeds the limit of " + strconv.Itoa(limit)
}

// maxCost is where costs saturate. It stays far from overflow even after
// complexity.go multiplies it by a page size, and far above any limit.
const maxCost = 1 << 40

// operationCost is the cost of op with vars.
func operationCost(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any) int {
	if op == nil {
		return 0
	}
	w := costWalker{ctx: ctx, es: es, schema: es.Schema(), vars: vars, fragments: map[*ast.FragmentDefinition]int{}}
	return w.selections(op.SelectionSet)
}

type costWalker struct {
	ctx       context.Context
	es        graphql.ExecutableSchema
	schema    *ast.Schema
	vars      map[string]any
	fragments map[*ast.FragmentDefinition]int // each fragment's cost, once computed
}

func (w *costWalker) selections(set ast.SelectionSet) int {
	cost := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			cost = costAdd(cost, w.field(s))
		case *ast.InlineFragment:
			cost = costAdd(cost, w.selections(s.SelectionSet))
		case *ast.FragmentSpread:
			cost = costAdd(cost, w.fragment(s.Definition))
		}
	}
	return cost
}

func (w *costWalker) fragment(def *ast.FragmentDefinition) int {
	if def == nil {
		return 0
	}
	if cost, ok := w.fragments[def]; ok {
		return cost // computed, or being computed: a cycle, which validation refuses
	}
	w.fragments[def] = 0
	cost := w.selections(def.SelectionSet)
	w.fragments[def] = cost
	return cost
}

// field prices a field as gqlgen's complexity package does.
func (w *costWalker) field(f *ast.Field) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 0 // not validated: cannot happen after validation
	}
	typ := w.schema.Types[f.Definition.Type.Name()]
	if typ == nil || typ.Name == "__Schema" {
		return 0
	}
	child := 0
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
		child = w.selections(f.SelectionSet)
	}
	args := f.ArgumentMap(w.vars)
	if f.ObjectDefinition.Kind == ast.Interface {
		most := 0
		for _, t := range w.schema.GetPossibleTypes(f.ObjectDefinition) {
			most = max(most, w.priced(t, typ.Kind, f.Name, child, args))
		}
		return most
	}
	return w.priced(f.ObjectDefinition, typ.Kind, f.Name, child, args)
}

func (w *costWalker) priced(obj *ast.Definition, kind ast.DefinitionKind, field string, child int, args map[string]any) int {
	if cost, ok := w.es.Complexity(w.ctx, obj.Name, field, child, args); ok && cost >= 1 {
		return min(cost, maxCost)
	}
	return costAdd(1, child)
}

func costAdd(a, b int) int { return min(max(a, 0)+max(b, 0), maxCost) }
