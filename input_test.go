package boxoffice

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestPageEndIsBounded(t *testing.T) {
	for _, tc := range []struct {
		page, limit int
		ok          bool
	}{
		{1, 100, true}, {100_000, 100, true}, {100_001, 100, false}, {10_000_000, 1, true}, {10_000_001, 1, false},
		{1 << 62, 100, false}, {1<<63 - 1, 100, false},
	} {
		p := Page{Page: tc.page, Limit: tc.limit}
		err := p.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("page %d limit %d: %v", tc.page, tc.limit, err)
		}
		if err != nil && ErrorField(err) != "page" {
			t.Errorf("page %d limit %d: field %q", tc.page, tc.limit, ErrorField(err))
		}
	}
}

func TestTextAndTimeChecks(t *testing.T) {
	for _, s := range []string{"a\x00", "\x00", "\xff", "ok\xc3"} {
		if CheckText("title", s) == nil {
			t.Errorf("%q accepted", s)
		}
	}
	desc := "fine\x00"
	e := &Event{Title: "T", Location: "L", Description: &desc, Date: time.Now().Add(time.Hour), TotalTickets: 1, AvailableTickets: 1}
	if err := e.Validate(); ErrorField(err) != "description" {
		t.Errorf("NUL description: %v", err)
	}
	e.Description = nil
	e.Date = MaxTime.Add(time.Microsecond)
	if err := e.Validate(); ErrorField(err) != "date" {
		t.Errorf("date past the range: %v", err)
	}
	u := &User{Username: "x\x00y", Email: "xy@example.com"}
	if err := u.Validate(); ErrorField(err) != "username" {
		t.Errorf("NUL username: %v", err)
	}
}

// FuzzInput: pages never overflow their offset, text checks agree with
// their definition, and the time range check with the range.
func FuzzInput(f *testing.F) {
	f.Add(1, 10, "title", int64(0), int64(0))
	f.Add(1<<62, 100, "a\x00b", int64(253402300799), int64(999999999))
	f.Add(-1, 0, "\xff", int64(-62135596801), int64(0))
	f.Add(100_000, 100, "", int64(253402300800), int64(0))
	f.Fuzz(func(t *testing.T, page, limit int, s string, sec, nsec int64) {
		p := Page{Page: page, Limit: limit}
		if p.Validate() == nil {
			if off := p.Offset(); off < 0 || off+p.Limit > MaxPageEnd {
				t.Fatalf("page %d limit %d: offset %d", page, limit, off)
			}
		}
		if ok := CheckText("f", s) == nil; ok != (utf8.ValidString(s) && !strings.Contains(s, "\x00")) {
			t.Fatalf("CheckText(%q) = %v", s, ok)
		}
		tm := time.Unix(sec, nsec%1e9)
		if ok := CheckTime("f", tm) == nil; ok != (!tm.Before(MinTime) && !tm.After(MaxTime)) {
			t.Fatalf("CheckTime(%v) = %v", tm, ok)
		}
	})
}
