package mail

import (
	"math"
	"testing"
)

func TestMoneyString(t *testing.T) {
	for _, c := range []struct {
		m    Money
		want string
	}{
		{Money{1250, "EUR"}, "EUR 12.50"},
		{Money{5, "usd"}, "USD 0.05"},
		{Money{0, "EUR"}, "EUR 0.00"},
		{Money{100, "GBP"}, "GBP 1.00"},
		{Money{123456789, "EUR"}, "EUR 1234567.89"},
		{Money{-300, "EUR"}, "EUR -3.00"},
		{Money{-7, "EUR"}, "EUR -0.07"},
		{Money{1999, ""}, "19.99"},
		{Money{math.MinInt64, "EUR"}, "EUR -92233720368547758.08"},
		{Money{math.MaxInt64, "EUR"}, "EUR 92233720368547758.07"},
	} {
		if got := c.m.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.m, got, c.want)
		}
	}
}
