package graph_test

import (
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/boxoffice/boxoffice/graph/generated"
)

// The schema may add to the original API's (testdata/contract.graphql, a
// copy of the shared contract), never remove, rename or change: every
// type, field, argument and input field is there with the same type, and
// whatever was added to an input or an argument list is optional.
func TestSchemaKeepsTheContract(t *testing.T) {
	src, err := os.ReadFile("testdata/contract.graphql")
	if err != nil {
		t.Fatal(err)
	}
	contract, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "contract.graphql", Input: string(src)})
	if gqlErr != nil {
		t.Fatal(gqlErr)
	}
	ours := generated.NewExecutableSchema(generated.Config{}).Schema()

	for name, want := range contract.Types {
		if want.BuiltIn {
			continue
		}
		got := ours.Types[name]
		if got == nil || got.Kind != want.Kind {
			t.Errorf("type %s: missing or of another kind", name)
			continue
		}
		for _, wf := range want.Fields {
			gf := got.Fields.ForName(wf.Name)
			if gf == nil || gf.Type.String() != wf.Type.String() {
				t.Errorf("%s.%s: want %s, got %v", name, wf.Name, wf.Type, gf)
				continue
			}
			if want.Kind == ast.InputObject {
				continue
			}
			for _, wa := range wf.Arguments {
				if ga := gf.Arguments.ForName(wa.Name); ga == nil || ga.Type.String() != wa.Type.String() {
					t.Errorf("%s.%s(%s): want %s", name, wf.Name, wa.Name, wa.Type)
				}
			}
			for _, ga := range gf.Arguments {
				if wf.Arguments.ForName(ga.Name) == nil && ga.Type.NonNull && ga.DefaultValue == nil {
					t.Errorf("%s.%s(%s): an added argument must be optional", name, wf.Name, ga.Name)
				}
			}
		}
		if want.Kind == ast.InputObject {
			for _, gf := range got.Fields {
				if want.Fields.ForName(gf.Name) == nil && gf.Type.NonNull && gf.DefaultValue == nil {
					t.Errorf("%s.%s: an added input field must be optional", name, gf.Name)
				}
			}
		}
		for _, v := range want.EnumValues {
			if got.EnumValues.ForName(v.Name) == nil {
				t.Errorf("%s.%s: missing", name, v.Name)
			}
		}
	}
}
