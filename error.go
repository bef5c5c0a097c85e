package boxoffice

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Transports map them to their own vocabulary (GraphQL
// extensions.code, HTTP statuses) in one place each.
const (
	EINVALID         = "invalid"         // bad input; Field names the culprit
	ENOTFOUND        = "not_found"       // no such thing, or not visible to the caller
	ESOLDOUT         = "sold_out"        // not enough tickets left
	ECONFLICT        = "conflict"        // the state of a thing forbids the change
	EUNAUTHENTICATED = "unauthenticated" // no valid credentials
	EFORBIDDEN       = "forbidden"       // valid credentials, not enough rights
	ERATELIMITED     = "rate_limited"    // too many requests; retry later
	EUNAVAILABLE     = "unavailable"     // nothing was done: a dependency timed out, is overloaded or refuses writes (disk full); retry later
	EINTERNAL        = "internal"        // a fault of ours; details are logged, never shown
)

// Error is an error the caller may see: a code from the list above and a
// message safe to show to a client. Anything else is treated as EINTERNAL.
type Error struct {
	Code       string
	Message    string
	Field      string        // for EINVALID: the input field at fault, e.g. "numberOfTickets"
	RetryAfter time.Duration // for ERATELIMITED and EUNAVAILABLE: when to try again
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("boxoffice error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("boxoffice error: code=%s message=%s", e.Code, e.Message)
}

// ErrEventBusy is the outcome of a booking request that a batch passed
// over because another transaction held its event (BookingTerms.SkipLocked).
// Nothing was done for it; the batcher tries it again on its own, so a
// client sees it only if that is refused too.
var ErrEventBusy = &Error{Code: EUNAVAILABLE, Message: "the event is busy: try again", RetryAfter: time.Second}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID *Error that names the field at fault.
func Invalidf(field string, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: "" for nil, the code of an *Error in
// its chain, or EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of an
// *Error in its chain, or "internal error" for anything else.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorRetryAfter returns how long an ERATELIMITED or EUNAVAILABLE error
// asks to wait, or 0.
func ErrorRetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// ErrorField returns the input field named by an EINVALID error, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
