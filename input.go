package boxoffice

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The range of times both stores keep and give back unchanged: years 1 to
// 9999 in UTC, to the microsecond. The embedded store writes times as
// fixed-width text (four-digit years), which sorts in time order only
// within this range; PostgreSQL keeps a wider one. Every time a client
// sends is checked against it (CheckTime), so that nothing one engine
// cannot read back is ever stored.
var (
	MinTime = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, time.December, 31, 23, 59, 59, 999_999_000, time.UTC)
)

// TimeInRange reports whether t, taken in UTC, is within MinTime..MaxTime.
func TimeInRange(t time.Time) bool {
	return !t.Before(MinTime) && !t.After(MaxTime)
}

// CheckTime returns EINVALID, naming field, if t is outside the supported
// range.
func CheckTime(field string, t time.Time) error {
	if !TimeInRange(t) {
		return Invalidf(field, "%s must be between 0001-01-01 and 9999-12-31 in UTC", orValue(field))
	}
	return nil
}

// ValidText reports whether s is text a store can keep: valid UTF-8
// without NUL bytes. PostgreSQL refuses both in text columns, and SQLite
// compares and searches only up to a NUL.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// CheckText returns EINVALID, naming field, if s is not ValidText.
func CheckText(field, s string) error {
	if !ValidText(s) {
		return Invalidf(field, "%s must be UTF-8 text without NUL characters", orValue(field))
	}
	return nil
}

func orValue(field string) string {
	if field == "" {
		return "the value"
	}
	return field
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
