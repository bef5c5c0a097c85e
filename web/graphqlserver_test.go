package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// testSchemaSDL is the schema of the small GraphQL server the browser tests
// talk to. Its Query fields are what the documentation explorer must show.
const testSchemaSDL = `
"""Entry points of the boxoffice test API."""
type Query {
  "Upcoming events, soonest first."
  events(first: Int = 10): [Event!]!
  "One event by its id."
  event(id: ID!): Event
  "Always \"ok\"."
  health: String!
}

"""Something people buy tickets for."""
type Event {
  id: ID!
  name: String!
  startsAt: String!
  seatsLeft: Int!
}
`

// testGraphQLServer is a real, if small, GraphQL server: gqlparser parses
// and validates each query against testSchemaSDL, gqlgen's introspection
// package answers __schema and __type, and static data answers the rest.
type testGraphQLServer struct {
	schema *ast.Schema
	root   map[string]any
}

func newTestGraphQLServer() *testGraphQLServer {
	schema := gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphql", Input: testSchemaSDL})
	events := []any{
		map[string]any{"id": "1", "name": "Opening night", "startsAt": "2030-01-01T20:00:00Z", "seatsLeft": 42},
		map[string]any{"id": "2", "name": "Matinee", "startsAt": "2030-01-02T14:00:00Z", "seatsLeft": 7},
	}
	return &testGraphQLServer{
		schema: schema,
		root: map[string]any{
			"health": "ok",
			"events": func(args map[string]any) any {
				n, _ := args["first"].(int64)
				if n < 0 {
					n = 0
				}
				return events[:min(int(n), len(events))]
			},
			"event": func(args map[string]any) any {
				for _, e := range events {
					if e.(map[string]any)["id"] == args["id"] {
						return e
					}
				}
				return nil
			},
		},
	}
}

