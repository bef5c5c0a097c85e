package graph

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// With introspection off, the schema is not for clients to read, and
// error messages must not read it to them either: gqlparser's messages
// name the types, fields, arguments and enum values around a mistake, and
// suggest the names nearest to a wrong one ("Did you mean …"). redact
// replaces the messages of the rules that do, by one that names nothing
// the client did not write; the error keeps its locations and code.
var redactedMessages = map[string]string{
	"FieldsOnCorrectType":          "Cannot query this field here.",
	"KnownArgumentNames":           "Unknown argument.",
	"KnownTypeNames":               "Unknown type.",
	"ScalarLeafs":                  "This field's selection of subfields does not fit it.",
	"ValuesOfCorrectType":          "This value does not fit where it is used.",
	"VariablesInAllowedPosition":   "This variable's type does not fit where it is used.",
	"ProvidedRequiredArguments":    "A required argument is missing.",
	"PossibleFragmentSpreads":      "This fragment can never apply here.",
	"FragmentsOnCompositeTypes":    "This fragment's type condition cannot be used.",
	"VariablesAreInputTypes":       "This variable's type cannot be used for variables.",
	"OverlappingFieldsCanBeMerged": "These fields conflict: they share a response key.",
}

func (g *guard) redact(e *gqlerror.Error) *gqlerror.Error {
	if g.introspection {
		return e
	}
	if msg, ok := redactedMessages[strings.TrimSuffix(e.Rule, "WithoutSuggestions")]; ok {
		e.Message = msg
	}
	return e
}

// redactVariableError does the same for a variable whose value does not
// fit its type: gqlparser's messages name the type ("cannot use string as
// Int", "FOO is not a valid Role"), and the path of an input field the
// client left out names that field. The message becomes generic and the
// path is cut to what the client's variables hold.
func (g *guard) redactVariableError(e *gqlerror.Error, vars map[string]any) *gqlerror.Error {
	if g.introspection || !isVariableError(e) {
		return e
	}
	out := *e
	out.Path = suppliedPrefix(e.Path, vars)
	name := "a variable"
	if len(out.Path) > 1 {
		name = fmt.Sprintf("variable $%s", out.Path[1])
	}
	out.Message = fmt.Sprintf("The value of %s does not fit its type.", name)
	if len(out.Path) > 2 {
		out.Message = fmt.Sprintf("The value of %s does not fit its type at %s.", name, ast.Path(out.Path[1:]).String())
	}
	return &out
}

// suppliedPrefix is the longest prefix of path, which starts with
// "variable" and the variable's name (which the document declares), that
// names values the client sent.
func suppliedPrefix(path ast.Path, vars map[string]any) ast.Path {
	if len(path) < 2 {
		return path
	}
	here, ok := vars[fmt.Sprint(path[1])]
	if !ok {
		return path[:2]
	}
	for i := 2; i < len(path); i++ {
		switch step := path[i].(type) {
		case ast.PathName:
			m, ok := here.(map[string]any)
			if !ok {
				return path[:i]
			}
			if here, ok = m[string(step)]; !ok {
				return path[:i]
			}
		case ast.PathIndex:
			l, ok := here.([]any)
			if !ok || int(step) < 0 || int(step) >= len(l) {
				return path[:i]
			}
			here = l[step]
		}
	}
	return path
}
