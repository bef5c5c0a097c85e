package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/boxoffice/boxoffice"
)

// Codes in extensions.code, besides gqlgen's own GRAPHQL_PARSE_FAILED,
// GRAPHQL_VALIDATION_FAILED and COMPLEXITY_LIMIT_EXCEEDED.
const (
	codeBadUserInput    = "BAD_USER_INPUT"
	codeNotFound        = "NOT_FOUND"
	codeSoldOut         = "SOLD_OUT"
	codeConflict        = "CONFLICT"
	codeUnauthenticated = "UNAUTHENTICATED"
	codeForbidden       = "FORBIDDEN"
	codeRateLimited     = "RATE_LIMITED"
	codeUnavailable     = "UNAVAILABLE" // nothing was done; retry after extensions.retryAfter
	codeInternal        = "INTERNAL"
	codeBadRequest      = "BAD_REQUEST" // not a GraphQL request at all
)

var domainCodes = map[string]string{
	boxoffice.EINVALID:         codeBadUserInput,
	boxoffice.ENOTFOUND:        codeNotFound,
	boxoffice.ESOLDOUT:         codeSoldOut,
	boxoffice.ECONFLICT:        codeConflict,
	boxoffice.EUNAUTHENTICATED: codeUnauthenticated,
	boxoffice.EFORBIDDEN:       codeForbidden,
	boxoffice.ERATELIMITED:     codeRateLimited,
	boxoffice.EUNAVAILABLE:     codeUnavailable,
}

func init() {
	// gqlgen answers protocol errors with a 4xx status instead of 200.
	errcode.RegisterErrorType(codeBadRequest, errcode.KindProtocol)
}

// gqlgen's POST transport reports an undecodable body with this message,
// followed by the body itself, which must not be echoed.
const bodyDecodeFailed = "json request body could not be decoded"

// presentError is the one place where errors become what clients see:
// domain errors keep their message and get their code; gqlgen's parse
// and validation errors keep theirs; a request whose time ran out is
// UNAVAILABLE; everything else is logged and shown as INTERNAL with the
// request id only, never a driver or Go message. UNAVAILABLE errors are
// logged too, as warnings: they are operational events.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		located := locate(ctx, err)
		if domErr, ok := errors.AsType[*boxoffice.Error](err); ok {
			if code, ok := domainCodes[domErr.Code]; ok {
				if code == codeUnavailable {
					logUnavailable(ctx, log, err, located)
				}
				return domainError(located, domErr, code)
			}
			return internalError(ctx, log, err, located)
		}
		if errors.Is(err, context.DeadlineExceeded) { // errTimeUp, or a wait for a booking's batch
			logUnavailable(ctx, log, err, located)
			return domainError(located, &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, RetryAfter: time.Second,
				Message: fmt.Sprintf("the request's time limit ran out (request id %s): try again", boxoffice.RequestIDFromContext(ctx))},
				codeUnavailable)
		}
		if located.Err == nil { // raised by gqlgen or this package, not by a resolver
			if code, ok := located.Extensions["code"].(string); ok {
				if code == errcode.ValidationFailed && isVariableError(located) {
					return withCode(located, codeBadUserInput, lastName(located.Path))
				}
				return located
			}
			if strings.HasPrefix(located.Message, bodyDecodeFailed) {
				return &gqlerror.Error{
					Message:    "request body is not a GraphQL request: send a JSON object with a query string",
					Extensions: map[string]any{"code": codeBadRequest},
				}
			}
		}
		return internalError(ctx, log, err, located)
	}
}

// locate returns err as a GraphQL error with its path and locations.
func locate(ctx context.Context, err error) *gqlerror.Error {
	if gqlErr, ok := errors.AsType[*gqlerror.Error](err); ok {
		return gqlErr
	}
	return gqlerror.WrapPath(graphql.GetPath(ctx), err)
}

func domainError(located *gqlerror.Error, domErr *boxoffice.Error, code string) *gqlerror.Error {
	field := domErr.Field
	if field == "" && code == codeBadUserInput {
		// Scalars fail while coercing an argument and cannot know its
		// name; the path ends with it.
		field = lastName(located.Path)
	}
	out := withCode(&gqlerror.Error{
		Message:   domErr.Message,
		Path:      located.Path,
		Locations: located.Locations,
	}, code, field)
	if code == codeRateLimited || code == codeUnavailable {
		out.Extensions["retryAfter"] = retryAfterSeconds(domErr)
	}
	return out
}

// retryAfterSeconds is how long a RATE_LIMITED or UNAVAILABLE error asks to wait, in
// whole seconds rounded up: at least 1, so a client never retries at once.
func retryAfterSeconds(err error) int {
	d := boxoffice.ErrorRetryAfter(err)
	return max(1, int((d+time.Second-1)/time.Second))
}

// isVariableError reports a variable whose value does not fit its type:
// bad input, not a bad query.
func isVariableError(e *gqlerror.Error) bool {
	return e.Rule == "" && len(e.Path) > 0 && e.Path[0] == ast.PathName("variable")
}

func withCode(e *gqlerror.Error, code, field string) *gqlerror.Error {
	out := *e
	out.Extensions = map[string]any{"code": code}
	if field != "" {
		out.Extensions["field"] = field
	}
	return &out
}

func lastName(path ast.Path) string {
	for i := len(path) - 1; i >= 0; i-- {
		if name, ok := path[i].(ast.PathName); ok {
			return string(name)
		}
	}
	return ""
}

// internalError logs err with the request id, and shows the client only
// that id, to quote to an operator.
func internalError(ctx context.Context, log *slog.Logger, err error, located *gqlerror.Error) *gqlerror.Error {
	id := boxoffice.RequestIDFromContext(ctx)
	attrs := []slog.Attr{slog.String("request_id", id), slog.String("error", err.Error())}
	if located.Path != nil {
		attrs = append(attrs, slog.String("path", located.Path.String()))
	}
	if p, ok := errors.AsType[*panicError](err); ok {
		attrs = append(attrs, slog.String("stack", string(p.stack)))
	}
	log.LogAttrs(ctx, slog.LevelError, "graphql internal error", attrs...)
	return &gqlerror.Error{
		Message:    fmt.Sprintf("internal error (request id %s)", id),
		Path:       located.Path,
		Locations:  located.Locations,
		Extensions: map[string]any{"code": codeInternal},
	}
}

// logUnavailable logs an UNAVAILABLE error in full (the driver's words
// included, which the client never sees) with the request id.
func logUnavailable(ctx context.Context, log *slog.Logger, err error, located *gqlerror.Error) {
	attrs := []slog.Attr{slog.String("request_id", boxoffice.RequestIDFromContext(ctx)), slog.String("error", err.Error())}
	if located.Path != nil {
		attrs = append(attrs, slog.String("path", located.Path.String()))
	}
	log.LogAttrs(ctx, slog.LevelWarn, "graphql unavailable", attrs...)
}

// panicError is a recovered panic, kept with its stack for the log.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// recoverPanic turns a resolver's panic into an error for presentError,
// which logs it and answers INTERNAL: one request fails, not the server.
func recoverPanic(_ context.Context, p any) error {
	return &panicError{value: p, stack: debug.Stack()}
}
