package graph

import (
	"context"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/boxoffice/boxoffice"
)

// operationLogger writes one line per GraphQL operation: request id,
// operation, duration and the codes of its errors, if any. The errors
// themselves are logged where they are presented (errors.go), when
// internal.
type operationLogger struct {
	log *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = operationLogger{}

func (operationLogger) ExtensionName() string                   { return "OperationLogger" }
func (operationLogger) Validate(graphql.ExecutableSchema) error { return nil }

func (l operationLogger) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	start := graphql.GetStartTime(ctx) // set when the HTTP request came in
	if start.IsZero() {
		start = time.Now()
	}
	attrs := []slog.Attr{
		slog.String("request_id", boxoffice.RequestIDFromContext(ctx)),
		slog.String("operation", "-"),
		slog.Duration("duration", time.Since(start)),
	}
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx); op.Operation != nil {
			attrs[1] = slog.String("operation", operationName(op))
		}
	}
	level := slog.LevelInfo
	if len(resp.Errors) > 0 {
		codes := make([]string, len(resp.Errors))
		for i, e := range resp.Errors {
			codes[i], _ = e.Extensions["code"].(string)
			if codes[i] == codeInternal {
				level = slog.LevelError
			}
		}
		attrs = append(attrs, slog.Any("error_codes", codes))
	}
	l.log.LogAttrs(ctx, level, "graphql operation", attrs...)
	return resp
}

// operationName is "query Users", or "query" for an anonymous one.
func operationName(op *graphql.OperationContext) string {
	if op.Operation.Name == "" {
		return string(op.Operation.Operation)
	}
	return string(op.Operation.Operation) + " " + op.Operation.Name
}
