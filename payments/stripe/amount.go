package stripe

import (
	"strings"

	"github.com/boxoffice/boxoffice"
)

// boxoffice keeps every amount in hundredths of its currency's unit;
// Stripe wants the currency's smallest unit, which is the unit itself for
// zero-decimal currencies and a thousandth for three-decimal ones
// (https://docs.stripe.com/currencies).
var (
	zeroDecimal = map[string]bool{"BIF": true, "CLP": true, "DJF": true, "GNF": true, "JPY": true, "KMF": true, "KRW": true,
		"MGA": true, "PYG": true, "RWF": true, "UGX": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true}
	threeDecimal = map[string]bool{"BHD": true, "JOD": true, "KWD": true, "OMR": true, "TND": true}
)

// toMinor converts hundredths of currency's unit into what Stripe counts.
// EINVALID for an amount a zero-decimal currency cannot hold (a fraction
// of a yen).
func toMinor(currency string, cents int64) (int64, error) {
	switch c := strings.ToUpper(currency); {
	case zeroDecimal[c]:
		if cents%100 != 0 {
			return 0, boxoffice.Errorf(boxoffice.EINVALID, "%s has no fractions: %d.%02d cannot be charged", c, cents/100, cents%100)
		}
		return cents / 100, nil
	case threeDecimal[c]:
		return cents * 10, nil
	}
	return cents, nil
}

// fromMinor converts Stripe's amount back into hundredths of the unit.
func fromMinor(currency string, amount int64) int64 {
	switch c := strings.ToUpper(currency); {
	case zeroDecimal[c]:
		return amount * 100
	case threeDecimal[c]:
		return amount / 10
	}
	return amount
}
