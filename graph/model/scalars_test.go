package model

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/boxoffice/boxoffice"
)

func TestInputCoercion(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int
		ok   bool
	}{
		{int64(2), 2, true}, {json.Number("2"), 2, true}, {json.Number("2.0"), 2, true}, {json.Number("-2147483648"), math.MinInt32, true},
		{"2", 0, false}, {json.Number("2.5"), 0, false}, {json.Number("2147483648"), 0, false}, {int64(1) << 40, 0, false},
		{2.5, 0, false}, {true, 0, false}, {nil, 0, false}, {json.Number("1e400"), 0, false},
	} {
		got, err := UnmarshalInt(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Int %#v: %d, %v", tc.in, got, err)
		}
		if err != nil && boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("Int %#v: error %v is not EINVALID", tc.in, err)
		}
	}
	for _, in := range []any{"10", true, nil, json.Number("NaN"), math.Inf(1)} {
		if _, err := UnmarshalFloat(in); err == nil {
			t.Errorf("Float %#v accepted", in)
		}
	}
	if f, err := UnmarshalFloat(int64(10)); err != nil || f != 10 {
		t.Errorf("Float 10: %v %v", f, err)
	}
	for _, in := range []any{"true", 1, nil} {
		if _, err := UnmarshalBoolean(in); err == nil {
			t.Errorf("Boolean %#v accepted", in)
		}
	}
	for _, in := range []any{1, true, nil, "a\x00b", "\xff"} {
		if _, err := UnmarshalString(in); err == nil {
			t.Errorf("String %#v accepted", in)
		}
	}
	for _, in := range []any{1.5, true, nil, "a\x00b", json.Number("1.5")} {
		if _, err := UnmarshalID(in); err == nil {
			t.Errorf("ID %#v accepted", in)
		}
	}
	if id, err := UnmarshalID(json.Number("42")); err != nil || id != "42" {
		t.Errorf("ID 42: %q %v", id, err)
	}
	for _, in := range []string{"9999-12-31T23:59:59-23:59", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01", "0000-12-31"} {
		if _, err := UnmarshalDateTime(in); err == nil {
			t.Errorf("DateTime %s accepted", in)
		}
	}
	for _, in := range []string{"9999-12-31T23:59:59Z", "9999-12-31", "0001-01-01T00:00:00Z", "2024-05-01T18:00:00+02:00"} {
		if _, err := UnmarshalDateTime(in); err != nil {
			t.Errorf("DateTime %s: %v", in, err)
		}
	}
}

// FuzzScalars: whatever JSON value a client sends, each scalar either
// refuses it with EINVALID or gives a value within its bounds.
func FuzzScalars(f *testing.F) {
	for _, s := range []string{`2`, `"2"`, `2.0`, `2.5`, `2147483648`, `-2147483649`, `1e308`, `1e400`, `true`, `null`,
		`"\u0000"`, `"a"`, `[1]`, `{"a": 1}`, `"9999-12-31T23:59:59-23:59"`, `"9999-12-31"`, `"0001-01-01T00:00:00+01:00"`,
		`"2024-05-01T18:00:00.123456789Z"`, `-0`, `0.0000001`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return
		}
		check := func(scalar string, err error) {
			if err != nil && boxoffice.ErrorCode(err) != boxoffice.EINVALID {
				t.Fatalf("%s(%s): %v is not EINVALID", scalar, raw, err)
			}
		}
		n, err := UnmarshalInt(v)
		check("Int", err)
		if err == nil && (n < math.MinInt32 || n > math.MaxInt32) {
			t.Fatalf("Int(%s) = %d", raw, n)
		}
		x, err := UnmarshalFloat(v)
		check("Float", err)
		if err == nil && (math.IsNaN(x) || math.IsInf(x, 0)) {
			t.Fatalf("Float(%s) = %v", raw, x)
		}
		_, err = UnmarshalBoolean(v)
		check("Boolean", err)
		for name, un := range map[string]func(any) (string, error){"String": UnmarshalString, "ID": UnmarshalID} {
			s, err := un(v)
			check(name, err)
			if err == nil && !boxoffice.ValidText(s) {
				t.Fatalf("%s(%s) = %q", name, raw, s)
			}
		}
		tm, err := UnmarshalDateTime(v)
		check("DateTime", err)
		if err == nil && !boxoffice.TimeInRange(tm) {
			t.Fatalf("DateTime(%s) = %v", raw, tm)
		}
	})
}
