package graph

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits on a document's shape. They are checked on the parsed document
// (shapeOf, linear in its size) before anything else looks at it, so the
// validator, whose overlapping-fields rule is quadratic in the fields of a
// selection, the cost analysis and the executor only ever see documents
// small enough for their work to stay within a few milliseconds (see
// docs/hardening.md). GraphiQL's introspection query, the largest
// legitimate document, has about 1,500 tokens, 270 fields (fragments
// expanded), 20 spreads, no aliases and no directives.
const (
	// maxTokens bounds parsing: the parser stops at the token past it.
	maxTokens = 5_000
	// maxFields bounds the fields of all operations with every fragment
	// spread replaced by the fragment, plus those of every fragment
	// definition as written. A fragment spread twice counts twice, so a
	// chain of fragments that each spread the previous one twice counts
	// 2^n fields, not n.
	maxFields = 500
	// maxAliases bounds aliased fields, counted as maxFields is.
	maxAliases = 30
	// maxDirectives bounds directives, counted as maxFields is.
	maxDirectives = 50
	// maxSpreads bounds fragment spreads, counted as maxFields is.
	maxSpreads = 100
	// maxErrors bounds the errors of one answer; validation stops there.
	maxErrors = 20
)

// shape counts what the limits bound. Counts saturate at saturated, so
// that a fragment bomb cannot overflow them.
type shape struct {
	fields, aliases, directives, spreads int
}

const saturated = 1 << 40

func satAdd(a, b int) int { return min(a+b, saturated) }

func (s shape) add(o shape) shape {
	return shape{
		fields:     satAdd(s.fields, o.fields),
		aliases:    satAdd(s.aliases, o.aliases),
		directives: satAdd(s.directives, o.directives),
		spreads:    satAdd(s.spreads, o.spreads),
	}
}

// shapeOf measures doc: its operations with fragments expanded, plus its
// fragment definitions as written (the validator walks each of them on
// its own, used or not). Each fragment is measured once (memoized), so
// the measure is linear in the document whatever the counts it finds.
func shapeOf(doc *ast.QueryDocument) shape {
	m := shapeMeter{byName: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)), memo: map[string]shape{}, busy: map[string]bool{}}
	for _, f := range doc.Fragments {
		if _, dup := m.byName[f.Name]; !dup {
			m.byName[f.Name] = f
		}
	}
	var total shape
	for _, op := range doc.Operations {
		total = total.add(shape{directives: len(op.Directives)})
		for _, v := range op.VariableDefinitions {
			total = total.add(shape{directives: len(v.Directives)})
		}
		total = total.add(m.selections(op.SelectionSet, true))
	}
	for _, f := range doc.Fragments {
		total = total.add(shape{directives: len(f.Directives)})
		total = total.add(m.selections(f.SelectionSet, false))
	}
	return total
}

type shapeMeter struct {
	byName map[string]*ast.FragmentDefinition
	memo   map[string]shape // fragments measured, expanded
	busy   map[string]bool  // fragments being measured: a cycle, which NoFragmentCycles reports
}

// selections measures set, with the fragments it spreads expanded or not.
func (m *shapeMeter) selections(set ast.SelectionSet, expand bool) shape {
	var s shape
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			s = s.add(shape{fields: 1, directives: len(sel.Directives)})
			if sel.Alias != "" && sel.Alias != sel.Name {
				s.aliases = satAdd(s.aliases, 1)
			}
			s = s.add(m.selections(sel.SelectionSet, expand))
		case *ast.InlineFragment:
			s = s.add(shape{directives: len(sel.Directives)})
			s = s.add(m.selections(sel.SelectionSet, expand))
		case *ast.FragmentSpread:
			s = s.add(shape{spreads: 1, directives: len(sel.Directives)})
			if expand {
				s = s.add(m.fragment(sel.Name))
			}
		}
	}
	return s
}

func (m *shapeMeter) fragment(name string) shape {
	if s, ok := m.memo[name]; ok {
		return s
	}
	f := m.byName[name]
	if f == nil || m.busy[name] {
		return shape{} // unknown or cyclic: validation reports it
	}
	m.busy[name] = true
	s := m.selections(f.SelectionSet, true)
	delete(m.busy, name)
	m.memo[name] = s
	return s
}

// check returns the first limit s exceeds, as a validation error.
func (s shape) check() *gqlerror.Error {
	for _, l := range []struct {
		what       string
		n, most    int
		afterSplit bool
	}{
		{"fields", s.fields, maxFields, true},
		{"aliases", s.aliases, maxAliases, true},
		{"directives", s.directives, maxDirectives, true},
		{"fragment spreads", s.spreads, maxSpreads, true},
	} {
		if l.n > l.most {
			n := fmt.Sprint(l.n)
			if l.n >= saturated {
				n = "too many"
			}
			return limitError("the document has %s %s, fragments expanded: more than the limit of %d", n, l.what, l.most)
		}
	}
	return nil
}
