package graph

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// validationRules returns gqlparser's default rules with a depth limit,
// without introspection unless allowed, and without NoUnusedVariables: the
// original API's documented FilteredBookings query declares variables it
// does not use, and must keep working. An unused variable is harmless: it
// is still type-checked.
//
// Validation results are cached with the parsed query, so these rules run
// once per distinct query text.
func validationRules(maxDepth int, introspection bool) func() *rules.Rules {
	return func() *rules.Rules {
		r := rules.NewDefaultRules()
		r.RemoveRule(rules.NoUnusedVariablesRule.Name)
		r.AddRule("MaxDepth", maxDepthRule(maxDepth))
		if !introspection {
			r.AddRule("NoIntrospection", noIntrospection)
		}
		return r
	}
}

// noIntrospection refuses __schema and __type as a bad query, where gqlgen
// would fail them at run time with an uncoded error. __typename stays.
func noIntrospection(observers *core.Events, addError core.AddErrFunc) {
	observers.OnField(func(_ *core.Walker, f *ast.Field) {
		if f.Name == "__schema" || f.Name == "__type" {
			addError(core.Message("introspection is disabled"), core.At(f.Position))
		}
	})
}

// maxDepthRule rejects operations whose fields nest more than maxDepth
// levels ({ a { b } } is 2), a cheap guard against queries built to make
// the server walk the user-booking-event graph in circles. Introspection
// fields are left to gqlparser's own MaxIntrospectionDepth rule.
func maxDepthRule(maxDepth int) core.RuleFunc {
	return func(observers *core.Events, addError core.AddErrFunc) {
		observers.OnOperation(func(_ *core.Walker, op *ast.OperationDefinition) {
			d := depthMeter{fragments: map[string]int{}}
			if depth := d.selections(op.SelectionSet); depth > maxDepth {
				addError(
					core.Message("%s is nested %d levels deep, more than the limit of %d", opName(op), depth, maxDepth),
					core.At(op.Position),
				)
			}
		})
	}
}

// depthMeter measures selection sets, each fragment once.
type depthMeter struct {
	fragments map[string]int // depth of each fragment measured or being measured
}

func (d depthMeter) selections(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		var depth int
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__schema" || sel.Name == "__type" {
				continue
			}
			depth = 1 + d.selections(sel.SelectionSet)
		case *ast.InlineFragment:
			depth = d.selections(sel.SelectionSet)
		case *ast.FragmentSpread:
			depth = d.fragment(sel)
		}
		deepest = max(deepest, depth)
	}
	return deepest
}

func (d depthMeter) fragment(spread *ast.FragmentSpread) int {
	if depth, seen := d.fragments[spread.Name]; seen {
		return depth // measured, or a cycle that NoFragmentCycles reports
	}
	d.fragments[spread.Name] = 0
	if spread.Definition == nil {
		return 0 // unknown fragment: KnownFragmentNames reports it
	}
	depth := d.selections(spread.Definition.SelectionSet)
	d.fragments[spread.Name] = depth
	return depth
}

func opName(op *ast.OperationDefinition) string {
	if op.Name == "" {
		return "the " + string(op.Operation)
	}
	return fmt.Sprintf("%s %s", op.Operation, op.Name)
}
