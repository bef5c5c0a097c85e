package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	gqlcomplexity "github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// countingSchema counts the fields the cost analysis prices.
type countingSchema struct {
	graphql.ExecutableSchema
	calls int
}

func (c *countingSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	c.calls++
	return c.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
}

// validated parses and validates query without any limit, as the cost
// analysis alone would see it.
func validated(t *testing.T, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.ValidateWithRules(fuzzSchema().Schema(), doc, nil); len(errs) > 0 {
		t.Fatal(errs)
	}
	return doc
}

// The cost analysis prices each fragment once: a chain of 40 fragments,
// each spreading the previous one twice, costs 2^40 and takes 41 steps,
// where gqlgen's walk would take 2^40.
func TestCostIsLinearInTheDocument(t *testing.T) {
	doc := validated(t, fragmentChain(40))
	es := &countingSchema{ExecutableSchema: fuzzSchema()}
	cost := operationCost(t.Context(), es, doc.Operations[0], nil)
	if cost != maxCost || es.calls > 2 {
		t.Errorf("cost %d in %d steps", cost, es.calls)
	}
	doc = validated(t, `{ events(pagination: {limit: 100}) { items { ...E } } }
		fragment E on Event { id bookings(limit: 1000) { ...B } }
		fragment B on Booking { id user { ...U } event { ...E2 } }
		fragment U on User { id }
		fragment E2 on Event { id }`)
	es.calls = 0
	if cost := operationCost(t.Context(), es, doc.Operations[0], nil); cost <= DefaultComplexityLimit {
		t.Errorf("nested lists cost %d", cost)
	}
}

// The cost is gqlgen's, for every shape small enough for gqlgen to walk.
func TestCostIsGqlgens(t *testing.T) {
	es := fuzzSchema()
	compared := 0
	for _, q := range append(documentSeeds()[:8], fragmentChain(12), `query($n: Int) { popularEvents(limit: $n) { id bookings { id user { bookings(limit: 7) { id } } } } }`) {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil || len(validator.ValidateWithRules(es.Schema(), doc, nil)) > 0 {
			continue
		}
		compared++
		for _, op := range doc.Operations {
			for _, vars := range []map[string]any{nil, {"n": int64(50)}, {"n": int64(-5)}} {
				want := gqlcomplexity.Calculate(t.Context(), es, op, vars)
				if got := operationCost(t.Context(), es, op, vars); got != want {
					t.Errorf("%q with %v: cost %d, gqlgen's %d", q, vars, got, want)
				}
			}
		}
	}
	if compared < 6 {
		t.Errorf("only %d documents compared", compared)
	}
}

// The cache holds documents up to 16 KiB, within its byte budget.
func TestDocCacheIsBoundedByBytes(t *testing.T) {
	c := newDocCache(1000, 1<<20)
	doc := &ast.QueryDocument{}
	c.add(strings.Repeat("x", maxCachedQueryBytes+1), doc)
	if n, _ := c.stats(); n != 0 {
		t.Errorf("a document over %d bytes was cached", maxCachedQueryBytes)
	}
	for i := range 1000 {
		c.add(fmt.Sprintf("%d %s", i, strings.Repeat("x", 10<<10)), doc)
		if _, bytes := c.stats(); bytes > 1<<20 {
			t.Fatalf("%d bytes held, over the budget", bytes)
		}
	}
	n, _ := c.stats()
	if n == 0 || n > (1<<20)/(10<<10*docBytesPerByte)+1 {
		t.Errorf("%d entries held", n)
	}
	if _, ok := c.get(fmt.Sprintf("%d %s", 999, strings.Repeat("x", 10<<10))); !ok {
		t.Errorf("the newest entry was evicted")
	}
}

// Validation stops when the request's time is up.
func TestValidationStopsAtTheDeadline(t *testing.T) {
	g := newTestGuard(true)
	doc, err := parser.ParseQuery(&ast.Source{Input: repeatedFields(400)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	errs := g.validate(ctx, doc)
	if len(errs) != 1 || errs[0].Err == nil || !strings.Contains(errs[0].Err.Error(), "time limit") {
		t.Errorf("errors %v", errs)
	}
}

func repeatedFields(n int) string {
	return "{ " + strings.Repeat("events { items { id } } ", n) + "}"
}
