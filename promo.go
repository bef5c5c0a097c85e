package boxoffice

import (
	"context"
	"strings"
	"time"
)

// MaxPromoCodeLength bounds a promo code; codes are typed in by hand.
const MaxPromoCodeLength = 40

// PromoCode is a discount an organizer gives out: a percentage or an
// amount off one booking, for a number of uses, until a date. Uses are
// counted in the booking transaction, under the event's lock, so a code
// with ten uses gives exactly ten discounts however many buyers race.
type PromoCode struct {
	ID             string
	EventID        string
	Code           string // normalized: NormalizePromoCode
	PercentOff     *int   // 1 to 100; or AmountOffCents
	AmountOffCents *int64 // off a booking's total, never below zero
	MaxUses        *int   // nil: unlimited
	Uses           int
	ValidUntil     *time.Time // nil: until the event
	CreatedAt      time.Time
}

// NormalizePromoCode is how codes compare: trimmed, upper case, so that
// "early10 " and "EARLY10" are one code.
func NormalizePromoCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// AmountOff is AmountOffCents in currency units, as the API shows it.
func (p *PromoCode) AmountOff() *float64 {
	if p.AmountOffCents == nil {
		return nil
	}
	v := float64(*p.AmountOffCents) / 100
	return &v
}

// Validate normalizes the code and returns EINVALID for a malformed one.
func (p *PromoCode) Validate() error {
	p.Code = NormalizePromoCode(p.Code)
	if n := len(p.Code); n < 3 || n > MaxPromoCodeLength {
		return Invalidf("code", "code must be 3 to %d characters", MaxPromoCodeLength)
	}
	for _, r := range p.Code {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return Invalidf("code", "code may hold letters A to Z, digits, - and _")
		}
	}
	if (p.PercentOff == nil) == (p.AmountOffCents == nil) {
		return Invalidf("percentOff", "give either percentOff or amountOff")
	}
	if p.PercentOff != nil && (*p.PercentOff < 1 || *p.PercentOff > 100) {
		return Invalidf("percentOff", "percentOff must be between 1 and 100")
	}
	if p.AmountOffCents != nil && (*p.AmountOffCents < 1 || *p.AmountOffCents > MaxPriceCents) {
		return Invalidf("amountOff", "amountOff must be between 0.01 and 999999.99")
	}
	if p.MaxUses != nil && *p.MaxUses < 1 {
		return Invalidf("maxUses", "maxUses must be at least 1")
	}
	if p.ValidUntil != nil {
		if err := CheckTime("validUntil", *p.ValidUntil); err != nil {
			return err
		}
	}
	return nil
}

// Redeem uses the code once for n tickets at unitPrice and returns the
// discount in cents: a percentage rounded half up to the cent, or the
// amount, never more than the total. ECONFLICT if the code has expired or
// has no uses left; then nothing is used.
func (p *PromoCode) Redeem(unitPrice int64, n int, now time.Time) (int64, error) {
	if p.ValidUntil != nil && !now.Before(*p.ValidUntil) {
		return 0, Errorf(ECONFLICT, "promo code %s has expired", p.Code)
	}
	if p.MaxUses != nil && p.Uses >= *p.MaxUses {
		return 0, Errorf(ECONFLICT, "promo code %s has been used up", p.Code)
	}
	total := unitPrice * int64(n)
	var off int64
	if p.PercentOff != nil {
		off = (total*int64(*p.PercentOff) + 50) / 100
	} else {
		off = min(*p.AmountOffCents, total)
	}
	p.Uses++
	return off, nil
}

// PromoCodeStore keeps promo codes; bookings count their uses.
type PromoCodeStore interface {
	// Create inserts p as given. ECONFLICT if the event has the code
	// already; ENOTFOUND if the event does not exist.
	Create(ctx context.Context, p *PromoCode) error
	// ByEvent returns the event's codes, oldest first.
	ByEvent(ctx context.Context, eventID string) ([]*PromoCode, error)
}
