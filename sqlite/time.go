package sqlite

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Times are stored as TEXT in UTC, fixed width, so that they sort as text
// in time order; microseconds, as PostgreSQL keeps them.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// formatTime writes t as stored. The fixed width (a four-digit year) holds
// only within boxoffice.MinTime..MaxTime, which the API enforces; a time
// outside, such as a comparison bound, is clamped to the range, so it
// still sorts on the right side of every stored time.
func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Before(boxoffice.MinTime) {
		t = boxoffice.MinTime
	} else if t.After(boxoffice.MaxTime) {
		t = boxoffice.MaxTime
	}
	return t.Format(timeLayout)
}

// parseTime reads a stored time. Besides timeLayout it reads the longer
// years that versions before the range check wrote (10000-01-01T…), so
// that such a row can still be read and repaired.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err == nil {
		return t, nil
	}
	year, rest, _ := strings.Cut(s, "-")
	y, yErr := strconv.Atoi(year)
	// 2000 is a leap year: the rest parses whatever its day.
	r, rErr := time.Parse(timeLayout, "2000-"+rest)
	if len(year) <= 4 || yErr != nil || rErr != nil {
		return time.Time{}, err
	}
	return time.Date(y, r.Month(), r.Day(), r.Hour(), r.Minute(), r.Second(), r.Nanosecond(), time.UTC), nil
}

// timeColumn scans a stored time into *t.
type timeColumn struct{ t *time.Time }

func (c timeColumn) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("sqlite: time column holds %T", src)
	}
	t, err := parseTime(s)
	if err != nil {
		return fmt.Errorf("sqlite: time column: %w", err)
	}
	*c.t = t
	return nil
}

// nullTimeColumn scans a stored time, or NULL, into *t.
type nullTimeColumn struct{ t **time.Time }

func (c nullTimeColumn) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeColumn{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}
