package mail

import (
	"fmt"
	"strings"
)

// Money is an amount in hundredths of a currency unit, as boxoffice keeps
// every price (never binary floating point), with its ISO 4217 code.
type Money struct {
	Cents    int64
	Currency string // such as "EUR"
}

// String formats m as the code, a space and the amount with two
// decimals: "EUR 12.50", "USD 0.05", "EUR -3.00". No thousands separator:
// it differs between languages, and the plain form reads the same in all.
func (m Money) String() string {
	sign, cents := "", uint64(m.Cents)
	if m.Cents < 0 {
		sign, cents = "-", -cents // two's complement: right for MinInt64 too
	}
	amount := fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
	if m.Currency == "" {
		return amount
	}
	return strings.ToUpper(m.Currency) + " " + amount
}
