// Package model holds the GraphQL-only types: inputs, paginated responses
// (generated into models_gen.go) and the DateTime scalar.
package model

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/boxoffice/boxoffice"
)

// Layouts of the DateTime scalar. Output is what JavaScript's toISOString
// gives, so clients of the original API parse it unchanged.
const (
	dateTimeOutput = "2006-01-02T15:04:05.000Z"
	dateOnly       = time.DateOnly
)

// MarshalDateTime writes t in UTC with milliseconds: 2024-01-01T19:00:00.000Z.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(dateTimeOutput)))
	})
}

// UnmarshalDateTime reads RFC 3339 or a plain date (midnight UTC), within
// boxoffice.MinTime..MaxTime.
func UnmarshalDateTime(v any) (time.Time, error) {
	d, err := parseDateInput(v)
	return d.Time, err
}

// DateInput is a DateTime given as input, remembering whether it was a
// plain date: a date-only upper bound means "through the end of that day".
type DateInput struct {
	Time     time.Time
	DateOnly bool
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (d *DateInput) UnmarshalGQL(v any) error {
	var err error
	*d, err = parseDateInput(v)
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (d DateInput) MarshalGQL(w io.Writer) { MarshalDateTime(d.Time).MarshalGQL(w) }

func parseDateInput(v any) (DateInput, error) {
	s, ok := v.(string)
	if !ok {
		return DateInput{}, boxoffice.Invalidf("", "DateTime must be a string, got %T", v)
	}
	d, ok := DateInput{}, false
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		d, ok = DateInput{Time: t.UTC()}, true
	} else if t, err := time.Parse(dateOnly, s); err == nil {
		d, ok = DateInput{Time: t, DateOnly: true}, true
	}
	if ok {
		// 9999-12-31T23:59:59-23:59 is in the year 10000 in UTC: refused
		// here, as every engine must read back what it stores.
		return d, boxoffice.CheckTime("", d.Time)
	}
	return DateInput{}, boxoffice.Invalidf("", "%s is not a DateTime: use RFC 3339 (2024-01-01T19:00:00Z) or a date (2024-01-01)", quote(s))
}

// quote keeps an echoed input short and printable.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%q", s)
}
