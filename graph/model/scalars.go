package model

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/boxoffice/boxoffice"
)

// The built-in scalars, with the GraphQL specification's input coercion
// (section 3.5): gqlgen's own accept "2" for an Int, "true" for a
// Boolean, 1 for a String and more, where the specification refuses them.
// Values come from the document's literals (int64, float64, string, bool)
// or from JSON variables (json.Number, string, bool). A value of the wrong
// kind is BAD_USER_INPUT; the error's path names the argument. Strings,
// IDs included, must also be text a store can keep (boxoffice.CheckText).
// Output is gqlgen's.

// MarshalInt writes an Int.
func MarshalInt(n int) graphql.Marshaler { return graphql.MarshalInt(n) }

// UnmarshalInt accepts integers that fit in 32 bits, as the specification
// defines Int, and nothing else: no strings, no fractions.
func UnmarshalInt(v any) (int, error) {
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case int:
		n = int64(v)
	case json.Number:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			// 2.0 is an integer written as a float, as JavaScript may send it.
			f, ferr := strconv.ParseFloat(string(v), 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
				return 0, badValue("Int", "an integer between -2147483648 and 2147483647", v)
			}
			i = int64(f)
		}
		n = i
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
			return 0, badValue("Int", "an integer between -2147483648 and 2147483647", v)
		}
		n = int64(v)
	default:
		return 0, badValue("Int", "an integer between -2147483648 and 2147483647", v)
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, badValue("Int", "an integer between -2147483648 and 2147483647", v)
	}
	return int(n), nil
}

// MarshalFloat writes a Float.
func MarshalFloat(f float64) graphql.Marshaler { return graphql.MarshalFloat(f) }

// UnmarshalFloat accepts finite numbers, integers included; no strings.
func UnmarshalFloat(v any) (float64, error) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case int64:
		f = float64(v)
	case int:
		f = float64(v)
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(v), 64); err != nil {
			return 0, badValue("Float", "a finite number", v)
		}
	default:
		return 0, badValue("Float", "a number", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, badValue("Float", "a finite number", v)
	}
	return f, nil
}

// MarshalBoolean writes a Boolean.
func MarshalBoolean(b bool) graphql.Marshaler { return graphql.MarshalBoolean(b) }

// UnmarshalBoolean accepts true and false only.
func UnmarshalBoolean(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, badValue("Boolean", "true or false", v)
}

// MarshalString writes a String.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString accepts strings only.
func UnmarshalString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", badValue("String", "a string", v)
	}
	return s, boxoffice.CheckText("", s)
}

// MarshalID writes an ID.
func MarshalID(s string) graphql.Marshaler { return graphql.MarshalID(s) }

// UnmarshalID accepts a string or an integer (as its decimal digits).
func UnmarshalID(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, boxoffice.CheckText("", v)
	case int64:
		return strconv.FormatInt(v, 10), nil
	case int:
		return strconv.Itoa(v), nil
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return strconv.FormatInt(i, 10), nil
		}
	}
	return "", badValue("ID", "a string or an integer", v)
}

// badValue is the BAD_USER_INPUT error of a scalar given what it cannot
// take. It shows the value's kind, not the value, which may be large.
func badValue(scalar, want string, v any) error {
	return boxoffice.Invalidf("", "%s must be %s, got %s", scalar, want, kindOf(v))
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, int, int64, float64:
		return "a number out of range or with a fraction"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	default:
		return "another kind of value"
	}
}
