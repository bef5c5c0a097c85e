package boxoffice

import "context"

type requestIDKey struct{}

// NewContextWithRequestID returns ctx carrying the request ID that logs and
// INTERNAL error messages quote, so an operator can find one in the other.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request ID in ctx, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
