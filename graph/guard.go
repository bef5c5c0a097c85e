package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/boxoffice/boxoffice"
)

// The guard takes over from gqlgen what a hostile document can make
// expensive: parsing, validation and the query cache. gqlgen parses and
// validates in its executor's CreateOperationContext, unbounded and deaf
// to the request's deadline; the guard wraps the executor the transports
// call, and prepares the document first:
//
//  1. a document in the cache is taken from there;
//  2. the parser stops at maxTokens tokens;
//  3. shapeOf (limits.go) refuses documents with too many fields,
//     aliases, directives or fragment spreads, fragments expanded, in
//     time linear in the document;
//  4. only then do gqlparser's validation rules run, stopped at
//     maxErrors errors or when the request's time is up;
//  5. a valid document goes into the cache, bounded in bytes (cache.go).
//
// gqlgen then finds the document in the cache (docSlot) and never parses
// or validates on its own. The cost analysis (cost.go) runs after the
// variables are read, in time linear in the document.
type guard struct {
	schema        *ast.Schema
	rules         []core.Rule // sorted by name, as gqlparser runs them
	cache         *docCache
	introspection bool
	log           *slog.Logger
}

func newGuard(schema *ast.Schema, validation *rules.Rules, cache *docCache, introspection bool, log *slog.Logger) *guard {
	g := &guard{schema: schema, cache: cache, introspection: introspection, log: log}
	for name, f := range validation.GetInner() {
		g.rules = append(g.rules, core.Rule{Name: name, RuleFunc: f})
	}
	slices.SortFunc(g.rules, func(a, b core.Rule) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return g
}

// errTimeUp is the error of a request whose time ran out while its
// document was prepared, or before its operation began: presentError logs
// it and answers UNAVAILABLE.
var errTimeUp = errors.New("the request's time limit ran out before its operation could run")

// prepare parses and validates query, or takes it from the cache.
func (g *guard) prepare(ctx context.Context, query string) (*ast.QueryDocument, gqlerror.List) {
	if doc, ok := g.cache.get(query); ok {
		return doc, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, gqlerror.List{timeUpError(ctx)}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, maxTokens)
	if err != nil {
		gqlErr, ok := errors.AsType[*gqlerror.Error](err)
		if !ok {
			gqlErr = gqlerror.Wrap(err)
		}
		errcode.Set(gqlErr, errcode.ParseFailed)
		if strings.HasPrefix(gqlErr.Message, "exceeded token limit") {
			gqlErr.Rule = limitRule // logged as a refusal
		}
		return nil, gqlerror.List{gqlErr}
	}
	if len(doc.Operations) == 0 {
		return nil, gqlerror.List{validationError("no operation provided")}
	}
	if err := shapeOf(doc).check(); err != nil {
		return nil, gqlerror.List{err}
	}
	if errs := g.validate(ctx, doc); len(errs) > 0 {
		return nil, errs
	}
	g.cache.add(query, doc)
	return doc, nil
}

// stopWalk stops gqlparser's walk of a document, by panicking out of it.
type stopWalk struct{ timeUp bool }

// validate runs the validation rules over doc. It stops after
// maxErrors-1 errors, adding one that says so, and when ctx ends.
func (g *guard) validate(ctx context.Context, doc *ast.QueryDocument) (errs gqlerror.List) {
	observers := &core.Events{}
	for _, rule := range g.rules {
		rule.RuleFunc(observers, func(options ...core.ErrorOption) {
			e := &gqlerror.Error{Rule: rule.Name}
			for _, o := range options {
				o(e)
			}
			errcode.Set(e, errcode.ValidationFailed)
			errs = append(errs, g.redact(e))
			if len(errs) == maxErrors-1 {
				panic(stopWalk{}) // and one more error says so
			}
		})
	}
	visits := 0
	checkTime := func() {
		if visits++; visits%64 == 0 && ctx.Err() != nil {
			panic(stopWalk{timeUp: true})
		}
	}
	observers.OnField(func(*core.Walker, *ast.Field) { checkTime() })
	observers.OnValue(func(*core.Walker, *ast.Value) { checkTime() })
	observers.OnFragmentSpread(func(*core.Walker, *ast.FragmentSpread) { checkTime() })

	defer func() {
		p := recover()
		if p == nil {
			return
		}
		stop, ok := p.(stopWalk)
		if !ok {
			panic(p)
		}
		if stop.timeUp {
			errs = gqlerror.List{timeUpError(ctx)}
			return
		}
		errs = append(errs, validationError("validation stopped after %d errors", len(errs)))
	}()
	core.Walk(g.schema, doc, observers)
	if len(errs) == 0 && ctx.Err() != nil {
		return gqlerror.List{timeUpError(ctx)}
	}
	return errs
}

func validationError(format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	errcode.Set(e, errcode.ValidationFailed)
	return e
}

// limitRule marks the errors of documents refused for their size or shape.
const limitRule = "DocumentLimits"

// limitError is a document refused for its shape.
func limitError(format string, args ...any) *gqlerror.Error {
	e := validationError(format, args...)
	e.Rule = limitRule
	return e
}

// timeUpError carries errTimeUp, for presentError to log and code
// (UNAVAILABLE when the time ran out, INTERNAL if the request was cancelled).
func timeUpError(ctx context.Context) *gqlerror.Error {
	return gqlerror.WrapPath(nil, fmt.Errorf("%w: %w", errTimeUp, context.Cause(ctx)))
}

// guardedTransport hands its transport the guarded executor.
type guardedTransport struct {
	graphql.Transport
	guard *guard
}

func (t guardedTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Transport.Do(w, r, guardedExecutor{GraphExecutor: exec, guard: t.guard})
}

// guardedExecutor prepares each document (guard.prepare) before gqlgen's
// executor sees it, and answers with a coded, logged error, never a null
// body, when the request's time runs out.
type guardedExecutor struct {
	graphql.GraphExecutor
	guard *guard
}

// docSlot hands the document prepare made to gqlgen's executor, which
// asks its query cache (docCache.Get) before it would parse.
type docSlot struct {
	query string
	doc   *ast.QueryDocument
}

type docSlotKey struct{}

func (e guardedExecutor) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	doc, errs := e.guard.prepare(ctx, params.Query)
	if len(errs) > 0 {
		e.guard.logRefusal(ctx, errs, len(params.Query))
		return &graphql.OperationContext{RawQuery: params.Query, OperationName: params.OperationName}, errs
	}
	ctx = context.WithValue(ctx, docSlotKey{}, &docSlot{query: params.Query, doc: doc})
	opCtx, errs := e.GraphExecutor.CreateOperationContext(ctx, params)
	if len(errs) == 0 && ctx.Err() != nil {
		errs = gqlerror.List{timeUpError(ctx)}
	}
	for i, err := range errs {
		errs[i] = e.guard.redactVariableError(err, params.Variables)
	}
	return opCtx, errs
}

func (e guardedExecutor) DispatchOperation(ctx context.Context, opCtx *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	responses, ctx := e.GraphExecutor.DispatchOperation(ctx, opCtx)
	first := true
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if resp == nil && first && ctx.Err() != nil {
			// gqlgen answers nothing at all (a JSON null) to a request
			// whose time ran out before it began to execute.
			resp = e.GraphExecutor.DispatchError(graphql.WithOperationContext(ctx, opCtx), gqlerror.List{timeUpError(ctx)})
		}
		first = false
		return resp
	}, ctx
}

// logRefusal writes why a document was refused, at warning level for
// limits and time-outs, which attacks meet; the operation's own log line
// follows with its error codes.
func (g *guard) logRefusal(ctx context.Context, errs gqlerror.List, queryBytes int) {
	e := errs[0]
	if e.Rule != limitRule && !errors.Is(e, errTimeUp) && len(errs) < maxErrors {
		return
	}
	g.log.LogAttrs(ctx, slog.LevelWarn, "graphql document refused",
		slog.String("request_id", boxoffice.RequestIDFromContext(ctx)),
		slog.String("reason", e.Message),
		slog.Int("errors", len(errs)),
		slog.Int("query_bytes", queryBytes),
	)
}