func (s *testGraphQLServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	resp := s.execute(req.Query, req.OperationName, req.Variables)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

type gqlResponse struct {
	Data   any           `json:"data,omitempty"`
	Errors gqlerror.List `json:"errors,omitempty"`
}

func (s *testGraphQLServer) execute(query, operationName string, vars map[string]any) gqlResponse {
	doc, errs := gqlparser.LoadQueryWithRules(s.schema, query, rules.NewDefaultRules())
	if errs != nil {
		return gqlResponse{Errors: errs}
	}
	var op *ast.OperationDefinition
	if operationName == "" && len(doc.Operations) == 1 {
		op = doc.Operations[0]
	} else {
		op = doc.Operations.ForName(operationName)
	}
	if op == nil {
		return gqlResponse{Errors: gqlerror.List{gqlerror.Errorf("unknown operation %q", operationName)}}
	}
	if op.Operation != ast.Query {
		return gqlResponse{Errors: gqlerror.List{gqlerror.Errorf("only queries are supported")}}
	}
	coerced, err := validator.VariableValues(s.schema, op, vars)
	if err != nil {
		return gqlResponse{Errors: gqlerror.List{gqlerror.WrapIfUnwrapped(err)}}
	}
	ex := &executor{schema: s.schema, op: &graphql.OperationContext{RawQuery: query, Doc: doc, Variables: coerced}}
	data, err := ex.object("Query", s.root, op.SelectionSet)
	if err != nil {
		return gqlResponse{Errors: gqlerror.List{gqlerror.WrapIfUnwrapped(err)}}
	}
	return gqlResponse{Data: data}
}

type executor struct {
	schema *ast.Schema
	op     *graphql.OperationContext
}

// object resolves the selections on obj, whose GraphQL type is typeName.
func (ex *executor) object(typeName string, obj any, sel ast.SelectionSet) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range graphql.CollectFields(ex.op, sel, []string{typeName}) {
		if f.Name == "__typename" {
			out[f.Alias] = typeName
			continue
		}
		v, err := ex.resolve(obj, f.Name, f.ArgumentMap(ex.op.Variables))
		if err != nil {
			return nil, err
		}
		if out[f.Alias], err = ex.complete(f.Definition.Type, v, f.Selections); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// complete shapes a resolved value v after its GraphQL type t.
func (ex *executor) complete(t *ast.Type, v any, sel ast.SelectionSet) (any, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) && rv.IsNil() {
		if t.NonNull {
			return nil, fmt.Errorf("null for non-null type %s", t)
		}
		return nil, nil
	}
	if t.Elem != nil {
		list := make([]any, rv.Len())
		for i := range list {
			item := rv.Index(i)
			if item.Kind() == reflect.Struct {
				item = item.Addr() // introspection lists hold values, methods want pointers
			}
			var err error
			if list[i], err = ex.complete(t.Elem, item.Interface(), sel); err != nil {
				return nil, err
			}
		}
		return list, nil
	}
	def := ex.schema.Types[t.NamedType]
	if def.Kind == ast.Object {
		return ex.object(def.Name, v, sel)
	}
	if rv.Kind() == reflect.Pointer {
		return rv.Elem().Interface(), nil
	}
	return v, nil
}

// resolve returns the value of field on obj.
func (ex *executor) resolve(obj any, field string, args map[string]any) (any, error) {
	includeDeprecated, _ := args["includeDeprecated"].(bool)
	switch o := obj.(type) {
	case map[string]any: // the root Query and the test data
		switch field {
		case "__schema":
			return introspection.WrapSchema(ex.schema), nil
		case "__type":
			name, _ := args["name"].(string)
			if def := ex.schema.Types[name]; def != nil {
				return introspection.WrapTypeFromDef(ex.schema, def), nil
			}
			return nil, nil
		}
		if fn, ok := o[field].(func(map[string]any) any); ok {
			return fn(args), nil
		}
		return o[field], nil
	case *introspection.Schema:
		switch field {
		case "description":
			return o.Description(), nil
		case "types":
			return o.Types(), nil
		case "queryType":
			return o.QueryType(), nil
		case "mutationType":
			return o.MutationType(), nil
		case "subscriptionType":
			return o.SubscriptionType(), nil
		case "directives":
			return o.Directives(), nil
		}
	case *introspection.Type:
		switch field {
		case "kind":
			return o.Kind(), nil
		case "name":
			return o.Name(), nil
		case "description":
			return o.Description(), nil
		case "specifiedByURL":
			return o.SpecifiedByURL(), nil
		case "fields":
			return o.Fields(includeDeprecated), nil
		case "interfaces":
			return o.Interfaces(), nil
		case "possibleTypes":
			return o.PossibleTypes(), nil
		case "enumValues":
			return o.EnumValues(includeDeprecated), nil
		case "inputFields":
			return o.VisibleInputFields(includeDeprecated), nil
		case "ofType":
			return o.OfType(), nil
		case "isOneOf":
			return o.IsOneOf(), nil
		}
	case *introspection.Field:
		switch field {
		case "name":
			return o.Name, nil
		case "description":
			return o.Description(), nil
		case "args":
			return o.VisibleArgs(includeDeprecated), nil
		case "type":
			return o.Type, nil
		case "isDeprecated":
			return o.IsDeprecated(), nil
		case "deprecationReason":
			return o.DeprecationReason(), nil
		}
	case *introspection.InputValue:
		switch field {
		case "name":
			return o.Name, nil
		case "description":
			return o.Description(), nil
		case "type":
			return o.Type, nil
		case "defaultValue":
			return o.DefaultValue, nil
		case "isDeprecated":
			return o.IsDeprecated(), nil
		case "deprecationReason":
			return o.DeprecationReason(), nil
		}
	case *introspection.EnumValue:
		switch field {
		case "name":
			return o.Name, nil
		case "description":
			return o.Description(), nil
		case "isDeprecated":
			return o.IsDeprecated(), nil
		case "deprecationReason":
			return o.DeprecationReason(), nil
		}
	case *introspection.Directive:
		switch field {
		case "name":
			return o.Name, nil
		case "description":
			return o.Description(), nil
		case "locations":
			return o.Locations, nil
		case "args":
			return o.VisibleArgs(includeDeprecated), nil
		case "isRepeatable":
			return o.IsRepeatable, nil
		}
	}
	return nil, fmt.Errorf("test server: no resolver for %T.%s", obj, field)
}
