package graph

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

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

// capErrors keeps at most maxErrors errors in an answer: a document that
// makes every item of every list fail would otherwise answer thousands.
// The last one kept says how many were left out.
type capErrors struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = capErrors{}

func (capErrors) ExtensionName() string                   { return "CapErrors" }
func (capErrors) Validate(graphql.ExecutableSchema) error { return nil }

func (capErrors) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Errors) <= maxErrors {
		return resp
	}
	left := resp.Errors[maxErrors-1:]
	code, _ := left[0].Extensions["code"].(string)
	resp.Errors = append(resp.Errors[:maxErrors-1:maxErrors-1], &gqlerror.Error{
		Message:    fmt.Sprintf("%d more errors were left out", len(left)),
		Extensions: map[string]any{"code": code},
	})
	return resp
}
